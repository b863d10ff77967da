package sigma

import (
	"fmt"
	"testing"
)

// replicate returns n copies of the rules with changed values: every string
// value of copy k gets the suffix "-k", so the copies are distinct rules
// that the index must keep apart. Copy 0 is the original set.
func replicate(rules []*Rule, n int) []*Rule {
	out := append([]*Rule(nil), rules...)
	for k := 1; k < n; k++ {
		for _, r := range rules {
			c := *r
			c.ID = fmt.Sprintf("%s-%d", r.ID, k)
			d := *r.Detection
			d.Selections = map[string]*Selection{}
			for name, s := range r.Detection.Selections {
				ns := &Selection{Name: s.Name, Line: s.Line}
				for _, alt := range s.Alts {
					var nalt []*FieldCond
					for _, fc := range alt {
						nfc := *fc
						nfc.Values = nil
						for _, v := range fc.Values {
							if v.Kind == KindString {
								v.S = fmt.Sprintf("%s-%d", v.S, k) // still a valid expression under |re
							}
							nfc.Values = append(nfc.Values, v)
						}
						nalt = append(nalt, &nfc)
					}
					ns.Alts = append(ns.Alts, nalt)
				}
				d.Selections[name] = ns
			}
			c.Detection = &d
			out = append(out, &c)
		}
	}
	return out
}

func BenchmarkMatch(b *testing.B) {
	dir := datasets(b)
	rules := loadSigmaHQ(b, dir)
	events, names := loadStratus(b, dir)
	var all [][]byte
	var size int
	for _, n := range names {
		for _, ev := range events[n] {
			all = append(all, ev)
			size += len(ev)
		}
	}
	for _, scale := range []int{1, 10} {
		set := replicate(rules, scale)
		b.Run(fmt.Sprintf("rules=%d", len(set)), func(b *testing.B) {
			e, err := Compile(set, cloudtrailOptions)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size / len(all)))
			b.ReportAllocs()
			var dst []Match
			i := 0
			for b.Loop() {
				dst, _ = e.MatchAppend(dst[:0], all[i%len(all)])
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
