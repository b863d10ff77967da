package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/store"
)

// sbom returns an SBOM of the model version vendor/model/version, its ID
// derived from tag, with a document of n bytes (NUL and non-UTF-8 bytes
// included).
func sbom(vendor, model, version, tag string, n int) store.SBOMRecord {
	doc := baseline(tag, n).Doc
	return store.SBOMRecord{
		ID: store.DocHash([]byte(tag)), Vendor: vendor, Model: model, Version: version,
		Format: "cyclonedx", SpecVersion: "1.6", Name: model + " firmware " + version, Components: 840,
		Source: "/imports/" + tag + ".cdx.json", Imported: t0, Doc: doc,
	}
}

// advisory returns the advisory source/id modified at modified, whose
// document depends on rev.
func advisory(source, id string, modified time.Time, rev string, aliases ...string) store.AdvisoryRecord {
	doc := []byte(fmt.Sprintf(`{"id":%q,"modified":%q,"rev":%q,"aliases":%q}`, id, modified.Format(time.RFC3339Nano), rev, aliases))
	return store.AdvisoryRecord{Source: source, ID: id, Aliases: aliases, Modified: modified, Hash: store.DocHash(doc), Doc: doc}
}

func advisories(t *testing.T, s store.Store, q store.AdvisoryQuery) []store.AdvisoryRecord {
	t.Helper()
	out := []store.AdvisoryRecord{}
	if err := s.Advisories(t.Context(), q, func(a store.AdvisoryRecord) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatalf("Advisories(%+v): %v", q, err)
	}
	return out
}

func keys(as []store.AdvisoryRecord) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Source + "/" + a.ID
	}
	return out
}

func kevs(t *testing.T, s store.Store) []store.KEVRecord {
	t.Helper()
	out := []store.KEVRecord{}
	if err := s.KEV(t.Context(), func(k store.KEVRecord) error {
		out = append(out, k)
		return nil
	}); err != nil {
		t.Fatalf("KEV: %v", err)
	}
	return out
}

func vexes(t *testing.T, s store.Store, vuln string) []store.VEXRecord {
	t.Helper()
	out := []store.VEXRecord{}
	if err := s.VEX(t.Context(), vuln, func(v store.VEXRecord) error {
		out = append(out, v)
		return nil
	}); err != nil {
		t.Fatalf("VEX(%q): %v", vuln, err)
	}
	return out
}

func epss(t *testing.T, s store.Store, cves ...string) map[string]store.EPSSRecord {
	t.Helper()
	m, err := s.EPSS(t.Context(), cves)
	if err != nil {
		t.Fatalf("EPSS(%q): %v", cves, err)
	}
	if m == nil {
		t.Fatalf("EPSS(%q): nil map", cves)
	}
	return m
}

func sboms(t *testing.T, s store.Store, q store.SBOMQuery) []store.SBOMRecord {
	t.Helper()
	out, err := s.SBOMs(t.Context(), q)
	if err != nil {
		t.Fatalf("SBOMs(%+v): %v", q, err)
	}
	return out
}

func importAdvisories(t *testing.T, s store.Store, as ...store.AdvisoryRecord) store.ImportCounts {
	t.Helper()
	c, err := s.ImportAdvisories(t.Context(), as)
	if err != nil {
		t.Fatalf("ImportAdvisories: %v", err)
	}
	return c
}

// softwareState is every software-risk record a store holds, as its
// readers return them.
type softwareState struct {
	SBOMs      []store.SBOMRecord
	Advisories []store.AdvisoryRecord
	KEV        []store.KEVRecord
	EPSS       map[string]store.EPSSRecord
	VEX        []store.VEXRecord
}

func softwareSnapshot(t *testing.T, s store.Store) softwareState {
	t.Helper()
	return softwareState{SBOMs: sboms(t, s, store.SBOMQuery{}), Advisories: advisories(t, s, store.AdvisoryQuery{}),
		KEV: kevs(t, s), EPSS: epss(t, s), VEX: vexes(t, s, "")}
}

