package cloudtrail

import (
	"bytes"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"io"
	"runtime"
	"testing"
)

// genRecords returns a {"Records":[...]} file of n generated events.
func genRecords(n int) []byte {
	b, _ := io.ReadAll(newStream(n))
	return b
}

func BenchmarkReader(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		data := genRecords(n)
		var zbuf bytes.Buffer
		zw := gzip.NewWriter(&zbuf)
		zw.Write(data)
		zw.Close()
		b.Run(fmt.Sprintf("records/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				readN(b, bytes.NewReader(data), n)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(fmt.Sprintf("records-gzip/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				zr, err := gzip.NewReader(bytes.NewReader(zbuf.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				readN(b, zr, n)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func readN(tb testing.TB, r io.Reader, want int) {
	rd := NewReader(r, "bench", Options{})
	n := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
	if n != want {
		tb.Fatalf("read %d events, want %d", n, want)
	}
}

// TestConstantMemory reads a 200 MB {"Records":[...]} file generated on
// the fly through an io.Pipe and checks that the heap in use stays
// bounded, far below the file's size.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200 MB")
	}
	const n = 150_000 // about 200 MB at ~1.35 KB per event
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, newStream(n))
		pw.CloseWithError(err)
	}()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse
	var peak uint64
	var size int64
	rd := NewReader(pr, "pipe", Options{})
	count := 0
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		size = ev.Pos.Offset + int64(len(ev.Raw))
		if count%5000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if count != n {
		t.Fatalf("read %d events, want %d", count, n)
	}
	growth := int64(peak) - int64(before)
	t.Logf("read %d events, %d MB; heap in use before %.1f MB, peak %.1f MB (growth %.1f MB)",
		count, size>>20, float64(before)/(1<<20), float64(peak)/(1<<20), float64(growth)/(1<<20))
	if size < 190<<20 {
		t.Errorf("generated only %d MB", size>>20)
	}
	if growth > 32<<20 {
		t.Errorf("heap grew by %d MB reading a %d MB stream", growth>>20, size>>20)
	}
}
