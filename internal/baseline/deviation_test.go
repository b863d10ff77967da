package baseline

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// afterLearning is an event time past the learning period of newSet for a
// device first seen at t0.
var afterLearning = t0.Add(25 * time.Hour)

var (
	d1       = Subject{ID: "d1"}
	stranger = netip.MustParseAddr("203.0.113.7")
	pacs     = netip.MustParseAddr("10.30.0.1")
)

// learned returns a set in which d1 learned its heartbeat to cloud:443
// and the domain api.vendor.com (resolving to cloud) over 24 hours.
func learned(t *testing.T) *Set {
	t.Helper()
	s := newSet()
	var out []Deviation
	out = s.DNS(d1, dnsQuery(t0, "api.vendor.com", cloud.String()), out)
	out = append(out, learnHeartbeat(s, t0, 25*time.Hour)...)
	if len(out) != 0 {
		t.Fatalf("deviations while learning the heartbeat: %v", kinds(out))
	}
	return s
}

func dnsQuery(ts time.Time, name string, answers ...string) *event.DNS {
	return &event.DNS{TS: ts, UID: "Cdns", OrigH: devAddr, RespH: resolver, RespP: 53, Proto: "udp",
		Query: name, QType: "A", RCode: "NOERROR", Answers: answers}
}

func tlsSession(ts time.Time, to netip.Addr, sni string) *event.SSL {
	return &event.SSL{TS: ts, UID: "Cssl", OrigH: devAddr, OrigP: 40001, RespH: to, RespP: 443,
		Version: "TLSv13", ServerName: sni, Established: true}
}

func probe(ts time.Time, to netip.Addr, port uint16) *event.Conn {
	return &event.Conn{TS: ts, OrigH: devAddr, OrigP: 40000, RespH: to, RespP: port, Proto: "tcp",
		ConnState: "S0", OrigPkts: 1}
}

func only(ds []Deviation, k Kind) []Deviation {
	var out []Deviation
	for _, d := range ds {
		if d.Kind == k {
			out = append(out, d)
		}
	}
	return out
}

func addr4(a, b, c, d int) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a), byte(b), byte(c), byte(d)})
}

func TestNewExternalPeer(t *testing.T) {
	vouchedAddr := netip.MustParseAddr("198.51.100.50")
	tests := []struct {
		name string
		// before runs after learning, ahead of the connection judged.
		before func(s *Set) []Deviation
		at     time.Time
		to     netip.Addr
		want   int
	}{
		{name: "new peer after learning", at: afterLearning, to: stranger, want: 1},
		{name: "during learning", at: t0.Add(2 * time.Hour), to: stranger, want: 0},
		{name: "learned peer", at: afterLearning, to: cloud, want: 0},
		{name: "internal peer", at: afterLearning, to: pacs, want: 0},
		{name: "vouched by DNS answer of a learned domain", to: vouchedAddr, at: afterLearning.Add(time.Minute),
			before: func(s *Set) []Deviation {
				return s.DNS(d1, dnsQuery(afterLearning, "api.vendor.com", vouchedAddr.String()), nil)
			}},
		{name: "vouched by DNS answer of a subdomain of a learned domain", to: vouchedAddr, at: afterLearning.Add(time.Minute),
			before: func(s *Set) []Deviation {
				return s.DNS(d1, dnsQuery(afterLearning, "eu.cdn.vendor.com", vouchedAddr.String()), nil)
			}},
		{name: "vouched by TLS server name of a learned domain", to: vouchedAddr, at: afterLearning.Add(time.Minute),
			before: func(s *Set) []Deviation {
				return s.SSL(d1, tlsSession(afterLearning, vouchedAddr, "updates.vendor.com"), nil)
			}},
		{name: "not vouched by an unknown domain's answer", to: vouchedAddr, at: afterLearning.Add(time.Minute), want: 1,
			before: func(s *Set) []Deviation {
				return s.DNS(d1, dnsQuery(afterLearning, "evil.example", vouchedAddr.String()), nil)
			}},
		{name: "not vouched by an unknown TLS server name", to: vouchedAddr, at: afterLearning.Add(time.Minute), want: 1,
			before: func(s *Set) []Deviation {
				return s.SSL(d1, tlsSession(afterLearning, vouchedAddr, "vendor-update.example"), nil)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learned(t)
			if tt.before != nil {
				tt.before(s)
			}
			out := s.Conn(d1, Subject{}, conn(tt.at, tt.to, 443, 1000), nil)
			got := only(out, NewExternalPeer)
			if len(got) != tt.want {
				t.Fatalf("new-external-peer deviations = %d, want %d (all: %v)", len(got), tt.want, kinds(out))
			}
			if tt.want == 0 {
				return
			}
			d := got[0]
			if d.Peer != tt.to || d.Port != 443 || d.Proto != "tcp" || !d.External || d.DeviceID != "d1" || !d.Time.Equal(tt.at) {
				t.Errorf("deviation = %+v, want peer %s port 443/tcp external device d1 at %s", d, tt.to, tt.at)
			}
			if d.Baseline["learned_external_peers"] != cloud.String() {
				t.Errorf("learned_external_peers = %q, want %q", d.Baseline["learned_external_peers"], cloud.String())
			}
		})
	}
}

