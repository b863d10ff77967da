// Package assess computes the fleet's vulnerability findings and their
// risk: it matches each device — the SBOM of its model and firmware
// version, and the device itself against vendor (CSAF) advisories — with
// the imported advisories and VEX statements, and decides each finding's
// priority with SSVC from what the feeds say (KEV, EPSS, CSAF exploit
// status, CVSS) and what Vigil observed of the device (its criticality,
// whether it is reached from or talks to the internet, whether a
// segmentation policy judges it).
//
// It owns the joining of those sources, not the rules: matching is
// internal/vuln's, decisions and SLAs internal/risk's. It reads the store
// and commits the findings in one batch; a finding's patch state is the
// store's and people's, never reset by a new assessment.
package assess

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/baseline"
	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/cvss"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/risk"
	"github.com/vigil-iomt/vigil/internal/sbom"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/vuln"
)

// Options configure an assessment.
type Options struct {
	// Policy, when set, is the segmentation policy in force: a device its
	// entries judge is less exposed.
	Policy *policy.Policy
	// Risk tunes the SSVC derivations; SLA sets the patch deadlines.
	Risk risk.Options
	SLA  risk.SLA
	// Now stamps the assessment (wall clock).
	Now func() time.Time
}

// Finding is one assessed finding: a vulnerability on a device, how it
// matched, and the decision with every input behind it. It is the
// document the store keeps.
type Finding struct {
	ID       string       `json:"id"`
	DeviceID string       `json:"device_id"`
	Device   DeviceInfo   `json:"device"`
	Match    vuln.Finding `json:"match"`
	// CVSS is the vector the decision used, with its source and score;
	// when rubric answers for the vulnerability on the device's model
	// adjusted it, CVSSBase is the advisory's vector and Rubric says what
	// changed, who answered and when.
	CVSS      string        `json:"cvss,omitempty"`
	CVSSFrom  string        `json:"cvss_from,omitempty"`
	Score     float64       `json:"cvss_score,omitempty"`
	CVSSBase  string        `json:"cvss_base,omitempty"`
	Rubric    *RubricUse    `json:"rubric,omitempty"`
	KEV       bool          `json:"kev"`
	EPSS      float64       `json:"epss,omitempty"`
	Decision  risk.Decision `json:"decision"`
	Exposure  string        `json:"exposure"`
	FirstSeen time.Time     `json:"first_assessed"`
}

// RubricUse records how the medical-device CVSS rubric adjusted a
// finding's vector.
type RubricUse struct {
	By      string        `json:"by"`
	At      time.Time     `json:"at"`
	Changes []risk.Change `json:"changes"`
}

// DeviceInfo is what a finding says of its device.
type DeviceInfo struct {
	Name, Class            string
	Criticality            asset.Criticality
	Vendor, Model, Version string
}

// Summary says what an assessment did.
type Summary struct {
	Devices    int // devices with a model and version to assess
	Unassessed int // devices without (classify them or import the asset register)
	Products   int // distinct vendor/model/version
	SBOMs      int // products with an SBOM
	Findings   int
	Suppressed int
	Gone       int // findings of an earlier assessment no longer produced
	ByDecision map[risk.Outcome]int
}

