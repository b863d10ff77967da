// Package storetest is the conformance suite every store.Store backend
// passes: Run checks what a user of the store would notice (round trips to
// the nanosecond, ordering, lookups, atomicity, isolation, persistence),
// and the Bench functions measure commits and reads the same way for every
// backend.
//
// It owns the contract's executable form; it must not depend on any
// backend, and only test code may import it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Run runs the conformance suite against the backend that open opens.
//
// open is called in each subtest with that subtest's t. Called again with
// the same t it must open the same storage (that is how persistence is
// checked); a new t must get new, empty storage. open should register the
// store's Close with t.Cleanup; the suite may close a store itself first, so
// Close must tolerate a second call.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"EmptyStore", testEmptyStore},
		{"EmptyBatch", testEmptyBatch},
		{"DeviceRoundTrip", testDeviceRoundTrip},
		{"DeviceReplacedWhole", testDeviceReplacedWhole},
		{"DeleteDevices", testDeleteDevices},
		{"KeyTakeover", testKeyTakeover},
		{"DevicesByteOrder", testDevicesByteOrder},
		{"DevicesQuery", testDevicesQuery},
		{"Leases", testLeases},
		{"Checkpoints", testCheckpoints},
		{"CheckpointByHead", testCheckpointByHead},
		{"NotFound", testNotFound},
		{"LastOccurrenceWins", testLastOccurrenceWins},
		{"Atomicity", testAtomicity},
		{"ConcurrentReaders", testConcurrentReaders},
		{"Persistence", testPersistence},
		{"Sightings", testSightings},
		{"SightingsInOneBatch", testSightingsInOneBatch},
		{"SightingsLastWinsPerField", testSightingsLastWinsPerField},
		{"SightingsAfterDevices", testSightingsAfterDevices},
		{"SightingUnknownDevice", testSightingUnknownDevice},
		{"WholeWriteReplacesIPs", testWholeWriteReplacesIPs},
		{"DeleteRemovesIPs", testDeleteRemovesIPs},
		{"IPOrder", testIPOrder},
		{"SightingsRoundTrip", testSightingsRoundTrip},
		{"FarTimesAndSightings", testFarTimesAndSightings},
		{"AlertRoundTrip", testAlertRoundTrip},
		{"AlertRefireKeepsTriage", testAlertRefireKeepsTriage},
		{"AlertStatusHistory", testAlertStatusHistory},
		{"AlertNotFound", testAlertNotFound},
		{"AlertInvalidStatusChange", testAlertInvalidStatusChange},
		{"AlertsQuery", testAlertsQuery},
		{"AlertConcurrentStatusChanges", testAlertConcurrentStatusChanges},
		{"AlertSighting", testAlertSighting},
		{"AlertSightingWithInsert", testAlertSightingWithInsert},
		{"AlertSightingUnknown", testAlertSightingUnknown},
		{"AlertSightingsLastWins", testAlertSightingsLastWins},
		{"AlertSightingsQuery", testAlertSightingsQuery},
		{"AlertSightingRoundTrip", testAlertSightingRoundTrip},
		{"AlertSightingInvalid", testAlertSightingInvalid},
		{"ReopenByAlert", testReopenByAlert},
		{"ReopenBySighting", testReopenBySighting},
		{"ReopenFinalCount", testReopenFinalCount},
		{"ReopenNotWithoutGrowth", testReopenNotWithoutGrowth},
		{"ReopenOnlyResolved", testReopenOnlyResolved},
		{"ReopenFailedBatch", testReopenFailedBatch},
		{"ReopenOnce", testReopenOnce},
		{"ReopenConcurrent", testReopenConcurrent},
		{"ReopenMany", testReopenMany},
		{"BaselineRoundTrip", testBaselineRoundTrip},
		{"BaselineEmptyDoc", testBaselineEmptyDoc},
		{"BaselineReplace", testBaselineReplace},
		{"BaselineLastWins", testBaselineLastWins},
		{"BaselineDelete", testBaselineDelete},
		{"BaselineDeleteDevice", testBaselineDeleteDevice},
		{"BaselineRollback", testBaselineRollback},
		{"BaselinesOrder", testBaselinesOrder},
		{"BaselinesStop", testBaselinesStop},
		{"BaselineNotFound", testBaselineNotFound},
		{"BaselineLarge", testBaselineLarge},
		{"SoftwareRoundTrip", testSoftwareRoundTrip},
		{"SoftwareEmpty", testSoftwareEmpty},
		{"SBOMUpsert", testSBOMUpsert},
		{"AdvisoryImport", testAdvisoryImport},
		{"AdvisoryAliases", testAdvisoryAliases},
		{"AdvisoriesOrderAndStop", testAdvisoriesOrderAndStop},
		{"EPSSUpsert", testEPSSUpsert},
		{"KEVAndVEXUpsert", testKEVAndVEXUpsert},
		{"SoftwareAtomicity", testSoftwareAtomicity},
		{"SoftwareLarge", testSoftwareLarge},
		{"FindingsEmpty", testFindingsEmpty},
		{"FindingRoundTrip", testFindingRoundTrip},
		{"FindingUpsertKeepsPatchState", testFindingUpsertKeepsPatchState},
		{"FindingDue", testFindingDue},
		{"FindingsGone", testFindingsGone},
		{"FindingsQuery", testFindingsQuery},
		{"PatchStateHistory", testPatchStateHistory},
		{"PatchStateInvalid", testPatchStateInvalid},
		{"PatchStateConcurrent", testPatchStateConcurrent},
		{"FindingsInvalidBatch", testFindingsInvalidBatch},
		{"RubricEmpty", testRubricEmpty},
		{"RubricRoundTrip", testRubricRoundTrip},
		{"RubricUpsertHistory", testRubricUpsertHistory},
		{"RubricsQuery", testRubricsQuery},
		{"RubricConcurrent", testRubricConcurrent},
		{"RubricInvalidBatch", testRubricInvalidBatch},
		{"StateRoundTrip", testStateRoundTrip},
		{"StateNotFound", testStateNotFound},
		{"StateReplace", testStateReplace},
		{"StateLastWins", testStateLastWins},
		{"StateEmptyDoc", testStateEmptyDoc},
		{"StateInvalid", testStateInvalid},
		{"StateRollback", testStateRollback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// state is everything a store holds, as its readers return it.
type state struct {
	Devices     []asset.Device
	Leases      []asset.Lease
	Checkpoints []store.Checkpoint
	Alerts      []alert.Alert
	Baselines   []store.BaselineDoc
}

func snapshot(t *testing.T, s store.Store) state {
	t.Helper()
	ctx := t.Context()
	var st state
	var err error
	if st.Devices, err = s.Devices(ctx, store.DeviceQuery{}); err != nil {
		t.Fatal(err)
	}
	if st.Leases, err = s.Leases(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Checkpoints, err = s.Checkpoints(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Alerts, err = s.Alerts(ctx, store.AlertQuery{}); err != nil {
		t.Fatal(err)
	}
	st.Baselines = baselines(t, s)
	return st
}

// equal fails t unless got and want are deeply equal, showing both as JSON.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s:\n got: %s\nwant: %s", what, g, w)
	}
}

func commit(t *testing.T, s store.Store, b *store.Batch) {
	t.Helper()
	if err := s.Commit(t.Context(), b); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func sortDevices(ds []asset.Device) {
	slices.SortFunc(ds, func(a, b asset.Device) int { return strings.Compare(a.ID, b.ID) })
}

func testEmptyStore(t *testing.T, open func(t *testing.T) store.Store) {
	st := snapshot(t, open(t))
	// Empty results are empty slices, not nil: an API renders [] not null.
	if st.Devices == nil || st.Leases == nil || st.Checkpoints == nil || st.Alerts == nil || st.Baselines == nil {
		t.Errorf("empty store: got nil slices %+v, want empty non-nil slices", st)
	}
	equal(t, "empty store", st, state{Devices: []asset.Device{}, Leases: []asset.Lease{}, Checkpoints: []store.Checkpoint{},
		Alerts: []alert.Alert{}, Baselines: []store.BaselineDoc{}})
}

func testEmptyBatch(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	seed := &store.Batch{
		Devices:     []asset.Device{fullDevice("dev-1", "infusion-pump")},
		Leases:      Leases(2),
		Checkpoints: []store.Checkpoint{checkpoint("/log/conn.log", "aa", 10, t0)},
		Alerts:      []alert.Alert{fullAlert("key-1", "dev-1", t0)},
		Baselines:   []store.BaselineDoc{baseline("dev-1", 100)},
	}
	commit(t, s, seed)
	want := snapshot(t, s)
	for _, tt := range []struct {
		name string
		b    *store.Batch
	}{
		{"nil", nil},
		{"zero", &store.Batch{}},
		{"empty slices", &store.Batch{Devices: []asset.Device{}, DeleteDevices: []string{}, Sightings: []store.Sighting{},
			Leases: []asset.Lease{}, Checkpoints: []store.Checkpoint{}, Alerts: []alert.Alert{},
			Baselines: []store.BaselineDoc{}, DeleteBaselines: []string{}, SBOMs: []store.SBOMRecord{},
			Advisories: []store.AdvisoryRecord{}, KEV: []store.KEVRecord{}, EPSS: []store.EPSSRecord{}, VEX: []store.VEXRecord{},
			Findings: []store.FindingRecord{}, FindingsGone: []store.FindingGone{}, Rubric: []store.RubricRecord{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Commit(t.Context(), tt.b); err != nil {
				t.Fatalf("Commit(%s): %v, want nil", tt.name, err)
			}
			equal(t, "state after empty batch", snapshot(t, s), want)
		})
	}
}

func testDeviceRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	cet := time.FixedZone("CET", 3600)
	nonUTC := fullDevice("dev-non-utc", "patient-monitor")
	nonUTC.FirstSeen = t0.In(cet)
	nonUTC.LastSeen = t0.Add(time.Nanosecond).In(time.FixedZone("EST", -5*3600))
	nonUTC.IPs[0].FirstSeen = t0.In(cet)
	nonUTC.Software[0].LastSeen = t0.In(cet)
	nonUTCWant := fullDevice("dev-non-utc", "patient-monitor")
	nonUTCWant.FirstSeen = t0
	nonUTCWant.LastSeen = t0.Add(time.Nanosecond)
	nonUTCWant.Software[0].LastSeen = t0

	far := fullDevice("dev-far-times", "ventilator")
	far.FirstSeen = time.Date(1500, 1, 2, 3, 4, 5, 6, time.UTC) // before int64 nanoseconds
	far.LastSeen = time.Date(3000, 1, 2, 3, 4, 5, 6, time.UTC)  // after int64 nanoseconds
	far.IPs[0].FirstSeen = time.Date(1600, 1, 2, 3, 4, 5, 6, time.UTC)
	far.IPs[1].LastSeen = time.Date(2999, 1, 2, 3, 4, 5, 6, time.UTC)

	tests := []struct {
		name    string
		in      asset.Device
		want    asset.Device
		wantErr error
	}{
		{name: "every field set", in: fullDevice("dev-full", "infusion-pump"), want: fullDevice("dev-full", "infusion-pump")},
		{name: "identity only", in: asset.Device{ID: "dev-min", Key: "ip:10.0.0.1"}, want: asset.Device{ID: "dev-min", Key: "ip:10.0.0.1"}},
		{
			name: "empty slices as JSON keeps them",
			in: asset.Device{
				ID: "dev-empty", Key: "ip:10.0.0.2", MACs: []string{}, IPs: []asset.IPAddress{}, Hostnames: []string{},
				Software: []asset.Software{}, Services: []asset.Service{}, ClassEvidence: []asset.Evidence{},
				Clients: []asset.Service{}, DNSNames: []string{}, TLSServers: []string{},
			},
			// Fields without omitempty keep [], omitempty ones come back nil.
			want: asset.Device{
				ID: "dev-empty", Key: "ip:10.0.0.2", MACs: []string{}, IPs: []asset.IPAddress{}, Hostnames: []string{},
				Software: []asset.Software{}, Services: []asset.Service{},
			},
		},
		{name: "times in other zones come back in UTC", in: nonUTC, want: nonUTCWant},
		{name: "times beyond int64 nanoseconds", in: far, want: far},
		{name: "unicode id and key", in: asset.Device{ID: "dév-ü-輸液", Key: "host:ポンプ"}, want: asset.Device{ID: "dév-ü-輸液", Key: "host:ポンプ"}},
	}
	s := open(t)
	var all []asset.Device
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			commit(t, s, &store.Batch{Devices: []asset.Device{tt.in}})
			got, err := s.Device(t.Context(), tt.in.ID)
			if err != nil {
				t.Fatalf("Device(%q): %v", tt.in.ID, err)
			}
			equal(t, "Device", got, tt.want)
			for _, tm := range []time.Time{got.FirstSeen, got.LastSeen} {
				if tm.Location() != time.UTC {
					t.Errorf("time %v in %v, want UTC", tm, tm.Location())
				}
			}
		})
		all = append(all, tt.want)
	}
	sortDevices(all)
	got, err := s.Devices(t.Context(), store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Devices", got, all)
}

