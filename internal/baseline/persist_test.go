package baseline

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

func flat(per [][]Deviation) []Deviation {
	var out []Deviation
	for _, ds := range per {
		out = append(out, ds...)
	}
	return out
}

func TestStreamRaisesEveryKind(t *testing.T) {
	devs := flat(run(New(streamConfig()), stream(20, 72*time.Hour, 1)))
	got := kinds(devs)
	for _, k := range Kinds {
		if got[k] == 0 {
			t.Errorf("no %s in the stream's deviations (%v)", k, got)
		}
	}
	// The fleet's normal traffic (heartbeats, vouched CDN addresses,
	// studies to the PACS, reverse lookups) raises nothing.
	for _, d := range devs {
		switch d.DeviceID {
		case "dev-0003", "dev-0005", "dev-0007", "dev-0009", "dev-0011", "dev-0013":
		default:
			t.Errorf("deviation of a normal device: %+v", d)
		}
	}
}

func TestRestartContinues(t *testing.T) {
	recs := stream(20, 72*time.Hour, 1)
	mid := slices.IndexFunc(recs, func(r record) bool { return !r.ts().Before(streamSplit) })
	if mid <= 0 {
		t.Fatal("split outside the stream")
	}

	whole := New(streamConfig())
	wantDevs := run(whole, recs)
	wantDocs := map[string][]byte{}
	if err := store(wantDocs, whole); err != nil {
		t.Fatal(err)
	}

	first := New(streamConfig())
	run(first, recs[:mid])
	docs := map[string][]byte{}
	if err := store(docs, first); err != nil {
		t.Fatal(err)
	}
	second := New(streamConfig())
	for _, id := range slices.Sorted(maps.Keys(docs)) {
		if err := second.Load(id, docs[id]); err != nil {
			t.Fatalf("Load(%s): %v", id, err)
		}
	}
	if got, want := second.Len(), first.Len(); got != want {
		t.Fatalf("loaded %d profiles, want %d", got, want)
	}
	if got := second.Dirty(); got != 0 {
		t.Errorf("%d profiles dirty after Load, want 0", got)
	}
	gotDevs := run(second, recs[mid:])
	if err := store(docs, second); err != nil {
		t.Fatal(err)
	}

	got, want := flat(gotDevs), flat(wantDevs[mid:])
	if len(want) == 0 {
		t.Fatal("no deviations after the split: the test proves nothing")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deviations after the restart differ: got %v, want %v", kinds(got), kinds(want))
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("first difference at %d:\n got  %+v\n want %+v", i, got[i], want[i])
				break
			}
		}
	}
	for _, k := range []Kind{VolumeSpike, Beaconing, Scan} {
		if kinds(want)[k] == 0 {
			t.Errorf("no %s after the split: the state it needs did not cross the restart", k)
		}
	}
	if got, want := slices.Sorted(maps.Keys(docs)), slices.Sorted(maps.Keys(wantDocs)); !slices.Equal(got, want) {
		t.Fatalf("stored devices %v, want %v", got, want)
	}
	for id, want := range wantDocs {
		if got := docs[id]; !bytes.Equal(got, want) {
			t.Errorf("document of %s differs after a restart:\n got  %s\n want %s", id, got, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	recs := stream(20, 72*time.Hour, 3)
	a, b := New(streamConfig()), New(streamConfig())
	da, db := run(a, recs), run(b, recs)
	if !reflect.DeepEqual(da, db) {
		t.Error("the same stream gave different deviations")
	}
	ca, _, errA := a.Flush()
	cb, _, errB := b.Flush()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !reflect.DeepEqual(ca, cb) {
		t.Error("the same stream gave different documents")
	}
	if !slices.IsSortedFunc(ca, func(x, y Changed) int { return strings.Compare(x.DeviceID, y.DeviceID) }) {
		t.Error("Flush is not ordered by device ID")
	}
	if len(ca) != a.Len() {
		t.Errorf("Flush returned %d documents for %d profiles", len(ca), a.Len())
	}
	if again, _, _ := a.Flush(); len(again) != 0 {
		t.Errorf("a second Flush returned %d documents, want 0", len(again))
	}
}

func TestMerge(t *testing.T) {
	seed := func(s *Set, id string, at time.Time) {
		s.Conn(Subject{ID: id}, Subject{}, conn(at, cloud, 443, 10), nil)
	}
	t.Run("into has no profile", func(t *testing.T) {
		s := newSet()
		seed(s, "from", t0)
		s.Flush()
		p := s.Profile("from")
		s.Merge("from", "into")
		if got := s.Profile("into"); got != p {
			t.Errorf("into's profile = %p, want from's %p", got, p)
		}
		if s.Profile("from") != nil || s.Len() != 1 {
			t.Errorf("from still has a profile; %d profiles", s.Len())
		}
		changed, deleted, err := s.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if len(changed) != 1 || changed[0].DeviceID != "into" {
			t.Errorf("changed = %v, want into", changed)
		}
		if !slices.Equal(deleted, []string{"from"}) {
			t.Errorf("deleted = %v, want [from]", deleted)
		}
	})
	t.Run("into has a profile", func(t *testing.T) {
		s := newSet()
		seed(s, "from", t0)
		seed(s, "into", t0.Add(time.Hour))
		s.Flush()
		p := s.Profile("into")
		before, _ := p.Encode()
		s.Merge("from", "into")
		if got := s.Profile("into"); got != p {
			t.Error("into's profile replaced")
		}
		after, _ := s.Profile("into").Encode()
		if !bytes.Equal(before, after) {
			t.Errorf("into's profile changed:\n%s\n%s", before, after)
		}
		changed, deleted, err := s.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if len(changed) != 0 || !slices.Equal(deleted, []string{"from"}) {
			t.Errorf("changed, deleted = %v, %v, want none, [from]", changed, deleted)
		}
	})
	t.Run("dirty from is not written", func(t *testing.T) {
		s := newSet()
		seed(s, "from", t0)
		s.Merge("from", "into")
		changed, deleted, _ := s.Flush()
		if len(changed) != 1 || changed[0].DeviceID != "into" || !slices.Equal(deleted, []string{"from"}) {
			t.Errorf("changed, deleted = %v, %v, want [into], [from]", changed, deleted)
		}
	})
	t.Run("no-ops", func(t *testing.T) {
		s := newSet()
		seed(s, "a", t0)
		s.Flush()
		s.Merge("a", "a")
		s.Merge("unknown", "a")
		changed, deleted, _ := s.Flush()
		if len(changed) != 0 || len(deleted) != 0 || s.Profile("a") == nil {
			t.Errorf("changed, deleted = %v, %v after no-op merges", changed, deleted)
		}
	})
	t.Run("seen again after merge", func(t *testing.T) {
		s := newSet()
		seed(s, "from", t0)
		s.Merge("from", "into")
		seed(s, "from", t0.Add(time.Hour))
		changed, deleted, _ := s.Flush()
		if len(changed) != 2 || len(deleted) != 0 {
			t.Errorf("changed, deleted = %d, %v, want 2 documents and nothing deleted", len(changed), deleted)
		}
	})
}

func TestDecodeRejects(t *testing.T) {
	for _, doc := range []string{
		``,
		`{`,
		`not json`,
		`null`,
		`[]`,
		`{}`,
		`{"v":0}`,
		`{"v":2}`,
		`{"v":"1"}`,
		`{"v":1,"start":"yesterday"}`,
		`{"v":1,"external_peers":["not-an-address"]}`,
		`{"v":1,"flows":[{"peer":"10.0.0.1","port":70000}]}`,
		`{"v":1,"volume":{"open":[{"h":"x"}]}}`,
	} {
		if p, err := Decode([]byte(doc)); err == nil {
			t.Errorf("Decode(%q) = %+v, want an error", doc, p)
		}
		s := newSet()
		if err := s.Load("d1", []byte(doc)); err == nil || s.Profile("d1") != nil {
			t.Errorf("Load(%q) = %v, profile %v; want an error and no profile", doc, err, s.Profile("d1"))
		}
	}
	if _, err := Decode([]byte(`{"v":1}`)); err != nil {
		t.Errorf("Decode of a minimal profile: %v", err)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	s := New(streamConfig())
	run(s, stream(10, 60*time.Hour, 5))
	changed, _, err := s.Flush()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changed {
		p, err := Decode(c.Doc)
		if err != nil {
			t.Fatalf("%s: %v", c.DeviceID, err)
		}
		orig := *s.Profile(c.DeviceID)
		orig.lastAddr, orig.lastVLAN = netip.Addr{}, 0 // a cache, not persisted
		if !reflect.DeepEqual(*p, orig) {
			t.Errorf("%s: decoded profile differs from the original", c.DeviceID)
		}
		again, err := p.Encode()
		if err != nil || !bytes.Equal(again, c.Doc) {
			t.Errorf("%s: re-encoding differs (%v)", c.DeviceID, err)
		}
	}
}

// TestDecodedProfileCannotPanic feeds profiles that decode but hold values
// Set never writes (a stored document from a buggy or tampered version)
// through ordinary events: nothing may panic.
func TestDecodedProfileCannotPanic(t *testing.T) {
	history := make([]string, historyHours)
	for i := range history {
		history[i] = "1000"
	}
	hist := strings.Join(history, ",")
	for _, tt := range []struct{ name, doc string }{
		{"ring index out of range", `{"v":1,"start":1,"external_volume":{"open":[{"h":1},{"h":2},{"h":3},{"h":4}],"history":[` + hist + `],"next":500}}`},
		{"negative ring index", `{"v":1,"start":1,"external_volume":{"open":[{"h":1},{"h":2},{"h":3},{"h":4}],"history":[` + hist + `],"next":-1}}`},
		{"unknown protocol in ports", `{"v":1,"start":1,"ports":[327680]}`},
		{"negative hour", `{"v":1,"start":1,"volume":{"open":[{"h":-5,"b":10},{"h":-4},{"h":-3},{"h":-2}]}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Learning: time.Hour, Internal: internal.Contains})
			if err := s.Load("d1", []byte(tt.doc)); err != nil {
				return // rejected: fine
			}
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("panic after loading %s: %v", tt.name, r)
				}
			}()
			for h := range 6 {
				s.Conn(d1, Subject{}, conn(t0.Add(time.Duration(h)*time.Hour), stranger, uint16(9000+h), 100), nil)
			}
		})
	}
}

func TestBounds(t *testing.T) {
	s := New(Config{Learning: 24 * time.Hour, Internal: internal.Contains})
	const n = 10_000
	step := 48 * time.Hour / n
	for i := range n {
		ts := t0.Add(time.Duration(i) * step) // half learning, half judged
		me := addr4(10, 20+i%200, i/200, 5)
		peer := addr4(100+i%100, 1+i/100%200, 7, 9)
		name := fmt.Sprintf("host%d.domain%d.example", i, i)
		s.DNS(d1, &event.DNS{TS: ts, OrigH: me, RespH: resolver, RespP: 53, Proto: "udp", Query: name, Answers: []string{peer.String()}}, nil)
		s.SSL(d1, &event.SSL{TS: ts, OrigH: me, RespH: peer, RespP: 443, ServerName: "tls." + name}, nil)
		c := conn(ts, peer, uint16(1+i%60000), 100)
		c.OrigH, c.VLAN = me, 1+i%4000
		s.Conn(d1, Subject{}, c, nil)
		s.Conn(d1, Subject{}, probe(ts, addr4(10, 99, i/250%250, 1+i%250), 445), nil)
	}
	p := s.Profile("d1")
	for _, b := range []struct {
		what     string
		got, max int
	}{
		{"flows", len(p.Flows), maxFlows},
		{"external peers", len(p.ExternalPeers), maxExternalPeers},
		{"ports", len(p.Ports), maxPorts},
		{"domains", len(p.Domains), maxDomains},
		{"networks", len(p.Networks), maxNetworks},
		{"resolved", len(p.Resolved), maxResolved},
		{"beacons", len(p.Beacons), maxBeaconPeers},
		{"probe hosts", len(p.Probe.Hosts), maxProbeHosts},
		{"probe ports", len(p.Probe.Ports), maxProbeHosts},
		{"history", len(p.External.History), historyHours},
	} {
		if b.got > b.max {
			t.Errorf("%s = %d, want at most %d", b.what, b.got, b.max)
		}
		if b.got == 0 && b.what != "history" && !strings.HasPrefix(b.what, "probe") {
			t.Errorf("%s = 0: the stream did not exercise the bound", b.what)
		}
	}
	for _, f := range p.Flows {
		if len(f.Names) > maxFlowNames {
			t.Errorf("flow %s has %d names, want at most %d", f.Peer, len(f.Names), maxFlowNames)
		}
	}
	for _, b := range p.Beacons {
		if len(b.Times) > beaconTimes {
			t.Errorf("beacon %s keeps %d times, want at most %d", b.Peer, len(b.Times), beaconTimes)
		}
	}
	doc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Counts are bounded, so the size is too; 128 KiB holds it with
	// names of this length.
	if len(doc) > 128<<10 {
		t.Errorf("document of a noisy device = %d bytes, want at most 128 KiB", len(doc))
	}
	t.Logf("document of a device with %d peers, ports and domains: %d bytes", n, len(doc))
}

func TestNoisyDocumentUnder64KiB(t *testing.T) {
	s := New(Config{Learning: 24 * time.Hour, Internal: internal.Contains})
	for i := range 10_000 {
		ts := t0.Add(time.Duration(i) * 48 * time.Hour / 10_000)
		peer := addr4(100+i%100, 1+i/100%200, 7, 9)
		name := fmt.Sprintf("host%d.domain%d.example", i, i)
		s.DNS(d1, &event.DNS{TS: ts, OrigH: devAddr, RespH: resolver, Query: name, Answers: []string{peer.String()}}, nil)
		s.SSL(d1, &event.SSL{TS: ts, OrigH: devAddr, RespH: peer, RespP: 443, ServerName: "tls." + name}, nil)
		s.Conn(d1, Subject{}, conn(ts, peer, uint16(1+i%60000), 100), nil)
	}
	doc, err := s.Profile("d1").Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(doc) > 64<<10 {
		t.Errorf("document of a noisy device = %d bytes, want at most 64 KiB", len(doc))
	}
}

func TestNamesOfUnknownDevice(t *testing.T) {
	s := newSet()
	if got := s.NamesOf("nobody", netip.MustParseAddr("192.0.2.1")); got != nil {
		t.Errorf("NamesOf an unknown device = %v, want nil", got)
	}
}
