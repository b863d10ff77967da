package risk

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/cvss"
)

// The medical-device CVSS rubric: MITRE's "Rubric for Applying CVSS to
// Medical Devices" (2019, qualified by FDA as a Medical Device Development
// Tool in October 2020) guides the scoring of each CVSS v3 base metric
// through a questionnaire with decision flows.
//
// The rubric's PDF is not available to this project; the questions below
// (their identifiers, order and flow) come from two public calculators
// that implement it: Deep Armor's (cvss-rubric.deeparmor.com, which lists
// the question identifiers per metric) and osamusic/med-cvss
// (src/data/mitreCvssRubric.ts, which gives each answer's next question or
// metric value). Where the two disagree or the calculators simplify the
// rubric, docs/risk.md says so; nothing here is added beyond them.

// Answer values a question may take.
const (
	AnswerYes     = "yes"
	AnswerNo      = "no"
	AnswerUnknown = "unknown"
)

// Option is one answer to a rubric question: it leads either to another
// question (Next) or to a value of the question's metric (Value).
type Option struct {
	Answer string
	Next   string
	Value  string
}

// Question is one rubric question.
type Question struct {
	ID      string // the rubric's identifier, e.g. "XAVN"
	Label   string // its number in the rubric, e.g. "Q1"
	Metric  string // the CVSS v3 base metric it scores
	Text    string
	Options []Option
}

func yn(yes, no string) []Option {
	return []Option{{Answer: AnswerYes, Value: yes}, {Answer: AnswerNo, Value: no}}
}

func ynu(yes, no, unknown string) []Option {
	return append(yn(yes, no), Option{Answer: AnswerUnknown, Value: unknown})
}

// Rubric lists the questions, grouped by metric in CVSS order.
var Rubric = []Question{
	{"XAVN", "Q1", "AV", "Can the attacker use some network or communication protocol to exploit the vulnerability?",
		[]Option{{Answer: AnswerYes, Next: "XAVT"}, {Answer: AnswerNo, Next: "XAVP"}, {Answer: AnswerUnknown, Value: "N"}}},
	{"XAVT", "Q2", "AV", "Does that network use OSI layer 3 or 4 protocols (IP, TCP, UDP)?",
		[]Option{{Answer: AnswerYes, Value: "N"}, {Answer: AnswerNo, Next: "XAVW"}, {Answer: AnswerUnknown, Value: "N"}}},
	{"XAVW", "Q3", "AV", "Is the communication over a wireless channel?",
		[]Option{{Answer: AnswerYes, Next: "XAVR"}, {Answer: AnswerNo, Value: "A"}}},
	{"XAVR", "Q4", "AV", "Is the wireless range about 10 feet or less?",
		ynu("L", "A", "A")},
	{"XAVP", "Q5", "AV", "Must the attacker have physical contact with the device?",
		yn("P", "L")},
	{"XAVPA", "Q5.1", "AV", "Is the device accessed through a human-user interface (meant for manual operation)? Recorded; AV stays P either way.",
		yn("P", "P")},
	{"XACL", "Q1", "AC", "Can the attacker try to exploit the vulnerability at will, with no special circumstances, configuration or prior attack?",
		yn("L", "H")},
	{"XPRL", "Q1", "PR", "Does the device or component use an authorization model with several users or roles of different privilege?",
		[]Option{{Answer: AnswerYes, Next: "XPRZ"}, {Answer: AnswerNo, Value: "N"}}},
	{"XPRZ", "Q2", "PR", "Must the attacker be authorized to the affected component before attempting the exploit?",
		[]Option{{Answer: AnswerYes, Next: "XPRS"}, {Answer: AnswerNo, Value: "N"}}},
	{"XPRS", "Q3", "PR", "Must the attacker hold administrator, maintainer or other system-level privileges?",
		yn("H", "L")},
	{"XUI", "Q1", "UI", "Does a successful exploit depend on another user or victim acting or interacting with the system?",
		yn("R", "N")},
	{"XS", "Q1", "S", "Can the attacker affect a component whose authority (authorization scope) differs from the vulnerable component's?",
		yn("C", "U")},

	{"XCP", "Q1.C", "C", "Can PHI/PII be read?", []Option{{Answer: AnswerYes, Next: "XCPM"}, {Answer: AnswerNo, Value: "N"}, {Answer: AnswerUnknown, Value: "H"}}},
	{"XCPM", "Q1.1.C", "C", "Can the exposed PHI/PII cover many patients (500 or more), forcing breach notification (HIPAA, GDPR)?", ynu("H", "L", "H")},
	{"XCD", "Q2.C", "C", "Can diagnosis or monitoring data or functionality be read?", ynu("H", "N", "H")},
	{"XCT", "Q3.C", "C", "Can therapy-delivery data or functionality be read?", ynu("H", "N", "H")},
	{"XCW", "Q4.C", "C", "Can clinical-workflow data or functionality be read?", ynu("H", "N", "H")},
	{"XCS", "Q5.C", "C", "Can private system or system-user data (passwords, private keys) be read?", ynu("H", "N", "H")},
	{"XCO", "Q6.C", "C", "Can any other critical or sensitive data or functionality be read?", ynu("H", "N", "H")},

	{"XIP", "Q1.I", "I", "Can PHI/PII be modified or deleted?", ynu("H", "N", "H")},
	{"XID", "Q2.I", "I", "Can diagnosis or monitoring data or functionality be modified or deleted?", ynu("H", "N", "H")},
	{"XIT", "Q3.I", "I", "Can therapy-delivery data or functionality be modified or deleted?", ynu("H", "N", "H")},
	{"XIW", "Q4.I", "I", "Can clinical-workflow data or functionality be modified or deleted?", ynu("H", "N", "H")},
	{"XIS", "Q5.I", "I", "Can private system or system-user data be modified or deleted?", ynu("H", "N", "H")},
	{"XIO", "Q6.I", "I", "Can any other critical or sensitive data or functionality be modified or deleted?", ynu("H", "N", "H")},

	{"XAP", "Q1.A", "A", "Can PHI/PII be made inaccessible?", ynu("H", "N", "H")},
	{"XAD", "Q2.A", "A", "Can diagnosis or monitoring data or functionality be made inaccessible?", ynu("H", "N", "H")},
	{"XAT", "Q3.A", "A", "Can therapy-delivery data or functionality be made inaccessible?", ynu("H", "N", "H")},
	{"XAW", "Q4.A", "A", "Can clinical-workflow data or functionality be made inaccessible?", ynu("H", "N", "H")},
	{"XAS", "Q5.A", "A", "Can private system or system-user data be made inaccessible?", ynu("H", "N", "H")},
	{"XAO", "Q6.A", "A", "Can any other critical or sensitive data or functionality be made inaccessible?", ynu("H", "N", "H")},
}

