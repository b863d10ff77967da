package advisory

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ReadEPSS reads a FIRST EPSS scores file from path, plain or gzip (told
// apart by content): an optional comment line
// "#model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000", whose
// values it returns, then a header naming the cve and epss columns
// (percentile is optional, as in the first EPSS files), then one row per
// CVE, streamed to fn.
//
// A bad row is skipped and reported with its line; a comment line that
// lacks model_version or score_date is reported too, and the rows are still
// read. A missing or unknown header ends the read of the file. The error
// returned then holds a *Rejected. An error from fn, or a path that cannot
// be opened, stops the read and is returned.
func ReadEPSS(path string, fn func(EPSS) error) (meta EPSSMeta, err error) {
	f, err := openFile(path)
	if err != nil {
		return meta, err
	}
	defer f.Close()
	var rep report
	meta, err = readEPSSStream(path, f, &rep, fn)
	return meta, rep.result(unwrapCallback(err))
}

func readEPSSStream(name string, r io.Reader, rep *report, fn func(EPSS) error) (EPSSMeta, error) {
	var meta EPSSMeta
	br := bufio.NewReader(r)
	line := 0
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '#' {
		first, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			rep.add(&ParseError{Path: name, Line: 1, Err: err})
			return meta, nil
		}
		line = 1
		meta, err = parseEPSSComment(strings.TrimRight(first, "\r\n"))
		if err != nil {
			rep.add(&ParseError{Path: name, Line: 1, Err: err})
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		rep.add(&ParseError{Path: name, Line: line + 1, Err: fmt.Errorf("no CSV header: %w", err)})
		return meta, nil
	}
	cveCol, scoreCol, pctCol := -1, -1, -1
	for i, h := range header {
		switch strings.TrimSpace(h) {
		case "cve":
			cveCol = i
		case "epss":
			scoreCol = i
		case "percentile":
			pctCol = i
		}
	}
	if cveCol < 0 || scoreCol < 0 {
		rep.add(&ParseError{Path: name, Line: line + 1, Err: fmt.Errorf("header %q: want cve,epss[,percentile]", strings.Join(header, ","))})
		return meta, nil
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return meta, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.add(&ParseError{Path: name, Line: line + pe.StartLine, Err: pe.Err})
				continue
			}
			rep.add(&ParseError{Path: name, Err: err})
			return meta, nil
		}
		n, _ := cr.FieldPos(0)
		n += line
		if len(rec) != len(header) {
			rep.add(&ParseError{Path: name, Line: n, Err: fmt.Errorf("%d fields, want %d", len(rec), len(header))})
			continue
		}
		e := EPSS{CVE: rec[cveCol]}
		if !isCVE(e.CVE) {
			rep.add(&ParseError{Path: name, Line: n, Err: fmt.Errorf("bad CVE id %q", e.CVE)})
			continue
		}
		if e.Score, err = probability(rec[scoreCol]); err != nil {
			rep.add(&ParseError{Path: name, Line: n, Err: fmt.Errorf("epss: %w", err)})
			continue
		}
		if pctCol >= 0 {
			if e.Percentile, err = probability(rec[pctCol]); err != nil {
				rep.add(&ParseError{Path: name, Line: n, Err: fmt.Errorf("percentile: %w", err)})
				continue
			}
		}
		if err := fn(e); err != nil {
			return meta, callbackError{err}
		}
	}
}

// parseEPSSComment reads "#model_version:…,score_date:…"; the values it
// could read are returned even with an error.
func parseEPSSComment(s string) (EPSSMeta, error) {
	var meta EPSSMeta
	var errs []error
	for part := range strings.SplitSeq(strings.TrimPrefix(s, "#"), ",") {
		k, v, _ := strings.Cut(part, ":")
		switch strings.TrimSpace(k) {
		case "model_version":
			meta.ModelVersion = strings.TrimSpace(v)
		case "score_date":
			t, err := parseScoreDate(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, err)
			}
			meta.ScoreDate = t
		}
	}
	if meta.ModelVersion == "" {
		errs = append(errs, errors.New("comment line has no model_version"))
	}
	if meta.ScoreDate.IsZero() && len(errs) == 0 {
		errs = append(errs, errors.New("comment line has no score_date"))
	}
	return meta, errors.Join(errs...)
}

func parseScoreDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad score_date %q", s)
}

// probability parses a number in 0–1.
func probability(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return 0, fmt.Errorf("%q is not a number in 0–1", s)
	}
	return f, nil
}
