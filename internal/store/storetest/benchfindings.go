package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
)

// benchFindings returns n findings of an assessment of a fleet, of about
// 500 bytes of document each: 20 findings per device, decisions and
// suppressions mixed, IDs prefixed with prefix.
func benchFindings(prefix string, n int) []store.FindingRecord {
	decisions := []string{"immediate", "out-of-cycle", "scheduled", "scheduled", "defer", "defer", "defer"}
	fs := make([]store.FindingRecord, n)
	for i := range fs {
		dev := fmt.Sprintf("dev-%06d", i/20)
		vuln := fmt.Sprintf("CVE-%d-%05d", 2015+i%10, (i*7919)%100_000)
		comp := fmt.Sprintf("pkg:generic/lib%d@%d.%d.%d", i%500, i%7, i%13, i%29)
		decision := decisions[i%len(decisions)]
		doc := fmt.Appendf(nil, `{"device_id":%q,"vulnerability":%q,"aliases":["GHSA-%04x-%04x-%04x"],"component":%q,`+
			`"match":{"source":"osv","range":"<%d.%d.%d","fixed":"%d.%d.%d"},"decision":%q,`+
			`"reasons":["exploitation: %s","automatable: no","technical impact: total","mission prevalence: essential",`+
			`"public well-being impact: irreversible"],"cvss":{"vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","score":9.8},`+
			`"epss":{"score":0.%05d,"percentile":0.9},"kev":%t}`,
			dev, vuln, i&0xffff, i>>16, (i*31)&0xffff, comp, i%7, i%13+1, 0, i%7, i%13+1, 0, decision,
			[]string{"active", "poc", "none"}[i%3], i%100_000, i%11 == 0)
		fs[i] = store.FindingRecord{ID: fmt.Sprintf("%s-%08d", prefix, i), DeviceID: dev, Vulnerability: vuln, Component: comp,
			Decision: decision, Suppressed: i%17 == 0, CVSS: float64(i%101) / 10, KEV: i%11 == 0, EPSS: float64(i%100_000) / 100_000,
			Assessed: t0, Due: t0.Add(time.Duration(i%90) * 24 * time.Hour), Doc: doc}
	}
	return fs
}

// BenchCommitFindings measures Commit of an assessment of 100k findings:
// "new" into a store that holds none of them (a first assessment), and
// "reassess" upserting the same findings again with a new assessment time
// (the steady state), a tenth without a due date (kept), over a store
// where a thousand of them have a patch state (kept). open is called once
// per sub-benchmark; run with -benchtime 1x or a few x, a commit takes
// seconds.
func BenchCommitFindings(b *testing.B, open func(b *testing.B) store.Store) {
	const n = 100_000
	fs := benchFindings("fnd", n)
	var size int64
	for i := range fs {
		size += int64(len(fs[i].Doc))
	}
	commitAll := func(b *testing.B, s store.Store, fs []store.FindingRecord) {
		if err := s.Commit(b.Context(), &store.Batch{Findings: fs}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("new-100k", func(b *testing.B) {
		s := open(b)
		b.SetBytes(size)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			batch := benchFindings(fmt.Sprintf("fnd%d", i), n) // IDs of their own: every finding is new
			b.StartTimer()
			commitAll(b, s, batch)
		}
		report(b, n, "findings")
	})
	b.Run("reassess-100k", func(b *testing.B) {
		s := open(b)
		commitAll(b, s, fs)
		for i := 0; i < n; i += n / 1000 {
			if err := s.SetPatchState(b.Context(), fs[i].ID, store.PatchChange{At: t0, To: "available", By: "bench"}, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(size)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			for j := range fs {
				fs[j].Assessed = t0.Add(time.Duration(i) * time.Hour)
				if j%10 == 0 {
					fs[j].Due = time.Time{}
				}
			}
			b.StartTimer()
			commitAll(b, s, fs)
		}
		b.StopTimer()
		if f, err := s.Finding(b.Context(), fs[0].ID); err != nil || f.State != "available" || f.Due.IsZero() {
			b.Fatalf("after re-assessing: finding %+v, %v: want its state and due date kept", f, err)
		}
		report(b, n, "findings")
	})
}
