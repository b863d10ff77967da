package advisory

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// ReadOSV reads OSV records (schema 1.x) from path: a .json file holding one
// record or an array of records, plain or gzip; a .zip of them (osv.dev's
// per-ecosystem all.zip); or a folder tree of such files, walked in lexical
// order. Each good record is passed to fn as it is read.
//
// A bad record is skipped and reported; the error returned then holds a
// *Rejected listing each with its file and JSON pointer, and every good
// record was still passed to fn. An error from fn, or a path that cannot be
// opened, stops the read and is returned.
func ReadOSV(path string, fn func(*Advisory) error) error {
	var rep report
	err := walkFiles(path, func(name string) bool {
		return hasSuffixFold(name, ".json", ".json.gz", ".zip")
	}, func(p string) error {
		return readJSONFiles(p, &rep, func(name string, r io.Reader) error {
			return readOSVStream(name, r, &rep, fn)
		})
	})
	return rep.result(unwrapCallback(err))
}

// readJSONFiles opens path and calls each for its content, or for every
// .json entry of it when it is a zip archive (entries in name order).
func readJSONFiles(path string, rep *report, each func(name string, r io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(4)
	if string(magic) != "PK\x03\x04" {
		r, err := maybeGzip(br)
		if err != nil {
			rep.add(&ParseError{Path: path, Err: err})
			return nil
		}
		return each(path, r)
	}
	info, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, info.Size())
	if err != nil {
		rep.add(&ParseError{Path: path, Err: err})
		return nil
	}
	files := slices.Clone(zr.File)
	slices.SortStableFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	for _, zf := range files {
		if zf.FileInfo().IsDir() || !hasSuffixFold(zf.Name, ".json") {
			continue
		}
		name := path + "!" + zf.Name
		rc, err := zf.Open()
		if err != nil {
			rep.add(&ParseError{Path: name, Err: err})
			continue
		}
		err = each(name, bufio.NewReaderSize(rc, 64<<10))
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// readOSVStream reads one JSON document: an OSV record or an array of them.
func readOSVStream(name string, r io.Reader, rep *report, fn func(*Advisory) error) error {
	br := bufio.NewReader(r)
	switch firstByte(br) {
	case '{':
		// A single record: small, read whole so that even a syntax error
		// gets its pointer.
		data, err := io.ReadAll(br)
		if err != nil {
			rep.addJSON(name, "", err)
			return nil
		}
		return emitOSV(name, "", data, rep, fn)
	case '[':
	default:
		rep.addJSON(name, "", errors.New("neither an OSV record nor an array of them"))
		return nil
	}
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		rep.addJSON(name, "", err)
		return nil
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// The stream is broken: nothing after this can be trusted.
			rep.addJSON(name, pointer("", i), err)
			return nil
		}
		if err := emitOSV(name, pointer("", i), raw, rep, fn); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		rep.addJSON(name, "", err)
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		rep.addJSON(name, "", errors.New("data after the end of the document"))
	}
	return nil
}

// firstByte returns the first byte of br that is not white space or a
// UTF-8 byte order mark (which it skips), without consuming it; 0 at the end.
func firstByte(br *bufio.Reader) byte {
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
		default:
			return b[0]
		}
	}
}

// emitOSV converts one raw record and passes it on, or reports it.
func emitOSV(name, base string, raw []byte, rep *report, fn func(*Advisory) error) error {
	adv, err := parseOSV(raw)
	if err != nil {
		reportField(rep, name, base, err)
		return nil
	}
	if err := fn(adv); err != nil {
		return callbackError{err}
	}
	return nil
}

// reportField records err, a *fieldError relative to base, against name.
func reportField(rep *report, name, base string, err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		rep.addJSON(name, base+fe.ptr, fe.err)
		return
	}
	rep.addJSON(name, base, err)
}

