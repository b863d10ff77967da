package sigma

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func testEvents(t *testing.T) [][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	return out
}

func loadRules(t *testing.T, glob string) []*Rule {
	t.Helper()
	files, _ := filepath.Glob(glob)
	slices.Sort(files)
	var rules []*Rule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := ParseAll(data, f)
		if err != nil {
			t.Fatalf("%v", err)
		}
		rules = append(rules, rs...)
	}
	return rules
}

var testOptions = Options{
	Logsource:    Logsource{Product: "aws", Service: "cloudtrail"},
	Placeholders: map[string][]string{"admin_ips": {"10.1.2.3", "8.8.8.8"}},
}

// TestFeatures runs every hand-written rule in testdata/rules over
// testdata/events.jsonl; each case names the events that must match.
func TestFeatures(t *testing.T) {
	want := map[string][]string{
		"t-equality": {"e1"},
		"t-lists":    {"e3", "e4", "e5", "e6"},
		"t-null":     {"e1", "e2"},
		"t-wild":     {"e6"},
		"t-contains": {"e5"},
		"t-object":   {"e3"},
		"t-re":       {"e3"},
		"t-re-cased": nil,
		"t-cidr":     {"e2", "e3"},
		"t-base64":   {"e5", "e6"},
		"t-windash":  {"e5"},
		"t-exists":   {"e3"},
		"t-fieldref": {"e2"},
		"t-num":      {"e4", "e6"},
		"t-cased":    {"e6"},
		"t-expand":   {"e1", "e4", "e6"},
		"t-keywords": {"e3", "e5"},
		"t-prec":     {"e1", "e2"},
		"t-them":     {"e1"},
		"t-multi-1":  {"e1", "e2"},
		"t-multi-2":  {"e5"},
	}
	rules := loadRules(t, "testdata/rules/*.yml")
	e, err := Compile(rules, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(e.Skipped()); got != 1 || e.Skipped()[0].ID != "t-gcp" {
		t.Errorf("skipped = %d rules, want only t-gcp", got)
	}
	got := map[string][]string{}
	for _, ev := range testEvents(t) {
		ms, err := e.MatchAppend(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got[m.RuleID] = append(got[m.RuleID], m.EventID)
		}
	}
	for _, r := range rules {
		if r.ID == "t-gcp" {
			continue
		}
		w, ok := want[r.ID]
		if !ok {
			t.Errorf("rule %s has no expectation", r.ID)
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			if !slices.Equal(got[r.ID], w) {
				t.Errorf("%s (%s): got events %v, want %v", r.ID, r.Title, got[r.ID], w)
			}
		})
	}
	// The reference evaluator agrees on the hand-written cases too.
	for _, ev := range testEvents(t) {
		compareWithReference(t, e, rules, ev, "testdata")
	}
}

func TestBadRules(t *testing.T) {
	tests := []struct {
		file        string
		unsupported bool
		want        string
	}{
		{"no_condition.yml", false, "no_condition.yml:4: invalid Sigma rule: detection has no condition"},
		{"unknown_modifier.yml", true, "unknown_modifier.yml:5: rule \"unknown modifier\": unsupported feature: value modifier |frobnicate"},
		{"aggregation.yml", true, "aggregation.yml:6: rule \"old aggregation\": unsupported feature: condition aggregation"},
		{"unknown_selection.yml", false, "unknown_selection.yml:6: invalid Sigma rule: condition column 15: unknown selection \"filter\""},
		{"bad_regex.yml", false, "bad_regex.yml:5: invalid Sigma rule: field \"eventName\": bad regular expression"},
		{"bad_yaml.yml", false, "bad_yaml.yml: invalid Sigma rule: yaml:"},
		{"near.yml", true, "near.yml:6: rule \"timeframe\": unsupported feature: detection timeframe"},
		{"corr_type.yml", true, "corr_type.yml:3: rule \"unknown correlation type\": unsupported feature: correlation type value_sum"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/bad", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data, tt.file)
			if err == nil {
				t.Fatal("got no error")
			}
			if got := errors.Is(err, ErrUnsupported); got != tt.unsupported {
				t.Errorf("errors.Is(ErrUnsupported) = %v, want %v (%v)", got, tt.unsupported, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n got %q\nwant prefix %q", err, tt.want)
			}
		})
	}
}

