package policy

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed (run go test ./internal/policy/ -update if intended):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// fleetObservations is a small fleet: five pumps of two models and two
// monitors, with shared flows, rare ones and unusable ones.
func fleetObservations() []Observation {
	a := netip.MustParseAddr
	var obs []Observation
	add := func(dev, class, model, dst string, names []string, port uint16, proto string, count int64) {
		obs = append(obs, Observation{DeviceID: dev, Class: class, Model: model, Src: a("10.40.0.1"), Dst: a(dst),
			DstNames: names, DstPort: port, Proto: proto, Count: count, First: t0, Last: t0.Add(time.Duration(count) * time.Hour)})
	}
	for i := 1; i <= 5; i++ {
		dev, model := fmt.Sprintf("dev-pump%d", i), "Alaris 8015"
		if i == 5 {
			model = "Plum 360"
		}
		add(dev, "infusion_pump", model, "10.20.0.10", nil, 443, "tcp", int64(100+i))
		add(dev, "infusion_pump", model, "10.20.0.11", nil, 443, "tcp", 3) // another pump server: same zone
		add(dev, "infusion_pump", model, "10.0.0.2", nil, 53, "udp", 50)
		if i <= 4 {
			add(dev, "infusion_pump", model, "203.0.113.7", []string{"DrugLib.Vendor.Example."}, 443, "tcp", 10)
		}
	}
	add("dev-pump1", "infusion_pump", "Alaris 8015", "203.0.113.8", []string{"cdn1.vendor.example"}, 443, "tcp", 2) // the name's new address
	add("dev-pump5", "infusion_pump", "Plum 360", "198.51.100.66", nil, 6667, "tcp", 7)                             // one device: outlier
	add("dev-pump1", "infusion_pump", "Alaris 8015", "10.30.0.5", nil, 22, "tcp", 1)                                // internal, no zone: outlier
	add("dev-mon1", "patient_monitor", "", "10.20.0.20", nil, 2575, "tcp", 500)
	add("dev-mon2", "patient_monitor", "", "10.20.0.20", nil, 2575, "tcp", 400)
	add("dev-mon1", "patient_monitor", "", "2001:db8::5", nil, 514, "udp", 9) // 1 of 2 devices: kept by fraction
	add("dev-mon2", "patient_monitor", "", "10.20.0.1", nil, 0, "icmp", 4)    // 1 of 2 devices: kept by fraction
	add("dev-x", "toaster", "", "10.20.0.20", nil, 80, "tcp", 1)              // not a class
	add("dev-mon2", "patient_monitor", "", "10.20.0.20", nil, 0, "unknown_transport", 1)
	return obs
}

var fleetZones = []Zone{
	{Name: "device-servers", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/24")}, VLANs: []int{20}},
	{Name: "infrastructure", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}},
}

