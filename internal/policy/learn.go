package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-iomt/vigil/internal/fingerprint"
)

// Observation is what the baseline saw a device do: flows aggregated by
// destination, port and protocol.
type Observation struct {
	DeviceID, Class, Model string // Model may be empty
	Src                    netip.Addr
	Dst                    netip.Addr
	DstNames               []string
	DstPort                uint16
	Proto                  string
	Count                  int64
	First, Last            time.Time
}

// LearnOptions tunes Learn.
type LearnOptions struct {
	// Zones are the zones of the proposed policy; an internal destination in
	// one of them is generalised to the zone.
	Zones []Zone
	// Internal are the networks whose addresses are internal; nil means the
	// private ranges (RFC 1918, RFC 6598, RFC 4193). An external destination
	// is never generalised to a zone, even one that contains it.
	Internal []netip.Prefix
	// A destination (with its port and protocol) used by fewer than
	// MinDevices devices of an entry (a class, or a class and model) and by
	// less than MinFraction of the entry's devices is left out of the
	// entry and, for the devices the entry judges, reported as an outlier.
	// A model seen on fewer than MinDevices devices gets no entry of its
	// own. Zero values keep everything.
	MinDevices  int
	MinFraction float64
	// Until, when set, learns only from flows first seen before it: the
	// fleet as it was in a period known to be clean, whatever it did
	// since. Later flows are neither learned nor outliers.
	Until time.Time
}

// Proposal is a proposed policy: parsed, as YAML for review, and the
// observations that were left out.
type Proposal struct {
	Policy   *Policy
	YAML     []byte
	Outliers []Observation // sorted by class, device, destination, port, protocol, names
}

// defaultInternal are the private ranges.
var defaultInternal = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"),
}

// Destination kinds of a learned rule, in the order rules are written.
const (
	learnedZone = iota
	learnedDomain
	learnedHost
	unlearnable // cannot be written as a rule: an outlier
)

// learnedDestination is what an observed destination is generalised to.
type learnedDestination struct {
	kind  int
	value string // zone name, registered domain, or host prefix
}

// learnKey is one allowlist rule candidate of an entry (a class, or a
// class and model).
type learnKey struct {
	entry entryKey
	dst   learnedDestination
	proto string
	ports PortRange // one port, or a dynamic range (learnedPorts)
}

// Dynamic ports, as the behavioural baselines count them
// (baseline.PortClass): UDP destination ports from udpDynamicPorts (media
// streams such as RTP between IP phones use any of them) and TCP ports
// from tcpDynamicPorts (the IANA dynamic range) each count as one port.
const (
	udpDynamicPorts = 1024
	tcpDynamicPorts = 49152
)

// learnedPorts says what an observed destination port becomes in a rule: a
// dynamic port the whole dynamic range of its protocol, any other port
// itself. ICMP has no ports.
func learnedPorts(proto string, port uint16) PortRange {
	switch {
	case proto == "icmp":
		return PortRange{}
	case proto == "udp" && port >= udpDynamicPorts:
		return PortRange{udpDynamicPorts, 65535}
	case proto == "tcp" && port >= tcpDynamicPorts:
		return PortRange{tcpDynamicPorts, 65535}
	}
	return PortRange{port, port}
}

// learnGroup gathers the observations of one candidate.
type learnGroup struct {
	devices map[string]string // device ID → model
	names   map[string]bool   // exact names seen, for domains
}