func TestVouchedPeerNamesAndLearning(t *testing.T) {
	s := learned(t)
	a := netip.MustParseAddr("198.51.100.51")
	s.DNS(d1, dnsQuery(afterLearning, "API.Vendor.com.", a.String()), nil)
	if got := s.Conn(d1, Subject{}, conn(afterLearning.Add(time.Second), a, 443, 10), nil); len(only(got, NewExternalPeer)) != 0 {
		t.Fatalf("vouched address reported: %+v", got)
	}
	if !s.Profile("d1").externalKnown(a) {
		t.Errorf("vouched address %s not added to the external peers %v", a, s.Profile("d1").ExternalPeers)
	}
	if got, want := s.NamesOf("d1", a), []string{"api.vendor.com"}; !equalStrings(got, want) {
		t.Errorf("NamesOf = %v, want %v", got, want)
	}
	// The names travel with a deviation about an unknown peer.
	evil := netip.MustParseAddr("192.0.2.66")
	s.DNS(d1, dnsQuery(afterLearning, "c2.evil.example", evil.String()), nil)
	got := only(s.Conn(d1, Subject{}, conn(afterLearning.Add(time.Second), evil, 443, 10), nil), NewExternalPeer)
	if len(got) != 1 || !equalStrings(got[0].PeerNames, []string{"c2.evil.example"}) {
		t.Errorf("deviation names = %+v, want one deviation naming c2.evil.example", got)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOpenExternal(t *testing.T) {
	for _, tt := range []struct {
		peers    int
		wantOpen bool
	}{
		{peers: maxExternalPeers - 1, wantOpen: false}, // plus cloud: exactly the bound
		{peers: maxExternalPeers, wantOpen: true},
	} {
		t.Run(strconv.Itoa(tt.peers), func(t *testing.T) {
			s := learned(t)
			for i := range tt.peers {
				s.Conn(d1, Subject{}, conn(t0.Add(time.Duration(i)*time.Second), addr4(192, 0, 2+i/250, 1+i%250), 443, 10), nil)
			}
			p := s.Profile("d1")
			if p.OpenExternal != tt.wantOpen {
				t.Fatalf("OpenExternal = %v, want %v (%d external peers)", p.OpenExternal, tt.wantOpen, len(p.ExternalPeers))
			}
			got := len(only(s.Conn(d1, Subject{}, conn(afterLearning, stranger, 443, 10), nil), NewExternalPeer))
			want := 1
			if tt.wantOpen {
				want = 0
			}
			if got != want {
				t.Errorf("new-external-peer deviations = %d, want %d", got, want)
			}
		})
	}
}

func TestNewPort(t *testing.T) {
	udp := func(c *event.Conn) *event.Conn { c.Proto = "udp"; return c }
	icmp := func(c *event.Conn) *event.Conn { c.Proto = "icmp"; return c }
	tests := []struct {
		name  string
		learn []*event.Conn // while learning, besides the heartbeat
		c     *event.Conn   // after learning
		want  int
	}{
		{name: "new tcp port to a learned peer", c: conn(afterLearning, cloud, 8443, 10), want: 1},
		{name: "new tcp port to an internal host", c: conn(afterLearning, pacs, 104, 10), want: 1},
		{name: "learned port to a new internal host", c: conn(afterLearning, pacs, 443, 10), want: 0},
		{name: "same port other protocol", c: udp(conn(afterLearning, cloud, 443, 10)), want: 1},
		{name: "during learning", c: conn(t0.Add(time.Hour), pacs, 104, 10), want: 0},
		{name: "dhcp server port", c: udp(conn(afterLearning, pacs, 67, 10)), want: 0},
		{name: "dhcp client port", c: udp(conn(afterLearning, pacs, 68, 10)), want: 0},
		{name: "icmp", c: icmp(conn(afterLearning, pacs, 8, 10)), want: 0},
		{name: "dynamic ports collapse", learn: []*event.Conn{conn(t0.Add(time.Hour), pacs, 50000, 10)},
			c: conn(afterLearning, pacs, 61000, 10), want: 0},
		{name: "dynamic port not learned", c: conn(afterLearning, pacs, 61000, 10), want: 1},
		{name: "below the dynamic range does not collapse", learn: []*event.Conn{conn(t0.Add(time.Hour), pacs, 50000, 10)},
			c: conn(afterLearning, pacs, 49151, 10), want: 1},
		{name: "high tcp after 8 high ports", learn: highPorts("tcp", 8), c: conn(afterLearning, pacs, 7777, 10), want: 0},
		{name: "no high tcp after 7 high ports", learn: highPorts("tcp", 7), c: conn(afterLearning, pacs, 7777, 10), want: 1},
		{name: "high tcp does not cover low ports", learn: highPorts("tcp", 8), c: conn(afterLearning, pacs, 104, 10), want: 1},
		{name: "high tcp does not cover udp", learn: highPorts("tcp", 8), c: udp(conn(afterLearning, pacs, 7777, 10)), want: 1},
		{name: "udp high ports collapse", learn: highPorts("udp", 1), c: udp(conn(afterLearning, pacs, 7777, 10)), want: 0},
		{name: "udp high ports not learned", learn: []*event.Conn{udp(conn(t0.Add(time.Hour), pacs, 1023, 10))},
			c: udp(conn(afterLearning, pacs, 1024, 10)), want: 1},
		{name: "udp low port", learn: highPorts("udp", 8), c: udp(conn(afterLearning, pacs, 161, 10)), want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learned(t)
			for _, c := range tt.learn {
				s.Conn(d1, Subject{}, c, nil)
			}
			out := s.Conn(d1, Subject{}, tt.c, nil)
			got := only(out, NewPort)
			if len(got) != tt.want {
				t.Fatalf("new-port deviations = %d, want %d (all: %v)", len(got), tt.want, kinds(out))
			}
			if tt.want == 1 && (got[0].Port != tt.c.RespP || got[0].Proto != tt.c.Proto || got[0].Peer != tt.c.RespH ||
				got[0].PortClass != PortClass(tt.c.RespP, tt.c.Proto)) {
				t.Errorf("deviation = %+v, want %s %s/%d in class %s", got[0], tt.c.RespH, tt.c.Proto, tt.c.RespP, PortClass(tt.c.RespP, tt.c.Proto))
			}
		})
	}
}

func highPorts(proto string, n int) []*event.Conn {
	var out []*event.Conn
	for i := range n {
		c := conn(t0.Add(time.Duration(i+1)*time.Minute), pacs, uint16(2000+i), 10)
		c.Proto = proto
		out = append(out, c)
	}
	return out
}

func TestNewPortExternalFlag(t *testing.T) {
	s := learned(t)
	got := only(s.Conn(d1, Subject{}, conn(afterLearning, stranger, 22, 10), nil), NewPort)
	if len(got) != 1 || !got[0].External {
		t.Fatalf("new-port to an external peer = %+v, want one with External set", got)
	}
	got = only(s.Conn(d1, Subject{}, conn(afterLearning, pacs, 22, 10), nil), NewPort)
	if len(got) != 1 || got[0].External {
		t.Fatalf("new-port to an internal peer = %+v, want one without External", got)
	}
}

// hourly feeds d1 perHour bytes in each of the given hours from t0, in
// 12 connections to cloud.
func hourly(s *Set, from time.Time, hours int, perHour int64) []Deviation {
	var out []Deviation
	for h := range hours {
		for i := range 12 {
			ts := from.Add(time.Duration(h)*time.Hour + time.Duration(i)*5*time.Minute)
			out = s.Conn(d1, Subject{}, conn(ts, cloud, 443, perHour/12), out)
		}
	}
	return out
}

func TestVolumeSpikeThresholdBoundary(t *testing.T) {
	s := newSet()
	hourly(s, t0, 30, 240_000)
	v := &s.Profile("d1").External
	if v.Threshold == 0 {
		t.Fatal("no threshold after 30 hours of history")
	}
	th := int64(v.Threshold)
	at := t0.Add(30 * time.Hour)
	// Exactly the threshold is not a spike; a byte more is.
	out := s.Conn(d1, Subject{}, conn(at, cloud, 443, th), nil)
	if n := len(only(out, VolumeSpike)); n != 0 {
		t.Fatalf("spike at exactly the threshold %d: %d deviations", th, n)
	}
	out = s.Conn(d1, Subject{}, conn(at.Add(time.Minute), cloud, 443, 1), nil)
	got := only(out, VolumeSpike)
	if len(got) != 1 {
		t.Fatalf("spikes one byte above the threshold = %d, want 1", len(got))
	}
	if got[0].Baseline["observed_bytes"] != strconv.FormatInt(th+1, 10) {
		t.Errorf("observed_bytes = %q, want %d", got[0].Baseline["observed_bytes"], th+1)
	}
	// Once per hour; again in the next hour.
	out = s.Conn(d1, Subject{}, conn(at.Add(2*time.Minute), cloud, 443, th), nil)
	out = s.Conn(d1, Subject{}, conn(at.Add(time.Hour), cloud, 443, th+1), out)
	if n := len(only(out, VolumeSpike)); n != 1 {
		t.Errorf("spikes after the first in its hour and one in the next = %d, want 1", n)
	}
}

func TestThresholdRule(t *testing.T) {
	const mb = 1_000_000
	rep := func(x float32, n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = x
		}
		return out
	}
	spread := make([]float32, 12)
	for i := range spread {
		spread[i] = float32(i) * 10 * mb
	}
	tests := []struct {
		name    string
		history []float32
		want    float64
	}{
		{name: "floor", history: rep(1000, 12), want: 1000 + 8<<20},
		{name: "twice the max", history: append(rep(mb, 11), 100*mb), want: 200 * mb},
		// median 55 MB, MAD 30 MB: 55 + 10·1.4826·30 = 499.78 MB.
		{name: "ten robust deviations", history: spread, want: 55*mb + 10*1.4826*30*mb},
		// Below minHistory: max(2·max, floor), the statistics unused.
		{name: "short history, floor", history: rep(mb, minHistory-1), want: 8 << 20},
		{name: "short history, twice the max", history: append(rep(mb, 3), 10*mb), want: 20 * mb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Volume{History: tt.history}
			v.rethreshold()
			if diff := v.threshold() - tt.want; diff > 1 || diff < -1 {
				t.Errorf("threshold = %.1f, want %.1f", v.threshold(), tt.want)
			}
		})
	}
	var empty Volume
	if got, want := empty.threshold(), float64(spikeFloor); got != want {
		t.Errorf("threshold without history = %.0f, want %.0f", got, want)
	}
}

