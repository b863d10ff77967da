package baseline

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// BenchmarkConn applies a realistic stream (two days: one learning, one
// judged) of a fleet of 1,000 devices to a fresh Set.
func BenchmarkConn(b *testing.B) {
	for _, devices := range []int{1000} {
		recs := stream(devices, 48*time.Hour, 11)
		b.Run("devices="+itoa(devices), func(b *testing.B) {
			b.ReportAllocs()
			var out []Deviation
			n := 0
			for b.Loop() {
				s := New(streamConfig())
				for _, r := range recs {
					out = r.apply(s, out[:0])
				}
				n++
			}
			b.ReportMetric(float64(n*len(recs))/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkMemory builds the baselines of a fleet, device by device, from
// two days of the traffic a connected medical device makes (a server
// every 5 minutes, a second service every 30, its vendor cloud every 15
// with the DNS lookup before it, a time server hourly), and reports the
// heap the Set holds per device and in all, and the memory the runtime
// took from the system.
//
//	go test -run '^$' -bench Memory -benchtime 1x ./internal/baseline/
func BenchmarkMemory(b *testing.B) {
	for _, devices := range []int{100_000} {
		b.Run("devices="+itoa(devices), func(b *testing.B) {
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s := New(streamConfig())
				var out []Deviation
				for i := range devices {
					out = feedDevice(s, i, out[:0])
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap := float64(after.HeapInuse - before.HeapInuse)
				b.ReportMetric(heap/(1<<20), "MB-heap")
				b.ReportMetric(heap/float64(devices), "B/device")
				// All the memory the Go runtime holds from the OS: what
				// the process's resident size is made of.
				b.ReportMetric(float64(after.Sys)/(1<<20), "MB-sys")
				runtime.KeepAlive(s)
			}
		})
	}
}

// feedDevice applies two days of one device's traffic.
func feedDevice(s *Set, i int, out []Deviation) []Deviation {
	sub := Subject{ID: fmt.Sprintf("dev-%06d", i), FirstSeen: t0}
	self := addr4(10, 20+i>>16, (i>>8)&0xff, i&0xff)
	server := addr4(10, 1, 0, i%50)
	cloud := addr4(203, 0, 113, i%256)
	name := fmt.Sprintf("api%d.vendor%d.example", i%4, i%40)
	for m := 0; m < 48*60; m += 5 {
		ts := t0.Add(time.Duration(m) * time.Minute)
		c := &event.Conn{TS: ts, OrigH: self, RespH: server, RespP: 443, Proto: "tcp", OrigBytes: 4000, RespBytes: 900, ConnState: "SF"}
		out = s.Conn(sub, Subject{}, c, out)
		if m%30 == 0 {
			c = &event.Conn{TS: ts.Add(time.Second), OrigH: self, RespH: server, RespP: 2575, Proto: "tcp", OrigBytes: 1200, RespBytes: 80, ConnState: "SF"}
			out = s.Conn(sub, Subject{}, c, out)
		}
		if m%15 == 0 {
			out = s.DNS(sub, &event.DNS{TS: ts.Add(2 * time.Second), OrigH: self, RespH: resolver, Query: name, Answers: []string{cloud.String()}}, out)
			c = &event.Conn{TS: ts.Add(3 * time.Second), OrigH: self, RespH: cloud, RespP: 443, Proto: "tcp", OrigBytes: 30000, RespBytes: 5000, ConnState: "SF"}
			out = s.Conn(sub, Subject{}, c, out)
		}
		if m%60 == 0 {
			c = &event.Conn{TS: ts.Add(4 * time.Second), OrigH: self, RespH: addr4(10, 1, 0, 5), RespP: 123, Proto: "udp", OrigBytes: 48, RespBytes: 48, ConnState: "SF"}
			out = s.Conn(sub, Subject{}, c, out)
		}
	}
	return out
}
