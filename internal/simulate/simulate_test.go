package simulate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
	"github.com/vigil-iomt/vigil/internal/policy"
)

func runSim(t testing.TB, opts Options) (string, *Truth) {
	t.Helper()
	dir := t.TempDir()
	tr, err := Run(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Run(%+v): %v", opts, err)
	}
	return dir, tr
}

// readLog reads one log back with the zeek Reader, failing the test on any
// bad record, and calls fn with every event (valid only during the call).
func readLog(t testing.TB, path string, fn func(ev event.Event)) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := zeek.NewReader(f, path, zeek.Options{})
	n := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n++
		if fn != nil {
			fn(rec.Event)
		}
	}
}

func TestRunIsDeterministic(t *testing.T) {
	opts := Options{Seed: 7, Devices: 60, Hours: 6}
	a, _ := runSim(t, opts)
	opts.Workers = 1
	b, _ := runSim(t, opts)
	opts.Workers = 3
	c, _ := runSim(t, opts)
	files := []string{"truth.json"}
	for _, l := range LogFiles {
		files = append(files, l.File)
	}
	for _, name := range files {
		want, err := os.ReadFile(filepath.Join(a, logPath(name)))
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{b, c} {
			got, err := os.ReadFile(filepath.Join(other, logPath(name)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs between runs with the same seed and different worker counts", name)
			}
		}
	}

	d, _ := runSim(t, Options{Seed: 8, Devices: 60, Hours: 6})
	for _, name := range []string{"conn.log", "dhcp.log", "truth.json"} {
		x, _ := os.ReadFile(filepath.Join(a, logPath(name)))
		y, _ := os.ReadFile(filepath.Join(d, logPath(name)))
		if bytes.Equal(x, y) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
}

// TestLogsReadBack checks that every log reads back without a bad record,
// holds the events of its kind only, in time order, and that the counts
// in truth.json are right.
func TestLogsReadBack(t *testing.T) {
	dir, tr := runSim(t, Options{Seed: 3, Devices: 120, Hours: 24})
	for _, l := range LogFiles {
		var last time.Time
		n := readLog(t, filepath.Join(dir, LogDir, l.File), func(ev event.Event) {
			if ev == nil || ev.Kind() != l.Kind {
				t.Fatalf("%s: event %v, want kind %v", l.File, ev, l.Kind)
			}
			ts := ev.Time()
			if ts.Before(last) {
				t.Fatalf("%s: %v after %v: not in time order", l.File, ts, last)
			}
			last = ts
		})
		if n == 0 {
			t.Errorf("%s is empty", l.File)
		}
		if got := tr.Records[l.File]; got != n {
			t.Errorf("truth says %d records in %s, read %d", got, l.File, n)
		}
	}
}

// TestTruthMatchesDHCP checks truth.json against dhcp.log: every DHCP
// client appears, with only addresses truth says it held at that time, and
// no static host does.
func TestTruthMatchesDHCP(t *testing.T) {
	dir, tr := runSim(t, Options{Seed: 5, Devices: 150, Hours: 24})
	byMAC := map[string]*TruthDevice{}
	for i := range tr.Devices {
		byMAC[tr.Devices[i].MAC] = &tr.Devices[i]
	}
	seen := map[string]bool{}
	readLog(t, filepath.Join(dir, LogDir, "dhcp.log"), func(ev event.Event) {
		x := ev.(*event.DHCP)
		mac := x.MAC.String()
		seen[mac] = true
		d := byMAC[mac]
		if d == nil {
			t.Fatalf("dhcp.log has MAC %s that truth does not know", mac)
		}
		if d.Addressing != "dhcp" {
			t.Errorf("static device %s (%s) in dhcp.log", d.ID, d.Profile)
		}
		if x.HostName != d.Hostname {
			t.Errorf("%s: DHCP host name %q, truth %q", d.ID, x.HostName, d.Hostname)
		}
		if x.ClientSoftware != d.VendorClass {
			t.Errorf("%s: DHCP vendor class %q, truth %q", d.ID, x.ClientSoftware, d.VendorClass)
		}
		held := false
		for _, ip := range d.IPs {
			if ip.Addr == x.AssignedAddr.String() && !x.TS.Before(ip.From) && !x.TS.After(ip.To) {
				held = true
			}
		}
		if !held {
			t.Errorf("%s: assigned %s at %v, not among the addresses truth says it held: %+v", d.ID, x.AssignedAddr, x.TS, d.IPs)
		}
	})
	n := 0
	for _, d := range tr.Devices {
		if d.Addressing == "dhcp" {
			n++
			if !seen[d.MAC] {
				t.Errorf("DHCP client %s (%s, %s) never appears in dhcp.log", d.ID, d.MAC, d.Profile)
			}
		}
		if len(d.IPs) == 0 {
			t.Errorf("%s holds no address", d.ID)
		}
	}
	if n == 0 {
		t.Fatal("no DHCP clients")
	}
}

// TestExternalConnectionsFollowDNS checks that a device connects to an
// internet address only after a DNS answer gave it that address.
func TestExternalConnectionsFollowDNS(t *testing.T) {
	dir, _ := runSim(t, Options{Seed: 11, Devices: 100, Hours: 8})
	type key struct{ host, addr string }
	answered := map[key]time.Time{}
	readLog(t, filepath.Join(dir, LogDir, "dns.log"), func(ev event.Event) {
		q := ev.(*event.DNS)
		for _, a := range q.Answers {
			k := key{q.OrigH.String(), a}
			if _, ok := answered[k]; !ok {
				answered[k] = q.TS
			}
		}
	})
	external := 0
	readLog(t, filepath.Join(dir, LogDir, "conn.log"), func(ev event.Event) {
		c := ev.(*event.Conn)
		if isLocal(c.RespH) || c.RespH.IsMulticast() || !c.RespH.Is4() {
			return
		}
		external++
		at, ok := answered[key{c.OrigH.String(), c.RespH.String()}]
		if !ok || at.After(c.TS) {
			t.Errorf("%s connects to %s at %v without a DNS answer before", c.OrigH, c.RespH, c.TS)
		}
	})
	if external == 0 {
		t.Fatal("no connection to the internet")
	}
}

// TestCertificates checks that every certificate fingerprint in ssl.log is
// described once in x509.log, before or when it is first used.
func TestCertificates(t *testing.T) {
	dir, _ := runSim(t, Options{Seed: 2, Devices: 100, Hours: 6})
	certs := map[string]time.Time{}
	readLog(t, filepath.Join(dir, LogDir, "x509.log"), func(ev event.Event) {
		x := ev.(*event.X509)
		if _, dup := certs[x.ID]; dup {
			t.Errorf("certificate %s logged twice", x.ID)
		}
		certs[x.ID] = x.TS
		if !x.NotBefore.Before(x.NotAfter) || x.Subject == "" || x.Issuer == "" {
			t.Errorf("certificate %s: implausible %+v", x.ID, x)
		}
	})
	versions := map[string]int{}
	readLog(t, filepath.Join(dir, LogDir, "ssl.log"), func(ev event.Event) {
		s := ev.(*event.SSL)
		versions[s.Version]++
		if s.Version == "TLSv13" && len(s.CertChain) > 0 {
			t.Errorf("%s: TLSv13 session with visible certificates", s.UID)
		}
		for _, fp := range s.CertChain {
			at, ok := certs[fp]
			if !ok {
				t.Errorf("%s: certificate %s not in x509.log", s.UID, fp)
			} else if at.After(s.TS) {
				t.Errorf("%s: certificate %s logged at %v, after its first use at %v", s.UID, fp, at, s.TS)
			}
		}
	})
	if len(certs) == 0 || versions["TLSv12"] == 0 || versions["TLSv13"] == 0 {
		t.Errorf("want certificates and TLSv12 and TLSv13 sessions, got %d certificates, versions %v", len(certs), versions)
	}
}

// TestDailyRhythm checks that clinical workstations are busier in the
// morning than at night, while infusion pumps keep their pace.
func TestDailyRhythm(t *testing.T) {
	dir, tr := runSim(t, Options{Seed: 4, Devices: 150, Hours: 24})
	class := map[netip.Addr]string{}
	for _, d := range tr.Devices {
		for _, ip := range d.IPs {
			class[netip.MustParseAddr(ip.Addr)] = d.Class
		}
	}
	count := map[string][24]int{}
	readLog(t, filepath.Join(dir, LogDir, "conn.log"), func(ev event.Event) {
		c := ev.(*event.Conn)
		cl := class[c.OrigH]
		if cl == ClassClinicalWorkstation || cl == ClassInfusionPump {
			h := count[cl]
			h[c.TS.UTC().Hour()]++
			count[cl] = h
		}
	})
	ws, pump := count[ClassClinicalWorkstation], count[ClassInfusionPump]
	if ws[10] < 3*ws[3] {
		t.Errorf("workstations: %d connections at 10:00, %d at 03:00; want a daily rhythm", ws[10], ws[3])
	}
	if float64(pump[10]) > 1.3*float64(pump[3]) || float64(pump[3]) > 1.3*float64(pump[10]) {
		t.Errorf("infusion pumps: %d connections at 10:00, %d at 03:00; want steady telemetry", pump[10], pump[3])
	}
}

func TestConnRecordsTarget(t *testing.T) {
	const target = 60000
	_, tr := runSim(t, Options{Seed: 9, Devices: 50, Hours: 4, ConnRecords: target})
	got := tr.Records["conn.log"]
	if got < target*85/100 || got > target*115/100 {
		t.Errorf("conn.log has %d records, want about %d", got, target)
	}
}

// beacon is a scenario that makes the first infusion pump call an
// internet address every ten minutes.
type beacon struct{ uids []string }

func (b *beacon) Name() string { return "beacon" }

func (b *beacon) Inject(h *Hour) error {
	for _, d := range h.Devices() {
		if d.Class() != ClassInfusionPump {
			continue
		}
		for m := 0; m < 60; m += 10 {
			at := h.Start().Add(time.Duration(m)*time.Minute + time.Duration(h.Rand().IntN(1000))*time.Millisecond)
			if _, up := d.AddrAt(at); !up {
				continue
			}
			uid, err := h.Connect(Connection{TS: at, From: &d, ToAddr: netip.MustParseAddr("203.0.113.66"),
				Port: 8443, Proto: "tcp", Duration: time.Second, OrigBytes: 300, RespBytes: 120})
			if err != nil {
				return err
			}
			b.uids = append(b.uids, uid)
		}
		return nil
	}
	return errors.New("no infusion pump")
}

func TestScenarioInjection(t *testing.T) {
	b := &beacon{}
	dir, _ := runSim(t, Options{Seed: 1, Devices: 40, Hours: 3, Scenarios: []Scenario{b}})
	if len(b.uids) < 10 {
		t.Fatalf("scenario made %d connections", len(b.uids))
	}
	found := 0
	readLog(t, filepath.Join(dir, LogDir, "conn.log"), func(ev event.Event) {
		c := ev.(*event.Conn)
		if slices.Contains(b.uids, c.UID) {
			found++
			if c.RespP != 8443 || c.RespH.String() != "203.0.113.66" {
				t.Errorf("scenario connection written as %+v", c)
			}
		}
	})
	if found != len(b.uids) {
		t.Errorf("%d of %d scenario connections in conn.log", found, len(b.uids))
	}

	_, err := Run(context.Background(), t.TempDir(), Options{Devices: 40, Hours: 1, Scenarios: []Scenario{failing{}}})
	if err == nil || !strings.Contains(err.Error(), "failing") {
		t.Errorf("a failing scenario gave %v", err)
	}
}

type failing struct{}

func (failing) Name() string         { return "failing" }
func (failing) Inject(h *Hour) error { return errors.New("boom") }

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"too few devices", Options{Devices: 5}, false},
		{"too many devices", Options{Devices: MaxDevices + 1}, false},
		{"negative hours", Options{Hours: -1}, false},
		{"negative conn records", Options{ConnRecords: -1}, false},
		{"nil scenario", Options{Scenarios: []Scenario{nil}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadOptions) {
				t.Errorf("error %v does not wrap ErrBadOptions", err)
			}
			if !tt.ok {
				if _, err := Run(context.Background(), t.TempDir(), tt.opts); err == nil {
					t.Error("Run accepted bad options")
				}
			}
		})
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, t.TempDir(), Options{Devices: 40, Hours: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context: %v", err)
	}
}

