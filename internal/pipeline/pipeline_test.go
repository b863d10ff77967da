package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/fingerprints"
	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/oui"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

// harness is a store plus a function that runs one ingest with a fresh
// inventory loaded from it, as a new process would.
type harness struct {
	t     *testing.T
	store store.Store
	ouis  []string
	batch int
	// learning, when set, runs the baselines and detectors too, and
	// policy the segmentation policy.
	learning time.Duration
	policy   *policy.Policy
	// ctx, when set, is the context ingest runs under; ingest then
	// returns a canceled run's summary instead of failing.
	ctx context.Context
	// internal, when set, replaces the inventory's default internal
	// networks.
	internal []netip.Prefix
	// onOccurrence, when set with learning, receives every occurrence the
	// detectors raise and the position of the record that caused it.
	onOccurrence func(event.Position, detect.Occurrence)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &harness{t: t, store: st, ouis: []string{"testdata/manuf"}, batch: 3}
}

func (h *harness) ingest(paths ...string) *Summary {
	h.t.Helper()
	return h.ingestWith(nil, paths...)
}

// ingestWith ingests with afterCommit called after every commit.
func (h *harness) ingestWith(afterCommit func(), paths ...string) *Summary {
	h.t.Helper()
	ctx := context.Background()
	if h.ctx != nil {
		ctx = h.ctx
	}
	var vendors inventory.VendorLookup
	if len(h.ouis) > 0 {
		reg, err := oui.Load(h.ouis...)
		if err != nil {
			h.t.Fatal(err)
		}
		vendors = reg
	}
	corpus, err := fingerprint.Load(fingerprints.FS)
	if err != nil {
		h.t.Fatal(err)
	}
	inv, err := inventory.New(inventory.Options{Vendors: vendors, Classifier: corpus, Internal: h.internal})
	if err != nil {
		h.t.Fatal(err)
	}
	devs, err := h.store.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	leases, err := h.store.Leases(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	inv.Load(devs, leases)
	opts := Options{Store: h.store, Inventory: inv, BatchSize: h.batch, AfterCommit: afterCommit}
	if h.learning > 0 {
		if opts.Analysis, err = LoadAnalysis(ctx, h.store, inv, AnalysisOptions{Learning: h.learning, Policy: h.policy}); err != nil {
			h.t.Fatal(err)
		}
		opts.Analysis.OnOccurrence = h.onOccurrence
	}
	ing, err := New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	sum, err := ing.Zeek(ctx, paths)
	if err != nil && (h.ctx == nil || h.ctx.Err() == nil) {
		h.t.Fatal(err)
	}
	return sum
}

// snapshot is the store's whole state as JSON, checkpoint clocks removed.
func (h *harness) snapshot() string {
	h.t.Helper()
	ctx := context.Background()
	devs, err := h.store.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	leases, err := h.store.Leases(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	cps, err := h.store.Checkpoints(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := range cps {
		cps[i].Updated = time.Time{}
	}
	var baselines []string
	err = h.store.Baselines(ctx, func(d store.BaselineDoc) error {
		baselines = append(baselines, d.DeviceID+" "+string(d.Doc))
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	alerts, err := h.store.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := json.MarshalIndent(struct {
		Devices     []asset.Device
		Leases      []asset.Lease
		Checkpoints []store.Checkpoint
		Baselines   []string
		Alerts      []alert.Alert
	}{devs, leases, cps, baselines, alerts}, "", " ")
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

func (h *harness) devicesByKey() map[string]asset.Device {
	h.t.Helper()
	devs, err := h.store.Devices(context.Background(), store.DeviceQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	m := map[string]asset.Device{}
	for _, d := range devs {
		m[d.Key] = d
	}
	return m
}

func TestHospitalFixture(t *testing.T) {
	h := newHarness(t)
	sum := h.ingest("testdata/hospital")
	if sum.Rejected != 0 || sum.Accepted != 4+8+1+1 {
		t.Fatalf("accepted %d rejected %d (errors %v), want 14 and 0", sum.Accepted, sum.Rejected, sum.Errors)
	}
	if sum.Files[0].Path != filepath.Join("testdata/hospital", "dhcp.log") {
		t.Errorf("first file %s, want dhcp.log first", sum.Files[0].Path)
	}
	devs := h.devicesByKey()
	var keys []string
	for k := range devs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"ip:10.1.0.20", "ip:10.1.0.50", "ip:10.30.0.4", "ip:fd00::1", "ip:fd00::5",
		"mac:00:09:fb:00:00:01", "mac:00:1b:63:00:00:02", "mac:3c:52:82:00:00:03"}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("device keys\n got %v\nwant %v", keys, wantKeys)
	}

	monitor := devs["mac:00:09:fb:00:00:01"]
	if monitor.Vendor != "Philips Patient Monitoring" || !slices.Equal(monitor.Hostnames, []string{"MON-ICU-01"}) ||
		monitor.DHCPVendorClass != "PhilipsMonitor" {
		t.Errorf("monitor identity: %+v", monitor)
	}
	if got := ipList(monitor); !slices.Equal(got, []string{"10.20.1.10", "10.20.1.11"}) {
		t.Errorf("monitor IPs %v", got)
	}
	// 10.20.1.10 at t=2000 was the monitor's; at t=6000 the pump's.
	if !slices.ContainsFunc(monitor.Clients, func(s asset.Service) bool { return s.Port == 2575 }) {
		t.Errorf("monitor clients %v, want HL7 2575 from its first lease", monitor.Clients)
	}
	pump := devs["mac:3c:52:82:00:00:03"]
	if !slices.ContainsFunc(pump.Clients, func(s asset.Service) bool { return s.Port == 2575 }) || pump.LastSeen.Unix() != 1772409600+6000 {
		t.Errorf("pump: clients %v last seen %v", pump.Clients, pump.LastSeen)
	}
	if !slices.Contains(monitor.DNSNames, "telemetry.vendor-cloud.example") {
		t.Errorf("monitor DNS names %v", monitor.DNSNames)
	}
	// The workstation's connection before its first lease is still its own.
	ws := devs["mac:00:1b:63:00:00:02"]
	if ws.FirstSeen.Unix() != 1772409600+500 {
		t.Errorf("workstation first seen %v, want the conn before its lease", ws.FirstSeen)
	}
	server := devs["ip:10.1.0.20"]
	wantSvc := []asset.Service{{Port: 443, Proto: "tcp", Name: "ssl"}, {Port: 2575, Proto: "tcp"}}
	if !slices.Equal(server.Services, wantSvc) {
		t.Errorf("server services %v, want %v (the REJ on 23 is not a service)", server.Services, wantSvc)
	}
	pacs := devs["ip:10.1.0.50"]
	if len(pacs.Software) != 1 || pacs.Software[0].Name != "Orthanc" || pacs.Software[0].Version != "1.12.3" {
		t.Errorf("pacs software %+v", pacs.Software)
	}
	if _, ok := devs["ip:10.99.0.1"]; ok {
		t.Error("an unanswered probe created a device")
	}
	leases, err := h.store.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(leases) != 4 {
		t.Errorf("leases %+v, want 4", leases)
	}
	for _, l := range leases {
		if l.IP == "10.20.1.10" && l.MAC == "00:09:fb:00:00:01" && l.End.Unix() != 1772409600+3000 {
			t.Errorf("monitor's lease of 10.20.1.10 ends %v, want when the pump took the address", l.End)
		}
	}
}

func ipList(d asset.Device) []string {
	var out []string
	for _, ip := range d.IPs {
		out = append(out, ip.IP)
	}
	return out
}

func TestReingestAddsNothing(t *testing.T) {
	h := newHarness(t)
	h.ingest("testdata/hospital")
	before := h.snapshot()
	sum := h.ingest("testdata/hospital")
	if sum.Read != 0 {
		t.Errorf("re-ingest read %d records, want 0", sum.Read)
	}
	if after := h.snapshot(); after != before {
		t.Errorf("re-ingest changed the store")
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestGrownFileResumes(t *testing.T) {
	dir := copyDir(t, "testdata/hospital")
	conn := filepath.Join(dir, "conn.log")
	full, err := os.ReadFile(conn)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(full), "\n")
	// Write the file up to its 4th record, ingest, then let it grow.
	cut := strings.Join(lines[:12], "")
	if err := os.WriteFile(conn, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.ingest(dir)
	if err := os.WriteFile(conn, full, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := h.ingest(dir)
	if sum.ByLog["conn"] != 4 || sum.Read != 4 {
		t.Errorf("after growth read %d (conn %d), want the 4 new records", sum.Read, sum.ByLog["conn"])
	}
	clean := newHarness(t)
	clean.ingest("testdata/hospital")
	if h.snapshotDevices() != clean.snapshotDevices() {
		t.Error("grown-file ingest differs from a clean ingest")
	}
}

func (h *harness) snapshotDevices() string {
	devs, err := h.store.Devices(context.Background(), store.DeviceQuery{})
	if err != nil {
		h.t.Fatal(err)
	}
	b, _ := json.Marshal(devs)
	return string(b)
}

func TestRotatedFileIsRecognised(t *testing.T) {
	dir := copyDir(t, "testdata/hospital")
	h := newHarness(t)
	h.ingest(dir)
	// Rotation renames and compresses the log.
	conn := filepath.Join(dir, "conn.log")
	raw, err := os.ReadFile(conn)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "conn.00:00:00-01:00:00.log.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(conn)
	if sum := h.ingest(dir); sum.Read != 0 {
		t.Errorf("rotated copy read %d records, want 0", sum.Read)
	}
}

func TestMalformedLinesKeepTheGoodOnes(t *testing.T) {
	dir := copyDir(t, "testdata/hospital")
	conn := filepath.Join(dir, "conn.log")
	raw, err := os.ReadFile(conn)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	// Line 10 gets a bad timestamp, line 12 loses fields, and garbage ends the file.
	lines[9] = strings.Replace(lines[9], "1772411600.000000", "yesterday", 1)
	lines[11] = "1772415700.000000\tC4\t10.20.1.11\n"
	bad := strings.Join(lines, "") + "\x00\x01\x02garbage\xff\n"
	if err := os.WriteFile(conn, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	sum := h.ingest(dir)
	if sum.Rejected != 3 {
		t.Fatalf("rejected %d, want 3; errors %v", sum.Rejected, sum.Errors)
	}
	for _, want := range []string{conn + ":10:", conn + ":12:", conn + ":18:"} {
		if !slices.ContainsFunc(sum.Errors, func(e string) bool { return strings.HasPrefix(e, want) }) {
			t.Errorf("no error at %s in %v", want, sum.Errors)
		}
	}
	if sum.ByLog["conn"] != 6 {
		t.Errorf("conn accepted %d, want the 6 good lines", sum.ByLog["conn"])
	}
}

func TestCorruptGzipKeepsWhatCameBefore(t *testing.T) {
	dir := t.TempDir()
	var body strings.Builder
	body.WriteString("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n")
	body.WriteString("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n")
	for i := range 20000 {
		fmt.Fprintf(&body, "%d.0\tC%d\t10.0.%d.%d\t1000\t10.1.0.1\t443\ttcp\tSF\n", 1772409600+i, i, i/250, i%250+1)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body.String()))
	zw.Close()
	data := gz.Bytes()
	// A truncated stream, as a crash of the compressor or a partial copy
	// leaves it. (Flipped bytes inside deflate data can decompress to
	// plausible lines before the checksum at the end fails; those are
	// rejected line by line or, when they parse, cannot be told apart.)
	corrupt := data[:len(data)/2]
	path := filepath.Join(dir, "conn.log.gz")
	if err := os.WriteFile(path, corrupt, 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.batch = 1000
	sum := h.ingest(path)
	if !sum.Files[0].Failed || sum.Rejected == 0 {
		t.Fatalf("corrupt gzip not reported: %+v", sum.Files[0])
	}
	if len(sum.Errors) == 0 || !strings.HasPrefix(sum.Errors[0], path+":") {
		t.Errorf("errors %v, want one naming %s and the position", sum.Errors, path)
	}
	got := sum.ByLog["conn"]
	if got < 1000 || got >= 20000 {
		t.Errorf("accepted %d records from the readable part, want some but not all", got)
	}
	if n := len(h.devicesByKey()); int64(n) != got+1 {
		t.Errorf("%d devices, want one per accepted record plus the server (%d)", n, got+1)
	}
}

// TestSightingsReachTheStore: a device that is only seen again in a later
// batch must still have its last-seen time and address times stored.
func TestSightingsReachTheStore(t *testing.T) {
	dir := t.TempDir()
	log := "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n" +
		"1772409600.0\tC1\t10.0.0.1\t1000\t8.8.8.8\t443\ttcp\tSF\n" +
		"1772409700.0\tC2\t10.0.0.1\t1001\t8.8.8.8\t443\ttcp\tSF\n" +
		"1772409800.0\tC3\t10.0.0.1\t1002\t8.8.8.8\t443\ttcp\tSF\n"
	path := filepath.Join(dir, "conn.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.batch = 1
	h.ingest(path)
	d := h.devicesByKey()["ip:10.0.0.1"]
	if d.LastSeen.Unix() != 1772409800 || len(d.IPs) != 1 || d.IPs[0].LastSeen.Unix() != 1772409800 {
		t.Errorf("stored last seen %v, address %+v; want the third record's time", d.LastSeen, d.IPs)
	}
}

// TestHalfWrittenLineWaits: a live log whose last line is still being
// written must not be checkpointed inside that line.
func TestHalfWrittenLineWaits(t *testing.T) {
	dir := copyDir(t, "testdata/hospital")
	conn := filepath.Join(dir, "conn.log")
	full, err := os.ReadFile(conn)
	if err != nil {
		t.Fatal(err)
	}
	// Cut inside the 5th record, after a field boundary.
	lines := strings.SplitAfter(string(full), "\n")
	partial := strings.Join(lines[:12], "") + lines[12][:40]
	if err := os.WriteFile(conn, []byte(partial), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	sum := h.ingest(dir)
	if sum.Rejected != 0 || len(sum.HeldBack) != 1 || sum.HeldBack[0] != conn+":13" {
		t.Fatalf("rejected %d held back %v, want the half-written line 13 held back", sum.Rejected, sum.HeldBack)
	}
	if err := os.WriteFile(conn, full, 0o644); err != nil {
		t.Fatal(err)
	}
	if sum := h.ingest(dir); sum.Rejected != 0 || sum.ByLog["conn"] != 4 {
		t.Errorf("after completion: rejected %d, conn %d, want the 4 remaining records", sum.Rejected, sum.ByLog["conn"])
	}
	clean := newHarness(t)
	clean.ingest("testdata/hospital")
	if h.snapshotDevices() != clean.snapshotDevices() {
		t.Error("ingesting a live log in two steps differs from one clean ingest")
	}
}

// TestRotationThatReusesTheName: the log is renamed by rotation and a new
// log takes its name; whichever the new name sorts before or after, the
// renamed content is recognised and nothing is read twice.
func TestRotationThatReusesTheName(t *testing.T) {
	for _, rotated := range []string{"conn.log.1", "conn.00:00:00-01:00:00.log"} {
		t.Run(rotated, func(t *testing.T) {
			dir := copyDir(t, "testdata/hospital")
			conn := filepath.Join(dir, "conn.log")
			first, err := os.ReadFile(conn)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			h.ingest(dir)
			// Rotation: the old content moves, a new log (another #open) starts.
			if err := os.Rename(conn, filepath.Join(dir, rotated)); err != nil {
				t.Fatal(err)
			}
			second := strings.Replace(string(first), "#open\t2026-03-02-00-00-00", "#open\t2026-03-02-02-00-00", 1)
			if err := os.WriteFile(conn, []byte(second), 0o644); err != nil {
				t.Fatal(err)
			}
			sum := h.ingest(dir)
			if sum.ByLog["conn"] != 8 {
				t.Errorf("after rotation read %d conn records, want the new log's 8 only", sum.ByLog["conn"])
			}
			if again := h.ingest(dir); again.Read != 0 {
				t.Errorf("a third run read %d records", again.Read)
			}
		})
	}
}

func TestZeekLogName(t *testing.T) {
	for name, want := range map[string]bool{
		"conn.log": true, "conn.log.gz": true, "dns.json": true, "dns.json.gz": true,
		"conn.04:00:00-05:00:00.log.gz": true, "conn.log.1": true, "conn.log.2.gz": true,
		"conn.log.labeled": true, "README.md": false, "truth.json.bak": false, "conn.logx": false, "LICENSE": false,
	} {
		if got := ZeekLogName(name); got != want {
			t.Errorf("ZeekLogName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestUnreadableFileCountsAsRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conn.log.gz")
	if err := os.WriteFile(path, []byte{0x1f, 0x8b, 0x09, 0x00, 0x01}, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := newHarness(t).ingest(path)
	if sum.Rejected != 1 || !sum.Files[0].Failed || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0], path) {
		t.Errorf("rejected %d, files %+v, errors %v; want the bad gzip header reported and counted", sum.Rejected, sum.Files, sum.Errors)
	}
}
