package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
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

// TestResolvedAlertReopens: an alert resolved by a person and seen again
// in a later run is open again, with the reopening in its history.
func TestResolvedAlertReopens(t *testing.T) {
	rules, err := sigma.ParseAll([]byte(stateTestRules), "rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	engine, err := sigma.Compile(rules, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, minutes ...int) string {
		var events []string
		for _, m := range minutes {
			events = append(events, fmt.Sprintf(`{"eventTime":"2026-05-01T10:%02d:00Z","eventID":"%s-%d","eventName":"StopLogging",`+
				`"recipientAccountId":"111122223333","userIdentity":{"arn":"arn:aws:iam::111122223333:user/a"}}`, m, name, m))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(`{"Records":[`+strings.Join(events, ",")+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	h := newHarness(t)
	ctx := context.Background()
	run := func(path string) alert.Alert {
		t.Helper()
		existing, err := h.store.Alerts(ctx, store.AlertQuery{})
		if err != nil {
			t.Fatal(err)
		}
		ing, err := New(Options{Store: h.store, Inventory: emptyTestInventory(t)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ing.CloudTrail(ctx, []string{path},
			CloudTrailOptions{Rules: detect.NewSigmaRules(engine, rules), Alerts: detect.New(existing)}); err != nil {
			t.Fatal(err)
		}
		alerts, err := h.store.Alerts(ctx, store.AlertQuery{})
		if err != nil || len(alerts) != 1 {
			t.Fatalf("%d alerts (%v), want 1", len(alerts), err)
		}
		return alerts[0]
	}
	a := run(write("a.json", 0, 1, 2))
	if err := h.store.SetAlertStatus(ctx, a.ID, alert.StatusChange{At: time.Now().UTC(), To: alert.Resolved, By: "analyst", Note: "trail restored"}); err != nil {
		t.Fatal(err)
	}
	a = run(write("b.json", 30, 31))
	last := a.History[len(a.History)-1]
	if a.Status != alert.Open || a.Count != 5 || last.From != alert.Resolved || last.By != "vigil" || !strings.Contains(last.Note, "2 more") {
		t.Errorf("after it occurred again: status %s, count %d, last history %+v; want open, 5, reopened by vigil after 2 more", a.Status, a.Count, last)
	}
}

// TestGarbledEventStillCommits: an event whose principal holds a NUL and
// whose account is not UTF-8 still raises its alert, and the batch that
// carries it commits (the store keeps keys as text).
func TestGarbledEventStillCommits(t *testing.T) {
	rules, err := sigma.ParseAll([]byte(stateTestRules), "rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	engine, err := sigma.Compile(rules, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "garbled.json")
	event := "{\"eventTime\":\"2026-05-01T10:00:00Z\",\"eventID\":\"e1\",\"eventName\":\"StopLogging\",\"recipientAccountId\":\"1111\xff2222\"," +
		"\"userIdentity\":{\"arn\":\"arn:aws:iam::111122223333:user/a\\u0000b\"}}\n"
	if err := os.WriteFile(path, []byte(event), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	ing, err := New(Options{Store: h.store, Inventory: emptyTestInventory(t)})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ing.CloudTrail(context.Background(), []string{path},
		CloudTrailOptions{Rules: detect.NewSigmaRules(engine, rules), Alerts: detect.New(nil)})
	if err != nil || sum.Accepted != 1 {
		t.Fatalf("ingest: %v (accepted %d)", err, sum.Accepted)
	}
	alerts, err := h.store.Alerts(context.Background(), store.AlertQuery{})
	if err != nil || len(alerts) != 1 || !strings.Contains(alerts[0].DedupKey, "user/a\uFFFDb") {
		t.Fatalf("alerts %+v (%v), want one whose key shows the NUL as U+FFFD", alerts, err)
	}
}
