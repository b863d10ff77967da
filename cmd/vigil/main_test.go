package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// vigilBinary builds the command once per test process.
func vigilBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "vigil")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build vigil: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// vigil runs the binary and returns its stdout, stderr and exit code.
func vigil(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(vigilBinary(t), args...)
	cmd.Env = append(append(os.Environ(), "VIGIL_OUI_PATHS="+ouiPath()), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func ouiPath() string {
	if _, err := os.Stat("/usr/share/ieee-data"); err == nil {
		return "/usr/share/ieee-data"
	}
	return "../../internal/pipeline/testdata/manuf"
}

func TestIngestAndList(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "vigil.db")
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := vigil(t, nil, "simulate", "--out", logs, "--seed", "5", "--devices", "40", "--hours", "2"); code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, stderr)
	}
	out, stderr, code := vigil(t, nil, "--db", db, "ingest", "zeek", filepath.Join(logs, "zeek"))
	if code != 0 {
		t.Fatalf("ingest: exit %d: %s\n%s", code, stderr, out)
	}
	if !strings.Contains(out, "rejected: 0") {
		t.Errorf("summary lacks the rejected count: %s", out)
	}
	out, stderr, code = vigil(t, nil, "--db", db, "inventory", "list", "--format", "json")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	var devs []map[string]any
	if err := json.Unmarshal([]byte(out), &devs); err != nil {
		t.Fatalf("list --format json is not a JSON array: %v", err)
	}
	if len(devs) < 40 {
		t.Fatalf("%d devices, want at least the 40 simulated", len(devs))
	}
	for _, key := range []string{"id", "macs", "ips", "hostnames", "vendor", "class", "class_confidence", "criticality", "software", "first_seen", "last_seen"} {
		if _, ok := devs[0][key]; !ok {
			t.Errorf("device JSON lacks %q", key)
		}
	}
	id := devs[0]["id"].(string)
	out, _, code = vigil(t, nil, "--db", db, "inventory", "show", id)
	if code != 0 || !strings.Contains(out, id) {
		t.Errorf("show %s: exit %d: %s", id, code, out)
	}
	for _, d := range devs {
		macs, ips, hosts := d["macs"].([]any), d["ips"].([]any), d["hostnames"].([]any)
		if len(macs) == 0 || len(ips) == 0 || len(hosts) == 0 {
			continue
		}
		want := d["id"].(string)
		for _, key := range []string{ips[0].(string), strings.ToUpper(macs[0].(string)), strings.ToLower(hosts[0].(string))} {
			if out, _, code := vigil(t, nil, "--db", db, "inventory", "show", key); code != 0 || !strings.Contains(out, want) {
				t.Errorf("show %s: exit %d, want device %s: %s", key, code, want, out)
			}
		}
		break
	}
	if _, stderr, code := vigil(t, nil, "--db", db, "inventory", "show", "dev-nope"); code != 1 || !strings.Contains(stderr, "dev-nope") {
		t.Errorf("show of an unknown id: exit %d: %s", code, stderr)
	}
	out, stderr, code = vigil(t, nil, "--db", db, "inventory", "set-criticality", id, "life-sustaining")
	if code != 0 || !strings.Contains(out, "life-sustaining") {
		t.Errorf("set-criticality: exit %d: %s %s", code, out, stderr)
	}
	out, _, _ = vigil(t, nil, "--db", db, "inventory", "show", id, "--format", "json")
	if !strings.Contains(out, `"criticality_override": "life-sustaining"`) {
		t.Errorf("override not kept: %s", out)
	}
	if _, stderr, code := vigil(t, nil, "--db", db, "inventory", "set-criticality", id, "sort-of"); code != 1 || !strings.Contains(stderr, "sort-of") {
		t.Errorf("bad level: exit %d: %s", code, stderr)
	}
	out, _, _ = vigil(t, nil, "--db", db, "inventory", "list", "--format", "csv")
	if lines := strings.Count(out, "\n"); lines != len(devs)+1 {
		t.Errorf("csv has %d lines, want %d", lines, len(devs)+1)
	}
}

