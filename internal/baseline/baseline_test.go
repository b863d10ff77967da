package baseline

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

var (
	t0       = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	internal = netip.MustParsePrefix("10.0.0.0/8")
	devAddr  = netip.MustParseAddr("10.20.1.5")
	cloud    = netip.MustParseAddr("198.51.100.10")
	resolver = netip.MustParseAddr("10.1.0.10")
)

func newSet() *Set {
	return New(Config{Learning: 24 * time.Hour, Internal: internal.Contains})
}

func conn(ts time.Time, to netip.Addr, port uint16, out int64) *event.Conn {
	return &event.Conn{TS: ts, OrigH: devAddr, OrigP: 40000, RespH: to, RespP: port, Proto: "tcp",
		OrigBytes: out, RespBytes: 100, ConnState: "SF", OrigPkts: 3, RespPkts: 3}
}

func kinds(ds []Deviation) map[Kind]int {
	out := map[Kind]int{}
	for _, d := range ds {
		out[d.Kind]++
	}
	return out
}

// learnHeartbeat runs a device that calls its cloud every 5 minutes for
// the given span, and returns what was reported.
func learnHeartbeat(s *Set, from time.Time, span time.Duration) []Deviation {
	var out []Deviation
	for ts := from; ts.Before(from.Add(span)); ts = ts.Add(5 * time.Minute) {
		out = s.Conn(Subject{ID: "d1"}, Subject{}, conn(ts, cloud, 443, 20_000), out)
	}
	return out
}

func TestNothingDuringLearningNothingForKnownBehaviour(t *testing.T) {
	s := newSet()
	if got := learnHeartbeat(s, t0, 48*time.Hour); len(got) != 0 {
		t.Fatalf("deviations for unchanged behaviour: %v", kinds(got))
	}
}

func TestVolumeSpike(t *testing.T) {
	s := newSet()
	learnHeartbeat(s, t0, 30*time.Hour)
	at := t0.Add(30 * time.Hour)
	var got []Deviation
	for i := range 10 {
		got = s.Conn(Subject{ID: "d1"}, Subject{}, conn(at.Add(time.Duration(i)*time.Minute), cloud, 443, 30_000_000), got)
	}
	if n := kinds(got)[VolumeSpike]; n != 1 {
		t.Fatalf("volume spikes = %d, want 1 (once per hour): %v", n, kinds(got))
	}
	if got[0].Baseline["median_bytes"] == "" {
		t.Errorf("no baseline evidence: %+v", got[0])
	}
}
