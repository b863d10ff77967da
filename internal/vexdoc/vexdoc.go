// Package vexdoc writes VEX documents of Vigil's current assessment for one
// device model and firmware version: a CycloneDX 1.6 VEX BOM and a CSAF 2.0
// document in the VEX profile (csaf_vex). Each says, per vulnerability and
// component of the model (or the device itself, for a vendor advisory),
// whether the model is affected, not affected (with the VEX justification),
// fixed or under investigation, with the match evidence and the SSVC
// decision behind it. docs/vex-output.md gives the mapping.
//
// It only writes: it reads no store and no file, and it decides nothing —
// the findings it is given (internal/assess) are the assessment. Output is
// deterministic: the same Input gives the same bytes.
package vexdoc

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/assess"
	"github.com/vigil-iomt/vigil/internal/csaf"
	"github.com/vigil-iomt/vigil/internal/risk"
	"github.com/vigil-iomt/vigil/internal/sbom"
	"github.com/vigil-iomt/vigil/internal/vuln"
)

// Namespace is the CSAF publisher namespace of the documents Vigil writes.
// ".invalid" is reserved (RFC 2606): the URL names no real site, so a
// reader cannot mistake a hospital's own assessment for a vendor's.
const Namespace = "https://vigil.invalid"

// Engine names the generator in both formats.
const Engine = "Vigil"

// ErrNoFindings is returned when the input has no finding to state: a VEX
// document needs at least one statement (run the assessment first).
var ErrNoFindings = errors.New("no findings for this model version")

// ErrModel is returned (wrapped) when the model's vendor, model or version
// is missing.
var ErrModel = errors.New("incomplete model")

// Model is a device model and firmware version.
type Model struct{ Vendor, Model, Version string }

func (m Model) String() string {
	return strings.Join(strings.Fields(m.Vendor+" "+m.Model+" "+m.Version), " ")
}

// Input is what a VEX document is written from.
type Input struct {
	Model Model
	// SBOM is the model version's SBOM; nil when there is none (findings
	// from vendor advisories only).
	SBOM *sbom.Document
	// Findings are the findings of the devices of this model version;
	// findings of several devices about the same vulnerability and
	// component give one statement.
	Findings []assess.Finding
	// Author is the publisher (CSAF) and author (CycloneDX); "Vigil" when
	// empty.
	Author string
	// Now stamps the document.
	Now time.Time
}

func (in *Input) validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"vendor", in.Model.Vendor}, {"model", in.Model.Model}, {"version", in.Model.Version}} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, fmt.Errorf("%w: %s is empty", ErrModel, f.name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(in.Findings) == 0 {
		return fmt.Errorf("%s: %w", in.Model, ErrNoFindings)
	}
	return nil
}

func (in *Input) author() string { return cmp.Or(strings.TrimSpace(in.Author), Engine) }

func (in *Input) now() time.Time { return in.Now.UTC().Truncate(time.Second) }

// statement is what both documents say about one vulnerability and one
// component of the model (or the device: comp.Ref == ""), merged over the
// devices of the model.
type statement struct {
	vuln    string   // canonical ID: the CVE when the finding has one
	ids     []string // the other IDs of the vulnerability, sorted
	source  string   // vuln.Source* of the chosen finding
	advisor string   // the advisory's own ID (CSAF document, OSV/NVD record)
	comp    vuln.ComponentRef
	sbomC   *sbom.Component // the SBOM component, when found
	status  string          // csaf.Status{Affected,NotAffected,Fixed,UnderInvestigation}
	just    string          // normalized VEX justification
	justRaw string
	impact  string
	vexFrom string // the VEX document that set the status
	method  string
	evid    string
	fixedIn []string
	vector  string
	vecFrom string
	score   float64
	dec     risk.Decision // the most urgent decision among the devices
	devices int
	first   time.Time // earliest first assessment
}

