package advisory

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadNVD reads NVD CVE records (CVE API 2.0 schema) from path: an API
// response page ({"vulnerabilities":[{"cve":{…}},…]}), streamed record by
// record; a single CVE record (the bare {"id":"CVE-…",…} object, as the
// fkie-cad mirror stores them, or {"cve":{…}}); plain, gzip or in a .zip;
// or a folder tree of such files, walked in lexical order. Each good record
// is passed to fn as it is read.
//
// A bad record is skipped and reported with its JSON pointer
// (/vulnerabilities/12/cve/metrics/…); the error returned then holds a
// *Rejected, and every good record was still passed to fn. A syntax error
// ends its file (nothing after it can be located). An error from fn, or a
// path that cannot be opened, stops the read and is returned.
func ReadNVD(path string, fn func(*Advisory) error) error {
	var rep report
	err := walkFiles(path, func(name string) bool {
		return hasSuffixFold(name, ".json", ".json.gz", ".zip")
	}, func(p string) error {
		return readJSONFiles(p, &rep, func(name string, r io.Reader) error {
			return readNVDStream(name, r, &rep, fn)
		})
	})
	return rep.result(unwrapCallback(err))
}

// member is one top-level member of a document kept for later.
type member struct {
	key string
	val json.RawMessage
}

// readNVDStream reads one JSON document: an API page or a single record.
func readNVDStream(name string, r io.Reader, rep *report, fn func(*Advisory) error) error {
	br := bufio.NewReader(r)
	if firstByte(br) != '{' {
		rep.addJSON(name, "", errors.New("not an NVD CVE API 2.0 document: a JSON object is expected"))
		return nil
	}
	dec := json.NewDecoder(br)
	dec.Token() // '{', checked above
	var kept []member
	page := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			rep.addJSON(name, "", err)
			return nil
		}
		key, _ := tok.(string)
		switch key {
		case "vulnerabilities":
			page = true
			if err := readNVDArray(name, dec, rep, fn); err != nil {
				if err == errStop {
					return nil
				}
				return err
			}
			continue
		case "CVE_Items":
			rep.addJSON(name, "/CVE_Items", errors.New("an NVD 1.1 data feed (retired in 2023): use CVE API 2.0 records"))
			return nil
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			rep.addJSON(name, pointer("", key), err)
			return nil
		}
		if key == "format" {
			var format string
			if json.Unmarshal(val, &format) != nil || format != "NVD_CVE" {
				rep.addJSON(name, "/format", fmt.Errorf("format %s is not NVD_CVE", val))
				return nil
			}
		}
		if !page {
			kept = append(kept, member{key, val})
		}
	}
	if _, err := dec.Token(); err != nil {
		rep.addJSON(name, "", err)
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		rep.addJSON(name, "", errors.New("data after the end of the document"))
		return nil
	}
	if page {
		return nil
	}
	base := ""
	raw := joinMembers(kept)
	switch {
	case hasMember(kept, "id"):
	case hasMember(kept, "cve"):
		base = "/cve"
	default:
		rep.addJSON(name, "", errors.New("neither a CVE API 2.0 response (no vulnerabilities array) nor a CVE record (no id)"))
		return nil
	}
	return emitNVD(name, "", base, raw, rep, fn)
}

// readNVDArray streams the vulnerabilities array, dec positioned at its '['.
// It returns only a callback error; bad records are reported.
func readNVDArray(name string, dec *json.Decoder, rep *report, fn func(*Advisory) error) error {
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		rep.addJSON(name, "/vulnerabilities", errors.New("an array is expected"))
		return errStop
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			rep.addJSON(name, pointer("/vulnerabilities", i), err)
			return errStop
		}
		if err := emitNVD(name, pointer("/vulnerabilities", i), "/cve", raw, rep, fn); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		rep.addJSON(name, "/vulnerabilities", err)
		return errStop
	}
	return nil
}

// errStop ends the reading of one file whose error is already reported.
var errStop = errors.New("stop this file")

