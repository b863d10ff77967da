package simulate

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestTmpRun(t *testing.T) {
	if os.Getenv("SIMDIR") == "" {
		t.Skip()
	}
	for _, o := range []Options{{Seed: 1}, {Seed: 1, Devices: 2000}} {
		t0 := time.Now()
		tr, err := Run(context.Background(), t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("devices=%d %v %v", len(tr.Devices), time.Since(t0), tr.Records)
	}
}
