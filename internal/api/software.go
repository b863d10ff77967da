package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/feeds"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/sbom"
	"github.com/vigil-iomt/vigil/internal/store"
)

// maxSBOM bounds an uploaded SBOM.
const maxSBOM = 64 << 20

// importSBOM stores an uploaded SBOM as the SBOM of the model version
// named by the query (vendor, model, version).
func (s *server) importSBOM(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to := feeds.SBOMImport{Vendor: q.Get("vendor"), Model: q.Get("model"), Version: q.Get("version")}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSBOM))
	if err != nil {
		s.fail(w, http.StatusRequestEntityTooLarge, "body: "+err.Error(), nil)
		return
	}
	name := q.Get("name")
	if name == "" {
		name = "upload"
	}
	rec, warns, err := feeds.ImportSBOMBytes(r.Context(), s.opts.Store, name, raw, to, s.opts.now())
	if err != nil {
		if errors.Is(err, feeds.ErrSBOMTarget) || errors.Is(err, sbom.ErrInvalid) || errors.Is(err, sbom.ErrUnknownFormat) ||
			errors.Is(err, sbom.ErrUnsupported) || errors.Is(err, sbom.ErrTooLarge) {
			s.fail(w, http.StatusBadRequest, err.Error(), nil)
			return
		}
		s.fail(w, http.StatusInternalServerError, "store SBOM", err)
		return
	}
	msgs := make([]string, len(warns))
	for i, w := range warns {
		msgs[i] = w.String()
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": rec.ID, "vendor": rec.Vendor, "model": rec.Model, "version": rec.Version,
		"format": rec.Format, "spec_version": rec.SpecVersion, "components": rec.Components, "source": rec.Source,
		"imported": rec.Imported, "warnings": msgs})
}

// recordRequest is an asset-register entry for one device.
type recordRequest struct {
	Manufacturer string            `json:"manufacturer"`
	Model        string            `json:"model"`
	Firmware     string            `json:"firmware"`
	AssetTag     string            `json:"asset_tag"`
	Location     string            `json:"location"`
	Owner        string            `json:"owner"`
	Criticality  asset.Criticality `json:"criticality"`
	By           string            `json:"by"`
}

// setRecord sets a device's asset-register record (what vigil inventory
// import sets from a CSV): its manufacturer, model and firmware win over
// fingerprints. Like that command, it must not race an ingest writing the
// same device.
func (s *server) setRecord(w http.ResponseWriter, r *http.Request) {
	var req recordRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, http.StatusBadRequest, "body: "+err.Error(), nil)
		return
	}
	if req.By == "" || req.Criticality != "" && !req.Criticality.Valid() {
		s.fail(w, http.StatusBadRequest, "body: want manufacturer, model, firmware, asset_tag, location, owner, criticality (a valid level or empty) and by", nil)
		return
	}
	id := r.PathValue("id")
	d, err := s.opts.Store.Device(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, http.StatusNotFound, "no device with id "+strconv.Quote(id), nil)
		return
	}
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "read device", err)
		return
	}
	d.Record = &asset.Record{Manufacturer: req.Manufacturer, Model: req.Model, Firmware: req.Firmware, AssetTag: req.AssetTag,
		Location: req.Location, Owner: req.Owner, Source: "api by " + req.By}
	inventory.ApplyRecord(&d)
	if req.Criticality != "" {
		d.CriticalityOverride, d.Criticality = req.Criticality, req.Criticality
	}
	if err := s.opts.Store.Commit(r.Context(), &store.Batch{Devices: []asset.Device{d}}); err != nil {
		s.fail(w, http.StatusInternalServerError, "store device", err)
		return
	}
	writeJSON(w, http.StatusOK, DeviceView(d))
}
