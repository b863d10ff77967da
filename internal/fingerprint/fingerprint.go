// Package fingerprint classifies a device — infusion pump, patient monitor,
// PACS, printer ... — from the signals the inventory gathered about it
// (OUI vendor, DHCP host names and vendor class, ports it serves and uses,
// DNS names and TLS server names it looks up, software banners), using an
// open corpus of data-driven rules: YAML files, one rule per file, with
// their own example devices (the embedded corpus is in the repository's
// fingerprints/ folder; docs/fingerprints.md documents the schema).
//
// It owns the rule schema, its strict loader, the compiled index, the
// classification and the table of device classes with their default
// criticality. It must not do I/O beyond reading the fs.FS it is given,
// keep per-device state, or know any vendor fact in Go code: facts live in
// the rules.
package fingerprint

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/vigil-iomt/vigil/internal/asset"
)

// Result is the classification of one device.
type Result struct {
	Class        string  // a name from Classes(); Unknown when no rule matched
	Confidence   float64 // in [0, 1], rounded to 4 decimals
	Manufacturer string  // from the strongest matching rule that names one
	Model        string
	// Evidence lists, for every rule that supports Class, each condition
	// that matched: the signal and the device's value. It is sorted by
	// confidence (highest first), then rule id, signal and value.
	Evidence []asset.Evidence
}

// Corpus is a compiled set of rules. It is immutable and safe for
// concurrent use.
type Corpus struct {
	rules []*rule // sorted by id

	// Indexes from a signal value to the conditions it satisfies.
	ports    [2]map[uint32][]ref // [0] server, [1] client
	services [2]map[string][]ref // [0] server, [1] client
	names    [2]map[string][]ref // exact DNS names: [0] dns, [1] tls_server_name
	suffixes [2]map[string][]ref // "*.suffix" globs, by suffix
	globs    [2][]indexedMatcher // other globs
	// Regular expressions per signal: those anchored on a literal prefix
	// are indexed by its first bytes; the others are scanned.
	regexps  [numSignals][]indexedMatcher // all of them
	byPrefix [numSignals]map[[prefixLen]byte][]indexedMatcher
	scan     [numSignals][]indexedMatcher

	pool sync.Pool // *scratch
}

// ref names one condition of one rule.
type ref struct {
	rule int32
	cond uint8
}

type indexedMatcher struct {
	ref
	m *matcher
}

func newCorpus(rules []*rule) *Corpus {
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	c := &Corpus{rules: rules}
	for i := range 2 {
		c.ports[i] = make(map[uint32][]ref)
		c.services[i] = make(map[string][]ref)
		c.names[i] = make(map[string][]ref)
		c.suffixes[i] = make(map[string][]ref)
	}
	for ri, r := range rules {
		for mi := range r.matchers {
			m := &r.matchers[mi]
			rf := ref{rule: int32(ri), cond: m.cond}
			switch m.sig {
			case sigServerPort, sigClientPort:
				side := sideOf(m.sig)
				c.ports[side][m.port] = appendRef(c.ports[side][m.port], rf)
			case sigServerService, sigClientService:
				side := sideOf(m.sig)
				c.services[side][m.text] = appendRef(c.services[side][m.text], rf)
			case sigDNS, sigTLSServerName:
				side := sideOf(m.sig)
				switch m.shape {
				case globExact:
					c.names[side][m.text] = appendRef(c.names[side][m.text], rf)
				case globSuffix:
					c.suffixes[side][m.text] = appendRef(c.suffixes[side][m.text], rf)
				default:
					c.globs[side] = append(c.globs[side], indexedMatcher{rf, m})
				}
			default:
				im := indexedMatcher{rf, m}
				c.regexps[m.sig] = append(c.regexps[m.sig], im)
				if m.re.prefixes == nil {
					c.scan[m.sig] = append(c.scan[m.sig], im)
					continue
				}
				if c.byPrefix[m.sig] == nil {
					c.byPrefix[m.sig] = make(map[[prefixLen]byte][]indexedMatcher)
				}
				seen := make(map[[prefixLen]byte]bool)
				for _, p := range m.re.prefixes {
					k, _ := prefixKey(p)
					if !seen[k] {
						seen[k] = true
						c.byPrefix[m.sig][k] = append(c.byPrefix[m.sig][k], im)
					}
				}
			}
		}
	}
	for ri, r := range rules {
		var lazy uint64
		for _, im := range flatten(c.scan[:]) {
			if im.rule == int32(ri) {
				lazy |= 1 << im.cond
			}
		}
		r.eagerRequired = r.required &^ lazy
		if len(r.groups) > 0 {
			r.eagerGroups = make([]uint64, len(r.groups))
			for i, g := range r.groups {
				r.eagerGroups[i] = g &^ lazy
			}
		}
	}
	c.pool.New = func() any {
		return &scratch{sat: make([]uint64, len(c.rules)), scores: make([]classScore, len(classes))}
	}
	return c
}

