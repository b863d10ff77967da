package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

func testAlert(key, device string, sev alert.Severity, last time.Time) alert.Alert {
	return alert.Alert{
		ID: alert.IDForKey(key), DedupKey: key, Detector: "new-external-peer", DeviceID: device, Severity: sev,
		Title: "infusion pump talks to an unknown address", Explanation: "never seen during its 7-day baseline",
		Evidence: []alert.Evidence{{Kind: "event", Summary: "10.2.3.4 → 203.0.113.7:443", Source: "conn.log:17"}},
		Attack:   []string{"T1041"}, D3FEND: []string{"D3-NTA"},
		FirstSeen: last.Add(-time.Hour), LastSeen: last, Count: 3, Status: alert.Open,
	}
}

func newAlertServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	alerts := []alert.Alert{
		testAlert("a", "dev-1", alert.High, t0.Add(2*time.Hour)),
		testAlert("b", "dev-2", alert.Low, t0.Add(3*time.Hour)),
		testAlert("c", "dev-1", alert.Critical, t0.Add(time.Hour)),
	}
	if err := st.Commit(context.Background(), &store.Batch{Alerts: alerts}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(Options{Store: st, Now: func() time.Time { return t0.Add(24 * time.Hour) }}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAlertEndpoints(t *testing.T) {
	srv := newAlertServer(t)
	ids := func(body string) string {
		var as []alert.Alert
		if err := json.Unmarshal([]byte(body), &as); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.DedupKey)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct {
		path, want string
		code       int
	}{
		{"/api/v1/alerts", "b,a,c", 200},
		{"/api/v1/alerts?device=dev-1", "a,c", 200},
		{"/api/v1/alerts?severity=high", "a,c", 200},
		{"/api/v1/alerts?since=2026-03-02T01:30:00Z&until=2026-03-02T02:30:00Z", "a", 200},
		{"/api/v1/alerts?limit=1", "b", 200},
		{"/api/v1/alerts?severity=urgent", "", 400},
		{"/api/v1/alerts?since=yesterday", "", 400},
	} {
		code, body := get(t, srv, tt.path)
		if code != tt.code {
			t.Errorf("%s: status %d, want %d: %s", tt.path, code, tt.code, body)
			continue
		}
		if code == 200 && ids(body) != tt.want {
			t.Errorf("%s: %s, want %s", tt.path, ids(body), tt.want)
		}
	}
	if code, body := get(t, srv, "/api/v1/alerts/"+alert.IDForKey("a")); code != 200 || !strings.Contains(body, `"T1041"`) {
		t.Errorf("get alert: %d %s", code, body)
	}
	if code, _ := get(t, srv, "/api/v1/alerts/alr-nope"); code != 404 {
		t.Errorf("unknown alert: %d", code)
	}
}

func TestAlertStatusChange(t *testing.T) {
	srv := newAlertServer(t)
	post := func(id, body string) (int, string) {
		resp, err := http.Post(srv.URL+"/api/v1/alerts/"+id+"/status", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	id := alert.IDForKey("a")
	code, body := post(id, `{"status": "acknowledged", "by": "biomed-oncall", "note": "pump 7 in ICU, checking"}`)
	if code != 200 {
		t.Fatalf("status change: %d %s", code, body)
	}
	var a alert.Alert
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	if a.Status != alert.Acknowledged || len(a.History) != 1 || a.History[0].From != alert.Open || a.History[0].By != "biomed-oncall" {
		t.Errorf("after ack: status %s history %+v", a.Status, a.History)
	}
	for _, bad := range []string{`{"status": "closed", "by": "x"}`, `{"status": "resolved"}`, `{"status": "resolved", "by": "x", "extra": 1}`, `not json`} {
		if code, _ := post(id, bad); code != 400 {
			t.Errorf("body %s: status %d, want 400", bad, code)
		}
	}
	if code, _ := post("alr-nope", `{"status": "resolved", "by": "x"}`); code != 404 {
		t.Errorf("unknown alert: %d, want 404", code)
	}
}
