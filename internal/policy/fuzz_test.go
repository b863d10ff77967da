package policy

import (
	"io"
	"net/netip"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the strict policy parser: it must
// return a policy or an error, never panic, and whatever it accepts must
// evaluate flows and export in every format.
func FuzzParse(f *testing.F) {
	// Small seeds: the engine minimizes every new input, which for the
	// 17 KB template takes longer than the run (TestTemplate covers it).
	f.Add([]byte("name: t\nzones:\n  - {name: srv, description: d, cidrs: [10.20.0.0/22, 'fd00:0:0:20::/64'], vlans: [20]}\n  - {name: big, cidrs: [10.0.0.0/8]}\nclasses:\n  - {class: pacs, allow: [{to: {zones: [srv, big]}, proto: tcp, ports: [104, 11112], comment: DICOM}]}\n"))
	f.Add([]byte("zones:\n  - {name: a, cidrs: [10.0.0.0/8, '::ffff:10.0.0.0/104'], vlans: [4]}\nclasses:\n  - class: printer\n    allow: [{to: {zones: [a]}, ports: [1-2, 3]}]\n"))
	f.Add([]byte("classes:\n  - class: infusion_pump\n    mode: enforce\n    allow: [{to: any, proto: icmp}, {to: {names: ['*.x.example']}, proto: udp}]\n"))
	f.Add([]byte("classes: [{class: it_server, allow: [{to: {cidrs: [2001:db8::/32]}}]}]\n"))
	f.Add([]byte("zones: [&a {name: a, vlans: [1]}, *a]\nclasses: []\n"))
	f.Add([]byte("classes: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, c := range p.Classes {
			p.Evaluate(Flow{Class: c.Class, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("::ffff:10.1.2.3"),
				DstPort: 443, Proto: "tcp", DstNames: []string{"a.x.example."}})
		}
		members := Members{}
		for _, c := range p.Classes {
			members[MemberKey{c.Class, c.Model}] = []netip.Addr{netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("fd00::9")}
		}
		for _, format := range Formats() {
			if err := Export(io.Discard, p, format, members, nil); err != nil {
				t.Fatalf("export %s of an accepted policy: %v", format, err)
			}
		}
	})
}