// roots lists, per metric in CVSS v3 order, the questions a flow starts
// from. AV..S have one; C, I and A one per data category, and the metric
// takes the highest value over the categories answered.
var roots = []struct {
	metric string
	ids    []string
}{
	{"AV", []string{"XAVN"}},
	{"AC", []string{"XACL"}},
	{"PR", []string{"XPRL"}},
	{"UI", []string{"XUI"}},
	{"S", []string{"XS"}},
	{"C", []string{"XCP", "XCD", "XCT", "XCW", "XCS", "XCO"}},
	{"I", []string{"XIP", "XID", "XIT", "XIW", "XIS", "XIO"}},
	{"A", []string{"XAP", "XAD", "XAT", "XAW", "XAS", "XAO"}},
}

var questionByID = func() map[string]*Question {
	m := make(map[string]*Question, len(Rubric))
	for i := range Rubric {
		m[Rubric[i].ID] = &Rubric[i]
	}
	return m
}()

// Answers are one analyst's answers to the rubric for one vulnerability on
// one device model, keyed by question ID ("XAVN": "yes").
type Answers struct {
	VulnID  string
	Vendor  string
	Model   string
	Answers map[string]string
	By      string
	At      time.Time
}

// Change is one base metric the rubric set, or left alone, and why.
type Change struct {
	Metric string `json:"metric"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Path is the questions and answers that led to To, e.g.
	// "XAVN=yes → XAVT=no → XAVW=no".
	Path string `json:"path"`
	// Skipped: the rubric could not be applied to this metric (an
	// unanswered question on the path, or a metric CVSS 4.0 defines
	// differently); Reason says why and the vector keeps From.
	Skipped bool   `json:"skipped,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ErrUnknownQuestion means an answer names a question the rubric does not
// have.
var ErrUnknownQuestion = errors.New("unknown rubric question")

// ErrAnswer means an answer a question does not allow.
var ErrAnswer = errors.New("answer not allowed")

// ErrNoVector means Adjust was given no base vector.
var ErrNoVector = errors.New("no base vector")

// Validate checks every answer names a rubric question and is one of that
// question's options; errors are joined.
func (a Answers) Validate() error {
	var errs []error
	ids := make([]string, 0, len(a.Answers))
	for id := range a.Answers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		q, ok := questionByID[id]
		if !ok {
			errs = append(errs, fmt.Errorf("rubric %q: %w", id, ErrUnknownQuestion))
			continue
		}
		if _, ok := q.option(a.Answers[id]); !ok {
			errs = append(errs, fmt.Errorf("rubric %s: %q: %w", id, a.Answers[id], ErrAnswer))
		}
	}
	return errors.Join(errs...)
}

