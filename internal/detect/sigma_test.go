package detect

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/ingest/cloudtrail"
	"github.com/vigil-iomt/vigil/internal/sigma"
)

const testSigmaRules = `title: Trail stopped
id: 11111111-1111-4111-8111-111111111111
status: test
level: high
tags:
  - attack.defense-evasion
  - attack.t1562.008
  - vigil.d3fend.d3-ral
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: StopLogging
  condition: selection
---
title: Denied call
id: 22222222-2222-4222-8222-222222222222
status: test
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
id: 33333333-3333-4333-8333-333333333333
status: test
level: medium
tags:
  - attack.t1580
correlation:
  type: event_count
  rules:
    - 22222222-2222-4222-8222-222222222222
  group-by:
    - userIdentity.arn
  timespan: 10m
  condition:
    gte: 3
`

// judge reads the events (one JSON object per line) through SigmaRules.
func judge(t *testing.T, events []string) []alert.Alert {
	t.Helper()
	rules, err := sigma.ParseAll([]byte(testSigmaRules), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := sigma.Compile(rules, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSigmaRules(e, rules)
	alerts := New(nil)
	r := cloudtrail.NewReader(strings.NewReader(strings.Join(events, "\n")), "t.json", cloudtrail.Options{})
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		s.Judge(ev, alerts)
	}
	out, _ := alerts.Flush(func(string) (Device, bool) { return Device{}, false })
	slices.SortFunc(out, func(a, b alert.Alert) int { return strings.Compare(a.Detector, b.Detector) })
	return out
}

func ctEvent(i int, name, who, errorCode string) string {
	return fmt.Sprintf(`{"eventTime":"2026-05-01T10:%02d:00Z","eventID":"e%d","eventSource":"cloudtrail.amazonaws.com","eventName":%q,`+
		`"awsRegion":"eu-west-1","recipientAccountId":"111122223333","userIdentity":{"arn":%q},"errorCode":%q}`, i, i, name, who, errorCode)
}

func TestSigmaRulesJudge(t *testing.T) {
	var events []string
	// Twelve StopLogging calls by one principal, two by another: one alert
	// each, every call counted, at most maxEventEvidence events kept.
	for i := range 12 {
		events = append(events, ctEvent(i, "StopLogging", "arn:aws:iam::111122223333:user/a", ""))
	}
	events = append(events, ctEvent(12, "StopLogging", "arn:aws:iam::111122223333:user/b", ""),
		ctEvent(13, "StopLogging", "arn:aws:iam::111122223333:user/b", ""))
	// Three denied calls: the correlation fires; the counted rule does not
	// alert by itself.
	for i := 20; i < 23; i++ {
		events = append(events, ctEvent(i, "ListBuckets", "arn:aws:iam::111122223333:user/c", "AccessDenied"))
	}
	got := judge(t, events)
	var stops []alert.Alert
	var bursts int
	for _, a := range got {
		switch a.Detector {
		case "sigma:11111111-1111-4111-8111-111111111111":
			stops = append(stops, a)
		case "sigma:33333333-3333-4333-8333-333333333333":
			bursts++
			if !slices.Equal(a.Attack, []string{"T1580"}) || !slices.Equal(a.D3FEND, DefaultCloudD3FEND) {
				t.Errorf("correlation alert maps to %v / %v, want T1580 / %v", a.Attack, a.D3FEND, DefaultCloudD3FEND)
			}
		default:
			t.Errorf("unexpected alert %s: %s", a.Detector, a.Title)
		}
	}
	if len(stops) != 2 || bursts != 1 {
		t.Fatalf("%d StopLogging alerts and %d bursts, want 2 and 1: %+v", len(stops), bursts, got)
	}
	counts := []int64{stops[0].Count, stops[1].Count}
	slices.Sort(counts)
	if !slices.Equal(counts, []int64{2, 12}) {
		t.Errorf("StopLogging counts %v, want [2 12]", counts)
	}
	for _, a := range stops {
		if !slices.Equal(a.Attack, []string{"T1562.008"}) || !slices.Equal(a.D3FEND, []string{"D3-RAL"}) || a.Severity != alert.High {
			t.Errorf("alert %s: %v / %v / %v, want T1562.008 / D3-RAL / high", a.Title, a.Attack, a.D3FEND, a.Severity)
		}
		events := 0
		for _, ev := range a.Evidence {
			if ev.Kind == "event" {
				events++
				if ev.Fields["eventName"] != "StopLogging" || ev.Fields["principal"] == "" || ev.Source == "" {
					t.Errorf("event evidence %+v", ev)
				}
			}
		}
		if want := min(int(a.Count), maxEventEvidence); events != want {
			t.Errorf("alert with count %d keeps %d events, want %d", a.Count, events, want)
		}
	}
}