// device reports whether the statement is about the device itself.
func (s *statement) device() bool { return s.comp.Ref == "" }

var cveRE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// statusOf maps a finding to its VEX status: the applied VEX statement's
// status, else affected.
func statusOf(f *assess.Finding) string {
	if v := f.Match.VEX; v != nil {
		switch v.Status {
		case csaf.StatusNotAffected, csaf.StatusFixed, csaf.StatusUnderInvestigation, csaf.StatusAffected:
			return v.Status
		}
	}
	if f.Match.Suppressed {
		return csaf.StatusNotAffected
	}
	return csaf.StatusAffected
}

// statusRank orders statuses when findings of one vulnerability and
// component disagree: the more cautious statement wins.
func statusRank(s string) int {
	switch s {
	case csaf.StatusAffected:
		return 0
	case csaf.StatusUnderInvestigation:
		return 1
	case csaf.StatusFixed:
		return 2
	}
	return 3
}

// canonical returns the ID a vulnerability is stated under (its CVE when
// it has one, so that an OSV and an NVD finding of the same CVE give one
// statement) and its other IDs.
func canonical(f *vuln.Finding) (string, []string) {
	all := append([]string{f.Vulnerability}, f.Aliases...)
	key := f.Vulnerability
	if !cveRE.MatchString(key) {
		var cves []string
		for _, a := range f.Aliases {
			if cveRE.MatchString(a) {
				cves = append(cves, a)
			}
		}
		if len(cves) > 0 {
			slices.Sort(cves)
			key = cves[0]
		}
	}
	var ids []string
	for _, a := range all {
		if a = strings.TrimSpace(a); a != "" && a != key && !slices.Contains(ids, a) {
			ids = append(ids, a)
		}
	}
	slices.Sort(ids)
	return key, ids
}

// statements merges the findings into one statement per vulnerability ×
// component, sorted by vulnerability, then component (the device first).
func statements(in *Input) []*statement {
	comps := map[string]*sbom.Component{}
	if in.SBOM != nil {
		for i := range in.SBOM.Components {
			c := &in.SBOM.Components[i]
			if _, ok := comps[c.Ref]; !ok {
				comps[c.Ref] = c
			}
		}
	}
	// Sorted findings make the choice among duplicates independent of the
	// input order.
	fs := make([]*assess.Finding, len(in.Findings))
	for i := range in.Findings {
		fs[i] = &in.Findings[i]
	}
	slices.SortStableFunc(fs, func(a, b *assess.Finding) int {
		return cmp.Or(statusRank(statusOf(a))-statusRank(statusOf(b)),
			b.Decision.Outcome.Rank()-a.Decision.Outcome.Rank(),
			cmp.Compare(a.Match.Source, b.Match.Source), cmp.Compare(a.Match.Vulnerability, b.Match.Vulnerability),
			cmp.Compare(a.Match.Method, b.Match.Method), cmp.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.ID, b.ID))
	})
	type key struct{ vuln, ref string }
	byKey := map[key]*statement{}
	devs := map[key]map[string]bool{}
	var out []*statement
	for _, f := range fs {
		id, ids := canonical(&f.Match)
		k := key{id, f.Match.Component.Ref}
		s, ok := byKey[k]
		if !ok {
			s = newStatement(f, id, comps)
			byKey[k] = s
			devs[k] = map[string]bool{}
			out = append(out, s)
		}
		for _, x := range ids {
			if !slices.Contains(s.ids, x) {
				s.ids = append(s.ids, x)
			}
		}
		for _, v := range f.Match.FixedIn {
			if v != "" && !slices.Contains(s.fixedIn, v) {
				s.fixedIn = append(s.fixedIn, v)
			}
		}
		if !f.FirstSeen.IsZero() && (s.first.IsZero() || f.FirstSeen.Before(s.first)) {
			s.first = f.FirstSeen.UTC()
		}
		devs[k][cmp.Or(f.DeviceID, f.ID)] = true
		s.devices = len(devs[k])
	}
	for _, s := range out {
		slices.Sort(s.ids)
		slices.Sort(s.fixedIn)
	}
	slices.SortFunc(out, func(a, b *statement) int {
		return cmp.Or(cmp.Compare(a.vuln, b.vuln), cmp.Compare(a.comp.Ref, b.comp.Ref))
	})
	return out
}