func flatten(lists [][]indexedMatcher) []indexedMatcher {
	var out []indexedMatcher
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// appendRef adds rf unless the same condition is already listed (two
// patterns of one condition may select the same value).
func appendRef(refs []ref, rf ref) []ref {
	if slices.Contains(refs, rf) {
		return refs
	}
	return append(refs, rf)
}

// sideOf maps the server/client (dns/tls) signals to index 0/1.
func sideOf(s signal) int {
	switch s {
	case sigClientPort, sigClientService, sigTLSServerName:
		return 1
	}
	return 0
}

// Len returns the number of rules.
func (c *Corpus) Len() int { return len(c.rules) }

// Rules describes the rules, sorted by id.
func (c *Corpus) Rules() []Rule {
	out := make([]Rule, len(c.rules))
	for i, r := range c.rules {
		out[i] = r.Rule
		out[i].References = append([]string(nil), r.References...)
	}
	return out
}

// scratch is the per-call working state of a classification.
type scratch struct {
	sat      []uint64 // per rule: bits of the satisfied conditions
	touched  []int32  // rules with at least one bit set
	hits     []hit    // the first value that satisfied each condition
	lower    []byte   // the value being matched, in lower case
	software []string // the device's software as name/version
	matched  []int32  // rules that match, in id order
	scores   []classScore
	support  []*rule
}

type hit struct {
	ref
	value string
	port  uint32 // for port signals, value is formatted on demand
}

func (s *scratch) set(rf ref, value string, port uint32) {
	bit := uint64(1) << rf.cond
	m := s.sat[rf.rule]
	if m&bit != 0 {
		return
	}
	if m == 0 {
		s.touched = append(s.touched, rf.rule)
	}
	s.sat[rf.rule] = m | bit
	s.hits = append(s.hits, hit{ref: rf, value: value, port: port})
}

func (s *scratch) reset() {
	for _, r := range s.touched {
		s.sat[r] = 0
	}
	s.touched = s.touched[:0]
	s.hits = s.hits[:0]
}

// observe feeds every signal value of d to the indexes. It runs in two
// phases: first everything that an index answers (ports, services, names,
// regular expressions anchored on a literal prefix); then the regular
// expressions that must be scanned, each only for rules whose other
// conditions already hold, so that a host-name pattern costs nothing on a
// device that offers no DICOM.
func (c *Corpus) observe(d *asset.Device, s *scratch) {
	vendor := strings.TrimSpace(d.Vendor)
	dhcp := strings.TrimSpace(d.DHCPVendorClass)
	c.observeIndexed(sigOUIVendor, vendor, s)
	c.observeIndexed(sigDHCPVendorClass, dhcp, s)
	for _, h := range d.Hostnames {
		c.observeIndexed(sigHostname, strings.TrimSpace(h), s)
	}
	software := c.softwareValues(d, s)
	for _, v := range software {
		c.observeIndexed(sigSoftware, v, s)
	}
	for side, list := range [2][]asset.Service{d.Services, d.Clients} {
		for _, svc := range list {
			if proto, ok := protocols[lowerProto(svc.Proto)]; ok {
				k := portKey(proto, svc.Port)
				for _, rf := range c.ports[side][k] {
					s.set(rf, "", k)
				}
			}
			if svc.Name == "" || len(c.services[side]) == 0 {
				continue
			}
			// Zeek lists several services as "ssl,http".
			for name := range strings.SplitSeq(svc.Name, ",") {
				name = strings.ToLower(strings.TrimSpace(name))
				for _, rf := range c.services[side][name] {
					s.set(rf, name, 0)
				}
			}
		}
	}
	for side, list := range [2][]string{d.DNSNames, d.TLSServers} {
		for _, raw := range list {
			name := normName(raw)
			if name == "" {
				continue
			}
			for _, rf := range c.names[side][name] {
				s.set(rf, name, 0)
			}
			if len(c.suffixes[side]) > 0 {
				for i := 0; i < len(name); i++ {
					if name[i] != '.' {
						continue
					}
					for _, rf := range c.suffixes[side][name[i+1:]] {
						s.set(rf, name, 0)
					}
				}
			}
			for _, im := range c.globs[side] {
				if im.m.glob.MatchString(name) {
					s.set(im.ref, name, 0)
				}
			}
		}
	}

	// Phase 2.
	c.observeScan(sigOUIVendor, vendor, s)
	c.observeScan(sigDHCPVendorClass, dhcp, s)
	for _, h := range d.Hostnames {
		c.observeScan(sigHostname, strings.TrimSpace(h), s)
	}
	for _, v := range software {
		c.observeScan(sigSoftware, v, s)
	}
}

// softwareValues returns the software of d as "name/version" strings, or
// nil when no rule looks at software.
func (c *Corpus) softwareValues(d *asset.Device, s *scratch) []string {
	if len(c.regexps[sigSoftware]) == 0 || len(d.Software) == 0 {
		return nil
	}
	out := s.software[:0]
	for _, sw := range d.Software {
		v := sw.Name
		if sw.Version != "" {
			v = sw.Name + "/" + sw.Version
		}
		out = append(out, v)
	}
	s.software = out
	return out
}

// observeIndexed tries the regular expressions of sig whose literal prefix
// starts v (ignoring case); for a value that is not ASCII, every one.
func (c *Corpus) observeIndexed(sig signal, v string, s *scratch) {
	if v == "" || len(c.regexps[sig]) == 0 {
		return
	}
	lower := appendLowerASCII(s.lower[:0], v)
	if lower == nil {
		c.tryRegexps(c.regexps[sig], v, nil, s, false)
		return
	}
	s.lower = lower
	if k, ok := prefixKey(lower); ok {
		c.tryRegexps(c.byPrefix[sig][k], v, lower, s, false)
	}
}

// observeScan tries the unindexed regular expressions of sig for rules that
// can still match.
func (c *Corpus) observeScan(sig signal, v string, s *scratch) {
	if v == "" || len(c.scan[sig]) == 0 {
		return
	}
	lower := appendLowerASCII(s.lower[:0], v)
	if lower == nil {
		return // already tried in phase 1
	}
	s.lower = lower
	c.tryRegexps(c.scan[sig], v, lower, s, true)
}

func (c *Corpus) tryRegexps(ms []indexedMatcher, v string, lower []byte, s *scratch, gated bool) {
	for _, im := range ms {
		sat := s.sat[im.rule]
		if sat&(1<<im.cond) != 0 {
			continue // already satisfied by an earlier value
		}
		if gated && !c.rules[im.rule].possible(sat) {
			continue
		}
		if im.m.re.matchValue(v, lower) {
			s.set(im.ref, v, 0)
		}
	}
}

// possible reports whether the rule can still match once its lazy
// conditions (the scanned regular expressions) are known, given the
// satisfied conditions sat of everything else.
func (r *rule) possible(sat uint64) bool {
	if sat&r.eagerRequired != r.eagerRequired {
		return false
	}
	if len(r.eagerGroups) == 0 {
		return true
	}
	for _, g := range r.eagerGroups {
		if sat&g == g {
			return true
		}
	}
	return false
}

func lowerProto(p string) string {
	switch p {
	case "tcp", "udp", "sctp":
		return p
	}
	return strings.ToLower(p)
}

// matched returns the indexes of the rules whose conditions hold, in id
// order.
func (c *Corpus) matched(s *scratch) []int32 {
	out := s.matched[:0]
	for _, ri := range s.touched {
		if c.rules[ri].holds(s.sat[ri]) {
			out = append(out, ri)
		}
	}
	slices.Sort(out)
	s.matched = out
	return out
}

// holds reports whether the satisfied conditions sat make the rule match.
func (r *rule) holds(sat uint64) bool {
	if sat&r.exclude != 0 || sat&r.required != r.required {
		return false
	}
	if len(r.groups) == 0 {
		return true
	}
	for _, g := range r.groups {
		if sat&g == g {
			return true
		}
	}
	return false
}

// supporting returns the bits of the positive conditions that made the
// rule match: those of match: and of every satisfied set of any:.
func (r *rule) supporting(sat uint64) uint64 {
	bits := r.required
	for _, g := range r.groups {
		if sat&g == g {
			bits |= g
		}
	}
	return bits
}

// Classify returns the most likely class of d with its evidence. Rules of
// one class combine as independent evidence, 1 - ∏(1 - confidence), and a
// rule for a general class (imaging_modality) also supports its refinements
// (imaging_ct ...). The class with the highest combined confidence wins;
// ties go to the more specific class, then to the class whose first rule id
// sorts first. The result depends only on d and the corpus.
func (c *Corpus) Classify(d *asset.Device) Result {
	if d == nil || len(c.rules) == 0 {
		return Result{Class: Unknown}
	}
	s := c.pool.Get().(*scratch)
	defer func() {
		s.reset()
		c.pool.Put(s)
	}()
	c.observe(d, s)
	matched := c.matched(s)
	if len(matched) == 0 {
		return Result{Class: Unknown}
	}

	// Per class: the product of (1 - confidence) of its own rules, and the
	// first rule (by id) that names it.
	scores := s.scores
	for i := range scores {
		scores[i] = classScore{own: 1}
	}
	for _, ri := range matched {
		r := c.rules[ri]
		cs := &scores[r.class]
		if !cs.has {
			cs.has, cs.first = true, ri
		}
		cs.own *= 1 - r.Confidence
	}
	best := -1
	var bestScore float64
	for ci := range scores {
		if !scores[ci].has {
			continue
		}
		p := 1.0
		for _, a := range lineage(ci) {
			p *= scores[a].own
		}
		combined := 1 - p
		if best < 0 || better(ci, best, combined, bestScore, scores[ci].first, scores[best].first) {
			best, bestScore = ci, combined
		}
	}
	res := Result{Class: classes[best].Name, Confidence: math.Round(bestScore*1e4) / 1e4}

	// The rules that support the class: its own and its ancestors'.
	supports := func(r *rule) bool { return slices.Contains(lineage(best), r.class) }
	support := s.support[:0]
	for _, ri := range matched {
		if supports(c.rules[ri]) {
			support = append(support, c.rules[ri])
		}
	}
	s.support = support
	// Strongest first, then by id: the first that names a manufacturer
	// gives it, and the first with a model of that manufacturer the model.
	slices.SortStableFunc(support, func(a, b *rule) int { return cmp.Compare(b.Confidence, a.Confidence) })
	for _, r := range support {
		if r.Manufacturer != "" {
			res.Manufacturer = r.Manufacturer
			break
		}
	}
	for _, r := range support {
		if r.Model != "" && (r.Manufacturer == "" || r.Manufacturer == res.Manufacturer) {
			res.Model = r.Model
			break
		}
	}
	n := 0
	// A hit is evidence when its rule matched, supports the class, and the
	// condition it satisfied is one that made the rule match.
	evidence := func(h hit) bool {
		r := c.rules[h.rule]
		sat := s.sat[h.rule]
		return supports(r) && r.holds(sat) && r.supporting(sat)&(1<<h.cond) != 0
	}
	for _, h := range s.hits {
		if evidence(h) {
			n++
		}
	}
	res.Evidence = make([]asset.Evidence, 0, n)
	for _, h := range s.hits {
		if !evidence(h) {
			continue
		}
		r := c.rules[h.rule]
		v := h.value
		if h.port != 0 {
			v = formatPortKey(h.port)
		}
		res.Evidence = append(res.Evidence, asset.Evidence{
			Rule: r.ID, Signal: r.conds[h.cond].sig.String(), Value: v, Confidence: r.Confidence,
		})
	}
	slices.SortFunc(res.Evidence, func(a, b asset.Evidence) int {
		if c := cmp.Compare(b.Confidence, a.Confidence); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Signal, b.Signal), cmp.Compare(a.Value, b.Value))
	})
	return res
}