// softwareSeed is a batch of every kind of software-risk record.
func softwareSeed() *store.Batch {
	return &store.Batch{
		SBOMs: []store.SBOMRecord{sbom("Acme", "Pump 9", "2.1.0", "pump-2.1.0", 1000), sbom("Acme", "Monitor", "1.0", "mon-1.0", 0)},
		Advisories: []store.AdvisoryRecord{
			advisory("osv", "GHSA-aaaa-bbbb-cccc", t0, "1", "CVE-2024-0001", "PYSEC-2024-1"),
			advisory("nvd", "CVE-2024-0001", t0.Add(time.Hour), "1"),
			advisory("csaf", "ICSMA-24-001-01", time.Time{}, "1", "CVE-2024-0001", "CVE-2024-0002"),
		},
		KEV: []store.KEVRecord{
			{CVE: "CVE-2024-0002", DateAdded: t0, DueDate: t0.AddDate(0, 0, 21), Ransomware: true, Doc: []byte(`{"cveID":"CVE-2024-0002"}`)},
			{CVE: "CVE-2023-9999", DateAdded: t0.AddDate(-1, 0, 0), Doc: []byte{}},
		},
		EPSS: []store.EPSSRecord{
			{CVE: "CVE-2024-0001", Score: 0.97123, Percentile: 0.99987, Date: t0},
			{CVE: "CVE-2024-0002", Score: 0, Percentile: 1, Date: t0},
		},
		VEX: []store.VEXRecord{
			{ID: "vex-2", Vulnerability: "CVE-2024-0001", Source: "acme-vex.json", Doc: []byte(`{"status":"not_affected"}`)},
			{ID: "vex-1", Vulnerability: "CVE-2024-0001", Source: "acme-vex.json", Doc: []byte(`{"status":"affected"}`)},
			{ID: "vex-3", Vulnerability: "CVE-2024-0002", Source: "acme-csaf.json", Doc: []byte{0, 1, 0xff}},
		},
	}
}

func testSoftwareRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	cet := time.FixedZone("CET", 3600)
	b := softwareSeed()
	// Times in another zone come back in UTC; aliases come back sorted,
	// each once.
	b.SBOMs[0].Imported = t0.In(cet)
	b.Advisories[0].Modified = t0.In(cet)
	b.Advisories[0].Aliases = []string{"PYSEC-2024-1", "CVE-2024-0001", "PYSEC-2024-1"}
	b.KEV[0].DueDate = b.KEV[0].DueDate.In(cet)
	b.EPSS[0].Date = t0.In(cet)
	commit(t, s, b)
	want := softwareSeed()
	wantSBOMs := []store.SBOMRecord{want.SBOMs[1], want.SBOMs[0]} // Monitor < Pump 9
	for i := range wantSBOMs {
		wantSBOMs[i].Doc = nil
	}
	for _, s := range []store.Store{s, open(t)} { // and after reopening
		equal(t, "SBOMs", sboms(t, s, store.SBOMQuery{}), wantSBOMs)
		equal(t, "SBOMs by vendor and model", sboms(t, s, store.SBOMQuery{Vendor: "Acme", Model: "Pump 9"}), wantSBOMs[1:])
		equal(t, "SBOMs by version", sboms(t, s, store.SBOMQuery{Version: "9.9"}), []store.SBOMRecord{})
		for _, r := range want.SBOMs {
			got, err := s.SBOM(t.Context(), r.ID)
			if err != nil {
				t.Fatalf("SBOM(%q): %v", r.ID, err)
			}
			if got.Doc == nil || !bytes.Equal(got.Doc, r.Doc) {
				t.Errorf("SBOM(%q): document of %d bytes, want the %d bytes written", r.ID, len(got.Doc), len(r.Doc))
			}
			equal(t, "SBOM", got, r)
		}
		wantAdv := []store.AdvisoryRecord{want.Advisories[2], want.Advisories[1], want.Advisories[0]} // csaf < nvd < osv
		equal(t, "Advisories", advisories(t, s, store.AdvisoryQuery{}), wantAdv)
		equal(t, "KEV", kevs(t, s), []store.KEVRecord{want.KEV[1], want.KEV[0]})
		equal(t, "EPSS", epss(t, s), map[string]store.EPSSRecord{"CVE-2024-0001": want.EPSS[0], "CVE-2024-0002": want.EPSS[1]})
		equal(t, "EPSS of some", epss(t, s, "CVE-2024-0002", "CVE-2000-0000", "bad\x00"), map[string]store.EPSSRecord{"CVE-2024-0002": want.EPSS[1]})
		equal(t, "VEX", vexes(t, s, "CVE-2024-0001"), []store.VEXRecord{want.VEX[1], want.VEX[0]})
		equal(t, "VEX all", vexes(t, s, ""), []store.VEXRecord{want.VEX[2], want.VEX[1], want.VEX[0]})
	}
}

