package assess

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/risk"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Row is how a finding is shown (vigil vuln list, the findings API): the
// stored record and its document, flattened.
type Row struct {
	ID            string         `json:"id"`
	Device        string         `json:"device"`
	DeviceName    string         `json:"device_name"`
	Component     string         `json:"component"`
	Version       string         `json:"component_version,omitempty"`
	Vulnerability string         `json:"vulnerability"`
	Aliases       []string       `json:"aliases,omitempty"`
	Source        string         `json:"source"`
	Method        string         `json:"match_method"`
	Evidence      string         `json:"evidence"`
	CVSS          float64        `json:"cvss"`
	Vector        string         `json:"cvss_vector,omitempty"`
	KEV           bool           `json:"kev"`
	EPSS          float64        `json:"epss"`
	Decision      string         `json:"decision"`
	Why           map[string]any `json:"decision_inputs"`
	Status        string         `json:"status"`
	Due           time.Time      `json:"due,omitzero"`
	Suppressed    bool           `json:"suppressed"`
	VEX           string         `json:"vex,omitempty"`
}

// RowOf flattens a stored finding.
func RowOf(r store.FindingRecord) (Row, error) {
	var f Finding
	if err := json.Unmarshal(r.Doc, &f); err != nil {
		return Row{}, fmt.Errorf("finding %s: %w", r.ID, err)
	}
	comp := f.Match.Component.Name
	if comp == "" {
		comp = f.Device.Model + " (device)"
	}
	row := Row{ID: r.ID, Device: r.DeviceID, DeviceName: f.Device.Name, Component: comp, Version: f.Match.Component.Version,
		Vulnerability: r.Vulnerability, Aliases: f.Match.Aliases, Source: f.Match.Source, Method: f.Match.Method,
		Evidence: f.Match.Evidence, CVSS: r.CVSS, Vector: f.CVSS, KEV: r.KEV, EPSS: r.EPSS, Decision: r.Decision,
		Why: map[string]any{"exploitation": f.Decision.Exploitation, "system_exposure": f.Decision.Exposure,
			"automatable": f.Decision.Automatable, "human_impact": f.Decision.HumanImpact, "table": f.Decision.Source},
		Status: StateOf(r.State), Due: r.Due, Suppressed: r.Suppressed}
	if v := f.Match.VEX; v != nil {
		row.VEX = v.Status + " " + v.Justification + " (" + v.Source + ")"
	}
	return row, nil
}

// StateOf is a finding's patch state: available until set.
func StateOf(s string) string {
	if s == "" {
		return string(risk.StateAvailable)
	}
	return s
}

// Plan is the patch plan: the open, unsuppressed findings in the order
// their work should be done (risk.Plan).
func Plan(ctx context.Context, st store.Store) ([]risk.PlanItem, error) {
	recs, err := st.Findings(ctx, store.FindingQuery{})
	if err != nil {
		return nil, err
	}
	items := make([]risk.PlanItem, 0, len(recs))
	for _, r := range recs {
		var f Finding
		if err := json.Unmarshal(r.Doc, &f); err != nil {
			return nil, fmt.Errorf("finding %s: %w", r.ID, err)
		}
		items = append(items, risk.PlanItem{ID: r.ID, DeviceID: r.DeviceID, VulnID: r.Vulnerability,
			Outcome: risk.Outcome(r.Decision), Criticality: f.Device.Criticality, Exposure: risk.Exposure(f.Exposure),
			EPSS: r.EPSS, CVSS: r.CVSS, State: risk.State(StateOf(r.State)), Opened: f.FirstSeen, Due: r.Due})
	}
	return risk.Plan(items), nil
}

// VersionChanged reports whether Vigil observed the software a finding is
// about change on its device: the device's firmware version differs from
// the one the finding was assessed on, or, for a component finding, the
// device reported (software.log) another version of that component than
// the vulnerable one. This is what verifies a deployed patch.
func VersionChanged(d asset.Device, f Finding) bool {
	if d.Firmware != "" && d.Firmware != f.Device.Version {
		return true
	}
	c := f.Match.Component
	if c.Name == "" || c.Version == "" {
		return false
	}
	for _, s := range d.Software {
		if strings.EqualFold(s.Name, c.Name) && s.Version != "" && s.Version != c.Version && s.LastSeen.After(f.FirstSeen) {
			return true
		}
	}
	return false
}

// RollUp summarizes the findings by device or by model ("vendor model
// version"): the worst decision, counts, highest CVSS and EPSS, KEV.
func RollUp(recs []store.FindingRecord, byModel bool) (map[string]risk.DeviceRisk, error) {
	groups := map[string][]risk.FindingRisk{}
	for _, r := range recs {
		key := r.DeviceID
		if byModel {
			var f Finding
			if err := json.Unmarshal(r.Doc, &f); err != nil {
				return nil, fmt.Errorf("finding %s: %w", r.ID, err)
			}
			key = f.Device.Vendor + " " + f.Device.Model + " " + f.Device.Version
		}
		groups[key] = append(groups[key], risk.FindingRisk{Outcome: risk.Outcome(r.Decision), CVSS: r.CVSS, HasCVSS: r.CVSS > 0,
			KEV: r.KEV, EPSS: r.EPSS, Suppressed: r.Suppressed})
	}
	out := make(map[string]risk.DeviceRisk, len(groups))
	for k, fs := range groups {
		out[k] = risk.RollUp(fs)
	}
	return out, nil
}
