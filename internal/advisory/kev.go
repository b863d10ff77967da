package advisory

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ReadKEV reads the CISA Known Exploited Vulnerabilities catalog from path:
// the JSON catalog ({"catalogVersion":…,"vulnerabilities":[…]}), whose
// entries are streamed, or its CSV export (columns matched by header name);
// plain or gzip, told apart by content. Each good entry is passed to fn.
//
// A bad entry is skipped and reported with its JSON pointer or CSV line; the
// error returned then holds a *Rejected, and every good entry was still
// passed to fn. An error from fn, or a path that cannot be opened, stops the
// read and is returned.
func ReadKEV(path string, fn func(KEV) error) error {
	f, err := openFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var rep report
	err = readKEVStream(path, f, &rep, fn)
	return rep.result(unwrapCallback(err))
}

func readKEVStream(name string, r io.Reader, rep *report, fn func(KEV) error) error {
	br := bufio.NewReader(r)
	if firstByte(br) == '{' {
		return readKEVJSON(name, br, rep, fn)
	}
	return readKEVCSV(name, br, rep, fn)
}

// kevDate is the catalog's date layout.
const kevDate = "2006-01-02"

type kevEntry struct {
	CVEID             string   `json:"cveID"`
	VendorProject     string   `json:"vendorProject"`
	Product           string   `json:"product"`
	VulnerabilityName string   `json:"vulnerabilityName"`
	DateAdded         string   `json:"dateAdded"`
	ShortDescription  string   `json:"shortDescription"`
	RequiredAction    string   `json:"requiredAction"`
	DueDate           string   `json:"dueDate"`
	KnownRansomware   string   `json:"knownRansomwareCampaignUse"`
	Notes             string   `json:"notes"`
	CWEs              []string `json:"cwes"`
}

// toKEV checks an entry; a failure names the field (the JSON member name,
// also the CSV column name).
func (e *kevEntry) toKEV() (KEV, string, error) {
	k := KEV{
		CVE:            e.CVEID,
		VendorProject:  e.VendorProject,
		Product:        e.Product,
		Name:           e.VulnerabilityName,
		Description:    e.ShortDescription,
		RequiredAction: e.RequiredAction,
		Notes:          e.Notes,
		CWEs:           appendUnique(nil, e.CWEs...),
	}
	if !isCVE(e.CVEID) {
		return k, "cveID", fmt.Errorf("bad CVE id %q", e.CVEID)
	}
	var err error
	if k.DateAdded, err = time.Parse(kevDate, e.DateAdded); err != nil {
		return k, "dateAdded", fmt.Errorf("bad date %q", e.DateAdded)
	}
	if k.DueDate, err = time.Parse(kevDate, e.DueDate); err != nil {
		return k, "dueDate", fmt.Errorf("bad date %q", e.DueDate)
	}
	switch e.KnownRansomware {
	case "Known":
		k.KnownRansomware = true
	case "Unknown", "": // absent from catalogs before October 2023
	default:
		return k, "knownRansomwareCampaignUse", fmt.Errorf("%q is not Known or Unknown", e.KnownRansomware)
	}
	return k, "", nil
}

func readKEVJSON(name string, r io.Reader, rep *report, fn func(KEV) error) error {
	dec := json.NewDecoder(r)
	dec.Token() // '{', checked by the caller
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			rep.addJSON(name, "", err)
			return nil
		}
		if tok != "vulnerabilities" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				rep.addJSON(name, pointer("", fmt.Sprint(tok)), err)
				return nil
			}
			continue
		}
		seen = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			rep.addJSON(name, "/vulnerabilities", errors.New("an array is expected"))
			return nil
		}
		for i := 0; dec.More(); i++ {
			base := pointer("/vulnerabilities", i)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				rep.addJSON(name, base, err)
				return nil
			}
			var e kevEntry
			if err := unmarshal(raw, &e); err != nil {
				reportField(rep, name, base, err)
				continue
			}
			k, field, err := e.toKEV()
			if err != nil {
				rep.addJSON(name, pointer(base, field), err)
				continue
			}
			if err := fn(k); err != nil {
				return callbackError{err}
			}
		}
		if _, err := dec.Token(); err != nil {
			rep.addJSON(name, "/vulnerabilities", err)
			return nil
		}
	}
	if !seen {
		rep.addJSON(name, "", errors.New("not a KEV catalog: no vulnerabilities array"))
	}
	return nil
}

func readKEVCSV(name string, r io.Reader, rep *report, fn func(KEV) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		rep.add(&ParseError{Path: name, Line: 1, Err: fmt.Errorf("no CSV header: %w", err)})
		return nil
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded", "dueDate"} {
		if _, ok := col[need]; !ok {
			rep.add(&ParseError{Path: name, Line: 1, Err: fmt.Errorf("not a KEV CSV: no %s column", need)})
			return nil
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.add(&ParseError{Path: name, Line: pe.StartLine, Err: pe.Err})
				continue
			}
			rep.add(&ParseError{Path: name, Err: err})
			return nil
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			rep.add(&ParseError{Path: name, Line: line, Err: fmt.Errorf("%d fields, want %d", len(rec), len(header))})
			continue
		}
		get := func(c string) string {
			if i, ok := col[c]; ok {
				return rec[i]
			}
			return ""
		}
		e := kevEntry{
			CVEID:             get("cveID"),
			VendorProject:     get("vendorProject"),
			Product:           get("product"),
			VulnerabilityName: get("vulnerabilityName"),
			DateAdded:         get("dateAdded"),
			ShortDescription:  get("shortDescription"),
			RequiredAction:    get("requiredAction"),
			DueDate:           get("dueDate"),
			KnownRansomware:   get("knownRansomwareCampaignUse"),
			Notes:             get("notes"),
		}
		for _, c := range strings.Split(get("cwes"), ",") {
			e.CWEs = append(e.CWEs, strings.TrimSpace(c))
		}
		k, field, err := e.toKEV()
		if err != nil {
			rep.add(&ParseError{Path: name, Line: line, Err: fmt.Errorf("%s: %w", field, err)})
			continue
		}
		if err := fn(k); err != nil {
			return callbackError{err}
		}
	}
}
