package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/sigma"
	"github.com/vigil-iomt/vigil/internal/store"
)

const stateTestRules = `title: Trail stopped
id: trail-stopped
level: high
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: StopLogging
  condition: selection
---
title: Denied call
id: denied
level: low
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    errorCode: AccessDenied
  condition: selection
---
title: Burst of denied calls
id: denied-burst
level: medium
correlation:
  type: event_count
  rules:
    - denied
  group-by:
    - userIdentity.arn
  timespan: 10m
  condition:
    gte: 3
`

// TestCloudTrailStateSpansBatchesAndRuns ingests two files in two runs,
// each with fresh rules and a fresh alert engine (as two invocations of
// vigil would): an alert repeated across batches keeps its full count, and
// a correlation window opened in the first run completes in the second.
func TestCloudTrailStateSpansBatchesAndRuns(t *testing.T) {
	rules, err := sigma.ParseAll([]byte(stateTestRules), "rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	engine, err := sigma.Compile(rules, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	event := func(min int, name, who, code string) string {
		return fmt.Sprintf(`{"eventTime":"2026-05-01T10:%02d:00Z","eventID":"%s-%d","eventName":%q,"recipientAccountId":"111122223333",`+
			`"userIdentity":{"arn":%q},"errorCode":%q}`, min, name, min, name, who, code)
	}
	dir := t.TempDir()
	var first []string
	for i := range 12 {
		first = append(first, event(i, "StopLogging", "arn:aws:iam::111122223333:user/a", ""))
	}
	first = append(first, event(20, "ListBuckets", "arn:aws:iam::111122223333:user/c", "AccessDenied"),
		event(21, "ListBuckets", "arn:aws:iam::111122223333:user/c", "AccessDenied"))
	write := func(name string, events []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(`{"Records":[`+strings.Join(events, ",")+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.json", first)
	b := write("b.json", []string{event(22, "ListBuckets", "arn:aws:iam::111122223333:user/c", "AccessDenied")})

	h := newHarness(t)
	ctx := context.Background()
	run := func(path string) map[string]int64 {
		t.Helper()
		existing, err := h.store.Alerts(ctx, store.AlertQuery{})
		if err != nil {
			t.Fatal(err)
		}
		ing, err := New(Options{Store: h.store, Inventory: emptyTestInventory(t), BatchSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ing.CloudTrail(ctx, []string{path},
			CloudTrailOptions{Rules: detect.NewSigmaRules(engine, rules), Alerts: detect.New(existing)}); err != nil {
			t.Fatal(err)
		}
		alerts, err := h.store.Alerts(ctx, store.AlertQuery{})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int64{}
		for _, al := range alerts {
			counts[al.Detector] = al.Count
		}
		return counts
	}
	if got := run(a); got["sigma:trail-stopped"] != 12 || len(got) != 1 {
		t.Errorf("after the first file: alerts %v, want sigma:trail-stopped counted 12 times and nothing else", got)
	}
	if got := run(b); got["sigma:denied-burst"] != 1 || got["sigma:trail-stopped"] != 12 || len(got) != 2 {
		t.Errorf("after the second file: alerts %v, want the burst completed across the runs", got)
	}
}