// classScore accumulates the rules of one class during a classification.
type classScore struct {
	own   float64 // ∏(1 - confidence) of the class's own rules
	first int32   // the first of them, by id
	has   bool
}

// better reports whether class a beats class b.
func better(a, b int, sa, sb float64, fa, fb int32) bool {
	if sa != sb {
		return sa > sb
	}
	if da, db := len(lineage(a)), len(lineage(b)); da != db {
		return da > db
	}
	return fa < fb
}

// Matches returns the ids of the rules that match d, sorted.
func (c *Corpus) Matches(d *asset.Device) []string {
	if d == nil {
		return nil
	}
	s := c.pool.Get().(*scratch)
	defer func() {
		s.reset()
		c.pool.Put(s)
	}()
	c.observe(d, s)
	var out []string
	for _, ri := range c.matched(s) {
		out = append(out, c.rules[ri].ID)
	}
	return out
}

// TestResult is the outcome of one example device of a rule.
type TestResult struct {
	Rule string // rule id
	Name string // the example's name
	Pos  string // "file:line" of the example
	Want bool   // whether the rule should match
	Got  bool   // whether it did
}

// Failed reports whether the rule did not do what the example expects.
func (t TestResult) Failed() bool { return t.Want != t.Got }

func (t TestResult) String() string {
	verdict := "ok"
	if t.Failed() {
		verdict = fmt.Sprintf("FAIL: want match=%v, got match=%v", t.Want, t.Got)
	}
	return fmt.Sprintf("%s: %s %q: %s", t.Pos, t.Rule, t.Name, verdict)
}

// RunTests evaluates every rule's example devices through the compiled
// index, in rule order.
func (c *Corpus) RunTests() []TestResult {
	var out []TestResult
	for _, r := range c.rules {
		for _, t := range r.tests {
			got := slices.Contains(c.Matches(t.device), r.ID)
			out = append(out, TestResult{
				Rule: r.ID, Name: t.name, Pos: fmt.Sprintf("%s:%d", r.File, t.line), Want: t.want, Got: got,
			})
		}
	}
	return out
}