// Learn proposes an allowlist for every class seen in obs and for the
// device models of a class whose devices do something else than the class
// as a whole. Destinations are generalised: an internal address in a zone
// to the zone; else one with DNS names to its registered domains
// ("*.example.com" and the exact names seen); else the host's /32 or /128.
// Protocols are kept exact, and so are ports, except dynamic ones: UDP
// ports from 1024 are learned as the range 1024-65535 and TCP ports from
// 49152 as 49152-65535, as the baselines count them. The observations of a
// range count together: phones each sending RTP to a different port of a
// zone together use udp 1024-65535 to it.
//
// The class entry is learned from all devices of the class, whatever their
// model: it is what judges devices of an unknown or new model. A model seen
// on at least MinDevices devices (and at least one) gets its own entry,
// learned from its devices alone with the same thresholds, unless it would
// allow exactly what the class entry allows; since a model entry replaces
// the class entry for its model (Policy.Entry), it holds every rule its
// devices need. A model seen on fewer devices has too little evidence to
// tell its habits from its outliers: its devices are judged, and their
// outliers found, by the class entry. An observation is an outlier when
// the entry that judges its device leaves it out.
//
// Entries are ordered by class (as in the class table), the class entry
// first, then model entries by model; rules by kind (zone, names, host),
// destination and protocol. Rule comments say how many devices of the
// entry used them and, in a class entry, of which models. Observations of
// classes not in the class table, with protocols other than tcp, udp and
// icmp, or with no usable destination become outliers too.
func Learn(obs []Observation, opts LearnOptions) (*Proposal, error) {
	if opts.MinDevices < 0 || opts.MinFraction < 0 || opts.MinFraction > 1 {
		return nil, errors.New("policy learn: MinDevices must be ≥ 0 and MinFraction in [0, 1]")
	}
	zones := &Policy{Zones: opts.Zones}
	for i, z := range opts.Zones {
		for _, c := range z.CIDRs {
			zones.prefixes = append(zones.prefixes, zonePrefix{c, i})
		}
	}
	slices.SortStableFunc(zones.prefixes, func(a, b zonePrefix) int { return b.prefix.Bits() - a.prefix.Bits() })
	internal := opts.Internal
	if internal == nil {
		internal = defaultInternal
	}

	// Every usable observation counts toward its class entry and, when its
	// model is known, toward the candidate entry of its class and model.
	devices := make(map[entryKey]map[string]bool)
	groups := make(map[learnKey]*learnGroup)
	var outliers []Observation
	var usable []int
	considered := 0
	for i, o := range obs {
		if !opts.Until.IsZero() && !o.First.Before(opts.Until) {
			continue
		}
		considered++
		proto := strings.ToLower(o.Proto)
		dst := generalise(o, zones, internal)
		// Devices of no known class (fingerprint.Unknown) are not a
		// class to allow things to: their flows are for people to look at.
		// Nor are TCP or UDP flows to port 0, which no rule can name.
		if !knownClass(o.Class) || o.Class == fingerprint.Unknown || (proto != "tcp" && proto != "udp" && proto != "icmp") ||
			(proto != "icmp" && o.DstPort == 0) || dst.kind == unlearnable {
			outliers = append(outliers, o)
			continue
		}
		usable = append(usable, i)
		ports := learnedPorts(proto, o.DstPort)
		for _, ek := range learnEntries(o) {
			if devices[ek] == nil {
				devices[ek] = make(map[string]bool)
			}
			devices[ek][o.DeviceID] = true
			k := learnKey{ek, dst, proto, ports}
			g := groups[k]
			if g == nil {
				g = &learnGroup{devices: make(map[string]string), names: make(map[string]bool)}
				groups[k] = g
			}
			if g.devices[o.DeviceID] == "" {
				g.devices[o.DeviceID] = o.Model
			}
			if dst.kind == learnedDomain {
				for _, n := range learnableNames(o.DstNames) {
					if registeredDomain(n) == dst.value {
						g.names[n] = true
					}
				}
			}
		}
	}
	// kept says whether a candidate is well supported within its entry.
	kept := func(k learnKey) bool {
		n := len(groups[k].devices)
		return n >= opts.MinDevices || float64(n) >= opts.MinFraction*float64(len(devices[k.entry]))
	}

	// Merge the well-supported candidates into rules by entry, destination
	// and protocol.
	type ruleKey struct {
		entry entryKey
		dst   learnedDestination
		proto string
	}
	type learnedRule struct {
		ports   []PortRange
		devices map[string]string
		names   map[string]bool
	}
	rules := make(map[ruleKey]*learnedRule)
	for k, g := range groups {
		if !kept(k) {
			continue
		}
		rk := ruleKey{k.entry, k.dst, k.proto}
		r := rules[rk]
		if r == nil {
			r = &learnedRule{devices: make(map[string]string), names: make(map[string]bool)}
			rules[rk] = r
		}
		if k.proto != "icmp" {
			r.ports = append(r.ports, k.ports)
		}
		for d, m := range g.devices {
			if r.devices[d] == "" {
				r.devices[d] = m
			}
		}
		for name := range g.names {
			r.names[name] = true
		}
	}
	keys := make([]ruleKey, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ruleKey) int {
		return cmp.Or(compareEntries(a.entry, b.entry), cmp.Compare(a.dst.kind, b.dst.kind),
			cmp.Compare(a.dst.value, b.dst.value), cmp.Compare(a.proto, b.proto))
	})

	// Every class seen gets an entry, even one whose flows were all
	// outliers: its allowlist is then empty (deny all). A model gets a
	// candidate entry when enough of its devices were seen to tell its
	// habits from its outliers.
	var entries []entryKey
	for ek, devs := range devices {
		if ek.model == "" || len(devs) >= max(opts.MinDevices, 1) {
			entries = append(entries, ek)
		}
	}
	slices.SortFunc(entries, compareEntries)
	learned := make(map[entryKey]*ClassPolicy, len(entries))
	for _, ek := range entries {
		learned[ek] = &ClassPolicy{Class: ek.class, Model: ek.model, Mode: defaultMode(ek.class)}
	}
	for _, k := range keys {
		r := rules[k]
		cp := learned[k.entry]
		if cp == nil {
			continue // a model with too few devices: its devices are the class entry's
		}
		var comment string
		if k.entry.model == "" {
			comment = learnedComment(len(r.devices), len(devices[k.entry]), r.devices)
		} else {
			comment = learnedComment(len(r.devices), len(devices[k.entry]), nil) + " of the model"
		}
		rule := Rule{Proto: k.proto, Comment: comment}
		slices.SortFunc(r.ports, func(a, b PortRange) int { return cmp.Or(cmp.Compare(a.Lo, b.Lo), cmp.Compare(a.Hi, b.Hi)) })
		rule.Ports = slices.Compact(r.ports)
		switch k.dst.kind {
		case learnedZone:
			rule.To.Zones = []string{k.dst.value}
		case learnedDomain:
			rule.To.Names = domainNames(k.dst.value, r.names)
		case learnedHost:
			rule.To.CIDRs = []netip.Prefix{netip.MustParsePrefix(k.dst.value)}
		}
		cp.Allow = append(cp.Allow, rule)
	}
	// A model entry that would allow exactly what the class entry allows
	// says nothing more: drop it.
	out := &Policy{Name: "learned", Zones: opts.Zones}
	for _, ek := range entries {
		cp := learned[ek]
		if ek.model != "" && sameRules(cp.Allow, learned[entryKey{ek.class, ""}].Allow) {
			delete(learned, ek)
			continue
		}
		out.Classes = append(out.Classes, *cp)
	}

	// An observation is an outlier when the entry that will judge its
	// device does not keep it.
	for _, i := range usable {
		o := obs[i]
		ek := entryKey{o.Class, ""}
		if _, ok := learned[entryKey{o.Class, o.Model}]; ok && o.Model != "" {
			ek.model = o.Model
		}
		proto := strings.ToLower(o.Proto)
		if !kept(learnKey{ek, generalise(o, zones, internal), proto, learnedPorts(proto, o.DstPort)}) {
			outliers = append(outliers, o)
		}
	}

	slices.SortFunc(outliers, compareObservations)
	header := fmt.Sprintf("# Proposed by vigil policy learn from %d observations; %d left out as outliers.\n", considered, len(outliers))
	if !opts.Until.IsZero() {
		header += fmt.Sprintf("# Only flows first seen before %s were learned from.\n", opts.Until.UTC().Format(time.RFC3339))
	}
	header += "# Review every rule before use: it allows what devices did, not what they should do.\n"
	data := append([]byte(header), encodeYAML(out)...)
	parsed, err := Parse(data, "learned policy")
	if err != nil {
		return nil, fmt.Errorf("policy learn: the proposal does not parse (are the zones valid?): %w", err)
	}
	return &Proposal{Policy: parsed, YAML: data, Outliers: outliers}, nil
}