func testSoftwareEmpty(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	equal(t, "empty store", softwareSnapshot(t, s), softwareState{SBOMs: []store.SBOMRecord{},
		Advisories: []store.AdvisoryRecord{}, KEV: []store.KEVRecord{}, EPSS: map[string]store.EPSSRecord{}, VEX: []store.VEXRecord{}})
	if _, err := s.SBOM(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SBOM(unknown): error %v, want ErrNotFound", err)
	}
	if _, err := s.SBOM(t.Context(), "bad\x00\xff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SBOM(unstorable): error %v, want ErrNotFound", err)
	}
	if c, err := s.ImportAdvisories(t.Context(), nil); err != nil || c != (store.ImportCounts{}) {
		t.Errorf("ImportAdvisories(nil): %+v, %v; want zero counts, nil", c, err)
	}
	for _, b := range []*store.Batch{{SBOMs: []store.SBOMRecord{}, Advisories: []store.AdvisoryRecord{}, KEV: []store.KEVRecord{},
		EPSS: []store.EPSSRecord{}, VEX: []store.VEXRecord{}}} {
		if !b.Empty() {
			t.Error("a batch of empty software slices is not Empty")
		}
	}
	if (&store.Batch{EPSS: []store.EPSSRecord{{CVE: "x"}}}).Empty() {
		t.Error("a batch with an EPSS record is Empty")
	}
}

func testSBOMUpsert(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	v1 := sbom("Acme", "Pump 9", "2.1.0", "file-a", 100)
	commit(t, s, &store.Batch{SBOMs: []store.SBOMRecord{v1}})

	// The same file again, later, from another path: a true no-op.
	again := v1
	again.Imported, again.Source, again.Name = t0.Add(time.Hour), "/elsewhere.json", "renamed"
	commit(t, s, &store.Batch{SBOMs: []store.SBOMRecord{again}})
	if got, _ := s.SBOM(t.Context(), v1.ID); !got.Imported.Equal(t0) || got.Source != v1.Source || got.Name != v1.Name {
		t.Errorf("SBOM after importing the same file again: imported %s from %q named %q; want it unchanged (%s, %q, %q)",
			got.Imported, got.Source, got.Name, t0, v1.Source, v1.Name)
	}

	// Another file for the model version replaces it, ID included.
	v2 := sbom("Acme", "Pump 9", "2.1.0", "file-b", 200)
	v2.Imported = t0.Add(2 * time.Hour)
	commit(t, s, &store.Batch{SBOMs: []store.SBOMRecord{v2}})
	if _, err := s.SBOM(t.Context(), v1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SBOM(replaced ID): error %v, want ErrNotFound", err)
	}
	equal(t, "SBOM after replacement", getSBOM(t, s, v2.ID), v2)
	listed := v2
	listed.Doc = nil
	equal(t, "SBOMs after replacement", sboms(t, s, store.SBOMQuery{}), []store.SBOMRecord{listed})

	// The replaced file again, for another model version: allowed, its ID
	// is free now.
	other := sbom("Acme", "Pump 9", "2.2.0", "file-a", 100)
	commit(t, s, &store.Batch{SBOMs: []store.SBOMRecord{other}})

	// A file another model version holds fails the commit, writing nothing.
	before := softwareSnapshot(t, s)
	taken := sbom("Acme", "Pump 9", "3.0.0", "file-b", 10)
	err := s.Commit(t.Context(), &store.Batch{SBOMs: []store.SBOMRecord{taken},
		Advisories: []store.AdvisoryRecord{advisory("osv", "X-1", t0, "1")}})
	if err == nil {
		t.Error("Commit of an SBOM whose ID another model version holds succeeded, want an error")
	}
	equal(t, "state after the failed commit", softwareSnapshot(t, s), before)

	// One batch may swap the files of two model versions.
	swapA, swapB := sbom("Acme", "Pump 9", "2.1.0", "file-a", 100), sbom("Acme", "Pump 9", "2.2.0", "file-b", 200)
	commit(t, s, &store.Batch{SBOMs: []store.SBOMRecord{swapB, swapA}})
	equal(t, "SBOM file-a after the swap", getSBOM(t, s, swapA.ID), swapA)
	equal(t, "SBOM file-b after the swap", getSBOM(t, s, swapB.ID), swapB)

	// Within a batch, the last occurrence of a model version wins.
	last := sbom("Acme", "Pump 9", "2.1.0", "file-c", 5)
	commit(t, s, &store.Batch{SBOMs: []store.SBOMRecord{sbom("Acme", "Pump 9", "2.1.0", "file-d", 5), last}})
	equal(t, "SBOMs of 2.1.0 after two in a batch", len(sboms(t, s, store.SBOMQuery{Version: "2.1.0"})), 1)
	equal(t, "SBOM of the last occurrence", getSBOM(t, s, last.ID), last)
}