func newStatement(f *assess.Finding, id string, comps map[string]*sbom.Component) *statement {
	m := &f.Match
	s := &statement{vuln: id, source: m.Source, advisor: m.Vulnerability, comp: m.Component, status: statusOf(f),
		method: m.Method, evid: m.Evidence, vector: f.CVSS, vecFrom: f.CVSSFrom, score: f.Score, dec: f.Decision}
	if m.Source == vuln.SourceCSAF {
		if d := csafDocRE.FindStringSubmatch(m.Evidence); d != nil {
			s.advisor = d[1]
		}
	}
	if s.comp.Ref != "" {
		s.sbomC = comps[s.comp.Ref]
	}
	if v := m.VEX; v != nil {
		s.just, s.justRaw, s.impact = v.Justification, v.JustificationRaw, v.Impact
		s.vexFrom = strings.TrimSpace(v.Format + " " + v.Source)
	}
	return s
}

// csafDocRE finds the CSAF document ID in a CSAF product match's evidence
// ("… (known_affected) of ICSMA-24-123-01 by vendor …").
var csafDocRE = regexp.MustCompile(`\) of (\S+) by vendor `)

// name is the component's display name (group/name), or the model's.
func (s *statement) name(m Model) string {
	if s.device() {
		return m.String()
	}
	if c := s.sbomC; c != nil {
		if c.Group != "" {
			return c.Group + "/" + c.Name
		}
		return c.Name
	}
	return s.comp.Name
}

func (s *statement) version() string {
	if s.device() {
		return ""
	}
	if s.sbomC != nil && s.sbomC.Version != "" {
		return s.sbomC.Version
	}
	return s.comp.Version
}

func (s *statement) purl() string {
	if s.device() {
		return ""
	}
	if s.sbomC != nil {
		return s.sbomC.PURL
	}
	return s.comp.PURL
}

func (s *statement) cpe() string {
	if s.device() {
		return ""
	}
	if s.sbomC != nil && len(s.sbomC.CPEs) > 0 {
		return s.sbomC.CPEs[0]
	}
	return s.comp.CPE
}

// detail is the statement's explanation: the VEX impact statement, how the
// vulnerability matched, and the SSVC decision with its inputs.
func (s *statement) detail() string {
	var b strings.Builder
	if s.impact != "" {
		b.WriteString(s.impact)
		b.WriteString(". ")
	}
	if s.vexFrom != "" {
		fmt.Fprintf(&b, "VEX %s", s.status)
		if s.justRaw != "" {
			fmt.Fprintf(&b, " (%s)", s.justRaw)
		}
		fmt.Fprintf(&b, " from %s. ", s.vexFrom)
	}
	fmt.Fprintf(&b, "Match (%s, %s): %s.", s.source, s.method, s.evid)
	if d := s.dec; d.Outcome != "" {
		fmt.Fprintf(&b, " SSVC %s (exploitation %s, system exposure %s, automatable %s, human impact %s; %s)",
			d.Outcome, d.Exploitation.Value, d.Exposure.Value, d.Automatable.Value, d.HumanImpact.Value, d.Source)
		if s.status != csaf.StatusAffected {
			b.WriteString(", were it affected")
		}
		b.WriteString(".")
	}
	if s.vector != "" {
		fmt.Fprintf(&b, " CVSS %s %.1f from %s.", s.vector, s.score, s.vecFrom)
	}
	fmt.Fprintf(&b, " Devices: %d.", s.devices)
	return b.String()
}
