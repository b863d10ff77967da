package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// Parse parses a file holding exactly one Sigma rule. Use ParseAll for
// multi-document files. Errors read "file:line: reason".
func Parse(data []byte, name string) (*Rule, error) {
	rules, err := ParseAll(data, name)
	if err != nil {
		return nil, err
	}
	if len(rules) != 1 {
		return nil, fmt.Errorf("%s:1: %w: want one rule, found %d documents (use ParseAll)", name, ErrSyntax, len(rules))
	}
	return rules[0], nil
}

// ParseAll parses every YAML document of a Sigma file; each document is a
// detection or a correlation rule.
func ParseAll(data []byte, name string) (rules []*Rule, err error) {
	defer func() {
		if r := recover(); r != nil { // the YAML library must not take us down
			rules, err = nil, fmt.Errorf("%s:1: %w: %v", name, ErrSyntax, r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: %w: %v", name, ErrSyntax, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		r, err := parseDoc(doc.Content[0], name)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("%s:1: %w: no rule", name, ErrSyntax)
	}
	return rules, nil
}

type parser struct {
	file string
	rule *Rule
}

func (p *parser) errf(line int, format string, a ...any) error {
	return fmt.Errorf("%s:%d: %w: %s", p.file, line, ErrSyntax, fmt.Sprintf(format, a...))
}

func (p *parser) unsupported(line int, feature string) error {
	id := p.rule.Title
	if id == "" {
		id = p.rule.ID
	}
	return &UnsupportedError{Pos: fmt.Sprintf("%s:%d", p.file, line), Rule: id, Feature: feature}
}

func parseDoc(n *yaml.Node, file string) (*Rule, error) {
	r := &Rule{File: file, Line: n.Line}
	p := &parser{file: file, rule: r}
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n.Line, "a rule must be a mapping")
	}
	// First pass: scalars, so that errors can name the rule.
	var detection, correlation *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "title":
			r.Title, err = p.str(v)
		case "id":
			r.ID, err = p.str(v)
		case "name":
			r.Name, err = p.str(v)
		case "status":
			r.Status, err = p.str(v)
		case "description":
			r.Description, err = p.str(v)
		case "level":
			r.Level, err = p.str(v)
		case "tags":
			r.Tags, err = p.strs(v)
		case "fields":
			r.Fields, err = p.strs(v)
		case "falsepositives":
			r.FalsePositives, err = p.strs(v)
		case "logsource":
			err = p.logsource(v)
		case "detection":
			detection = v
		case "correlation":
			correlation = v
		}
		if err != nil {
			return nil, err
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch k.Value {
		case "action":
			return nil, p.unsupported(k.Line, "rule collections (action: "+n.Content[i+1].Value+")")
		case "filter":
			return nil, p.unsupported(k.Line, "meta filter rules (filter:)")
		}
	}
	switch {
	case detection != nil && correlation != nil:
		return nil, p.errf(n.Line, "a rule has either detection or correlation, not both")
	case detection != nil:
		d, err := p.detection(detection)
		if err != nil {
			return nil, err
		}
		r.Detection = d
	case correlation != nil:
		c, err := p.correlation(correlation)
		if err != nil {
			return nil, err
		}
		r.Correlation = c
	default:
		return nil, p.errf(n.Line, "rule has no detection")
	}
	if r.Title == "" {
		return nil, p.errf(n.Line, "rule has no title")
	}
	return r, nil
}

func (p *parser) str(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", p.errf(v.Line, "want a scalar")
	}
	return v.Value, nil
}

func (p *parser) strs(v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, p.errf(v.Line, "want a list")
	}
	out := make([]string, 0, len(v.Content))
	for _, c := range v.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, p.errf(c.Line, "want a scalar list item")
		}
		out = append(out, c.Value)
	}
	return out, nil
}

func (p *parser) logsource(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return p.errf(v.Line, "logsource must be a mapping")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		s, err := p.str(val)
		if err != nil {
			return err
		}
		switch k.Value {
		case "product":
			p.rule.Logsource.Product = s
		case "service":
			p.rule.Logsource.Service = s
		case "category":
			p.rule.Logsource.Category = s
		}
	}
	return nil
}

