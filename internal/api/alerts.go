package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/store"
)

// AlertQuery parses the alert filters shared by the API and the CLI:
// device, detector, severity (the minimum), status, since and until
// (RFC 3339 or a date, on LastSeen), limit.
func AlertQuery(get func(string) string) (store.AlertQuery, error) {
	q := store.AlertQuery{DeviceID: get("device"), Detector: get("detector")}
	var errs []error
	if v := get("severity"); v != "" {
		s, err := alert.ParseSeverity(v)
		errs = append(errs, err)
		q.MinSeverity = s
	}
	if v := get("status"); v != "" {
		q.Status = alert.Status(v)
		if !q.Status.Valid() {
			errs = append(errs, errors.New("status: want open, acknowledged, resolved or suppressed"))
		}
	}
	var err error
	if q.Since, err = ParseEventTime("since", get("since")); err != nil {
		errs = append(errs, err)
	}
	if q.Until, err = ParseEventTime("until", get("until")); err != nil {
		errs = append(errs, err)
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, errors.New("limit: want a non-negative integer"))
		}
		q.Limit = n
	}
	return q, errors.Join(errs...)
}

// ParseEventTime parses an event-time bound given as an RFC 3339 time or a
// date; empty is the zero time. name prefixes the error.
func ParseEventTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New(name + ": want an RFC 3339 time or a date (2006-01-02)")
}

func (s *server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q, err := AlertQuery(r.URL.Query().Get)
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	alerts, err := s.opts.Store.Alerts(r.Context(), q)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "list alerts", err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(alerts))
}

func (s *server) getAlert(w http.ResponseWriter, r *http.Request) {
	a, err := s.opts.Store.Alert(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, http.StatusNotFound, "no alert with id "+strconv.Quote(r.PathValue("id")), nil)
		return
	}
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "get alert", err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// statusRequest is the body of POST /api/v1/alerts/{id}/status.
type statusRequest struct {
	Status alert.Status `json:"status"`
	By     string       `json:"by"`
	Note   string       `json:"note"`
}

func (s *server) setAlertStatus(w http.ResponseWriter, r *http.Request) {
	var req statusRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, http.StatusBadRequest, "body: "+err.Error(), nil)
		return
	}
	if !req.Status.Valid() || req.By == "" {
		s.fail(w, http.StatusBadRequest, "body: want {\"status\": open|acknowledged|resolved|suppressed, \"by\": who, \"note\": optional}", nil)
		return
	}
	id := r.PathValue("id")
	change := alert.StatusChange{At: s.opts.now().UTC(), To: req.Status, By: req.By, Note: req.Note}
	err := s.opts.Store.SetAlertStatus(r.Context(), id, change)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, http.StatusNotFound, "no alert with id "+strconv.Quote(id), nil)
		return
	}
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "set alert status", err)
		return
	}
	s.getAlert(w, r)
}