func TestVolumeSpikeGates(t *testing.T) {
	tests := []struct {
		name     string
		learning time.Duration
		hours    int   // of history before the burst
		burst    int64 // bytes in the judged hour, to cloud
		want     int
	}{
		{name: "judged", learning: 24 * time.Hour, hours: 30, burst: 500_000_000, want: 1},
		{name: "during learning", learning: 48 * time.Hour, hours: 30, burst: 500_000_000, want: 0},
		{name: "below the threshold", learning: 24 * time.Hour, hours: 30, burst: 5_000_000, want: 0},
		// Too little history for statistics: judged by max(2·max, 8 MiB).
		{name: "short history above the floor", learning: time.Hour, hours: 6, burst: 20_000_000, want: 1},
		{name: "short history below the floor", learning: time.Hour, hours: 6, burst: 5_000_000, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Learning: tt.learning, Internal: internal.Contains})
			hourly(s, t0, tt.hours, 240_000)
			var out []Deviation
			for i := range 10 {
				ts := t0.Add(time.Duration(tt.hours)*time.Hour + time.Duration(i)*time.Minute)
				out = s.Conn(d1, Subject{}, conn(ts, cloud, 443, tt.burst/10), out)
			}
			if got := len(only(out, VolumeSpike)); got != tt.want {
				t.Errorf("spikes = %d, want %d (history %d hours)", got, tt.want, len(s.Profile("d1").External.History))
			}
		})
	}
}

