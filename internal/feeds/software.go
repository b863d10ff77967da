package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/sbom"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Software-risk reference data is imported into the store rather than
// kept as files: vulnerability advisories (OSV, NVD, CSAF), VEX
// statements, the CISA KEV catalog, EPSS scores, and the SBOMs of device
// models. Each record is stored as the JSON of its parser's model; the
// store makes re-import idempotent and incremental.

// Kinds of software-risk feed.
const (
	OSV  = "osv"
	NVD  = "nvd"
	CSAF = "csaf"
	VEX  = "vex"
	KEV  = "kev"
	EPSS = "epss"
)

// SoftwareKinds lists the software-risk feed kinds.
var SoftwareKinds = []string{OSV, NVD, CSAF, VEX, KEV, EPSS}

// importChunk is how many records one transaction holds: an interrupted
// import keeps what it committed, and a re-run skips it as unchanged.
const importChunk = 5000

// Report says what one import did.
type Report struct {
	Kind, Path string
	Read       int
	// New, Updated, Unchanged and Stale count advisories (Stale: older
	// than the stored record).
	store.ImportCounts
	// Stored counts the VEX statements, KEV entries and EPSS scores
	// written (the store leaves an identical record as it was).
	Stored int
	// Rejected lists the documents or records that were not imported,
	// each with its path and position.
	Rejected []string
}

// ImportSoftware reads a software-risk feed of the given kind at path (a
// file or folder) into the store. Bad documents are reported and skipped;
// the good ones are imported.
func ImportSoftware(ctx context.Context, st store.Store, kind, path string) (*Report, error) {
	rep := &Report{Kind: kind, Path: path}
	w := &writer{ctx: ctx, st: st, rep: rep}
	var err error
	switch kind {
	case OSV, NVD:
		read := advisory.ReadOSV
		if kind == NVD {
			read = advisory.ReadNVD
		}
		err = read(path, func(a *advisory.Advisory) error {
			return w.advisory(a.Source, a.ID, a.Aliases, a.Modified, a)
		})
	case CSAF:
		var r csaf.Report
		r, err = csaf.ReadCSAF(path, func(a *csaf.Advisory) error {
			var cves []string
			for _, v := range a.Vulnerabilities {
				if v.CVE != "" && !slices.Contains(cves, v.CVE) {
					cves = append(cves, v.CVE)
				}
			}
			return w.advisory(CSAF, a.ID, cves, a.Current, a)
		})
		rep.addCSAF(r)
	case VEX:
		var r csaf.Report
		r, err = csaf.ReadVEX(path, func(s csaf.Statement) error {
			doc, err := json.Marshal(s)
			if err != nil {
				return err
			}
			return w.add(&store.Batch{VEX: []store.VEXRecord{{ID: store.DocHash(doc), Vulnerability: s.Vulnerability, Source: s.Format, Doc: doc}}})
		})
		rep.addCSAF(r)
	case KEV:
		err = advisory.ReadKEV(path, func(k advisory.KEV) error {
			doc, err := json.Marshal(k)
			if err != nil {
				return err
			}
			return w.add(&store.Batch{KEV: []store.KEVRecord{{CVE: k.CVE, DateAdded: k.DateAdded, DueDate: k.DueDate, Ransomware: k.KnownRansomware, Doc: doc}}})
		})
	case EPSS:
		var meta advisory.EPSSMeta
		var rows []advisory.EPSS
		meta, err = advisory.ReadEPSS(path, func(e advisory.EPSS) error {
			rows = append(rows, e)
			return nil
		})
		// The score date comes with the file's first line: records are
		// stored once it is known.
		date := meta.ScoreDate
		if date.IsZero() {
			rep.Rejected = append(rep.Rejected, path+": no score date in the file's comment line; scores stored without a date")
		}
		for _, e := range rows {
			if werr := w.add(&store.Batch{EPSS: []store.EPSSRecord{{CVE: e.CVE, Score: e.Score, Percentile: e.Percentile, Date: date}}}); werr != nil {
				return rep, werr
			}
		}
	default:
		return nil, fmt.Errorf("%q: %w", kind, ErrUnknownKind)
	}
	if err = rep.takeRejections(err); err != nil {
		return rep, err
	}
	return rep, w.flush()
}