// Run assesses the fleet and commits the findings.
func Run(ctx context.Context, st store.Store, opts Options) (*Summary, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SLA == (risk.SLA{}) {
		opts.SLA = risk.DefaultSLA
	}
	now := opts.Now().UTC()
	k, err := loadKnowledge(ctx, st)
	if err != nil {
		return nil, err
	}
	devices, err := st.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		return nil, fmt.Errorf("load devices: %w", err)
	}
	sboms, err := st.SBOMs(ctx, store.SBOMQuery{})
	if err != nil {
		return nil, fmt.Errorf("load SBOMs: %w", err)
	}
	inbound, err := inboundAlerts(ctx, st)
	if err != nil {
		return nil, err
	}
	previous := map[string]store.FindingRecord{}
	olds, err := st.Findings(ctx, store.FindingQuery{IncludeSuppressed: true, IncludeGone: true})
	if err != nil {
		return nil, fmt.Errorf("load findings: %w", err)
	}
	for _, f := range olds {
		previous[f.ID] = f
	}

	sum := &Summary{ByDecision: map[risk.Outcome]int{}}
	byProduct := map[string][]vuln.Finding{}
	batch := &store.Batch{}
	produced := map[string]bool{}
	for i := range devices {
		d := &devices[i]
		if d.Manufacturer == "" || d.Model == "" || d.Firmware == "" {
			sum.Unassessed++
			continue
		}
		sum.Devices++
		p := vuln.Product{Vendor: d.Manufacturer, Model: d.Model, Version: d.Firmware}
		key := productKey(p.Vendor, p.Model, p.Version)
		matches, seen := byProduct[key]
		if !seen {
			sum.Products++
			var doc *sbom.Document
			if rec, ok := findSBOM(sboms, p); ok {
				if doc, err = loadSBOM(ctx, st, rec.ID); err != nil {
					return nil, err
				}
				sum.SBOMs++
			}
			matches = k.matcher.Match(p, doc).Findings
			byProduct[key] = matches
		}
		exposure, err := exposureOf(ctx, st, d, inbound, opts.Policy)
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			f := k.assess(d, m, exposure, opts.Risk)
			if old, ok := previous[f.ID]; ok {
				var prev Finding
				if json.Unmarshal(old.Doc, &prev) == nil && !prev.FirstSeen.IsZero() {
					f.FirstSeen = prev.FirstSeen
				}
			}
			if f.FirstSeen.IsZero() {
				f.FirstSeen = now
			}
			rec, err := record(f, now, opts.SLA)
			if err != nil {
				return nil, err
			}
			batch.Findings = append(batch.Findings, rec)
			produced[f.ID] = true
			sum.Findings++
			if m.Suppressed {
				sum.Suppressed++
			} else {
				sum.ByDecision[f.Decision.Outcome]++
			}
		}
	}
	for id, old := range previous {
		if !produced[id] && old.Gone.IsZero() {
			batch.FindingsGone = append(batch.FindingsGone, store.FindingGone{ID: id, At: now})
			sum.Gone++
		}
	}
	slices.SortFunc(batch.FindingsGone, func(a, b store.FindingGone) int { return cmp.Compare(a.ID, b.ID) })
	if err := st.Commit(ctx, batch); err != nil {
		return nil, fmt.Errorf("commit findings: %w", err)
	}
	return sum, nil
}

// record turns an assessed finding into what the store keeps. The SLA
// runs from when the finding was first assessed, so a decision that
// escalates later is due sooner.
func record(f Finding, now time.Time, sla risk.SLA) (store.FindingRecord, error) {
	doc, err := json.Marshal(f)
	if err != nil {
		return store.FindingRecord{}, err
	}
	due, _ := sla.Due(f.Decision.Outcome, f.FirstSeen)
	return store.FindingRecord{ID: f.ID, DeviceID: f.DeviceID, Vulnerability: f.Match.Vulnerability,
		Component: f.Match.Component.Ref, Decision: string(f.Decision.Outcome), Suppressed: f.Match.Suppressed,
		CVSS: f.Score, KEV: f.KEV, EPSS: f.EPSS, Assessed: now, Due: due, Doc: doc}, nil
}

// FindingID derives a finding's stable ID from its device, vulnerability
// and component.
func FindingID(deviceID, vulnerability, component string) string {
	sum := sha256.Sum256([]byte(deviceID + "\x00" + vulnerability + "\x00" + component))
	return "fnd-" + hex.EncodeToString(sum[:6])
}

// productKey identifies a product the way findSBOM matches it.
func productKey(vendor, model, version string) string {
	return strings.Join(vuln.NormalizeVendor(vendor), " ") + "\x00" + strings.ToLower(strings.TrimSpace(model)) + "\x00" + strings.TrimSpace(version)
}

// findSBOM finds the SBOM of a product: same vendor (normalized), model
// (case-insensitive) and version.
func findSBOM(sboms []store.SBOMRecord, p vuln.Product) (store.SBOMRecord, bool) {
	vendor := strings.Join(vuln.NormalizeVendor(p.Vendor), " ")
	for _, r := range sboms {
		if strings.Join(vuln.NormalizeVendor(r.Vendor), " ") == vendor && strings.EqualFold(strings.TrimSpace(r.Model), strings.TrimSpace(p.Model)) &&
			strings.TrimSpace(r.Version) == strings.TrimSpace(p.Version) {
			return r, true
		}
	}
	return store.SBOMRecord{}, false
}

func loadSBOM(ctx context.Context, st store.Store, id string) (*sbom.Document, error) {
	rec, err := st.SBOM(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load SBOM %s: %w", id, err)
	}
	var doc sbom.Document
	if err := json.Unmarshal(rec.Doc, &doc); err != nil {
		return nil, fmt.Errorf("SBOM %s: %w", id, err)
	}
	return &doc, nil
}

