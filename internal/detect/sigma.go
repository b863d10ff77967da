package detect

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/ingest/cloudtrail"
	"github.com/vigil-iomt/vigil/internal/sigma"
)

// SigmaRules turns the Sigma engine's matches on cloud audit events into
// alerts: one per rule and principal (the identity that made the calls),
// with the rule's level, its ATT&CK tags and its D3FEND countermeasures.
// It owns a Correlator, so it is used by one goroutine.
type SigmaRules struct {
	engine  *sigma.Engine
	corr    *sigma.Correlator
	matches []sigma.Match // reused between events
	// counted are the rules correlation rules count: their matches feed
	// the correlations and are not alerts themselves (Sigma's default,
	// generate: false).
	counted map[string]bool
	// mappings caches each rule's ATT&CK and D3FEND IDs, by rule ID.
	mappings map[string]mapping
}

type mapping struct{ attack, d3fend []string }

// NewSigmaRules wraps a compiled rule set; rules are the rules it was
// compiled from.
func NewSigmaRules(e *sigma.Engine, rules []*sigma.Rule) *SigmaRules {
	s := &SigmaRules{engine: e, corr: e.NewCorrelator(), counted: map[string]bool{}, mappings: map[string]mapping{}}
	for _, r := range rules {
		if r.Correlation != nil {
			for _, ref := range r.Correlation.Rules {
				s.counted[ref] = true
			}
		}
	}
	return s
}

// DefaultCloudD3FEND is the countermeasure of a cloud audit rule that does
// not name its own with a vigil.d3fend.D3-… tag: the analysis of what
// identities do with the cloud's API.
var DefaultCloudD3FEND = []string{"D3-UBA"}

// Judge matches one event and raises what it matched on alerts. A match
// that only repeats an alert already described is counted without
// building its description again.
func (s *SigmaRules) Judge(ev cloudtrail.Event, alerts *Engine) {
	var ms []sigma.Match
	if ev.Value != nil {
		ms = s.engine.MatchValue(s.matches[:0], ev.Value)
		s.matches = ms
	} else {
		ms = s.engine.Match(ev.Raw)
	}
	if len(ms) == 0 {
		return
	}
	var evidence *alert.Evidence // built once, when an alert needs it
	for _, m := range ms {
		if m.Rule == nil || !s.counted[m.Rule.ID] && !s.counted[m.Rule.Name] {
			key := Key("sigma", m.RuleID, ev.AccountID, ev.Principal)
			if !alerts.Repeat(key, ev.Time) {
				if evidence == nil {
					evidence = eventEvidence(ev)
				}
				alerts.Raise(s.occurrence(m.Rule, key, m.RuleID, m.Title, m.Level, m.Tags, ev.AccountID, ev.Principal, ev.Time, *evidence))
			}
		}
		for _, c := range s.corr.Add(m) {
			alerts.Raise(s.correlation(c, ev.AccountID))
		}
	}
}

// State encodes what the rules keep from one event to the next — the
// open correlation windows — for Restore to continue after a restart.
func (s *SigmaRules) State() ([]byte, error) { return s.corr.State() }

// Restore continues the windows State encoded.
func (s *SigmaRules) Restore(doc []byte) error { return s.corr.Restore(doc) }

// eventEvidence describes the event a rule matched.
func eventEvidence(ev cloudtrail.Event) *alert.Evidence {
	who, from := ev.Principal, ev.SourceIP
	e := &alert.Evidence{Kind: "event", Time: ev.Time, Source: ev.Pos.String(),
		Summary: fmt.Sprintf("%s %s by %s from %s in %s", ev.Source, ev.Name, orDash(who), orDash(from), orDash(ev.Region)),
		Fields: map[string]string{"eventID": ev.ID, "eventSource": ev.Source, "eventName": ev.Name, "awsRegion": ev.Region,
			"recipientAccountId": ev.AccountID, "principal": who, "sourceIPAddress": from}}
	for k, v := range e.Fields {
		if v == "" {
			delete(e.Fields, k)
		}
	}
	return e
}

// correlation builds the occurrence of a correlation rule's window.
func (s *SigmaRules) correlation(c sigma.CorrelationMatch, account string) Occurrence {
	keys := make([]string, 0, len(c.Group))
	for k := range c.Group {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var group []string
	for _, k := range keys {
		group = append(group, k+"="+c.Group[k])
	}
	ev := alert.Evidence{Kind: "rule", Time: c.End, Summary: fmt.Sprintf("%d in the window %s … %s (%s)", c.Count,
		c.Start.Format(time.RFC3339), c.End.Format(time.RFC3339), strings.Join(group, ", ")), Fields: c.Group}
	who := strings.Join(group, ",")
	return s.occurrence(c.Rule, Key("sigma", c.RuleID, account, who), c.RuleID, c.Title, c.Level, c.Tags, account, who, c.End, ev)
}

// occurrence describes one alert of a rule (or correlation) match.
func (s *SigmaRules) occurrence(r *sigma.Rule, key, id, title, level string, tags []string, account, who string, at time.Time, ev alert.Evidence) Occurrence {
	mp, ok := s.mappings[id]
	if !ok {
		mp.attack, mp.d3fend = sigmaTags(tags)
		if len(mp.d3fend) == 0 {
			mp.d3fend = DefaultCloudD3FEND
		}
		s.mappings[id] = mp
	}
	desc := ""
	if r != nil {
		desc = strings.TrimSpace(r.Description)
	}
	return Occurrence{
		Key:      key,
		Detector: "sigma:" + id, Severity: sigmaSeverity(level), Time: at,
		Device:      Device{Name: "AWS account " + orDash(account), ClassLabel: "Cloud"},
		What:        fmt.Sprintf("%s (by %s)", title, orDash(who)),
		Explanation: fmt.Sprintf("Sigma rule %q (%s) matched. %s", title, id, desc),
		Attack:      mp.attack, D3FEND: mp.d3fend,
		Evidence: []alert.Evidence{ev, {Kind: "rule", Summary: fmt.Sprintf("Sigma rule %s, level %s", id, orDash(level)), Time: at}},
	}
}

// sigmaTags takes ATT&CK technique IDs from attack.tNNNN[.NNN] tags and
// D3FEND countermeasures from vigil.d3fend.D3-… tags.
func sigmaTags(tags []string) (attack, d3fend []string) {
	for _, t := range tags {
		lt := strings.ToLower(t)
		switch {
		case strings.HasPrefix(lt, "attack.t") && len(lt) > len("attack.t") && lt[len("attack.t")] >= '0' && lt[len("attack.t")] <= '9':
			attack = append(attack, strings.ToUpper(t[len("attack."):]))
		case strings.HasPrefix(lt, "vigil.d3fend."):
			d3fend = append(d3fend, strings.ToUpper(t[len("vigil.d3fend."):]))
		}
	}
	slices.Sort(attack)
	slices.Sort(d3fend)
	return slices.Compact(attack), slices.Compact(d3fend)
}

// sigmaSeverity maps a Sigma level to an alert severity.
func sigmaSeverity(level string) alert.Severity {
	switch strings.ToLower(level) {
	case "critical":
		return alert.Critical
	case "high":
		return alert.High
	case "medium":
		return alert.Medium
	case "low":
		return alert.Low
	}
	return alert.Info
}
