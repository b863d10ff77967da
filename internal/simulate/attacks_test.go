package simulate

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// logs is what a run wrote, read back with the zeek Reader.
type logs struct {
	conns map[string]event.Conn
	dnss  map[string][]event.DNS
	ssls  map[string]event.SSL
	sws   []event.Software
}

func readLogs(t *testing.T, dir string) *logs {
	t.Helper()
	l := &logs{conns: map[string]event.Conn{}, dnss: map[string][]event.DNS{}, ssls: map[string]event.SSL{}}
	readLog(t, filepath.Join(dir, LogDir, "conn.log"), func(ev event.Event) {
		c := *ev.(*event.Conn)
		if _, dup := l.conns[c.UID]; dup {
			t.Errorf("duplicate conn uid %s", c.UID)
		}
		l.conns[c.UID] = c
	})
	readLog(t, filepath.Join(dir, LogDir, "dns.log"), func(ev event.Event) {
		q := *ev.(*event.DNS)
		l.dnss[q.UID] = append(l.dnss[q.UID], q)
	})
	readLog(t, filepath.Join(dir, LogDir, "ssl.log"), func(ev event.Event) {
		s := *ev.(*event.SSL)
		l.ssls[s.UID] = s
	})
	readLog(t, filepath.Join(dir, LogDir, "software.log"), func(ev event.Event) {
		l.sws = append(l.sws, *ev.(*event.Software))
	})
	return l
}

func isDocExternal(a netip.Addr) bool {
	return netip.MustParsePrefix("198.51.100.0/24").Contains(a) || netip.MustParsePrefix("203.0.113.0/24").Contains(a)
}

var attackOpts = Options{Seed: 7, Devices: 120, Hours: 12}