func testDeviceReplacedWhole(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{Devices: []asset.Device{fullDevice("dev-1", "infusion-pump")}})
	// The second version drops most fields and changes class and key: nothing
	// of the first may survive, in the document or in the filter columns.
	v2 := asset.Device{ID: "dev-1", Key: "ip:10.9.9.9", Class: "workstation", Criticality: asset.NonClinical, LastSeen: t0}
	commit(t, s, &store.Batch{Devices: []asset.Device{v2}})

	got, err := s.Device(t.Context(), "dev-1")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Device after replace", got, v2)
	for _, tt := range []struct {
		class string
		want  []asset.Device
	}{
		{"infusion-pump", []asset.Device{}},
		{"workstation", []asset.Device{v2}},
	} {
		got, err := s.Devices(t.Context(), store.DeviceQuery{Class: tt.class})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "Devices(class="+tt.class+")", got, tt.want)
	}
	// The old key is free again.
	reuse := asset.Device{ID: "dev-2", Key: "key:dev-1"}
	commit(t, s, &store.Batch{Devices: []asset.Device{reuse}})
}

func testDeleteDevices(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, b, c := fullDevice("dev-a", "ventilator"), fullDevice("dev-b", "ventilator"), fullDevice("dev-c", "nurse-call")
	commit(t, s, &store.Batch{Devices: []asset.Device{a, b, c}})
	// Deleting an unknown ID is not an error; repeated IDs are harmless.
	commit(t, s, &store.Batch{DeleteDevices: []string{"dev-a", "dev-unknown", "dev-c", "dev-a"}})

	got, err := s.Devices(t.Context(), store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Devices after delete", got, []asset.Device{b})
	for _, id := range []string{"dev-a", "dev-c"} {
		if _, err := s.Device(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Device(%q) after delete: %v, want ErrNotFound", id, err)
		}
	}
	// A deleted ID can be written again.
	commit(t, s, &store.Batch{Devices: []asset.Device{a}})
	if got, err := s.Device(t.Context(), "dev-a"); err != nil {
		t.Errorf("Device(dev-a) after re-adding: %v", err)
	} else {
		equal(t, "re-added device", got, a)
	}
}

// testKeyTakeover merges device old into new in one batch, new taking old's
// identity key: the batch deletes before it writes.
func testKeyTakeover(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	old := asset.Device{ID: "dev-old", Key: "mac:00:1b:4f:00:00:01", Class: "infusion-pump"}
	commit(t, s, &store.Batch{Devices: []asset.Device{old}})
	merged := asset.Device{ID: "dev-new", Key: old.Key, Class: "infusion-pump", Model: "merged"}
	commit(t, s, &store.Batch{Devices: []asset.Device{merged}, DeleteDevices: []string{old.ID}})
	got, err := s.Devices(t.Context(), store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Devices after merge", got, []asset.Device{merged})
}

// testDevicesByteOrder checks that IDs sort by bytes, as Go sorts strings,
// whatever the database's collation says.
func testDevicesByteOrder(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ids := []string{"dev-b", "dev-B", "dev-a", "dev-_", "dev-Z", "dev-ä", "dev-10", "dev-9", "dev-a-1", "dev-a1", "dev- ", "dev-ﬀ"}
	var in []asset.Device
	for _, id := range ids {
		in = append(in, asset.Device{ID: id, Key: "k:" + id, Class: "lab-analyzer"})
	}
	commit(t, s, &store.Batch{Devices: in})
	want := slices.Clone(in)
	sortDevices(want)
	for _, q := range []store.DeviceQuery{{}, {Class: "lab-analyzer"}} {
		got, err := s.Devices(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs, wantIDs []string
		for _, d := range got {
			gotIDs = append(gotIDs, d.ID)
		}
		for _, d := range want {
			wantIDs = append(wantIDs, d.ID)
		}
		equal(t, "Devices order", gotIDs, wantIDs)
	}
}

func testDevicesQuery(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var all []asset.Device
	for i, class := range []string{"infusion-pump", "patient-monitor", "infusion-pump", "workstation", "infusion-pump", "patient-monitor"} {
		d := fullDevice(string(rune('f'-i))+"-dev", class) // IDs inserted in reverse order
		all = append(all, d)
	}
	commit(t, s, &store.Batch{Devices: all})
	sortDevices(all)
	byClass := func(class string) []asset.Device {
		out := []asset.Device{}
		for _, d := range all {
			if d.Class == class {
				out = append(out, d)
			}
		}
		return out
	}
	tests := []struct {
		name string
		q    store.DeviceQuery
		want []asset.Device
	}{
		{"all", store.DeviceQuery{}, all},
		{"class", store.DeviceQuery{Class: "infusion-pump"}, byClass("infusion-pump")},
		{"other class", store.DeviceQuery{Class: "patient-monitor"}, byClass("patient-monitor")},
		{"unknown class", store.DeviceQuery{Class: "mri"}, []asset.Device{}},
		{"class is exact, not a prefix", store.DeviceQuery{Class: "infusion"}, []asset.Device{}},
		{"class no batch can store", store.DeviceQuery{Class: "infusion-pump\x00"}, []asset.Device{}},
		{"limit", store.DeviceQuery{Limit: 2}, all[:2]},
		{"limit one", store.DeviceQuery{Limit: 1}, all[:1]},
		{"limit beyond count", store.DeviceQuery{Limit: 100}, all},
		{"class and limit", store.DeviceQuery{Class: "infusion-pump", Limit: 2}, byClass("infusion-pump")[:2]},
		{"after", store.DeviceQuery{After: all[1].ID}, all[2:]},
		{"after and limit: a page", store.DeviceQuery{After: all[1].ID, Limit: 2}, all[2:4]},
		{"after the last", store.DeviceQuery{After: all[len(all)-1].ID}, []asset.Device{}},
		{"after an ID between two", store.DeviceQuery{After: all[0].ID + "~"}, all[1:]},
		{"class, after and limit", store.DeviceQuery{Class: "infusion-pump", After: byClass("infusion-pump")[0].ID, Limit: 1},
			byClass("infusion-pump")[1:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Devices(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("Devices(%+v): %v", tt.q, err)
			}
			equal(t, "Devices", got, tt.want)
		})
	}
	t.Run("pages cover everything once", func(t *testing.T) {
		var got []asset.Device
		after := ""
		for {
			page, err := s.Devices(t.Context(), store.DeviceQuery{After: after, Limit: 4})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].ID
		}
		equal(t, "pages", got, all)
	})
	t.Run("negative limit", func(t *testing.T) {
		if got, err := s.Devices(t.Context(), store.DeviceQuery{Limit: -1}); err == nil {
			t.Errorf("Devices(Limit: -1) = %d devices, nil error; want an error", len(got))
		}
	})
}

func testLeases(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	pre1970 := time.Date(1969, 7, 20, 20, 17, 40, 123456789, time.UTC)
	in := []asset.Lease{
		{MAC: "00:1b:4f:00:00:02", IP: "10.0.0.5", Start: t0, End: t0.Add(time.Hour)},
		{MAC: "00:1b:4f:00:00:01", IP: "10.0.0.9", Start: t0.Add(time.Nanosecond), End: time.Time{}}, // open lease
		{MAC: "00:1b:4f:00:00:01", IP: "10.0.0.10", Start: t0, End: t0.Add(time.Minute)},
		{MAC: "00:1b:4f:00:00:01", IP: "10.0.0.9", Start: t0, End: t0.Add(time.Nanosecond)},
		{MAC: "00:1b:4f:00:00:01", IP: "10.0.0.9", Start: pre1970, End: pre1970.Add(time.Second)},
		{MAC: "00:1b:4f:00:00:01", IP: "10.0.0.9", Start: time.Time{}, End: t0},
		{MAC: "00:1B:4F:00:00:01", IP: "10.0.0.9", Start: t0, End: t0}, // case is not folded
	}
	commit(t, s, &store.Batch{Leases: in})
	// Ordered by MAC, IP (as strings) and start (as a time).
	want := []asset.Lease{in[6], in[2], in[5], in[4], in[3], in[1], in[0]}
	got, err := s.Leases(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Leases", got, want)

	// Same (MAC, IP, Start): the end is replaced, nothing is added.
	renewed := in[1]
	renewed.End = t0.Add(8 * time.Hour)
	commit(t, s, &store.Batch{Leases: []asset.Lease{renewed}})
	want[5] = renewed
	if got, err = s.Leases(t.Context()); err != nil {
		t.Fatal(err)
	}
	equal(t, "Leases after renewal", got, want)
}

func testCheckpoints(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	conn := checkpoint("/var/log/zeek/conn.log", strings.Repeat("ab", 32), 4096, t0)
	dhcp := checkpoint("/var/log/zeek/dhcp.log", strings.Repeat("cd", 32), 512, t0.Add(time.Nanosecond))
	other := checkpoint("/data/Zeek/conn.log.gz", strings.Repeat("ef", 32), 0, time.Time{})
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{conn, dhcp, other}})

	got, err := s.Checkpoints(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Checkpoints", got, []store.Checkpoint{other, conn, dhcp})

	// The next batch moves conn forward: the row is replaced whole.
	conn2 := conn
	conn2.Offset, conn2.Line, conn2.Records, conn2.Rejected = math.MaxInt64, 7, 6, 1
	conn2.HeadHash, conn2.HeadLen = strings.Repeat("01", 32), 8192
	conn2.Updated = t0.Add(time.Hour + 1)
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{conn2}})
	for _, tt := range []struct {
		source string
		want   store.Checkpoint
	}{
		{conn.Source, conn2},
		{dhcp.Source, dhcp},
		{other.Source, other},
	} {
		got, err := s.Checkpoint(t.Context(), tt.source)
		if err != nil {
			t.Fatalf("Checkpoint(%q): %v", tt.source, err)
		}
		equal(t, "Checkpoint("+tt.source+")", got, tt.want)
	}
	if got, err = s.Checkpoints(t.Context()); err != nil {
		t.Fatal(err)
	}
	equal(t, "Checkpoints after update", got, []store.Checkpoint{other, conn2, dhcp})
}