func TestLearn(t *testing.T) {
	obs := fleetObservations()
	opts := LearnOptions{Zones: fleetZones, MinDevices: 2, MinFraction: 0.5}
	prop, err := Learn(obs, opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "learn.golden.yaml", prop.YAML)

	// Deterministic: the order of observations does not matter.
	reversed := slices.Clone(obs)
	slices.Reverse(reversed)
	again, err := Learn(reversed, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.YAML, prop.YAML) {
		t.Errorf("proposal depends on input order:\n%s\nvs\n%s", again.YAML, prop.YAML)
	}

	// Round trip: the YAML parses to the same policy, which writes the same YAML.
	parsed, err := Parse(prop.YAML, "learned.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := encodeYAML(parsed), encodeYAML(prop.Policy); !bytes.Equal(got, want) {
		t.Errorf("round trip changed the policy:\n%s\nvs\n%s", got, want)
	}

	var outliers []string
	for _, o := range prop.Outliers {
		outliers = append(outliers, fmt.Sprintf("%s %s %s %d/%s", o.Class, o.DeviceID, o.Dst, o.DstPort, o.Proto))
	}
	wantOutliers := []string{
		"infusion_pump dev-pump1 10.30.0.5 22/tcp",
		"infusion_pump dev-pump5 198.51.100.66 6667/tcp",
		"patient_monitor dev-mon2 10.20.0.20 0/unknown_transport",
		"toaster dev-x 10.20.0.20 80/tcp",
	}
	if !slices.Equal(outliers, wantOutliers) {
		t.Errorf("got outliers\n%q\nwant\n%q", outliers, wantOutliers)
	}

	// What was learned allows everything but the outliers.
	res := Replay(prop.Policy, obs, time.Time{})
	if res.Evaluated != int64(len(obs)) || res.AlertOnly != 2 || res.Blocked != 1 || res.NoPolicy != 1 {
		t.Errorf("replay of the learned policy: got %+v, want the outliers only (2 alert-only, 1 blocked, 1 without policy)", res)
	}

	// Zero thresholds keep everything that can be written as a rule.
	all, err := Learn(obs, LearnOptions{Zones: fleetZones})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Outliers) != 2 {
		t.Errorf("got %d outliers with zero thresholds, want the 2 unusable observations", len(all.Outliers))
	}
}