func (p *parser) detection(v *yaml.Node) (*Detection, error) {
	if v.Kind != yaml.MappingNode {
		return nil, p.errf(v.Line, "detection must be a mapping")
	}
	d := &Detection{Selections: map[string]*Selection{}}
	condLine := v.Line
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "condition":
			cs, err := p.strs(val)
			if err != nil {
				return nil, err
			}
			d.Conditions = cs
			condLine = val.Line
		case "timeframe":
			return nil, p.unsupported(k.Line, "detection timeframe (deprecated aggregation; use a correlation rule)")
		default:
			if _, dup := d.Selections[k.Value]; dup {
				return nil, p.errf(k.Line, "duplicate selection %q", k.Value)
			}
			s, err := p.selection(k.Value, val)
			if err != nil {
				return nil, err
			}
			d.Selections[k.Value] = s
		}
	}
	if len(d.Conditions) == 0 {
		return nil, p.errf(v.Line, "detection has no condition")
	}
	names := make([]string, 0, len(d.Selections))
	for n := range d.Selections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, cs := range d.Conditions {
		c, err := ParseCondition(cs)
		if err != nil {
			var ue *UnsupportedError
			if errors.As(err, &ue) {
				return nil, p.unsupported(condLine, ue.Feature)
			}
			return nil, fmt.Errorf("%s:%d: %w", p.file, condLine, err)
		}
		if err := checkRefs(c, names); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", p.file, condLine, err)
		}
		if d.Cond == nil {
			d.Cond = c
		} else {
			d.Cond = &CondOr{L: d.Cond, R: c}
		}
	}
	return d, nil
}

func (p *parser) selection(name string, v *yaml.Node) (*Selection, error) {
	s := &Selection{Name: name, Line: v.Line}
	switch v.Kind {
	case yaml.MappingNode:
		alt, err := p.fieldMap(v)
		if err != nil {
			return nil, err
		}
		s.Alts = [][]*FieldCond{alt}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return nil, p.errf(v.Line, "selection %q is an empty list", name)
		}
		var keywords *FieldCond
		for _, item := range v.Content {
			switch item.Kind {
			case yaml.MappingNode:
				alt, err := p.fieldMap(item)
				if err != nil {
					return nil, err
				}
				s.Alts = append(s.Alts, alt)
			case yaml.ScalarNode:
				if keywords == nil {
					keywords = &FieldCond{Line: item.Line}
					s.Alts = append(s.Alts, []*FieldCond{keywords})
				}
				keywords.Values = append(keywords.Values, scalar(item))
			default:
				return nil, p.errf(item.Line, "selection %q: list items must be maps or values", name)
			}
		}
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, p.errf(v.Line, "selection %q is empty", name)
		}
		fc := &FieldCond{Line: v.Line, Values: []Value{scalar(v)}}
		s.Alts = [][]*FieldCond{{fc}}
	default:
		return nil, p.errf(v.Line, "selection %q: unexpected YAML node", name)
	}
	return s, nil
}

func scalar(n *yaml.Node) Value {
	switch n.Tag {
	case "!!null":
		return Value{Kind: KindNull}
	case "!!int", "!!float":
		return Value{Kind: KindNumber, S: n.Value}
	case "!!bool":
		return Value{Kind: KindBool, S: strings.ToLower(n.Value)}
	}
	return Value{Kind: KindString, S: n.Value}
}

func (p *parser) fieldMap(v *yaml.Node) ([]*FieldCond, error) {
	if len(v.Content) == 0 {
		return nil, p.errf(v.Line, "empty map in selection")
	}
	var out []*FieldCond
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		parts := strings.Split(k.Value, "|")
		fc := &FieldCond{Field: parts[0], Modifiers: parts[1:], Line: k.Line}
		switch val.Kind {
		case yaml.ScalarNode:
			fc.Values = []Value{scalar(val)}
		case yaml.SequenceNode:
			if len(val.Content) == 0 {
				return nil, p.errf(val.Line, "field %q has an empty value list", fc.Field)
			}
			for _, c := range val.Content {
				if c.Kind != yaml.ScalarNode {
					return nil, p.errf(c.Line, "field %q: values must be scalars", fc.Field)
				}
				fc.Values = append(fc.Values, scalar(c))
			}
		default:
			return nil, p.errf(val.Line, "field %q: values must be a scalar or a list", fc.Field)
		}
		if err := p.checkModifiers(fc); err != nil {
			return nil, err
		}
		out = append(out, fc)
	}
	return out, nil
}

var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true,
	"re": true, "i": true, "m": true, "s": true, "cidr": true,
	"base64": true, "base64offset": true, "utf16le": true, "utf16be": true,
	"utf16": true, "wide": true, "windash": true, "exists": true,
	"fieldref": true, "gt": true, "gte": true, "lt": true, "lte": true,
	"expand": true, "cased": true,
}

