package policy

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// nftCommentMax is the longest rule comment nft accepts, in bytes.
const nftCommentMax = 127

// writeNftables writes an `nft -f` script that replaces table inet vigil
// atomically: declaring the table and deleting it first works whether or
// not it exists.
func writeNftables(w io.Writer, e *exportPolicy) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "#!/usr/sbin/nft -f\n# Vigil segmentation policy %q: default deny per device class.\n", safeComment(e.Name, 200))
	b.WriteString("# Apply with: nft -f FILE   (check first with: nft -c -f FILE)\n")
	b.WriteString("# It replaces table inet vigil only; traffic of hosts in no class set is not touched.\n")
	for _, c := range e.Unused {
		fmt.Fprintf(b, "# members given for %s, which has no entry in the policy: not written\n", safeComment(c, 200))
	}
	b.WriteString("table inet vigil\ndelete table inet vigil\n\ntable inet vigil {\n")
	for _, c := range e.Classes {
		v4, v6 := splitFamilies(c.Members)
		id := nftIdent(&c)
		fmt.Fprintf(b, "\t# %s (%s), policy line %d\n", c.name(), c.Mode, c.Line)
		writeNftSet(b, "src_"+id+"_v4", "ipv4_addr", v4)
		writeNftSet(b, "src_"+id+"_v6", "ipv6_addr", v6)
	}
	b.WriteString("\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	b.WriteString("\t\tct state established,related accept\n")
	for _, c := range e.Classes {
		id := nftIdent(&c)
		fmt.Fprintf(b, "\t\tip saddr @src_%s_v4 jump class_%s\n", id, id)
		fmt.Fprintf(b, "\t\tip6 saddr @src_%s_v6 jump class_%s\n", id, id)
	}
	b.WriteString("\t}\n")
	for _, c := range e.Classes {
		id := nftIdent(&c)
		fmt.Fprintf(b, "\n\tchain class_%s {\n", id)
		if c.Model != "" {
			fmt.Fprintf(b, "\t\t# %s: replaces the class entry for this model\n", c.name())
		}
		for _, r := range c.Rules {
			writeNftRule(b, &r)
		}
		if c.Mode == AlertOnly {
			fmt.Fprintf(b, "\t\tlog prefix \"vigil alert-only %s: \" accept\n", id)
		} else {
			b.WriteString("\t\tdrop\n")
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.Flush()
}

// nftModelSlugMax bounds the part of a model entry's identifier taken from
// the model's name.
const nftModelSlugMax = 24

// nftIdent is the identifier of an entry in set and chain names: the class,
// or for a model entry the class, the model in lower case letters, digits
// and '_' (at most nftModelSlugMax), and modelTag, which keeps it unique:
// "infusion_pump_alaris_8015_1a2b3c". At most 29 + 1 + 24 + 1 + 6 bytes,
// well within nft's 256.
func nftIdent(c *exportClass) string {
	if c.Model == "" {
		return c.Class
	}
	var slug []byte
	for _, r := range strings.ToLower(c.Model) {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			slug = append(slug, byte(r))
		case len(slug) > 0 && slug[len(slug)-1] != '_':
			slug = append(slug, '_')
		}
	}
	if len(slug) > nftModelSlugMax {
		slug = slug[:nftModelSlugMax]
	}
	s := strings.Trim(string(slug), "_")
	if s == "" {
		return c.Class + "_" + modelTag(c.Class, c.Model)
	}
	return c.Class + "_" + s + "_" + modelTag(c.Class, c.Model)
}

func writeNftSet(b *bufio.Writer, name, typ string, elems []netip.Prefix) {
	fmt.Fprintf(b, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n", name, typ)
	if len(elems) > 0 {
		fmt.Fprintf(b, "\t\telements = { %s }\n", nftElements(elems))
	}
	b.WriteString("\t}\n")
}

// nftElements lists prefixes, host prefixes as plain addresses.
func nftElements(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		if p.IsSingleIP() {
			s[i] = p.Addr().String()
		} else {
			s[i] = p.String()
		}
	}
	return strings.Join(s, ", ")
}

func writeNftRule(b *bufio.Writer, r *exportRule) {
	comment := fmt.Sprintf(" comment \"%s\"", safeComment(r.describe(), nftCommentMax))
	for _, n := range r.Unresolved {
		fmt.Fprintf(b, "\t\t# %s: %s could not be resolved; nothing allowed for it\n", r.describe(), n)
	}
	for _, z := range r.VLANOnly {
		fmt.Fprintf(b, "\t\t# %s: zone %s has no CIDR; a VLAN cannot be matched here\n", r.describe(), z)
	}
	if r.Any {
		fmt.Fprintf(b, "\t\t%saccept%s\n", nftServiceMatch(r, ""), comment)
		return
	}
	v4, v6 := r.families()
	for _, fam := range []struct {
		match string
		dst   []netip.Prefix
	}{{"ip", v4}, {"ip6", v6}} {
		if len(fam.dst) == 0 {
			continue
		}
		fmt.Fprintf(b, "\t\t%s daddr { %s } %saccept%s\n", fam.match, nftElements(fam.dst), nftServiceMatch(r, fam.match), comment)
	}
}

// nftServiceMatch returns the protocol and port match of a rule, ending in
// a space, for family "ip", "ip6" or "" (both).
func nftServiceMatch(r *exportRule, family string) string {
	ports := make([]string, len(r.ports))
	for i, p := range r.ports {
		ports[i] = p.String()
	}
	portSet := "{ " + strings.Join(ports, ", ") + " }"
	switch {
	case r.Proto == "icmp" && family == "ip":
		return "meta l4proto icmp "
	case r.Proto == "icmp" && family == "ip6":
		return "meta l4proto ipv6-icmp "
	case r.Proto == "icmp":
		return "meta l4proto { icmp, ipv6-icmp } "
	case len(ports) == 0 && r.Proto == "":
		return ""
	case len(ports) == 0:
		return "meta l4proto " + r.Proto + " "
	case r.Proto == "":
		return "meta l4proto { tcp, udp } th dport " + portSet + " "
	}
	return r.Proto + " dport " + portSet + " "
}