// generalise says what an observed destination becomes in a rule.
func generalise(o Observation, zones *Policy, internal []netip.Prefix) learnedDestination {
	dst := o.Dst.Unmap()
	if dst.IsValid() && slices.ContainsFunc(internal, func(p netip.Prefix) bool { return p.Contains(dst) }) {
		if z, ok := zones.ZoneOf(dst, 0); ok {
			return learnedDestination{learnedZone, z}
		}
	}
	if names := learnableNames(o.DstNames); len(names) > 0 {
		// One rule per registered domain: the first name's (sorted) carries
		// the observation; a device using several domains through one
		// address is rare enough to leave to the reviewer.
		return learnedDestination{learnedDomain, registeredDomain(names[0])}
	}
	if dst.IsValid() && dst.Zone() == "" {
		return learnedDestination{learnedHost, netip.PrefixFrom(dst, dst.BitLen()).String()}
	}
	return learnedDestination{kind: unlearnable}
}

// learnableNames returns the valid, normalized, sorted names of a flow.
func learnableNames(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "*") {
			continue
		}
		name, err := normalizeRuleName(n)
		if _, notAddr := netip.ParseAddr(name); err == nil && notAddr != nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// twoLevelSuffixes are common public suffixes of two labels under which a
// registered domain has three labels. It is a short approximation of the
// Public Suffix List, which Vigil does not embed.
var twoLevelSuffixes = map[string]bool{
	"co.uk": true, "org.uk": true, "ac.uk": true, "gov.uk": true, "nhs.uk": true,
	"com.au": true, "net.au": true, "org.au": true, "co.nz": true, "co.jp": true,
	"ne.jp": true, "com.br": true, "com.cn": true, "co.in": true, "com.mx": true,
	"co.za": true, "co.kr": true, "com.sg": true, "com.tr": true,
}

