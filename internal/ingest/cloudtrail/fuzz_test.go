package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must not panic, must
// end, must return exact bytes at strictly increasing offsets, must only
// accept valid events, must call an event bad JSON exactly when
// encoding/json does, and resuming from any checkpoint must give the rest.
//
//	go test -run '^$' -fuzz FuzzReader -fuzztime 45s ./internal/ingest/cloudtrail/
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, p := range files {
		f.Add(decompressed(f, p))
	}
	for _, s := range []string{
		``, `[`, `{"Records":[`, `{"Records":[{"eventTime":"2024-05-01T10:00:00Z","eventName":"X"}],"a":[}`,
		"\xef\xbb\xbf[]", `[{"eventTime":"2024-05-01T10:00:00Z","eventName":"X"},,]`, `"\` + "\n" + `{}`,
		`{"eventTime":"2024-05-01T10:00:00Z","eventName":"X"}` + "\n{\n",
		`[{"a":-0.5e+3,"b":[true,false,null],"c":"\u00e9\n\"","d":{}},{"a":01},{"a":1.},{"a":"\x"},{"a":tru},{"a" 1},{"a":1,}]`,
		"[{\"a\":\"\x01\"},{\"a\":[1}]}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), "f", Options{})
		r.max = 1 << 10
		var whole []slot
		next := int64(0)
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatalf("more results than bytes")
			}
			ev, err := r.Next()
			if err == io.EOF {
				if r.Offset() != int64(len(data)) {
					t.Fatalf("offset %d at EOF, want %d", r.Offset(), len(data))
				}
				break
			}
			var re *RecordError
			if err != nil && !errors.As(err, &re) {
				var fe *ReadError
				if !errors.As(err, &fe) {
					t.Fatalf("fatal error of type %T: %v", err, err)
				}
				break
			}
			ev.Raw = bytes.Clone(ev.Raw)
			whole = append(whole, slot{ev, err})
			if ev.Pos.Offset < next || ev.Pos.Index != int64(len(whole)-1) {
				t.Fatalf("position %+v after offset %d", ev.Pos, next)
			}
			if r.Offset() <= ev.Pos.Offset || r.Index() != int64(len(whole)) {
				t.Fatalf("checkpoint %d/%d after event at %+v", r.Offset(), r.Index(), ev.Pos)
			}
			next = r.Offset()
			if ev.Raw != nil && !bytes.Equal(data[ev.Pos.Offset:ev.Pos.Offset+int64(len(ev.Raw))], ev.Raw) {
				t.Fatalf("Raw is not the input at %d", ev.Pos.Offset)
			}
			if ev.Raw != nil && errors.Is(err, ErrBadJSON) == json.Valid(ev.Raw) {
				t.Fatalf("event %q: valid JSON for encoding/json %v, error %v", ev.Raw, json.Valid(ev.Raw), err)
			}
			if err == nil {
				var m map[string]any
				if jerr := json.Unmarshal(ev.Raw, &m); jerr != nil {
					t.Fatalf("accepted invalid event %q: %v", ev.Raw, jerr)
				}
				if s, _ := m["eventTime"].(string); s == "" {
					t.Fatalf("accepted an event without eventTime")
				} else if _, terr := time.Parse(time.RFC3339Nano, s); terr != nil {
					t.Fatalf("accepted eventTime %q", s)
				}
				// encoding/json reads each byte that is not UTF-8 as
				// U+FFFD; the Reader keeps the bytes.
				var name string
				if b, err := json.Marshal(ev.Name); err != nil || json.Unmarshal(b, &name) != nil {
					t.Fatalf("Name %q does not round-trip", ev.Name)
				}
				if s, _ := m["eventName"].(string); s != name || s == "" {
					t.Fatalf("Name %q, eventName %v", ev.Name, m["eventName"])
				}
			}
		}
		if len(whole) > 0 {
			k := len(whole) / 2
			var cp Options
			if k > 0 {
				// Resume from the checkpoint a Reader reports after k events.
				r2 := NewReader(bytes.NewReader(data), "f", Options{})
				r2.max = 1 << 10
				for range k {
					r2.Next()
				}
				cp = Options{StartOffset: r2.Offset(), StartIndex: r2.Index()}
			}
			r3 := NewReader(bytes.NewReader(data), "f", cp)
			r3.max = 1 << 10
			for i := k; i < len(whole); i++ {
				ev, err := r3.Next()
				if ev.Pos != whole[i].ev.Pos || !bytes.Equal(ev.Raw, whole[i].ev.Raw) || (err == nil) != (whole[i].err == nil) {
					t.Fatalf("resumed event %d: %+v %v, want %+v %v", i, ev.Pos, err, whole[i].ev.Pos, whole[i].err)
				}
			}
		}
	})
}