func (q *Question) option(answer string) (Option, bool) {
	for _, o := range q.Options {
		if o.Answer == answer {
			return o, true
		}
	}
	return Option{}, false
}

// walk follows the flow from question id; it returns the value reached,
// the path, and answered=false when the root is unanswered, or missing
// naming the first unanswered question further down.
func walk(id string, ans map[string]string) (value, path, missing string, answered bool) {
	var steps []string
	for depth := 0; depth < len(Rubric); depth++ {
		q := questionByID[id]
		a, ok := ans[id]
		if !ok {
			if depth == 0 {
				return "", "", "", false
			}
			return "", strings.Join(steps, " → "), id, true
		}
		steps = append(steps, id+"="+a)
		o, _ := q.option(a) // validated by the caller
		if o.Next == "" {
			return o.Value, strings.Join(steps, " → "), "", true
		}
		id = o.Next
	}
	return "", strings.Join(steps, " → "), id, true // unreachable: the flows are acyclic
}

var impactRank = map[string]int{"N": 0, "L": 1, "H": 2}

// v4Same lists the base metrics CVSS 4.0 defines as CVSS 3.x does (same
// name, same values, same meaning), to which the rubric applies as is.
var v4Same = map[string]bool{"AV": true, "AC": true, "PR": true}

// Adjust applies the rubric answers to base and returns the adjusted
// vector (base is unchanged) and one Change per metric the answers reach:
// a metric whose flow is not started is left alone and not listed. Answers
// are validated first (errors wrap ErrUnknownQuestion or ErrAnswer).
//
// The rubric scores CVSS v3 base metrics; on a 4.0 vector AV, AC and PR
// are applied and UI, S, C, I and A are reported Skipped, since 4.0 splits
// UI into passive and active and replaces Scope by separate subsequent-
// system impacts, which the rubric's answers do not tell apart.
func Adjust(base *cvss.Vector, a Answers) (*cvss.Vector, []Change, error) {
	if base == nil {
		return nil, nil, ErrNoVector
	}
	if err := a.Validate(); err != nil {
		return nil, nil, err
	}
	v4 := base.Version() == cvss.V40
	out := base
	var changes []Change
	for _, r := range roots {
		var (
			best    = -1
			value   string
			paths   []string
			missing []string
		)
		for _, id := range r.ids {
			val, path, miss, answered := walk(id, a.Answers)
			if !answered {
				continue
			}
			if miss != "" {
				missing = append(missing, miss)
				if path != "" {
					paths = append(paths, path)
				}
				continue
			}
			paths = append(paths, path)
			rank := impactRank[val]
			if len(r.ids) == 1 || rank > best {
				best, value = rank, val
			}
		}
		if len(paths) == 0 && len(missing) == 0 {
			continue // metric not assessed
		}
		from, _ := base.Metric(r.metric)
		c := Change{Metric: r.metric, From: from, To: from, Path: strings.Join(paths, "; ")}
		switch {
		case len(missing) > 0 && (len(r.ids) == 1 || value != "H"):
			// A category already at High fixes C/I/A at High whatever the
			// unanswered ones say; otherwise the metric waits for them.
			c.Skipped = true
			c.Reason = "unanswered: " + strings.Join(missing, ", ")
		case v4 && !v4Same[r.metric]:
			c.Skipped = true
			c.Reason = fmt.Sprintf("rubric %s=%s is a CVSS v3 metric; CVSS 4.0 defines it differently", r.metric, value)
		default:
			name := r.metric
			w, err := out.With(name, value)
			if err != nil { // cannot happen: rubric values are valid v3/v4 base values
				return nil, nil, fmt.Errorf("rubric %s: %w", name, err)
			}
			out = w
			c.To = value
			if c.To == c.From {
				c.Reason = "rubric confirms the base value"
			} else {
				c.Reason = "rubric answers"
			}
		}
		changes = append(changes, c)
	}
	return out, changes, nil
}