// registeredDomain returns the domain a name is registered under:
// "api.eu.vendor.com" → "vendor.com", "x.nhs.uk"'s parent → itself.
func registeredDomain(name string) string {
	labels := strings.Split(name, ".")
	n := 2
	if len(labels) >= 3 && twoLevelSuffixes[strings.Join(labels[len(labels)-2:], ".")] {
		n = 3
	}
	if len(labels) <= n {
		return name
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// domainNames returns the names of a learned domain rule: "*.domain" when
// a subdomain was seen, then the exact names.
func domainNames(domain string, seen map[string]bool) []string {
	var out []string
	for n := range seen {
		if n != domain {
			out = append(out, "*."+domain)
			break
		}
	}
	exact := make([]string, 0, len(seen))
	for n := range seen {
		exact = append(exact, n)
	}
	slices.Sort(exact)
	return append(out, exact...)
}

// learnedComment says how many devices of the class used a rule, and which
// models.
func learnedComment(used, total int, devices map[string]string) string {
	models := make(map[string]int)
	for _, m := range devices {
		if m != "" {
			models[m]++
		}
	}
	s := fmt.Sprintf("learned: used by %d of %d devices", used, total)
	if len(models) == 0 {
		return s
	}
	names := make([]string, 0, len(models))
	for m := range models {
		names = append(names, m)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, m := range names {
		parts[i] = fmt.Sprintf("%s (%d)", m, models[m])
	}
	return s + "; models: " + strings.Join(parts, ", ")
}

// learnEntries are the entries an observation counts toward: its class
// entry and, when its model is known, the entry of its class and model.
func learnEntries(o Observation) []entryKey {
	if o.Model == "" {
		return []entryKey{{o.Class, ""}}
	}
	return []entryKey{{o.Class, ""}, {o.Class, o.Model}}
}

// compareEntries orders entries as the class table does, a class's entry
// before its model entries, and those by model.
func compareEntries(a, b entryKey) int {
	return cmp.Or(cmp.Compare(classRank[a.class], classRank[b.class]), cmp.Compare(a.model, b.model))
}

// sameRules reports whether two allowlists allow the same flows in the
// same order, whatever their comments and lines.
func sameRules(a, b []Rule) bool {
	return slices.EqualFunc(a, b, func(x, y Rule) bool {
		return x.To.Any == y.To.Any && slices.Equal(x.To.CIDRs, y.To.CIDRs) && slices.Equal(x.To.Zones, y.To.Zones) &&
			slices.Equal(x.To.Names, y.To.Names) && slices.Equal(x.Ports, y.Ports) && x.Proto == y.Proto
	})
}

// classRank orders classes as the class table does.
var classRank = func() map[string]int {
	m := make(map[string]int)
	for i, c := range fingerprint.Classes() {
		m[c.Name] = i
	}
	return m
}()

func compareObservations(a, b Observation) int {
	return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.DeviceID, b.DeviceID), a.Dst.Compare(b.Dst),
		cmp.Compare(a.DstPort, b.DstPort), cmp.Compare(a.Proto, b.Proto), slices.Compare(a.DstNames, b.DstNames))
}

// The YAML form written by encodeYAML; Parse documents the schema.
type (
	yamlPolicy struct {
		Name    string      `yaml:"name"`
		Zones   []yamlZone  `yaml:"zones,omitempty"`
		Classes []yamlClass `yaml:"classes"`
	}
	yamlZone struct {
		Name        string   `yaml:"name"`
		Description string   `yaml:"description,omitempty"`
		CIDRs       []string `yaml:"cidrs,omitempty,flow"`
		VLANs       []int    `yaml:"vlans,omitempty,flow"`
	}
	yamlClass struct {
		Class string     `yaml:"class"`
		Model string     `yaml:"model,omitempty"`
		Mode  Mode       `yaml:"mode"`
		Allow []yamlRule `yaml:"allow"`
	}
	yamlRule struct {
		To      yamlDestination `yaml:"to,flow"`
		Proto   string          `yaml:"proto,omitempty"`
		Ports   []any           `yaml:"ports,omitempty,flow"` // 443 or "8000-8100"
		Comment string          `yaml:"comment,omitempty"`
	}
	yamlDestination struct {
		Any   bool     `yaml:"any,omitempty"`
		CIDRs []string `yaml:"cidrs,omitempty,flow"`
		Zones []string `yaml:"zones,omitempty,flow"`
		Names []string `yaml:"names,omitempty,flow"`
	}
)

// encodeYAML writes p in the policy format.
func encodeYAML(p *Policy) []byte {
	y := yamlPolicy{Name: p.Name}
	for _, z := range p.Zones {
		yz := yamlZone{Name: z.Name, Description: z.Description, VLANs: z.VLANs}
		for _, c := range z.CIDRs {
			yz.CIDRs = append(yz.CIDRs, c.String())
		}
		y.Zones = append(y.Zones, yz)
	}
	for _, c := range p.Classes {
		yc := yamlClass{Class: c.Class, Model: c.Model, Mode: c.Mode, Allow: []yamlRule{}}
		for _, r := range c.Allow {
			yr := yamlRule{Proto: r.Proto, Comment: r.Comment}
			yr.To = yamlDestination{Any: r.To.Any, Zones: r.To.Zones, Names: r.To.Names}
			for _, c := range r.To.CIDRs {
				yr.To.CIDRs = append(yr.To.CIDRs, c.String())
			}
			for _, pr := range r.Ports {
				if pr.Lo == pr.Hi {
					yr.Ports = append(yr.Ports, int(pr.Lo))
				} else {
					yr.Ports = append(yr.Ports, pr.String())
				}
			}
			yc.Allow = append(yc.Allow, yr)
		}
		y.Classes = append(y.Classes, yc)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	// Encoding plain strings, ints and bools cannot fail.
	_ = enc.Encode(y)
	_ = enc.Close()
	return b.Bytes()
}
