package attack

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ErrNotBundle is returned by [LoadATTACK] when the input is JSON but not a
// STIX bundle (no top-level "type":"bundle" object with an "objects" array).
var ErrNotBundle = errors.New("not a STIX bundle")

// stixObject holds the fields of a STIX object that LoadATTACK uses; the
// decoder skips everything else.
type stixObject struct {
	Type               string `json:"type"`
	ID                 string `json:"id"`
	Name               string `json:"name"`
	ExternalReferences []struct {
		SourceName string `json:"source_name"`
		ExternalID string `json:"external_id"`
	} `json:"external_references"`
	KillChainPhases []struct {
		KillChainName string `json:"kill_chain_name"`
		PhaseName     string `json:"phase_name"`
	} `json:"kill_chain_phases"`
	Domains          []string `json:"x_mitre_domains"`
	IsSubtechnique   bool     `json:"x_mitre_is_subtechnique"`
	Revoked          bool     `json:"revoked"`
	Deprecated       bool     `json:"x_mitre_deprecated"`
	Shortname        string   `json:"x_mitre_shortname"`
	RelationshipType string   `json:"relationship_type"`
	SourceRef        string   `json:"source_ref"`
	TargetRef        string   `json:"target_ref"`
}

// mitreID returns the object's ATT&CK external ID.
func (o *stixObject) mitreID() string {
	for _, r := range o.ExternalReferences {
		if (r.SourceName == "mitre-attack" || r.SourceName == "mitre-ics-attack" || r.SourceName == "mitre-mobile-attack") && r.ExternalID != "" {
			return r.ExternalID
		}
	}
	return ""
}

// matrix names the object's ATT&CK matrix from x_mitre_domains, falling back
// to its kill-chain name.
func (o *stixObject) matrix() string {
	for _, d := range o.Domains {
		switch d {
		case "enterprise-attack":
			return Enterprise
		case "ics-attack":
			return ICS
		case "mobile-attack":
			return Mobile
		}
	}
	for _, k := range o.KillChainPhases {
		switch k.KillChainName {
		case "mitre-attack":
			return Enterprise
		case "mitre-ics-attack":
			return ICS
		case "mitre-mobile-attack":
			return Mobile
		}
	}
	return ""
}

// LoadATTACK reads an ATT&CK STIX bundle — Enterprise (STIX 2.0), ICS or
// Mobile (STIX 2.1), gzip-compressed or plain — and returns its techniques
// (attack-pattern), tactics (x-mitre-tactic), mitigations (course-of-action
// with an M-ID, linked by "mitigates" relationships) and ICS assets
// (x-mitre-asset, linked by "targets" relationships). Revoked and deprecated
// techniques are kept and marked. Objects without a MITRE external ID, and
// relationships naming objects the bundle does not define, are counted in
// [Catalog.Skipped].
//
// The bundle is decoded one object at a time, so memory is bounded by the
// catalog, not by the size of the input.
func LoadATTACK(r io.Reader) (*Catalog, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("attack bundle: %w", err)
		}
		defer zr.Close()
		in = zr
	}
	l := &stixLoader{c: newCatalog(), byRef: map[string]string{}}
	if err := l.decode(json.NewDecoder(in)); err != nil {
		return nil, err
	}
	l.resolve()
	return l.c, nil
}

type relationship struct{ kind, src, dst string }

type stixLoader struct {
	c     *Catalog
	byRef map[string]string // STIX id → ATT&CK ID
	rels  []relationship
}

func (l *stixLoader) decode(dec *json.Decoder) error {
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("attack bundle: %w: %w", ErrNotBundle, err)
	}
	var typ string
	objects := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("attack bundle at byte %d: %w", dec.InputOffset(), err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return fmt.Errorf("attack bundle type: %w", err)
			}
			if typ != "bundle" {
				return fmt.Errorf("attack bundle: %w: type %q", ErrNotBundle, typ)
			}
		case "objects":
			objects = true
			if err := l.objects(dec); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("attack bundle key %q: %w", key, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("attack bundle at byte %d: %w", dec.InputOffset(), err)
	}
	if typ != "bundle" || !objects {
		return fmt.Errorf("attack bundle: %w", ErrNotBundle)
	}
	return nil
}