func getSBOM(t *testing.T, s store.Store, id string) store.SBOMRecord {
	t.Helper()
	r, err := s.SBOM(t.Context(), id)
	if err != nil {
		t.Fatalf("SBOM(%q): %v", id, err)
	}
	return r
}

func testAdvisoryImport(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a := advisory("osv", "A-1", t0, "1", "CVE-1")
	b := advisory("osv", "B-1", t0, "1", "CVE-2", "CVE-3")
	c := advisory("osv", "C-1", t0, "1")
	d := advisory("nvd", "CVE-9", t0, "1")
	if got, want := importAdvisories(t, s, a, b, c, d), (store.ImportCounts{New: 4}); got != want {
		t.Errorf("first import: got %+v, want %+v", got, want)
	}
	if got, want := importAdvisories(t, s, d, c, b, a), (store.ImportCounts{Unchanged: 4}); got != want {
		t.Errorf("same import again: got %+v, want %+v", got, want)
	}
	newer := advisory("osv", "A-1", t0.Add(time.Second), "2", "CVE-1", "GHSA-new")
	sameTime := advisory("osv", "B-1", t0, "corrected", "CVE-2") // drops CVE-3
	older := advisory("osv", "C-1", t0.Add(-time.Nanosecond), "0", "CVE-old")
	e := advisory("osv", "E-1", t0, "1", "CVE-1")
	got := importAdvisories(t, s, older, newer, sameTime, d, e)
	if want := (store.ImportCounts{New: 1, Updated: 2, Unchanged: 1, Stale: 1}); got != want {
		t.Errorf("incremental import: got %+v, want %+v", got, want)
	}
	equal(t, "advisories after the incremental import", advisories(t, s, store.AdvisoryQuery{}),
		[]store.AdvisoryRecord{d, newer, sameTime, c, e})
	// Aliases follow the stored advisory: dropped ones no longer find it,
	// those of a stale advisory never did.
	equal(t, "by a dropped alias", keys(advisories(t, s, store.AdvisoryQuery{IDs: []string{"CVE-3"}})), []string{})
	equal(t, "by an alias of the stale advisory", keys(advisories(t, s, store.AdvisoryQuery{IDs: []string{"CVE-old"}})), []string{})
	equal(t, "by a new alias", keys(advisories(t, s, store.AdvisoryQuery{IDs: []string{"GHSA-new"}})), []string{"osv/A-1"})

	// Within one import, the last occurrence of a key is the one considered
	// and counted.
	got = importAdvisories(t, s, advisory("osv", "F-1", t0, "x"), advisory("osv", "F-1", t0, "y"), advisory("osv", "A-1", t0, "z"))
	if want := (store.ImportCounts{New: 1, Stale: 1}); got != want {
		t.Errorf("import with a repeated key: got %+v, want %+v", got, want)
	}
	equal(t, "advisory of the last occurrence", advisories(t, s, store.AdvisoryQuery{IDs: []string{"F-1"}}),
		[]store.AdvisoryRecord{advisory("osv", "F-1", t0, "y")})

	// Commit applies the same rules.
	commit(t, s, &store.Batch{Advisories: []store.AdvisoryRecord{advisory("osv", "A-1", t0, "older"), advisory("osv", "C-1", t0.Add(time.Hour), "newer")}})
	equal(t, "A-1 and C-1 after Commit", advisories(t, s, store.AdvisoryQuery{Source: "osv", IDs: []string{"A-1", "C-1"}}),
		[]store.AdvisoryRecord{newer, advisory("osv", "C-1", t0.Add(time.Hour), "newer")})
}