// takeRejections moves the advisory readers' rejected records into the
// report and returns what remains: the error that stopped the read, if
// any (readers join it with the rejections).
func (r *Report) takeRejections(err error) error {
	var rejected *advisory.Rejected
	if !errors.As(err, &rejected) {
		return err
	}
	for _, e := range rejected.Errors {
		r.Rejected = append(r.Rejected, e.Error())
	}
	if err == error(rejected) {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if e != error(rejected) {
				return e
			}
		}
	}
	return nil
}

func (r *Report) addCSAF(cr csaf.Report) {
	for _, rej := range cr.Rejected {
		r.Rejected = append(r.Rejected, rej.String())
	}
}

// writer batches records into transactions of importChunk.
type writer struct {
	ctx   context.Context
	st    store.Store
	rep   *Report
	advs  []store.AdvisoryRecord
	batch store.Batch
	n     int
}

func (w *writer) advisory(source, id string, aliases []string, modified time.Time, model any) error {
	doc, err := json.Marshal(model)
	if err != nil {
		return fmt.Errorf("%s %s: %w", source, id, err)
	}
	w.rep.Read++
	w.advs = append(w.advs, store.AdvisoryRecord{Source: source, ID: id, Aliases: aliases, Modified: modified.UTC(),
		Hash: store.DocHash(doc), Doc: doc})
	if len(w.advs) >= importChunk {
		return w.flush()
	}
	return nil
}

func (w *writer) add(b *store.Batch) error {
	w.rep.Read++
	w.batch.KEV = append(w.batch.KEV, b.KEV...)
	w.batch.EPSS = append(w.batch.EPSS, b.EPSS...)
	w.batch.VEX = append(w.batch.VEX, b.VEX...)
	w.n++
	if w.n >= importChunk {
		return w.flush()
	}
	return nil
}

func (w *writer) flush() error {
	if len(w.advs) > 0 {
		c, err := w.st.ImportAdvisories(w.ctx, w.advs)
		if err != nil {
			return err
		}
		w.rep.New += c.New
		w.rep.Updated += c.Updated
		w.rep.Unchanged += c.Unchanged
		w.rep.Stale += c.Stale
		w.advs = w.advs[:0]
	}
	if w.n > 0 {
		if err := w.st.Commit(w.ctx, &w.batch); err != nil {
			return err
		}
		w.rep.Stored += w.n
		w.batch, w.n = store.Batch{}, 0
	}
	return nil
}

// SBOMImport says which device model and firmware version an SBOM
// describes.
type SBOMImport struct {
	Vendor, Model, Version string
}

// ImportSBOM parses the SBOM at path and stores it as the SBOM of the
// given model version (replacing an earlier one; importing the same file
// again changes nothing). It returns the stored record (without its
// document) and the parser's warnings.
func ImportSBOM(ctx context.Context, st store.Store, path string, to SBOMImport, now time.Time) (store.SBOMRecord, []sbom.Warning, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return store.SBOMRecord{}, nil, err
	}
	return ImportSBOMBytes(ctx, st, path, raw, to, now)
}

// ImportSBOMBytes is ImportSBOM for an SBOM held in memory (an upload);
// name says where it came from in messages and in the record's Source.
func ImportSBOMBytes(ctx context.Context, st store.Store, name string, raw []byte, to SBOMImport, now time.Time) (store.SBOMRecord, []sbom.Warning, error) {
	if strings.TrimSpace(to.Vendor) == "" || strings.TrimSpace(to.Model) == "" || strings.TrimSpace(to.Version) == "" {
		return store.SBOMRecord{}, nil, ErrSBOMTarget
	}
	doc, warns, err := sbom.Parse(bytes.NewReader(raw), name)
	if err != nil {
		return store.SBOMRecord{}, warns, err
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return store.SBOMRecord{}, warns, err
	}
	sum := sha256.Sum256(raw)
	rec := store.SBOMRecord{ID: hex.EncodeToString(sum[:]), Vendor: to.Vendor, Model: to.Model, Version: to.Version,
		Format: doc.Format, SpecVersion: doc.SpecVersion, Name: doc.Name, Components: len(doc.Components),
		Source: name, Imported: now.UTC(), Doc: js}
	if err := st.Commit(ctx, &store.Batch{SBOMs: []store.SBOMRecord{rec}}); err != nil {
		return store.SBOMRecord{}, warns, err
	}
	rec.Doc = nil
	return rec, warns, nil
}

// ErrSBOMTarget is returned for an SBOM import without its vendor, model
// and version.
var ErrSBOMTarget = errors.New("an SBOM belongs to a device model and firmware version: vendor, model and version are required")
