package policy

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
)

// ErrUnknownFormat is returned by Export for a format it does not write.
var ErrUnknownFormat = errors.New("unknown export format")

// MemberKey is the class and model of a group of devices; Model is empty
// for devices whose model is unknown.
type MemberKey struct{ Class, Model string }

// String returns "class" or "class/model".
func (k MemberKey) String() string {
	if k.Model == "" {
		return k.Class
	}
	return k.Class + "/" + k.Model
}

// Members maps the class and model of devices to their current addresses:
// firewalls match sources by address. The caller says what each device
// is; Export routes it to the entry that judges it (Policy.Entry): the
// members of (class, model) are the sources of the model entry when the
// policy has one, else of the class entry.
type Members map[MemberKey][]netip.Addr

// Resolved gives the current addresses of the DNS names of allow rules,
// keyed by the name as written in the rule ("api.vendor.com",
// "*.vendor.com"): firewalls cannot match names. A name with no entry is
// written as a comment saying it could not be resolved, and allows
// nothing.
type Resolved map[string][]netip.Addr

// exporters writes each format.
var exporters = map[string]func(io.Writer, *exportPolicy) error{
	"nftables":  writeNftables,
	"iptables":  func(w io.Writer, e *exportPolicy) error { return writeIptables(w, e, false) },
	"ip6tables": func(w io.Writer, e *exportPolicy) error { return writeIptables(w, e, true) },
	"cisco-acl": writeCiscoACL,
	"json":      writeJSON,
}