func TestRejectedRecordsExitTwo(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "conn.log")
	content := "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n" +
		"1772409600.0\tC1\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\n" +
		"not-a-time\tC2\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\n"
	if err := os.WriteFile(log, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := vigil(t, nil, "--db", "sqlite:"+filepath.Join(dir, "v.db"), "ingest", "zeek", log)
	if code != exitRejected {
		t.Errorf("exit %d, want %d", code, exitRejected)
	}
	if !strings.Contains(out, log+":6:") || !strings.Contains(out, "accepted: 1") {
		t.Errorf("summary does not name the bad line or the good count:\n%s", out)
	}
}

func TestUnknownConfigKeyIsAnError(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(cfg, []byte("database: x\n"), 0o644)
	_, stderr, code := vigil(t, nil, "--config", cfg, "inventory", "list")
	if code != exitError || !strings.Contains(stderr, "database") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestKillAndResume kills `vigil ingest` with SIGKILL at many points and
// re-runs it; the store must end exactly as after one clean run.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds and runs vigil many times")
	}
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := vigil(t, nil, "simulate", "--out", logs, "--seed", "11", "--devices", "300", "--hours", "24"); code != 0 {
		t.Fatalf("simulate: %s", stderr)
	}
	env := []string{"VIGIL_INGEST_BATCH_SIZE=2000"}
	cleanDB := filepath.Join(dir, "clean.db")
	start := time.Now()
	logs = filepath.Join(logs, "zeek")
	if _, stderr, code := vigil(t, env, "--db", "sqlite:"+cleanDB, "ingest", "zeek", logs); code != 0 {
		t.Fatalf("clean ingest: %s", stderr)
	}
	cleanDuration := time.Since(start)
	// A run with nothing new to read costs what every run pays before its
	// first record: loading the inventory and checking checkpoints.
	start = time.Now()
	if _, stderr, code := vigil(t, env, "--db", "sqlite:"+cleanDB, "ingest", "zeek", logs); code != 0 {
		t.Fatalf("re-run: %s", stderr)
	}
	startup := time.Since(start)
	work := max(cleanDuration-startup, 10*time.Millisecond)

	killedDB := filepath.Join(dir, "killed.db")
	total := committedRecords(t, cleanDB)
	const wantKills = 24
	kills := 0
	var done int64
	for attempt := 0; kills < wantKills && attempt < 4*wantKills; attempt++ {
		cmd := exec.Command(vigilBinary(t), "--db", "sqlite:"+killedDB, "ingest", "zeek", logs)
		cmd.Env = append(append(os.Environ(), "VIGIL_OUI_PATHS="+ouiPath()), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Kill points: some during start-up, the others after a small
		// share of the work, so that the kills walk through the files,
		// landing while reading, applying and committing.
		delay := startup / 2
		if attempt%4 != 0 {
			delay = startup + work*time.Duration(attempt%3+1)/120
		}
		select {
		case <-exited:
			// Finished before the kill: nothing was interrupted this time.
			continue
		case <-time.After(delay):
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		if err := <-exited; err == nil {
			continue // it exited cleanly just before the signal
		}
		// Only a kill that left work undone counts.
		if done = committedRecords(t, killedDB); done < total {
			kills++
		}
	}
	if kills < 20 {
		t.Fatalf("only %d runs were killed with work left; want at least 20", kills)
	}
	if _, stderr, code := vigil(t, env, "--db", "sqlite:"+killedDB, "ingest", "zeek", logs); code != 0 {
		t.Fatalf("final ingest: %s", stderr)
	}
	if got, want := dump(t, killedDB), dump(t, cleanDB); got != want {
		t.Errorf("after %d kills the store differs from a clean run (%d vs %d bytes of JSON)", kills, len(got), len(want))
	}
	t.Logf("%d SIGKILLs had committed %d of %d records; clean run %v, start-up %v", kills, done, total, cleanDuration, startup)
}

// committedRecords sums the records the checkpoints of a store account for.
func committedRecords(t *testing.T, path string) int64 {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cps, err := st.Checkpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, cp := range cps {
		n += cp.Records
	}
	return n
}

// dump returns a store's state as JSON, without wall-clock stamps.
func dump(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	devs, err := st.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	leases, err := st.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := st.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cps {
		cps[i].Updated = time.Time{}
	}
	b, err := json.MarshalIndent(struct {
		Devices     []asset.Device
		Leases      []asset.Lease
		Checkpoints []store.Checkpoint
	}{devs, leases, cps}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDemoServesTheInventory runs the README's demo command on a small
// attacked hospital: it must print alerts with their ATT&CK and D3FEND
// references and evidence, and serve the inventory and the alerts.
func TestDemoServesTheInventory(t *testing.T) {
	cmd := exec.Command(vigilBinary(t), "demo", "--devices", "60", "--hours", "48", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "VIGIL_OUI_PATHS="+ouiPath())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	base := ""
	var printed strings.Builder
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if _, rest, ok := strings.Cut(sc.Text(), "serving on "); ok {
			base = strings.Fields(rest)[0]
			break
		}
	}
	for _, want := range []string{"ATT&CK: T", "D3FEND: D3-", "event: conn ", "baseline: ", "what the simulator did",
		"AWS IoT Job Created for the Whole Fleet", "in the cloud (cloud-truth.json)"} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, printed.String())
		}
	}
	if base == "" {
		t.Fatalf("demo never said where it serves; stderr: %s", stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	resp, err := http.Get(base + "api/v1/devices")
	if err != nil {
		t.Fatal(err)
	}
	var devs []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&devs)
	resp.Body.Close()
	if err != nil || len(devs) < 60 {
		t.Fatalf("%d devices from the demo API (%v), want the 60 simulated at least", len(devs), err)
	}
	resp, err = http.Get(base + "api/v1/alerts")
	if err != nil {
		t.Fatal(err)
	}
	var alerts []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&alerts)
	resp.Body.Close()
	if err != nil || len(alerts) == 0 {
		t.Fatalf("%d alerts from the demo API (%v), want some", len(alerts), err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo did not stop cleanly on interrupt: %v; stderr: %s", err, stderr.String())
	}
}

