package codec

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-iomt/vigil/internal/store"
)

// SBOM is one row of the sboms table.
type SBOM struct {
	ID, Vendor, Model, Version, Format, SpecVersion, Name, Source string
	Components, Imported                                          int64
	Doc                                                           []byte
}

// Advisory is one row of the advisories table. Aliases is the JSON array
// of the advisory's aliases, sorted, each once; the advisory_aliases rows
// are derived from it.
type Advisory struct {
	Source, ID, Aliases, Hash string
	Modified                  int64
	Doc                       []byte
}

// KEV is one row of the kev table.
type KEV struct {
	CVE                string
	DateAdded, DueDate int64
	Ransomware         bool
	Doc                []byte
}

// EPSS is one row of the epss table.
type EPSS struct {
	CVE               string
	Score, Percentile float64
	Date              int64
}

func (p *Plan) planSoftware() {
	b := p.b
	p.SBOMs = make([]SBOM, len(b.SBOMs))
	for i := range b.SBOMs {
		r := &b.SBOMs[i]
		p.SBOMs[i] = SBOM{ID: r.ID, Vendor: r.Vendor, Model: r.Model, Version: r.Version, Format: r.Format,
			SpecVersion: r.SpecVersion, Name: r.Name, Source: r.Source, Components: int64(r.Components),
			Imported: Nanos(r.Imported), Doc: r.Doc}
	}
	p.SBOMs = lastByKey(p.SBOMs, func(a, b SBOM) int {
		return cmp.Or(strings.Compare(a.Vendor, b.Vendor), strings.Compare(a.Model, b.Model), strings.Compare(a.Version, b.Version))
	})
	p.Advisories = make([]Advisory, len(b.Advisories))
	for i := range b.Advisories {
		a := &b.Advisories[i]
		p.Advisories[i] = Advisory{Source: a.Source, ID: a.ID, Aliases: EncodeAliases(a.Aliases), Hash: a.Hash,
			Modified: Nanos(a.Modified), Doc: a.Doc}
	}
	p.Advisories = lastByKey(p.Advisories, func(a, b Advisory) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.ID, b.ID))
	})
	p.KEV = make([]KEV, len(b.KEV))
	for i := range b.KEV {
		k := &b.KEV[i]
		p.KEV[i] = KEV{CVE: k.CVE, DateAdded: Nanos(k.DateAdded), DueDate: Nanos(k.DueDate), Ransomware: k.Ransomware, Doc: k.Doc}
	}
	p.KEV = lastByKey(p.KEV, func(a, b KEV) int { return strings.Compare(a.CVE, b.CVE) })
	p.EPSS = make([]EPSS, len(b.EPSS))
	for i := range b.EPSS {
		e := &b.EPSS[i]
		p.EPSS[i] = EPSS{CVE: e.CVE, Score: e.Score, Percentile: e.Percentile, Date: Nanos(e.Date)}
	}
	p.EPSS = lastByKey(p.EPSS, func(a, b EPSS) int { return strings.Compare(a.CVE, b.CVE) })
	p.VEX = lastByKey(slices.Clone(b.VEX), func(a, b store.VEXRecord) int { return strings.Compare(a.ID, b.ID) })
}

// EncodeAliases returns the aliases column of aliases: a JSON array,
// sorted, each once, "[]" for none.
func EncodeAliases(aliases []string) string {
	as := slices.Clone(aliases)
	slices.Sort(as)
	as = slices.Compact(as)
	if as == nil {
		as = []string{}
	}
	out, _ := json.Marshal(as) // strings always encode
	return string(out)
}

// DecodeAliases decodes an aliases column: nil for none.
func DecodeAliases(col string) ([]string, error) {
	var as []string
	if err := json.Unmarshal([]byte(col), &as); err != nil {
		return nil, fmt.Errorf("aliases: %w", err)
	}
	if len(as) == 0 {
		return nil, nil
	}
	return as, nil
}

// Record is the SBOM of a row read back; Doc is as read (nil when not).
func (r SBOM) Record() store.SBOMRecord {
	return store.SBOMRecord{ID: r.ID, Vendor: r.Vendor, Model: r.Model, Version: r.Version, Format: r.Format,
		SpecVersion: r.SpecVersion, Name: r.Name, Components: int(r.Components), Source: r.Source,
		Imported: Time(r.Imported), Doc: r.Doc}
}

// Record is the advisory of a row read back; its document is never nil.
func (a Advisory) Record() (store.AdvisoryRecord, error) {
	aliases, err := DecodeAliases(a.Aliases)
	if err != nil {
		return store.AdvisoryRecord{}, fmt.Errorf("advisory %q/%q: %w", a.Source, a.ID, err)
	}
	return store.AdvisoryRecord{Source: a.Source, ID: a.ID, Aliases: aliases, Modified: Time(a.Modified),
		Hash: a.Hash, Doc: NonNil(a.Doc)}, nil
}

// Record is the KEV entry of a row read back; its document is never nil.
func (k KEV) Record() store.KEVRecord {
	return store.KEVRecord{CVE: k.CVE, DateAdded: Time(k.DateAdded), DueDate: Time(k.DueDate), Ransomware: k.Ransomware, Doc: NonNil(k.Doc)}
}

// Record is the EPSS score of a row read back.
func (e EPSS) Record() store.EPSSRecord {
	return store.EPSSRecord{CVE: e.CVE, Score: e.Score, Percentile: e.Percentile, Date: Time(e.Date)}
}

// NonNil returns doc, or an empty document for nil: a stored document
// reads back non-nil.
func NonNil(doc []byte) []byte {
	if doc == nil {
		return []byte{}
	}
	return doc
}