// inboundAlerts maps each device reached from the internet to one of its
// inbound-external alerts.
func inboundAlerts(ctx context.Context, st store.Store) (map[string]alert.Alert, error) {
	as, err := st.Alerts(ctx, store.AlertQuery{Detector: detect.DetectorInboundExternal})
	if err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	out := map[string]alert.Alert{}
	for _, a := range as {
		if _, ok := out[a.DeviceID]; !ok && a.Status != alert.Suppressed {
			out[a.DeviceID] = a
		}
	}
	return out, nil
}

// exposureOf gathers what Vigil observed of a device's exposure.
func exposureOf(ctx context.Context, st store.Store, d *asset.Device, inbound map[string]alert.Alert, p *policy.Policy) (risk.ExposureFacts, error) {
	var x risk.ExposureFacts
	if a, ok := inbound[d.ID]; ok {
		x.ReachedFromInternet, x.InboundAlert = true, a.ID
	}
	doc, err := st.Baseline(ctx, d.ID)
	switch {
	case err == nil:
		prof, err := baseline.Decode(doc.Doc)
		if err != nil {
			return x, fmt.Errorf("baseline of %s: %w", d.ID, err)
		}
		x.TalksToInternet = len(prof.ExternalPeers) > 0 || prof.OpenExternal
	case !errors.Is(err, store.ErrNotFound):
		return x, fmt.Errorf("baseline of %s: %w", d.ID, err)
	}
	if p != nil {
		if e, ok := p.Entry(d.Class, d.Model); ok {
			x.PolicyJudged = true
			x.PolicyEnforced = e.Mode == policy.Enforce
			x.PolicyZone = e.Name()
			for _, r := range e.Allow {
				// Names are vendor clouds; "any" and public CIDRs are the internet.
				if r.To.Any || len(r.To.Names) > 0 || slices.ContainsFunc(r.To.CIDRs, func(c netip.Prefix) bool { return !c.Addr().IsPrivate() }) {
					x.PolicyAllowsExternal = true
				}
			}
		}
	}
	return x, nil
}

// knowledge is what the feeds say: the matcher over every advisory and
// VEX statement, and per CVE its CVSS vectors, KEV entry, EPSS score and
// CSAF exploit status.
type knowledge struct {
	matcher *vuln.Matcher
	vectors map[string][]sourcedVector // by vulnerability ID or alias
	kev     map[string]store.KEVRecord
	epss    map[string]store.EPSSRecord
	exploit map[string][]string // CSAF exploit_status details by CVE
	rubric  map[string]store.RubricRecord
}

// rubricKey identifies the rubric answers of a vulnerability on a model.
func rubricKey(vulnerability, vendor, model string) string {
	return vulnerability + "\x00" + strings.Join(vuln.NormalizeVendor(vendor), " ") + "\x00" + strings.ToLower(strings.TrimSpace(model))
}

type sourcedVector struct {
	vector *cvss.Vector
	from   string
	rank   int // lower is preferred
}

