package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
)

// benchAdvisories returns n OSV-like advisories of about 2 KB each, the
// size of a typical OSV record, each with two aliases.
func benchAdvisories(n int) []store.AdvisoryRecord {
	details := strings.Repeat("A crafted request to the device's web interface can overflow a buffer. ", 20)
	as := make([]store.AdvisoryRecord, n)
	for i := range as {
		id := fmt.Sprintf("GHSA-%04x-%04x-%04x", i>>16&0xffff, i&0xffff, (i*7919)&0xffff)
		cve := fmt.Sprintf("CVE-%d-%05d", 2015+i%10, i)
		doc := fmt.Appendf(nil, `{"schema_version":"1.6.0","id":%q,"modified":%q,"aliases":[%q,"PYSEC-%d"],`+
			`"summary":"Buffer overflow in component %d","details":%q,`+
			`"affected":[{"package":{"ecosystem":"PyPI","name":"pkg-%d","purl":"pkg:pypi/pkg-%d"},`+
			`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"%d.%d.%d"}]}]}],`+
			`"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`,
			id, t0.Format(time.RFC3339), cve, i, i, details, i%5000, i%5000, i%7, i%13, i%29)
		as[i] = store.AdvisoryRecord{Source: "osv", ID: id, Aliases: []string{cve, fmt.Sprintf("PYSEC-%d", i)},
			Modified: t0, Hash: store.DocHash(doc), Doc: doc}
	}
	return as
}

// BenchImportAdvisories measures ImportAdvisories of advisories of about
// 2 KB: "new" into a store that holds none of them (a first import),
// "unchanged" importing the same again (the steady state of a daily feed:
// nothing is written), "updated" with every advisory modified later (each
// rewritten with its aliases). open is called once per sub-benchmark; run
// with -benchtime 1x, a 200k import takes seconds.
func BenchImportAdvisories(b *testing.B, open func(b *testing.B) store.Store) {
	for _, sc := range []struct {
		name string
		n    int
	}{{"10k", 10_000}, {"200k", 200_000}} {
		as := benchAdvisories(sc.n)
		var size int64
		for _, a := range as {
			size += int64(len(a.Doc))
		}
		importAll := func(b *testing.B, s store.Store, want store.ImportCounts) {
			got, err := s.ImportAdvisories(b.Context(), as)
			if err != nil {
				b.Fatal(err)
			}
			if got != want {
				b.Fatalf("ImportAdvisories: %+v, want %+v", got, want)
			}
		}
		b.Run("new-"+sc.name, func(b *testing.B) {
			s := open(b)
			b.SetBytes(size)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				for j := range as { // a source of its own: every advisory is new
					as[j].Source = fmt.Sprintf("osv-%d", i)
				}
				b.StartTimer()
				importAll(b, s, store.ImportCounts{New: sc.n})
			}
			report(b, sc.n, "advisories")
		})
		for j := range as {
			as[j].Source = "osv"
		}
		b.Run("unchanged-"+sc.name, func(b *testing.B) {
			s := open(b)
			importAll(b, s, store.ImportCounts{New: sc.n})
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				importAll(b, s, store.ImportCounts{Unchanged: sc.n})
			}
			report(b, sc.n, "advisories")
		})
		b.Run("updated-"+sc.name, func(b *testing.B) {
			s := open(b)
			importAll(b, s, store.ImportCounts{New: sc.n})
			b.SetBytes(size)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				for j := range as {
					as[j].Modified = t0.Add(time.Duration(i) * time.Hour)
				}
				b.StartTimer()
				importAll(b, s, store.ImportCounts{Updated: sc.n})
			}
			report(b, sc.n, "advisories")
		})
	}
}