func testAdvisoryAliases(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ghsa := advisory("osv", "GHSA-1", t0, "1", "CVE-2024-1")
	pysec := advisory("osv", "PYSEC-1", t0, "1", "CVE-2024-1", "GHSA-1")
	nvd := advisory("nvd", "CVE-2024-1", t0, "1")
	other := advisory("nvd", "CVE-2024-2", t0, "1")
	csaf := advisory("csaf", "ICSMA-1", t0, "1", "CVE-2024-2")
	commit(t, s, &store.Batch{Advisories: []store.AdvisoryRecord{ghsa, pysec, nvd, other, csaf}})
	tests := []struct {
		name string
		q    store.AdvisoryQuery
		want []string
	}{
		{"all", store.AdvisoryQuery{}, []string{"csaf/ICSMA-1", "nvd/CVE-2024-1", "nvd/CVE-2024-2", "osv/GHSA-1", "osv/PYSEC-1"}},
		{"by CVE: its own record and every alias", store.AdvisoryQuery{IDs: []string{"CVE-2024-1"}}, []string{"nvd/CVE-2024-1", "osv/GHSA-1", "osv/PYSEC-1"}},
		{"by GHSA ID, which is an alias too", store.AdvisoryQuery{IDs: []string{"GHSA-1"}}, []string{"osv/GHSA-1", "osv/PYSEC-1"}},
		{"by several", store.AdvisoryQuery{IDs: []string{"CVE-2024-2", "PYSEC-1", "unknown"}}, []string{"csaf/ICSMA-1", "nvd/CVE-2024-2", "osv/PYSEC-1"}},
		{"by source", store.AdvisoryQuery{Source: "nvd"}, []string{"nvd/CVE-2024-1", "nvd/CVE-2024-2"}},
		{"by source and alias", store.AdvisoryQuery{Source: "osv", IDs: []string{"CVE-2024-1"}}, []string{"osv/GHSA-1", "osv/PYSEC-1"}},
		{"unknown", store.AdvisoryQuery{IDs: []string{"CVE-1999-0001"}}, []string{}},
		{"unknown source", store.AdvisoryQuery{Source: "ghsa"}, []string{}},
		{"unstorable", store.AdvisoryQuery{Source: "bad\x00", IDs: []string{"\xff"}}, []string{}},
		{"case matters", store.AdvisoryQuery{IDs: []string{"cve-2024-1"}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equal(t, "advisories", keys(advisories(t, s, tt.q)), tt.want)
		})
	}
	// Many IDs in one query, more than a statement takes parameters.
	ids := make([]string, 40_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("CVE-2030-%d", i)
	}
	ids[len(ids)-1] = "CVE-2024-2"
	equal(t, "by 40k IDs", keys(advisories(t, s, store.AdvisoryQuery{IDs: ids})), []string{"csaf/ICSMA-1", "nvd/CVE-2024-2"})
}