// TestHospitalComposition checks the device mix a user of the demo sees.
func TestHospitalComposition(t *testing.T) {
	_, tr := runSim(t, Options{Seed: 1, Devices: 200, Hours: 1})
	if len(tr.Devices) != 200 {
		t.Fatalf("%d devices, want 200", len(tr.Devices))
	}
	classes := map[string]int{}
	macs, hostnames := map[string]bool{}, map[string]bool{}
	for _, d := range tr.Devices {
		classes[d.Class]++
		if macs[d.MAC] {
			t.Errorf("MAC %s used twice", d.MAC)
		}
		macs[d.MAC] = true
		if hostnames[d.Hostname] {
			t.Errorf("hostname %s used twice", d.Hostname)
		}
		hostnames[d.Hostname] = true
		if d.Manufacturer == "" || d.Model == "" || d.Firmware == "" || d.NICVendor == "" || d.Criticality == "" {
			t.Errorf("%s (%s): incomplete truth %+v", d.ID, d.Profile, d)
		}
	}
	for _, c := range []string{ClassInfusionPump, ClassInsulinPumpCGMHub, ClassPatientMonitor, ClassVentilator,
		ClassDefibrillator, ClassImplantProgrammer, ClassImagingCT, ClassImagingMR, ClassImagingUltrasound,
		ClassImagingXRay, ClassPACS, ClassSurgicalRobot, ClassRPMHub, ClassLabAnalyzer, ClassClinicalWorkstation,
		ClassEHRServer, ClassHL7InterfaceEngine, ClassNetworkGear, ClassPrinter, ClassIPPhone} {
		if classes[c] == 0 {
			t.Errorf("no device of class %s among 200", c)
		}
	}
	if classes[ClassInfusionPump] < classes[ClassPatientMonitor] {
		t.Errorf("fewer infusion pumps (%d) than monitors (%d): hospitals have more pumps", classes[ClassInfusionPump], classes[ClassPatientMonitor])
	}
}

// logPath is where Run puts a file it names: truth.json at the top, logs in LogDir.
func logPath(name string) string {
	if name == "truth.json" {
		return name
	}
	return filepath.Join(LogDir, name)
}

// TestZonesFileIsAPolicy: zones.yaml parses as a segmentation policy and
// places every address a simulated device held in one of its zones.
func TestZonesFileIsAPolicy(t *testing.T) {
	dir, tr := runSim(t, Options{Seed: 3, Devices: 60, Hours: 2})
	p, err := policy.Load(filepath.Join(dir, ZonesFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range tr.Devices {
		for _, ip := range d.IPs {
			if _, ok := p.ZoneOf(netip.MustParseAddr(ip.Addr), 0); !ok {
				t.Errorf("%s at %s: in no zone of %s", d.Hostname, ip.Addr, ZonesFile)
			}
		}
	}
	if len(p.Zones) != len(zoneTable) {
		t.Errorf("%d zones, want %d", len(p.Zones), len(zoneTable))
	}
}
