package policy

import (
	"net/netip"
	"strings"
	"testing"
)

func loadSmall(t *testing.T) *Policy {
	t.Helper()
	p, err := Load("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	p := loadSmall(t)
	pump := netip.MustParseAddr("10.40.0.11")
	a := netip.MustParseAddr
	tests := []struct {
		name        string
		flow        Flow
		wantAllowed bool
		wantLine    int    // line of the allowing rule; 0 when denied
		wantReason  string // a part of Reason
		wantMode    Mode
		noPolicy    bool
	}{
		{"zone, tcp/443", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.20.0.5"), DstPort: 443, Proto: "tcp"},
			true, 18, "allowed by rule at line 18 (zone device-servers, tcp/443)", AlertOnly, false},
		{"zone, port range low end", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.20.0.5"), DstPort: 8000, Proto: "tcp"},
			true, 18, "tcp/8000", AlertOnly, false},
		{"zone, port range high end", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.20.0.5"), DstPort: 8100, Proto: "tcp"},
			true, 18, "", AlertOnly, false},
		{"zone, port just outside the range", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.20.0.5"), DstPort: 8101, Proto: "tcp"},
			false, 0, "infusion_pump 10.40.0.11 (zone campus) → 10.20.0.5:8101/tcp is not in its allowlist (default deny); alert-only", AlertOnly, false},
		{"zone, wrong protocol", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.20.0.5"), DstPort: 443, Proto: "udp"},
			false, 0, "default deny", AlertOnly, false},
		{"zone in IPv6", Flow{Class: "infusion_pump", Src: pump, Dst: a("fd00:20::9"), DstPort: 443, Proto: "tcp"},
			true, 18, "zone device-servers", AlertOnly, false},
		{"IPv4-mapped destination", Flow{Class: "infusion_pump", Src: pump, Dst: a("::ffff:10.20.0.5"), DstPort: 443, Proto: "tcp"},
			true, 18, "", AlertOnly, false},
		{"overlap: the nested zone is not the outer one", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.0.0.53"), DstPort: 53, Proto: "udp"},
			true, 26, "zone infrastructure", AlertOnly, false},
		{"overlap: an address of campus only is not infrastructure", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.9.0.53"), DstPort: 53, Proto: "udp"},
			false, 0, "default deny", AlertOnly, false},
		{"exact name, any address", Flow{Class: "infusion_pump", Src: pump, Dst: a("203.0.113.7"), DstPort: 443, Proto: "tcp", DstNames: []string{"drugs.vendor.example"}},
			true, 22, "name drugs.vendor.example", AlertOnly, false},
		{"the name's new address is allowed too", Flow{Class: "infusion_pump", Src: pump, Dst: a("198.51.100.99"), DstPort: 443, Proto: "tcp", DstNames: []string{"drugs.vendor.example"}},
			true, 22, "", AlertOnly, false},
		{"the same address without an allowed name is denied", Flow{Class: "infusion_pump", Src: pump, Dst: a("203.0.113.7"), DstPort: 443, Proto: "tcp", DstNames: []string{"evil.example"}},
			false, 0, "(names: evil.example)", AlertOnly, false},
		{"no names at all", Flow{Class: "infusion_pump", Src: pump, Dst: a("203.0.113.7"), DstPort: 443, Proto: "tcp"},
			false, 0, "203.0.113.7:443/tcp", AlertOnly, false},
		{"wildcard: subdomain, case and trailing dot", Flow{Class: "infusion_pump", Src: pump, Dst: a("203.0.113.8"), DstPort: 443, Proto: "tcp", DstNames: []string{"Edge-3.CDN.Vendor.Example."}},
			true, 22, "name *.cdn.vendor.example", AlertOnly, false},
		{"wildcard: deeper subdomain", Flow{Class: "infusion_pump", Src: pump, Dst: a("203.0.113.8"), DstPort: 443, Proto: "tcp", DstNames: []string{"a.b.cdn.vendor.example"}},
			true, 22, "", AlertOnly, false},
		{"wildcard: not the apex", Flow{Class: "infusion_pump", Src: pump, Dst: a("203.0.113.8"), DstPort: 443, Proto: "tcp", DstNames: []string{"cdn.vendor.example"}},
			false, 0, "default deny", AlertOnly, false},
		{"wildcard: not a lookalike suffix", Flow{Class: "infusion_pump", Src: pump, Dst: a("203.0.113.8"), DstPort: 443, Proto: "tcp", DstNames: []string{"evilcdn.vendor.example"}},
			false, 0, "default deny", AlertOnly, false},
		{"zone by VLAN, any protocol", Flow{Class: "infusion_pump", Src: pump, Dst: a("172.16.5.5"), DstVLAN: 45, DstPort: 5000, Proto: "udp"},
			true, 29, "zone wireless-pumps, udp/5000", AlertOnly, false},
		{"zone by VLAN, ICMP", Flow{Class: "infusion_pump", Src: pump, Dst: a("172.16.5.5"), DstVLAN: 45, Proto: "icmp"},
			true, 29, "icmp", AlertOnly, false},
		{"a CIDR beats the VLAN", Flow{Class: "infusion_pump", Src: pump, Dst: a("10.1.1.1"), DstVLAN: 45, DstPort: 5000, Proto: "udp"},
			false, 0, "default deny", AlertOnly, false},
		{"proto any with ports: tcp", Flow{Class: "patient_monitor", Src: pump, Dst: a("192.0.2.10"), DstPort: 2575, Proto: "tcp"},
			true, 34, "cidr 192.0.2.0/24, tcp/2575", Enforce, false},
		{"proto any with ports: udp", Flow{Class: "patient_monitor", Src: pump, Dst: a("2001:db8:1:2::3"), DstPort: 2575, Proto: "udp"},
			true, 34, "cidr 2001:db8:1::/48", Enforce, false},
		{"proto any with ports: never ICMP", Flow{Class: "patient_monitor", Src: pump, Dst: a("203.0.113.1"), Proto: "icmp"},
			false, 0, "203.0.113.1 icmp is not in its allowlist", Enforce, false},
		{"ICMP rule", Flow{Class: "patient_monitor", Src: pump, Dst: a("10.99.0.1"), Proto: "ICMP"},
			true, 37, "zone campus, icmp", Enforce, false},
		{"ICMP rule does not allow tcp", Flow{Class: "patient_monitor", Src: pump, Dst: a("10.99.0.1"), DstPort: 22, Proto: "tcp"},
			false, 0, "default deny", Enforce, false},
		{"empty allowlist denies all", Flow{Class: "printer", Src: pump, Dst: a("10.20.0.5"), DstPort: 443, Proto: "tcp"},
			false, 0, "printer 10.40.0.11 (zone campus) → 10.20.0.5:443/tcp is not in its allowlist (default deny)", Enforce, false},
		{"any destination", Flow{Class: "it_server", Src: pump, Dst: a("2001:db8::1"), DstPort: 443, Proto: "tcp"},
			true, 43, "any destination, tcp/443", Enforce, false},
		{"any destination, other port", Flow{Class: "it_server", Src: pump, Dst: a("2001:db8::1"), DstPort: 80, Proto: "tcp"},
			false, 0, "default deny", Enforce, false},
		// A model entry replaces the class entry for its model.
		{"model entry allows", Flow{Class: "infusion_pump", Model: "Alaris 8015", Src: pump, Dst: a("10.20.0.5"), DstPort: 443, Proto: "tcp"},
			true, 55, `allowed by rule at line 55 of model "Alaris 8015" (zone device-servers, tcp/443)`, Enforce, false},
		{"model entry replaces: a class rule does not apply", Flow{Class: "infusion_pump", Model: "Alaris 8015", Src: pump, Dst: a("10.0.0.53"), DstPort: 53, Proto: "udp"},
			false, 0, `infusion_pump model "Alaris 8015" 10.40.0.11 (zone campus) → 10.0.0.53:53/udp is not in its allowlist (default deny); judged by the entry for model "Alaris 8015" at line 51`, Enforce, false},
		{"model entry replaces: its own mode, not the class's", Flow{Class: "infusion_pump", Model: "Alaris 8015", Src: pump, Dst: a("10.20.0.5"), DstPort: 8000, Proto: "tcp"},
			false, 0, "default deny", Enforce, false},
		{"model without an entry: the class entry", Flow{Class: "infusion_pump", Model: "Plum 360", Src: pump, Dst: a("10.0.0.53"), DstPort: 53, Proto: "udp"},
			true, 26, "allowed by rule at line 26 (zone infrastructure, udp/53)", AlertOnly, false},
		{"models match exactly", Flow{Class: "infusion_pump", Model: "alaris 8015", Src: pump, Dst: a("10.20.0.5"), DstPort: 8000, Proto: "tcp"},
			true, 18, "", AlertOnly, false},
		{"model entry with an empty allowlist denies all", Flow{Class: "patient_monitor", Model: `IntelliVue "MX40" wireless`, Src: pump, Dst: a("192.0.2.10"), DstPort: 2575, Proto: "tcp"},
			false, 0, `patient_monitor model "IntelliVue \"MX40\" wireless" 10.40.0.11`, Enforce, false},
		{"model of another class", Flow{Class: "printer", Model: "Alaris 8015", Src: pump, Dst: a("10.20.0.5"), DstPort: 443, Proto: "tcp"},
			false, 0, "printer 10.40.0.11", Enforce, false},
		{"class with no policy", Flow{Class: "ventilator", Src: pump, Dst: a("10.20.0.5"), DstPort: 443, Proto: "tcp"},
			false, 0, `class "ventilator" has no entry in policy "small": not evaluated`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Evaluate(tt.flow)
			if got.Allowed != tt.wantAllowed || got.Mode != tt.wantMode || got.NoPolicy != tt.noPolicy {
				t.Fatalf("got allowed=%v mode=%q no_policy=%v (%s), want %v %q %v", got.Allowed, got.Mode, got.NoPolicy, got.Reason, tt.wantAllowed, tt.wantMode, tt.noPolicy)
			}
			if (got.Rule != nil) != tt.wantAllowed {
				t.Errorf("got rule %v with allowed=%v", got.Rule, got.Allowed)
			}
			if got.Rule != nil && got.Rule.Line != tt.wantLine {
				t.Errorf("got rule at line %d, want %d", got.Rule.Line, tt.wantLine)
			}
			if !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("got reason %q, want it to contain %q", got.Reason, tt.wantReason)
			}
			if got.NoPolicy != (got.Entry == nil) {
				t.Errorf("got entry %v with no_policy=%v", got.Entry, got.NoPolicy)
			}
			if want, ok := p.Entry(tt.flow.Class, tt.flow.Model); ok && got.Entry != want {
				t.Errorf("judged by %s, want %s", got.Entry.Name(), want.Name())
			}
			if allowed, judged := p.Allows(tt.flow); allowed != got.Allowed || judged == got.NoPolicy {
				t.Errorf("Allows = %v, %v; Evaluate says allowed=%v no_policy=%v", allowed, judged, got.Allowed, got.NoPolicy)
			}
		})
	}
}

