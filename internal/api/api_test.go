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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	devs := []asset.Device{
		{ID: "dev-000000000001", Key: "mac:00:00:00:00:00:01", MACs: []string{"00:00:00:00:00:01"}, Class: "infusion_pump",
			Criticality: asset.LifeSustaining, FirstSeen: t0, LastSeen: t0.Add(time.Hour),
			IPs: []asset.IPAddress{{IP: "10.0.0.1", FirstSeen: t0, LastSeen: t0}, {IP: "10.0.0.9", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}},
		{ID: "dev-000000000002", Key: "ip:10.0.0.2", Class: "pacs", Criticality: asset.Diagnostic, FirstSeen: t0, LastSeen: t0},
	}
	if err := st.Commit(context.Background(), &store.Batch{Devices: devs}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	srv := httptest.NewServer(NewHandler(Options{Store: st, Gatherer: reg}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDevicesEndpoints(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path     string
		wantCode int
		wantIDs  []string
		wantBody string
	}{
		{path: "/api/v1/devices", wantCode: 200, wantIDs: []string{"dev-000000000001", "dev-000000000002"}},
		{path: "/api/v1/devices?class=pacs", wantCode: 200, wantIDs: []string{"dev-000000000002"}},
		{path: "/api/v1/devices?class=ventilator", wantCode: 200, wantIDs: []string{}},
		{path: "/api/v1/devices?limit=1", wantCode: 200, wantIDs: []string{"dev-000000000001"}},
		{path: "/api/v1/devices?limit=x", wantCode: 400, wantBody: `"error": "limit`},
		{path: "/api/v1/devices?after=dev-000000000001&limit=1", wantCode: 200, wantIDs: []string{"dev-000000000002"}},
		{path: "/api/v1/devices?after=dev-000000000002", wantCode: 200, wantIDs: []string{}},
		{path: "/api/v1/devices/dev-000000000002", wantCode: 200, wantBody: `"class": "pacs"`},
		{path: "/api/v1/devices/dev-nope", wantCode: 404, wantBody: `no device with id \"dev-nope\"`},
		{path: "/healthz", wantCode: 200, wantBody: `"status": "ok"`},
		{path: "/metrics", wantCode: 200, wantBody: "go_goroutines"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := get(t, srv, tt.path)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", code, tt.wantCode, body)
			}
			if tt.wantBody != "" && !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %s lacks %s", body, tt.wantBody)
			}
			if tt.wantIDs != nil {
				var devs []Device
				if err := json.Unmarshal([]byte(body), &devs); err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, d := range devs {
					ids = append(ids, d.ID)
				}
				if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
					t.Errorf("ids %v, want %v", ids, tt.wantIDs)
				}
			}
		})
	}
}

func TestDeviceViewOrdersIPsByRecency(t *testing.T) {
	srv := newServer(t)
	_, body := get(t, srv, "/api/v1/devices/dev-000000000001")
	var d Device
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.IPs, ",") != "10.0.0.9,10.0.0.1" || len(d.IPHistory) != 2 {
		t.Errorf("ips %v (history %v), want the most recent first", d.IPs, d.IPHistory)
	}
	if d.Software == nil || d.Hostnames == nil {
		t.Error("empty lists must be [] not null")
	}
	if !strings.Contains(body, `"hostnames": []`) {
		t.Errorf("body: %s", body)
	}
}