func TestVolumeInternalNotJudged(t *testing.T) {
	s := newSet()
	// Only internal traffic while learning: no external history at all.
	for h := range 30 {
		s.Conn(d1, Subject{}, conn(t0.Add(time.Duration(h)*time.Hour), pacs, 104, 1_000_000), nil)
	}
	at := t0.Add(30 * time.Hour)
	out := s.Conn(d1, Subject{}, conn(at, pacs, 104, 2_000_000_000), nil)
	if n := len(only(out, VolumeSpike)); n != 0 {
		t.Errorf("spikes for 2 GB to an internal host = %d, want 0", n)
	}
	// A responder's bytes to an internal originator are not judged either.
	c := conn(at, pacs, 104, 10)
	c.RespBytes = 2_000_000_000
	if n := len(only(s.Conn(Subject{}, Subject{ID: "d1"}, c, nil), VolumeSpike)); n != 0 {
		t.Errorf("spikes for 2 GB served to an internal host = %d, want 0", n)
	}
	out = s.Conn(d1, Subject{}, conn(at.Add(time.Minute), cloud, 443, 20_000_000), nil)
	if n := len(only(out, VolumeSpike)); n != 1 {
		t.Errorf("spikes for 20 MB to the internet without external history = %d, want 1", n)
	}
	// A responder serving an external originator is judged.
	s2 := newSet()
	s2.Conn(Subject{}, Subject{ID: "web"}, &event.Conn{TS: t0, OrigH: stranger, RespH: pacs, RespP: 443, Proto: "tcp", RespBytes: 10, ConnState: "SF"}, nil)
	c = &event.Conn{TS: afterLearning, OrigH: stranger, RespH: pacs, RespP: 443, Proto: "tcp", RespBytes: 50_000_000, ConnState: "SF"}
	if n := len(only(s2.Conn(Subject{}, Subject{ID: "web"}, c, nil), VolumeSpike)); n != 1 {
		t.Errorf("spikes for 50 MB served to an external peer = %d, want 1", n)
	}
}

func TestSpikeHourKeptOutOfHistory(t *testing.T) {
	s := newSet()
	hourly(s, t0, 30, 240_000)
	v := &s.Profile("d1").External
	before := len(v.History)
	maxBefore, thBefore := v.Max, v.Threshold
	spikeAt := t0.Add(30 * time.Hour)
	if got := len(only(s.Conn(d1, Subject{}, conn(spikeAt, cloud, 443, 500_000_000), nil), VolumeSpike)); got != 1 {
		t.Fatalf("spikes = %d, want 1", got)
	}
	// Push the spike hour and the next ones out of the open hours.
	hourly(s, spikeAt.Add(time.Hour), openHours+1, 240_000)
	if got, want := len(v.History), before+openHours+1; got != want {
		t.Errorf("history hours = %d, want %d (the spike hour left out)", got, want)
	}
	for _, x := range v.History {
		if x >= 500_000_000 {
			t.Errorf("the spike hour (%.0f bytes) joined the history", x)
		}
	}
	if v.Max != maxBefore || v.Threshold != thBefore {
		t.Errorf("max, threshold = %.0f, %.0f, want %.0f, %.0f", v.Max, v.Threshold, maxBefore, thBefore)
	}
}

