package baseline

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// FuzzDecode checks that Decode never panics, and that a profile it
// accepts encodes to a document that decodes to the same profile and
// encodes to the same bytes again.
func FuzzDecode(f *testing.F) {
	s := New(streamConfig())
	run(s, stream(3, 40*time.Hour, 9))
	changed, _, err := s.Flush()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range changed {
		f.Add(c.Doc)
	}
	for _, doc := range []string{`{"v":1}`, `{"v":2}`, `null`, `{"v":1,"flows":[]}`, `{"v":1,"external_peers":["::ffff:1.2.3.4","fe80::1%eth0"]}`,
		`{"v":1,"volume":{"open":[{"h":1},{"h":2},{"h":3},{"h":4},{"h":5}],"history":[1e38,-0]}}`} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Decode(doc)
		if err != nil {
			return
		}
		first, err := p.Encode()
		if err != nil {
			t.Fatalf("a decoded profile does not encode: %v", err)
		}
		q, err := Decode(first)
		if err != nil {
			t.Fatalf("an encoded profile does not decode: %v\n%s", err, first)
		}
		second, err := q.Encode()
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("encoding is not stable:\n%s\n%s", first, second)
		}
		r, err := Decode(second)
		if err != nil || !reflect.DeepEqual(q, r) {
			t.Fatalf("decode(encode(p)) differs from p: %v\n%+v\n%+v", err, q, r)
		}
	})
}