func testAdvisoriesOrderAndStop(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var as []store.AdvisoryRecord
	for _, src := range []string{"osv", "OSV", "nvd", "csaf:ä", "csaf:b"} {
		for i := range 700 { // 3500 in all: more than one chunk, COPY in auto mode
			as = append(as, advisory(src, fmt.Sprintf("ID-%d", i), t0, strings.Repeat("r", 1500)))
		}
	}
	// Newest first in the batch, so that the store must sort.
	slices.Reverse(as)
	if got := importAdvisories(t, s, as...); got != (store.ImportCounts{New: len(as)}) {
		t.Errorf("import: got %+v, want %d new", got, len(as))
	}
	got := keys(advisories(t, s, store.AdvisoryQuery{}))
	want := keys(as)
	slices.Sort(want) // byte order: "OSV" < "csaf:b" < "csaf:ä" < "nvd" < "osv"
	equal(t, "advisory order", len(got), len(want))
	if !slices.Equal(got, want) {
		t.Errorf("advisories are not in byte order of source, ID: first %q, want %q", got[:5], want[:5])
	}
	if got := importAdvisories(t, s, as...); got != (store.ImportCounts{Unchanged: len(as)}) {
		t.Errorf("import again: got %+v, want %d unchanged", got, len(as))
	}
	stop := errors.New("stop")
	n := 0
	err := s.Advisories(t.Context(), store.AdvisoryQuery{}, func(store.AdvisoryRecord) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("Advisories stopped by fn: error %v after %d calls, want %v as it is after 3", err, n, stop)
	}
	commit(t, s, softwareSeed())
	if err := s.KEV(t.Context(), func(store.KEVRecord) error { return stop }); err != stop {
		t.Errorf("KEV stopped by fn: error %v, want %v as it is", err, stop)
	}
	if err := s.VEX(t.Context(), "", func(store.VEXRecord) error { return stop }); err != stop {
		t.Errorf("VEX stopped by fn: error %v, want %v as it is", err, stop)
	}
}

func testEPSSUpsert(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	commit(t, s, &store.Batch{EPSS: []store.EPSSRecord{
		{CVE: "CVE-1", Score: 0.5, Percentile: 0.5, Date: day(0)},
		{CVE: "CVE-2", Score: 0.5, Percentile: 0.5, Date: day(0)},
		{CVE: "CVE-3", Score: 0.5, Percentile: 0.5, Date: day(0)},
	}})
	commit(t, s, &store.Batch{EPSS: []store.EPSSRecord{
		{CVE: "CVE-1", Score: 0.1, Percentile: 0.1, Date: day(-1)},                      // older: ignored
		{CVE: "CVE-2", Score: 0.25, Percentile: 0.75, Date: day(0)},                     // same day: replaces
		{CVE: "CVE-3", Score: math.SmallestNonzeroFloat64, Percentile: 1, Date: day(1)}, // newer: replaces
		{CVE: "CVE-4", Score: 0.0001, Percentile: 0.0002, Date: day(-30)},               // new
	}})
	equal(t, "EPSS", epss(t, s), map[string]store.EPSSRecord{
		"CVE-1": {CVE: "CVE-1", Score: 0.5, Percentile: 0.5, Date: day(0)},
		"CVE-2": {CVE: "CVE-2", Score: 0.25, Percentile: 0.75, Date: day(0)},
		"CVE-3": {CVE: "CVE-3", Score: math.SmallestNonzeroFloat64, Percentile: 1, Date: day(1)},
		"CVE-4": {CVE: "CVE-4", Score: 0.0001, Percentile: 0.0002, Date: day(-30)},
	})
	// A day's full file (many scores) imported twice.
	var es []store.EPSSRecord
	for i := range 25_000 {
		es = append(es, store.EPSSRecord{CVE: fmt.Sprintf("CVE-2020-%05d", i), Score: float64(i) / 25_000, Percentile: 1 - float64(i)/25_000, Date: day(2)})
	}
	commit(t, s, &store.Batch{EPSS: es})
	commit(t, s, &store.Batch{EPSS: es})
	m := epss(t, s, es[0].CVE, es[24_999].CVE, "CVE-1")
	equal(t, "EPSS of a few after a large import", m, map[string]store.EPSSRecord{es[0].CVE: es[0], es[24_999].CVE: es[24_999],
		"CVE-1": {CVE: "CVE-1", Score: 0.5, Percentile: 0.5, Date: day(0)}})
	if n := len(epss(t, s)); n != 25_004 {
		t.Errorf("EPSS: %d scores, want 25004", n)
	}
}

