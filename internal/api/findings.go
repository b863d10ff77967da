package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/vigil-iomt/vigil/internal/assess"
	"github.com/vigil-iomt/vigil/internal/store"
)

// FindingQuery parses the filters of the findings list, shared by the
// API and the CLI: device, decision, vulnerability, suppressed, gone and
// limit.
func FindingQuery(get func(string) string) (store.FindingQuery, error) {
	q := store.FindingQuery{DeviceID: get("device"), Decision: get("decision"), Vulnerability: get("vulnerability")}
	var errs []error
	for name, dst := range map[string]*bool{"suppressed": &q.IncludeSuppressed, "gone": &q.IncludeGone} {
		if v := get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, errors.New(name+": want true or false"))
			}
			*dst = b
		}
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, errors.New("limit: want a non-negative number"))
		}
		q.Limit = n
	}
	if q.Decision != "" && store.DecisionRank(q.Decision) < 0 {
		errs = append(errs, errors.New("decision: want immediate, out-of-cycle, scheduled or defer"))
	}
	return q, errors.Join(errs...)
}

func (s *server) listFindings(w http.ResponseWriter, r *http.Request) {
	q, err := FindingQuery(r.URL.Query().Get)
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	recs, err := s.opts.Store.Findings(r.Context(), q)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "list findings", err)
		return
	}
	rows := make([]assess.Row, 0, len(recs))
	for _, rec := range recs {
		row, err := assess.RowOf(rec)
		if err != nil {
			s.fail(w, http.StatusInternalServerError, "read finding", err)
			return
		}
		rows = append(rows, row)
	}
	writeJSON(w, http.StatusOK, rows)
}

func (s *server) patchPlan(w http.ResponseWriter, r *http.Request) {
	items, err := assess.Plan(r.Context(), s.opts.Store)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "patch plan", err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(items))
}

// riskRollUp serves the risk per device, or per model with ?by=model.
func (s *server) riskRollUp(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	if by != "" && by != "device" && by != "model" {
		s.fail(w, http.StatusBadRequest, "by: want device or model", nil)
		return
	}
	recs, err := s.opts.Store.Findings(r.Context(), store.FindingQuery{IncludeSuppressed: true})
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "list findings", err)
		return
	}
	groups, err := assess.RollUp(recs, by == "model")
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "roll up", err)
		return
	}
	writeJSON(w, http.StatusOK, groups)
}