// checkModifiers validates names and combinations, so that Compile only
// fails on what depends on its options (expand placeholders).
func (p *parser) checkModifiers(fc *FieldCond) error {
	if fc.Field == "" {
		return p.errf(fc.Line, "empty field name")
	}
	for _, m := range fc.Modifiers {
		if !knownModifiers[m] {
			return p.unsupported(fc.Line, "value modifier |"+m)
		}
	}
	if slices.Contains(fc.Modifiers, "expand") {
		// The values are placeholders, known only when compiled with
		// Options.Placeholders: they are checked then.
		return nil
	}
	_, err := compileFieldCond(fc, nil, true)
	if err != nil {
		var ue *UnsupportedError
		if errors.As(err, &ue) {
			return p.unsupported(fc.Line, ue.Feature)
		}
		return p.errf(fc.Line, "field %q: %v", fc.Field, err)
	}
	return nil
}

func (p *parser) correlation(v *yaml.Node) (*Correlation, error) {
	if v.Kind != yaml.MappingNode {
		return nil, p.errf(v.Line, "correlation must be a mapping")
	}
	c := &Correlation{}
	var condNode *yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		var err error
		switch k.Value {
		case "type":
			var s string
			s, err = p.str(val)
			c.Type = CorrelationType(s)
			switch c.Type {
			case EventCount, ValueCount, Temporal, TemporalOrdered:
			default:
				return nil, p.unsupported(val.Line, "correlation type "+s)
			}
		case "rules":
			c.Rules, err = p.strs(val)
		case "group-by":
			c.GroupBy, err = p.strs(val)
		case "timespan", "timeframe":
			var s string
			if s, err = p.str(val); err == nil {
				c.Timespan, err = parseTimespan(s)
				if err != nil {
					return nil, p.errf(val.Line, "timespan: %v", err)
				}
			}
		case "condition":
			condNode = val
		case "field":
			c.Field, err = p.str(val)
		case "generate":
		case "aliases":
			return nil, p.unsupported(k.Line, "correlation aliases")
		default:
			return nil, p.unsupported(k.Line, "correlation key "+k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	if c.Type == "" {
		return nil, p.errf(v.Line, "correlation has no type")
	}
	if len(c.Rules) == 0 {
		return nil, p.errf(v.Line, "correlation has no rules")
	}
	if c.Timespan <= 0 {
		return nil, p.errf(v.Line, "correlation has no timespan")
	}
	if condNode != nil {
		if condNode.Kind != yaml.MappingNode {
			return nil, p.errf(condNode.Line, "correlation condition must be a mapping")
		}
		for i := 0; i+1 < len(condNode.Content); i += 2 {
			k, val := condNode.Content[i], condNode.Content[i+1]
			if k.Value == "field" {
				c.Field = val.Value
				continue
			}
			if c.Op != "" && !(c.Op == "gte" && k.Value == "lte" || c.Op == "lte" && k.Value == "gte") {
				return nil, p.errf(k.Line, "correlation condition has more than one operator")
			}
			f, err := strconv.ParseFloat(val.Value, 64)
			if err != nil {
				return nil, p.errf(val.Line, "correlation condition %s: want a number", k.Value)
			}
			switch k.Value {
			case "gte", "gt", "lte", "lt", "eq":
				if c.Op == "" {
					c.Op, c.N = k.Value, f
				} else if k.Value == "lte" { // gte then lte: a range
					c.Op, c.Max = "range", f
				} else {
					c.Op, c.Max, c.N = "range", c.N, f
				}
			default:
				return nil, p.unsupported(k.Line, "correlation condition operator "+k.Value)
			}
		}
	}
	switch c.Type {
	case EventCount, ValueCount:
		if c.Op == "" {
			return nil, p.errf(v.Line, "%s correlation needs a condition", c.Type)
		}
	}
	if c.Type == ValueCount && c.Field == "" {
		return nil, p.errf(v.Line, "value_count correlation needs a field")
	}
	return c, nil
}

var timespanRE = regexp.MustCompile(`^(\d+)([smhdwMy])$`)

func parseTimespan(s string) (time.Duration, error) {
	m := timespanRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("bad timespan %q (want e.g. 30s, 5m, 1h, 1d)", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, err
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour,
		"d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "M": 30 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, nil
}
