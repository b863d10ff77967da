package sigma

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fastjson"
)

// Options configure Compile.
type Options struct {
	// Logsource selects the rules that apply to the events: a rule is kept
	// when each of its product, service and category is empty, equal to
	// the option (case-insensitive) or the option is empty. Zero keeps all.
	Logsource Logsource
	// Placeholders are the values of the expand modifier's %name%.
	Placeholders map[string][]string
	// TimeField is the event-time field (RFC 3339); default "eventTime".
	TimeField string
	// IDField is the event id field; default "eventID".
	IDField string
}

// Match is one rule that matched one event.
type Match struct {
	Rule    *Rule
	RuleID  string
	Title   string
	Level   string
	Tags    []string
	Time    time.Time // event time, zero when absent or malformed
	EventID string
	// Fields holds the group-by and value fields that correlation rules
	// referencing this rule need; nil otherwise.
	Fields map[string]string
}

// Engine is a compiled rule set. It is safe for concurrent use.
type Engine struct {
	opts      Options
	rules     []*compiledRule
	index     []*fieldIndex
	unindexed []int32
	skipped   []*Rule
	corrs     []*compiledCorr
	timePath  []string
	idPath    []string
	pool      sync.Pool
	conds     int                      // distinct field conditions
	shared    map[string]*fieldMatcher // by condition text, while compiling
}

type fieldIndex struct {
	field string
	path  []string
	byVal map[string][]int32
}

type compiledRule struct {
	rule   *Rule
	cond   node
	fields [][]string // paths extracted into Match.Fields
	names  []string
}

type evalCtx struct {
	p      fastjson.Parser
	root   *fastjson.Value
	leaves []*fastjson.Value
	refs   []*fastjson.Value
	buf    []byte
	buf2   []byte
	low    []byte
	marks  []uint32
	gen    uint32
	memoG  []uint32 // per field condition: generation of the memo
	memoV  []bool
	cands  []int32
}