func (l *stixLoader) objects(dec *json.Decoder) error {
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("attack bundle objects: %w", err)
	}
	for n := 0; dec.More(); n++ {
		var o stixObject
		if err := dec.Decode(&o); err != nil {
			return fmt.Errorf("attack bundle object %d (byte %d): %w", n, dec.InputOffset(), err)
		}
		l.add(&o)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("attack bundle objects: %w", err)
	}
	return nil
}

func (l *stixLoader) add(o *stixObject) {
	switch o.Type {
	case "relationship":
		switch o.RelationshipType {
		case "mitigates", "targets", "subtechnique-of":
			l.rels = append(l.rels, relationship{o.RelationshipType, o.SourceRef, o.TargetRef})
		}
		return
	case "attack-pattern", "x-mitre-tactic", "course-of-action", "x-mitre-asset":
	default:
		return
	}
	id := o.mitreID()
	if id == "" {
		l.c.skipped++
		return
	}
	deprecated := o.Revoked || o.Deprecated
	switch o.Type {
	case "attack-pattern":
		t := Technique{ID: id, Name: o.Name, Matrix: o.matrix(), Deprecated: deprecated}
		for _, k := range o.KillChainPhases {
			if !slices.Contains(t.Tactics, k.PhaseName) {
				t.Tactics = append(t.Tactics, k.PhaseName)
			}
		}
		if o.IsSubtechnique {
			t.SubtechniqueOf, _, _ = strings.Cut(id, ".")
		}
		// A live technique wins over a revoked one that kept the same ID.
		if old, ok := l.c.techniques[id]; ok && !old.Deprecated && deprecated {
			return
		}
		l.c.techniques[id] = t
	case "x-mitre-tactic":
		l.c.tactics[id] = Tactic{ID: id, Name: o.Name, Shortname: o.Shortname, Matrix: o.matrix()}
	case "course-of-action":
		// Before 2019 ATT&CK published one course-of-action per technique,
		// under the technique's own T-ID; those are all deprecated and would
		// collide with the techniques, so only M-IDs are mitigations.
		if !strings.HasPrefix(id, "M") {
			l.c.skipped++
			return
		}
		l.c.mitigations[id] = Mitigation{ID: id, Name: o.Name, Matrix: o.matrix(), Deprecated: deprecated}
	case "x-mitre-asset":
		l.c.assets[id] = Asset{ID: id, Name: o.Name, Deprecated: deprecated}
	}
	l.byRef[o.ID] = id
}

// resolve applies the relationships once every object is known: a bundle
// may list a relationship before the objects it names.
func (l *stixLoader) resolve() {
	for _, r := range l.rels {
		src, dst := l.byRef[r.src], l.byRef[r.dst]
		switch r.kind {
		case "mitigates":
			t, ok := l.c.techniques[dst]
			if _, isM := l.c.mitigations[src]; !ok || !isM {
				// Relationships from the deprecated T-ID courses of action
				// land here too.
				l.c.skipped++
				continue
			}
			if !slices.Contains(t.Mitigations, src) {
				t.Mitigations = append(t.Mitigations, src)
				slices.Sort(t.Mitigations)
				l.c.techniques[dst] = t
			}
		case "targets":
			a, ok := l.c.assets[dst]
			if _, isT := l.c.techniques[src]; !ok || !isT {
				l.c.skipped++
				continue
			}
			if !slices.Contains(a.Techniques, src) {
				a.Techniques = append(a.Techniques, src)
				slices.Sort(a.Techniques)
				l.c.assets[dst] = a
			}
		case "subtechnique-of":
			t, ok := l.c.techniques[src]
			if _, isT := l.c.techniques[dst]; !ok || !isT {
				l.c.skipped++
				continue
			}
			t.SubtechniqueOf = dst
			l.c.techniques[src] = t
		}
	}
	l.rels = nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q at byte %d, got %v", want, dec.InputOffset(), tok)
	}
	return nil
}
