package zeek

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestTmpCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	iters := 8
	if os.Getenv("ONCE") != "" {
		iters = 1
	}
	for _, f := range []Format{TSV, JSON} {
		if os.Getenv("ONLY") != "" && os.Getenv("ONLY") != f.String() {
			continue
		}
		data, err := os.ReadFile("/tmp/zc/conn100k." + map[Format]string{TSV: "log", JSON: "json"}[f])
		if err != nil {
			t.Fatal(err)
		}
		best := time.Hour
		for k := 0; k < iters; k++ {
			c0 := threadCPU()
			r := NewReader(bytes.NewReader(data), "conn.log", Options{})
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				}
			}
			best = min(best, threadCPU()-c0)
		}
		t.Logf("%v: %.0f ns/record CPU, %.2f M records/s", f, float64(best)/1e5, 1e5/best.Seconds()/1e6)
	}
}
