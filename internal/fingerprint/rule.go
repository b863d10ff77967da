package fingerprint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-iomt/vigil/internal/asset"
)

// ErrInvalidRule is wrapped by every error about the content of a rule
// file; the message names the file and the line.
var ErrInvalidRule = errors.New("invalid fingerprint rule")

// maxRuleFileSize bounds one rule file: rules are small by design.
const maxRuleFileSize = 256 << 10

// idPattern is the form of a rule id: lower case words joined by '-'.
var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ruleFile is the YAML schema of one rule; docs/fingerprints.md documents
// every key. Decoding is strict: an unknown key is an error.
type ruleFile struct {
	ID           string         `yaml:"id"`
	Class        string         `yaml:"class"`
	Manufacturer string         `yaml:"manufacturer"`
	Model        string         `yaml:"model"`
	Confidence   float64        `yaml:"confidence"`
	Description  string         `yaml:"description"`
	References   []string       `yaml:"references"`
	Match        conditionSet   `yaml:"match"`
	All          []conditionSet `yaml:"all"`
	Any          []conditionSet `yaml:"any"`
	Not          conditionSet   `yaml:"not"`
	Tests        []ruleTest     `yaml:"tests"`
}

// conditionSet holds, per signal, the patterns of which any one must match
// (OR); a set holds when every signal listed holds (AND).
type conditionSet struct {
	OUIVendor       patterns `yaml:"oui_vendor"`
	Hostname        patterns `yaml:"hostname"`
	DHCPVendorClass patterns `yaml:"dhcp_vendor_class"`
	ServerPort      patterns `yaml:"server_port"`
	ServerService   patterns `yaml:"server_service"`
	ClientPort      patterns `yaml:"client_port"`
	ClientService   patterns `yaml:"client_service"`
	DNS             patterns `yaml:"dns"`
	TLSServerName   patterns `yaml:"tls_server_name"`
	Software        patterns `yaml:"software"`
}

// bySignal returns the pattern lists indexed by signal.
func (cs *conditionSet) bySignal() [numSignals]patterns {
	return [numSignals]patterns{
		sigOUIVendor:       cs.OUIVendor,
		sigHostname:        cs.Hostname,
		sigDHCPVendorClass: cs.DHCPVendorClass,
		sigServerPort:      cs.ServerPort,
		sigServerService:   cs.ServerService,
		sigClientPort:      cs.ClientPort,
		sigClientService:   cs.ClientService,
		sigDNS:             cs.DNS,
		sigTLSServerName:   cs.TLSServerName,
		sigSoftware:        cs.Software,
	}
}

func (cs *conditionSet) empty() bool {
	for _, p := range cs.bySignal() {
		if p.set {
			return false
		}
	}
	return true
}

// pattern is one string of a pattern list with its position in the file.
type pattern struct {
	value string
	line  int
}

// patterns is a list of patterns, written as a YAML sequence of strings or
// as a single string.
type patterns struct {
	set   bool // the key was present
	line  int
	items []pattern
}

func (p *patterns) UnmarshalYAML(n *yaml.Node) error {
	p.set, p.line = true, n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		p.items = []pattern{{n.Value, n.Line}}
		return nil
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: want a string, got a %s", c.Line, kindName(c.Kind))
			}
			p.items = append(p.items, pattern{c.Value, c.Line})
		}
		return nil
	}
	return fmt.Errorf("line %d: want a string or a list of strings, got a %s", n.Line, kindName(n.Kind))
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

// ruleTest is one example device with the expected outcome of the rule.
type ruleTest struct {
	Name   string     `yaml:"name"`
	Device testDevice `yaml:"device"`
	Want   string     `yaml:"want"` // "match" or "no_match"
}

// testDevice is the signals of an example device, named as in asset.Device's
// JSON form; services and clients are "proto/port" or "proto/port/service",
// software "name" or "name/version".
type testDevice struct {
	Vendor          string   `yaml:"vendor"`
	Hostnames       []string `yaml:"hostnames"`
	DHCPVendorClass string   `yaml:"dhcp_vendor_class"`
	Services        []string `yaml:"services"`
	Clients         []string `yaml:"clients"`
	DNSNames        []string `yaml:"dns_names"`
	TLSServers      []string `yaml:"tls_servers"`
	Software        []string `yaml:"software"`
}

