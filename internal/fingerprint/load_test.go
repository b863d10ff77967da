package fingerprint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadInvalid loads each file of testdata/invalid alone and checks the
// error names the file and the line and says what is wrong.
func TestLoadInvalid(t *testing.T) {
	tests := map[string]string{
		"unknown-key.yaml":      "unknown-key.yaml: invalid fingerprint rule: line 7: field oui_vendr not found",
		"bad-regex.yaml":        "bad-regex.yaml:7: invalid fingerprint rule: oui_vendor: bad regular expression \"(?i)^Baxter[\": missing closing ]",
		"bad-class.yaml":        "bad-class.yaml:2: invalid fingerprint rule: unknown class \"infusion_pmp\"",
		"bad-confidence.yaml":   "bad-confidence.yaml:3: invalid fingerprint rule: confidence 1.5: want a number in (0, 1]",
		"id-mismatch.yaml":      "id-mismatch.yaml:1: invalid fingerprint rule: id \"other-id\" differs from the file name \"id-mismatch\"",
		"bad-port.yaml":         "bad-port.yaml:8: invalid fingerprint rule: server_port: port \"tcp/99999\": port must be a number from 1 to 65535",
		"bad-glob.yaml":         "bad-glob.yaml:7: invalid fingerprint rule: dns: name pattern \"Carelink.Example.com\": character 'C' not allowed",
		"no-negative-test.yaml": "no-negative-test.yaml:8: invalid fingerprint rule: tests: want at least one device with want: match and one with want: no_match (has 1 and 0)",
		"http-reference.yaml":   "http-reference.yaml:5: invalid fingerprint rule: reference \"http://example.com/x\": want an https URL",
		"two-documents.yaml":    "two-documents.yaml:11: invalid fingerprint rule: more than one YAML document",
		"empty-list.yaml":       "empty-list.yaml:7: invalid fingerprint rule: hostname: empty list",
		"bad-test-device.yaml":  "bad-test-device.yaml:9: invalid fingerprint rule: test \"yes\": services: \"tcp/abc\"",
		"not-a-mapping.yaml":    "not-a-mapping.yaml:1: invalid fingerprint rule: the file must be a YAML mapping",
		"wrong-type.yaml":       "wrong-type.yaml: invalid fingerprint rule: line 3: cannot unmarshal !!str `high` into float64",
		"no-condition.yaml":     "no-condition.yaml:1: invalid fingerprint rule: match:, all: or any: is missing",
		"bad-want.yaml":         "bad-want.yaml:10: invalid fingerprint rule: test \"no\": want \"nomatch\", want match or no_match",
		"scalar-list.yaml":      "scalar-list.yaml: invalid fingerprint rule: line 7: want a string or a list of strings, got a mapping",
		"empty.yaml":            "empty.yaml: invalid fingerprint rule: empty file",
	}
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%d fixtures in testdata/invalid, %d expectations", len(files), len(tests))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(fstest.MapFS{name: {Data: data}})
			if err == nil {
				t.Fatalf("Load succeeded, want error %q", want)
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Errorf("error %q does not wrap ErrInvalidRule", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error\n  %s\nwant it to contain\n  %s", err, want)
			}
		})
	}
}

// TestLoadReportsEveryFile: one bad file does not hide another's errors.
func TestLoadReportsEveryFile(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"bad-class.yaml", "bad-port.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/invalid", name))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	_, err := Load(fsys)
	if err == nil || !strings.Contains(err.Error(), "bad-class.yaml:2") || !strings.Contains(err.Error(), "bad-port.yaml:8") {
		t.Errorf("Load error %v, want both files reported", err)
	}
}

func TestLoadDuplicateAndEmpty(t *testing.T) {
	if _, err := Load(fstest.MapFS{"README.md": {Data: []byte("# rules")}}); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("Load of a folder without rules: %v, want ErrInvalidRule", err)
	}
	data, err := os.ReadFile("testdata/corpus/tie-a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Two files cannot share an id: the id must equal the file name, so a
	// copy under another name fails on that.
	_, err = Load(fstest.MapFS{"tie-a.yaml": {Data: data}, "tie-c.yaml": {Data: data}})
	if err == nil || !strings.Contains(err.Error(), "tie-c.yaml:1") {
		t.Errorf("Load of a copied rule: %v, want an id error on tie-c.yaml", err)
	}
}

// TestRunTestsReportsFailures: an example whose expectation is wrong is
// reported with its position.
func TestRunTestsReportsFailures(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus/alpha-pump.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.Replace(string(data), "{name: other, device: {vendor: Acme Pumpkins}, want: no_match}",
		"{name: other, device: {vendor: Acme Pumpkins}, want: no_match}\n  - {name: wrong, device: {vendor: Acme Pumps}, want: no_match}", 1)
	c, err := Load(fstest.MapFS{"alpha-pump.yaml": {Data: []byte(wrong)}})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, r := range c.RunTests() {
		if r.Failed() {
			failed = append(failed, r.String())
		}
	}
	want := `alpha-pump.yaml:13: alpha-pump "wrong": FAIL: want match=false, got match=true`
	if len(failed) != 1 || failed[0] != want {
		t.Errorf("failures %q, want [%q]", failed, want)
	}
}
