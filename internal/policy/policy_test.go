package policy

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
)

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every message, in order
	}{
		{"unknown top-level key", "name: x\nclasses: []\nzone: []\n",
			[]string{`p.yaml:3: policy: unknown key "zone" (known: name, zones, classes)`}},
		{"missing classes", "name: x\n",
			[]string{`p.yaml:1: policy: missing key "classes"`}},
		{"not a mapping", "- a\n",
			[]string{`p.yaml:1: policy: want a mapping, got a list`}},
		{"duplicate key", "name: x\nname: y\nclasses: []\n",
			[]string{`p.yaml:2: policy: duplicate key "name"`}},
		{"bad zone fields", `
zones:
  - name: Servers
    cidrs: [10.0.0.0/33, 10.1.2.3/8, "::ffff:10.0.0.0/8"]
    vlans: [0, 4095, x]
  - name: c
    cidrs: [10.3.0.0/16, "::ffff:10.3.0.0/112"]
    vlans: [9, 9]
  - name: a
  - name: b
    cidrs: [10.9.0.0/16]
    vlans: [7]
  - name: b
    cidrs: [10.9.0.0/16]
    vlans: [7]
classes: []
`, []string{
			`p.yaml:3: zone "Servers": a name is lower case letters and digits joined by '-'`,
			`p.yaml:4: zone "Servers": bad CIDR "10.0.0.0/33"`,
			`p.yaml:4: zone "Servers": CIDR "10.1.2.3/8" has host bits set; did you mean 10.0.0.0/8?`,
			`p.yaml:4: zone "Servers": bad CIDR "::ffff:10.0.0.0/8": an IPv4-mapped prefix needs at least 96 bits`,
			`p.yaml:5: zone "Servers": VLAN "0" is not a number in 1-4094`,
			`p.yaml:5: zone "Servers": VLAN "4095" is not a number in 1-4094`,
			`p.yaml:5: zone "Servers": VLAN "x" is not a number in 1-4094`,
			`p.yaml:3: zone "Servers": needs at least one CIDR or VLAN`,
			`p.yaml:7: zone "c": 10.3.0.0/16 is already in zone "c"`,
			`p.yaml:8: zone "c": VLAN 9 is already in zone "c"`,
			`p.yaml:9: zone "a": needs at least one CIDR or VLAN`,
			`p.yaml:13: zone "b": defined twice (first at line 10)`,
			`p.yaml:14: zone "b": 10.9.0.0/16 is already in zone "b"`,
			`p.yaml:15: zone "b": VLAN 7 is already in zone "b"`,
			`p.yaml:13: zone "b": needs at least one CIDR or VLAN`,
		}},
		{"bad classes and rules", `
zones:
  - {name: servers, cidrs: [10.0.0.0/24]}
classes:
  - class: toaster
  - class: printer
    mode: block
    allow:
      - {to: {zones: [servres]}, ports: [0, 70000, 9-8, "a"], proto: sctp}
      - {to: {names: ["*.", "a.*.b", "ok.example"]}, proto: icmp, ports: [1]}
      - {to: {any: true, cidrs: [10.0.0.0/8]}, colour: red}
      - {ports: [443]}
      - {to: everywhere}
      - {to: {}}
  - class: printer
    allow: []
`, []string{
			`p.yaml:5: class "toaster": not a device class of the fingerprint table`,
			`p.yaml:7: class "printer": mode "block" is neither "enforce" nor "alert-only"`,
			`p.yaml:9: unknown zone "servres"`,
			`p.yaml:9: proto "sctp" is not tcp, udp, icmp or any`,
			`p.yaml:9: bad port "0": want a port (1-65535) or a range like 8000-8100`,
			`p.yaml:9: bad port "70000": want a port (1-65535) or a range like 8000-8100`,
			`p.yaml:9: bad port "9-8": want a port (1-65535) or a range like 8000-8100`,
			`p.yaml:9: bad port "a": want a port (1-65535) or a range like 8000-8100`,
			`p.yaml:10: bad DNS name "*.": a wildcard is allowed only as a leading "*."`,
			`p.yaml:10: bad DNS name "a.*.b": a wildcard is allowed only as a leading "*."`,
			`p.yaml:10: ICMP has no ports`,
			`p.yaml:11: rule: unknown key "colour" (known: to, ports, proto, comment)`,
			`p.yaml:11: to: "any" together with cidrs, zones or names says nothing more; keep one`,
			`p.yaml:12: class "printer": rule without "to"`,
			`p.yaml:13: to: want "any" or a mapping of cidrs, zones and names, got "everywhere"`,
			`p.yaml:14: to: names no destination (want any, cidrs, zones or names)`,
			`p.yaml:15: class "printer": has two entries (first at line 6)`,
		}},
		{"model entries", `
classes:
  - class: infusion_pump
  - class: infusion_pump
    model: Alaris 8015
  - class: infusion_pump
    model: Plum 360
  - class: infusion_pump
    model: Alaris 8015
    mode: enforce
  - class: infusion_pump
  - class: infusion_pump
    model: ""
  - class: infusion_pump
    model: " Alaris 8015"
  - class: infusion_pump
    model: [a]
  - class: toaster
    model: T1000
  - model: Alaris 8015
`, []string{
			`p.yaml:9: class "infusion_pump" model "Alaris 8015": has two entries (first at line 4)`,
			`p.yaml:11: class "infusion_pump": has two entries (first at line 3)`,
			`p.yaml:13: class "infusion_pump": empty model (omit the key for the class entry)`,
			`p.yaml:15: class "infusion_pump": model " Alaris 8015" has leading or trailing spaces or control characters`,
			`p.yaml:17: model: want a scalar, got a list`,
			`p.yaml:18: class "toaster": not a device class of the fingerprint table`,
			`p.yaml:20: class: missing key "class"`,
		}},
		{"aliases are refused", "zones:\n  - &z {name: a, cidrs: [10.0.0.0/8]}\n  - *z\nclasses: []\n",
			[]string{`p.yaml:3: zone: YAML aliases are not supported`}},
		{"syntax error", "classes: [\n", []string{`p.yaml: invalid policy: yaml: line 1: did not find expected node content`}},
		{"empty", "", []string{`p.yaml: invalid policy: empty document`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.yaml), "p.yaml")
			if err == nil {
				t.Fatalf("got policy %+v, want an error", p)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("error %v does not wrap ErrInvalidPolicy", err)
			}
			got := strings.Split(err.Error(), "\n")
			if !slices.Equal(got, tt.want) {
				t.Errorf("got errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	p, err := Parse([]byte(`
classes:
  - class: infusion_pump          # life-sustaining: alert-only by default
    allow:
      - {to: {cidrs: ["::ffff:10.0.0.0/104", 192.0.2.7]}, ports: [443, "8000-8100", " 9 "], proto: TCP}
      - {to: any, proto: any}
  - class: printer                # enforce by default
  - class: ventilator
    mode: enforce
    allow:
      - {to: {names: [API.Vendor.Example.]}, proto: udp}
`), "forms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "forms.yaml" {
		t.Errorf("got name %q, want the source name when the file sets none", p.Name)
	}
	pump, _ := p.Class("infusion_pump")
	printer, _ := p.Class("printer")
	vent, _ := p.Class("ventilator")
	if pump.Mode != AlertOnly || printer.Mode != Enforce || vent.Mode != Enforce {
		t.Errorf("got modes %q %q %q, want alert-only enforce enforce", pump.Mode, printer.Mode, vent.Mode)
	}
	wantRule := Rule{
		To:    Destination{CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}},
		Ports: []PortRange{{443, 443}, {8000, 8100}, {9, 9}},
		Proto: "tcp",
		Line:  5,
	}
	if got := pump.Allow[0]; !rulesEqual(got, wantRule) {
		t.Errorf("got rule %+v, want %+v", got, wantRule)
	}
	if got := pump.Allow[1]; !got.To.Any || got.Proto != "" {
		t.Errorf("got %+v, want any destination and any protocol", got)
	}
	if printer.Allow != nil {
		t.Errorf("got allowlist %+v for a class without allow, want none", printer.Allow)
	}
	if got := vent.Allow[0].To.Names; !slices.Equal(got, []string{"api.vendor.example"}) {
		t.Errorf("got names %q, want lower case without the trailing dot", got)
	}
}

func rulesEqual(a, b Rule) bool {
	return a.To.Any == b.To.Any && slices.Equal(a.To.CIDRs, b.To.CIDRs) && slices.Equal(a.To.Zones, b.To.Zones) &&
		slices.Equal(a.To.Names, b.To.Names) && slices.Equal(a.Ports, b.Ports) && a.Proto == b.Proto &&
		a.Comment == b.Comment && a.Line == b.Line
}

func TestLoad(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("got %v, want a not-found error that is not ErrInvalidPolicy", err)
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("classes:\n  - class: toaster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if want := path + `:2: class "toaster": not a device class of the fingerprint table`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestTemplate(t *testing.T) {
	p := Template()
	if !bytes.Equal(TemplateYAML(), templateFile(t)) {
		t.Error("TemplateYAML differs from policies/nist-sp-1800-8.yaml")
	}
	for _, c := range fingerprint.Classes() {
		cp, ok := p.Class(c.Name)
		if !ok {
			t.Errorf("class %s has no entry in the template", c.Name)
			continue
		}
		if want := defaultMode(c.Name); cp.Mode != want {
			t.Errorf("class %s: got mode %s, want %s", c.Name, cp.Mode, want)
		}
		if (c.Criticality == asset.LifeSustaining) != (cp.Mode == AlertOnly) {
			t.Errorf("class %s (%s) has mode %s", c.Name, c.Criticality, cp.Mode)
		}
		if len(cp.Allow) == 0 {
			t.Errorf("class %s: empty allowlist", c.Name)
		}
	}
	for _, z := range []string{"enterprise", "biomedical-engineering", "device-servers", "vendor-access", "infrastructure", "clinical-critical-care"} {
		if _, ok := p.zoneByName[z]; !ok {
			t.Errorf("template has no zone %s", z)
		}
	}
	// A realistic flow of each kind the template is about.
	flows := []struct {
		flow Flow
		want bool
	}{
		{Flow{Class: "infusion_pump", Src: netip.MustParseAddr("10.40.1.2"), Dst: netip.MustParseAddr("10.20.0.10"), DstPort: 443, Proto: "tcp"}, true},
		{Flow{Class: "infusion_pump", Src: netip.MustParseAddr("10.40.1.2"), Dst: netip.MustParseAddr("104.16.0.1"), DstPort: 443, Proto: "tcp", DstNames: []string{"druglib.icumed.com"}}, true},
		{Flow{Class: "infusion_pump", Src: netip.MustParseAddr("10.40.1.2"), Dst: netip.MustParseAddr("10.10.4.4"), DstPort: 445, Proto: "tcp"}, false},
		{Flow{Class: "patient_monitor", Src: netip.MustParseAddr("10.40.1.3"), Dst: netip.MustParseAddr("10.20.1.1"), DstPort: 2575, Proto: "tcp"}, true},
		{Flow{Class: "imaging_ct", Src: netip.MustParseAddr("10.42.0.5"), Dst: netip.MustParseAddr("10.20.2.2"), DstPort: 104, Proto: "tcp"}, true},
		{Flow{Class: "imaging_ct", Src: netip.MustParseAddr("10.42.0.5"), Dst: netip.MustParseAddr("198.51.100.1"), DstPort: 3389, Proto: "tcp"}, false},
	}
	for _, f := range flows {
		if got := p.Evaluate(f.flow); got.Allowed != f.want {
			t.Errorf("%+v: got %s, want allowed=%v", f.flow, got.Reason, f.want)
		}
	}
}

func templateFile(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../policies/nist-sp-1800-8.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
