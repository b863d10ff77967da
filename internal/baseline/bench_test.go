package baseline

import (
	"testing"
	"time"
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
