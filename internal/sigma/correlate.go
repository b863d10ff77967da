package sigma

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

type compiledCorr struct {
	rule  *Rule
	c     *Correlation
	bases []int32 // compiled rule index per entry of c.Rules
}

func (e *Engine) compileCorr(r *Rule, byRef map[string]int) (*compiledCorr, error) {
	cc := &compiledCorr{rule: r, c: r.Correlation}
	for _, ref := range r.Correlation.Rules {
		i, ok := byRef[ref]
		if !ok {
			return nil, &UnsupportedError{Pos: fmt.Sprintf("%s:%d", r.File, r.Line), Rule: r.Title,
				Feature: "correlation on rule " + ref + " (not a compiled detection rule; chained correlations are not supported)"}
		}
		cc.bases = append(cc.bases, int32(i))
		cr := e.rules[i]
		need := append(append([]string(nil), r.Correlation.GroupBy...), r.Correlation.Field)
		for _, f := range need {
			if f == "" || containsString(cr.names, f) {
				continue
			}
			cr.names = append(cr.names, f)
			cr.fields = append(cr.fields, strings.Split(f, "."))
		}
	}
	return cc, nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// CorrelationMatch is one firing of a correlation rule.
type CorrelationMatch struct {
	Rule   *Rule
	RuleID string
	Title  string
	Level  string
	Tags   []string
	Group  map[string]string // group-by field values
	Start  time.Time         // first event of the window
	End    time.Time         // last event of the window
	Count  int               // events, distinct values, or rules seen
}

// Correlator evaluates correlation rules over a stream of matches in event
// time. Windows are per correlation rule and group: event_count and
// value_count use a tumbling window opened by the first match of a group;
// gt/gte conditions fire as soon as they hold (once per window), the others
// when the window closes (a later match beyond the timespan, or Flush).
// temporal fires when all referenced rules matched within the timespan,
// temporal_ordered when they matched in the listed order. Output depends
// only on the order of the input. A Correlator is not safe for concurrent use.
type Correlator struct {
	e     *Engine
	state map[string]*corrState
}

type corrState struct {
	cc     *compiledCorr
	group  map[string]string
	start  time.Time
	end    time.Time
	count  int
	values map[string]bool
	fired  bool
	seen   []time.Time // temporal: last time per rule position (zero = not seen)
	chain  []time.Time // temporal_ordered: chain start per step
}

// NewCorrelator returns a correlator for the engine's correlation rules.
func (e *Engine) NewCorrelator() *Correlator {
	return &Correlator{e: e, state: map[string]*corrState{}}
}

// Correlations returns the number of compiled correlation rules.
func (e *Engine) Correlations() int { return len(e.corrs) }

// Add feeds one match and returns the correlations it completes.
func (c *Correlator) Add(m Match) []CorrelationMatch {
	var out []CorrelationMatch
	for ci, cc := range c.e.corrs {
		var pos []int
		for p, bi := range cc.bases {
			if c.e.rules[bi].rule == m.Rule {
				pos = append(pos, p)
			}
		}
		if len(pos) == 0 {
			continue
		}
		group := make(map[string]string, len(cc.c.GroupBy))
		for _, g := range cc.c.GroupBy {
			group[g] = m.Fields[g]
		}
		key := windowKey(ci, cc, group)
		st := c.state[key]
		if st == nil {
			st = &corrState{cc: cc, group: group}
			c.state[key] = st
		}
		out = append(out, st.add(m, pos)...)
	}
	return out
}

func (st *corrState) emit(count int) CorrelationMatch {
	r := st.cc.rule
	return CorrelationMatch{Rule: r, RuleID: r.ID, Title: r.Title, Level: r.Level, Tags: r.Tags,
		Group: st.group, Start: st.start, End: st.end, Count: count}
}

func (st *corrState) measure() int {
	if st.cc.c.Type == ValueCount {
		return len(st.values)
	}
	return st.count
}

// close ends the window and reports it when its condition holds.
func (st *corrState) close() []CorrelationMatch {
	var out []CorrelationMatch
	if st.count > 0 && !st.fired && st.cc.c.holds(float64(st.measure())) {
		out = append(out, st.emit(st.measure()))
	}
	st.count, st.values, st.fired = 0, nil, false
	return out
}

func (st *corrState) add(m Match, pos []int) []CorrelationMatch {
	c := st.cc.c
	t := m.Time
	switch c.Type {
	case EventCount, ValueCount:
		var out []CorrelationMatch
		if st.count > 0 && t.Sub(st.start) >= c.Timespan {
			out = st.close()
		}
		if st.count == 0 {
			st.start = t
		}
		st.count++
		st.end = t
		if c.Type == ValueCount {
			if st.values == nil {
				st.values = map[string]bool{}
			}
			if v := m.Fields[c.Field]; v != "" {
				st.values[v] = true
			}
		}
		if !st.fired && (c.Op == "gt" || c.Op == "gte") && c.holds(float64(st.measure())) {
			st.fired = true
			out = append(out, st.emit(st.measure()))
		}
		return out
	case Temporal:
		if st.seen == nil {
			st.seen = make([]time.Time, len(st.cc.bases))
		}
		for _, p := range pos {
			st.seen[p] = t
		}
		need := len(st.seen)
		if c.Op == "gte" && int(c.N) < need {
			need = int(c.N)
		}
		n := 0
		var first time.Time
		for i, s := range st.seen {
			if s.IsZero() || t.Sub(s) > c.Timespan {
				st.seen[i] = time.Time{}
				continue
			}
			n++
			if first.IsZero() || s.Before(first) {
				first = s
			}
		}
		if n >= need {
			st.start, st.end = first, t
			st.seen = nil
			return []CorrelationMatch{st.emit(n)}
		}
	case TemporalOrdered:
		if st.chain == nil {
			st.chain = make([]time.Time, len(st.cc.bases))
		}
		last := len(st.chain) - 1
		for i := len(pos) - 1; i >= 0; i-- {
			p := pos[i]
			if p == 0 {
				st.chain[0] = t
				continue
			}
			prev := st.chain[p-1]
			if !prev.IsZero() && t.Sub(prev) <= c.Timespan && !t.Before(prev) {
				if st.chain[p].IsZero() || prev.After(st.chain[p]) {
					st.chain[p] = prev
				}
			}
		}
		if !st.chain[last].IsZero() {
			st.start, st.end = st.chain[last], t
			st.chain = nil
			return []CorrelationMatch{st.emit(len(st.cc.bases))}
		}
	}
	return nil
}

// Flush closes every open window, in a fixed order, and returns the
// correlations they complete.
func (c *Correlator) Flush() []CorrelationMatch {
	keys := make([]string, 0, len(c.state))
	for k := range c.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []CorrelationMatch
	for _, k := range keys {
		st := c.state[k]
		if st.cc.c.Type == EventCount || st.cc.c.Type == ValueCount {
			out = append(out, st.close()...)
		}
	}
	clear(c.state)
	return out
}

func (c *Correlation) holds(x float64) bool {
	switch c.Op {
	case "gte":
		return x >= c.N
	case "gt":
		return x > c.N
	case "lte":
		return x <= c.N
	case "lt":
		return x < c.N
	case "eq":
		return x == c.N
	case "range":
		return x >= c.N && x <= c.Max
	}
	return true
}

// windowKey names the window of correlation ci for one group.
func windowKey(ci int, cc *compiledCorr, group map[string]string) string {
	var kb strings.Builder
	fmt.Fprintf(&kb, "%d", ci)
	for _, g := range cc.c.GroupBy {
		kb.WriteByte(0)
		kb.WriteString(group[g])
	}
	return kb.String()
}

// open reports whether the window holds anything a later match or Flush
// would use; one that does not equals a fresh window.
func (st *corrState) open() bool {
	switch st.cc.c.Type {
	case Temporal:
		return slices.ContainsFunc(st.seen, func(t time.Time) bool { return !t.IsZero() })
	case TemporalOrdered:
		return slices.ContainsFunc(st.chain, func(t time.Time) bool { return !t.IsZero() })
	}
	return st.count > 0
}

// savedWindow is one open window in the encoding of State.
type savedWindow struct {
	Rule   string            `json:"rule"` // the correlation rule's ID, else its name, else its title
	Group  map[string]string `json:"group,omitempty"`
	Start  time.Time         `json:"start"`
	End    time.Time         `json:"end"`
	Count  int               `json:"count,omitempty"`
	Values []string          `json:"values,omitempty"`
	Fired  bool              `json:"fired,omitempty"`
	Seen   []time.Time       `json:"seen,omitempty"`
	Chain  []time.Time       `json:"chain,omitempty"`
}

type savedState struct {
	Version int           `json:"version"`
	Windows []savedWindow `json:"windows"`
}

const stateVersion = 1

func corrRef(r *Rule) string {
	switch {
	case r.ID != "":
		return r.ID
	case r.Name != "":
		return r.Name
	}
	return r.Title
}

// State encodes the open windows, so that a later Correlator (after a
// restart) continues them with Restore; windows with nothing open are
// dropped, from the encoding and from memory. The encoding is JSON and
// deterministic.
func (c *Correlator) State() ([]byte, error) {
	keys := make([]string, 0, len(c.state))
	for k, st := range c.state {
		if !st.open() {
			delete(c.state, k)
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := savedState{Version: stateVersion, Windows: make([]savedWindow, 0, len(keys))}
	for _, k := range keys {
		st := c.state[k]
		w := savedWindow{Rule: corrRef(st.cc.rule), Group: st.group, Start: st.start, End: st.end,
			Count: st.count, Fired: st.fired, Seen: st.seen, Chain: st.chain}
		for v := range st.values {
			w.Values = append(w.Values, v)
		}
		slices.Sort(w.Values)
		out.Windows = append(out.Windows, w)
	}
	return json.Marshal(out)
}

// Restore replaces the correlator's windows with those State encoded.
// Windows of correlation rules the engine no longer has are dropped, as
// are temporal windows whose rule now refers to a different number of
// rules.
func (c *Correlator) Restore(doc []byte) error {
	var in savedState
	if err := json.Unmarshal(doc, &in); err != nil {
		return fmt.Errorf("sigma: correlation state: %w", err)
	}
	if in.Version != stateVersion {
		return fmt.Errorf("sigma: correlation state version %d, want %d", in.Version, stateVersion)
	}
	byRef := make(map[string]int, len(c.e.corrs))
	for ci, cc := range c.e.corrs {
		byRef[corrRef(cc.rule)] = ci
	}
	clear(c.state)
	for _, w := range in.Windows {
		ci, ok := byRef[w.Rule]
		if !ok {
			continue
		}
		cc := c.e.corrs[ci]
		st := &corrState{cc: cc, group: w.Group, start: w.Start, end: w.End, count: w.Count, fired: w.Fired}
		if st.group == nil {
			st.group = map[string]string{}
		}
		if len(w.Values) > 0 {
			st.values = make(map[string]bool, len(w.Values))
			for _, v := range w.Values {
				st.values[v] = true
			}
		}
		if len(w.Seen) == len(cc.bases) {
			st.seen = w.Seen
		}
		if len(w.Chain) == len(cc.bases) {
			st.chain = w.Chain
		}
		if st.open() {
			c.state[windowKey(ci, cc, st.group)] = st
		}
	}
	return nil
}
