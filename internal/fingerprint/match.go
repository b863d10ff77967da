package fingerprint

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// signal is one kind of observation about a device that a rule can test.
type signal uint8

const (
	sigOUIVendor signal = iota
	sigHostname
	sigDHCPVendorClass
	sigServerPort
	sigServerService
	sigClientPort
	sigClientService
	sigDNS
	sigTLSServerName
	sigSoftware
	numSignals
)

// signalNames are the YAML keys of the signals, also used in evidence.
var signalNames = [numSignals]string{
	sigOUIVendor:       "oui_vendor",
	sigHostname:        "hostname",
	sigDHCPVendorClass: "dhcp_vendor_class",
	sigServerPort:      "server_port",
	sigServerService:   "server_service",
	sigClientPort:      "client_port",
	sigClientService:   "client_service",
	sigDNS:             "dns",
	sigTLSServerName:   "tls_server_name",
	sigSoftware:        "software",
}

func (s signal) String() string { return signalNames[s] }

// matchKind says how the patterns of a signal are written and matched.
type matchKind uint8

const (
	kindRegexp  matchKind = iota // RE2 regular expression over the value
	kindPort                     // "proto/port", exact
	kindService                  // Zeek service name, exact, case-insensitive
	kindGlob                     // DNS-style glob, '*' matches any run of characters
)

func (s signal) kind() matchKind {
	switch s {
	case sigServerPort, sigClientPort:
		return kindPort
	case sigServerService, sigClientService:
		return kindService
	case sigDNS, sigTLSServerName:
		return kindGlob
	}
	return kindRegexp
}

// Limits that keep a rule cheap to compile and to evaluate.
const (
	maxPatternLen = 512
	maxConditions = 64 // conditions of one rule: the bits of a uint64
)

// protocols are the transport protocols a port pattern may name.
var protocols = map[string]uint32{"tcp": 1, "udp": 2, "sctp": 3}

var protocolNames = map[uint32]string{1: "tcp", 2: "udp", 3: "sctp"}

// portKey packs a protocol and a port into one map key.
func portKey(proto uint32, port uint16) uint32 { return proto<<16 | uint32(port) }

func formatPortKey(k uint32) string {
	return protocolNames[k>>16] + "/" + strconv.Itoa(int(k&0xffff))
}

// parsePort parses "tcp/104".
func parsePort(s string) (uint32, error) {
	proto, port, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("port %q: want proto/port, e.g. tcp/104", s)
	}
	p, known := protocols[proto]
	if !known {
		return 0, fmt.Errorf("port %q: protocol must be tcp, udp or sctp (lower case)", s)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 || port[0] == '0' {
		return 0, fmt.Errorf("port %q: port must be a number from 1 to 65535", s)
	}
	return portKey(p, uint16(n)), nil
}

// validService reports whether s is a plausible Zeek service name.
func validService(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// compiledRegexp is a regular expression with a cheap prefilter: when lits
// is not nil, any ASCII value the expression matches contains at least one
// of them, compared without regard to ASCII case.
type compiledRegexp struct {
	re       *regexp.Regexp
	lits     []string // lower case
	litBytes [][]byte // lits as bytes, for bytes.Contains
	// prefixes, when not nil, are lower-case ASCII strings of at least
	// prefixLen bytes one of which starts every ASCII value the expression
	// matches (ignoring ASCII case): the expression is anchored at the start
	// of the text and begins with literals.
	prefixes []string
}

// prefixLen is the length of the keys of the regexp index.
const prefixLen = 3

func compileRegexp(pattern string) (compiledRegexp, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return compiledRegexp{}, err
	}
	c := compiledRegexp{re: re}
	if tree, err := syntax.Parse(pattern, syntax.Perl); err == nil {
		tree = tree.Simplify()
		c.lits = requiredLiterals(tree)
		for _, l := range c.lits {
			c.litBytes = append(c.litBytes, []byte(l))
		}
		c.prefixes = anchoredPrefixes(tree)
	}
	return c, nil
}