func TestLearnGeneralisation(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name string
		obs  Observation
		want Destination
	}{
		{"internal address in a zone", Observation{Dst: a("10.20.0.7")}, Destination{Zones: []string{"device-servers"}}},
		{"IPv4-mapped internal address", Observation{Dst: a("::ffff:10.0.0.9")}, Destination{Zones: []string{"infrastructure"}}},
		{"zone wins over names", Observation{Dst: a("10.20.0.7"), DstNames: []string{"pumpsrv.hospital.example"}}, Destination{Zones: []string{"device-servers"}}},
		{"subdomain", Observation{Dst: a("203.0.113.1"), DstNames: []string{"api.eu.vendor.com"}},
			Destination{Names: []string{"*.vendor.com", "api.eu.vendor.com"}}},
		{"apex only", Observation{Dst: a("203.0.113.1"), DstNames: []string{"vendor.com"}}, Destination{Names: []string{"vendor.com"}}},
		{"two-level public suffix", Observation{Dst: a("203.0.113.1"), DstNames: []string{"portal.vendor.co.uk"}},
			Destination{Names: []string{"*.vendor.co.uk", "portal.vendor.co.uk"}}},
		{"an address as a name is no name", Observation{Dst: a("203.0.113.1"), DstNames: []string{"203.0.113.1"}},
			Destination{CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.1/32")}}},
		{"external address", Observation{Dst: a("198.51.100.3")}, Destination{CIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.3/32")}}},
		{"IPv6 host", Observation{Dst: a("2001:db8::9")}, Destination{CIDRs: []netip.Prefix{netip.MustParsePrefix("2001:db8::9/128")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.obs
			o.DeviceID, o.Class, o.DstPort, o.Proto, o.Count = "dev-1", "printer", 443, "tcp", 1
			prop, err := Learn([]Observation{o}, LearnOptions{Zones: fleetZones})
			if err != nil {
				t.Fatal(err)
			}
			cp, ok := prop.Policy.Class("printer")
			if !ok || len(cp.Allow) != 1 {
				t.Fatalf("got %s, want one rule for printer", prop.YAML)
			}
			want := Rule{To: tt.want, Ports: []PortRange{{443, 443}}, Proto: "tcp", Comment: "learned: used by 1 of 1 devices", Line: cp.Allow[0].Line}
			if !rulesEqual(cp.Allow[0], want) {
				t.Errorf("got %+v, want %+v", cp.Allow[0], want)
			}
		})
	}
}

func TestLearnRejectsOptions(t *testing.T) {
	for _, opts := range []LearnOptions{{MinDevices: -1}, {MinFraction: 1.5}, {MinFraction: -0.1},
		{Zones: []Zone{{Name: "Bad Name", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}}} {
		if _, err := Learn(nil, opts); err == nil {
			t.Errorf("Learn with %+v: got no error", opts)
		}
	}
}

func TestReplay(t *testing.T) {
	p := loadSmall(t)
	a := netip.MustParseAddr
	obs := []Observation{
		{DeviceID: "dev-b", Class: "printer", Dst: a("10.20.0.5"), DstPort: 9100, Proto: "tcp", Count: 5, Last: t0},
		{DeviceID: "dev-b", Class: "printer", Dst: a("10.20.0.6"), DstPort: 9100, Proto: "tcp", Count: 50, Last: t0},
		{DeviceID: "dev-a", Class: "infusion_pump", Dst: a("10.20.0.5"), DstPort: 443, Proto: "tcp", Count: 9, Last: t0},    // allowed
		{DeviceID: "dev-a", Class: "infusion_pump", Dst: a("198.51.100.1"), DstPort: 443, Proto: "tcp", Count: 2, Last: t0}, // alert-only
		{DeviceID: "dev-a", Class: "infusion_pump", Dst: a("203.0.113.9"), DstPort: 443, Proto: "tcp", Count: 1, Last: t0, // allowed by name
			DstNames: []string{"drugs.vendor.example"}},
		{DeviceID: "dev-c", Class: "ventilator", Dst: a("10.20.0.5"), DstPort: 443, Proto: "tcp", Count: 3, Last: t0},                // no policy
		{DeviceID: "dev-b", Class: "printer", Dst: a("10.20.0.7"), DstPort: 9100, Proto: "tcp", Count: 99, Last: t0.Add(-time.Hour)}, // before since
	}
	got := Replay(p, obs, t0)
	if got.Evaluated != 6 || got.Blocked != 2 || got.AlertOnly != 1 || got.NoPolicy != 1 {
		t.Errorf("got counts %+v, want evaluated 6, blocked 2, alert-only 1, no policy 1", got)
	}
	var lines []string
	for _, d := range got.Devices {
		for _, o := range d.Blocked {
			lines = append(lines, fmt.Sprintf("%s %s block %s:%d ×%d", d.DeviceID, d.Class, o.Dst, o.DstPort, o.Count))
		}
		for _, o := range d.AlertOnly {
			lines = append(lines, fmt.Sprintf("%s %s alert %s:%d ×%d", d.DeviceID, d.Class, o.Dst, o.DstPort, o.Count))
		}
	}
	want := []string{
		"dev-a infusion_pump alert 198.51.100.1:443 ×2",
		"dev-b printer block 10.20.0.6:9100 ×50",
		"dev-b printer block 10.20.0.5:9100 ×5",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got\n%q\nwant\n%q", lines, want)
	}
}

// TestReplayZeroSince: a zero since keeps observations whatever their times.
func TestReplayZeroSince(t *testing.T) {
	obs := []Observation{{DeviceID: "d", Class: "printer", Dst: netip.MustParseAddr("10.9.9.9"), DstPort: 1, Proto: "tcp", Last: time.Time{}}}
	if got := Replay(loadSmall(t), obs, time.Time{}); got.Evaluated != 1 || got.Blocked != 1 {
		t.Errorf("got %+v, want the observation evaluated and blocked", got)
	}
}

// modelFleet is a fleet where models differ: three Alaris pumps that use
// their vendor's service, three Plum pumps that use theirs, a pump of a
// model seen once, one of unknown model, and two monitors of one model
// doing what their class does.
func modelFleet() []Observation {
	a := netip.MustParseAddr
	var obs []Observation
	add := func(dev, class, model, dst string, names []string, port uint16, proto string) {
		obs = append(obs, Observation{DeviceID: dev, Class: class, Model: model, Src: a("10.40.0.1"), Dst: a(dst),
			DstNames: names, DstPort: port, Proto: proto, Count: 10, First: t0, Last: t0})
	}
	pumps := map[string]string{"dev-a1": "Alaris 8015", "dev-a2": "Alaris 8015", "dev-a3": "Alaris 8015",
		"dev-p1": "Plum 360", "dev-p2": "Plum 360", "dev-p3": "Plum 360", "dev-s1": "Sigma Spectrum", "dev-u1": ""}
	for dev, model := range pumps {
		add(dev, "infusion_pump", model, "10.20.0.10", nil, 443, "tcp")
		add(dev, "infusion_pump", model, "10.0.0.2", nil, 53, "udp")
		switch model {
		case "Alaris 8015":
			add(dev, "infusion_pump", model, "203.0.113.10", []string{"druglib.alaris.example"}, 443, "tcp")
		case "Plum 360":
			add(dev, "infusion_pump", model, "203.0.113.20", []string{"api.icumed.example"}, 443, "tcp")
		}
	}
	add("dev-p1", "infusion_pump", "Plum 360", "203.0.113.10", []string{"druglib.alaris.example"}, 443, "tcp") // usual for the class, not for Plum
	add("dev-a1", "infusion_pump", "Alaris 8015", "203.0.113.99", nil, 8443, "tcp")                            // one Alaris: outlier
	add("dev-s1", "infusion_pump", "Sigma Spectrum", "198.51.100.66", nil, 6667, "tcp")                        // a model seen once: judged by the class
	for _, dev := range []string{"dev-m1", "dev-m2"} {
		add(dev, "patient_monitor", "IntelliVue MX40", "10.20.0.20", nil, 2575, "tcp")
	}
	return obs
}

func TestLearnPerModel(t *testing.T) {
	obs := modelFleet()
	opts := LearnOptions{Zones: fleetZones, MinDevices: 2, MinFraction: 0.5}
	prop, err := Learn(obs, opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "learn-models.golden.yaml", prop.YAML)

	reversed := slices.Clone(obs)
	slices.Reverse(reversed)
	if again, err := Learn(reversed, opts); err != nil || !bytes.Equal(again.YAML, prop.YAML) {
		t.Errorf("proposal depends on input order (%v)", err)
	}
	parsed, err := Parse(prop.YAML, "learned.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := encodeYAML(parsed), encodeYAML(prop.Policy); !bytes.Equal(got, want) {
		t.Errorf("round trip changed the policy:\n%s\nvs\n%s", got, want)
	}

	// Entries: the class entry for every class; Alaris and Plum get their
	// own; Sigma (one device) does not; IntelliVue, doing what its class
	// does, needs none.
	var entries []string
	for _, c := range prop.Policy.Classes {
		entries = append(entries, MemberKey{c.Class, c.Model}.String())
	}
	if want := []string{"infusion_pump", "infusion_pump/Alaris 8015", "infusion_pump/Plum 360", "patient_monitor"}; !slices.Equal(entries, want) {
		t.Errorf("got entries %q, want %q", entries, want)
	}

	var outliers []string
	for _, o := range prop.Outliers {
		outliers = append(outliers, fmt.Sprintf("%s %s:%d", o.DeviceID, o.Dst, o.DstPort))
	}
	wantOutliers := []string{"dev-a1 203.0.113.99:8443", "dev-p1 203.0.113.10:443", "dev-s1 198.51.100.66:6667"}
	if !slices.Equal(outliers, wantOutliers) {
		t.Errorf("got outliers %q, want %q", outliers, wantOutliers)
	}

	// The learned policy allows everything but the outliers, and each
	// device is judged by its model's entry.
	res := Replay(prop.Policy, obs, time.Time{})
	if res.AlertOnly != int64(len(wantOutliers)) || res.Blocked != 0 || res.NoPolicy != 0 {
		t.Errorf("replay: got %+v, want the %d outliers only", res, len(wantOutliers))
	}
	var judged []string
	for _, d := range res.Devices {
		judged = append(judged, d.DeviceID+" "+d.Entry)
	}
	if want := []string{`dev-a1 infusion_pump model "Alaris 8015"`, `dev-p1 infusion_pump model "Plum 360"`, "dev-s1 infusion_pump"}; !slices.Equal(judged, want) {
		t.Errorf("replay judged %q, want %q", judged, want)
	}

	// A Plum pump may not reach Alaris's service; a pump of a model without
	// an entry may, by the class entry.
	toAlaris := Flow{Class: "infusion_pump", Model: "Plum 360", Dst: netip.MustParseAddr("203.0.113.10"), DstPort: 443, Proto: "tcp",
		DstNames: []string{"druglib.alaris.example"}}
	if v := prop.Policy.Evaluate(toAlaris); v.Allowed {
		t.Errorf("Plum → Alaris service: got %s, want denied", v.Reason)
	}
	toAlaris.Model = "Sigma Spectrum"
	if v := prop.Policy.Evaluate(toAlaris); !v.Allowed || v.Entry.Model != "" {
		t.Errorf("Sigma → Alaris service: got %s, want allowed by the class entry", v.Reason)
	}

	// Zero thresholds keep everything: every model gets an entry unless it
	// does exactly what its class does.
	all, err := Learn(obs, LearnOptions{Zones: fleetZones})
	if err != nil {
		t.Fatal(err)
	}
	entries = entries[:0]
	for _, c := range all.Policy.Classes {
		entries = append(entries, MemberKey{c.Class, c.Model}.String())
	}
	if want := []string{"infusion_pump", "infusion_pump/Alaris 8015", "infusion_pump/Plum 360", "infusion_pump/Sigma Spectrum", "patient_monitor"}; !slices.Equal(entries, want) || len(all.Outliers) != 0 {
		t.Errorf("zero thresholds: got entries %q and %d outliers, want %q and none", entries, len(all.Outliers), want)
	}
}

func TestLearnedPorts(t *testing.T) {
	tests := []struct {
		proto string
		port  uint16
		want  PortRange
	}{
		{"udp", 53, PortRange{53, 53}},
		{"udp", 1023, PortRange{1023, 1023}},
		{"udp", 1024, PortRange{1024, 65535}},
		{"udp", 16384, PortRange{1024, 65535}},
		{"udp", 65535, PortRange{1024, 65535}},
		{"tcp", 1024, PortRange{1024, 1024}},
		{"tcp", 49151, PortRange{49151, 49151}},
		{"tcp", 49152, PortRange{49152, 65535}},
		{"tcp", 65535, PortRange{49152, 65535}},
		{"icmp", 3, PortRange{}},
	}
	for _, tt := range tests {
		if got := learnedPorts(tt.proto, tt.port); got != tt.want {
			t.Errorf("learnedPorts(%s, %d) = %v, want %v", tt.proto, tt.port, got, tt.want)
		}
	}
}

var voiceZones = []Zone{
	{Name: "datacenter", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.10.0.0/24")}},
	{Name: "voice", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.60.0.0/24")}},
	{Name: "infrastructure", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}},
}

// voiceFleet is five IP phones that register with the voice server
// (tcp/5061) and call each other, each sending RTP to the others on ports
// of 16384-32767 no other phone uses, and three clinical workstations that
// reach the domain controllers on tcp/135 and on TCP dynamic ports (RPC),
// each on different ones; plus flows of one device each.
func voiceFleet() []Observation {
	a := netip.MustParseAddr
	var obs []Observation
	add := func(dev, class, dst string, port uint16, proto string) {
		obs = append(obs, Observation{DeviceID: dev, Class: class, Src: a("10.60.0.1"), Dst: a(dst),
			DstPort: port, Proto: proto, Count: 20, First: t0, Last: t0})
	}
	for i := 1; i <= 5; i++ {
		dev := fmt.Sprintf("dev-phone%d", i)
		add(dev, "ip_phone", "10.60.0.2", 5061, "tcp")
		add(dev, "ip_phone", "10.0.0.2", 53, "udp")
		for _, j := range []int{i%5 + 1, (i+1)%5 + 1} { // two calls, to the next two phones
			add(dev, "ip_phone", fmt.Sprintf("10.60.0.%d", 10+j), uint16(16384+1000*i+2*j), "udp")
		}
	}
	add("dev-phone3", "ip_phone", "198.51.100.9", 40000, "udp") // one phone, an external address: outlier
	add("dev-phone4", "ip_phone", "10.0.0.3", 514, "udp")       // one phone, a port below 1024: outlier
	add("dev-phone5", "ip_phone", "10.60.0.2", 40000, "tcp")    // one phone, a TCP port below 49152: outlier
	for i, port := range []uint16{50001, 50123, 61000} {
		dev := fmt.Sprintf("dev-ws%d", i+1)
		add(dev, "clinical_workstation", "10.10.0.5", 135, "tcp")
		add(dev, "clinical_workstation", "10.10.0.5", port, "tcp")
	}
	add("dev-ws1", "clinical_workstation", "10.10.0.5", 8080, "tcp") // one workstation: outlier
	return obs
}

// TestLearnDynamicPorts: dynamic ports are learned as their range, from
// the devices using any port of it, so calls between phones are no
// outliers and the proposal does not report them.
func TestLearnDynamicPorts(t *testing.T) {
	obs := voiceFleet()
	opts := LearnOptions{Zones: voiceZones, MinDevices: 2, MinFraction: 0.5}
	prop, err := Learn(obs, opts)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "learn-ports.golden.yaml", prop.YAML)

	reversed := slices.Clone(obs)
	slices.Reverse(reversed)
	if again, err := Learn(reversed, opts); err != nil || !bytes.Equal(again.YAML, prop.YAML) {
		t.Errorf("proposal depends on input order (%v)", err)
	}
	parsed, err := Parse(prop.YAML, "learned.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := encodeYAML(parsed), encodeYAML(prop.Policy); !bytes.Equal(got, want) {
		t.Errorf("round trip changed the policy:\n%s\nvs\n%s", got, want)
	}

	// One rule for the calls, used by every phone, and one for RPC, used
	// by every workstation.
	rules := func(class string) []string {
		cp, ok := prop.Policy.Class(class)
		if !ok {
			t.Fatalf("no entry for %s in\n%s", class, prop.YAML)
		}
		var out []string
		for _, r := range cp.Allow {
			var ports []string
			for _, p := range r.Ports {
				ports = append(ports, p.String())
			}
			out = append(out, fmt.Sprintf("%v %s %v (%s)", r.To.Zones, r.Proto, ports, r.Comment))
		}
		return out
	}
	if got, want := rules("ip_phone"), []string{
		"[infrastructure] udp [53] (learned: used by 5 of 5 devices)",
		"[voice] tcp [5061] (learned: used by 5 of 5 devices)",
		"[voice] udp [1024-65535] (learned: used by 5 of 5 devices)",
	}; !slices.Equal(got, want) {
		t.Errorf("ip_phone rules:\ngot  %q\nwant %q", got, want)
	}
	if got, want := rules("clinical_workstation"), []string{
		"[datacenter] tcp [135 49152-65535] (learned: used by 3 of 3 devices)",
	}; !slices.Equal(got, want) {
		t.Errorf("clinical_workstation rules:\ngot  %q\nwant %q", got, want)
	}

	// Outliers: only the flows of one device each; no call between phones,
	// no RPC port. Ports below the bounds stay exact, and a range is
	// learned per destination.
	var outliers []string
	for _, o := range prop.Outliers {
		outliers = append(outliers, fmt.Sprintf("%s %s:%d/%s", o.DeviceID, o.Dst, o.DstPort, o.Proto))
	}
	wantOutliers := []string{
		"dev-ws1 10.10.0.5:8080/tcp",
		"dev-phone3 198.51.100.9:40000/udp",
		"dev-phone4 10.0.0.3:514/udp",
		"dev-phone5 10.60.0.2:40000/tcp",
	}
	if !slices.Equal(outliers, wantOutliers) {
		t.Errorf("got outliers\n%q\nwant\n%q", outliers, wantOutliers)
	}

	// Replaying the proposal (both classes enforce) blocks the outliers and
	// nothing else.
	res := Replay(prop.Policy, obs, time.Time{})
	var blocked []string
	for _, d := range res.Devices {
		for _, o := range d.Blocked {
			blocked = append(blocked, fmt.Sprintf("%s %s:%d/%s", d.DeviceID, o.Dst, o.DstPort, o.Proto))
		}
	}
	slices.Sort(blocked)
	slices.Sort(wantOutliers)
	if res.Evaluated != int64(len(obs)) || res.AlertOnly != 0 || res.NoPolicy != 0 || !slices.Equal(blocked, wantOutliers) {
		t.Errorf("replay: got %d evaluated, %d alert-only, %d without policy, blocking %q; want %d evaluated and the outliers %q blocked only",
			res.Evaluated, res.AlertOnly, res.NoPolicy, blocked, len(obs), wantOutliers)
	}

	// A call on a port no phone used while learning is allowed; a TCP port
	// below 49152 nobody used is not.
	a := netip.MustParseAddr
	for _, tt := range []struct {
		f    Flow
		want bool
	}{
		{Flow{Class: "ip_phone", Dst: a("10.60.0.14"), DstPort: 31999, Proto: "udp"}, true},
		{Flow{Class: "ip_phone", Dst: a("10.60.0.14"), DstPort: 1023, Proto: "udp"}, false},
		{Flow{Class: "ip_phone", Dst: a("198.51.100.10"), DstPort: 31999, Proto: "udp"}, false},
		{Flow{Class: "clinical_workstation", Dst: a("10.10.0.9"), DstPort: 65000, Proto: "tcp"}, true},
		{Flow{Class: "clinical_workstation", Dst: a("10.10.0.9"), DstPort: 49151, Proto: "tcp"}, false},
	} {
		if v := prop.Policy.Evaluate(tt.f); v.Allowed != tt.want {
			t.Errorf("%s → %s:%d/%s: got allowed %v (%s), want %v", tt.f.Class, tt.f.Dst, tt.f.DstPort, tt.f.Proto, v.Allowed, v.Reason, tt.want)
		}
	}
}

// TestLearnUntil: with Until, flows first seen at or after it are neither
// learned nor outliers; the proposal is the one learned from the rest.
func TestLearnUntil(t *testing.T) {
	obs := fleetObservations()
	opts := LearnOptions{Zones: fleetZones, MinDevices: 2, MinFraction: 0.5}
	clean, err := Learn(obs, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Every pump starts talking to a new address a day later.
	late := slices.Clone(obs)
	for i := 1; i <= 5; i++ {
		late = append(late, Observation{DeviceID: fmt.Sprintf("dev-pump%d", i), Class: "infusion_pump",
			Src: netip.MustParseAddr("10.40.0.1"), Dst: netip.MustParseAddr("192.0.2.66"), DstPort: 8443, Proto: "tcp", Count: 40,
			First: t0.Add(24 * time.Hour), Last: t0.Add(30 * time.Hour)})
	}
	all, err := Learn(late, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(all.YAML, []byte("192.0.2.66")) {
		t.Fatalf("without Until the late destination is not learned:\n%s", all.YAML)
	}
	opts.Until = t0.Add(24 * time.Hour)
	until, err := Learn(late, opts)
	if err != nil {
		t.Fatal(err)
	}
	note := []byte("# Only flows first seen before 2026-11-02T00:00:00Z were learned from.\n")
	if !bytes.Contains(until.YAML, note) || !bytes.Equal(bytes.Replace(until.YAML, note, nil, 1), clean.YAML) || len(until.Outliers) != len(clean.Outliers) {
		t.Errorf("with Until the proposal differs from the one learned before the late flows:\n%s\nvs\n%s", until.YAML, clean.YAML)
	}
}
