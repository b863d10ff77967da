package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// SBOMRecord is an imported SBOM: the document (normalized JSON written by
// internal/sbom) and the device model and firmware version it describes.
// A model version has at most one SBOM.
type SBOMRecord struct {
	// ID is the hex SHA-256 of the imported file's bytes: the same file
	// imported twice is the same SBOM. IDs are unique: one file describes
	// one model version.
	ID string
	// Vendor, Model and Version name the device model and firmware version
	// the SBOM describes; all three are required, and together they are
	// the record's key.
	Vendor, Model, Version string
	// Format (e.g. "cyclonedx", "spdx"), SpecVersion and Name describe the
	// document; Components is how many components it lists.
	Format, SpecVersion, Name string
	Components                int
	// Source is the path the SBOM was imported from.
	Source string
	// Imported is when it was imported (wall clock).
	Imported time.Time
	// Doc is stored and returned byte for byte; it may be empty, not nil.
	// SBOMs (the listing) leaves it nil; SBOM returns it.
	Doc []byte
}

// AdvisoryRecord is one vulnerability advisory (an OSV entry, an NVD CVE,
// a CSAF document…) as its parser normalized it.
type AdvisoryRecord struct {
	// Source is the feed it came from (e.g. "osv", "nvd", "csaf:cisa"),
	// ID its identifier in that feed; (Source, ID) is the key.
	Source, ID string
	// Aliases are the other identifiers of the same vulnerability (the CVE
	// of a GHSA…): Advisories finds the advisory by any of them. They are
	// stored sorted, each once; none reads back as nil.
	Aliases []string
	// Modified is when the feed last changed the advisory. An import never
	// replaces a stored advisory with one modified earlier.
	Modified time.Time
	// Hash is the hex SHA-256 of Doc (see DocHash); with Modified, it tells
	// a changed advisory from one imported again.
	Hash string
	// Doc is stored and returned byte for byte; it may be empty, not nil.
	Doc []byte
}

// KEVRecord is one entry of CISA's Known Exploited Vulnerabilities
// catalog, keyed by CVE.
type KEVRecord struct {
	CVE                string
	DateAdded, DueDate time.Time
	// Ransomware is whether the entry says it is known to be used in
	// ransomware campaigns.
	Ransomware bool
	// Doc is stored and returned byte for byte; it may be empty, not nil.
	Doc []byte
}

// EPSSRecord is the FIRST EPSS score of one CVE on one day, keyed by CVE.
type EPSSRecord struct {
	CVE string
	// Score and Percentile are probabilities in [0, 1].
	Score, Percentile float64
	// Date is the day the score was published for.
	Date time.Time
}

// VEXRecord is one VEX statement (CycloneDX VEX, OpenVEX or CSAF VEX):
// what a supplier says about one vulnerability's effect on its products.
type VEXRecord struct {
	// ID is a hash of the statement, which makes it its key: the same
	// statement imported twice is stored once.
	ID string
	// Vulnerability is the ID the statement is about (a CVE…); Source is
	// the document it came from.
	Vulnerability, Source string
	// Doc is stored and returned byte for byte; it may be empty, not nil.
	Doc []byte
}

// SBOMQuery filters SBOMs. Zero values do not filter.
type SBOMQuery struct {
	Vendor, Model, Version string
}

// AdvisoryQuery filters Advisories. Zero values do not filter.
type AdvisoryQuery struct {
	// Source keeps the advisories of one feed.
	Source string
	// IDs keeps the advisories whose ID, or one of whose aliases, is one
	// of these; nil or empty does not filter.
	IDs []string
}

// ImportCounts says what ImportAdvisories did with the advisories it was
// given, each (Source, ID) counted once (the last occurrence in the
// input, which is the one considered): New + Updated + Unchanged + Stale
// is the number of distinct keys.
type ImportCounts struct {
	// New advisories were not stored before.
	New int
	// Updated advisories replaced a stored one modified earlier, or one
	// modified at the same time whose hash differed.
	Updated int
	// Unchanged advisories were stored already, with the same Modified
	// and Hash: nothing was written.
	Unchanged int
	// Stale advisories were older than the stored one (an earlier
	// Modified), which was kept.
	Stale int
}

// DocHash returns the hex SHA-256 of doc, the AdvisoryRecord.Hash of a
// document.
func DocHash(doc []byte) string {
	h := sha256.Sum256(doc)
	return hex.EncodeToString(h[:])
}