func testKEVAndVEXUpsert(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	seed := softwareSeed()
	commit(t, s, &store.Batch{KEV: seed.KEV, VEX: seed.VEX})
	commit(t, s, &store.Batch{KEV: seed.KEV, VEX: seed.VEX}) // again: no change
	changed := seed.KEV[1]
	changed.Ransomware, changed.Doc = true, []byte(`{"knownRansomwareCampaignUse":"Known"}`)
	vex := store.VEXRecord{ID: "vex-4", Vulnerability: "CVE-2024-0002", Source: "b.json", Doc: []byte(`{}`)}
	commit(t, s, &store.Batch{KEV: []store.KEVRecord{changed}, VEX: []store.VEXRecord{vex}})
	equal(t, "KEV", kevs(t, s), []store.KEVRecord{changed, seed.KEV[0]})
	equal(t, "VEX of CVE-2024-0002", vexes(t, s, "CVE-2024-0002"), []store.VEXRecord{seed.VEX[2], vex})
	equal(t, "VEX of an unknown vulnerability", vexes(t, s, "CVE-1999-1"), []store.VEXRecord{})
	equal(t, "VEX of an unstorable vulnerability", vexes(t, s, "\x00"), []store.VEXRecord{})
}

func testSoftwareAtomicity(t *testing.T, open func(t *testing.T) store.Store) {
	bad := []struct {
		name   string
		defect func(b *store.Batch)
	}{
		{"sbom without version", func(b *store.Batch) { b.SBOMs[0].Version = "" }},
		{"sbom without id", func(b *store.Batch) { b.SBOMs[0].ID = "" }},
		{"sbom imported out of range", func(b *store.Batch) { b.SBOMs[0].Imported = store.MaxTime.Add(1) }},
		{"sbom nil document", func(b *store.Batch) { b.SBOMs[0].Doc = nil }},
		{"sbom negative components", func(b *store.Batch) { b.SBOMs[0].Components = -1 }},
		{"sbom id for two model versions", func(b *store.Batch) { b.SBOMs[1].ID = b.SBOMs[0].ID }},
		{"advisory without source", func(b *store.Batch) { b.Advisories[2].Source = "" }},
		{"advisory without hash", func(b *store.Batch) { b.Advisories[2].Hash = "" }},
		{"advisory empty alias", func(b *store.Batch) { b.Advisories[2].Aliases = append(b.Advisories[2].Aliases, "") }},
		{"advisory alias with NUL", func(b *store.Batch) { b.Advisories[2].Aliases = []string{"CVE\x00"} }},
		{"advisory modified before MinTime", func(b *store.Batch) { b.Advisories[2].Modified = store.MinTime.Add(-1) }},
		{"advisory nil document", func(b *store.Batch) { b.Advisories[2].Doc = nil }},
		{"kev without cve", func(b *store.Batch) { b.KEV[0].CVE = "" }},
		{"kev due date out of range", func(b *store.Batch) { b.KEV[0].DueDate = store.MaxTime.Add(1) }},
		{"epss NaN", func(b *store.Batch) { b.EPSS[0].Score = math.NaN() }},
		{"epss negative", func(b *store.Batch) { b.EPSS[0].Percentile = -0.1 }},
		{"epss above 1", func(b *store.Batch) { b.EPSS[0].Score = 1.0000001 }},
		{"epss infinite", func(b *store.Batch) { b.EPSS[0].Score = math.Inf(1) }},
		{"vex without vulnerability", func(b *store.Batch) { b.VEX[0].Vulnerability = "" }},
		{"vex id not UTF-8", func(b *store.Batch) { b.VEX[0].ID = "\xff" }},
		{"invalid device", func(b *store.Batch) { b.DeleteDevices = []string{""} }},
	}
	s := open(t)
	commit(t, s, softwareSeed())
	want := softwareSnapshot(t, s)
	// changes touches every table: the failed batch must leave them all
	// as they were.
	changes := func() *store.Batch {
		b := softwareSeed()
		for i := range b.SBOMs {
			b.SBOMs[i] = sbom(b.SBOMs[i].Vendor, b.SBOMs[i].Model, b.SBOMs[i].Version, "new-"+b.SBOMs[i].Version, 10)
		}
		for i := range b.Advisories {
			b.Advisories[i] = advisory(b.Advisories[i].Source, b.Advisories[i].ID, t0.Add(time.Hour), "new", "CVE-new")
		}
		b.KEV[0].Ransomware = false
		b.EPSS[0].Score, b.EPSS[0].Date = 0.01, t0.Add(time.Hour)
		b.VEX = append(b.VEX, store.VEXRecord{ID: "vex-new", Vulnerability: "CVE-new", Doc: []byte{}})
		return b
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			b := changes()
			tt.defect(b)
			err := s.Commit(t.Context(), b)
			if !errors.Is(err, store.ErrInvalidBatch) {
				t.Errorf("Commit: error %v, want ErrInvalidBatch", err)
			}
			if strings.HasPrefix(tt.name, "advisory") {
				if _, err := s.ImportAdvisories(t.Context(), b.Advisories); !errors.Is(err, store.ErrInvalidBatch) {
					t.Errorf("ImportAdvisories: error %v, want ErrInvalidBatch", err)
				}
			}
			equal(t, "state after the rejected batch", softwareSnapshot(t, s), want)
		})
	}
	t.Run("refused by the database", func(t *testing.T) {
		b := changes()
		b.Sightings = []store.Sighting{{DeviceID: "dev-unknown", LastSeen: t0}}
		if err := s.Commit(t.Context(), b); !errors.Is(err, store.ErrInvalidBatch) {
			t.Errorf("Commit: error %v, want ErrInvalidBatch", err)
		}
		equal(t, "state after the failed batch", softwareSnapshot(t, s), want)
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.ImportAdvisories(ctx, changes().Advisories); err == nil {
			t.Error("ImportAdvisories with a canceled context succeeded")
		}
		equal(t, "state after the canceled import", softwareSnapshot(t, s), want)
	})
}

