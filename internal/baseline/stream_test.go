package baseline

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// record is one event of a synthetic stream with the subjects the
// inventory would have resolved for it.
type record struct {
	orig, resp Subject
	conn       *event.Conn
	dns        *event.DNS
	ssl        *event.SSL
}

func (r record) ts() time.Time {
	switch {
	case r.conn != nil:
		return r.conn.TS
	case r.dns != nil:
		return r.dns.TS
	}
	return r.ssl.TS
}

func (r record) apply(s *Set, out []Deviation) []Deviation {
	switch {
	case r.conn != nil:
		return s.Conn(r.orig, r.resp, r.conn, out)
	case r.dns != nil:
		return s.DNS(r.orig, r.dns, out)
	}
	return s.SSL(r.orig, r.ssl, out)
}

// streamConfig is the configuration the stream is judged with.
func streamConfig() Config {
	return Config{Learning: 24 * time.Hour, Internal: internal.Contains}
}

// streamSplit is an event time in the middle of the stream's anomalies:
// a beacon, a scan and a burst straddle it.
var streamSplit = t0.Add(36*time.Hour + time.Minute)

// stream returns a realistic, reproducible mix of three days of traffic of
// a fleet of devices: heartbeats to vendor clouds, DNS and TLS to their
// domains, studies sent to a PACS (a device too), and after the first day
// a burst of uploads, a beacon, a scan, a new domain, a new port and a
// device moved to another network. Records are ordered by time with some
// neighbours swapped, as Zeek writes them.
func stream(devices int, span time.Duration, seed uint64) []record {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	jitter := func(d time.Duration) time.Duration { return time.Duration(r.Int64N(int64(2*d))) - d }
	pacsSub := Subject{ID: "pacs", FirstSeen: t0.Add(-48 * time.Hour)}
	var recs []record
	addrOf := func(i int) netip.Addr { return addr4(10, 20, 1+i/200, 10+i%200) }
	for i := range devices {
		sub := Subject{ID: fmt.Sprintf("dev-%04d", i)}
		if i%4 == 0 {
			sub.FirstSeen = t0.Add(-2 * time.Hour)
		}
		me := addrOf(i)
		k := i % 5
		cloudAddr := addr4(198, 51, 100, 10+k)
		cdnAddr := addr4(198, 51, 100, 100+k)
		api := fmt.Sprintf("api.vendor%d.com", k)
		start := t0.Add(time.Duration(r.IntN(300)) * time.Second)
		for ts := start; ts.Before(t0.Add(span)); ts = ts.Add(5 * time.Minute) {
			at := ts.Add(jitter(30 * time.Second))
			to := cloudAddr
			if ts.After(t0.Add(30*time.Hour)) && r.IntN(3) == 0 {
				to = cdnAddr // vouched for by the DNS answers below
			}
			recs = append(recs, record{orig: sub, conn: &event.Conn{TS: at, UID: "C" + fmt.Sprint(len(recs)), OrigH: me,
				OrigP: uint16(32768 + r.IntN(28000)), RespH: to, RespP: 443, Proto: "tcp", Service: "ssl",
				Duration: time.Second, OrigBytes: 1500 + r.Int64N(1000), RespBytes: 4000 + r.Int64N(2000),
				ConnState: "SF", OrigPkts: 8, RespPkts: 8, VLAN: 20}})
			if ts.Sub(start)%time.Hour < 5*time.Minute {
				answers := []string{cloudAddr.String()}
				if ts.After(t0.Add(30 * time.Hour)) {
					answers = append(answers, cdnAddr.String())
				}
				recs = append(recs,
					record{orig: sub, dns: &event.DNS{TS: at.Add(-time.Second), UID: "D", OrigH: me, RespH: resolver, RespP: 53,
						Proto: "udp", Query: api, QType: "A", RCode: "NOERROR", Answers: answers}},
					record{orig: sub, ssl: &event.SSL{TS: at, UID: "S", OrigH: me, OrigP: 40000, RespH: to, RespP: 443,
						Version: "TLSv12", ServerName: api, Established: true}},
					record{orig: sub, dns: &event.DNS{TS: at, UID: "R", OrigH: me, RespH: resolver, RespP: 53, Proto: "udp",
						Query: "10.1.0.10.in-addr.arpa", QType: "PTR"}})
			}
			if i%5 == 0 && ts.Sub(start)%(2*time.Hour) < 5*time.Minute {
				// A modality sends a study to the PACS.
				recs = append(recs, record{orig: sub, resp: pacsSub, conn: &event.Conn{TS: at.Add(time.Minute), UID: "P", OrigH: me,
					OrigP: 40002, RespH: pacs, RespP: 104, Proto: "tcp", Service: "dicom", OrigBytes: 20_000_000 + r.Int64N(5_000_000),
					RespBytes: 20_000 + r.Int64N(1000), ConnState: "SF", VLAN: 20}})
			}
		}
	}
	dev := func(i int) (Subject, netip.Addr) {
		return Subject{ID: fmt.Sprintf("dev-%04d", i%devices)}, addrOf(i % devices)
	}

	// A burst of uploads across the split.
	sub, me := dev(3)
	for m := range 50 {
		recs = append(recs, record{orig: sub, conn: &event.Conn{TS: streamSplit.Add(-30*time.Minute + time.Duration(m)*time.Minute),
			UID: "B", OrigH: me, OrigP: 41000, RespH: addr4(198, 51, 100, 13), RespP: 443, Proto: "tcp",
			OrigBytes: 3_000_000, RespBytes: 5000, ConnState: "SF", VLAN: 20}})
	}
	// A beacon across the split.
	sub, me = dev(7)
	c2 := netip.MustParseAddr("203.0.113.66")
	for ts := streamSplit.Add(-20 * time.Minute); ts.Before(streamSplit.Add(40 * time.Minute)); ts = ts.Add(2 * time.Minute) {
		recs = append(recs, record{orig: sub, conn: &event.Conn{TS: ts.Add(jitter(9 * time.Second)), UID: "K", OrigH: me,
			OrigP: 42000, RespH: c2, RespP: 8443, Proto: "tcp", OrigBytes: 300, RespBytes: 200, ConnState: "SF", VLAN: 20}})
	}
	// A scan across the split.
	sub, me = dev(11)
	for h := range 40 {
		recs = append(recs, record{orig: sub, conn: &event.Conn{TS: streamSplit.Add(-2*time.Minute + time.Duration(h)*10*time.Second),
			UID: "X", OrigH: me, OrigP: 43000, RespH: addr4(10, 40, 0, 1+h), RespP: 445, Proto: "tcp", ConnState: "REJ", VLAN: 20}})
	}
	// Probes from the internet across the split: telnet and SSH to a
	// device (the originator is external, so only the responder is a
	// device).
	sub, me = dev(13)
	for m := range 20 {
		recs = append(recs, record{resp: sub, conn: &event.Conn{TS: streamSplit.Add(-10*time.Minute + time.Duration(m)*time.Minute),
			UID: "I", OrigH: addr4(45, 9, 20, m), OrigP: 51000, RespH: me, RespP: []uint16{23, 22}[m%2], Proto: "tcp",
			ConnState: "REJ", VLAN: 20}})
	}
	// A new domain, then a connection to its address.
	sub, me = dev(5)
	evil := netip.MustParseAddr("192.0.2.99")
	at := t0.Add(40 * time.Hour)
	recs = append(recs,
		record{orig: sub, dns: &event.DNS{TS: at, UID: "E", OrigH: me, RespH: resolver, RespP: 53, Proto: "udp",
			Query: "update.vendor0-support.example", QType: "A", Answers: []string{evil.String()}}},
		record{orig: sub, ssl: &event.SSL{TS: at.Add(time.Second), UID: "E", OrigH: me, RespH: evil, RespP: 443, ServerName: "update.vendor0-support.example"}},
		record{orig: sub, conn: &event.Conn{TS: at.Add(time.Second), UID: "E", OrigH: me, OrigP: 44000, RespH: evil, RespP: 443, Proto: "tcp",
			OrigBytes: 5000, RespBytes: 900_000, ConnState: "SF", VLAN: 20}})
	// SSH to an internal host, from a moved device.
	sub, _ = dev(9)
	recs = append(recs, record{orig: sub, conn: &event.Conn{TS: t0.Add(50 * time.Hour), UID: "M", OrigH: netip.MustParseAddr("10.20.77.9"),
		OrigP: 45000, RespH: pacs, RespP: 22, Proto: "tcp", OrigBytes: 3000, RespBytes: 3000, ConnState: "SF", VLAN: 77}})

	slices.SortStableFunc(recs, func(a, b record) int { return a.ts().Compare(b.ts()) })
	for i := 0; i+1 < len(recs); i++ {
		if r.IntN(10) == 0 {
			recs[i], recs[i+1] = recs[i+1], recs[i]
			i++
		}
	}
	return recs
}

// run applies recs to s and returns the deviations of each record.
func run(s *Set, recs []record) [][]Deviation {
	out := make([][]Deviation, len(recs))
	for i, r := range recs {
		out[i] = r.apply(s, nil)
	}
	return out
}

// store applies a Flush to a map of documents, as the store would.
func store(docs map[string][]byte, s *Set) error {
	changed, deleted, err := s.Flush()
	if err != nil {
		return err
	}
	for _, c := range changed {
		docs[c.DeviceID] = c.Doc
	}
	for _, id := range deleted {
		delete(docs, id)
	}
	return nil
}
