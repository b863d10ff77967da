package attack

import (
	"fmt"
	"io"
	"strings"
)

// D3FEND ontology IRIs.
const (
	d3fNS          = "http://d3fend.mitre.org/ontologies/d3fend.owl#"
	d3fID          = d3fNS + "d3fend-id"
	rdfsLabel      = "http://www.w3.org/2000/01/rdf-schema#label"
	rdfsSubClassOf = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
)

type d3fClass struct {
	id, label string
	parents   []string // d3f: superclass IRIs, in document order
}

// LoadD3FEND reads the D3FEND ontology in Turtle (d3fend-protege.ttl) and
// returns a Catalog of its countermeasures: every d3f: class with a
// :d3fend-id literal, named by its rdfs:label, with the ID of its first
// d3f: superclass that has one as Parent. When two classes share an ID (the
// ontology reuses some D3A- IDs), the first in the file wins and the other is
// counted in [Catalog.Skipped]. Syntax errors name the line.
func LoadD3FEND(r io.Reader) (*Catalog, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("d3fend: %w", err)
	}
	classes := map[string]*d3fClass{}
	var order []string
	get := func(iri string) *d3fClass {
		c, ok := classes[iri]
		if !ok {
			c = &d3fClass{}
			classes[iri] = c
			order = append(order, iri)
		}
		return c
	}
	err = parseTurtle(src, func(s, p, o term) {
		if s.kind != termIRI || !strings.HasPrefix(s.value, d3fNS) {
			return
		}
		switch p.value {
		case d3fID:
			if o.kind == termLiteral && get(s.value).id == "" {
				get(s.value).id = o.value
			}
		case rdfsLabel:
			if o.kind == termLiteral && get(s.value).label == "" {
				get(s.value).label = o.value
			}
		case rdfsSubClassOf:
			if o.kind == termIRI && strings.HasPrefix(o.value, d3fNS) {
				c := get(s.value)
				c.parents = append(c.parents, o.value)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("d3fend: %w", err)
	}
	cat := newCatalog()
	for _, iri := range order {
		c := classes[iri]
		if c.id == "" {
			continue
		}
		if _, dup := cat.countermeasures[c.id]; dup {
			cat.skipped++
			continue
		}
		m := Countermeasure{ID: c.id, Name: c.label, Class: strings.TrimPrefix(iri, d3fNS)}
		for _, parent := range c.parents {
			if pc := classes[parent]; pc != nil && pc.id != "" {
				m.Parent = pc.id
				break
			}
		}
		cat.countermeasures[c.id] = m
	}
	return cat, nil
}
