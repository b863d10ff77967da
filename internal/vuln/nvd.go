package vuln

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-iomt/vigil/internal/advisory"
	"github.com/vigil-iomt/vigil/internal/sbom"
)

// nvdRecord is an NVD advisory with its configurations parsed.
type nvdRecord struct {
	adv     *advisory.Advisory
	configs []nvdConfig
}

type nvdConfig struct {
	and, negate bool
	nodes       []nvdNode
}

type nvdNode struct {
	and, negate bool
	matches     []cpeCriteria
}

func (m *Matcher) addNVD(a *advisory.Advisory) {
	rec := &nvdRecord{adv: a}
	keys := map[string]bool{}
	anyKey := false
	for _, cfg := range a.Configurations {
		pc := nvdConfig{and: strings.EqualFold(cfg.Operator, "AND"), negate: cfg.Negate}
		for _, n := range cfg.Nodes {
			pn := nvdNode{and: strings.EqualFold(n.Operator, "AND"), negate: n.Negate}
			for _, cm := range n.Matches {
				c, err := ParseCPE(cm.Criteria)
				if err != nil {
					continue // an unreadable criteria never matches
				}
				pn.matches = append(pn.matches, cpeCriteria{cpe: c, raw: cm.Criteria, vulnerable: cm.Vulnerable,
					startIncl: cm.VersionStartIncluding, startExcl: cm.VersionStartExcluding,
					endIncl: cm.VersionEndIncluding, endExcl: cm.VersionEndExcluding})
				if cm.Vulnerable {
					if k := c.key(); k != "" {
						keys[k] = true
					} else {
						anyKey = true
					}
				}
			}
			pc.nodes = append(pc.nodes, pn)
		}
		rec.configs = append(rec.configs, pc)
	}
	if len(keys) == 0 && !anyKey {
		return
	}
	idx := len(m.nvd)
	m.nvd = append(m.nvd, rec)
	for k := range keys {
		m.cpe[k] = append(m.cpe[k], idx)
	}
	if anyKey {
		m.cpeAny = append(m.cpeAny, idx)
	}
}

// environment is every CPE known for the device: the SBOM components, the
// described product, and Product.Platforms; it satisfies the other nodes of
// an AND configuration (the platform a vulnerable application runs on).
type environment struct {
	byKey map[string][]envCPE // vendor:product → names
	all   []envCPE
}

type envCPE struct {
	cpe  CPE
	raw  string
	from string // component ref, "product" or "platform"
}

func newEnvironment(p Product, doc *sbom.Document) *environment {
	env := &environment{byKey: map[string][]envCPE{}}
	add := func(raw, from string) {
		c, err := ParseCPE(raw)
		if err != nil {
			return
		}
		e := envCPE{cpe: c, raw: raw, from: from}
		env.all = append(env.all, e)
		if k := c.key(); k != "" {
			env.byKey[k] = append(env.byKey[k], e)
		}
	}
	for _, raw := range p.Platforms {
		add(raw, "the product's platforms")
	}
	if doc != nil {
		for _, raw := range doc.Product.CPEs {
			add(raw, "the SBOM's product")
		}
		for _, c := range doc.Components {
			for _, raw := range c.CPEs {
				add(raw, "component "+c.Ref)
			}
		}
	}
	return env
}

// find returns an environment CPE that satisfies k, or false.
func (env *environment) find(k *cpeCriteria) (envCPE, bool) {
	cands := env.all
	if key := k.cpe.key(); key != "" {
		cands = env.byKey[key]
	}
	for _, e := range cands {
		if k.matches(&e.cpe, !k.vulnerable) {
			return e, true
		}
	}
	return envCPE{}, false
}

// evalNode evaluates a node over the environment; used lists the criteria
// that a platform CPE satisfied, for the evidence.
func (env *environment) evalNode(n *nvdNode, used *[]string) bool {
	res := n.and
	var local []string
	for i := range n.matches {
		k := &n.matches[i]
		e, ok := env.find(k)
		if ok && !k.vulnerable {
			local = append(local, fmt.Sprintf("%s (by %s from %s)", k.raw, e.raw, e.from))
		}
		if n.and && !ok {
			res = false
			break
		}
		if !n.and && ok {
			res = true
			if k.vulnerable {
				break
			}
		}
	}
	if n.negate {
		return !res
	}
	if res {
		*used = append(*used, local...)
	}
	return res
}