func testCheckpointByHead(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	h1, h2 := strings.Repeat("1a", 32), strings.Repeat("2b", 32)
	rotated := checkpoint("/log/conn.log.1", h1, 4096, t0)
	current := checkpoint("/log/conn.log", h1, 4096, t0.Add(time.Nanosecond)) // same head, updated later
	tieA := checkpoint("/log/b.log", h2, 100, t0)
	tieB := checkpoint("/log/a.log", h2, 100, t0)
	short := checkpoint("/log/short.log", h2, 50, t0)
	commit(t, s, &store.Batch{Checkpoints: []store.Checkpoint{rotated, current, tieA, tieB, short}})
	tests := []struct {
		name    string
		hash    string
		headLen int
		want    store.Checkpoint
		wantErr error
	}{
		{"most recently updated of two", h1, 4096, current, nil},
		{"same update time: smallest source", h2, 100, tieB, nil},
		{"length tells heads apart", h2, 50, short, nil},
		{"hash matches, length does not", h1, 100, store.Checkpoint{}, store.ErrNotFound},
		{"unknown hash", strings.Repeat("00", 32), 4096, store.Checkpoint{}, store.ErrNotFound},
		{"empty hash", "", 0, store.Checkpoint{}, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.CheckpointByHead(t.Context(), tt.hash, tt.headLen)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckpointByHead: error %v, want %v", err, tt.wantErr)
			}
			equal(t, "CheckpointByHead", got, tt.want)
		})
	}
}

func testNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	commit(t, s, &store.Batch{
		Devices:     []asset.Device{fullDevice("dev-1", "ventilator")},
		Checkpoints: []store.Checkpoint{checkpoint("/log/conn.log", "ab", 1, t0)},
	})
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Device", func(ctx context.Context) error { _, err := s.Device(ctx, "dev-2"); return err }},
		{"Device empty id", func(ctx context.Context) error { _, err := s.Device(ctx, ""); return err }},
		{"Device other case", func(ctx context.Context) error { _, err := s.Device(ctx, "DEV-1"); return err }},
		{"Checkpoint", func(ctx context.Context) error { _, err := s.Checkpoint(ctx, "/log/dhcp.log"); return err }},
		{"CheckpointByHead", func(ctx context.Context) error { _, err := s.CheckpointByHead(ctx, "ab", 2); return err }},
		// Keys no batch can store are simply not found, on every backend.
		{"Device id with NUL", func(ctx context.Context) error { _, err := s.Device(ctx, "dev-1\x00"); return err }},
		{"Device id not UTF-8", func(ctx context.Context) error { _, err := s.Device(ctx, "dev-\xff"); return err }},
		{"Checkpoint source not UTF-8", func(ctx context.Context) error { _, err := s.Checkpoint(ctx, "/log/\xfe"); return err }},
		{"CheckpointByHead hash with NUL", func(ctx context.Context) error { _, err := s.CheckpointByHead(ctx, "ab\x00", 1); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(t.Context()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: error %v, want errors.Is ErrNotFound", tt.name, err)
			}
		})
	}
}