// validateSoftware reports, with bad, the problems of the batch's
// software-risk records (see Batch.Validate).
func (b *Batch) validateSoftware(bad func(format string, args ...any)) {
	type modelVersion struct{ vendor, model, version string }
	sbomKey := make(map[modelVersion]string, len(b.SBOMs)) // last ID of each model version
	for i := range b.SBOMs {
		r := &b.SBOMs[i]
		for _, f := range []struct{ name, v string }{
			{"id", r.ID}, {"vendor", r.Vendor}, {"model", r.Model}, {"version", r.Version},
		} {
			if f.v == "" {
				bad("sboms[%d]: empty %s", i, f.name)
			}
		}
		for _, f := range []struct{ name, v string }{
			{"id", r.ID}, {"vendor", r.Vendor}, {"model", r.Model}, {"version", r.Version}, {"format", r.Format},
			{"spec version", r.SpecVersion}, {"name", r.Name}, {"source", r.Source},
		} {
			if !validText(f.v) {
				bad("sboms[%d]: %s %q is not valid UTF-8 without NUL", i, f.name, f.v)
			}
		}
		if r.Components < 0 {
			bad("sboms[%d] %q: negative component count %d", i, r.ID, r.Components)
		}
		if !timeInRange(r.Imported) {
			bad("sboms[%d] %q: imported %s out of range", i, r.ID, r.Imported)
		}
		if r.Doc == nil {
			bad("sboms[%d] %q: nil document", i, r.ID)
		}
		sbomKey[modelVersion{r.Vendor, r.Model, r.Version}] = r.ID
	}
	owner := make(map[string]modelVersion, len(sbomKey))
	for k, id := range sbomKey {
		if o, ok := owner[id]; ok {
			a, b := o, k
			if fmtKey(a.vendor, a.model, a.version) > fmtKey(b.vendor, b.model, b.version) {
				a, b = b, a
			}
			bad("sboms: id %q given to two model versions, %s and %s", id,
				fmtKey(a.vendor, a.model, a.version), fmtKey(b.vendor, b.model, b.version))
		}
		owner[id] = k
	}
	for i := range b.Advisories {
		a := &b.Advisories[i]
		if a.Source == "" || a.ID == "" {
			bad("advisories[%d]: empty source or id (%q, %q)", i, a.Source, a.ID)
		}
		if !validText(a.Source) || !validText(a.ID) {
			bad("advisories[%d]: source %q or id %q is not valid UTF-8 without NUL", i, a.Source, a.ID)
		}
		if a.Hash == "" || !validText(a.Hash) {
			bad("advisories[%d] %q: hash %q is empty or not valid UTF-8 without NUL", i, a.ID, a.Hash)
		}
		for j, alias := range a.Aliases {
			if alias == "" || !validText(alias) {
				bad("advisories[%d] %q: aliases[%d] %q is empty or not valid UTF-8 without NUL", i, a.ID, j, alias)
			}
		}
		if !timeInRange(a.Modified) {
			bad("advisories[%d] %q: modified %s out of range", i, a.ID, a.Modified)
		}
		if a.Doc == nil {
			bad("advisories[%d] %q: nil document", i, a.ID)
		}
	}
	for i := range b.KEV {
		k := &b.KEV[i]
		switch {
		case k.CVE == "":
			bad("kev[%d]: empty cve", i)
		case !validText(k.CVE):
			bad("kev[%d]: cve %q is not valid UTF-8 without NUL", i, k.CVE)
		}
		if !timeInRange(k.DateAdded) || !timeInRange(k.DueDate) {
			bad("kev[%d] %q: date added or due date out of range", i, k.CVE)
		}
		if k.Doc == nil {
			bad("kev[%d] %q: nil document", i, k.CVE)
		}
	}
	for i := range b.EPSS {
		e := &b.EPSS[i]
		switch {
		case e.CVE == "":
			bad("epss[%d]: empty cve", i)
		case !validText(e.CVE):
			bad("epss[%d]: cve %q is not valid UTF-8 without NUL", i, e.CVE)
		}
		if !(e.Score >= 0 && e.Score <= 1) { // false for NaN
			bad("epss[%d] %q: score %v outside [0, 1]", i, e.CVE, e.Score)
		}
		if !(e.Percentile >= 0 && e.Percentile <= 1) {
			bad("epss[%d] %q: percentile %v outside [0, 1]", i, e.CVE, e.Percentile)
		}
		if !timeInRange(e.Date) {
			bad("epss[%d] %q: date %s out of range", i, e.CVE, e.Date)
		}
	}
	for i := range b.VEX {
		v := &b.VEX[i]
		if v.ID == "" || v.Vulnerability == "" {
			bad("vex[%d]: empty id or vulnerability (%q, %q)", i, v.ID, v.Vulnerability)
		}
		for _, f := range []struct{ name, v string }{{"id", v.ID}, {"vulnerability", v.Vulnerability}, {"source", v.Source}} {
			if !validText(f.v) {
				bad("vex[%d]: %s %q is not valid UTF-8 without NUL", i, f.name, f.v)
			}
		}
		if v.Doc == nil {
			bad("vex[%d] %q: nil document", i, v.ID)
		}
	}
}

func fmtKey(vendor, model, version string) string {
	return strconv.Quote(vendor) + "/" + strconv.Quote(model) + "/" + strconv.Quote(version)
}