func testSoftwareLarge(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	big := baseline("big", 8<<20).Doc
	r := sbom("Acme", "Scanner", "1", "big-sbom", 6<<20)
	a := store.AdvisoryRecord{Source: "csaf", ID: "BIG-1", Modified: t0, Hash: store.DocHash(big), Doc: big}
	small := advisory("csaf", "SMALL-1", t0, "1")
	k := store.KEVRecord{CVE: "CVE-BIG", Doc: big[:5<<20]}
	v := store.VEXRecord{ID: "vex-big", Vulnerability: "CVE-BIG", Doc: big[:5<<20]}
	commit(t, s, &store.Batch{SBOMs: []store.SBOMRecord{r}, Advisories: []store.AdvisoryRecord{small, a}, KEV: []store.KEVRecord{k}, VEX: []store.VEXRecord{v}})
	got := getSBOM(t, s, r.ID)
	if !bytes.Equal(got.Doc, r.Doc) {
		t.Errorf("SBOM of %d bytes: read back %d bytes, not the same", len(r.Doc), len(got.Doc))
	}
	as := advisories(t, s, store.AdvisoryQuery{})
	if len(as) != 2 || !bytes.Equal(as[0].Doc, big) || !bytes.Equal(as[1].Doc, small.Doc) {
		t.Errorf("advisories with an 8 MiB document did not read back byte for byte")
	}
	if ks := kevs(t, s); len(ks) != 1 || !bytes.Equal(ks[0].Doc, k.Doc) {
		t.Error("a 5 MiB KEV document did not read back byte for byte")
	}
	if vs := vexes(t, s, "CVE-BIG"); len(vs) != 1 || !bytes.Equal(vs[0].Doc, v.Doc) {
		t.Error("a 5 MiB VEX document did not read back byte for byte")
	}
	if c := importAdvisories(t, s, a, small); c != (store.ImportCounts{Unchanged: 2}) {
		t.Errorf("import of large advisories again: %+v, want 2 unchanged", c)
	}
}
