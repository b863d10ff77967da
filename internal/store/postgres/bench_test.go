package postgres

import (
	"testing"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/storetest"
)

// Run with a database (each benchmark gets its own schema):
//
//	VIGIL_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test -run '^$' -bench . -benchtime 20x ./internal/store/postgres/

func openBench(opts Options) func(b *testing.B) store.Store {
	return func(b *testing.B) store.Store { return openTest(b, opts) }
}

func BenchmarkCommitDevices(b *testing.B)   { storetest.BenchCommitDevices(b, openBench(Options{})) }
func BenchmarkCommitSightings(b *testing.B) { storetest.BenchCommitSightings(b, openBench(Options{})) }
func BenchmarkCommitLeases(b *testing.B)    { storetest.BenchCommitLeases(b, openBench(Options{})) }
func BenchmarkCommitAlerts(b *testing.B)    { storetest.BenchCommitAlerts(b, openBench(Options{})) }
func BenchmarkReadDevices(b *testing.B)     { storetest.BenchReadDevices(b, openBench(Options{})) }

// BenchmarkImportAdvisories imports 10k and 200k advisories of ~2 KB; run
// it with -benchtime 1x.
func BenchmarkImportAdvisories(b *testing.B) {
	storetest.BenchImportAdvisories(b, openBench(Options{}))
}

// BenchmarkCommitMode compares the ways Commit can write rows: unnest, COPY
// into a temporary table, a pgx.Batch of single-row upserts; copyMin in
// write.go picks between the first two from these figures.
func BenchmarkCommitMode(b *testing.B) {
	for _, mode := range []commitMode{modeUnnest, modeCopy, modeBatch} {
		b.Run(mode.String(), func(b *testing.B) {
			storetest.BenchCommitDevices(b, openBench(Options{mode: mode}))
		})
		b.Run(mode.String()+"/leases", func(b *testing.B) {
			storetest.BenchCommitLeases(b, openBench(Options{mode: mode}))
		})
	}
}

// BenchmarkCommitFindings commits an assessment of 100k findings; run it
// with -benchtime 1x.
func BenchmarkCommitFindings(b *testing.B) { storetest.BenchCommitFindings(b, openBench(Options{})) }
