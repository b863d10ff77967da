package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// Labelled attack scenarios. Each picks its device(s) and its timing from
// the seed when the run starts, writes its records through the same Hour
// hook as any Scenario (so they look like any other traffic in the logs)
// and notes every record it wrote in truth.json under "attacks".
//
// Attacks start after Options.Learning (default: three quarters of the
// run), each at its own seeded offset within the first quarter of the
// attack window; records that would fall after the end of the run are not
// written.

// Names of the attack scenarios, in the order they are run and reported.
const (
	AttackExfiltration        = "exfiltration"
	AttackLateralMovement     = "lateral-movement"
	AttackC2Beaconing         = "c2-beaconing"
	AttackNewCloudDomain      = "new-cloud-domain"
	AttackInternalScan        = "internal-scan"
	AttackSpoofedUpdateServer = "spoofed-update-server"
)

// AttackNames lists every attack scenario; "all" in Options.Attacks
// selects them all.
var AttackNames = []string{AttackExfiltration, AttackLateralMovement, AttackC2Beaconing,
	AttackNewCloudDomain, AttackInternalScan, AttackSpoofedUpdateServer}

// Ports an internal scan probes on every address.
var scanPorts = []uint16{22, 80, 104, 443, 445, 2575, 3389, 8080}

// TruthAttack is the ground truth of one attack scenario: who, against
// whom, when, and the uid of every record it wrote.
type TruthAttack struct {
	Name     string    `json:"name"`
	Detail   string    `json:"detail"` // what the scenario did, in words
	DeviceID string    `json:"device_id"`
	MAC      string    `json:"mac"`
	IPs      []string  `json:"ips"`                  // the device's addresses in the records
	Peers    []string  `json:"peers"`                // addresses it talked to (resolvers excluded)
	Names    []string  `json:"names,omitempty"`      // domain names it looked up or sent as SNI
	Start    time.Time `json:"start"`                // first record
	End      time.Time `json:"end"`                  // end of the last record
	ConnUIDs []string  `json:"conn_uids"`            // every conn.log record, DNS conns included
	DNSUIDs  []string  `json:"dns_uids,omitempty"`   // dns.log records
	SSLUIDs  []string  `json:"ssl_uids,omitempty"`   // ssl.log records
	Software []string  `json:"software,omitempty"`   // software.log records, "name version" (no uid in that log)
	Period   float64   `json:"period_s,omitempty"`   // c2-beaconing: nominal period in seconds
	Targets  int       `json:"scan_hosts,omitempty"` // internal-scan: addresses probed
}