// TestFindingsAndPatchPlan serves stored findings and the patch plan.
func TestFindingsAndPatchPlan(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	doc := []byte(`{"id":"fnd-1","device_id":"dev-1","device":{"Name":"pump-1","Criticality":"life-sustaining"},"match":{"Vulnerability":"CVE-2024-0001","Source":"nvd","Method":"cpe-configuration","Component":{"Ref":"c1","Name":"wolfssl","Version":"4.8.1"}},"decision":{"outcome":"immediate"},"exposure":"open","first_assessed":"2026-11-26T09:00:00Z"}`)
	err = st.Commit(context.Background(), &store.Batch{Findings: []store.FindingRecord{{ID: "fnd-1", DeviceID: "dev-1",
		Vulnerability: "CVE-2024-0001", Component: "c1", Decision: "immediate", CVSS: 9.8, KEV: true, EPSS: 0.5,
		Assessed: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), Doc: doc}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(Options{Store: st}))
	defer srv.Close()
	decode := func(path string, v any) int {
		t.Helper()
		code, body := get(t, srv, path)
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return code
	}
	var rows []map[string]any
	decode("/api/v1/findings?decision=immediate", &rows)
	if len(rows) != 1 || rows[0]["vulnerability"] != "CVE-2024-0001" || rows[0]["match_method"] != "cpe-configuration" || rows[0]["kev"] != true || rows[0]["status"] != "available" {
		t.Errorf("findings: %v", rows)
	}
	rows = nil
	decode("/api/v1/findings?decision=defer", &rows)
	if len(rows) != 0 {
		t.Errorf("defer findings: %v", rows)
	}
	if code := decode("/api/v1/findings?decision=soon", &rows); code != http.StatusBadRequest {
		t.Errorf("bad decision: status %d, want 400", code)
	}
	var byModel map[string]map[string]any
	decode("/api/v1/risk?by=device", &byModel)
	if r := byModel["dev-1"]; r == nil || r["worst"] != "immediate" || r["kev"] != float64(1) {
		t.Errorf("risk by device: %v", byModel)
	}
	if code := decode("/api/v1/risk?by=ward", &byModel); code != http.StatusBadRequest {
		t.Errorf("bad roll-up: status %d, want 400", code)
	}
	var plan []map[string]any
	decode("/api/v1/patch-plan", &plan)
	if len(plan) != 1 || plan[0]["decision"] != "immediate" || plan[0]["criticality"] != "life-sustaining" {
		t.Errorf("plan: %v", plan)
	}
}

// TestSBOMUploadAndDeviceRecord: an SBOM posted for a model version is
// stored; a device's record sets its model and firmware; bad input is a
// 400 that says why.
func TestSBOMUploadAndDeviceRecord(t *testing.T) {
	srv := newServer(t)
	cdx := `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"wolfssl","version":"4.8.1","purl":"pkg:generic/wolfssl@4.8.1"}]}`
	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("/api/v1/sboms?vendor=Acme&model=Infuse&version=2.1&name=fw.cdx.json", cdx); code != http.StatusCreated ||
		!strings.Contains(body, `"components": 1`) || !strings.Contains(body, `"model": "Infuse"`) {
		t.Errorf("upload: %d %s", code, body)
	}
	if code, body := post("/api/v1/sboms?vendor=Acme&model=Infuse", cdx); code != http.StatusBadRequest || !strings.Contains(body, "version") {
		t.Errorf("upload without version: %d %s", code, body)
	}
	if code, body := post("/api/v1/sboms?vendor=Acme&model=Infuse&version=2.2", `{"bomFormat":"CycloneDX",`); code != http.StatusBadRequest {
		t.Errorf("broken SBOM: %d %s", code, body)
	}
	code, body := post("/api/v1/devices/dev-000000000001/record", `{"manufacturer":"Acme","model":"Infuse","firmware":"2.1","location":"ICU 4","by":"biomed"}`)
	if code != http.StatusOK || !strings.Contains(body, `"firmware": "2.1"`) || !strings.Contains(body, `"location": "ICU 4"`) {
		t.Errorf("record: %d %s", code, body)
	}
	if code, _ := post("/api/v1/devices/dev-nope/record", `{"model":"X","by":"biomed"}`); code != http.StatusNotFound {
		t.Errorf("record of an unknown device: %d", code)
	}
	if code, _ := post("/api/v1/devices/dev-000000000001/record", `{"model":"X"}`); code != http.StatusBadRequest {
		t.Errorf("record without by: %d", code)
	}
}