func TestAttacks(t *testing.T) {
	baseDir, _ := runSim(t, attackOpts)
	opts := attackOpts
	opts.Attacks = []string{"all"}
	dir, tr := runSim(t, opts)
	base, got := readLogs(t, baseDir), readLogs(t, dir)

	if len(tr.Attacks) != len(AttackNames) {
		t.Fatalf("%d attacks in truth, want %d", len(tr.Attacks), len(AttackNames))
	}
	attackStart := opts.Start
	if attackStart.IsZero() {
		attackStart = DefaultStart
	}
	attackStart = attackStart.Add(9 * time.Hour)
	end := DefaultStart.Add(12 * time.Hour)

	// The records added to the baseline are exactly those the truth lists.
	wantConn, wantDNS, wantSSL := map[string]string{}, map[string]string{}, map[string]string{}
	for _, a := range tr.Attacks {
		for _, set := range []struct {
			uids []string
			m    map[string]string
		}{{a.ConnUIDs, wantConn}, {a.DNSUIDs, wantDNS}, {a.SSLUIDs, wantSSL}} {
			for _, u := range set.uids {
				if other, dup := set.m[u]; dup {
					t.Errorf("uid %s listed by %s and %s", u, other, a.Name)
				}
				set.m[u] = a.Name
			}
		}
		if a.Start.Before(attackStart) || a.End.After(end.Add(time.Hour)) || !a.Start.Before(a.End) {
			t.Errorf("%s: span %s - %s outside the attack window", a.Name, a.Start, a.End)
		}
		if len(a.ConnUIDs) == 0 || len(a.IPs) == 0 || len(a.Peers) == 0 || a.DeviceID == "" {
			t.Errorf("%s: incomplete truth %+v", a.Name, a)
		}
	}
	for u := range base.conns {
		if _, ok := got.conns[u]; !ok {
			t.Fatalf("baseline conn %s missing from the run with attacks", u)
		}
	}
	diff := func(kind string, added []string, want map[string]string) {
		slices.Sort(added)
		var w []string
		for u := range want {
			w = append(w, u)
		}
		slices.Sort(w)
		if !slices.Equal(added, w) {
			t.Errorf("%s: %d records added to the baseline, truth lists %d", kind, len(added), len(w))
		}
	}
	var added []string
	for u := range got.conns {
		if _, ok := base.conns[u]; !ok {
			added = append(added, u)
		}
	}
	diff("conn", added, wantConn)
	added = nil
	for u := range got.dnss {
		if _, ok := base.dnss[u]; !ok {
			added = append(added, u)
		}
	}
	diff("dns", added, wantDNS)
	added = nil
	for u := range got.ssls {
		if _, ok := base.ssls[u]; !ok {
			added = append(added, u)
		}
	}
	diff("ssl", added, wantSSL)

	baseResp := map[netip.Addr]bool{}
	for _, c := range base.conns {
		baseResp[c.RespH] = true
	}
	conns := func(a TruthAttack) []event.Conn {
		var out []event.Conn
		for _, u := range a.ConnUIDs {
			if c, ok := got.conns[u]; ok && c.RespP != 53 {
				out = append(out, c)
			}
		}
		slices.SortFunc(out, func(x, y event.Conn) int { return x.TS.Compare(y.TS) })
		return out
	}
	byName := map[string]TruthAttack{}
	for _, a := range tr.Attacks {
		byName[a.Name] = a
		for _, c := range conns(a) {
			if !slices.Contains(a.IPs, c.OrigH.String()) || !slices.Contains(a.Peers, c.RespH.String()) {
				t.Errorf("%s: conn %s %s -> %s not in truth ips %v / peers %v", a.Name, c.UID, c.OrigH, c.RespH, a.IPs, a.Peers)
			}
		}
	}
	device := func(id string) TruthDevice {
		for _, d := range tr.Devices {
			if d.ID == id {
				return d
			}
		}
		t.Errorf("no device %s", id)
		return TruthDevice{}
	}

	t.Run("exfiltration", func(t *testing.T) {
		a := byName[AttackExfiltration]
		cs := conns(a)
		if c := device(a.DeviceID).Class; c != ClassPatientMonitor && c != ClassInfusionPump {
			t.Errorf("exfiltrating device is a %s", c)
		}
		var total int64
		for _, c := range cs {
			total += c.OrigBytes
			if c.RespP != 443 || !isDocExternal(c.RespH) || baseResp[c.RespH] || c.RespH.String() != a.Peers[0] {
				t.Errorf("upload %+v", c)
			}
			if _, ok := got.ssls[c.UID]; !ok {
				t.Errorf("upload %s has no ssl record", c.UID)
			}
		}
		span := cs[len(cs)-1].TS.Add(cs[len(cs)-1].Duration).Sub(cs[0].TS)
		if len(a.Peers) != 1 || total < 150e6 || span < 2*time.Minute || span > 30*time.Minute {
			t.Errorf("%d uploads, %d bytes over %s to %v", len(cs), total, span, a.Peers)
		}
	})

	t.Run("lateral-movement", func(t *testing.T) {
		a := byName[AttackLateralMovement]
		var ehr string
		for _, d := range tr.Devices {
			if d.Class == ClassEHRServer {
				ehr = d.IPs[0].Addr
			}
		}
		ports := map[uint16]int{}
		for _, c := range conns(a) {
			ports[c.RespP]++
			if c.RespH.String() != ehr {
				t.Errorf("lateral connection to %s, want the EHR %s", c.RespH, ehr)
			}
		}
		if ports[445] == 0 || ports[3389] == 0 || ports[22] == 0 || len(ports) != 3 {
			t.Errorf("ports %v", ports)
		}
		if device(a.DeviceID).Class != ClassInfusionPump {
			t.Errorf("lateral movement from a %s", device(a.DeviceID).Class)
		}
		for _, c := range base.conns {
			if c.OrigL2.String() == a.MAC && c.RespH.String() == ehr {
				t.Fatalf("baseline: %s already talks to the EHR", a.DeviceID)
			}
		}
	})

	t.Run("c2-beaconing", func(t *testing.T) {
		a := byName[AttackC2Beaconing]
		cs := conns(a)
		p := time.Duration(a.Period * float64(time.Second))
		if len(cs) < 10 || p == 0 {
			t.Fatalf("%d beacons, period %s", len(cs), p)
		}
		for i, c := range cs {
			if c.OrigBytes != 512 || c.RespBytes != 128 || c.RespP != 443 || !isDocExternal(c.RespH) || baseResp[c.RespH] {
				t.Errorf("beacon %+v", c)
			}
			if i > 0 {
				d := c.TS.Sub(cs[i-1].TS)
				if d < p*9/10-time.Millisecond || d > p*11/10+time.Millisecond {
					t.Errorf("beacon interval %s, period %s", d, p)
				}
			}
		}
		if span := cs[len(cs)-1].TS.Sub(cs[0].TS); span < time.Hour {
			t.Errorf("beaconing lasted %s", span)
		}
	})

	t.Run("new-cloud-domain", func(t *testing.T) {
		a := byName[AttackNewCloudDomain]
		if len(a.Names) != 1 || !strings.HasSuffix(a.Names[0], "-update.com") {
			t.Fatalf("names %v", a.Names)
		}
		name := a.Names[0]
		for _, qs := range base.dnss {
			if qs[0].Query == name {
				t.Fatalf("baseline already resolves %s", name)
			}
		}
		var queries []event.DNS
		for _, u := range a.DNSUIDs {
			queries = append(queries, got.dnss[u]...)
		}
		if len(queries) == 0 {
			t.Fatal("no DNS query")
		}
		for _, u := range a.SSLUIDs {
			s := got.ssls[u]
			if s.ServerName != name || !isDocExternal(s.RespH) || baseResp[s.RespH] {
				t.Errorf("ssl %+v", s)
			}
			before := false
			for _, q := range queries {
				if q.Query == name && q.TS.Before(s.TS) && slices.Contains(q.Answers, s.RespH.String()) && s.TS.Sub(q.TS) < time.Second {
					before = true
				}
			}
			if !before {
				t.Errorf("ssl %s to %s at %s not preceded by its DNS answer", u, s.RespH, s.TS)
			}
		}
		if len(a.SSLUIDs) < 2 {
			t.Errorf("%d TLS sessions", len(a.SSLUIDs))
		}
	})

	t.Run("internal-scan", func(t *testing.T) {
		a := byName[AttackInternalScan]
		cs := conns(a)
		hosts := map[netip.Addr]bool{}
		states := map[string]int{}
		for _, c := range cs {
			hosts[c.RespH] = true
			states[c.ConnState]++
			if c.OrigBytes != 0 || c.RespBytes != 0 || !isLocal(c.RespH) {
				t.Errorf("probe %+v", c)
			}
		}
		span := cs[len(cs)-1].TS.Sub(cs[0].TS)
		if len(hosts) < 60 || len(cs) < 400 || span > 10*time.Minute || states["S0"]+states["REJ"] < len(cs)*3/4 || a.Targets != len(hosts) {
			t.Errorf("%d probes of %d hosts over %s, states %v", len(cs), len(hosts), span, states)
		}
	})

	t.Run("spoofed-update-server", func(t *testing.T) {
		a := byName[AttackSpoofedUpdateServer]
		if len(a.Names) != 1 || !strings.HasPrefix(a.Names[0], "update-") || !strings.HasSuffix(a.Names[0], ".net") {
			t.Fatalf("names %v", a.Names)
		}
		cs := conns(a)
		if len(cs) != 1 || cs[0].RespP != 80 || cs[0].RespBytes < 8e6 || !isDocExternal(cs[0].RespH) || baseResp[cs[0].RespH] {
			t.Fatalf("download %+v", cs)
		}
		var versions []string
		for _, s := range got.sws {
			if s.Host == cs[0].OrigH && slices.Contains(a.Software, s.Name+" "+s.Version) {
				versions = append(versions, s.Version)
				if s.TS.Before(cs[0].TS) {
					t.Errorf("software %s logged before the download", s.Version)
				}
			}
		}
		if len(versions) != 2 || versions[0] == versions[1] || len(a.Software) != 2 {
			t.Errorf("software versions %v, truth %v", versions, a.Software)
		}
	})
}

