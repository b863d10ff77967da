package simulate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cloudFiles returns the trail's files, relative to the output folder,
// with their decompressed content.
func cloudFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(filepath.Join(dir, CloudDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCloudRun(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	opts := CloudOptions{Seed: 7, Hours: 48, Attack: true}
	truth, err := CloudRun(t.Context(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CloudRun(t.Context(), b, opts); err != nil {
		t.Fatal(err)
	}
	opts.Seed = 8
	if _, err := CloudRun(t.Context(), c, opts); err != nil {
		t.Fatal(err)
	}
	fa, fb, fc := cloudFiles(t, a), cloudFiles(t, b), cloudFiles(t, c)
	if len(fa) != 48 {
		t.Fatalf("%d files, want one per hour (48)", len(fa))
	}
	layout := regexp.MustCompile(`^cloudtrail/AWSLogs/210987654321/CloudTrail/eu-west-1/2026/03/0[2-4]/210987654321_CloudTrail_eu-west-1_202603\d\dT\d\d00Z_[0-9A-F]{16}\.json\.gz$`)
	same, events := true, 0
	for name, content := range fa {
		if !layout.MatchString(filepath.ToSlash(name)) {
			t.Errorf("file %s is not in the S3 delivery layout", name)
		}
		if !bytes.Equal(content, fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if !bytes.Equal(content, fc[name]) {
			same = false
		}
		var doc struct {
			Records []map[string]any
		}
		if err := json.Unmarshal(content, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		last := ""
		for _, r := range doc.Records {
			ts, _ := r["eventTime"].(string)
			if _, err := time.Parse(time.RFC3339, ts); err != nil || ts < last {
				t.Fatalf("%s: eventTime %q after %q", name, ts, last)
			}
			last = ts
			if r["eventName"] == "" || r["recipientAccountId"] != CloudAccount || r["eventID"] == "" {
				t.Fatalf("%s: record %v", name, r)
			}
		}
		events += len(doc.Records)
	}
	if same {
		t.Error("another seed gave the same trail")
	}
	if events != truth.Events || events < 48*30 {
		t.Errorf("%d events in the files, truth says %d (want at least 30 an hour)", events, truth.Events)
	}
	at := truth.Attack
	if at == nil || len(at.Steps) != 6 || !at.Start.Equal(DefaultStart.Add(36*time.Hour+17*time.Minute)) {
		t.Fatalf("attack %+v, want six steps from 36 h 17 min", at)
	}
	attacker := 0
	for _, content := range fa {
		attacker += strings.Count(string(content), `"arn":"`+at.Principal+`"`)
	}
	steps := 0
	for _, s := range at.Steps {
		if s.Technique == "" || s.At.Before(at.Start) || s.At.After(at.End) {
			t.Errorf("step %+v outside the attack or without a technique", s)
		}
		steps += s.Events
	}
	if attacker != steps {
		t.Errorf("%d events by the attacker in the trail, the steps count %d", attacker, steps)
	}
	if _, err := CloudRun(t.Context(), t.TempDir(), CloudOptions{Hours: 2, Attack: true, AttackAt: 90 * time.Minute}); err == nil {
		t.Error("an attack that does not fit in the span was accepted")
	}
}