func testLastOccurrenceWins(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	d1, d2 := fullDevice("dev-1", "ventilator"), fullDevice("dev-1", "ventilator")
	d2.Model = "second"
	l1 := asset.Lease{MAC: "m", IP: "i", Start: t0, End: t0.Add(time.Hour)}
	l2 := l1
	l2.End = t0.Add(2 * time.Hour)
	c1 := checkpoint("/log/conn.log", "aa", 1, t0)
	c2 := c1
	c2.Offset++
	a1 := fullAlert("key-1", "dev-1", t0)
	a2 := refired(a1, t0.Add(time.Hour)) // new in this batch: inserted with its history
	b1, b2 := baseline("dev-1", 10), store.BaselineDoc{DeviceID: "dev-1", Doc: []byte("second")}
	commit(t, s, &store.Batch{
		Devices: []asset.Device{d1, d2}, Leases: []asset.Lease{l1, l2}, Checkpoints: []store.Checkpoint{c1, c2},
		Alerts: []alert.Alert{a1, a2}, Baselines: []store.BaselineDoc{b1, b2},
	})
	equal(t, "state", snapshot(t, s), state{
		Devices: []asset.Device{d2}, Leases: []asset.Lease{l2}, Checkpoints: []store.Checkpoint{c2}, Alerts: []alert.Alert{a2},
		Baselines: []store.BaselineDoc{b2},
	})
}