func TestAttacksDeterministic(t *testing.T) {
	opts := Options{Seed: 3, Devices: 60, Hours: 4, Attacks: []string{"internal-scan,exfiltration", "c2-beaconing"}}
	d1, _ := runSim(t, opts)
	opts.Attacks = []string{"c2-beaconing", "exfiltration", "internal-scan", "exfiltration"} // order and repetition do not matter
	opts.Workers = 1
	d2, tr := runSim(t, opts)
	if len(tr.Attacks) != 3 {
		t.Fatalf("%d attacks", len(tr.Attacks))
	}
	files := []string{"truth.json"}
	for _, l := range LogFiles {
		files = append(files, l.File)
	}
	for _, f := range files {
		a, err := os.ReadFile(filepath.Join(d1, logPath(f)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(d2, logPath(f)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between runs of the same seed", f)
		}
	}
	opts.Seed = 4
	d3, _ := runSim(t, opts)
	a, _ := os.ReadFile(filepath.Join(d1, "truth.json"))
	b, _ := os.ReadFile(filepath.Join(d3, "truth.json"))
	if bytes.Equal(a, b) {
		t.Error("another seed gave the same truth")
	}
}

func TestAttackOptions(t *testing.T) {
	for _, bad := range [][]string{{"exfiltration,nope"}, {"ALL"}, {"lateral"}} {
		err := Options{Attacks: bad}.Validate()
		if !errors.Is(err, ErrBadOptions) || !strings.Contains(err.Error(), "unknown attack") {
			t.Errorf("attacks %v: %v", bad, err)
		}
	}
	if err := (Options{Attacks: []string{"all"}, Hours: 10, Learning: 10 * time.Hour}).Validate(); !errors.Is(err, ErrBadOptions) {
		t.Errorf("learning period as long as the run: %v", err)
	}
	for in, want := range map[string]string{"10.0": "10.1", "N.01": "N.02", "8.9": "8.10", "v": "v.1", "2.1.3b": "2.1.4b"} {
		if got := bumpVersion(in); got != want {
			t.Errorf("bumpVersion(%q) = %q, want %q", in, got, want)
		}
	}
	all, err := attackList([]string{"all", "exfiltration"})
	if err != nil || !slices.Equal(all, AttackNames) {
		t.Errorf("all gave %v, %v", all, err)
	}
	// A learning period moves the start of the attacks.
	_, tr := runSim(t, Options{Seed: 2, Devices: 40, Hours: 3, Attacks: []string{"internal-scan"}, Learning: time.Hour})
	if len(tr.Attacks) != 1 {
		t.Fatalf("%d attacks", len(tr.Attacks))
	}
	a := tr.Attacks[0]
	if a.Start.Before(DefaultStart.Add(time.Hour)) || a.Start.After(DefaultStart.Add(90*time.Minute)) {
		t.Errorf("attack after a 1 h learning period starts at %s", a.Start)
	}
}
