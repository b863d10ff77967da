package policy

import (
	"fmt"
	"net/netip"
	"testing"
)

// BenchmarkEvaluate evaluates a mix of allowed and denied flows against the
// reference template, by number of distinct flows.
func BenchmarkEvaluate(b *testing.B) {
	p := Template()
	for _, n := range []int{100, 10_000} {
		flows := make([]Flow, n)
		for i := range flows {
			flows[i] = Flow{
				Class:   []string{"infusion_pump", "patient_monitor", "imaging_ct", "clinical_workstation"}[i%4],
				Src:     netip.AddrFrom4([4]byte{10, 40, byte(i >> 8), byte(i)}),
				Dst:     netip.AddrFrom4([4]byte{10, byte(20 + i%30), byte(i >> 8), byte(i)}),
				DstPort: []uint16{443, 2575, 104, 445}[i%4],
				Proto:   "tcp",
			}
			if i%5 == 0 {
				flows[i].DstNames = []string{fmt.Sprintf("host%d.vendor%d.example", i, i%7)}
			}
		}
		b.Run(fmt.Sprintf("flows=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			evaluated := 0
			for b.Loop() {
				for _, f := range flows {
					p.Evaluate(f)
				}
				evaluated += len(flows)
			}
			b.ReportMetric(float64(evaluated)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
