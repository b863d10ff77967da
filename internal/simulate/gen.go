package simulate

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// arena hands out zeroed values from reusable chunks, so that an hour's
// events cost no allocation once the first hours have sized the chunks.
type arena[T any] struct {
	chunks [][]T
	ci, i  int
}

func (a *arena[T]) alloc() *T {
	if a.ci == len(a.chunks) {
		a.chunks = append(a.chunks, make([]T, 2048))
	}
	c := a.chunks[a.ci]
	p := &c[a.i]
	var zero T
	*p = zero
	if a.i++; a.i == len(c) {
		a.ci, a.i = a.ci+1, 0
	}
	return p
}

func (a *arena[T]) reset() { a.ci, a.i = 0, 0 }

type svcKey struct {
	host  netip.Addr
	port  uint16
	proto string
}

type svcSeen struct {
	ts      time.Time
	service string
}

type swKey struct {
	host netip.Addr
	spec *softwareSpec
}

type swSeen struct {
	ts   time.Time
	port uint16
}

// emitter collects the events of one hour: those of one worker's devices,
// or those of the scenarios. Sightings (hosts, services, software,
// certificates) are kept with their earliest time; the merge turns them
// into known_hosts, known_services, software and x509 records.
type emitter struct {
	h *hospital
	r *rng

	conns []*event.Conn
	dnss  []*event.DNS
	ssls  []*event.SSL
	dhcps []*event.DHCP
	connA arena[event.Conn]
	dnsA  arena[event.DNS]
	sslA  arena[event.SSL]
	dhcpA arena[event.DHCP]
	raw   []event.Event // x509, software, known_* records added by scenarios

	hosts map[netip.Addr]time.Time
	svcs  map[svcKey]svcSeen
	sws   map[swKey]swSeen
	certs map[*cert]time.Time

	hs, he time.Time // the hour
}

func newEmitter(h *hospital) *emitter {
	return &emitter{h: h, r: newRNG(0),
		hosts: map[netip.Addr]time.Time{}, svcs: map[svcKey]svcSeen{},
		sws: map[swKey]swSeen{}, certs: map[*cert]time.Time{}}
}

func (e *emitter) reset(hs, he time.Time) {
	e.hs, e.he = hs, he
	e.conns, e.dnss, e.ssls, e.dhcps = e.conns[:0], e.dnss[:0], e.ssls[:0], e.dhcps[:0]
	e.raw = e.raw[:0]
	e.connA.reset()
	e.dnsA.reset()
	e.sslA.reset()
	e.dhcpA.reset()
	clear(e.hosts)
	clear(e.svcs)
	clear(e.sws)
	clear(e.certs)
}

func isLocal(a netip.Addr) bool {
	if a.Is4() {
		return a.As4()[0] == 10
	}
	return a.As16()[0] == 0xfd
}

func minTime(m map[netip.Addr]time.Time, k netip.Addr, t time.Time) {
	if old, ok := m[k]; !ok || t.Before(old) {
		m[k] = t
	}
}