func TestVolumeOutOfOrder(t *testing.T) {
	s := newSet()
	hourly(s, t0, 30, 240_000)
	v := &s.Profile("d1").External
	th := int64(v.Threshold)
	h := t0.Add(30 * time.Hour)
	// Hour h, then h+1 and h+2, then a late record of hour h, still open,
	// that pushes it over.
	out := s.Conn(d1, Subject{}, conn(h, cloud, 443, th/2), nil)
	out = s.Conn(d1, Subject{}, conn(h.Add(time.Hour), cloud, 443, 10), out)
	out = s.Conn(d1, Subject{}, conn(h.Add(2*time.Hour), cloud, 443, 10), out)
	out = s.Conn(d1, Subject{}, conn(h.Add(30*time.Minute), cloud, 443, th/2+2), out)
	got := only(out, VolumeSpike)
	if len(got) != 1 {
		t.Fatalf("spikes = %d, want 1 from the late record of an open hour", len(got))
	}
	if !got[0].Time.Equal(h.Add(30 * time.Minute)) {
		t.Errorf("spike time = %s, want %s", got[0].Time, h.Add(30*time.Minute))
	}

	// A record older than every open hour is dropped.
	out = s.Conn(d1, Subject{}, conn(h.Add(3*time.Hour), cloud, 443, 10), nil)
	out = s.Conn(d1, Subject{}, conn(h.Add(4*time.Hour), cloud, 443, 10), out) // closes hour h
	sum := func() (n int64) {
		for _, b := range v.Open {
			n += b.Bytes
		}
		return n
	}
	was := sum()
	out = s.Conn(d1, Subject{}, conn(h.Add(10*time.Minute), cloud, 443, 10*th), out)
	if n := len(only(out, VolumeSpike)); n != 0 {
		t.Errorf("spikes from a record older than every open hour = %d, want 0", n)
	}
	if got := sum(); got != was {
		t.Errorf("open bytes = %d after a too-late record, want %d", got, was)
	}
}

// periodic returns n start times from start at period with up to ±jitter
// (a share of the period) added, from a fixed seed.
func periodic(start time.Time, period time.Duration, jitter float64, n int) []time.Time {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]time.Time, n)
	for i := range out {
		j := time.Duration((r.Float64()*2 - 1) * jitter * float64(period))
		out[i] = start.Add(time.Duration(i)*period + j)
	}
	return out
}

func TestBeaconing(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var random []time.Time
	ts := afterLearning
	for range 12 {
		ts = ts.Add(time.Duration(30+r.IntN(3600)) * time.Second)
		random = append(random, ts)
	}
	tests := []struct {
		name  string
		to    netip.Addr
		times []time.Time
		want  bool
	}{
		{name: "60 s with 10 % jitter", to: stranger, times: periodic(afterLearning, time.Minute, 0.1, 12), want: true},
		{name: "30 min with 10 % jitter", to: stranger, times: periodic(afterLearning, 30*time.Minute, 0.1, 12), want: true},
		{name: "random intervals", to: stranger, times: random},
		{name: "too fast", to: stranger, times: periodic(afterLearning, 5*time.Second, 0.05, 12)},
		{name: "too slow", to: stranger, times: periodic(afterLearning, 3*time.Hour, 0.05, 12)},
		{name: "learned peer", to: cloud, times: periodic(afterLearning, time.Minute, 0.1, 12)},
		{name: "internal peer", to: pacs, times: periodic(afterLearning, time.Minute, 0.1, 12)},
		{name: "7 connections", to: stranger, times: periodic(afterLearning, time.Minute, 0, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learned(t)
			first := -1
			var got []Deviation
			for i, ts := range tt.times {
				b := only(s.Conn(d1, Subject{}, conn(ts, tt.to, 8080, 100), nil), Beaconing)
				if len(b) > 0 && first < 0 {
					first = i
				}
				got = append(got, b...)
			}
			if (len(got) > 0) != tt.want {
				t.Fatalf("beaconing deviations = %d, want any: %v", len(got), tt.want)
			}
			if !tt.want {
				return
			}
			if first < beaconMinConns-1 {
				t.Errorf("first beaconing at connection %d, want at %d or later", first+1, beaconMinConns)
			}
			if got[0].Peer != tt.to || got[0].Port != 8080 || got[0].Baseline["period_s"] == "" {
				t.Errorf("deviation = %+v", got[0])
			}
		})
	}
}