// attackList returns the canonical list of attacks names selects.
func attackList(names []string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			switch {
			case part == "":
			case part == "all":
				for _, a := range AttackNames {
					want[a] = true
				}
			case slices.Contains(AttackNames, part):
				want[part] = true
			default:
				return nil, fmt.Errorf("%w: unknown attack %q (known: %s, all)", ErrBadOptions, part, strings.Join(AttackNames, ", "))
			}
		}
	}
	var out []string
	for _, a := range AttackNames {
		if want[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

// step is an action of an attack at a planned time.
type step struct {
	t  time.Time
	do func(hr *Hour) error
}

// attack is a planned attack scenario; it implements Scenario.
type attack struct {
	name   string
	dev    *device
	steps  []step
	next   int
	detail string
	period time.Duration
	hosts  int

	truthRec TruthAttack
	ips      map[netip.Addr]bool
	peers    map[netip.Addr]bool
	names    map[string]bool
	end      time.Time
}

func (a *attack) Name() string { return "attack " + a.name }

func (a *attack) Inject(hr *Hour) error {
	for ; a.next < len(a.steps) && a.steps[a.next].t.Before(hr.End()); a.next++ {
		s := a.steps[a.next]
		if s.t.Before(hr.Start()) {
			continue
		}
		if err := s.do(hr); err != nil {
			return err
		}
	}
	return nil
}

func (a *attack) at(t time.Time, do func(hr *Hour) error) {
	a.steps = append(a.steps, step{t: usec(t), do: do})
}

// up reports whether the attacking device is up at t.
func (a *attack) up(t time.Time) bool {
	_, _, ok := a.dev.at(t)
	return ok
}

func (a *attack) noteConn(c *event.Conn) {
	a.truthRec.ConnUIDs = append(a.truthRec.ConnUIDs, c.UID)
	if a.truthRec.Start.IsZero() || c.TS.Before(a.truthRec.Start) {
		a.truthRec.Start = c.TS
	}
	if e := c.TS.Add(c.Duration); e.After(a.end) {
		a.end = e
	}
	if c.OrigL2.String() == a.dev.mac.String() {
		a.ips[c.OrigH] = true
	}
}

// connect emits c from the attacking device (when up) and notes it.
func (a *attack) connect(hr *Hour, c Connection) (*event.Conn, error) {
	if !a.up(c.TS) {
		return nil, nil
	}
	d := Device{a.dev}
	c.From = &d
	ev, err := hr.connect(c)
	if err != nil {
		return nil, err
	}
	a.noteConn(ev)
	if c.To != nil {
		a.peers[ev.RespH] = true
	} else {
		a.peers[c.ToAddr] = true
	}
	return ev, nil
}

// tls adds the ssl record of an established connection; sni "" sends none.
func (a *attack) tls(hr *Hour, ev *event.Conn, sni string) {
	if ev == nil || ev.ConnState == "S0" || ev.ConnState == "REJ" {
		return
	}
	spec := &tlsSpec{NoSNI: sni == "", Ciphers: []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}
	n := len(hr.e.ssls)
	hr.e.tls(ev, spec, sni, sni, isLocal(ev.RespH))
	for _, s := range hr.e.ssls[n:] {
		a.truthRec.SSLUIDs = append(a.truthRec.SSLUIDs, s.UID)
	}
	if sni != "" {
		a.names[sni] = true
	}
}

// lookup resolves name to answer from the attacking device and returns when
// the answer arrived (zero when the device is down).
func (a *attack) lookup(hr *Hour, name string, answer netip.Addr, t time.Time) time.Time {
	if !a.up(t) {
		return time.Time{}
	}
	nc, nd := len(hr.e.conns), len(hr.e.dnss)
	at, err := hr.Lookup(Device{a.dev}, name, []netip.Addr{answer}, t)
	if err != nil {
		return time.Time{}
	}
	for _, c := range hr.e.conns[nc:] {
		a.noteConn(c)
	}
	for _, q := range hr.e.dnss[nd:] {
		a.truthRec.DNSUIDs = append(a.truthRec.DNSUIDs, q.UID)
	}
	a.names[name] = true
	return at
}

func (a *attack) truth() TruthAttack {
	t := a.truthRec
	t.Name, t.Detail, t.DeviceID, t.MAC = a.name, a.detail, a.dev.id, a.dev.mac.String()
	t.End = a.end
	t.Period = a.period.Seconds()
	t.Targets = a.hosts
	t.IPs = sortedAddrs(a.ips)
	t.Peers = sortedAddrs(a.peers)
	for n := range a.names {
		t.Names = append(t.Names, n)
	}
	slices.Sort(t.Names)
	t.ConnUIDs = nonNil(t.ConnUIDs)
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortedAddrs(m map[netip.Addr]bool) []string {
	as := make([]netip.Addr, 0, len(m))
	for x := range m {
		as = append(as, x)
	}
	slices.SortFunc(as, netip.Addr.Compare)
	out := make([]string, len(as))
	for i, x := range as {
		out[i] = x.String()
	}
	return out
}

// planner holds what the attacks of a run share.
type planner struct {
	h          *hospital
	start, end time.Time // the attack window
	used       map[netip.Addr]bool
	infra      map[*device]bool
}

// planAttacks plans the attacks h.opts selects.
func planAttacks(h *hospital) ([]*attack, error) {
	names, err := attackList(h.opts.Attacks)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	learning := h.opts.Learning
	if learning == 0 {
		learning = (time.Duration(h.opts.Hours) * time.Hour * 3 / 4).Truncate(time.Minute)
	}
	p := &planner{h: h, start: h.opts.Start.Add(learning), end: h.opts.end(),
		used: map[netip.Addr]bool{}, infra: map[*device]bool{}}
	for _, rec := range h.names {
		for _, x := range rec.v4 {
			p.used[x] = true
		}
	}
	for _, d := range h.infra {
		p.infra[d] = true
	}
	var out []*attack
	for _, name := range names {
		i := slices.Index(AttackNames, name)
		r := newRNG(uint64(h.opts.Seed), streamScenario, 1<<32, uint64(i))
		a := &attack{name: name, ips: map[netip.Addr]bool{}, peers: map[netip.Addr]bool{}, names: map[string]bool{}}
		start := usec(p.start.Add(r.within(p.end.Sub(p.start) / 4)))
		var err error
		switch name {
		case AttackExfiltration:
			err = p.exfiltration(a, r, start)
		case AttackLateralMovement:
			err = p.lateral(a, r, start)
		case AttackC2Beaconing:
			err = p.beaconing(a, r, start)
		case AttackNewCloudDomain:
			err = p.newDomain(a, r, start)
		case AttackInternalScan:
			err = p.scan(a, r, start)
		case AttackSpoofedUpdateServer:
			err = p.spoofedUpdate(a, r, start)
		}
		if err != nil {
			return nil, fmt.Errorf("simulate: attack %s: %w", name, err)
		}
		// Drop what would fall after the run.
		a.steps = slices.DeleteFunc(a.steps, func(s step) bool { return !s.t.Before(p.end) })
		slices.SortStableFunc(a.steps, func(x, y step) int { return x.t.Compare(y.t) })
		out = append(out, a)
	}
	return out, nil
}

// pick chooses, from the seed, a device that matches one of the filters in
// turn (the first filter that any device matches wins), preferring devices
// up for the whole span [from, to).
func (p *planner) pick(r *rng, from, to time.Time, filters ...func(d *device) bool) (*device, error) {
	// Devices online since the run started come first: their baselines
	// have had the whole learning period, which is what an attack on a
	// device that a detector is expected to know needs.
	seasoned := func(d *device) bool { return len(d.online) > 0 && !d.online[0].from.After(p.h.opts.Start) }
	first := make([]func(d *device) bool, 0, 2*len(filters)+1)
	for _, f := range filters {
		first = append(first, func(d *device) bool { return seasoned(d) && f(d) })
	}
	filters = append(append(first, filters...), func(d *device) bool { return true })
	for _, f := range filters {
		var whole, atStart []*device
		for _, d := range p.h.devices {
			if p.infra[d] || !f(d) {
				continue
			}
			if _, _, ok := d.at(from); !ok {
				continue
			}
			atStart = append(atStart, d)
			if upThrough(d, from, to) {
				whole = append(whole, d)
			}
		}
		if len(whole) > 0 {
			return whole[r.IntN(len(whole))], nil
		}
		if len(atStart) > 0 {
			return atStart[r.IntN(len(atStart))], nil
		}
	}
	return nil, fmt.Errorf("no device up at %s", from.Format(time.RFC3339))
}

// upThrough reports whether d keeps one address over [from, to).
func upThrough(d *device, from, to time.Time) bool {
	for _, o := range d.online {
		if !from.Before(o.from) && !to.After(o.to) {
			return true
		}
	}
	return false
}

func ofClass(classes ...string) func(d *device) bool {
	return func(d *device) bool { return slices.Contains(classes, d.prof.Class) }
}

// freshExternal returns an address of 198.51.100.0/24 or 203.0.113.0/24
// that no name of the simulated internet and no other attack uses.
func (p *planner) freshExternal(r *rng) netip.Addr {
	nets := [2][3]byte{{198, 51, 100}, {203, 0, 113}}
	for {
		n := nets[r.IntN(2)]
		x := netip.AddrFrom4([4]byte{n[0], n[1], n[2], byte(1 + r.IntN(254))})
		if !p.used[x] {
			p.used[x] = true
			return x
		}
	}
}

// slug is a lower-case, alphanumeric short name of a device's vendor.
func slug(d *device) string {
	var b strings.Builder
	for _, c := range strings.ToLower(d.prof.Manufacturer) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			continue
		}
		if b.Len() > 0 {
			break
		}
	}
	if b.Len() == 0 {
		return "device"
	}
	return b.String()
}

// exfiltration: a patient monitor or infusion pump uploads 8 to 12 chunks
// of 20 to 50 MB over TLS (no SNI) to a never-seen external address on 443,
// back to back at 1 to 3 MB/s: a few hundred MB in several minutes.
func (p *planner) exfiltration(a *attack, r *rng, start time.Time) error {
	d, err := p.pick(r, start, start.Add(20*time.Minute), ofClass(ClassPatientMonitor, ClassInfusionPump))
	if err != nil {
		return err
	}
	a.dev = d
	peer := p.freshExternal(r)
	n := 8 + r.IntN(5)
	t := start
	var total int64
	for range n {
		ob := int64(20e6 + r.IntN(30e6))
		rb := int64(4000 + r.IntN(16000))
		rate := 1e6 + 2e6*r.Float64()
		dur := time.Duration(float64(ob) / rate * float64(time.Second))
		at := t
		a.at(at, func(hr *Hour) error {
			ev, err := a.connect(hr, Connection{TS: at, ToAddr: peer, Port: 443, Proto: "tcp", Service: "ssl",
				Duration: dur, OrigBytes: ob, RespBytes: rb})
			a.tls(hr, ev, "")
			return err
		})
		total += ob
		t = t.Add(dur + r.between(time.Second, 8*time.Second))
	}
	a.detail = fmt.Sprintf("%d TLS uploads to %s:443 totalling %d bytes", n, peer, total)
	return nil
}

// lateral: an infusion pump opens SMB (445, established), RDP (3389,
// established) and SSH (22, rejected) sessions to the EHR server, 7
// connections 20 to 90 s apart.
func (p *planner) lateral(a *attack, r *rng, start time.Time) error {
	ehr := p.h.infra["ehr01"]
	if l := p.h.byClass[ClassEHRServer]; ehr == nil && len(l) > 0 {
		ehr = l[0]
	}
	if ehr == nil {
		return fmt.Errorf("no EHR server")
	}
	d, err := p.pick(r, start, start.Add(15*time.Minute), ofClass(ClassInfusionPump), ofClass(ClassPatientMonitor))
	if err != nil {
		return err
	}
	a.dev = d
	target := Device{ehr}
	type try struct {
		port    uint16
		service string
		state   string
		ob, rb  int64
		dur     time.Duration
	}
	plan := []try{
		{445, "smb", "", 2000, 1500, 2 * time.Second}, {445, "smb", "", 9000, 40000, 20 * time.Second}, {445, "smb", "", 3000, 2000, 3 * time.Second},
		{3389, "rdp", "", 3500, 6000, 8 * time.Second}, {3389, "rdp", "", 2500, 5000, 4 * time.Second},
		{22, "", "REJ", 0, 0, 600 * time.Microsecond}, {22, "", "REJ", 0, 0, 700 * time.Microsecond},
	}
	t := start
	for _, x := range plan {
		at := t
		ob, rb := x.ob+int64(r.IntN(500)), x.rb+int64(r.IntN(500))
		dur := x.dur + r.within(time.Second)
		if x.state == "REJ" {
			dur = x.dur
		}
		a.at(at, func(hr *Hour) error {
			if _, up := target.AddrAt(at); !up {
				return nil
			}
			_, err := a.connect(hr, Connection{TS: at, To: &target, Port: x.port, Proto: "tcp", Service: x.service,
				Duration: dur, OrigBytes: ob, RespBytes: rb, State: x.state})
			return err
		})
		t = t.Add(r.between(20*time.Second, 90*time.Second))
	}
	a.detail = fmt.Sprintf("SMB, RDP and SSH connections to the EHR server %s", ehr.id)
	return nil
}

// beaconing: a medical device connects every N s (N = 60, 120 or 300; each
// interval N ± 10 %, uniform) to a never-seen external address on 443,
// sending 512 bytes and receiving 128, for 6 hours or until the end of the
// run.
func (p *planner) beaconing(a *attack, r *rng, start time.Time) error {
	span := min(6*time.Hour, p.end.Sub(start))
	d, err := p.pick(r, start, start.Add(span), ofClass(ClassPatientMonitor, ClassInfusionPump, ClassVentilator, ClassImagingUltrasound, ClassLabAnalyzer))
	if err != nil {
		return err
	}
	a.dev = d
	peer := p.freshExternal(r)
	a.period = []time.Duration{60 * time.Second, 120 * time.Second, 300 * time.Second}[r.IntN(3)]
	for t := start; t.Before(start.Add(span)); {
		at := t
		dur := time.Duration(80+r.IntN(120)) * time.Millisecond
		a.at(at, func(hr *Hour) error {
			ev, err := a.connect(hr, Connection{TS: at, ToAddr: peer, Port: 443, Proto: "tcp", Service: "ssl",
				Duration: dur, OrigBytes: 512, RespBytes: 128})
			a.tls(hr, ev, "")
			return err
		})
		jit := time.Duration((r.Float64()*0.2 - 0.1) * float64(a.period))
		t = usec(t.Add(a.period + jit))
	}
	a.detail = fmt.Sprintf("beacon to %s:443 every %s ± 10 %%, 512/128 bytes", peer, a.period)
	return nil
}

// newDomain: a device with a vendor cloud resolves a look-alike of it
// (www.medtroniccarelink.net gives medtroniccarelink-update.com) to a
// never-seen external address and connects to it over TLS with that SNI
// right after the answer, four times 8 to 12 minutes apart.
func (p *planner) newDomain(a *attack, r *rng, start time.Time) error {
	cloud := func(d *device) string {
		for _, f := range d.prof.Flows {
			if f.To == "dns" && f.Proto == "tcp" && len(f.Names) > 0 && !strings.HasSuffix(f.Names[0], domainSuffix) {
				return f.Names[0]
			}
		}
		return ""
	}
	d, err := p.pick(r, start, start.Add(45*time.Minute), func(d *device) bool {
		return cloud(d) != "" && d.prof.Class != ClassClinicalWorkstation
	}, func(d *device) bool { return cloud(d) != "" })
	if err != nil {
		return err
	}
	a.dev = d
	var name string
	if c := cloud(d); c != "" {
		labels := strings.Split(strings.TrimPrefix(c, "www."), ".")
		name = strings.Join(labels[:max(1, len(labels)-1)], "-") + "-update.com"
	} else {
		name = slug(d) + "-cloud-update.com"
	}
	peer := p.freshExternal(r)
	t := start
	for range 4 {
		at := t
		ob, rb := int64(3000+r.IntN(17000)), int64(20000+r.IntN(180000))
		dur := r.between(time.Second, 6*time.Second)
		a.at(at, func(hr *Hour) error {
			ans := a.lookup(hr, name, peer, at)
			if ans.IsZero() {
				return nil
			}
			ev, err := a.connect(hr, Connection{TS: ans, ToAddr: peer, Port: 443, Proto: "tcp", Service: "ssl",
				Duration: dur, OrigBytes: ob, RespBytes: rb})
			a.tls(hr, ev, name)
			return err
		})
		t = t.Add(r.between(8*time.Minute, 12*time.Minute))
	}
	a.detail = fmt.Sprintf("DNS then TLS to look-alike %s (%s)", name, peer)
	return nil
}

// scan: a clinical workstation probes the first 64 addresses of its zone
// on 8 ports (22, 80, 104, 443, 445, 2575, 3389, 8080), one probe every 150
// to 450 ms: S0 where no host is up, REJ where the port is closed, RSTO
// with no payload where the host offers the port.
func (p *planner) scan(a *attack, r *rng, start time.Time) error {
	d, err := p.pick(r, start, start.Add(10*time.Minute), ofClass(ClassClinicalWorkstation))
	if err != nil {
		return err
	}
	a.dev = d
	self, z, _ := d.at(start)
	owners := map[netip.Addr]*device{}
	for _, o := range p.h.devices {
		if x, _, ok := o.at(start); ok {
			owners[x] = o
		}
	}
	n := min(64, z.size()-2)
	t := start
	for i := 1; i <= n; i++ {
		addr := z.addrAt(i)
		if addr == self {
			continue
		}
		a.hosts++
		for _, port := range scanPorts {
			at := t
			a.at(at, func(hr *Hour) error {
				c := Connection{TS: at, ToAddr: addr, Port: port, Proto: "tcp", State: "S0"}
				if o := owners[addr]; o != nil {
					if x, _, ok := o.at(at); ok && x == addr {
						od := Device{o}
						c.To, c.ToAddr = &od, netip.Addr{}
						c.State, c.Duration = "REJ", time.Duration(300+hr.Rand().IntN(900))*time.Microsecond
						if slices.ContainsFunc(o.prof.Offers, func(s Service) bool { return s.Port == port && s.Proto == "tcp" }) {
							c.State = "RSTO"
						}
					}
				}
				_, err := a.connect(hr, c)
				return err
			})
			t = t.Add(r.between(150*time.Millisecond, 450*time.Millisecond))
		}
	}
	a.detail = fmt.Sprintf("TCP probes of %d addresses of %s on %d ports", a.hosts, z.Prefix, len(scanPorts))
	return nil
}

// spoofedUpdate: a device resolves update-<vendor>.net to a never-seen
// external address, downloads 8 to 40 MB of "firmware" over plain HTTP
// (port 80) and, 2 to 5 minutes later, reports a new version in
// software.log: its client software's version with the last number bumped
// (an HTTP::BROWSER "<vendor>-fwupdate" with the device's firmware when its
// profile has no client software). The old version is logged with the
// download request, the new one after the update.
func (p *planner) spoofedUpdate(a *attack, r *rng, start time.Time) error {
	client := func(d *device) *softwareSpec {
		for i := range d.prof.Software {
			if s := &d.prof.Software[i]; s.Port == 0 && s.Version != "" {
				return s
			}
		}
		return nil
	}
	d, err := p.pick(r, start, start.Add(15*time.Minute),
		ofClass(ClassPatientMonitor, ClassInfusionPump, ClassVentilator, ClassImagingUltrasound, ClassLabAnalyzer),
		func(d *device) bool { return client(d) != nil })
	if err != nil {
		return err
	}
	a.dev = d
	name := "update-" + slug(d) + ".net"
	sw := softwareSpec{Type: "HTTP::BROWSER", Name: slug(d) + "-fwupdate", Version: d.firmware}
	if s := client(d); s != nil {
		sw = *s
	}
	oldV := sw.Version
	newV := bumpVersion(oldV)
	peer := p.freshExternal(r)
	rb := int64(8e6 + r.IntN(32e6))
	dur := time.Duration(float64(rb) / (1e6 + 2e6*r.Float64()) * float64(time.Second))
	after := r.between(2*time.Minute, 5*time.Minute)
	var addr netip.Addr
	var done time.Time
	a.at(start, func(hr *Hour) error {
		ans := a.lookup(hr, name, peer, start)
		if ans.IsZero() {
			return nil
		}
		ev, err := a.connect(hr, Connection{TS: ans, ToAddr: peer, Port: 80, Proto: "tcp", Service: "http",
			Duration: dur, OrigBytes: int64(350 + hr.Rand().IntN(200)), RespBytes: rb})
		if err != nil || ev == nil {
			return err
		}
		addr, done = ev.OrigH, ev.TS.Add(dur)
		return a.software(hr, ev.TS, addr, sw, oldV)
	})
	a.at(start.Add(dur+after), func(hr *Hour) error {
		if !addr.IsValid() {
			return nil
		}
		return a.software(hr, done.Add(after), addr, sw, newV)
	})
	a.detail = fmt.Sprintf("HTTP firmware download from %s (%s), then %s %s -> %s", name, peer, sw.Name, oldV, newV)
	return nil
}

func (a *attack) software(hr *Hour, t time.Time, host netip.Addr, sw softwareSpec, version string) error {
	unparsed := sw.Unparsed
	if unparsed == "" || !strings.Contains(unparsed, sw.Version) {
		unparsed = sw.Name + "/" + version
	} else {
		unparsed = strings.Replace(unparsed, sw.Version, version, 1)
	}
	v := version
	if sw.Addl != "" {
		v += "-" + sw.Addl
	}
	a.truthRec.Software = append(a.truthRec.Software, sw.Name+" "+v)
	if e := usec(t); e.After(a.end) {
		a.end = e
	}
	return hr.Emit(&event.Software{TS: usec(t), Host: host, SoftwareType: sw.Type, Name: sw.Name, Version: v, UnparsedVersion: unparsed})
}

// bumpVersion increments the last number of a dotted version ("10.0" gives
// "10.1"); a version without one gets ".1".
func bumpVersion(v string) string {
	i := strings.LastIndexAny(v, "0123456789")
	if i < 0 {
		return v + ".1"
	}
	j := i
	for j > 0 && v[j-1] >= '0' && v[j-1] <= '9' {
		j--
	}
	n, err := strconv.Atoi(v[j : i+1])
	if err != nil {
		return v + ".1"
	}
	digits := strconv.Itoa(n + 1)
	for len(digits) < i+1-j {
		digits = "0" + digits // keep the width: "N.01" gives "N.02"
	}
	return v[:j] + digits + v[i+1:]
}