// testAtomicity commits batches that fail, by validation or inside the
// database, and checks that nothing of them is left behind.
func testAtomicity(t *testing.T, open func(t *testing.T) store.Store) {
	stored, doomed := fullDevice("dev-stored", "ventilator"), fullDevice("dev-doomed", "ventilator")
	seed := &store.Batch{
		Devices:     []asset.Device{stored, doomed},
		Leases:      []asset.Lease{{MAC: "00:1b:4f:00:00:01", IP: "10.0.0.1", Start: t0, End: t0.Add(time.Hour)}},
		Checkpoints: []store.Checkpoint{checkpoint("/log/conn.log", "aa", 10, t0)},
		Alerts:      []alert.Alert{fullAlert("key-stored", stored.ID, t0)},
		Baselines:   []store.BaselineDoc{baseline(stored.ID, 1000), baseline(doomed.ID, 10), baseline("dev-no-device", 10)},
	}
	// good is a batch that would succeed and touches every table: the failing
	// batches below are good plus one defect.
	good := func() *store.Batch {
		changed := stored
		changed.Model = "changed"
		many := Devices(600) // more than one multi-row statement
		var sightings []store.Sighting
		for _, d := range append([]asset.Device{stored}, many...) { // stored, and devices the batch writes
			sightings = append(sightings, store.Sighting{DeviceID: d.ID, LastSeen: t0.Add(time.Hour),
				IPs: []asset.IPAddress{{IP: "10.99.0.1", FirstSeen: t0, LastSeen: t0.Add(time.Hour)}}})
		}
		return &store.Batch{
			Devices:       append([]asset.Device{changed}, many...),
			DeleteDevices: []string{doomed.ID},
			Sightings:     sightings,
			Leases:        []asset.Lease{{MAC: "00:1b:4f:00:00:01", IP: "10.0.0.1", Start: t0, End: t0.Add(2 * time.Hour)}, {MAC: "m2", IP: "i2", Start: t0}},
			Checkpoints:   []store.Checkpoint{checkpoint("/log/conn.log", "bb", 20, t0.Add(time.Hour)), checkpoint("/log/new.log", "cc", 1, t0)},
			Alerts:        []alert.Alert{refired(fullAlert("key-stored", stored.ID, t0), t0.Add(time.Hour)), fullAlert("key-new", stored.ID, t0)},
			// Replaced, new for a device the batch writes, new without a
			// device, and deleted: the failing batches below have written
			// these when the database refuses them.
			Baselines:       []store.BaselineDoc{baseline(stored.ID, 2000), baseline(many[0].ID, 10), baseline("dev-orphan", 0)},
			DeleteBaselines: []string{"dev-no-device"},
		}
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name        string
		ctx         context.Context
		defect      func(b *store.Batch)
		wantInvalid bool
	}{
		{"device with empty id", nil, func(b *store.Batch) { b.Devices = append(b.Devices, asset.Device{Key: "k"}) }, true},
		{"device with empty key", nil, func(b *store.Batch) { b.Devices = append(b.Devices, asset.Device{ID: "dev-x"}) }, true},
		{"NUL in an id", nil, func(b *store.Batch) { b.Devices = append(b.Devices, asset.Device{ID: "dev\x00", Key: "k"}) }, true},
		{"confidence not a number", nil, func(b *store.Batch) {
			b.Devices = append(b.Devices, asset.Device{ID: "dev-nan", Key: "k", ClassConfidence: math.NaN()})
		}, true},
		{"id written and deleted", nil, func(b *store.Batch) { b.DeleteDevices = append(b.DeleteDevices, stored.ID) }, true},
		{"empty delete id", nil, func(b *store.Batch) { b.DeleteDevices = append(b.DeleteDevices, "") }, true},
		{"lease with empty mac", nil, func(b *store.Batch) { b.Leases = append(b.Leases, asset.Lease{IP: "10.0.0.2", Start: t0}) }, true},
		{"lease start out of range", nil, func(b *store.Batch) {
			b.Leases = append(b.Leases, asset.Lease{MAC: "m", IP: "i", Start: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)})
		}, true},
		{"checkpoint with empty source", nil, func(b *store.Batch) { b.Checkpoints = append(b.Checkpoints, store.Checkpoint{HeadHash: "x"}) }, true},
		{"checkpoint with negative offset", nil, func(b *store.Batch) {
			b.Checkpoints = append(b.Checkpoints, store.Checkpoint{Source: "/log/x", Offset: -1})
		}, true},
		// Valid, but the database refuses it midway: the key belongs to another
		// stored device. The sorted ID puts it after the 600 generated devices,
		// so earlier statements of the transaction have run.
		{"key of another stored device", nil, func(b *store.Batch) {
			b.Devices = append(b.Devices, asset.Device{ID: "zzz-dev", Key: stored.Key})
		}, false},
		{"key twice in the batch", nil, func(b *store.Batch) {
			b.Devices = append(b.Devices, asset.Device{ID: "zzz-1", Key: "dup"}, asset.Device{ID: "zzz-2", Key: "dup"})
		}, false},
		{"sighting with empty device id", nil, func(b *store.Batch) { b.Sightings = append(b.Sightings, store.Sighting{LastSeen: t0}) }, true},
		{"sighting of a device the batch deletes", nil, func(b *store.Batch) {
			b.Sightings = append(b.Sightings, store.Sighting{DeviceID: doomed.ID, LastSeen: t0})
		}, true},
		{"sighting at a time no column holds exactly", nil, func(b *store.Batch) {
			b.Sightings = append(b.Sightings, store.Sighting{DeviceID: stored.ID, LastSeen: store.MaxTime})
		}, true},
		{"sighting with an address out of range", nil, func(b *store.Batch) {
			b.Sightings = append(b.Sightings, store.Sighting{DeviceID: stored.ID, LastSeen: t0,
				IPs: []asset.IPAddress{{IP: "10.0.0.1", FirstSeen: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)}}})
		}, true},
		{"device address with NUL", nil, func(b *store.Batch) {
			b.Devices = append(b.Devices, asset.Device{ID: "dev-nul-ip", Key: "k-nul-ip", IPs: []asset.IPAddress{{IP: "10.0.0.1\x00"}}})
		}, true},
		// Valid, but the device does not exist: found in the database, after
		// the devices and the sightings sorted before it were written.
		{"sighting of a device that does not exist", nil, func(b *store.Batch) {
			b.Sightings = append(b.Sightings, store.Sighting{DeviceID: "zzz-unknown", LastSeen: t0})
		}, true},
		{"alert with empty dedup key", nil, func(b *store.Batch) {
			b.Alerts = append(b.Alerts, alert.Alert{ID: "alr-x", Severity: alert.Low, Status: alert.Open, Count: 1})
		}, true},
		{"alert with invalid severity", nil, func(b *store.Batch) {
			a := fullAlert("key-x", "", t0)
			a.Severity = 6
			b.Alerts = append(b.Alerts, a)
		}, true},
		{"alert with invalid status", nil, func(b *store.Batch) {
			a := fullAlert("key-x", "", t0)
			a.Status = "closed"
			b.Alerts = append(b.Alerts, a)
		}, true},
		{"alert with zero count", nil, func(b *store.Batch) {
			a := fullAlert("key-x", "", t0)
			a.Count = 0
			b.Alerts = append(b.Alerts, a)
		}, true},
		{"alert last seen before first seen", nil, func(b *store.Batch) {
			a := fullAlert("key-x", "", t0)
			a.LastSeen = a.FirstSeen.Add(-time.Nanosecond)
			b.Alerts = append(b.Alerts, a)
		}, true},
		{"alert with NUL in its detector", nil, func(b *store.Batch) {
			a := fullAlert("key-x", "", t0)
			a.Detector = "det\x00"
			b.Alerts = append(b.Alerts, a)
		}, true},
		{"alert history with invalid status", nil, func(b *store.Batch) {
			a := fullAlert("key-x", "", t0)
			a.History[0].To = "closed"
			b.Alerts = append(b.Alerts, a)
		}, true},
		// Valid, but the database refuses it after the other alerts were
		// written: the dedup key belongs to another stored alert.
		{"dedup key of another stored alert", nil, func(b *store.Batch) {
			a := fullAlert("key-stored", "", t0)
			a.ID = "zzz-alert"
			b.Alerts = append(b.Alerts, a)
		}, false},
		{"baseline with empty device id", nil, func(b *store.Batch) {
			b.Baselines = append(b.Baselines, store.BaselineDoc{Doc: []byte("x")})
		}, true},
		{"baseline with nil document", nil, func(b *store.Batch) {
			b.Baselines = append(b.Baselines, store.BaselineDoc{DeviceID: "dev-nil-doc"})
		}, true},
		{"baseline device id not UTF-8", nil, func(b *store.Batch) {
			b.Baselines = append(b.Baselines, store.BaselineDoc{DeviceID: "dev-\xff", Doc: []byte("x")})
		}, true},
		{"baseline written and deleted", nil, func(b *store.Batch) {
			b.DeleteBaselines = append(b.DeleteBaselines, stored.ID)
		}, true},
		{"baseline of a device the batch deletes", nil, func(b *store.Batch) {
			b.Baselines = append(b.Baselines, baseline(doomed.ID, 5))
		}, true},
		{"empty baseline delete id", nil, func(b *store.Batch) { b.DeleteBaselines = append(b.DeleteBaselines, "") }, true},
		{"canceled context", canceled, func(*store.Batch) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			commit(t, s, seed)
			want := snapshot(t, s)
			b := good()
			tt.defect(b)
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			err := s.Commit(ctx, b)
			if err == nil {
				t.Fatal("Commit succeeded, want an error")
			}
			if got := errors.Is(err, store.ErrInvalidBatch); got != tt.wantInvalid {
				t.Errorf("Commit error %q: errors.Is(ErrInvalidBatch) = %v, want %v", err, got, tt.wantInvalid)
			}
			equal(t, "state after failed commit", snapshot(t, s), want)
			// The store is still usable.
			commit(t, s, good())
		})
	}
}

