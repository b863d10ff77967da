package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/storetest"
)

// Run with:
//
//	go test -run '^$' -bench . -benchtime 20x ./internal/store/sqlite/

func openBench(opts Options) func(b *testing.B) store.Store {
	return func(b *testing.B) store.Store {
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "vigil.db"), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}
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

// BenchmarkSynchronous compares the durability settings the package doc
// weighs: FULL (the default) against NORMAL.
func BenchmarkSynchronous(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run(mode, func(b *testing.B) {
			storetest.BenchCommitDevices(b, openBench(Options{synchronous: mode}))
		})
	}
}

// BenchmarkChunkRows measures the rows per multi-row INSERT statement.
func BenchmarkChunkRows(b *testing.B) {
	defer func(n int) { maxRowsPerStatement = n }(maxRowsPerStatement)
	for _, n := range []int{1, 16, 64, 256, 1024, 4096} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			maxRowsPerStatement = n
			storetest.BenchCommitDevices(b, openBench(Options{}))
		})
	}
}

// BenchmarkCommitFindings commits an assessment of 100k findings; run it
// with -benchtime 1x.
func BenchmarkCommitFindings(b *testing.B) { storetest.BenchCommitFindings(b, openBench(Options{})) }
