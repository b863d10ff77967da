package policy

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Limits of iptables: chain names are under 29 characters, LOG prefixes
// under 30, comments at most 256; multiport takes 15 ports (a range counts
// as two).
const (
	iptChainMax     = 28
	iptLogPrefixMax = 29
	iptCommentMax   = 255
	iptMultiportMax = 15
)

// writeIptables writes iptables-restore (or, for v6, ip6tables-restore)
// input for the filter table.
func writeIptables(w io.Writer, e *exportPolicy, v6 bool) error {
	b := bufio.NewWriter(w)
	tool, icmp := "iptables", "icmp"
	if v6 {
		tool, icmp = "ip6tables", "ipv6-icmp"
	}
	fmt.Fprintf(b, "# Vigil segmentation policy %q for %s: default deny per device class.\n", safeComment(e.Name, 200), tool)
	if v6 {
		b.WriteString("# IPv6 only; the IPv4 rules are the \"iptables\" export.\n")
	} else {
		b.WriteString("# IPv4 only; the IPv6 rules need ip6tables: export format \"ip6tables\".\n")
	}
	fmt.Fprintf(b, "# Apply with: %s-restore FILE   (check first with: %s-restore --test FILE)\n", tool, tool)
	b.WriteString("# It replaces the whole filter table; to keep other rules, load the VIGIL chains with --noflush\n# and add \"-A FORWARD -j VIGIL-FORWARD\" yourself.\n")
	for _, c := range e.Unused {
		fmt.Fprintf(b, "# members given for %s, which has no entry in the policy: not written\n", safeComment(c, 200))
	}
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:VIGIL-FORWARD - [0:0]\n")
	for _, c := range e.Classes {
		fmt.Fprintf(b, ":%s - [0:0]\n", iptChain(c.Class, c.Model))
	}
	b.WriteString("-A FORWARD -j VIGIL-FORWARD\n")
	b.WriteString("-A VIGIL-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n")
	for _, c := range e.Classes {
		v4, v6members := splitFamilies(c.Members)
		members := v4
		if v6 {
			members = v6members
		}
		for _, m := range members {
			fmt.Fprintf(b, "-A VIGIL-FORWARD -s %s -m comment --comment \"%s\" -j %s\n", m, safeComment(c.name(), iptCommentMax), iptChain(c.Class, c.Model))
		}
	}
	for _, c := range e.Classes {
		chain := iptChain(c.Class, c.Model)
		fmt.Fprintf(b, "# %s (%s), policy line %d\n", c.name(), c.Mode, c.Line)
		for _, r := range c.Rules {
			writeIptRule(b, chain, &r, v6, icmp)
		}
		if c.Mode == AlertOnly {
			fmt.Fprintf(b, "-A %s -j LOG --log-prefix \"%s\"\n-A %s -j ACCEPT\n", chain, iptLogPrefix(c.Class, c.Model), chain)
		} else {
			fmt.Fprintf(b, "-A %s -j DROP\n", chain)
		}
	}
	b.WriteString("COMMIT\n")
	return b.Flush()
}

func writeIptRule(b *bufio.Writer, chain string, r *exportRule, v6 bool, icmp string) {
	for _, n := range r.Unresolved {
		fmt.Fprintf(b, "# %s: %s could not be resolved; nothing allowed for it\n", r.describe(), n)
	}
	for _, z := range r.VLANOnly {
		fmt.Fprintf(b, "# %s: zone %s has no CIDR; a VLAN cannot be matched here\n", r.describe(), z)
	}
	dsts := []string{""}
	if !r.Any {
		v4, v6dst := r.families()
		fam := v4
		if v6 {
			fam = v6dst
		}
		dsts = dsts[:0]
		for _, d := range fam {
			dsts = append(dsts, " -d "+d.String())
		}
	}
	comment := fmt.Sprintf(" -m comment --comment \"%s\"", safeComment(r.describe(), iptCommentMax))
	for _, d := range dsts {
		for _, svc := range iptServiceMatches(r, icmp) {
			fmt.Fprintf(b, "-A %s%s%s%s -j ACCEPT\n", chain, d, svc, comment)
		}
	}
}

// iptServiceMatches returns the protocol and port matches of a rule: one
// per protocol and per multiport batch.
func iptServiceMatches(r *exportRule, icmp string) []string {
	switch {
	case r.Proto == "icmp":
		return []string{" -p " + icmp}
	case len(r.ports) == 0 && r.Proto == "":
		return []string{""}
	case len(r.ports) == 0:
		return []string{" -p " + r.Proto}
	}
	protos := []string{r.Proto}
	if r.Proto == "" {
		protos = []string{"tcp", "udp"}
	}
	var batches []string
	var cur []string
	weight := 0
	for _, p := range r.ports {
		s, w := fmt.Sprint(p.Lo), 1
		if p.Hi != p.Lo {
			s, w = fmt.Sprintf("%d:%d", p.Lo, p.Hi), 2
		}
		if weight+w > iptMultiportMax {
			batches, cur, weight = append(batches, strings.Join(cur, ",")), nil, 0
		}
		cur, weight = append(cur, s), weight+w
	}
	batches = append(batches, strings.Join(cur, ","))
	var out []string
	for _, proto := range protos {
		for _, batch := range batches {
			if strings.ContainsAny(batch, ",") {
				out = append(out, fmt.Sprintf(" -p %s -m multiport --dports %s", proto, batch))
			} else {
				out = append(out, fmt.Sprintf(" -p %s --dport %s", proto, batch))
			}
		}
	}
	return out
}

// iptChain is the chain of an entry: "VIGIL-" and the class, shortened
// with a hash to fit iptables' limit; for a model entry, "-M" and the
// model's modelTag take the end ("VIGIL-infusion_pum-Ma1b2c3"), so that
// it never collides with a class chain, whose hash is lower case.
func iptChain(class, model string) string {
	name := "VIGIL-" + class
	if model != "" {
		suffix := "-M" + modelTag(class, model)
		return name[:min(len(name), iptChainMax-len(suffix))] + suffix
	}
	if len(name) <= iptChainMax {
		return name
	}
	sum := sha256.Sum256([]byte(class))
	h := hex.EncodeToString(sum[:3])
	return name[:iptChainMax-len(h)-1] + "-" + h
}

// iptLogPrefix is the LOG prefix of an alert-only entry; a model entry's
// ends in "-M" and its modelTag.
func iptLogPrefix(class, model string) string {
	p := "vigil alert " + class
	suffix := ""
	if model != "" {
		suffix = "-M" + modelTag(class, model)
	}
	if len(p)+len(suffix) > iptLogPrefixMax-2 {
		p = p[:iptLogPrefixMax-2-len(suffix)]
	}
	return p + suffix + ": "
}