// usec truncates t to the microsecond, the precision of Zeek logs, so that
// the order of events is the order of the written timestamps.
func usec(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// conn describes a connection to emit.
type conn struct {
	ts       time.Time
	src      *device // nil when the originator is not a simulated device
	from     netip.Addr
	fromPort uint16 // 0: an ephemeral port of src
	fromZone *zone
	dst      *device // nil when the responder is not a simulated device
	to       netip.Addr
	port     uint16
	proto    string
	service  string
	dur      time.Duration
	ob, rb   int64
	state    string // "" = SF
	rtp      bool
}

// emitConn writes a conn record and notes what Zeek's known-hosts,
// known-services and software scripts would notice about it.
func (e *emitter) emitConn(c conn) *event.Conn {
	r := e.r
	ev := e.connA.alloc()
	ev.TS = usec(c.ts)
	ev.UID = r.uid()
	ev.OrigH, ev.RespH = c.from, c.to
	ev.OrigP = c.fromPort
	if ev.OrigP == 0 {
		lo, n := 32768, 28232
		if c.src != nil {
			lo, n = c.src.ephemLo, c.src.ephemN
		}
		ev.OrigP = uint16(lo + r.IntN(n))
	}
	ev.RespP = c.port
	ev.Proto = c.proto
	ev.Service = c.service
	ev.Duration = c.dur.Truncate(time.Microsecond)
	ev.OrigBytes, ev.RespBytes = c.ob, c.rb
	ev.ConnState = c.state
	if ev.ConnState == "" {
		ev.ConnState = "SF"
	}
	if c.proto == "tcp" {
		switch ev.ConnState {
		case "S0":
			ev.OrigPkts, ev.RespPkts, ev.OrigBytes, ev.RespBytes = int64(1+r.IntN(3)), 0, 0, 0
		case "REJ":
			ev.OrigPkts, ev.RespPkts, ev.OrigBytes, ev.RespBytes = 1, 1, 0, 0
		default:
			ev.OrigPkts = 3 + c.ob/1448 + c.rb/2896
			ev.RespPkts = 2 + c.rb/1448 + c.ob/2896
		}
	} else {
		size := int64(1200)
		if c.rtp {
			size = 172
		}
		ev.OrigPkts = max(1, (c.ob+size-1)/size)
		if c.rb > 0 {
			ev.RespPkts = max(1, (c.rb+size-1)/size)
		}
	}
	if c.src != nil {
		ev.OrigL2 = c.src.mac
	}
	switch {
	case c.dst != nil && c.fromZone != nil && c.dst.home == c.fromZone:
		ev.RespL2 = c.dst.mac
	default:
		ev.RespL2 = e.h.core.mac // routed: the next hop is the core
	}
	if c.fromZone != nil {
		ev.VLAN = c.fromZone.VLAN
	}
	e.conns = append(e.conns, ev)

	established := false
	switch {
	case c.proto == "tcp":
		established = ev.ConnState != "S0" && ev.ConnState != "REJ"
		if established {
			if isLocal(c.from) {
				minTime(e.hosts, c.from, ev.TS)
			}
			if isLocal(c.to) {
				minTime(e.hosts, c.to, ev.TS)
			}
		}
	case c.rb > 0 && c.service != "":
		established = true
	}
	if established && isLocal(c.to) {
		k := svcKey{c.to, c.port, c.proto}
		if old, ok := e.svcs[k]; !ok || ev.TS.Before(old.ts) {
			e.svcs[k] = svcSeen{ev.TS, c.service}
		}
		if c.dst != nil {
			for i := range c.dst.prof.Software {
				s := &c.dst.prof.Software[i]
				if s.Port == c.port {
					e.sawSoftware(c.to, s, c.port, ev.TS)
				}
			}
		}
	}
	return ev
}

func (e *emitter) sawSoftware(host netip.Addr, s *softwareSpec, port uint16, ts time.Time) {
	k := swKey{host, s}
	if old, ok := e.sws[k]; !ok || ts.Before(old.ts) {
		e.sws[k] = swSeen{ts, port}
	}
}

// lookup emits a DNS query of name (and its conn record) from src at t and
// returns the answer and the time the answer arrived.
func (e *emitter) lookup(src *device, from netip.Addr, zone *zone, name, qtype string, t time.Time) (nameRec, time.Time) {
	rec, known := e.h.names[name]
	return e.lookupRec(src, from, zone, name, qtype, t, rec, known)
}

// lookupRec is lookup with the answer given.
func (e *emitter) lookupRec(src *device, from netip.Addr, zone *zone, name, qtype string, t time.Time, rec nameRec, known bool) (nameRec, time.Time) {
	r := e.r
	srv := e.h.dns[0]
	if r.chance(0.3) {
		srv = e.h.dns[1]
	}
	to := srv.v4
	if from.Is6() {
		to = srv.v6
	}
	lat := time.Duration(r.logn(dist{600e-6, 0.5}) * float64(time.Second))
	if rec.ext != nil && r.chance(0.3) {
		lat += time.Duration(r.logn(dist{25e-3, 0.7}) * float64(time.Second)) // recursion
	}
	ts := usec(t)
	if ts.Before(e.hs) {
		ts = e.hs
	}
	var answers []netip.Addr
	if qtype == "AAAA" {
		answers = rec.v6
	} else {
		answers = rec.v4
	}
	ob := int64(len(name) + 29)
	rb := ob + int64(len(answers))*16
	if qtype == "AAAA" {
		rb = ob + int64(len(answers))*28
	}
	rcode := "NOERROR"
	if !known {
		rcode = "NXDOMAIN"
		rb = ob + 60 // SOA in the authority section
	}
	if len(answers) == 0 {
		rb = ob + 60
	}
	c := e.emitConn(conn{ts: ts, src: src, from: from, fromZone: zone, dst: srv, to: to, port: 53,
		proto: "udp", service: "dns", dur: lat, ob: ob, rb: rb})
	q := e.dnsA.alloc()
	q.TS, q.UID = ts, c.UID
	q.OrigH, q.RespH, q.RespP, q.Proto = from, to, 53, "udp"
	q.Query, q.QType, q.RCode = name, qtype, rcode
	if len(answers) > 0 {
		q.Answers = make([]string, len(answers))
		q.TTLs = make([]time.Duration, len(answers))
		for i, a := range answers {
			q.Answers[i] = a.String()
			q.TTLs[i] = rec.ttl
		}
	}
	e.dnss = append(e.dnss, q)
	return rec, ts.Add(lat + time.Duration(100+r.IntN(1900))*time.Microsecond)
}

// tls emits the ssl record of an established TLS connection.
func (e *emitter) tls(c *event.Conn, spec *tlsSpec, sni, serverKey string, internal bool) {
	r := e.r
	s := e.sslA.alloc()
	rtt := time.Duration(r.logn(dist{20e-3, 0.6}) * float64(time.Second))
	if internal {
		rtt = time.Duration(r.logn(dist{1.2e-3, 0.5}) * float64(time.Second))
	}
	s.TS = usec(c.TS.Add(rtt))
	s.UID, s.OrigH, s.OrigP, s.RespH, s.RespP = c.UID, c.OrigH, c.OrigP, c.RespH, c.RespP
	if !spec.NoSNI {
		s.ServerName = sni
	}
	curve := spec.Curve
	if curve == "" {
		curve = "x25519"
	}
	if r.chance(spec.P13) {
		s.Version = "TLSv13"
		s.Cipher = tls13Ciphers[r.pickSkewed(len(tls13Ciphers))]
		if spec.Curve13 != "" && r.chance(0.85) {
			curve = spec.Curve13
		}
	} else {
		s.Version = "TLSv12"
		if spec.Legacy != "" {
			s.Version = spec.Legacy
		}
		s.Cipher = spec.Ciphers[r.pickSkewed(len(spec.Ciphers))]
	}
	if curve != "-" {
		s.Curve = curve
	}
	s.Established = !r.chance(spec.NotEstab)
	if s.Version != "TLSv13" && s.Established && !r.chance(spec.Resumed) {
		chain := e.h.certs.chains[serverKey]
		if len(chain) > 0 {
			s.CertChain = make([]string, len(chain))
			for i, ct := range chain {
				s.CertChain[i] = ct.fp
				if old, ok := e.certs[ct]; !ok || s.TS.Before(old) {
					e.certs[ct] = s.TS
				}
			}
		}
	}
	e.ssls = append(e.ssls, s)
}

var tls13Ciphers = []string{"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"}

// emitDHCP writes a device's DHCP exchange and the conn record it makes.
func (e *emitter) emitDHCP(d *device, tx dhcpTx) {
	r := e.r
	srv := e.h.dhcpSrv
	ev := e.dhcpA.alloc()
	ev.TS = usec(tx.ts)
	ev.ServerAddr = srv.v4
	ev.MAC = d.mac
	ev.HostName = d.hostname
	if d.prof.OS == osWindows && d.hostname != "" {
		ev.ClientFQDN = d.hostname + "." + domainSuffix
	}
	ev.Domain = domainSuffix
	ev.AssignedAddr = tx.addr
	ev.LeaseTime = tx.lease
	ev.ClientSoftware = d.prof.VendorClass
	c := conn{ts: ev.TS, dst: srv, to: srv.v4, port: 67, fromPort: 67, proto: "udp", service: "dhcp", fromZone: tx.zone}
	switch tx.kind {
	case txDiscover:
		ev.MsgTypes = []string{"DISCOVER", "OFFER", "REQUEST", "ACK"}
		ev.RequestedAddr = tx.addr
		c.from, c.dur, c.ob, c.rb = tx.zone.gateway, r.between(5*time.Millisecond, 1200*time.Millisecond), 2*(300+int64(r.IntN(60))), 2*(300+int64(r.IntN(40)))
	case txReboot:
		ev.MsgTypes = []string{"REQUEST", "ACK"}
		ev.RequestedAddr = tx.addr
		c.from, c.dur, c.ob, c.rb = tx.zone.gateway, r.between(time.Millisecond, 20*time.Millisecond), 300+int64(r.IntN(60)), 300+int64(r.IntN(40))
	case txRenew:
		ev.MsgTypes = []string{"REQUEST", "ACK"}
		ev.ClientAddr = tx.addr
		c.src, c.from, c.fromPort = d, tx.addr, 68
		c.dur, c.ob, c.rb = r.between(time.Millisecond, 20*time.Millisecond), 300+int64(r.IntN(60)), 300+int64(r.IntN(40))
	}
	if c.src == nil {
		c.src = e.h.core // the relay agent
	}
	e.dhcps = append(e.dhcps, ev)
	e.emitConn(c)
}

// worker generates the traffic of a fixed range of devices.
type worker struct {
	*emitter
	seed    uint64
	scale   float64
	factors *rhythmTable
	intents []intent
}

// intent is a connection a device will try to make at t.
type intent struct {
	t      time.Time
	flow   int32
	target int32 // device index for per-target series, -1 otherwise
}

// generate produces the events of devs in the hour [hs, he), sorted.
func (w *worker) generate(devs []*device, hour int, hs, he time.Time) {
	w.reset(hs, he)
	for _, d := range devs {
		w.r.reseed(w.seed, streamTraffic, uint64(d.idx), uint64(hour))
		for _, tx := range d.dhcp {
			if !tx.ts.Before(hs) && tx.ts.Before(he) {
				w.emitDHCP(d, tx)
			}
		}
		w.intents = w.intents[:0]
		for fi := range d.prof.Flows {
			w.plan(d, fi, hour, hs)
		}
		slices.SortStableFunc(w.intents, func(a, b intent) int { return a.t.Compare(b.t) })
		for _, in := range w.intents {
			w.execute(d, in)
		}
	}
	w.sortEvents()
}

// targets returns the devices a class or profile flow addresses.
func (h *hospital) targets(to string) []*device {
	kind, arg, _ := strings.Cut(to, ":")
	switch kind {
	case "class":
		return h.byClass[arg]
	case "profile":
		return h.byProf[arg]
	}
	return nil
}

// plan adds the intents of flow fi of d for the hour starting at hs.
func (w *worker) plan(d *device, fi, hour int, hs time.Time) {
	f := &d.prof.Flows[fi]
	var targets []*device
	if f.Each {
		targets = w.h.targets(f.To)
	}
	series := 1
	if f.Each {
		series = len(targets)
	}
	for k := range series {
		target := int32(-1)
		if f.Each {
			if targets[k] == d {
				continue
			}
			target = int32(targets[k].idx)
		}
		if f.Every > 0 {
			w.planPeriodic(d, f, fi, int(target), hs)
			continue
		}
		lambda := f.Rate * w.factors.at(f.Rhythm, hour) * w.scale
		for range w.r.poisson(lambda) {
			w.intents = append(w.intents, intent{t: usec(hs.Add(w.r.within(time.Hour))), flow: int32(fi), target: target})
		}
	}
}

func (w *worker) planPeriodic(d *device, f *Flow, fi, target int, hs time.Time) {
	period := time.Duration(float64(f.Every) / w.scale)
	if period < time.Second {
		period = time.Second
	}
	phaseSeed := mix(w.seed, streamTraffic, uint64(d.idx), uint64(fi), uint64(target+1))
	origin := w.h.opts.Start
	if f.Rhythm == rhythmNight && f.Every >= 24*time.Hour {
		origin = origin.Add(time.Hour + time.Duration(phaseSeed%uint64(3*time.Hour)))
	} else {
		origin = origin.Add(time.Duration(phaseSeed % uint64(period)))
	}
	jitter := min(period/50, 20*time.Second)
	k := int64(0)
	if hs.After(origin) {
		k = int64(hs.Sub(origin)+period-1) / int64(period)
	}
	for ; ; k++ {
		t := origin.Add(time.Duration(k) * period)
		if !t.Before(hs.Add(time.Hour)) {
			return
		}
		if t.Before(hs) {
			continue
		}
		t = usec(t.Add(w.r.within(jitter + 1)))
		w.intents = append(w.intents, intent{t: t, flow: int32(fi), target: int32(target)})
	}
}

// execute makes one connection attempt of d.
func (w *worker) execute(d *device, in intent) {
	f := &d.prof.Flows[in.flow]
	src, zone, ok := d.at(in.t)
	if !ok {
		return
	}
	r := w.r
	t := in.t
	kind, arg, _ := strings.Cut(f.To, ":")
	c := conn{src: d, from: src, fromZone: zone, port: f.Port, proto: f.Proto, service: f.Service}
	var sni, serverKey string
	internal := true
	switch kind {
	case "host", "name":
		c.dst = w.h.infra[arg]
		c.to = c.dst.v4
		serverKey = arg
		if f.V6 && d.v6.IsValid() && c.dst.v6.IsValid() {
			c.from, c.to = d.v6, c.dst.v6
		}
		if kind == "name" {
			name := arg + "." + domainSuffix
			sni = name
			_, at := w.resolveCached(d, c.from, zone, name, t)
			if at.IsZero() {
				return
			}
			t = at
		}
	case "dns":
		name := f.Names[r.pickSkewed(len(f.Names))]
		rec, at := w.resolveCached(d, src, zone, name, t)
		if f.Proto == "dns" || at.IsZero() || len(rec.v4) == 0 {
			return
		}
		t = at
		c.to = rec.v4[r.IntN(len(rec.v4))]
		sni, serverKey, internal = name, name, false
	case "class", "profile":
		if in.target >= 0 {
			c.dst = w.h.devices[in.target]
		} else {
			c.dst = w.pickOnline(w.h.targets(f.To), d, t)
		}
		if c.dst == nil {
			return
		}
		a, _, up := c.dst.at(t)
		if !up {
			return
		}
		c.to = a
		if f.ByName {
			if c.dst.fqdn == "" {
				return
			}
			sni, serverKey = c.dst.fqdn, c.dst.prof.Key
			_, at := w.resolveCached(d, src, zone, c.dst.fqdn, t)
			if at.IsZero() {
				return
			}
			t = at
		}
	case "offer":
		c.dst = w.pickOnline(w.h.medical, d, t)
		if c.dst == nil {
			return
		}
		a, _, up := c.dst.at(t)
		if !up {
			return
		}
		o := c.dst.prof.Offers[r.IntN(len(c.dst.prof.Offers))]
		c.to, c.port, c.proto, c.service = a, o.Port, o.Proto, o.Service
	case "bcast":
		c.to = zone.bcast
	}
	if f.PortHi > f.Port {
		c.port = f.Port + 2*uint16(r.IntN(int(f.PortHi-f.Port)/2+1))
		c.rtp = true
	}
	if c.port == 123 && c.proto == "udp" && d.prof.OS != osAndroid {
		c.fromPort = 123
	}
	if c.proto == "icmp" {
		c.fromPort, c.port, c.state = 8, 0, "OTH" // echo request, code 0
	}
	c.ts = t
	if r.chance(f.Fail) {
		if c.proto != "icmp" {
			c.state = "S0"
		}
		if c.proto == "tcp" {
			if r.chance(0.5) {
				c.state = "REJ"
				c.dur = time.Duration(200+r.IntN(800)) * time.Microsecond
			} else {
				c.dur = r.between(3*time.Second, 21*time.Second)
			}
		} else {
			c.ob = int64(r.logn(f.Orig))
		}
		w.emitConn(c)
		return
	}
	c.ob = int64(r.logn(f.Orig))
	c.rb = int64(r.logn(f.Resp))
	secs := r.logn(f.Dur)
	if f.Bps > 0 {
		secs += float64(c.ob+c.rb) / (f.Bps * r.logn(dist{1, 0.3}))
	}
	c.dur = time.Duration(secs * float64(time.Second))
	if c.proto == "tcp" {
		switch x := r.Float64(); {
		case x < 0.03:
			c.state = "RSTO"
		case x < 0.04:
			c.state = "RSTR"
		}
	} else if c.rb == 0 && c.proto != "icmp" {
		c.state = "S0"
	}
	ev := w.emitConn(c)
	if f.TLS != nil {
		w.tls(ev, f.TLS, sni, serverKey, internal)
	}
	if f.Software {
		for i := range d.prof.Software {
			if s := &d.prof.Software[i]; s.Port == 0 {
				w.sawSoftware(c.from, s, 0, ev.TS)
			}
		}
	}
}

// resolveCached looks name up unless d has it cached. It returns the answer
// and when the connection can start; a zero time means the name did not
// resolve.
func (w *worker) resolveCached(d *device, from netip.Addr, zone *zone, name string, t time.Time) (nameRec, time.Time) {
	if d.prof.DNSCache {
		if exp, ok := d.dnsCache[name]; ok && t.Before(exp) {
			return w.h.names[name], t
		}
	}
	rec, at := w.lookup(d, from, zone, name, "A", t)
	if d.v6.IsValid() {
		w.lookup(d, d.v6, zone, name, "AAAA", t.Add(50*time.Microsecond))
	}
	if d.prof.DNSCache && rec.ttl > 0 {
		if d.dnsCache == nil {
			d.dnsCache = map[string]time.Time{}
		}
		d.dnsCache[name] = at.Add(rec.ttl)
	}
	if len(rec.v4) == 0 && len(rec.v6) == 0 {
		return rec, time.Time{}
	}
	return rec, at
}

// pickOnline picks a random device of list, other than self, that is up at t.
func (w *worker) pickOnline(list []*device, self *device, t time.Time) *device {
	if len(list) == 0 {
		return nil
	}
	for range 4 {
		d := list[w.r.IntN(len(list))]
		if d == self {
			continue
		}
		if _, _, up := d.at(t); up {
			return d
		}
	}
	return nil
}

// rhythmTable holds the activity factor of every rhythm for every hour of
// the run.
type rhythmTable struct{ f [5][]float64 }

func newRhythmTable(start time.Time, hours int) *rhythmTable {
	rt := &rhythmTable{}
	for r := range rt.f {
		rt.f[r] = make([]float64, hours)
		for i := range hours {
			rt.f[r][i] = rhythmFactor(rhythm(r), start.Add(time.Duration(i)*time.Hour))
		}
	}
	return rt
}

func (rt *rhythmTable) at(r rhythm, hour int) float64 { return rt.f[r][hour] }

// officeShape is the share of office-hours activity by hour of the day in a
// hospital: never zero (night shifts), highest from 8 to 17.
var officeShape = [24]float64{0.12, 0.1, 0.1, 0.1, 0.12, 0.18, 0.35, 0.75, 1, 1, 1, 1, 0.85, 1, 1, 1, 0.95, 0.75, 0.55, 0.45, 0.4, 0.3, 0.22, 0.15}

func rhythmFactor(r rhythm, t time.Time) float64 {
	hour := t.Hour()
	weekend := t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
	switch r {
	case rhythmClinical:
		return 0.85 + float64(0.3*officeShape[hour])
	case rhythmOffice:
		f := officeShape[hour]
		if weekend {
			f *= 0.45
		}
		return f
	case rhythmExams:
		f := 0.25
		switch {
		case hour >= 7 && hour < 19:
			f = 1
		case hour >= 19 && hour < 23:
			f = 0.45
		}
		if weekend {
			f *= 0.6
		}
		return f
	}
	return 1
}

// macLess orders DHCP records of the same instant by MAC.
func macLess(a, b net.HardwareAddr) int { return strings.Compare(string(a), string(b)) }
