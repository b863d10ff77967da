package fingerprint

import (
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/fingerprints"
)

func loadEmbedded(t testing.TB) *Corpus {
	t.Helper()
	c, err := Load(fingerprints.FS)
	if err != nil {
		t.Fatalf("loading the embedded corpus: %v", err)
	}
	return c
}

// TestRuleExamples runs every example device of every rule.
func TestRuleExamples(t *testing.T) {
	c := loadEmbedded(t)
	byRule := make(map[string][]TestResult)
	for _, r := range c.RunTests() {
		byRule[r.Rule] = append(byRule[r.Rule], r)
	}
	for _, r := range c.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			results := byRule[r.ID]
			if len(results) != r.Tests {
				t.Fatalf("ran %d examples, the rule has %d", len(results), r.Tests)
			}
			for _, res := range results {
				if res.Failed() {
					t.Error(res)
				}
			}
		})
	}
}

// TestCorpusInvariants checks what every rule of the corpus must satisfy
// beyond what Load enforces for any rule file.
func TestCorpusInvariants(t *testing.T) {
	c := loadEmbedded(t)
	rules := c.Rules()
	if len(rules) < 45 {
		t.Errorf("the corpus has %d rules, want at least 45", len(rules))
	}
	files, err := fs.Glob(fingerprints.FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(rules) {
		t.Errorf("%d rule files, %d rules loaded", len(files), len(rules))
	}
	seen := make(map[string]bool)
	classes := make(map[string]int)
	for _, r := range rules {
		if r.File != r.ID+".yaml" {
			t.Errorf("rule %s is in file %s", r.ID, r.File)
		}
		if seen[r.ID] {
			t.Errorf("duplicate id %s", r.ID)
		}
		seen[r.ID] = true
		if _, ok := LookupClass(r.Class); !ok || r.Class == Unknown {
			t.Errorf("%s: class %q is not in the class table", r.ID, r.Class)
		}
		classes[r.Class]++
		if len(r.References) == 0 {
			t.Errorf("%s: no reference", r.ID)
		}
		for _, ref := range r.References {
			u, err := url.Parse(ref)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("%s: reference %q is not an https URL", r.ID, ref)
			}
		}
		if r.Confidence <= 0 || r.Confidence > 1 {
			t.Errorf("%s: confidence %v", r.ID, r.Confidence)
		}
	}
	// Every class of the table has at least one rule.
	for _, cl := range Classes() {
		if cl.Name == Unknown {
			continue
		}
		if classes[cl.Name] == 0 {
			t.Errorf("class %s has no rule", cl.Name)
		}
	}
	names := make([]string, 0, len(classes))
	for k := range classes {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(strings.Repeat("|", classes[k]))
		b.WriteString(" ")
	}
	t.Logf("%d rules by class: %s", len(rules), b.String())
}

// TestLoneGenericSignalsAreWeak: a rule that can match on a single port or
// service that many kinds of host use (DICOM, HL7, web, print ...) must not
// claim more than 0.5.
func TestLoneGenericSignalsAreWeak(t *testing.T) {
	c := loadEmbedded(t)
	generic := map[string]bool{
		"tcp/104": true, "tcp/11112": true, "dicom": true, "tcp/2575": true, "hl7": true,
		"tcp/80": true, "tcp/443": true, "tcp/8080": true, "tcp/8443": true, "tcp/22": true,
		"tcp/9100": true, "tcp/631": true, "tcp/515": true, "tcp/445": true, "udp/161": true,
		"tcp/1494": true, "tcp/2598": true, "udp/514": true, "tcp/88": true, "udp/88": true,
	}
	checked := 0
	for _, r := range c.rules {
		// The sets of conditions that alone make the rule match.
		var sets []uint64
		if len(r.groups) == 0 {
			sets = []uint64{r.required}
		}
		for _, g := range r.groups {
			sets = append(sets, r.required|g)
		}
		for _, set := range sets {
			if bitsCount(set) != 1 {
				continue
			}
			for _, m := range r.matchers {
				if set&(1<<m.cond) == 0 {
					continue
				}
				v := m.text
				if m.port != 0 {
					v = formatPortKey(m.port)
				}
				if generic[v] {
					checked++
					if r.Confidence > 0.5 {
						t.Errorf("%s can match on %s alone but claims confidence %v", r.ID, v, r.Confidence)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no rule rests on a lone generic port: the check is broken")
	}
}

func bitsCount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TestPositiveExamplesClassifyToTheirClass: each device a rule claims, the
// whole corpus classifies to the rule's class (or a refinement of it), so
// that no rule is drowned by another's false positive.
func TestPositiveExamplesClassifyToTheirClass(t *testing.T) {
	c := loadEmbedded(t)
	for _, r := range c.rules {
		for _, ex := range r.tests {
			if !ex.want {
				continue
			}
			got := c.Classify(ex.device)
			ok := false
			if gi, found := classIndex[got.Class]; found {
				for _, a := range lineage(gi) {
					if a == r.class {
						ok = true
					}
				}
			}
			if !ok {
				t.Errorf("%s:%d: %s example %q is classified %s (%.2f), not %s; evidence %v",
					r.File, ex.line, r.ID, ex.name, got.Class, got.Confidence, r.Class, got.Evidence)
			}
		}
	}
}