func TestBeaconingExactlyEightConnections(t *testing.T) {
	s := learned(t)
	var got []Deviation
	for _, ts := range periodic(afterLearning, time.Minute, 0, beaconMinConns) {
		got = append(got, only(s.Conn(d1, Subject{}, conn(ts, stranger, 8080, 100), nil), Beaconing)...)
	}
	if len(got) != 1 {
		t.Errorf("beaconing deviations after %d periodic connections = %d, want 1", beaconMinConns, len(got))
	}
}

func TestNewDomain(t *testing.T) {
	tests := []struct {
		name  string
		learn []string // queried while learning
		query string   // after learning
		tls   bool     // as TLS server name rather than DNS query
		want  string   // registered domain reported, "" for none
	}{
		{name: "new domain", query: "evil.example", want: "evil.example"},
		{name: "new domain, subdomain", query: "cdn.evil.example", want: "evil.example"},
		{name: "learned domain", query: "api.vendor.com"},
		{name: "new subdomain of a learned domain", query: "cdn.vendor.com"},
		{name: "case and trailing dot", query: "API.VENDOR.com."},
		{name: "reverse ipv4", query: "5.1.20.10.in-addr.arpa"},
		{name: "reverse ipv6", query: "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa"},
		{name: "no name", query: "-"},
		{name: "empty", query: ""},
		{name: "co.uk sibling of learned", learn: []string{"images.hospital.co.uk"}, query: "pacs.hospital.co.uk"},
		{name: "co.uk other registrant", learn: []string{"images.hospital.co.uk"}, query: "hospitai.co.uk", want: "hospitai.co.uk"},
		{name: "tls new", tls: true, query: "vendor-update.example", want: "vendor-update.example"},
		{name: "tls learned", tls: true, query: "eu.api.vendor.com"},
		{name: "tls name learned by tls", learn: []string{"tls:portal.acme-med.com"}, query: "fw.acme-med.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learned(t)
			for _, n := range tt.learn {
				if sni, ok := cutPrefix(n, "tls:"); ok {
					s.SSL(d1, tlsSession(t0.Add(time.Hour), stranger, sni), nil)
				} else {
					s.DNS(d1, dnsQuery(t0.Add(time.Hour), n), nil)
				}
			}
			var out []Deviation
			if tt.tls {
				out = s.SSL(d1, tlsSession(afterLearning, stranger, tt.query), nil)
			} else {
				out = s.DNS(d1, dnsQuery(afterLearning, tt.query, "192.0.2.1"), nil)
			}
			got := only(out, NewDomain)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("new-domain deviations = %+v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("new-domain deviations = %d, want 1", len(got))
			}
			if got[0].Domain != tt.want || got[0].Name != NormalizeName(tt.query) {
				t.Errorf("domain, name = %q, %q, want %q, %q", got[0].Domain, got[0].Name, tt.want, tt.query)
			}
		})
	}
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

func TestNewDomainNotDuringLearning(t *testing.T) {
	s := newSet()
	out := s.DNS(d1, dnsQuery(t0, "evil.example", "192.0.2.1"), nil)
	out = s.SSL(d1, tlsSession(t0.Add(time.Hour), stranger, "other.example"), out)
	if len(out) != 0 {
		t.Fatalf("deviations while learning: %+v", out)
	}
	if got, want := s.Profile("d1").Domains, []string{"evil.example", "other.example"}; !equalStrings(got, want) {
		t.Errorf("learned domains = %v, want %v", got, want)
	}
}

