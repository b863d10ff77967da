package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// datasets returns the folder of real data sets, or skips the test.
func datasets(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS not set: the folder holding cloudtrail-stratus-red-team/ (e.g. ../shared/data)")
	}
	return dir
}

// refEvent is an event as encoding/json reads it, independently of Reader.
type refEvent struct {
	EventTime          string `json:"eventTime"`
	EventID            string `json:"eventID"`
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
	UserIdentity       struct {
		AccountID string `json:"accountId"`
	} `json:"userIdentity"`
}

func TestStratusRedTeam(t *testing.T) {
	dir := filepath.Join(datasets(t), "cloudtrail-stratus-red-team")
	files, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(files), 18; got != want {
		t.Fatalf("Expand found %d files, want %d (LICENSE is not a log): %v", got, want, files)
	}
	total := 0
	byFile := map[string][]Event{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(data, &raws); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		slots, content, fatal := readFile(t, path, Options{})
		if fatal != nil {
			t.Fatalf("%s: %v", path, fatal)
		}
		checkRaw(t, slots, content)
		if len(slots) != len(raws) {
			t.Fatalf("%s: got %d events, encoding/json counts %d", path, len(slots), len(raws))
		}
		for i, s := range slots {
			if s.err != nil {
				t.Fatalf("%s: %v", path, s.err)
			}
			if !bytes.Equal(s.ev.Raw, raws[i]) {
				t.Errorf("%s event %d: Raw differs from encoding/json's", path, i)
			}
			var ref refEvent
			if err := json.Unmarshal(raws[i], &ref); err != nil {
				t.Fatal(err)
			}
			acct := ref.RecipientAccountID
			if acct == "" {
				acct = ref.UserIdentity.AccountID
			}
			got := [...]string{s.ev.Time.Format(time.RFC3339Nano), s.ev.ID, s.ev.Source, s.ev.Name, s.ev.Region, s.ev.AccountID}
			want := [...]string{ref.EventTime, ref.EventID, ref.EventSource, ref.EventName, ref.AWSRegion, acct}
			if got != want {
				t.Errorf("%s event %d: got %q, want %q", path, i, got, want)
			}
			byFile[filepath.Base(path)] = append(byFile[filepath.Base(path)], s.ev)
		}
		total += len(slots)

		// The same events, rewrapped as AWS delivers them (gzip) and as
		// NDJSON, read the same.
		var wrapped, ndjson bytes.Buffer
		zw := gzip.NewWriter(&wrapped)
		zw.Write([]byte(`{"Records":[`))
		for i, raw := range raws {
			if i > 0 {
				zw.Write([]byte(","))
			}
			zw.Write(raw)
			var c bytes.Buffer
			json.Compact(&c, raw)
			ndjson.Write(c.Bytes())
			ndjson.WriteByte('\n')
		}
		zw.Write([]byte(`]}`))
		zw.Close()
		gzPath := filepath.Join(t.TempDir(), "x.json.gz")
		if err := os.WriteFile(gzPath, wrapped.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		ndPath := filepath.Join(t.TempDir(), "x.ndjson")
		if err := os.WriteFile(ndPath, ndjson.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{gzPath, ndPath} {
			again, _, fatal := readFile(t, p, Options{})
			if fatal != nil || len(again) != len(slots) {
				t.Fatalf("%s as %s: %d events, %v", path, filepath.Ext(p), len(again), fatal)
			}
			for i := range again {
				if again[i].err != nil || again[i].ev.ID != slots[i].ev.ID || !again[i].ev.Time.Equal(slots[i].ev.Time) {
					t.Errorf("%s as %s event %d differs", path, filepath.Ext(p), i)
				}
			}
		}
	}
	if got, want := total, 142; got != want {
		t.Errorf("got %d events in all, want %d", got, want)
	}

	// A few exact fields.
	checks := []struct {
		file                         string
		index                        int
		name, id, region, acct, time string
		source                       string
	}{
		{"aws.credential-access.ec2-get-password-data.json", 0, "GetPasswordData", "450230d4-b39e-4a18-a6a0-d07a6e2105cb", "apiso-northsouth-3r", "457448411975", "2024-07-30T21:31:21Z", "ec2.amazonaws.com"},
		{"aws.defense-evasion.dns-delete-logs.json", 0, "DeleteResolverQueryLogConfig", "ba4609ca-b420-4cb6-bdff-307729b3b7db", "sa-central-3r", "206821776919", "2024-07-31T14:23:46Z", "route53resolver.amazonaws.com"},
		{"aws.persistence.iam-create-admin-user.json", 0, "AttachUserPolicy", "083dc4ad-e264-46bc-a407-d0dd31b58bdc", "ap-isob-central-3r", "229654561268", "2024-08-01T13:33:28Z", "iam.amazonaws.com"},
		{"aws.defense-evasion.cloudtrail-event-selectors.json", 0, "PutEventSelectors", "c2a89408-340a-42f0-8ace-75d9f5769393", "cn-northsouth-2r", "958312252124", "2024-07-31T12:50:02Z", "cloudtrail.amazonaws.com"},
	}
	counts := map[string]int{
		"aws.credential-access.ec2-get-password-data.json": 34,
		"aws.execution.ssm-send-command.json":              56,
		"aws.impact.bedrock-invoke-model.json":             15,
	}
	for _, c := range checks {
		evs := byFile[c.file]
		if len(evs) <= c.index {
			t.Errorf("%s: no event %d", c.file, c.index)
			continue
		}
		e := evs[c.index]
		got := [...]string{e.Name, e.ID, e.Region, e.AccountID, e.Time.Format(time.RFC3339), e.Source}
		want := [...]string{c.name, c.id, c.region, c.acct, c.time, c.source}
		if got != want {
			t.Errorf("%s event %d: got %q, want %q", c.file, c.index, got, want)
		}
		if !strings.HasSuffix(e.Pos.File, c.file) || e.Pos.Index != int64(c.index) {
			t.Errorf("%s event %d: position %v", c.file, c.index, e.Pos)
		}
	}
	for f, n := range counts {
		if got := len(byFile[f]); got != n {
			t.Errorf("%s: %d events, want %d", f, got, n)
		}
	}
}
