package attack

import (
	"bytes"
	"os"
	"testing"
)

func FuzzLoadATTACK(f *testing.F) {
	for _, name := range []string{"testdata/enterprise-stix20.json", "testdata/ics-stix21.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"bundle","objects":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := LoadATTACK(bytes.NewReader(in))
		if err == nil && c == nil {
			t.Fatal("nil catalog without error")
		}
	})
}

func FuzzLoadD3FEND(f *testing.F) {
	b, err := os.ReadFile("testdata/d3fend.ttl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("@prefix : <http://x#> .\n:a :b \"\"\"x\"\"\"\"@en .\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := LoadD3FEND(bytes.NewReader(in))
		if err == nil && c == nil {
			t.Fatal("nil catalog without error")
		}
	})
}