// anchoredPrefixes returns the literals one of which every match of re
// starts with, when re is anchored at the start of the text; nil otherwise
// or when a literal is shorter than prefixLen or not ASCII.
func anchoredPrefixes(re *syntax.Regexp) []string {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return nil
	}
	rest := re.Sub[1]
	if len(re.Sub) > 2 {
		rest = &syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]}
	}
	lits := leadingLiterals(rest)
	for _, l := range lits {
		if len(l) < prefixLen || !isASCII(l) {
			return nil
		}
	}
	return lits
}

// leadingLiterals returns strings one of which starts every match of re.
func leadingLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if s == "" || re.Flags&syntax.FoldCase != 0 && !isASCII(s) {
			return nil
		}
		return []string{strings.ToLower(s)}
	case syntax.OpCapture:
		return leadingLiterals(re.Sub[0])
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return nil
		}
		return leadingLiterals(re.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l := leadingLiterals(sub)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	}
	return nil
}

// prefixKey returns the index key of an ASCII value: its first prefixLen
// bytes in lower case.
func prefixKey[S string | []byte](v S) (key [prefixLen]byte, ok bool) {
	if len(v) < prefixLen {
		return key, false
	}
	for i := range prefixLen {
		key[i] = lowerASCII(v[i])
	}
	return key, true
}

func (c *compiledRegexp) match(v string) bool {
	return c.matchValue(v, appendLowerASCII(nil, v))
}

// matchValue reports whether the expression matches v. lower is v in
// ASCII lower case, or nil when v is not ASCII (Unicode case folding is
// beyond the prefilter: the expression alone decides).
func (c *compiledRegexp) matchValue(v string, lower []byte) bool {
	if c.litBytes != nil && lower != nil {
		found := false
		for _, l := range c.litBytes {
			if bytes.Contains(lower, l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return c.re.MatchString(v)
}

// appendLowerASCII appends v in lower case to dst; it returns nil when v
// is not ASCII.
func appendLowerASCII(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= utf8.RuneSelf {
			return nil
		}
		dst = append(dst, lowerASCII(c))
	}
	if dst == nil {
		dst = []byte{}
	}
	return dst
}

// requiredLiterals returns strings one of which every match of re must
// contain (ignoring ASCII case), or nil when it cannot tell.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 && !isASCII(s) {
			return nil // Unicode case folding is beyond the ASCII prefilter
		}
		if s == "" {
			return nil
		}
		return []string{strings.ToLower(s)}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			l := requiredLiterals(sub)
			if l == nil {
				continue
			}
			m := len(l[0])
			for _, s := range l[1:] {
				m = min(m, len(s))
			}
			if m > bestLen {
				best, bestLen = l, m
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l := requiredLiterals(sub)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// globShape classifies a DNS glob: an exact name, "*.suffix" (any name
// below suffix), or a general pattern compiled to a regular expression.
type globShape uint8

const (
	globExact globShape = iota
	globSuffix
	globGeneral
)

// compileGlob validates a DNS glob (lower case letters, digits, '-', '_',
// '.', and '*' for any run of characters) and returns its shape: the name
// or suffix, or the regular expression for a general glob.
func compileGlob(g string) (shape globShape, key string, re *regexp.Regexp, err error) {
	if g == "" || g == "*" || strings.Contains(g, "..") || g[0] == '.' || g[len(g)-1] == '.' {
		return 0, "", nil, fmt.Errorf("name pattern %q: want a DNS name such as carelink.medtronic.com or *.merlin.net", g)
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '*') {
			return 0, "", nil, fmt.Errorf("name pattern %q: character %q not allowed (write names in lower case; '*' is the only wildcard)", g, c)
		}
	}
	stars := strings.Count(g, "*")
	switch {
	case stars == 0:
		return globExact, g, nil, nil
	case stars == 1 && strings.HasPrefix(g, "*.") && len(g) > 2:
		return globSuffix, g[2:], nil, nil
	}
	var b strings.Builder
	b.WriteString("^")
	for i, part := range strings.Split(g, "*") {
		if i > 0 {
			b.WriteString(".*")
		}
		b.WriteString(regexp.QuoteMeta(part))
	}
	b.WriteString("$")
	re, err = regexp.Compile(b.String())
	return globGeneral, "", re, err
}

// normName lower-cases a DNS name and drops a trailing dot. It allocates
// only when the name needs changing.
func normName(s string) string {
	s = strings.TrimSuffix(s, ".")
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
