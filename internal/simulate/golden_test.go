package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_digests.txt")

// TestGoldenDigests pins the output of a small simulation: a change in the
// catalog, the generator, the Zeek writer or the Go runtime's random
// numbers that changes what a seed produces shows up here. If the change is
// intended, run: go test ./internal/simulate/ -run Golden -update
func TestGoldenDigests(t *testing.T) {
	dir, _ := runSim(t, Options{Seed: 42, Devices: 40, Hours: 3})
	var b strings.Builder
	files := []string{"truth.json"}
	for _, l := range LogFiles {
		files = append(files, l.File)
	}
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, logPath(name)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	golden := filepath.Join("testdata", "golden_digests.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("output of seed 42 changed (run with -update if intended):\ngot:\n%swant:\n%s", got, want)
	}
}
