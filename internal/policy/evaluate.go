package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// Flow is one observed connection attempt from a device.
type Flow struct {
	Class string // the device's class
	// Model is the device's model (asset.Device.Model), or empty when
	// unknown: it selects the model entry of the class when the policy has
	// one (Policy.Entry).
	Model    string
	Src, Dst netip.Addr
	SrcVLAN  int // 0 = unknown; only used to name the source's zone in Reason
	// DstVLAN is the destination's VLAN when known (0 = unknown): it places
	// a destination whose address is in no zone CIDR (Policy.ZoneOf).
	DstVLAN int
	DstPort uint16
	Proto   string // "tcp", "udp", "icmp"
	// DstNames are the DNS names the destination address was known by at
	// the time (DNS answers, TLS SNI); may be empty.
	DstNames []string
}

// Verdict is the outcome of evaluating a flow.
type Verdict struct {
	Allowed bool
	// Mode is the mode of the entry that judged the flow: for AlertOnly, a
	// flow that is not allowed is to be reported, never blocked.
	Mode Mode
	// Entry is the entry that judged the flow: the model entry of the
	// flow's class and model, else the class entry; nil with NoPolicy.
	Entry  *ClassPolicy
	Rule   *Rule  // the rule that allowed the flow; nil when it is not allowed
	Reason string // in plain language, for people; names a model entry
	// NoPolicy is set when neither the flow's class nor its model has an
	// entry in the policy: the flow
	// was not evaluated (Allowed is false, Mode is empty) and the caller
	// decides what that means, e.g. a report of unsegmented classes.
	NoPolicy bool
}

// Evaluate decides whether the policy allows f. The flow is judged by one
// entry (Policy.Entry): the model entry of its class and model when the
// policy has one, which replaces the class entry for that model, else the
// class entry. An allowlist is default deny: the flow is allowed when any
// of the entry's rules matches (the first one in file order is reported),
// else it is not.
func (p *Policy) Evaluate(f Flow) Verdict {
	cp, ok := p.Entry(f.Class, f.Model)
	if !ok {
		return Verdict{NoPolicy: true, Reason: fmt.Sprintf("class %q has no entry in policy %q: not evaluated", f.Class, p.Name)}
	}
	dst, proto, names := f.Dst.Unmap(), strings.ToLower(f.Proto), normalizeFlowNames(f.DstNames)
	if r, what, ok := p.firstMatch(cp, f, dst, proto, names); ok {
		of := ""
		if cp.Model != "" {
			of = fmt.Sprintf(" of model %q", cp.Model)
		}
		return Verdict{
			Allowed: true,
			Mode:    cp.Mode,
			Entry:   cp,
			Rule:    r,
			Reason:  fmt.Sprintf("allowed by rule at line %d%s (%s, %s)", r.Line, of, what, service(proto, f.DstPort)),
		}
	}
	reason := fmt.Sprintf("%s %s → %s is not in its allowlist (default deny)", cp.Name(), p.describeSource(f), describeDestination(dst, f.DstPort, proto, names))
	if cp.Model != "" {
		reason += fmt.Sprintf("; judged by the entry for model %q at line %d", cp.Model, cp.Line)
	}
	if cp.Mode == AlertOnly {
		reason += "; alert-only: report, do not block"
	}
	return Verdict{Mode: cp.Mode, Entry: cp, Reason: reason}
}

// Allows is Evaluate without the explanation, for the hot path of
// checking every connection: it reports whether the flow is allowed and
// whether the policy judges its class (or model) at all.
func (p *Policy) Allows(f Flow) (allowed, judged bool) {
	cp, ok := p.Entry(f.Class, f.Model)
	if !ok {
		return false, false
	}
	_, _, allowed = p.firstMatch(cp, f, f.Dst.Unmap(), strings.ToLower(f.Proto), normalizeFlowNames(f.DstNames))
	return allowed, true
}

