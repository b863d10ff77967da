package simulate

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// Scenario injects events into the hourly stream of a simulation. Labelled
// attack scenarios (exfiltration, lateral movement, beaconing, scanning, ...)
// implement it; the baseline hospital has none.
type Scenario interface {
	// Name identifies the scenario in errors.
	Name() string
	// Inject is called once per simulated hour, in hour order, after the
	// baseline traffic of the hour has been generated. Events should have
	// timestamps in [h.Start(), h.End()); later ones are written with the
	// next hour, earlier ones are moved to h.Start().
	Inject(h *Hour) error
}

// Hour is a scenario's view of one simulated hour: the hospital's devices
// and the means to add events, with the same bookkeeping (known hosts and
// services, software, certificates) as baseline traffic.
type Hour struct {
	index      int
	start, end time.Time
	h          *hospital
	e          *emitter
}

// Index is the hour's number, 0 for the first hour of the run.
func (h *Hour) Index() int { return h.index }

// Start is the first instant of the hour.
func (h *Hour) Start() time.Time { return h.start }

// End is the first instant after the hour.
func (h *Hour) End() time.Time { return h.end }

// Rand is a random source seeded from the run's seed, the scenario and the
// hour: use it, never an unseeded source, so that output stays reproducible.
func (h *Hour) Rand() *rand.Rand { return h.e.r.Rand }

// Devices lists the hospital's devices in a stable order.
func (h *Hour) Devices() []Device {
	out := make([]Device, len(h.h.devices))
	for i, d := range h.h.devices {
		out[i] = Device{d}
	}
	return out
}

// Device is a scenario's handle on a simulated device.
type Device struct{ d *device }

// ID is the device's identifier in truth.json.
func (v Device) ID() string { return v.d.id }

// MAC is the device's hardware address.
func (v Device) MAC() net.HardwareAddr { return v.d.mac }

// Hostname is the name the device announces in DHCP.
func (v Device) Hostname() string { return v.d.hostname }

// Class is the device's class (infusion_pump, ...).
func (v Device) Class() string { return v.d.prof.Class }

// Profile is the name of the device's catalog profile.
func (v Device) Profile() string { return v.d.prof.Name }

// AddrAt returns the device's IPv4 address at t, if it is up.
func (v Device) AddrAt(t time.Time) (netip.Addr, bool) {
	a, _, ok := v.d.at(t)
	return a, ok
}

// Connection is a connection a scenario adds.
type Connection struct {
	TS        time.Time
	From      *Device    // originator; nil for a host outside the simulation
	FromAddr  netip.Addr // used when From is nil
	To        *Device    // responder; nil for a host outside the simulation
	ToAddr    netip.Addr // used when To is nil
	Port      uint16
	Proto     string // tcp, udp
	Service   string
	Duration  time.Duration
	OrigBytes int64
	RespBytes int64
	State     string // Zeek conn_state; "" = SF
	// ServerName, when set with Proto tcp, adds a TLS session (TLSv12, so
	// that certificates would be visible) with this SNI.
	ServerName string
}

// Connect emits a connection (and its TLS session) and returns its uid.
func (h *Hour) Connect(c Connection) (string, error) {
	ev, err := h.connect(c)
	if err != nil {
		return "", err
	}
	if c.ServerName != "" && c.Proto == "tcp" && ev.ConnState != "S0" && ev.ConnState != "REJ" {
		h.e.tls(ev, &tlsSpec{Ciphers: []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}, c.ServerName, c.ServerName, isLocal(ev.RespH))
	}
	return ev.UID, nil
}

// connect emits the conn record of c, without its TLS session.
func (h *Hour) connect(c Connection) (*event.Conn, error) {
	cc := conn{ts: c.TS, from: c.FromAddr, to: c.ToAddr, port: c.Port, proto: c.Proto, service: c.Service,
		dur: c.Duration, ob: c.OrigBytes, rb: c.RespBytes, state: c.State}
	if c.From != nil {
		a, z, ok := c.From.d.at(c.TS)
		if !ok {
			return nil, fmt.Errorf("simulate: device %s is down at %s", c.From.ID(), c.TS.Format(time.RFC3339))
		}
		cc.src, cc.from, cc.fromZone = c.From.d, a, z
	}
	if c.To != nil {
		a, _, ok := c.To.d.at(c.TS)
		if !ok {
			return nil, fmt.Errorf("simulate: device %s is down at %s", c.To.ID(), c.TS.Format(time.RFC3339))
		}
		cc.dst, cc.to = c.To.d, a
	}
	if !cc.from.IsValid() || !cc.to.IsValid() || (cc.proto != "tcp" && cc.proto != "udp") {
		return nil, fmt.Errorf("simulate: connection needs two addresses and tcp or udp")
	}
	if cc.ts.Before(h.start) {
		cc.ts = h.start
	}
	return h.e.emitConn(cc), nil
}

// Lookup emits a DNS query for name from device v at t, answered with
// answers (none: NXDOMAIN unless the hospital knows the name), and returns
// when the answer arrived.
func (h *Hour) Lookup(v Device, name string, answers []netip.Addr, t time.Time) (time.Time, error) {
	a, z, ok := v.d.at(t)
	if !ok {
		return time.Time{}, fmt.Errorf("simulate: device %s is down at %s", v.ID(), t.Format(time.RFC3339))
	}
	rec, known := h.h.names[name]
	if len(answers) > 0 {
		rec, known = nameRec{v4: answers, ttl: 300 * time.Second, ext: &extDomain{Name: name}}, true
	}
	_, at := h.e.lookupRec(v.d, a, z, name, "A", t, rec, known)
	return at, nil
}

// Emit adds a ready-made event of any kind Vigil writes.
func (h *Hour) Emit(ev event.Event) error {
	switch x := ev.(type) {
	case *event.Conn:
		c := *x
		h.e.conns = append(h.e.conns, &c)
	case *event.DNS:
		c := *x
		h.e.dnss = append(h.e.dnss, &c)
	case *event.SSL:
		c := *x
		h.e.ssls = append(h.e.ssls, &c)
	case *event.DHCP:
		c := *x
		h.e.dhcps = append(h.e.dhcps, &c)
	case *event.X509, *event.Software, *event.KnownHost, *event.KnownService:
		h.e.raw = append(h.e.raw, ev)
	default:
		return fmt.Errorf("simulate: cannot emit %T", ev)
	}
	return nil
}
