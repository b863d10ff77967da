package detect

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/policy"
)

// TestPolicyCheckerModel: a device is judged by its model's entry when the
// policy has one, else by its class's; the alert says which model entry
// applied.
func TestPolicyCheckerModel(t *testing.T) {
	p, err := policy.Parse([]byte(`
classes:
  - class: infusion_pump
    allow: [{to: {cidrs: [10.20.0.0/24]}, proto: tcp, ports: [443]}]
  - class: infusion_pump
    model: Alaris 8015
    allow: [{to: {cidrs: [10.30.0.0/24]}, proto: tcp, ports: [443]}]
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pc := NewPolicyChecker(p, func(netip.Addr) bool { return true })
	conn := func(dst string) *event.Conn {
		return &event.Conn{TS: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), OrigH: netip.MustParseAddr("10.40.0.1"),
			RespH: netip.MustParseAddr(dst), RespP: 443, Proto: "tcp"}
	}
	tests := []struct {
		model, dst string
		violated   bool
	}{
		{"", "10.20.0.5", false},
		{"", "10.30.0.5", true},
		{"Plum 360", "10.20.0.5", false}, // no entry for the model: the class's
		{"Alaris 8015", "10.30.0.5", false},
		{"Alaris 8015", "10.20.0.5", true}, // the model entry replaces the class's
	}
	for _, tt := range tests {
		c := conn(tt.dst)
		v, violated := pc.Check("dev-1", "infusion_pump", tt.model, c, nil)
		if violated != tt.violated {
			t.Errorf("model %q → %s: got violated=%v, want %v", tt.model, tt.dst, violated, tt.violated)
			continue
		}
		if !violated {
			continue
		}
		o := pc.Occurrence(v, Device{ID: "dev-1", Class: "infusion_pump"}, c, nil, event.Position{})
		fields := o.Evidence[len(o.Evidence)-1].Fields
		if got := fields["model"]; got != tt.model {
			t.Errorf("model %q: got evidence model %q, want the model entry's", tt.model, got)
		}
	}
}