// testConcurrentReaders reads while a large commit rewrites every device:
// each full read must see the devices entirely before or entirely after the
// commit, and point reads must keep completing while it runs.
func testConcurrentReaders(t *testing.T, open func(t *testing.T) store.Store) {
	const n = 10_000
	s := open(t)
	v1 := Devices(n)
	commit(t, s, &store.Batch{Devices: v1})
	v2 := Devices(n)
	for i := range v2 {
		v2[i].Model = "v2"
		v2[i].IPs[0].LastSeen = v2[i].IPs[0].FirstSeen.Add(2 * time.Hour) // v1: one hour
	}
	// version tells v1 from v2 by the address, read apart from the document.
	version := func(d asset.Device) string {
		if len(d.IPs) == 1 && d.IPs[0].LastSeen.Sub(d.IPs[0].FirstSeen) == 2*time.Hour {
			return "v2"
		}
		return d.Model
	}

	var (
		started, done = make(chan struct{}), make(chan struct{})
		wg            sync.WaitGroup
		pointReads    atomic.Int64 // begun after the commit started, ended before it returned
		fullReads     atomic.Int64
	)
	running := func(ch chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	ctx := t.Context()
	wg.Go(func() { // full reads: consistency
		for !running(done) {
			got, err := s.Devices(ctx, store.DeviceQuery{})
			if err != nil {
				t.Errorf("Devices during commit: %v", err)
				return
			}
			fullReads.Add(1)
			if len(got) != n {
				t.Errorf("Devices during commit: %d devices, want %d", len(got), n)
				return
			}
			for _, d := range got {
				if d.Model != got[0].Model || version(d) != d.Model {
					t.Errorf("Devices during commit mixes models %q and %q, addresses of %q: a reader saw part of a commit",
						got[0].Model, d.Model, version(d))
					return
				}
			}
		}
	})
	wg.Go(func() { // point reads: progress
		for i := 0; !running(done); i++ {
			began := running(started)
			id := v1[i%n].ID
			d, err := s.Device(ctx, id)
			if err != nil {
				t.Errorf("Device(%q) during commit: %v", id, err)
				return
			}
			if d.Model != v1[i%n].Model && d.Model != "v2" || version(d) != d.Model {
				t.Errorf("Device(%q) during commit: model %q, addresses of %q", id, d.Model, version(d))
				return
			}
			if began && !running(done) {
				pointReads.Add(1)
			}
		}
	})
	wg.Go(func() {
		defer close(done)
		for fullReads.Load() == 0 && !t.Failed() { // let the readers start first
			time.Sleep(time.Millisecond)
		}
		close(started)
		if err := s.Commit(ctx, &store.Batch{Devices: v2}); err != nil {
			t.Errorf("Commit during reads: %v", err)
		}
	})
	wg.Wait()
	if pointReads.Load() == 0 {
		t.Error("no point read completed while the commit ran: readers wait for the writer")
	}
	got, err := s.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "devices after commit", len(got), n)
	for _, d := range got {
		if d.Model != "v2" {
			t.Fatalf("after commit: device %s has model %q, want v2", d.ID, d.Model)
		}
	}
	t.Logf("%d full and %d point reads during the commit", fullReads.Load(), pointReads.Load())
}