func TestAlertsTriage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	a := alert.Alert{ID: alert.IDForKey("k1"), DedupKey: "k1", Detector: "new-external-peer", DeviceID: "dev-1",
		Severity: alert.High, Title: "infusion pump talks to an unknown address", Explanation: "not in its allowlist",
		Attack: []string{"T1041"}, D3FEND: []string{"D3-NTA"}, FirstSeen: t0, LastSeen: t0, Count: 1, Status: alert.Open}
	if err := st.Commit(context.Background(), &store.Batch{Alerts: []alert.Alert{a}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db := "sqlite:" + path
	out, stderr, code := vigil(t, nil, "--db", db, "alerts", "list", "--format", "json", "--severity", "medium")
	if code != 0 || !strings.Contains(out, a.ID) {
		t.Fatalf("list: exit %d: %s %s", code, out, stderr)
	}
	if out, _, _ := vigil(t, nil, "--db", db, "alerts", "list", "--status", "resolved"); strings.Contains(out, a.ID) {
		t.Errorf("status filter ignored: %s", out)
	}
	if _, stderr, code := vigil(t, nil, "--db", db, "alerts", "resolve", a.ID, "--by", "soc-analyst", "--note", "vendor maintenance window"); code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	feedsDir := []string{"VIGIL_FEEDS_DIR=" + filepath.Join(dir, "feeds")}
	out, _, code = vigil(t, feedsDir, "--db", db, "alerts", "show", a.ID)
	if code != 0 || !strings.Contains(out, "resolved") || !strings.Contains(out, "soc-analyst") || !strings.Contains(out, "vendor maintenance window") {
		t.Errorf("show after resolve: %s", out)
	}
	if !strings.Contains(out, "T1041 Exfiltration Over C2 Channel") || !strings.Contains(out, "D3-NTA Network Traffic Analysis") {
		t.Errorf("show does not name the technique and countermeasure: %s", out)
	}
	bad := filepath.Join(dir, "bundle.json")
	os.WriteFile(bad, []byte(`{"type": "bundle", "objects": [{"type": `), 0o644)
	if _, stderr, code := vigil(t, feedsDir, "feeds", "import", "attack", bad); code != 1 || !strings.Contains(stderr, bad) {
		t.Errorf("import of a broken bundle: exit %d: %s", code, stderr)
	}
	if data := os.Getenv("VIGIL_DATASETS"); data != "" {
		ics := filepath.Join(data, "mitre-attack/ics-attack-18.1.json.gz")
		if out, stderr, code := vigil(t, feedsDir, "feeds", "import", "attack", ics); code != 0 || !strings.Contains(out, "95 techniques") {
			t.Errorf("import ICS: exit %d: %s %s", code, out, stderr)
		}
	}
	if _, stderr, code := vigil(t, nil, "--db", db, "alerts", "ack", "alr-nope"); code != 1 || !strings.Contains(stderr, "alr-nope") {
		t.Errorf("ack unknown: exit %d %s", code, stderr)
	}
	if _, stderr, code := vigil(t, nil, "--db", db, "alerts", "list", "--severity", "urgent"); code != 1 || !strings.Contains(stderr, "severity") {
		t.Errorf("bad severity: exit %d %s", code, stderr)
	}
}

func TestSimulateAttacks(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := vigil(t, nil, "simulate", "--out", dir, "--devices", "60", "--hours", "8", "--attacks", "exfiltration,c2-beaconing"); code != 0 {
		t.Fatalf("simulate --attacks: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Attacks []struct {
			Name     string   `json:"name"`
			ConnUIDs []string `json:"conn_uids"`
		} `json:"attacks"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	if len(truth.Attacks) != 2 || len(truth.Attacks[0].ConnUIDs) == 0 {
		t.Errorf("truth attacks %+v, want exfiltration and c2-beaconing with their records", truth.Attacks)
	}
	if _, stderr, code := vigil(t, nil, "simulate", "--out", t.TempDir(), "--attacks", "ransomware"); code != 1 || !strings.Contains(stderr, "ransomware") {
		t.Errorf("unknown attack: exit %d: %s", code, stderr)
	}
}

// TestPolicyWorkflow runs the segmentation commands the way the README's
// tour does: learn a policy from the baselines of an attack-free hospital
// with the simulator's zones, check it, replay it, export it for nftables
// (checked with nft when installed), then ingest the same hospital with a
// pump's lateral movement under that policy and see the violation.
func TestPolicyWorkflow(t *testing.T) {
	dir := t.TempDir()
	clean, attacked := filepath.Join(dir, "clean"), filepath.Join(dir, "attacked")
	db := "sqlite:" + filepath.Join(dir, "vigil.db")
	for _, sim := range []struct {
		out     string
		attacks string
	}{{clean, ""}, {attacked, "lateral-movement"}} {
		if _, stderr, code := vigil(t, nil, "simulate", "--out", sim.out, "--devices", "80", "--hours", "30", "--attacks", sim.attacks, "--learning", "24h"); code != 0 {
			t.Fatalf("simulate: exit %d: %s", code, stderr)
		}
	}
	env := []string{"VIGIL_BASELINE_LEARNING=20h"}
	if _, stderr, code := vigil(t, env, "--db", db, "ingest", "zeek", filepath.Join(clean, "zeek")); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	learned, stderr, code := vigil(t, nil, "--db", db, "policy", "learn", "--zones", filepath.Join(clean, "zones.yaml"))
	if code != 0 || !strings.Contains(learned, "classes:") {
		t.Fatalf("policy learn: exit %d: %s", code, stderr)
	}
	if out, _, code := vigil(t, nil, "--db", db, "policy", "learn", "--until", "2026-03-02T12:00:00Z"); code != 0 ||
		!strings.Contains(out, "# Only flows first seen before 2026-03-02T12:00:00Z were learned from.") {
		t.Errorf("policy learn --until: exit %d: %s", code, out)
	}
	if _, stderr, code := vigil(t, nil, "--db", db, "policy", "learn", "--until", "soon"); code == 0 || !strings.Contains(stderr, "--until") {
		t.Errorf("policy learn --until soon: exit %d, stderr %q; want an error naming --until", code, stderr)
	}
	pol := filepath.Join(dir, "learned.yaml")
	if err := os.WriteFile(pol, []byte(learned), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := vigil(t, nil, "policy", "check", pol); code != 0 || !strings.Contains(out, "classes") {
		t.Fatalf("policy check: exit %d: %s %s", code, out, stderr)
	}
	out, stderr, code := vigil(t, nil, "--db", db, "policy", "replay", pol, "--format", "json")
	if code != 0 {
		t.Fatalf("policy replay: exit %d: %s", code, stderr)
	}
	var res struct{ Evaluated, Blocked int64 }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Evaluated == 0 {
		t.Fatalf("policy replay: %v, %+v", err, res)
	}
	nft := filepath.Join(dir, "vigil.nft")
	if _, stderr, code := vigil(t, nil, "--db", db, "policy", "export", pol, "--format", "nftables", "-o", nft); code != 0 {
		t.Fatalf("policy export: exit %d: %s", code, stderr)
	}
	if path, err := exec.LookPath("nft"); err == nil {
		if b, err := exec.Command(path, "-c", "-f", nft).CombinedOutput(); err != nil {
			t.Errorf("nft -c -f rejects the export: %v: %s", err, b)
		}
	}
	enforced := "sqlite:" + filepath.Join(dir, "enforced.db")
	if _, stderr, code := vigil(t, append(env, "VIGIL_POLICY_PATH="+pol), "--db", enforced, "ingest", "zeek", filepath.Join(attacked, "zeek")); code != 0 {
		t.Fatalf("ingest with the policy: exit %d: %s", code, stderr)
	}
	out, _, _ = vigil(t, nil, "--db", enforced, "alerts", "list", "--detector", "policy-violation", "--format", "json")
	var alerts []struct{ Title string }
	if err := json.Unmarshal([]byte(out), &alerts); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range alerts {
		found = found || strings.Contains(a.Title, ":445/tcp") || strings.Contains(a.Title, ":3389/tcp")
	}
	if !found {
		t.Errorf("no policy violation for the lateral movement (SMB/RDP to the EHR) among %d violations", len(alerts))
	}
}

// TestInventoryImport applies an asset register to an ingested inventory:
// rows that name a device set its model and firmware, the others are
// reported with their line and the exit status is 2.
func TestInventoryImport(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "vigil.db")
	if _, stderr, code := vigil(t, nil, "--db", db, "ingest", "zeek", "../../internal/pipeline/testdata/hospital"); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	out, _, _ := vigil(t, nil, "--db", db, "inventory", "list", "--format", "json")
	var devs []struct {
		ID   string   `json:"id"`
		MACs []string `json:"macs"`
	}
	if err := json.Unmarshal([]byte(out), &devs); err != nil {
		t.Fatal(err)
	}
	mac := ""
	for _, d := range devs {
		if len(d.MACs) > 0 {
			mac = d.MACs[0]
			break
		}
	}
	if mac == "" {
		t.Fatal("no device with a MAC in the fixture")
	}
	reg := filepath.Join(dir, "cmms.csv")
	csv := "mac,model,firmware,criticality,location\n" + mac + ",Alaris 8015,12.1.2,life-sustaining,ICU bed 4\n00:11:22:33:44:55,Ghost,1,,\n"
	if err := os.WriteFile(reg, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := vigil(t, nil, "--db", db, "inventory", "import", reg)
	if code != 2 || !strings.Contains(out, "cmms.csv:3: no device") || !strings.Contains(out, "rows applied: 1") {
		t.Fatalf("import: exit %d, out %s, stderr %s", code, out, stderr)
	}
	out, _, _ = vigil(t, nil, "--db", db, "inventory", "show", mac, "--format", "json")
	if !strings.Contains(out, `"model": "Alaris 8015"`) || !strings.Contains(out, `"firmware": "12.1.2"`) || !strings.Contains(out, `"criticality": "life-sustaining"`) {
		t.Errorf("device after import:\n%s", out)
	}
}

// TestCloudTrailCommands: sigma check reports the SigmaHQ rules, sigma
// run prints JSON lines, ingest cloudtrail raises alerts once.
func TestCloudTrailCommands(t *testing.T) {
	ds := os.Getenv("VIGIL_DATASETS")
	if ds == "" {
		t.Skip("VIGIL_DATASETS is not set: the public datasets (../shared/data) are needed")
	}
	hq := filepath.Join(ds, "sigmahq-cloudtrail-rules")
	logs := filepath.Join(ds, "cloudtrail-stratus-red-team")
	if out, stderr, code := vigil(t, nil, "sigma", "check", hq); code != 0 || !strings.Contains(out, "57 rules parsed, 57 compiled") {
		t.Errorf("sigma check: exit %d: %s %s", code, out, stderr)
	}
	out, stderr, code := vigil(t, nil, "sigma", "run", "--rules", hq, "--no-builtin", logs)
	if code != 0 {
		t.Fatalf("sigma run: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var first struct {
		RuleID       string `json:"rule_id"`
		Title, Level string
		EventTime    time.Time `json:"event_time"`
		EventID      string    `json:"event_id"`
		Tags         []string
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.RuleID == "" || first.EventID == "" || first.EventTime.IsZero() {
		t.Errorf("sigma run first line %q: %+v (%v)", lines[0], first, err)
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	env := []string{"VIGIL_SIGMA_RULES=" + hq}
	if out, stderr, code := vigil(t, env, "--db", db, "ingest", "cloudtrail", logs); code != 0 || !strings.Contains(out, "accepted: 142") {
		t.Fatalf("ingest cloudtrail: exit %d: %s %s", code, out, stderr)
	}
	alerts, _, _ := vigil(t, nil, "--db", db, "alerts", "list", "--format", "json")
	var as []map[string]any
	if err := json.Unmarshal([]byte(alerts), &as); err != nil || len(as) < 18 {
		t.Fatalf("%d alerts after the Stratus detonations (%v), want at least one per detonation", len(as), err)
	}
	if out, _, code := vigil(t, env, "--db", db, "ingest", "cloudtrail", logs); code != 0 || !strings.Contains(out, "events read: 0") {
		t.Errorf("second ingest: exit %d: %s", code, out)
	}
}

// TestSimulatedCloud: simulate --cloud writes a trail and the account's
// placeholders; ingesting it with them raises the takeover's eight alerts
// (internal/pipeline: TestCloudQuality checks which).
func TestSimulatedCloud(t *testing.T) {
	out := t.TempDir()
	if stdout, stderr, code := vigil(t, nil, "simulate", "--out", out, "--devices", "30", "--hours", "24", "--attacks", "all", "--cloud"); code != 0 ||
		!strings.Contains(stdout, "vigil-cloud.yaml") {
		t.Fatalf("simulate --cloud: exit %d: %s %s", code, stdout, stderr)
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "vigil.db")
	if stdout, stderr, code := vigil(t, nil, "--config", filepath.Join(out, "vigil-cloud.yaml"), "--db", db, "ingest", "cloudtrail",
		filepath.Join(out, "cloudtrail")); code != 0 || !strings.Contains(stdout, "files: 24 ") || !strings.Contains(stdout, "rejected: 0") ||
		strings.Contains(stderr, "left out") {
		t.Fatalf("ingest cloudtrail: exit %d: %s %s", code, stdout, stderr)
	}
	alerts, _, _ := vigil(t, nil, "--db", db, "alerts", "list", "--format", "json")
	var as []map[string]any
	if err := json.Unmarshal([]byte(alerts), &as); err != nil || len(as) != 8 {
		t.Fatalf("%d alerts after the simulated takeover (%v), want 8", len(as), err)
	}
}

// TestServeWatchesCloudTrail: serve --watch-cloudtrail ingests a file
// that lands in the folder after it started, and its alerts appear in
// the API.
func TestServeWatchesCloudTrail(t *testing.T) {
	ds := os.Getenv("VIGIL_DATASETS")
	if ds == "" {
		t.Skip("VIGIL_DATASETS is not set: the public datasets (../shared/data) are needed")
	}
	dir, watch := t.TempDir(), t.TempDir()
	cmd := exec.Command(vigilBinary(t), "--db", "sqlite:"+filepath.Join(dir, "vigil.db"), "serve", "--listen", "127.0.0.1:0",
		"--watch-cloudtrail", watch, "--every", "100ms")
	cmd.Env = append(os.Environ(), "VIGIL_SIGMA_RULES="+filepath.Join(ds, "sigmahq-cloudtrail-rules"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	base := ""
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "serving on "); ok {
			base = strings.Fields(rest)[0]
			break
		}
	}
	if base == "" {
		t.Fatal("serve never said where it serves")
	}
	go io.Copy(io.Discard, stdout)
	src, err := os.ReadFile(filepath.Join(ds, "cloudtrail-stratus-red-team/detonation-logs/aws.persistence.iam-create-admin-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Written under a temporary name, then renamed: the watcher sees the
	// file whole.
	if err := os.WriteFile(filepath.Join(watch, ".incoming"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(watch, ".incoming"), filepath.Join(watch, "trail.json")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "api/v1/alerts")
		if err == nil {
			var as []map[string]any
			json.NewDecoder(resp.Body).Decode(&as)
			resp.Body.Close()
			if len(as) > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no alert from the watched folder within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