func hasMember(ms []member, key string) bool {
	for _, m := range ms {
		if m.key == key {
			return true
		}
	}
	return false
}

func joinMembers(ms []member) []byte {
	buf := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(m.key)
		buf = append(buf, k...)
		buf = append(buf, ':')
		buf = append(buf, m.val...)
	}
	return append(buf, '}')
}

// emitNVD converts one raw record — a bare CVE object when cveBase is "",
// else {"cve":{…}} — and passes it on, or reports it under base.
func emitNVD(name, base, cveBase string, raw []byte, rep *report, fn func(*Advisory) error) error {
	adv, err := parseNVD(raw, cveBase)
	if err != nil {
		reportField(rep, name, base, err)
		return nil
	}
	if err := fn(adv); err != nil {
		return callbackError{err}
	}
	return nil
}

type nvdItem struct {
	CVE *nvdCVE `json:"cve"`
}

type nvdCVE struct {
	ID           string `json:"id"`
	Published    string `json:"published"`
	LastModified string `json:"lastModified"`
	VulnStatus   string `json:"vulnStatus"`
	Descriptions []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics struct {
		V40 []nvdMetric `json:"cvssMetricV40"`
		V31 []nvdMetric `json:"cvssMetricV31"`
		V30 []nvdMetric `json:"cvssMetricV30"`
		V2  []nvdMetric `json:"cvssMetricV2"`
	} `json:"metrics"`
	Weaknesses []struct {
		Description []struct {
			Value string `json:"value"`
		} `json:"description"`
	} `json:"weaknesses"`
	Configurations []struct {
		Operator string `json:"operator"`
		Negate   bool   `json:"negate"`
		Nodes    []struct {
			Operator string `json:"operator"`
			Negate   bool   `json:"negate"`
			CPEMatch []struct {
				Vulnerable            *bool  `json:"vulnerable"`
				Criteria              string `json:"criteria"`
				VersionStartIncluding string `json:"versionStartIncluding"`
				VersionStartExcluding string `json:"versionStartExcluding"`
				VersionEndIncluding   string `json:"versionEndIncluding"`
				VersionEndExcluding   string `json:"versionEndExcluding"`
				MatchCriteriaID       string `json:"matchCriteriaId"`
			} `json:"cpeMatch"`
		} `json:"nodes"`
	} `json:"configurations"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
}

type nvdMetric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string   `json:"version"`
		VectorString string   `json:"vectorString"`
		BaseScore    *float64 `json:"baseScore"`
	} `json:"cvssData"`
}

// parseNVD decodes and checks one record; base is "" for a bare CVE object
// or "/cve" for {"cve":{…}}, and prefixes every pointer it reports.
func parseNVD(raw []byte, base string) (*Advisory, error) {
	var c *nvdCVE
	if base == "" {
		c = new(nvdCVE)
		if err := unmarshal(raw, c); err != nil {
			return nil, err
		}
	} else {
		var item nvdItem
		if err := unmarshal(raw, &item); err != nil {
			return nil, err
		}
		if item.CVE == nil {
			return nil, errAt(base, "missing cve object")
		}
		c = item.CVE
	}
	if !isCVE(c.ID) {
		return nil, errAt(base+"/id", "bad CVE id %q", c.ID)
	}
	adv := &Advisory{ID: c.ID, Source: SourceNVD, Status: c.VulnStatus}
	var err error
	if adv.Published, err = parseTime(c.Published); err != nil {
		return nil, &fieldError{ptr: base + "/published", err: err}
	}
	if adv.Modified, err = parseTime(c.LastModified); err != nil {
		return nil, &fieldError{ptr: base + "/lastModified", err: err}
	}
	if c.VulnStatus == "Rejected" {
		adv.Withdrawn = adv.Modified
	}
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			adv.Details = d.Value
			break
		}
	}
	for _, m := range []struct {
		key    string
		typ    string
		prefix string
		list   []nvdMetric
	}{
		{"cvssMetricV40", "CVSS_V4", "CVSS:4.0/", c.Metrics.V40},
		{"cvssMetricV31", "CVSS_V3", "CVSS:3.1/", c.Metrics.V31},
		{"cvssMetricV30", "CVSS_V3", "CVSS:3.0/", c.Metrics.V30},
		{"cvssMetricV2", "CVSS_V2", "AV:", c.Metrics.V2},
	} {
		for i, s := range m.list {
			ptr := pointer(base+"/metrics/"+m.key, i, "cvssData")
			if !strings.HasPrefix(s.CVSSData.VectorString, m.prefix) {
				return nil, errAt(ptr+"/vectorString", "vector %q does not start with %q", s.CVSSData.VectorString, m.prefix)
			}
			if s.CVSSData.BaseScore == nil || !(*s.CVSSData.BaseScore >= 0 && *s.CVSSData.BaseScore <= 10) {
				return nil, errAt(ptr+"/baseScore", "missing or out of 0–10")
			}
			adv.Severity = append(adv.Severity, Score{
				Type:      m.typ,
				Vector:    s.CVSSData.VectorString,
				BaseScore: *s.CVSSData.BaseScore,
				Source:    s.Source,
				Primary:   s.Type == "Primary",
			})
		}
	}
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			adv.CWEs = appendUnique(adv.CWEs, d.Value)
		}
	}
	for _, r := range c.References {
		adv.References = appendUnique(adv.References, r.URL)
	}
	for i, cf := range c.Configurations {
		cp := pointer(base+"/configurations", i)
		if cf.Operator != "" && cf.Operator != "AND" && cf.Operator != "OR" {
			return nil, errAt(cp+"/operator", "operator %q is not AND or OR", cf.Operator)
		}
		if len(cf.Nodes) == 0 {
			return nil, errAt(cp+"/nodes", "configuration without nodes")
		}
		conf := Config{Operator: cf.Operator, Negate: cf.Negate, Nodes: make([]Node, len(cf.Nodes))}
		for j, n := range cf.Nodes {
			np := pointer(cp+"/nodes", j)
			if n.Operator != "AND" && n.Operator != "OR" {
				return nil, errAt(np+"/operator", "operator %q is not AND or OR", n.Operator)
			}
			if len(n.CPEMatch) == 0 {
				return nil, errAt(np+"/cpeMatch", "node without cpeMatch")
			}
			node := Node{Operator: n.Operator, Negate: n.Negate, Matches: make([]CPEMatch, len(n.CPEMatch))}
			for k, m := range n.CPEMatch {
				mp := pointer(np+"/cpeMatch", k)
				if err := checkCPE(m.Criteria); err != nil {
					return nil, &fieldError{ptr: mp + "/criteria", err: err}
				}
				if m.Vulnerable == nil {
					return nil, errAt(mp+"/vulnerable", "missing")
				}
				node.Matches[k] = CPEMatch{
					Criteria:              m.Criteria,
					Vulnerable:            *m.Vulnerable,
					VersionStartIncluding: m.VersionStartIncluding,
					VersionStartExcluding: m.VersionStartExcluding,
					VersionEndIncluding:   m.VersionEndIncluding,
					VersionEndExcluding:   m.VersionEndExcluding,
					MatchCriteriaID:       m.MatchCriteriaID,
				}
			}
			conf.Nodes[j] = node
		}
		adv.Configurations = append(adv.Configurations, conf)
	}
	return adv, nil
}

// checkCPE checks that s is a CPE 2.3 formatted string: "cpe:2.3:" and 11
// more colon-separated components (a colon escaped with a backslash does
// not separate).
func checkCPE(s string) error {
	rest, ok := strings.CutPrefix(s, "cpe:2.3:")
	if !ok {
		return fmt.Errorf("%q is not a CPE 2.3 name", s)
	}
	n := 1
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case ':':
			n++
		}
	}
	if n != 11 {
		return fmt.Errorf("%q has %d components after cpe:2.3, want 11", s, n)
	}
	if part := rest[:1]; part != "a" && part != "o" && part != "h" && part != "*" {
		return fmt.Errorf("%q: part %q is not a, o or h", s, part)
	}
	return nil
}