// firstMatch returns the first rule of the entry that allows the flow.
func (p *Policy) firstMatch(cp *ClassPolicy, f Flow, dst netip.Addr, proto string, names []string) (*Rule, string, bool) {
	dstZone, inZone := p.ZoneOf(dst, f.DstVLAN)
	for i := range cp.Allow {
		r := &cp.Allow[i]
		if !r.matchesService(proto, f.DstPort) {
			continue
		}
		if what, ok := r.To.match(dst, dstZone, inZone, names); ok {
			return r, what, true
		}
	}
	return nil, "", false
}

// ZoneOf returns the zone of addr: the zone with the longest CIDR that
// contains it, or, when no CIDR does, the zone of vlan (0 = unknown).
// IPv4-mapped IPv6 addresses are looked up as IPv4.
func (p *Policy) ZoneOf(addr netip.Addr, vlan int) (string, bool) {
	addr = addr.Unmap()
	if addr.IsValid() {
		for _, zp := range p.prefixes {
			if zp.prefix.Contains(addr) {
				return p.Zones[zp.zone].Name, true
			}
		}
	}
	if i, ok := p.zoneByVLAN[vlan]; ok && vlan != 0 {
		return p.Zones[i].Name, true
	}
	return "", false
}

// matchesService reports whether the rule allows proto and port. A rule
// with ports matches only TCP and UDP flows.
func (r *Rule) matchesService(proto string, port uint16) bool {
	if r.Proto != "" && r.Proto != proto {
		return false
	}
	if len(r.Ports) == 0 {
		return true
	}
	if proto != "tcp" && proto != "udp" {
		return false
	}
	for _, pr := range r.Ports {
		if pr.Lo <= port && port <= pr.Hi {
			return true
		}
	}
	return false
}

// match reports whether the destination contains dst (whose zone is
// dstZone when inZone) or one of its names, and says what matched.
func (d *Destination) match(dst netip.Addr, dstZone string, inZone bool, names []string) (string, bool) {
	if d.Any {
		return "any destination", true
	}
	if dst.IsValid() {
		for _, c := range d.CIDRs {
			if c.Contains(dst) {
				return "cidr " + c.String(), true
			}
		}
	}
	if inZone {
		for _, z := range d.Zones {
			if z == dstZone {
				return "zone " + z, true
			}
		}
	}
	for _, pattern := range d.Names {
		for _, n := range names {
			if nameMatches(pattern, n) {
				return "name " + pattern, true
			}
		}
	}
	return "", false
}

// nameMatches reports whether the normalized name n matches pattern: equal
// to it, or for "*.suffix" a subdomain of suffix (not suffix itself).
func nameMatches(pattern, n string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return len(n) > len(suffix) && strings.HasSuffix(n, suffix)
	}
	return n == pattern
}

// normalizeFlowNames lower-cases names and drops trailing dots.
func normalizeFlowNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n = strings.TrimSuffix(strings.ToLower(n), "."); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// service formats a protocol and port as "tcp/443", or "icmp".
func service(proto string, port uint16) string {
	switch proto {
	case "tcp", "udp":
		return fmt.Sprintf("%s/%d", proto, port)
	case "":
		return "unknown protocol"
	}
	return proto
}

func (p *Policy) describeSource(f Flow) string {
	if z, ok := p.ZoneOf(f.Src, f.SrcVLAN); ok {
		return fmt.Sprintf("%s (zone %s)", f.Src, z)
	}
	return f.Src.String()
}

func describeDestination(dst netip.Addr, port uint16, proto string, names []string) string {
	var b strings.Builder
	b.WriteString(dst.String())
	if proto == "tcp" || proto == "udp" {
		fmt.Fprintf(&b, ":%d/%s", port, proto)
	} else {
		b.WriteString(" " + service(proto, port))
	}
	if len(names) > 0 {
		fmt.Fprintf(&b, " (names: %s)", strings.Join(names, ", "))
	}
	return b.String()
}
