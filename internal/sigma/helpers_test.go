package sigma

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// datasets returns the folder of shared public data, or skips.
func datasets(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS not set: skipping the test on real public data (set it to ../shared/data)")
	}
	return dir
}

// loadSigmaHQ parses every SigmaHQ CloudTrail rule; it fails the test on
// any rule that does not parse.
func loadSigmaHQ(t testing.TB, dir string) []*Rule {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "sigmahq-cloudtrail-rules/rules/cloud/aws/cloudtrail/*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rules found: %v", err)
	}
	sort.Strings(files)
	var rules []*Rule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := ParseAll(data, filepath.Base(f))
		if err != nil {
			t.Errorf("rule does not parse: %v", err)
			continue
		}
		rules = append(rules, rs...)
	}
	return rules
}

// loadStratus returns the raw events of each Stratus Red Team detonation,
// keyed by file name.
func loadStratus(t testing.TB, dir string) (map[string][][]byte, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "cloudtrail-stratus-red-team/detonation-logs/*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no detonation logs found: %v", err)
	}
	sort.Strings(files)
	out := map[string][][]byte{}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		names = append(names, name)
		for _, r := range raw {
			out[name] = append(out[name], []byte(r))
		}
	}
	return out, names
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func setPath(m map[string]any, field string, v any) {
	parts := strings.Split(field, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