// Formats returns the export formats, sorted.
func Formats() []string {
	out := make([]string, 0, len(exporters))
	for f := range exporters {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// Export writes p as firewall configuration in format: "nftables" (an
// `nft -f` script), "iptables" and "ip6tables" (`iptables-restore` and
// `ip6tables-restore` input for the filter table), "cisco-acl" (IOS
// extended named ACLs, IPv4 and IPv6) or "json" (the resolved policy).
// Sources are the members of each entry: a model entry gets the members of
// its class and model, the class entry those of its class whose model has
// no entry; zones become the addresses of
// their CIDRs minus the more specific CIDRs of other zones (so that an
// address is in exactly the zone ZoneOf names); names become their
// resolved addresses. Output is deterministic.
func Export(w io.Writer, p *Policy, format string, members Members, resolved Resolved) error {
	write, ok := exporters[format]
	if !ok {
		return fmt.Errorf("policy export %q: %w (want one of %s)", format, ErrUnknownFormat, strings.Join(Formats(), ", "))
	}
	if err := write(w, resolve(p, members, resolved)); err != nil {
		return fmt.Errorf("policy export %s: %w", format, err)
	}
	return nil
}

// exportPolicy is a policy with every destination and source turned into
// addresses: what all formats write.
type exportPolicy struct {
	Name    string        `json:"name"`
	Zones   []exportZone  `json:"zones"`
	Classes []exportClass `json:"classes"`
	// Unused are the keys of Members ("class" or "class/model") for which
	// the policy has no entry.
	Unused []string `json:"classes_without_policy,omitempty"`
}

type exportZone struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	CIDRs       []netip.Prefix `json:"cidrs"`
	VLANs       []int          `json:"vlans,omitempty"`
	// Addresses are the CIDRs minus other zones' more specific CIDRs.
	Addresses []netip.Prefix `json:"addresses"`
}

type exportClass struct {
	Class   string         `json:"class"`
	Model   string         `json:"model,omitempty"` // a model entry
	Mode    Mode           `json:"mode"`
	Line    int            `json:"line"`
	Members []netip.Prefix `json:"members"` // host prefixes, IPv4 first
	Rules   []exportRule   `json:"rules"`
}

type exportRule struct {
	Line    int      `json:"line"`
	Comment string   `json:"comment,omitempty"`
	Proto   string   `json:"proto,omitempty"` // "" = any
	Ports   []string `json:"ports,omitempty"` // "443", "8000-8100"; empty = any
	ports   []PortRange
	Any     bool `json:"any,omitempty"`
	// Destinations are the addresses the rule allows, IPv4 first, without
	// overlaps; empty (and Any false) means the rule allows nothing yet.
	Destinations []netip.Prefix `json:"destinations,omitempty"`
	// Unresolved are names with no entry in Resolved.
	Unresolved []string `json:"unresolved_names,omitempty"`
	// VLANOnly are zones with no CIDR: a firewall cannot match them by address.
	VLANOnly []string `json:"vlan_only_zones,omitempty"`
}

// families splits the destinations by address family.
func (r *exportRule) families() (v4, v6 []netip.Prefix) {
	return splitFamilies(r.Destinations)
}

func splitFamilies(ps []netip.Prefix) (v4, v6 []netip.Prefix) {
	for _, p := range ps {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return v4, v6
}

// name names the entry in comments: "class infusion_pump" or
// "class infusion_pump model 'Alaris 8015'", safe for every format.
func (c *exportClass) name() string {
	if c.Model == "" {
		return "class " + c.Class
	}
	return "class " + c.Class + " model '" + safeComment(c.Model, 64) + "'"
}

// modelTag is a short stable tag of a model entry for firewall names,
// which must be short and cannot carry the model's spaces and
// punctuation: 6 hex digits of a SHA-256 of the class and the model.
func modelTag(class, model string) string {
	sum := sha256.Sum256([]byte(class + "\x00" + model))
	return hex.EncodeToString(sum[:3])
}

// describe says what a rule allows, for comments: "line 42: pump server".
func (r *exportRule) describe() string {
	s := fmt.Sprintf("line %d", r.Line)
	if r.Comment != "" {
		s += ": " + r.Comment
	}
	return s
}

func resolve(p *Policy, members Members, resolved Resolved) *exportPolicy {
	e := &exportPolicy{Name: p.Name, Zones: []exportZone{}, Classes: []exportClass{}}
	zoneAddrs := make(map[string][]netip.Prefix, len(p.Zones))
	for i, z := range p.Zones {
		var others []netip.Prefix
		for _, zp := range p.prefixes {
			if zp.zone != i {
				others = append(others, zp.prefix)
			}
		}
		var addrs []netip.Prefix
		for _, c := range z.CIDRs {
			addrs = append(addrs, subtract(c, others)...)
		}
		addrs = normalizePrefixes(addrs)
		zoneAddrs[z.Name] = addrs
		e.Zones = append(e.Zones, exportZone{Name: z.Name, Description: z.Description, CIDRs: z.CIDRs, VLANs: z.VLANs, Addresses: addrs})
	}
	// Route every group of members to the entry that judges it.
	sources := make(map[entryKey][]netip.Prefix, len(p.Classes))
	for k, addrs := range members {
		cp, ok := p.Entry(k.Class, k.Model)
		if !ok {
			e.Unused = append(e.Unused, k.String())
			continue
		}
		ek := entryKey{cp.Class, cp.Model}
		for _, a := range addrs {
			if a = a.Unmap(); a.IsValid() {
				sources[ek] = append(sources[ek], netip.PrefixFrom(a.WithZone(""), a.BitLen()))
			}
		}
	}
	for _, c := range p.Classes {
		ec := exportClass{Class: c.Class, Model: c.Model, Mode: c.Mode, Line: c.Line, Rules: []exportRule{}}
		ec.Members = normalizePrefixes(sources[entryKey{c.Class, c.Model}])
		for _, r := range c.Allow {
			er := exportRule{Line: r.Line, Comment: r.Comment, Proto: r.Proto, ports: r.Ports, Any: r.To.Any}
			for _, pr := range r.Ports {
				er.Ports = append(er.Ports, pr.String())
			}
			dst := slices.Clone(r.To.CIDRs)
			for _, z := range r.To.Zones {
				if len(zoneAddrs[z]) == 0 {
					er.VLANOnly = append(er.VLANOnly, z)
				}
				dst = append(dst, zoneAddrs[z]...)
			}
			for _, n := range r.To.Names {
				addrs, ok := resolved[n]
				if !ok {
					er.Unresolved = append(er.Unresolved, n)
				}
				for _, a := range addrs {
					if a = a.Unmap(); a.IsValid() {
						dst = append(dst, netip.PrefixFrom(a.WithZone(""), a.BitLen()))
					}
				}
			}
			er.Destinations = normalizePrefixes(dst)
			ec.Rules = append(ec.Rules, er)
		}
		e.Classes = append(e.Classes, ec)
	}
	slices.Sort(e.Unused)
	return e
}

// subtract returns the parts of p not covered by those of others that are
// more specific than p: p itself when none is inside it, else p split
// around them. A less or equally specific prefix does not take from p.
func subtract(p netip.Prefix, others []netip.Prefix) []netip.Prefix {
	parts := []netip.Prefix{p}
	for _, o := range others {
		if o.Bits() <= p.Bits() {
			continue
		}
		var next []netip.Prefix
		for _, part := range parts {
			switch {
			case o.Bits() <= part.Bits() && o.Contains(part.Addr()):
				// o covers part entirely: drop it.
			case o.Bits() > part.Bits() && part.Contains(o.Addr()):
				next = append(next, carve(part, o)...)
			default:
				next = append(next, part)
			}
		}
		parts = next
	}
	return parts
}

// carve splits outer into the prefixes that cover it except inner, which
// is strictly inside it: one sibling per bit between the two lengths.
func carve(outer, inner netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for cur := outer; cur.Bits() < inner.Bits(); {
		lo, hi := halves(cur)
		if lo.Contains(inner.Addr()) {
			out, cur = append(out, hi), lo
		} else {
			out, cur = append(out, lo), hi
		}
	}
	return out
}

// halves splits p into its two halves, one bit longer.
func halves(p netip.Prefix) (lo, hi netip.Prefix) {
	bits := p.Bits()
	lo = netip.PrefixFrom(p.Addr(), bits+1)
	b := p.Addr().AsSlice()
	b[bits/8] |= 0x80 >> (bits % 8)
	a, _ := netip.AddrFromSlice(b)
	return lo, netip.PrefixFrom(a, bits+1)
}

// normalizePrefixes sorts prefixes (IPv4 first) and drops duplicates and
// prefixes inside another, so that firewall interval sets do not overlap.
func normalizePrefixes(ps []netip.Prefix) []netip.Prefix {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
	})
	out := ps[:0]
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].Bits() <= p.Bits() && out[n-1].Contains(p.Addr()) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func writeJSON(w io.Writer, e *exportPolicy) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// safeComment makes s fit a firewall comment: printable ASCII without
// quotes or backslashes, at most n bytes.
func safeComment(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '"' || c == '\\':
			b[i] = '\''
		case c < 0x20 || c > 0x7e:
			b[i] = ' '
		}
	}
	if len(b) > n {
		b = b[:n]
	}
	return strings.TrimSpace(string(b))
}