func loadKnowledge(ctx context.Context, st store.Store) (*knowledge, error) {
	k := &knowledge{matcher: vuln.NewMatcher(vuln.Options{}), vectors: map[string][]sourcedVector{},
		kev: map[string]store.KEVRecord{}, exploit: map[string][]string{}}
	err := st.Advisories(ctx, store.AdvisoryQuery{}, func(r store.AdvisoryRecord) error {
		switch r.Source {
		case vuln.SourceCSAF:
			var a csaf.Advisory
			if err := json.Unmarshal(r.Doc, &a); err != nil {
				return fmt.Errorf("csaf advisory %s: %w", r.ID, err)
			}
			k.matcher.AddCSAF(&a)
			for _, v := range a.Vulnerabilities {
				for _, s := range v.Scores {
					k.addVector(v.CVE, s.Vector, "csaf "+a.ID, 2)
				}
				for _, t := range v.Threats {
					if t.Category == "exploit_status" && v.CVE != "" {
						k.exploit[v.CVE] = append(k.exploit[v.CVE], t.Details)
					}
				}
			}
		default:
			var a advisory.Advisory
			if err := json.Unmarshal(r.Doc, &a); err != nil {
				return fmt.Errorf("%s advisory %s: %w", r.Source, r.ID, err)
			}
			k.matcher.AddAdvisory(&a)
			rank := 1
			if a.Source == advisory.SourceNVD {
				rank = 0
			}
			for _, s := range a.Severity {
				if s.Type == "CVSS_V3" || s.Type == "CVSS_V4" {
					k.addVector(a.ID, s.Vector, r.Source+" "+a.ID, rank)
					for _, alias := range a.Aliases {
						k.addVector(alias, s.Vector, r.Source+" "+a.ID, rank+1)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load advisories: %w", err)
	}
	err = st.VEX(ctx, "", func(r store.VEXRecord) error {
		var s csaf.Statement
		if err := json.Unmarshal(r.Doc, &s); err != nil {
			return fmt.Errorf("vex %s: %w", r.ID, err)
		}
		k.matcher.AddVEX(s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load VEX: %w", err)
	}
	if err := st.KEV(ctx, func(r store.KEVRecord) error { k.kev[r.CVE] = r; return nil }); err != nil {
		return nil, fmt.Errorf("load KEV: %w", err)
	}
	if k.epss, err = st.EPSS(ctx, nil); err != nil {
		return nil, fmt.Errorf("load EPSS: %w", err)
	}
	rubrics, err := st.Rubrics(ctx, store.RubricQuery{})
	if err != nil {
		return nil, fmt.Errorf("load rubric answers: %w", err)
	}
	k.rubric = make(map[string]store.RubricRecord, len(rubrics))
	for _, r := range rubrics {
		k.rubric[rubricKey(r.Vulnerability, r.Vendor, r.Model)] = r
	}
	return k, nil
}

func (k *knowledge) addVector(id, vector, from string, rank int) {
	if id == "" || vector == "" {
		return
	}
	v, err := cvss.Parse(vector)
	if err != nil {
		return // a vector Vigil cannot read is not used for decisions
	}
	k.vectors[id] = append(k.vectors[id], sourcedVector{vector: v, from: from, rank: rank})
}

// assess decides one finding on one device.
func (k *knowledge) assess(d *asset.Device, m vuln.Finding, exposure risk.ExposureFacts, opts risk.Options) Finding {
	f := Finding{ID: FindingID(d.ID, m.Vulnerability, m.Component.Ref), DeviceID: d.ID, Match: m,
		Device: DeviceInfo{Name: firstOr(d.Hostnames, d.ID), Class: d.Class, Criticality: d.Criticality,
			Vendor: d.Manufacturer, Model: d.Model, Version: d.Firmware}}
	ids := append([]string{m.Vulnerability}, m.Aliases...)
	var in risk.Inputs
	in.VulnID, in.Criticality, in.Exposure = m.Vulnerability, d.Criticality, exposure
	var best *sourcedVector
	for _, id := range ids {
		for i := range k.vectors[id] {
			v := &k.vectors[id][i]
			// Prefer the more trusted source, then CVSS 3.x (its scores
			// are what advisories and KEV speak), then the higher score.
			if best == nil || v.rank < best.rank || v.rank == best.rank && preferVector(v.vector, best.vector) {
				best = v
			}
		}
		if e, ok := k.kev[id]; ok {
			in.Exploit.KEV, in.Exploit.KEVDateAdded = true, e.DateAdded
		}
		if e, ok := k.epss[id]; ok && (!in.Exploit.HasEPSS || e.Score > in.Exploit.EPSS) {
			in.Exploit.EPSS, in.Exploit.HasEPSS = e.Score, true
		}
		in.Exploit.CSAFExploitStatus = append(in.Exploit.CSAFExploitStatus, k.exploit[id]...)
	}
	if best != nil {
		in.CVSS = best.vector
		f.CVSS, f.CVSSFrom, f.Score = best.vector.String(), best.from, best.vector.Score()
		for _, id := range ids {
			r, ok := k.rubric[rubricKey(id, d.Manufacturer, d.Model)]
			if !ok {
				continue
			}
			adjusted, changes, err := risk.Adjust(best.vector, risk.Answers{VulnID: id, Vendor: r.Vendor, Model: r.Model,
				Answers: r.Answers, By: r.By, At: r.At})
			if err != nil {
				break // answers the rubric no longer accepts: the advisory's vector stands
			}
			in.CVSS = adjusted
			f.CVSSBase = f.CVSS
			f.CVSS, f.Score = adjusted.String(), adjusted.Score()
			f.Rubric = &RubricUse{By: r.By, At: r.At, Changes: changes}
			break
		}
	}
	f.KEV, f.EPSS = in.Exploit.KEV, in.Exploit.EPSS
	f.Decision = opts.Decide(in)
	f.Exposure = f.Decision.Exposure.Value
	return f
}

func preferVector(a, b *cvss.Vector) bool {
	a3, b3 := a.Version() != cvss.V40, b.Version() != cvss.V40
	if a3 != b3 {
		return a3
	}
	return a.Score() > b.Score()
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