func TestRegisteredDomain(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"api.vendor.com", "vendor.com"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"example.co.uk", "example.co.uk"},
		{"co.uk", "co.uk"},
		{"localhost", "localhost"},
		{"pacs.hospital.local", "hospital.local"},
	} {
		if got := RegisteredDomain(tt.name); got != tt.want {
			t.Errorf("RegisteredDomain(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNewNetwork(t *testing.T) {
	from := func(c *event.Conn, a string, vlan int) *event.Conn {
		c.OrigH = netip.MustParseAddr(a)
		c.VLAN = vlan
		return c
	}
	tests := []struct {
		name  string
		learn *event.Conn
		c     *event.Conn
		want  []string
	}{
		{name: "same /24", learn: from(conn(t0, pacs, 443, 1), "10.20.1.5", 20), c: from(conn(afterLearning, pacs, 443, 1), "10.20.1.99", 20)},
		{name: "new /24", learn: from(conn(t0, pacs, 443, 1), "10.20.1.5", 20), c: from(conn(afterLearning, pacs, 443, 1), "10.20.2.5", 20),
			want: []string{"10.20.2.0/24"}},
		{name: "new vlan", learn: from(conn(t0, pacs, 443, 1), "10.20.1.5", 20), c: from(conn(afterLearning, pacs, 443, 1), "10.20.1.5", 30),
			want: []string{"vlan 30"}},
		{name: "new /24 and vlan", learn: from(conn(t0, pacs, 443, 1), "10.20.1.5", 20), c: from(conn(afterLearning, pacs, 443, 1), "10.99.1.5", 99),
			want: []string{"10.99.1.0/24", "vlan 99"}},
		{name: "ipv6 same /64", learn: from(conn(t0, pacs, 443, 1), "2001:db8:1::5", 0), c: from(conn(afterLearning, pacs, 443, 1), "2001:db8:1::ffff", 0)},
		{name: "ipv6 new /64", learn: from(conn(t0, pacs, 443, 1), "2001:db8:1::5", 0), c: from(conn(afterLearning, pacs, 443, 1), "2001:db8:2::5", 0),
			want: []string{"2001:db8:2::/64"}},
		{name: "during learning", learn: from(conn(t0, pacs, 443, 1), "10.20.1.5", 20), c: from(conn(t0.Add(time.Hour), pacs, 443, 1), "10.20.2.5", 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSet()
			s.Conn(d1, Subject{}, tt.learn, nil)
			var got []string
			for _, d := range only(s.Conn(d1, Subject{}, tt.c, nil), NewNetwork) {
				got = append(got, d.Network)
			}
			if !equalStrings(got, tt.want) {
				t.Errorf("new networks = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScan(t *testing.T) {
	hosts := func(n int, at time.Time, a int) []*event.Conn {
		var out []*event.Conn
		for i := range n {
			out = append(out, probe(at.Add(time.Duration(i)*time.Second), addr4(a, 40, i/200, 1+i%200), 445))
		}
		return out
	}
	tests := []struct {
		name  string
		learn []*event.Conn
		c     []*event.Conn
		want  int
	}{
		{name: "16 hosts", c: hosts(16, afterLearning, 10), want: 1},
		{name: "15 hosts", c: hosts(15, afterLearning, 10), want: 0},
		{name: "60 hosts once per window", c: hosts(60, afterLearning, 10), want: 1},
		{name: "two windows", c: append(hosts(20, afterLearning, 10), hosts(20, afterLearning.Add(11*time.Minute), 10)...), want: 2},
		{name: "spread beyond the window", c: spread(hosts(30, afterLearning, 10), time.Minute), want: 0},
		{name: "external hosts", c: hosts(30, afterLearning, 198), want: 0},
		{name: "with data", c: withData(hosts(30, afterLearning, 10)), want: 0},
		{name: "scanner while learning", learn: hosts(20, t0.Add(time.Hour), 10), c: hosts(30, afterLearning, 10), want: 0},
		{name: "during learning", c: hosts(30, t0.Add(time.Hour), 10), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Learning: 24 * time.Hour, Internal: func(a netip.Addr) bool { return a.As4()[0] == 10 }})
			s.Conn(d1, Subject{}, conn(t0, pacs, 445, 1), nil)
			for _, c := range tt.learn {
				s.Conn(d1, Subject{}, c, nil)
			}
			var got []Deviation
			for _, c := range tt.c {
				got = append(got, only(s.Conn(d1, Subject{}, c, nil), Scan)...)
			}
			if len(got) != tt.want {
				t.Fatalf("scan deviations = %d, want %d", len(got), tt.want)
			}
			if tt.want > 0 && got[0].Baseline["hosts"] != strconv.Itoa(probeMinHosts) {
				t.Errorf("hosts at the first scan deviation = %q, want %d", got[0].Baseline["hosts"], probeMinHosts)
			}
		})
	}
}

func spread(cs []*event.Conn, step time.Duration) []*event.Conn {
	for i, c := range cs {
		c.TS = cs[0].TS.Add(time.Duration(i) * step)
	}
	return cs
}

func withData(cs []*event.Conn) []*event.Conn {
	for _, c := range cs {
		c.OrigBytes, c.RespBytes, c.ConnState = 100, 100, "SF"
	}
	return cs
}

func TestLearningStart(t *testing.T) {
	t.Run("first seen earlier", func(t *testing.T) {
		s := newSet()
		sub := Subject{ID: "d1", FirstSeen: t0.Add(-23 * time.Hour)}
		s.Conn(sub, Subject{}, conn(t0, cloud, 443, 10), nil)
		if got, want := time.Unix(0, s.Profile("d1").Start).UTC(), sub.FirstSeen; !got.Equal(want) {
			t.Fatalf("start = %s, want %s", got, want)
		}
		if got := len(only(s.Conn(sub, Subject{}, conn(t0.Add(2*time.Hour), stranger, 443, 10), nil), NewExternalPeer)); got != 1 {
			t.Errorf("new external peer 25 hours after first seen = %d deviations, want 1", got)
		}
	})
	t.Run("first seen later", func(t *testing.T) {
		s := newSet()
		s.Conn(Subject{ID: "d1", FirstSeen: t0.Add(time.Hour)}, Subject{}, conn(t0, cloud, 443, 10), nil)
		if got := s.Profile("d1").LearningEnds(s.Learning()); !got.Equal(t0.Add(24 * time.Hour)) {
			t.Errorf("learning ends %s, want %s", got, t0.Add(24*time.Hour))
		}
	})
	t.Run("events out of order", func(t *testing.T) {
		s := newSet()
		s.Conn(d1, Subject{}, conn(t0.Add(10*time.Hour), cloud, 443, 10), nil)
		s.DNS(d1, dnsQuery(t0, "api.vendor.com"), nil)
		p := s.Profile("d1")
		if got := p.LearningEnds(s.Learning()); !got.Equal(t0.Add(24 * time.Hour)) {
			t.Errorf("learning ends %s, want %s", got, t0.Add(24*time.Hour))
		}
		if got := time.Unix(0, p.LastSeen).UTC(); !got.Equal(t0.Add(10 * time.Hour)) {
			t.Errorf("last seen %s, want %s", got, t0.Add(10*time.Hour))
		}
		if got := len(only(s.Conn(d1, Subject{}, conn(t0.Add(24*time.Hour), stranger, 443, 10), nil), NewExternalPeer)); got != 1 {
			t.Errorf("new external peer when learning ended = %d deviations, want 1", got)
		}
	})
	t.Run("responder", func(t *testing.T) {
		s := newSet()
		c := conn(t0, pacs, 104, 10)
		c.RespBytes = 5000
		s.Conn(Subject{}, Subject{ID: "pacs", FirstSeen: t0.Add(-time.Hour)}, c, nil)
		p := s.Profile("pacs")
		if p == nil || !time.Unix(0, p.Start).Equal(t0.Add(-time.Hour)) {
			t.Fatalf("responder profile %+v, want start %s", p, t0.Add(-time.Hour))
		}
		if s.Profile("") != nil {
			t.Error("a profile for the unknown originator")
		}
	})
}

func TestPortClass(t *testing.T) {
	for _, tt := range []struct {
		port  uint16
		proto string
		want  string
	}{
		{443, "tcp", "tcp/443"},
		{49151, "tcp", "tcp/49151"},
		{49152, "tcp", "tcp/49152+"},
		{65535, "tcp", "tcp/49152+"},
		{1023, "udp", "udp/1023"},
		{1024, "udp", "udp/1024+"},
		{5004, "udp", "udp/1024+"},
		{53, "udp", "udp/53"},
		{8, "icmp", "icmp/8"},
		{50000, "icmp", "icmp/50000"},
	} {
		if got := PortClass(tt.port, tt.proto); got != tt.want {
			t.Errorf("PortClass(%d, %s) = %q, want %q", tt.port, tt.proto, got, tt.want)
		}
	}
}

func TestScanLateRecordKeepsWindow(t *testing.T) {
	s := New(Config{Learning: 24 * time.Hour, Internal: internal.Contains})
	s.Conn(d1, Subject{}, conn(t0, pacs, 445, 1), nil)
	at := func(i int) *event.Conn {
		return probe(afterLearning.Add(time.Duration(i)*2*time.Second), addr4(10, 40, 0, 1+i), 445)
	}
	var order []int
	for i := 5; i <= 30; i++ {
		order = append(order, i)
	}
	order = append(order, 0, 1, 2, 3, 4) // logged late, after their timeout
	for i := 31; i < 60; i++ {
		order = append(order, i)
	}
	var got []Deviation
	for _, i := range order {
		got = append(got, only(s.Conn(d1, Subject{}, at(i), nil), Scan)...)
	}
	if len(got) != 1 {
		t.Errorf("scan deviations for one 2-minute scan of 60 hosts with late records = %d, want 1", len(got))
	}
}

// TestInboundExternal: a device reached from the internet on a port it
// was not reached on while learning is reported, answered or not; a port
// learned from outside is not; internal clients never are.
func TestInboundExternal(t *testing.T) {
	s := New(Config{Learning: 24 * time.Hour, Internal: internal.Contains})
	dev := Subject{ID: "gw", FirstSeen: t0}
	outside := netip.MustParseAddr("45.9.20.7")
	in := func(ts time.Time, from netip.Addr, port uint16, state string, respBytes int64) []Deviation {
		return s.Conn(Subject{}, dev, &event.Conn{TS: ts, OrigH: from, OrigP: 50000, RespH: devAddr, RespP: port,
			Proto: "tcp", ConnState: state, RespBytes: respBytes}, nil)
	}
	// While learning: a VPN port reached from outside is learned.
	if got := in(t0.Add(time.Hour), outside, 443, "SF", 5000); len(got) != 0 {
		t.Fatalf("while learning: %v", got)
	}
	after := t0.Add(30 * time.Hour)
	if got := in(after, outside, 443, "SF", 5000); len(got) != 0 {
		t.Errorf("learned inbound port: %v", got)
	}
	if got := in(after, resolver, 23, "REJ", 0); len(got) != 0 {
		t.Errorf("an internal client: %v", got)
	}
	got := in(after, outside, 23, "REJ", 0)
	if len(got) != 1 || got[0].Kind != InboundExternal || got[0].Answered || got[0].PortClass != "tcp/23" || got[0].Peer != outside {
		t.Fatalf("unanswered telnet probe from outside: %+v", got)
	}
	got = in(after, outside, 22, "SF", 2000)
	if len(got) != 1 || !got[0].Answered {
		t.Fatalf("answered SSH from outside: %+v", got)
	}
	if got := in(after, netip.MustParseAddr("224.0.0.251"), 5353, "S0", 0); len(got) != 0 {
		t.Errorf("multicast is never a peer: %v", got)
	}
}
