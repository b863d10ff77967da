// Package attack owns Vigil's vocabulary of adversary techniques and
// countermeasures: MITRE ATT&CK techniques (Enterprise and ICS), tactics,
// mitigations and ICS assets, and MITRE D3FEND countermeasures. Every alert
// Vigil raises names its techniques and countermeasures by the IDs this
// package knows.
//
// The package ships a small hand-written table of the IDs and names Vigil's
// detections use (see [Builtin]) and loads MITRE's published files at run time
// ([LoadATTACK] for the STIX bundles, [LoadD3FEND] for the D3FEND Turtle
// ontology), merging them with [Catalog.Merge].
//
// It must not fetch anything over the network — callers hand it readers over
// files they obtained — and it must not bake third-party data into the binary
// beyond the small table of IDs and names in builtin.go.
package attack

import (
	"cmp"
	"maps"
	"slices"
)

// Matrix names used in [Technique.Matrix], [Tactic.Matrix] and
// [Mitigation.Matrix].
const (
	Enterprise = "enterprise"
	ICS        = "ics"
	Mobile     = "mobile"
)

// Technique is an ATT&CK technique or sub-technique.
type Technique struct {
	ID     string // "T1071.001", "T0886"
	Name   string
	Matrix string // Enterprise, ICS or Mobile
	// Tactics are the tactic shortnames (kill-chain phase names) the
	// technique serves, e.g. "command-and-control".
	Tactics []string
	// SubtechniqueOf is the parent technique's ID, "" for a technique.
	SubtechniqueOf string
	// Deprecated is set for revoked or deprecated techniques; they are kept
	// so that old alerts still resolve.
	Deprecated bool
	// Mitigations are the M-IDs of the mitigations that mitigate it, sorted.
	Mitigations []string
}

// Countermeasure is a D3FEND technique (or other D3FEND class with an ID).
type Countermeasure struct {
	ID   string // "D3-NTA"
	Name string
	// Parent is the D3FEND ID of the direct d3f: superclass, "" when that
	// superclass carries no ID (the tactic-level classes) or is unknown.
	Parent string
	// Class is the ontology class's local name, e.g. "NetworkTrafficAnalysis".
	Class string
}

// Tactic is an ATT&CK tactic.
type Tactic struct {
	ID        string // "TA0011"
	Name      string
	Shortname string // "command-and-control"
	Matrix    string
}

// Mitigation is an ATT&CK mitigation (a STIX course-of-action with an M-ID).
type Mitigation struct {
	ID         string // "M1031"
	Name       string
	Matrix     string
	Deprecated bool
}

// Asset is an ATT&CK for ICS asset.
type Asset struct {
	ID   string // "A0008"
	Name string
	// Techniques are the IDs of the techniques that target the asset, sorted.
	Techniques []string
	Deprecated bool
}

// Catalog is a set of techniques, tactics, mitigations, assets and
// countermeasures keyed by ID. A Catalog is safe for concurrent reads; Merge
// must not run concurrently with anything else on the same Catalog.
type Catalog struct {
	techniques      map[string]Technique
	countermeasures map[string]Countermeasure
	tactics         map[string]Tactic
	mitigations     map[string]Mitigation
	assets          map[string]Asset
	skipped         int
}

func newCatalog() *Catalog {
	return &Catalog{
		techniques:      map[string]Technique{},
		countermeasures: map[string]Countermeasure{},
		tactics:         map[string]Tactic{},
		mitigations:     map[string]Mitigation{},
		assets:          map[string]Asset{},
	}
}

// Technique returns the technique with the given ID.
func (c *Catalog) Technique(id string) (Technique, bool) {
	t, ok := c.techniques[id]
	t.Tactics = slices.Clone(t.Tactics)
	t.Mitigations = slices.Clone(t.Mitigations)
	return t, ok
}

// Countermeasure returns the D3FEND countermeasure with the given ID.
func (c *Catalog) Countermeasure(id string) (Countermeasure, bool) {
	m, ok := c.countermeasures[id]
	return m, ok
}

// Tactic returns the tactic with the given TA-ID.
func (c *Catalog) Tactic(id string) (Tactic, bool) {
	t, ok := c.tactics[id]
	return t, ok
}

// Mitigation returns the mitigation with the given M-ID.
func (c *Catalog) Mitigation(id string) (Mitigation, bool) {
	m, ok := c.mitigations[id]
	return m, ok
}

// Asset returns the ICS asset with the given A-ID.
func (c *Catalog) Asset(id string) (Asset, bool) {
	a, ok := c.assets[id]
	a.Techniques = slices.Clone(a.Techniques)
	return a, ok
}

// Techniques returns all techniques sorted by ID. The slices inside the
// returned values are shared with c and must not be modified.
func (c *Catalog) Techniques() []Technique { return sorted(c.techniques) }

// Countermeasures returns all countermeasures sorted by ID.
func (c *Catalog) Countermeasures() []Countermeasure { return sorted(c.countermeasures) }

// Tactics returns all tactics sorted by ID.
func (c *Catalog) Tactics() []Tactic { return sorted(c.tactics) }

// Mitigations returns all mitigations sorted by ID.
func (c *Catalog) Mitigations() []Mitigation { return sorted(c.mitigations) }

// Assets returns all ICS assets sorted by ID.
func (c *Catalog) Assets() []Asset { return sorted(c.assets) }

// Skipped reports how many input records the loaders rejected (no MITRE
// external ID, or a relationship naming an unknown object).
func (c *Catalog) Skipped() int { return c.skipped }

// Merge copies every entry of other into c; an entry of other replaces the
// entry of c with the same ID, so merging loaded data into [Builtin] makes the
// published names win.
func (c *Catalog) Merge(other *Catalog) {
	maps.Copy(c.techniques, other.techniques)
	maps.Copy(c.countermeasures, other.countermeasures)
	maps.Copy(c.tactics, other.tactics)
	maps.Copy(c.mitigations, other.mitigations)
	maps.Copy(c.assets, other.assets)
	c.skipped += other.skipped
}

// Unknown returns the IDs in ids that c knows as no technique, countermeasure,
// tactic, mitigation or asset, in the order first seen and without duplicates.
func (c *Catalog) Unknown(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || c.known(id) {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

func (c *Catalog) known(id string) bool {
	_, t := c.techniques[id]
	_, d := c.countermeasures[id]
	_, ta := c.tactics[id]
	_, m := c.mitigations[id]
	_, a := c.assets[id]
	return t || d || ta || m || a
}

type identified interface {
	Technique | Countermeasure | Tactic | Mitigation | Asset
}

func idOf[T identified](v T) string {
	switch v := any(v).(type) {
	case Technique:
		return v.ID
	case Countermeasure:
		return v.ID
	case Tactic:
		return v.ID
	case Mitigation:
		return v.ID
	case Asset:
		return v.ID
	}
	return ""
}

func sorted[T identified](m map[string]T) []T {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(idOf(a), idOf(b)) })
	return out
}
