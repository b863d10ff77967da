// Package api serves Vigil's REST API (JSON over HTTP) and its
// operational endpoints (/healthz, /metrics).
//
// Handlers read from the store and shape responses. The only writes are
// what people own: alert triage, SBOM uploads, and a device's
// asset-register record (like vigil inventory import, it must not race an
// ingest writing the same device); detected state is the pipeline's.
package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Options configure the API handler.
type Options struct {
	Store    store.Store
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	// Now stamps status changes; nil means time.Now.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// NewHandler returns the HTTP handler of the whole API.
func NewHandler(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /api/v1/devices", s.listDevices)
	mux.HandleFunc("GET /api/v1/devices/{id}", s.getDevice)
	mux.HandleFunc("GET /api/v1/alerts", s.listAlerts)
	mux.HandleFunc("GET /api/v1/alerts/{id}", s.getAlert)
	mux.HandleFunc("POST /api/v1/alerts/{id}/status", s.setAlertStatus)
	mux.HandleFunc("GET /api/v1/findings", s.listFindings)
	mux.HandleFunc("GET /api/v1/patch-plan", s.patchPlan)
	mux.HandleFunc("GET /api/v1/risk", s.riskRollUp)
	mux.HandleFunc("POST /api/v1/sboms", s.importSBOM)
	mux.HandleFunc("POST /api/v1/devices/{id}/record", s.setRecord)
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	return mux
}

type server struct {
	opts Options
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	if _, err := s.opts.Store.Devices(r.Context(), store.DeviceQuery{Limit: 1}); err != nil {
		s.fail(w, http.StatusServiceUnavailable, "store unavailable", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) listDevices(w http.ResponseWriter, r *http.Request) {
	q := store.DeviceQuery{Class: r.URL.Query().Get("class"), After: r.URL.Query().Get("after")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(w, http.StatusBadRequest, "limit: want a non-negative integer", nil)
			return
		}
		q.Limit = n
	}
	devs, err := s.opts.Store.Devices(r.Context(), q)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "list devices", err)
		return
	}
	out := make([]Device, len(devs))
	for i := range devs {
		out[i] = DeviceView(devs[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) getDevice(w http.ResponseWriter, r *http.Request) {
	d, err := s.opts.Store.Device(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, http.StatusNotFound, "no device with id "+strconv.Quote(r.PathValue("id")), nil)
		return
	}
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "get device", err)
		return
	}
	writeJSON(w, http.StatusOK, DeviceView(d))
}

func (s *server) fail(w http.ResponseWriter, code int, msg string, err error) {
	if err != nil {
		s.opts.Logger.Error("api: "+msg, "error", err)
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Device is the JSON form of a device shown by the API and the CLI.
type Device struct {
	ID                  string            `json:"id"`
	MACs                []string          `json:"macs"`
	IPs                 []string          `json:"ips"`
	IPHistory           []asset.IPAddress `json:"ip_history"`
	Hostnames           []string          `json:"hostnames"`
	Vendor              string            `json:"vendor"`
	Manufacturer        string            `json:"manufacturer,omitempty"`
	Model               string            `json:"model,omitempty"`
	Firmware            string            `json:"firmware,omitempty"`
	DHCPVendorClass     string            `json:"dhcp_vendor_class,omitempty"`
	Class               string            `json:"class"`
	ClassConfidence     float64           `json:"class_confidence"`
	ClassEvidence       []asset.Evidence  `json:"class_evidence"`
	Criticality         asset.Criticality `json:"criticality"`
	CriticalityOverride asset.Criticality `json:"criticality_override,omitempty"`
	Record              *asset.Record     `json:"record,omitempty"`
	Software            []asset.Software  `json:"software"`
	Services            []asset.Service   `json:"services"`
	Clients             []asset.Service   `json:"clients"`
	DNSNames            []string          `json:"dns_names"`
	TLSServers          []string          `json:"tls_servers"`
	FirstSeen           time.Time         `json:"first_seen"`
	LastSeen            time.Time         `json:"last_seen"`
}

// DeviceView shapes a device for output: lists are never null, and ips
// lists the addresses most recently held first.
func DeviceView(d asset.Device) Device {
	v := Device{
		ID: d.ID, MACs: nonNil(d.MACs), IPHistory: nonNil(d.IPs), Hostnames: nonNil(d.Hostnames),
		Vendor: d.Vendor, Manufacturer: d.Manufacturer, Model: d.Model, Firmware: d.Firmware,
		DHCPVendorClass: d.DHCPVendorClass, Class: d.Class, ClassConfidence: d.ClassConfidence,
		ClassEvidence: nonNil(d.ClassEvidence), Criticality: d.Criticality, CriticalityOverride: d.CriticalityOverride, Record: d.Record,
		Software: nonNil(d.Software), Services: nonNil(d.Services), Clients: nonNil(d.Clients),
		DNSNames: nonNil(d.DNSNames), TLSServers: nonNil(d.TLSServers), FirstSeen: d.FirstSeen, LastSeen: d.LastSeen,
	}
	hist := slices.Clone(d.IPs)
	slices.SortStableFunc(hist, func(a, b asset.IPAddress) int { return b.LastSeen.Compare(a.LastSeen) })
	v.IPs = make([]string, len(hist))
	for i, a := range hist {
		v.IPs[i] = a.IP
	}
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