type osvRecord struct {
	SchemaVersion    string          `json:"schema_version"`
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Related          []string        `json:"related"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	References       []osvReference  `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package *struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		PURL      string `json:"purl"`
	} `json:"package"`
	Severity []osvSeverity `json:"severity"`
	Ranges   []struct {
		Type   string `json:"type"`
		Repo   string `json:"repo"`
		Events []struct {
			Introduced   *string `json:"introduced"`
			Fixed        *string `json:"fixed"`
			LastAffected *string `json:"last_affected"`
			Limit        *string `json:"limit"`
		} `json:"events"`
	} `json:"ranges"`
	Versions []string `json:"versions"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// parseOSV decodes and checks one OSV record.
func parseOSV(raw []byte) (*Advisory, error) {
	var rec osvRecord
	if err := unmarshal(raw, &rec); err != nil {
		return nil, err
	}
	if strings.TrimSpace(rec.ID) == "" {
		return nil, errAt("/id", "missing record id")
	}
	adv := &Advisory{
		ID:      rec.ID,
		Source:  SourceOSV,
		Summary: rec.Summary,
		Details: rec.Details,
	}
	var err error
	if rec.Modified == "" {
		return nil, errAt("/modified", "missing modified time")
	}
	for _, t := range []struct {
		ptr string
		val string
		dst *time.Time
	}{{"/modified", rec.Modified, &adv.Modified}, {"/published", rec.Published, &adv.Published}, {"/withdrawn", rec.Withdrawn, &adv.Withdrawn}} {
		if t.val == "" {
			continue
		}
		if *t.dst, err = parseTime(t.val); err != nil {
			return nil, &fieldError{ptr: t.ptr, err: err}
		}
	}
	adv.Aliases = cveFirst(rec.ID, rec.Aliases)
	adv.Related = appendUnique(nil, rec.Related...)
	if adv.Severity, err = osvScores("/severity", rec.Severity); err != nil {
		return nil, err
	}
	for _, ref := range rec.References {
		adv.References = appendUnique(adv.References, ref.URL)
	}
	var dbs struct {
		CWEIDs []string `json:"cwe_ids"`
		CPEs   []string `json:"cpes"`
	}
	// database_specific is free-form: what does not fit is ignored.
	if len(rec.DatabaseSpecific) > 0 && json.Unmarshal(rec.DatabaseSpecific, &dbs) == nil {
		adv.CWEs = appendUnique(nil, dbs.CWEIDs...)
		adv.CPEs = appendUnique(nil, dbs.CPEs...)
	}
	for i, a := range rec.Affected {
		base := pointer("/affected", i)
		var aff Affected
		if a.Package != nil {
			if a.Package.Ecosystem == "" {
				return nil, errAt(base+"/package/ecosystem", "missing ecosystem")
			}
			if a.Package.Name == "" {
				return nil, errAt(base+"/package/name", "missing package name")
			}
			aff.Ecosystem, aff.Name, aff.PURL = a.Package.Ecosystem, a.Package.Name, a.Package.PURL
		}
		if aff.Severity, err = osvScores(base+"/severity", a.Severity); err != nil {
			return nil, err
		}
		aff.Versions = a.Versions
		for j, r := range a.Ranges {
			rp := pointer(base+"/ranges", j)
			switch r.Type {
			case "SEMVER", "ECOSYSTEM":
			case "GIT":
				if r.Repo == "" {
					return nil, errAt(rp+"/repo", "GIT range without repo")
				}
			default:
				return nil, errAt(rp+"/type", "unknown range type %q", r.Type)
			}
			if len(r.Events) == 0 {
				return nil, errAt(rp+"/events", "range without events")
			}
			rg := Range{Type: r.Type, Repo: r.Repo, Events: make([]Event, len(r.Events))}
			for k, e := range r.Events {
				n := 0
				for _, p := range []struct {
					src *string
					dst *string
				}{{e.Introduced, &rg.Events[k].Introduced}, {e.Fixed, &rg.Events[k].Fixed}, {e.LastAffected, &rg.Events[k].LastAffected}, {e.Limit, &rg.Events[k].Limit}} {
					if p.src != nil {
						n++
						*p.dst = *p.src
					}
				}
				if n != 1 {
					return nil, errAt(pointer(rp+"/events", k), "an event needs exactly one of introduced, fixed, last_affected, limit; has %d", n)
				}
			}
			aff.Ranges = append(aff.Ranges, rg)
		}
		if a.Package == nil && len(aff.Ranges) == 0 && len(aff.Versions) == 0 {
			return nil, errAt(base, "affected entry names no package, range or version")
		}
		adv.Affected = append(adv.Affected, aff)
	}
	return adv, nil
}

func osvScores(base string, in []osvSeverity) ([]Score, error) {
	var out []Score
	for i, s := range in {
		if s.Type == "" {
			return nil, errAt(pointer(base, i, "type"), "missing severity type")
		}
		if s.Score == "" {
			return nil, errAt(pointer(base, i, "score"), "missing severity score")
		}
		out = append(out, Score{Type: s.Type, Vector: s.Score})
	}
	return out, nil
}

// cveFirst returns ids without duplicates and without self, CVE IDs first,
// each group in the given order.
func cveFirst(self string, ids []string) []string {
	var cves, others []string
	for _, id := range ids {
		if id == self || id == "" || slices.Contains(cves, id) || slices.Contains(others, id) {
			continue
		}
		if isCVE(id) {
			cves = append(cves, id)
		} else {
			others = append(others, id)
		}
	}
	return append(cves, others...)
}