// TestEntryWithoutClassEntry: a policy may name only a model; devices of
// the class's other models are then not judged.
func TestEntryWithoutClassEntry(t *testing.T) {
	p, err := Parse([]byte("classes:\n  - class: printer\n    model: LaserJet 4\n    allow: [{to: any, proto: tcp, ports: [9100]}]\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := Flow{Class: "printer", Model: "LaserJet 4", Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), DstPort: 9100, Proto: "tcp"}
	if v := p.Evaluate(f); !v.Allowed || v.Entry.Model != "LaserJet 4" {
		t.Errorf("got %+v, want allowed by the model entry", v)
	}
	f.Model = "LaserJet 5"
	if v := p.Evaluate(f); !v.NoPolicy {
		t.Errorf("got %+v, want not judged", v)
	}
	if _, ok := p.Class("printer"); ok {
		t.Error("Class(printer) found a class entry in a policy with only a model entry")
	}
}

func TestZoneOf(t *testing.T) {
	p := loadSmall(t)
	tests := []struct {
		addr     string
		vlan     int
		want     string
		wantZone bool
	}{
		{"10.1.2.3", 0, "campus", true},
		{"10.0.0.53", 0, "infrastructure", true},   // /24 inside /8: longest prefix wins
		{"10.20.0.255", 0, "device-servers", true}, // last address of the /24
		{"10.20.1.0", 0, "campus", true},           // first address past it
		{"::ffff:10.0.0.53", 0, "infrastructure", true},
		{"fd00:20::1", 0, "device-servers", true},
		{"fd00:21::1", 0, "", false},
		{"172.16.0.1", 45, "wireless-pumps", true}, // no CIDR: the VLAN decides
		{"172.16.0.1", 20, "device-servers", true}, // a zone with CIDRs and VLANs
		{"10.1.2.3", 45, "campus", true},           // a CIDR wins over the VLAN
		{"172.16.0.1", 0, "", false},
		{"172.16.0.1", 99, "", false},
	}
	for _, tt := range tests {
		got, ok := p.ZoneOf(netip.MustParseAddr(tt.addr), tt.vlan)
		if got != tt.want || ok != tt.wantZone {
			t.Errorf("ZoneOf(%s, %d) = %q, %v; want %q, %v", tt.addr, tt.vlan, got, ok, tt.want, tt.wantZone)
		}
	}
	if got, ok := p.ZoneOf(netip.Addr{}, 0); ok {
		t.Errorf("ZoneOf(invalid) = %q, want no zone", got)
	}
}