// Test outcomes.
const (
	wantMatch   = "match"
	wantNoMatch = "no_match"
)

// rule is a compiled rule.
type rule struct {
	Rule
	class    int       // index into classes
	conds    []cond    // numbered by bit
	matchers []matcher // every pattern of every condition
	required uint64    // bits of the conditions of match:
	groups   []uint64  // bits of each set of any:
	exclude  uint64    // bits of the conditions of not:
	// The same without the conditions evaluated lazily (scanned regular
	// expressions): see Corpus.observe.
	eagerRequired uint64
	eagerGroups   []uint64
	tests         []compiledTest
}

// cond is one signal test of a rule.
type cond struct {
	sig signal
}

type compiledTest struct {
	name   string
	line   int
	device *asset.Device
	want   bool
}

// Rule describes a loaded rule, for listing and documentation.
type Rule struct {
	ID           string
	File         string
	Class        string
	Manufacturer string
	Model        string
	Confidence   float64
	Description  string
	References   []string
	Tests        int // number of example devices in the rule
}

// Load reads every *.yaml file at the top of each file system (the built-in
// corpus, then local rule folders) as one rule and compiles the corpus. A
// rule id may appear only once across them. Every problem in every file is
// reported, joined, each naming its file and line and wrapping
// ErrInvalidRule.
func Load(fsyss ...fs.FS) (*Corpus, error) {
	var errs []error
	var rules []*rule
	seen := make(map[string]string)
	for _, fsys := range fsyss {
		names, err := fs.Glob(fsys, "*.yaml")
		if err != nil {
			return nil, fmt.Errorf("fingerprint: %w", err)
		}
		sort.Strings(names)
		for _, name := range names {
			r, err := loadRule(fsys, name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if prev, dup := seen[r.ID]; dup {
				errs = append(errs, fmt.Errorf("%s: %w: id %q is also the id of %s", name, ErrInvalidRule, r.ID, prev))
				continue
			}
			seen[r.ID] = name
			rules = append(rules, r)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("fingerprint: %w: no *.yaml rule file", ErrInvalidRule)
	}
	return newCorpus(rules), nil
}

// loadRule reads, decodes, validates and compiles one rule file.
func loadRule(fsys fs.FS, name string) (r *rule, err error) {
	defer func() {
		if p := recover(); p != nil { // a decoder bug must not take the process down
			r, err = nil, fmt.Errorf("%s: %w: cannot decode: %v", name, ErrInvalidRule, p)
		}
	}()
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRuleFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxRuleFileSize {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", name, ErrInvalidRule, maxRuleFileSize)
	}
	return parseRule(name, data)
}

// parseRule decodes one rule file's content. name is the file name, whose
// stem must be the rule's id.
func parseRule(name string, data []byte) (*rule, error) {
	bad := func(line int, format string, args ...any) error {
		if line > 0 {
			return fmt.Errorf("%s:%d: %w: %s", name, line, ErrInvalidRule, fmt.Sprintf(format, args...))
		}
		return fmt.Errorf("%s: %w: %s", name, ErrInvalidRule, fmt.Sprintf(format, args...))
	}

	// Pass 1: the node tree, for positions, and the one-document check.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, bad(0, "empty file")
		}
		return nil, bad(0, "%s", yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, bad(extra.Line, "more than one YAML document: one rule per file")
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, bad(doc.Line, "the file must be a YAML mapping (id:, class:, match: ...)")
	}
	root := doc.Content[0]
	line := func(key string) int {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == key {
				return root.Content[i].Line
			}
		}
		return root.Line
	}

	// Pass 2: strict decoding into the schema.
	var rf ruleFile
	sdec := yaml.NewDecoder(bytes.NewReader(data))
	sdec.KnownFields(true)
	if err := sdec.Decode(&rf); err != nil {
		return nil, bad(0, "%s", yamlMessage(err))
	}

	var errs []error
	stem := strings.TrimSuffix(path.Base(name), ".yaml")
	switch {
	case rf.ID == "":
		errs = append(errs, bad(root.Line, "id is missing"))
	case !idPattern.MatchString(rf.ID):
		errs = append(errs, bad(line("id"), "id %q: use lower case letters, digits and '-'", rf.ID))
	case rf.ID != stem:
		errs = append(errs, bad(line("id"), "id %q differs from the file name %q: name the file %s.yaml", rf.ID, stem, rf.ID))
	}
	ci, ok := classIndex[rf.Class]
	switch {
	case rf.Class == "":
		errs = append(errs, bad(root.Line, "class is missing"))
	case !ok || rf.Class == Unknown:
		errs = append(errs, bad(line("class"), "unknown class %q (see the class table in docs/fingerprints.md)", rf.Class))
	}
	if !(rf.Confidence > 0 && rf.Confidence <= 1) {
		errs = append(errs, bad(line("confidence"), "confidence %v: want a number in (0, 1]", rf.Confidence))
	}
	if strings.TrimSpace(rf.Description) == "" {
		errs = append(errs, bad(root.Line, "description is missing: say what the rule recognises and why"))
	}
	if len(rf.References) == 0 {
		errs = append(errs, bad(root.Line, "references are missing: cite the public sources of the facts used"))
	}
	for _, ref := range rf.References {
		u, err := url.Parse(ref)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, bad(line("references"), "reference %q: want an https URL", ref))
		}
	}

	r := &rule{
		Rule: Rule{
			ID: rf.ID, File: name, Class: rf.Class, Manufacturer: strings.TrimSpace(rf.Manufacturer),
			Model: strings.TrimSpace(rf.Model), Confidence: rf.Confidence,
			Description: strings.TrimSpace(rf.Description), References: rf.References, Tests: len(rf.Tests),
		},
		class: ci,
	}
	if rf.Match.empty() && len(rf.All) == 0 && len(rf.Any) == 0 {
		errs = append(errs, bad(root.Line, "match:, all: or any: is missing: a rule needs at least one condition"))
	}
	var comp compiler
	r.required = comp.addSet(&rf.Match, bad)
	for i := range rf.All {
		if rf.All[i].empty() {
			errs = append(errs, bad(line("all"), "all: item %d has no condition", i+1))
			continue
		}
		r.required |= comp.addSet(&rf.All[i], bad)
	}
	for i := range rf.Any {
		if rf.Any[i].empty() {
			errs = append(errs, bad(line("any"), "any: item %d has no condition", i+1))
			continue
		}
		r.groups = append(r.groups, comp.addSet(&rf.Any[i], bad))
	}
	r.exclude = comp.addSet(&rf.Not, bad)
	errs = append(errs, comp.errs...)
	r.conds = comp.conds
	r.matchers = comp.matchers

	// Example devices.
	var testsNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "tests" {
			testsNode = root.Content[i+1]
		}
	}
	nMatch, nNoMatch := 0, 0
	for i, t := range rf.Tests {
		tl := line("tests")
		if testsNode != nil && i < len(testsNode.Content) {
			tl = testsNode.Content[i].Line
		}
		if strings.TrimSpace(t.Name) == "" {
			errs = append(errs, bad(tl, "test %d has no name", i+1))
		}
		var want bool
		switch t.Want {
		case wantMatch:
			want = true
			nMatch++
		case wantNoMatch:
			nNoMatch++
		default:
			errs = append(errs, bad(tl, "test %q: want %q, want match or no_match", t.Name, t.Want))
		}
		d, err := t.Device.toDevice()
		if err != nil {
			errs = append(errs, bad(tl, "test %q: %v", t.Name, err))
			continue
		}
		r.tests = append(r.tests, compiledTest{name: t.Name, line: tl, device: d, want: want})
	}
	if nMatch == 0 || nNoMatch == 0 {
		errs = append(errs, bad(line("tests"), "tests: want at least one device with want: match and one with want: no_match (has %d and %d)", nMatch, nNoMatch))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// yamlMessage turns a decoder error into one line without the "yaml: "
// prefix; type errors already carry "line N:".
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// compiler numbers the conditions of one rule and compiles their patterns.
type compiler struct {
	conds    []cond
	matchers []matcher
	errs     []error
}

// matcher is one compiled pattern of one condition of the rule.
type matcher struct {
	cond  uint8
	sig   signal
	re    compiledRegexp // kindRegexp
	port  uint32         // kindPort
	text  string         // kindService: the name; kindGlob: the name or suffix
	shape globShape      // kindGlob
	glob  *regexp.Regexp // kindGlob, globGeneral
}

// addSet adds a condition per signal present in cs and returns their bits.
func (c *compiler) addSet(cs *conditionSet, bad func(int, string, ...any) error) uint64 {
	var bits uint64
	for s, ps := range cs.bySignal() {
		if !ps.set {
			continue
		}
		sig := signal(s)
		if len(ps.items) == 0 {
			c.errs = append(c.errs, bad(ps.line, "%s: empty list", sig))
			continue
		}
		if len(c.conds) >= maxConditions {
			c.errs = append(c.errs, bad(ps.line, "more than %d conditions in one rule", maxConditions))
			return bits
		}
		idx := uint8(len(c.conds))
		c.conds = append(c.conds, cond{sig: sig})
		bits |= 1 << idx
		for _, p := range ps.items {
			m, err := compilePattern(sig, p.value)
			if err != nil {
				c.errs = append(c.errs, bad(p.line, "%s: %v", sig, err))
				continue
			}
			m.cond = idx
			c.matchers = append(c.matchers, m)
		}
	}
	return bits
}

func compilePattern(sig signal, v string) (matcher, error) {
	m := matcher{sig: sig}
	if strings.TrimSpace(v) == "" {
		return m, errors.New("empty pattern")
	}
	if len(v) > maxPatternLen {
		return m, fmt.Errorf("pattern longer than %d characters", maxPatternLen)
	}
	var err error
	switch sig.kind() {
	case kindRegexp:
		m.re, err = compileRegexp(v)
		if err != nil {
			err = fmt.Errorf("bad regular expression %q: %v", v, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	case kindPort:
		m.port, err = parsePort(v)
	case kindService:
		if !validService(v) {
			err = fmt.Errorf("service %q: want a Zeek service name in lower case, e.g. dicom, ssl, http", v)
		}
		m.text = v
	case kindGlob:
		m.shape, m.text, m.glob, err = compileGlob(v)
	}
	return m, err
}

// toDevice builds the asset.Device of an example.
func (t *testDevice) toDevice() (*asset.Device, error) {
	d := &asset.Device{
		Vendor:          t.Vendor,
		Hostnames:       sortedCopy(t.Hostnames),
		DHCPVendorClass: t.DHCPVendorClass,
		DNSNames:        sortedCopy(t.DNSNames),
		TLSServers:      sortedCopy(t.TLSServers),
	}
	var err error
	if d.Services, err = parseServices("services", t.Services); err != nil {
		return nil, err
	}
	if d.Clients, err = parseServices("clients", t.Clients); err != nil {
		return nil, err
	}
	for _, s := range t.Software {
		name, version, _ := strings.Cut(s, "/")
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("software %q: want name or name/version", s)
		}
		d.Software = append(d.Software, asset.Software{Name: name, Version: version})
	}
	return d, nil
}

func parseServices(key string, in []string) ([]asset.Service, error) {
	var out []asset.Service
	for _, s := range in {
		proto, rest, _ := strings.Cut(s, "/")
		port, name, _ := strings.Cut(rest, "/")
		k, err := parsePort(proto + "/" + port)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: want proto/port or proto/port/service: %v", key, s, err)
		}
		out = append(out, asset.Service{Port: uint16(k & 0xffff), Proto: proto, Name: name})
	}
	return out, nil
}

func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
