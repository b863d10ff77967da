package sigma

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseAll(data, "fuzz.yml")
		if err != nil {
			return
		}
		e, err := Compile(rules, Options{Placeholders: map[string][]string{"x": {"a"}}})
		if err != nil {
			return
		}
		e.Match([]byte(`{"eventName":"CreateUser","a":{"b":[1,"x",null,{"c":true}]}}`))
	})
}

func FuzzCondition(f *testing.F) {
	for _, s := range []string{"a or b and not c", "1 of sel* and not all of them", "((a))", "not not a", "a and (b or", "selection | count() > 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			return
		}
		// The printed form parses back to the same tree.
		again, err := ParseCondition(c.String())
		if err != nil {
			t.Fatalf("%q printed as %q does not parse: %v", s, c.String(), err)
		}
		if again.String() != c.String() {
			t.Fatalf("%q: round trip %q != %q", s, again.String(), c.String())
		}
	})
}
