package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-iomt/vigil/internal/fingerprint"
)

// zoneNamePattern is the form of a zone name: lower case words joined by '-'.
var zoneNamePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Parse parses and validates a policy; name is where data came from, for
// messages. Decoding is strict: unknown keys, duplicate keys, bad CIDRs,
// VLANs, ports and protocols, unknown classes and zones, two entries for
// one class or for one class and model, and duplicate zones are errors of the form "name:line: reason", all of
// them joined (errors.Join), each wrapping ErrInvalidPolicy.
func Parse(data []byte, name string) (*Policy, error) {
	ps := &parser{source: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrInvalidPolicy, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("%s: %w: empty document", name, ErrInvalidPolicy)
	}
	p := ps.policy(doc.Content[0])
	if len(ps.errs) > 0 {
		return nil, errors.Join(ps.errs...)
	}
	if p.Name == "" {
		p.Name = name
	}
	return p, nil
}

// lineError is one problem of a policy at a line.
type lineError struct {
	source string
	line   int
	reason string
}

func (e *lineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.source, e.line, e.reason) }
func (e *lineError) Unwrap() error { return ErrInvalidPolicy }

// parser walks the YAML node tree and collects every problem.
type parser struct {
	source string
	errs   []error
}

func (ps *parser) errorf(line int, format string, args ...any) {
	ps.errs = append(ps.errs, &lineError{ps.source, line, fmt.Sprintf(format, args...)})
}

// mapping returns the values of mapping n by key, reporting keys not in
// allowed, duplicate keys, and a node that is not a mapping (nil result).
func (ps *parser) mapping(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if !ps.kind(n, yaml.MappingNode, what) {
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			ps.errorf(k.Line, "%s: keys must be strings", what)
			continue
		}
		switch {
		case !slices.Contains(allowed, k.Value):
			ps.errorf(k.Line, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			ps.errorf(k.Line, "%s: duplicate key %q", what, k.Value)
		default:
			out[k.Value] = v
		}
	}
	return out
}