// Compile compiles detection and correlation rules. Rules whose logsource
// does not fit opts.Logsource are left out and listed by Skipped.
func Compile(rules []*Rule, opts Options) (*Engine, error) {
	if opts.TimeField == "" {
		opts.TimeField = "eventTime"
	}
	if opts.IDField == "" {
		opts.IDField = "eventID"
	}
	e := &Engine{opts: opts, timePath: strings.Split(opts.TimeField, "."), idPath: strings.Split(opts.IDField, ".")}
	var errs []error
	byRef := map[string]int{}
	var corrRules []*Rule
	for _, r := range rules {
		if r.Correlation != nil {
			corrRules = append(corrRules, r)
			continue
		}
		if r.Detection == nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w: rule %q has no detection", r.File, r.Line, ErrSyntax, r.Title))
			continue
		}
		if !logsourceFits(r.Logsource, opts.Logsource) {
			e.skipped = append(e.skipped, r)
			continue
		}
		c, err := e.compileRule(r, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		idx := len(e.rules)
		e.rules = append(e.rules, c)
		if r.ID != "" {
			byRef[r.ID] = idx
		}
		if r.Name != "" {
			byRef[r.Name] = idx
		}
	}
	for _, r := range corrRules {
		cc, err := e.compileCorr(r, byRef)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.corrs = append(e.corrs, cc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e.shared = nil
	e.buildIndex()
	e.pool.New = func() any {
		return &evalCtx{marks: make([]uint32, len(e.rules)), memoG: make([]uint32, e.conds), memoV: make([]bool, e.conds)}
	}
	return e, nil
}

// Skipped lists the rules left out because their logsource does not fit.
func (e *Engine) Skipped() []*Rule { return e.skipped }

// Rules returns the number of compiled detection rules.
func (e *Engine) Rules() int { return len(e.rules) }

// IndexedFields lists the fields the rule index uses, and how many rules
// are checked on every event because no required value could be found.
func (e *Engine) IndexedFields() (fields []string, unindexed int) {
	for _, fi := range e.index {
		fields = append(fields, fi.field)
	}
	return fields, len(e.unindexed)
}

func logsourceFits(r, o Logsource) bool {
	fit := func(a, b string) bool { return a == "" || b == "" || strings.EqualFold(a, b) }
	return fit(r.Product, o.Product) && fit(r.Service, o.Service) && fit(r.Category, o.Category)
}

// Match evaluates the event (one JSON object) and returns the rules that
// match it, in compile order. A malformed event matches nothing; use
// MatchAppend to see the error.
func (e *Engine) Match(event []byte) []Match {
	m, _ := e.MatchAppend(nil, event)
	return m
}

// MatchAppend appends the matches of event to dst.
func (e *Engine) MatchAppend(dst []Match, event []byte) ([]Match, error) {
	ctx := e.pool.Get().(*evalCtx)
	defer e.pool.Put(ctx)
	v, err := ctx.p.ParseBytes(event)
	if err != nil {
		return dst, fmt.Errorf("sigma: event: %w", err)
	}
	return e.matchValue(ctx, dst, v), nil
}

// MatchValue appends the matches of an event already parsed (by the
// CloudTrail reader) to dst, sparing a second parse.
func (e *Engine) MatchValue(dst []Match, v *fastjson.Value) []Match {
	ctx := e.pool.Get().(*evalCtx)
	defer e.pool.Put(ctx)
	return e.matchValue(ctx, dst, v)
}

func (e *Engine) matchValue(ctx *evalCtx, dst []Match, v *fastjson.Value) []Match {
	ctx.root = v
	ctx.gen++
	if ctx.gen == 0 {
		clear(ctx.marks)
		clear(ctx.memoG)
		ctx.gen = 1
	}
	ctx.cands = append(ctx.cands[:0], e.unindexed...)
	for _, fi := range e.index {
		ctx.leaves = collect(ctx.leaves[:0], v, fi.path)
		for _, l := range ctx.leaves {
			s, ok := leafString(l, &ctx.buf)
			if !ok {
				continue
			}
			ctx.low = appendLower(ctx.low[:0], s)
			for _, ri := range fi.byVal[string(ctx.low)] {
				if ctx.marks[ri] != ctx.gen {
					ctx.marks[ri] = ctx.gen
					ctx.cands = append(ctx.cands, ri)
				}
			}
		}
	}
	if len(ctx.cands) == 0 {
		return dst
	}
	slices.Sort(ctx.cands)
	var evTime time.Time
	var evID string
	timeDone := false
	for _, ri := range ctx.cands {
		cr := e.rules[ri]
		if !cr.cond.eval(ctx) {
			continue
		}
		if !timeDone {
			timeDone = true
			if s, ok := firstString(ctx, e.timePath); ok {
				evTime, _ = time.Parse(time.RFC3339Nano, s)
			}
			evID, _ = firstString(ctx, e.idPath)
			evID = strings.Clone(evID)
		}
		m := Match{Rule: cr.rule, RuleID: cr.rule.ID, Title: cr.rule.Title, Level: cr.rule.Level,
			Tags: cr.rule.Tags, Time: evTime, EventID: evID}
		if len(cr.fields) > 0 {
			m.Fields = make(map[string]string, len(cr.fields))
			for i, p := range cr.fields {
				s, _ := firstString(ctx, p)
				m.Fields[cr.names[i]] = strings.Clone(s)
			}
		}
		dst = append(dst, m)
	}
	return dst
}

func firstString(ctx *evalCtx, path []string) (string, bool) {
	ctx.refs = collect(ctx.refs[:0], ctx.root, path)
	for _, l := range ctx.refs {
		if s, ok := leafString(l, &ctx.buf2); ok {
			return s, true
		}
	}
	return "", false
}

func appendLower(dst []byte, s string) []byte {
	if !isASCII(s) {
		return append(dst, strings.ToLower(s)...)
	}
	for i := 0; i < len(s); i++ {
		dst = append(dst, lowerASCII(s[i]))
	}
	return dst
}

// collect appends the leaves at a dotted path: arrays on the way and at the
// end are flattened, so a path reaches into every element.
func collect(dst []*fastjson.Value, v *fastjson.Value, path []string) []*fastjson.Value {
	if v.Type() == fastjson.TypeArray {
		arr, _ := v.Array()
		for _, x := range arr {
			dst = collect(dst, x, path)
		}
		return dst
	}
	if len(path) == 0 {
		return append(dst, v)
	}
	if v.Type() != fastjson.TypeObject {
		return dst
	}
	c := v.Get(path[0])
	if c == nil {
		return dst
	}
	return collect(dst, c, path[1:])
}

func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// leafString is the text a string pattern sees: strings as they are,
// numbers as written, true/false, objects as compact JSON; null has none.
func leafString(v *fastjson.Value, buf *[]byte) (string, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return b2s(b), true
	case fastjson.TypeNumber, fastjson.TypeObject:
		*buf = v.MarshalTo((*buf)[:0])
		return b2s(*buf), true
	case fastjson.TypeTrue:
		return "true", true
	case fastjson.TypeFalse:
		return "false", true
	}
	return "", false
}

// --- compiled condition tree ---

type node interface{ eval(*evalCtx) bool }

type nodeAnd []node
type nodeOr []node
type nodeNot struct{ x node }
type nodeSel struct{ alts [][]*fieldMatcher }
type nodeAtLeast struct {
	n  int
	xs []node
}

func (n nodeAnd) eval(c *evalCtx) bool {
	for _, x := range n {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

func (n nodeOr) eval(c *evalCtx) bool {
	for _, x := range n {
		if x.eval(c) {
			return true
		}
	}
	return false
}

func (n *nodeNot) eval(c *evalCtx) bool { return !n.x.eval(c) }

func (n *nodeAtLeast) eval(c *evalCtx) bool {
	k := 0
	for i, x := range n.xs {
		if x.eval(c) {
			k++
			if k >= n.n {
				return true
			}
		}
		if k+len(n.xs)-i-1 < n.n {
			return false
		}
	}
	return false
}

func (n *nodeSel) eval(c *evalCtx) bool {
alts:
	for _, alt := range n.alts {
		for _, fm := range alt {
			if !fm.eval(c) {
				continue alts
			}
		}
		return true
	}
	return false
}

func (e *Engine) compileRule(r *Rule, opts Options) (*compiledRule, error) {
	sels := map[string]node{}
	names := make([]string, 0, len(r.Detection.Selections))
	for name, s := range r.Detection.Selections {
		names = append(names, name)
		ns := &nodeSel{}
		for _, alt := range s.Alts {
			var fms []*fieldMatcher
			for _, fc := range alt {
				key := fmt.Sprintf("%s|%q|%#v", fc.Field, fc.Modifiers, fc.Values)
				if fm, ok := e.shared[key]; ok {
					fms = append(fms, fm)
					continue
				}
				fm, err := compileFieldCond(fc, opts.Placeholders, false)
				if err != nil {
					var ue *UnsupportedError
					if errors.As(err, &ue) {
						return nil, &UnsupportedError{Pos: fmt.Sprintf("%s:%d", r.File, fc.Line), Rule: r.Title, Feature: ue.Feature}
					}
					return nil, fmt.Errorf("%s:%d: %w: %v", r.File, fc.Line, ErrSyntax, err)
				}
				if e.shared == nil {
					e.shared = map[string]*fieldMatcher{}
				}
				fm.id = e.conds
				e.conds++
				e.shared[key] = fm
				fms = append(fms, fm)
			}
			ns.alts = append(ns.alts, fms)
		}
		sels[name] = ns
	}
	sort.Strings(names)
	var build func(c Cond) node
	build = func(c Cond) node {
		switch c := c.(type) {
		case *CondAnd:
			return nodeAnd{build(c.L), build(c.R)}
		case *CondOr:
			return nodeOr{build(c.L), build(c.R)}
		case *CondNot:
			return &nodeNot{build(c.X)}
		case *CondRef:
			return sels[c.Name]
		case *CondOf:
			var xs []node
			for _, n := range expandOf(c, names) {
				xs = append(xs, sels[n])
			}
			if c.N == 0 {
				return nodeAnd(xs)
			}
			if c.N == 1 {
				return nodeOr(xs)
			}
			return &nodeAtLeast{n: c.N, xs: xs}
		}
		return nodeOr{}
	}
	if err := checkRefs(r.Detection.Cond, names); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", r.File, r.Line, err)
	}
	return &compiledRule{rule: r, cond: build(r.Detection.Cond)}, nil
}

// eval evaluates the condition once per event; rules sharing an equal
// condition reuse the result.
func (fm *fieldMatcher) eval(c *evalCtx) bool {
	if c.memoG[fm.id] == c.gen {
		return c.memoV[fm.id]
	}
	r := fm.evalOnce(c)
	c.memoG[fm.id], c.memoV[fm.id] = c.gen, r
	return r
}

func (fm *fieldMatcher) evalOnce(c *evalCtx) bool {
	if fm.keyword {
		return fm.evalKeyword(c)
	}
	c.leaves = collect(c.leaves[:0], c.root, fm.path)
	leaves := c.leaves
	if fm.exists != 0 {
		return (len(leaves) > 0) == (fm.exists > 0)
	}
	if fm.all {
		for i := range fm.vals {
			if !fm.vals[i].any(c, leaves) {
				return false
			}
		}
		return true
	}
	for i := range fm.vals {
		if fm.vals[i].any(c, leaves) {
			return true
		}
	}
	return false
}

func (vm *valMatcher) any(c *evalCtx, leaves []*fastjson.Value) bool {
	if vm.kind == vmNull {
		if len(leaves) == 0 {
			return true
		}
		for _, l := range leaves {
			if l.Type() == fastjson.TypeNull {
				return true
			}
		}
		return false
	}
	for _, l := range leaves {
		if vm.matchLeaf(c, l) {
			return true
		}
	}
	return false
}

func (vm *valMatcher) matchLeaf(c *evalCtx, l *fastjson.Value) bool {
	s, ok := leafString(l, &c.buf)
	if !ok {
		return false
	}
	switch vm.kind {
	case vmStr:
		return vm.pat.match(s)
	case vmRe:
		if vm.reLit != "" && !strings.Contains(s, vm.reLit) {
			return false
		}
		return vm.re.MatchString(s)
	case vmCIDR:
		a, err := netip.ParseAddr(s)
		return err == nil && vm.prefix.Contains(a)
	case vmNum:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) {
			return false
		}
		switch vm.op {
		case "gt":
			return f > vm.num
		case "gte":
			return f >= vm.num
		case "lt":
			return f < vm.num
		}
		return f <= vm.num
	case vmFieldref:
		c.refs = collect(c.refs[:0], c.root, vm.ref)
		for _, r := range c.refs {
			rs, ok := leafString(r, &c.buf2)
			if !ok {
				continue
			}
			a, b := s, rs
			if !vm.cased {
				a, b = strings.ToLower(a), strings.ToLower(b)
			}
			switch vm.refMod {
			case "contains":
				ok = strings.Contains(a, b)
			case "startswith":
				ok = strings.HasPrefix(a, b)
			case "endswith":
				ok = strings.HasSuffix(a, b)
			default:
				ok = a == b
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// evalKeyword matches keywords against every scalar value of the event.
func (fm *fieldMatcher) evalKeyword(c *evalCtx) bool {
	var walk func(v *fastjson.Value) bool
	walk = func(v *fastjson.Value) bool {
		switch v.Type() {
		case fastjson.TypeObject:
			o, _ := v.Object()
			found := false
			o.Visit(func(_ []byte, x *fastjson.Value) {
				if !found && walk(x) {
					found = true
				}
			})
			return found
		case fastjson.TypeArray:
			arr, _ := v.Array()
			for _, x := range arr {
				if walk(x) {
					return true
				}
			}
			return false
		}
		for i := range fm.vals {
			if fm.vals[i].kind != vmNull && fm.vals[i].matchLeaf(c, v) {
				return true
			}
		}
		return false
	}
	return walk(c.root)
}

// --- index ---

type reqKey struct{ field, val string }

// requirement returns pairs of which at least one holds (field equals
// value, lowercased) whenever n is true; nil when there is none.
func requirement(n node) []reqKey {
	switch n := n.(type) {
	case *nodeSel:
		var out []reqKey
		for _, alt := range n.alts {
			var best []reqKey
			for _, fm := range alt {
				if r := fm.requirement(); r != nil && better(r, best) {
					best = r
				}
			}
			if best == nil {
				return nil
			}
			out = append(out, best...)
		}
		return out
	case nodeAnd:
		var best []reqKey
		for _, x := range n {
			if r := requirement(x); r != nil && better(r, best) {
				best = r
			}
		}
		return best
	case nodeOr:
		var out []reqKey
		for _, x := range n {
			r := requirement(x)
			if r == nil {
				return nil
			}
			out = append(out, r...)
		}
		return out
	case *nodeAtLeast:
		return requirement(nodeOr(n.xs))
	}
	return nil
}

func score(r []reqKey) int {
	s := len(r)
	for _, k := range r {
		if k.field != "eventName" {
			s += 1000
		}
	}
	return s
}

func better(r, best []reqKey) bool { return best == nil || score(r) < score(best) }

func (fm *fieldMatcher) requirement() []reqKey {
	if fm.keyword || fm.exists != 0 || len(fm.vals) == 0 {
		return nil
	}
	var out []reqKey
	for i := range fm.vals {
		vm := &fm.vals[i]
		if vm.kind != vmStr {
			return nil
		}
		lit, ok := vm.pat.exact()
		if !ok {
			return nil
		}
		out = append(out, reqKey{fm.field, strings.ToLower(lit)})
	}
	return out
}

func (e *Engine) buildIndex() {
	byField := map[string]*fieldIndex{}
	for i, cr := range e.rules {
		req := requirement(cr.cond)
		if req == nil {
			e.unindexed = append(e.unindexed, int32(i))
			continue
		}
		for _, k := range req {
			fi := byField[k.field]
			if fi == nil {
				fi = &fieldIndex{field: k.field, path: strings.Split(k.field, "."), byVal: map[string][]int32{}}
				byField[k.field] = fi
				e.index = append(e.index, fi)
			}
			if l := fi.byVal[k.val]; len(l) == 0 || l[len(l)-1] != int32(i) {
				fi.byVal[k.val] = append(l, int32(i))
			}
		}
	}
	sort.Slice(e.index, func(a, b int) bool { return e.index[a].field < e.index[b].field })
}