func TestExpandMissingPlaceholder(t *testing.T) {
	rules := loadRules(t, "testdata/rules/expand.yml")
	_, err := Compile(rules, Options{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "%admin_ips%") {
		t.Errorf("got %v, want an unsupported error naming %%admin_ips%%", err)
	}
}

func TestCondition(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"a or b and c", "(a or (b and c))", ""},
		{"not a and b", "(not a and b)", ""},
		{"a and not b or not c and d", "((a and not b) or (not c and d))", ""},
		{"(a or b) and c", "((a or b) and c)", ""},
		{"1 of sel* and not all of filter_*", "(1 of sel* and not all of filter_*)", ""},
		{"all of them", "all of them", ""},
		{"1 of them or x", "(1 of them or x)", ""},
		{"a AND NOT b", "(a and not b)", ""},
		{"a and", "", "column 6: unexpected end of condition"},
		{"(a or b", "", "column 8: want ')' to close '(' at column 1"},
		{"a b", "", "column 3: unexpected \"b\""},
		{"1 sel", "", "column 3: want 'of' after \"1\""},
		{"0 of x", "", "column 1: count before 'of' must be at least 1"},
		{"a # b", "", "column 3: unexpected character '#'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCondition(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("got error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestModifierValues(t *testing.T) {
	if got, want := windash("-enc /x a-b"), []string{"-enc /x a-b", "/enc /x a-b", "–enc –x a-b", "—enc —x a-b", "―enc ―x a-b", "-enc -x a-b"}; !sameSet(got, want) {
		t.Errorf("windash = %q, want %q", got, want)
	}
	// base64offset of "Catch me" must find it at any offset in a longer text.
	for _, prefix := range []string{"", "x", "xy"} {
		enc := b64(prefix + "Catch me" + "zz")
		found := false
		for _, v := range base64Offsets("Catch me") {
			found = found || strings.Contains(enc, v)
		}
		if !found {
			t.Errorf("base64offset misses %q in %q", "Catch me", enc)
		}
	}
}

func TestRequiredLiteral(t *testing.T) {
	for expr, want := range map[string]string{
		`.+:assumed-role/aws:.+`: ":assumed-role/aws:",
		`(?i)abc`:                "",
		`^foo.*barbaz$`:          "barbaz",
		`a|b`:                    "",
	} {
		if got := requiredLiteral(expr); got != want {
			t.Errorf("requiredLiteral(%q) = %q, want %q", expr, got, want)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestCorrelation(t *testing.T) {
	rules := loadRules(t, "testdata/correlation/*.yml")
	e, err := Compile(rules, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if e.Correlations() != 5 {
		t.Fatalf("correlations = %d, want 5", e.Correlations())
	}
	base := time.Date(2024, 8, 1, 10, 0, 0, 0, time.UTC)
	ev := func(min int, name, arn, bucket, code string) []byte {
		return []byte(`{"eventID":"x","eventTime":"` + base.Add(time.Duration(min)*time.Minute).Format(time.RFC3339) +
			`","eventName":"` + name + `","userIdentity":{"arn":"` + arn + `"},"requestParameters":{"bucketName":"` + bucket + `"},"errorCode":"` + code + `"}`)
	}
	stream := [][]byte{
		ev(0, "GetObject", "arn:a", "b1", "AccessDenied"),
		ev(1, "GetObject", "arn:b", "b1", "AccessDenied"),
		ev(2, "GetObject", "arn:a", "b2", "AccessDenied"),
		ev(3, "GetObject", "arn:a", "b2", "AccessDenied"), // third for arn:a within 5m: c-burst
		ev(4, "CreateAccessKey", "arn:c", "", ""),         // key before user: temporal only
		ev(5, "CreateUser", "arn:c", "", ""),
		ev(6, "CreateUser", "arn:d", "", ""),
		ev(50, "CreateAccessKey", "arn:d", "", ""), // within 1h: ordered and temporal
		ev(70, "GetObject", "arn:a", "b3", "AccessDenied"),
	}
	// restartAt: after that many events the windows are saved with State
	// and a new Correlator continues them with Restore.
	run := func(restartAt int) []string {
		c := e.NewCorrelator()
		var got []string
		for i, raw := range stream {
			if i == restartAt {
				doc, err := c.State()
				if err != nil {
					t.Fatal(err)
				}
				c = e.NewCorrelator()
				if err := c.Restore(doc); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range e.Match(raw) {
				for _, cm := range c.Add(m) {
					got = append(got, cm.RuleID+"@"+cm.Group["userIdentity.arn"]+"@"+cm.End.Format("15:04"))
				}
			}
		}
		for _, cm := range c.Flush() {
			got = append(got, cm.RuleID+"@"+cm.Group["userIdentity.arn"]+"@"+cm.End.Format("15:04"))
		}
		return got
	}
	want := []string{
		"c-buckets@arn:a@10:02",
		"c-burst@arn:a@10:03",
		"c-temporal@arn:c@10:05",
		"c-ordered@arn:d@10:50",
		"c-temporal@arn:d@10:50",
		"c-few@arn:a@11:10", // the second window of arn:a holds one event
		"c-few@arn:b@10:01",
	}
	if got := run(-1); !slices.Equal(got, want) {
		t.Errorf("correlations\n got %q\nwant %q", got, want)
	}
	for k := range stream {
		if got := run(k); !slices.Equal(got, want) {
			t.Errorf("restarted after %d events: correlations\n got %q\nwant %q", k, got, want)
		}
	}
	// A state names its rules: one the engine lacks is dropped; a bad
	// document is an error.
	c := e.NewCorrelator()
	if err := c.Restore([]byte(`{"version":1,"windows":[{"rule":"gone","count":3,"start":"2024-08-01T10:00:00Z","end":"2024-08-01T10:00:00Z"}]}`)); err != nil {
		t.Fatal(err)
	}
	if doc, _ := c.State(); string(doc) != `{"version":1,"windows":[]}` {
		t.Errorf("a window of an unknown rule was kept: %s", doc)
	}
	if err := c.Restore([]byte(`{"version":2}`)); err == nil {
		t.Error("a state of another version was accepted")
	}
}

func TestCorrelationUnknownRule(t *testing.T) {
	r, err := Parse([]byte("title: t\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 1m\n  condition: {gte: 2}\n"), "c.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile([]*Rule{r}, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}

func TestParseWantsOneRule(t *testing.T) {
	data, err := os.ReadFile("testdata/rules/multi.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data, "multi.yml"); err == nil || !strings.Contains(err.Error(), "found 2 documents") {
		t.Errorf("Parse of a two-rule file: got %v, want an error naming 2 documents", err)
	}
}

// TestConcurrentMatch checks that one Engine serves goroutines at once
// (run with -race).
func TestConcurrentMatch(t *testing.T) {
	e, err := Compile(loadRules(t, "testdata/rules/*.yml"), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	events := testEvents(t)
	want := make([]int, len(events))
	for i, ev := range events {
		want[i] = len(e.Match(ev))
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			var err error
			for n := 0; n < 200; n++ {
				i := n % len(events)
				if got := len(e.Match(events[i])); got != want[i] && err == nil {
					err = fmt.Errorf("event %d: %d matches, want %d", i, got, want[i])
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