func testPersistence(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	devices := append(Devices(300), fullDevice("dev-full", "infusion-pump"))
	sortDevices(devices)
	b := &store.Batch{
		Devices:     devices,
		Leases:      Leases(50),
		Checkpoints: []store.Checkpoint{checkpoint("/log/conn.log", "ab", 4096, t0), checkpoint("/log/dhcp.log", "cd", 0, time.Time{})},
		Alerts:      []alert.Alert{fullAlert("key-1", "dev-full", t0), fullAlert("key-2", "", t0.Add(time.Hour))},
		Baselines:   []store.BaselineDoc{baseline("dev-full", 3000), baseline(devices[1].ID, 0), baseline("dev-no-device", 50)},
	}
	commit(t, s, b)
	if err := s.SetAlertStatus(t.Context(), b.Alerts[0].ID, alert.StatusChange{At: t0.Add(time.Minute), To: alert.Resolved, By: "nurse"}); err != nil {
		t.Fatalf("SetAlertStatus: %v", err)
	}
	commit(t, s, &store.Batch{DeleteDevices: []string{devices[0].ID}})
	var sightings []store.Sighting
	for i := 1; i < len(devices); i += 2 {
		sg := store.Sighting{DeviceID: devices[i].ID, LastSeen: t0.Add(48 * time.Hour),
			IPs: []asset.IPAddress{{IP: "192.0.2.1", FirstSeen: t0.Add(47 * time.Hour), LastSeen: t0.Add(48 * time.Hour)}}}
		sightings = append(sightings, sg)
		devices[i] = sighted(devices[i], sg)
	}
	commit(t, s, &store.Batch{Sightings: sightings})
	want := snapshot(t, s)
	equal(t, "devices before reopening", want.Devices, devices[1:])
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t)
	equal(t, "state after reopening", snapshot(t, s), want)
	if got, err := s.CheckpointByHead(t.Context(), "ab", 4096); err != nil {
		t.Errorf("CheckpointByHead after reopening: %v", err)
	} else {
		equal(t, "CheckpointByHead after reopening", got, b.Checkpoints[0])
	}
	// The reopened store takes writes.
	commit(t, s, &store.Batch{DeleteDevices: []string{devices[1].ID}})
	if _, err := s.Device(t.Context(), devices[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Device after delete on reopened store: %v, want ErrNotFound", err)
	}
}
