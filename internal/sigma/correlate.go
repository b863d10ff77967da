package sigma

import (
	"fmt"
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
		var kb strings.Builder
		fmt.Fprintf(&kb, "%d", ci)
		group := make(map[string]string, len(cc.c.GroupBy))
		for _, g := range cc.c.GroupBy {
			v := m.Fields[g]
			group[g] = v
			kb.WriteByte(0)
			kb.WriteString(v)
		}
		key := kb.String()
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
