package zeek

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// genConns returns n deterministic pseudo-random conn events shaped like a
// hospital network's: mostly IPv4, some IPv6, a few protocols and services.
func genConns(n int) []event.Conn {
	rng := rand.New(rand.NewPCG(1, 2))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	services := []string{"", "dns", "http", "ssl", "dhcp", "ntp", "ssh"}
	states := []string{"SF", "S0", "REJ", "RSTO", "SH", "OTH", "S1"}
	protos := []string{"tcp", "udp", "icmp"}
	ts := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	out := make([]event.Conn, n)
	for i := range out {
		ts = ts.Add(time.Duration(rng.IntN(20000)) * time.Microsecond)
		uid := make([]byte, 18)
		uid[0] = 'C'
		for j := 1; j < len(uid); j++ {
			uid[j] = alnum[rng.IntN(len(alnum))]
		}
		c := event.Conn{
			TS:        ts,
			UID:       string(uid),
			OrigH:     netip.AddrFrom4([4]byte{10, byte(rng.IntN(8)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))}),
			OrigP:     uint16(1024 + rng.IntN(64000)),
			RespH:     netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(4)), byte(1 + rng.IntN(254))}),
			RespP:     []uint16{53, 80, 443, 104, 2575, 161, 123, 22}[rng.IntN(8)],
			Proto:     protos[rng.IntN(len(protos))],
			Service:   services[rng.IntN(len(services))],
			ConnState: states[rng.IntN(len(states))],
		}
		if rng.IntN(10) == 0 {
			var a [16]byte
			a[0], a[1] = 0xfd, 0x00
			for j := 8; j < 16; j++ {
				a[j] = byte(rng.IntN(256))
			}
			c.OrigH = netip.AddrFrom16(a)
			a[15]++
			c.RespH = netip.AddrFrom16(a)
		}
		if rng.IntN(5) != 0 {
			c.Duration = time.Duration(rng.IntN(5_000_000)) * time.Microsecond
			c.OrigBytes = int64(rng.IntN(100000))
			c.RespBytes = int64(rng.IntN(1000000))
			c.OrigPkts = int64(1 + rng.IntN(200))
			c.RespPkts = int64(rng.IntN(200))
		}
		out[i] = c
	}
	return out
}

func genConnLog(tb testing.TB, n int, f Format) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, event.KindConn, f)
	for i, c := range genConns(n) {
		if err := w.Write(&c); err != nil {
			tb.Fatalf("record %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func benchRead(b *testing.B, f Format) {
	for _, n := range []int{100_000} {
		data := genConnLog(b, n, f)
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r := NewReader(bytes.NewReader(data), "conn.log", Options{})
				got := 0
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("read %d records, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkTSVConn reads a generated TSV conn.log into events.
func BenchmarkTSVConn(b *testing.B) { benchRead(b, TSV) }

// BenchmarkJSONConn reads a generated JSON conn.log into events.
func BenchmarkJSONConn(b *testing.B) { benchRead(b, JSON) }

// BenchmarkCut cuts the columns of the bench/zeek-cut.sh comparison.
func BenchmarkCut(b *testing.B) {
	for _, n := range []int{100_000} {
		data := genConnLog(b, n, TSV)
		fields := []string{"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"}
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Cut(io.Discard, bytes.NewReader(data), fields); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
