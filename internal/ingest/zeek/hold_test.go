package zeek

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestHoldIncompleteLastLine(t *testing.T) {
	const head = "#separator \\x09\n#path\tknown_hosts\n#fields\tts\thost\n#types\ttime\taddr\n"
	for _, tt := range []struct {
		name       string
		input      string
		wantRecs   int
		wantHeld   bool
		wantOffset int
	}{
		{"complete", head + "1.0\t10.0.0.1\n2.0\t10.0.0.2\n", 2, false, len(head) + 26},
		{"half-written", head + "1.0\t10.0.0.1\n2.0\t10.0", 1, true, len(head) + 13},
		{"trailing blank", head + "1.0\t10.0.0.1\n  ", 1, false, len(head) + 15},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.input), "known_hosts.log", Options{HoldIncomplete: true})
			n := 0
			for {
				_, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != tt.wantRecs || r.HeldBack() != tt.wantHeld || r.Offset() != int64(tt.wantOffset) {
				t.Errorf("records %d held %v offset %d, want %d %v %d", n, r.HeldBack(), r.Offset(), tt.wantRecs, tt.wantHeld, tt.wantOffset)
			}
		})
	}
}