func (env *environment) evalConfig(c *nvdConfig, used *[]string) bool {
	res := c.and
	for i := range c.nodes {
		ok := env.evalNode(&c.nodes[i], used)
		if c.and && !ok {
			res = false
			break
		}
		if !c.and && ok {
			res = true
		}
	}
	if c.negate {
		return !res
	}
	return res
}

// matchCPE matches the CPEs of component c against the NVD configurations
// indexed under their vendor:product.
func (m *Matcher) matchCPE(c *sbom.Component, env *environment, r *Result) {
	if len(c.CPEs) == 0 {
		return
	}
	seen := map[int]bool{}
	for _, raw := range c.CPEs {
		cc, err := ParseCPE(raw)
		if err != nil {
			r.Notes = append(r.Notes, Note{Component: c.Ref, Message: err.Error() + ": NVD not matched"})
			continue
		}
		cands := slices.Concat(m.cpe[cc.key()], m.cpeAny)
		for _, idx := range cands {
			if seen[idx] {
				continue
			}
			rec := m.nvd[idx]
			if f, ok := m.matchRecord(rec, c, &cc, raw, env, r); ok {
				seen[idx] = true
				r.Findings = append(r.Findings, f)
			}
		}
	}
}

// matchRecord reports the first configuration of rec in which the
// component's CPE satisfies a vulnerable cpeMatch and the whole
// configuration holds over the environment. A configuration whose
// vulnerable part matches but whose other nodes (running-on platforms, the
// other product of an AND) are absent is a Note, not a finding.
func (m *Matcher) matchRecord(rec *nvdRecord, c *sbom.Component, cc *CPE, raw string, env *environment, r *Result) (Finding, bool) {
	for ci := range rec.configs {
		cfg := &rec.configs[ci]
		var hit *cpeCriteria
		for ni := range cfg.nodes {
			n := &cfg.nodes[ni]
			if n.negate {
				continue
			}
			for mi := range n.matches {
				k := &n.matches[mi]
				if k.vulnerable && k.matches(cc, false) {
					hit = k
					break
				}
			}
			if hit != nil {
				break
			}
		}
		if hit == nil {
			continue
		}
		var used []string
		if !env.evalConfig(cfg, &used) {
			r.Notes = append(r.Notes, Note{Component: c.Ref, Vulnerability: rec.adv.ID,
				Message: fmt.Sprintf("%s matches %s, but configuration %d (%s) is not satisfied: %s; not reported",
					raw, hit.describe(), ci+1, configOp(cfg), missing(cfg, env))})
			continue
		}
		f := Finding{
			Vulnerability: rec.adv.ID,
			Aliases:       rec.adv.Aliases,
			Source:        SourceNVD,
			Component:     componentRef(c),
			Method:        MethodCPEConfig,
			Evidence:      fmt.Sprintf("%s matches %s of %s", raw, hit.describe(), rec.adv.ID),
		}
		f.Component.CPE = raw
		if len(used) > 0 {
			f.Evidence += "; running on " + strings.Join(used, ", ")
		}
		if hit.endExcl != "" {
			f.FixedIn = []string{hit.endExcl}
		}
		return f, true
	}
	return Finding{}, false
}

func configOp(c *nvdConfig) string {
	op := "OR"
	if c.and {
		op = "AND"
	}
	if c.negate {
		op = "NOT " + op
	}
	return op
}

// missing describes the nodes of a configuration the environment does not satisfy.
func missing(c *nvdConfig, env *environment) string {
	var out []string
	for i := range c.nodes {
		n := &c.nodes[i]
		var ignore []string
		if env.evalNode(n, &ignore) {
			continue
		}
		var names []string
		for _, k := range n.matches {
			names = append(names, k.raw)
		}
		sep := " or "
		if n.and {
			sep = " and "
		}
		prefix := "needs "
		if n.negate {
			prefix = "excludes "
		}
		out = append(out, prefix+strings.Join(names, sep))
	}
	return strings.Join(out, "; ")
}