// kind reports whether n is of kind want, reporting it when not; aliases
// are refused so that a document cannot expand beyond its size.
func (ps *parser) kind(n *yaml.Node, want yaml.Kind, what string) bool {
	if n.Kind == want {
		return true
	}
	if n.Kind == yaml.AliasNode {
		ps.errorf(n.Line, "%s: YAML aliases are not supported", what)
		return false
	}
	ps.errorf(n.Line, "%s: want a %s, got a %s", what, kindName(want), kindName(n.Kind))
	return false
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// scalar returns the text of a scalar node ("" for null).
func (ps *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n == nil {
		return "", true
	}
	if !ps.kind(n, yaml.ScalarNode, what) {
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

// list returns the items of a sequence node; a null node is an empty list.
func (ps *parser) list(n *yaml.Node, what string) []*yaml.Node {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	if !ps.kind(n, yaml.SequenceNode, what) {
		return nil
	}
	return n.Content
}

// scalars returns the non-empty scalars of a list node.
func (ps *parser) scalars(n *yaml.Node, what string) []*yaml.Node {
	var out []*yaml.Node
	for _, c := range ps.list(n, what) {
		if s, ok := ps.scalar(c, what); ok && s != "" {
			out = append(out, c)
		} else if ok {
			ps.errorf(c.Line, "%s: empty value", what)
		}
	}
	return out
}

func (ps *parser) policy(root *yaml.Node) *Policy {
	m := ps.mapping(root, "policy", "name", "zones", "classes")
	p := &Policy{
		zoneByName:  make(map[string]int),
		classByName: make(map[entryKey]int),
		zoneByVLAN:  make(map[int]int),
	}
	if m == nil {
		return p
	}
	p.Name, _ = ps.scalar(m["name"], "name")
	for _, zn := range ps.list(m["zones"], "zones") {
		ps.zone(p, zn)
	}
	if m["classes"] == nil {
		ps.errorf(root.Line, "policy: missing key \"classes\"")
	}
	for _, cn := range ps.list(m["classes"], "classes") {
		ps.class(p, cn)
	}
	slices.SortStableFunc(p.prefixes, func(a, b zonePrefix) int { return b.prefix.Bits() - a.prefix.Bits() })
	return p
}

func (ps *parser) zone(p *Policy, n *yaml.Node) {
	m := ps.mapping(n, "zone", "name", "description", "cidrs", "vlans")
	if m == nil {
		return
	}
	z := Zone{Line: n.Line}
	z.Name, _ = ps.scalar(m["name"], "zone name")
	z.Description, _ = ps.scalar(m["description"], "zone description")
	switch _, dup := p.zoneByName[z.Name]; {
	case z.Name == "":
		ps.errorf(n.Line, "zone: missing name")
	case !zoneNamePattern.MatchString(z.Name):
		ps.errorf(m["name"].Line, "zone %q: a name is lower case letters and digits joined by '-'", z.Name)
	case dup:
		ps.errorf(m["name"].Line, "zone %q: defined twice (first at line %d)", z.Name, p.Zones[p.zoneByName[z.Name]].Line)
	}
	idx := len(p.Zones)
	for _, c := range ps.scalars(m["cidrs"], "zone cidrs") {
		pfx, err := parsePrefix(c.Value)
		if err != nil {
			ps.errorf(c.Line, "zone %q: %v", z.Name, err)
			continue
		}
		if j := slices.IndexFunc(p.prefixes, func(zp zonePrefix) bool { return zp.prefix == pfx }); j >= 0 {
			ps.errorf(c.Line, "zone %q: %s is already in zone %q", z.Name, pfx, zoneName(p, p.prefixes[j].zone, z.Name))
			continue
		}
		z.CIDRs = append(z.CIDRs, pfx)
		p.prefixes = append(p.prefixes, zonePrefix{pfx, idx})
	}
	for _, v := range ps.scalars(m["vlans"], "zone vlans") {
		id, err := strconv.Atoi(v.Value)
		if err != nil || id < 1 || id > 4094 {
			ps.errorf(v.Line, "zone %q: VLAN %q is not a number in 1-4094", z.Name, v.Value)
			continue
		}
		if j, dup := p.zoneByVLAN[id]; dup {
			ps.errorf(v.Line, "zone %q: VLAN %d is already in zone %q", z.Name, id, zoneName(p, j, z.Name))
			continue
		}
		z.VLANs = append(z.VLANs, id)
		p.zoneByVLAN[id] = idx
	}
	if len(z.CIDRs) == 0 && len(z.VLANs) == 0 {
		ps.errorf(n.Line, "zone %q: needs at least one CIDR or VLAN", z.Name)
	}
	if _, dup := p.zoneByName[z.Name]; !dup && z.Name != "" {
		p.zoneByName[z.Name] = idx
	}
	p.Zones = append(p.Zones, z)
}

// zoneName names zone i of p, which is the zone being parsed, named
// current, when it is not in p.Zones yet.
func zoneName(p *Policy, i int, current string) string {
	if i < len(p.Zones) {
		return p.Zones[i].Name
	}
	return current
}

// parsePrefix parses a CIDR or a single address (a host prefix). An
// IPv4-mapped IPv6 prefix is turned into the IPv4 prefix it denotes; host
// bits must be zero.
func parsePrefix(s string) (netip.Prefix, error) {
	var pfx netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if pfx, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("bad CIDR %q", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("bad CIDR %q", s)
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if pfx.Addr().Is4In6() {
		if pfx.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("bad CIDR %q: an IPv4-mapped prefix needs at least 96 bits", s)
		}
		pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
	}
	if pfx.Masked() != pfx {
		return netip.Prefix{}, fmt.Errorf("CIDR %q has host bits set; did you mean %s?", s, pfx.Masked())
	}
	return pfx, nil
}

func (ps *parser) class(p *Policy, n *yaml.Node) {
	m := ps.mapping(n, "class", "class", "model", "mode", "allow")
	if m == nil {
		return
	}
	c := ClassPolicy{Line: n.Line}
	c.Class, _ = ps.scalar(m["class"], "class name")
	model, modelOK := ps.scalar(m["model"], "model")
	badModel := !modelOK
	if mn := m["model"]; mn != nil && modelOK {
		badModel = true
		switch {
		case strings.TrimSpace(model) == "":
			ps.errorf(mn.Line, "class %q: empty model (omit the key for the class entry)", c.Class)
		case strings.TrimSpace(model) != model || strings.ContainsFunc(model, unicode.IsControl):
			ps.errorf(mn.Line, "class %q: model %q has leading or trailing spaces or control characters", c.Class, model)
		default:
			c.Model, badModel = model, false
		}
	}
	k := entryKey{c.Class, c.Model}
	switch _, dup := p.classByName[k]; {
	case c.Class == "":
		ps.errorf(n.Line, "class: missing key \"class\"")
	case !knownClass(c.Class):
		ps.errorf(m["class"].Line, "class %q: not a device class of the fingerprint table", c.Class)
	case badModel:
		// Reported above; the entry is neither the class entry nor a model's.
	case dup && c.Model != "":
		ps.errorf(m["model"].Line, "class %q model %q: has two entries (first at line %d)", c.Class, c.Model, p.Classes[p.classByName[k]].Line)
	case dup:
		ps.errorf(m["class"].Line, "class %q: has two entries (first at line %d)", c.Class, p.Classes[p.classByName[k]].Line)
	default:
		p.classByName[k] = len(p.Classes)
	}
	mode, _ := ps.scalar(m["mode"], "mode")
	switch Mode(mode) {
	case "":
		c.Mode = defaultMode(c.Class)
	case Enforce, AlertOnly:
		c.Mode = Mode(mode)
	default:
		ps.errorf(m["mode"].Line, "class %q: mode %q is neither %q nor %q", c.Class, mode, Enforce, AlertOnly)
	}
	for _, rn := range ps.list(m["allow"], "allow") {
		if r, ok := ps.rule(p, c.Class, rn); ok {
			c.Allow = append(c.Allow, r)
		}
	}
	p.Classes = append(p.Classes, c)
}

func knownClass(name string) bool {
	_, ok := fingerprint.LookupClass(name)
	return ok
}

func (ps *parser) rule(p *Policy, class string, n *yaml.Node) (Rule, bool) {
	m := ps.mapping(n, "rule", "to", "ports", "proto", "comment")
	if m == nil {
		return Rule{}, false
	}
	before := len(ps.errs)
	r := Rule{Line: n.Line}
	r.Comment, _ = ps.scalar(m["comment"], "comment")
	if m["to"] == nil {
		ps.errorf(n.Line, "class %q: rule without \"to\"", class)
	} else {
		r.To = ps.destination(p, m["to"])
	}
	proto, _ := ps.scalar(m["proto"], "proto")
	switch proto = strings.ToLower(proto); proto {
	case "", "any":
	case "tcp", "udp", "icmp":
		r.Proto = proto
	default:
		ps.errorf(m["proto"].Line, "proto %q is not tcp, udp, icmp or any", proto)
	}
	for _, pn := range ps.scalars(m["ports"], "ports") {
		pr, err := parsePortRange(pn.Value)
		if err != nil {
			ps.errorf(pn.Line, "%v", err)
			continue
		}
		r.Ports = append(r.Ports, pr)
	}
	if r.Proto == "icmp" && len(r.Ports) > 0 {
		ps.errorf(m["ports"].Line, "ICMP has no ports")
	}
	return r, len(ps.errs) == before
}

// parsePortRange parses "443" or "8000-8100".
func parsePortRange(s string) (PortRange, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	l, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	h, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if err1 != nil || err2 != nil || l == 0 || h < l {
		return PortRange{}, fmt.Errorf("bad port %q: want a port (1-65535) or a range like 8000-8100", s)
	}
	return PortRange{uint16(l), uint16(h)}, nil
}

func (ps *parser) destination(p *Policy, n *yaml.Node) Destination {
	var d Destination
	before := len(ps.errs)
	if n.Kind == yaml.ScalarNode {
		if n.Value != "any" {
			ps.errorf(n.Line, "to: want \"any\" or a mapping of cidrs, zones and names, got %q", n.Value)
		}
		d.Any = true
		return d
	}
	m := ps.mapping(n, "to", "any", "cidrs", "zones", "names")
	if m == nil {
		return d
	}
	if a := m["any"]; a != nil {
		v, _ := ps.scalar(a, "any")
		switch v {
		case "true":
			d.Any = true
		case "false":
		default:
			ps.errorf(a.Line, "any: want true or false, got %q", v)
		}
	}
	for _, c := range ps.scalars(m["cidrs"], "cidrs") {
		pfx, err := parsePrefix(c.Value)
		if err != nil {
			ps.errorf(c.Line, "%v", err)
			continue
		}
		d.CIDRs = append(d.CIDRs, pfx)
	}
	for _, z := range ps.scalars(m["zones"], "zones") {
		if _, ok := p.zoneByName[z.Value]; !ok {
			ps.errorf(z.Line, "unknown zone %q", z.Value)
			continue
		}
		d.Zones = append(d.Zones, z.Value)
	}
	for _, nn := range ps.scalars(m["names"], "names") {
		name, err := normalizeRuleName(nn.Value)
		if err != nil {
			ps.errorf(nn.Line, "%v", err)
			continue
		}
		d.Names = append(d.Names, name)
	}
	switch parts := len(d.CIDRs) + len(d.Zones) + len(d.Names); {
	case d.Any && parts > 0:
		ps.errorf(n.Line, "to: \"any\" together with cidrs, zones or names says nothing more; keep one")
	case !d.Any && parts == 0 && len(ps.errs) == before:
		ps.errorf(n.Line, "to: names no destination (want any, cidrs, zones or names)")
	}
	return d
}

// dnsLabel is one label of a DNS name (underscores allowed for service
// names such as _ldap._tcp).
var dnsLabel = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)

// normalizeRuleName lower-cases a rule's DNS name, drops a trailing dot and
// checks its form: labels, with "*." allowed only as the first label.
func normalizeRuleName(s string) (string, error) {
	name := strings.TrimSuffix(strings.ToLower(s), ".")
	rest := strings.TrimPrefix(name, "*.")
	if len(name) > 253 || rest == "" {
		return "", fmt.Errorf("bad DNS name %q", s)
	}
	for label := range strings.SplitSeq(rest, ".") {
		if !dnsLabel.MatchString(label) {
			return "", fmt.Errorf("bad DNS name %q: a wildcard is allowed only as a leading \"*.\"", s)
		}
	}
	return name, nil
}
