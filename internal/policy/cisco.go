package policy

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// ciscoRemarkMax is the longest ACL remark IOS accepts.
const ciscoRemarkMax = 100

// writeCiscoACL writes one IOS extended named ACL per entry for IPv4
// ("VIGIL-<CLASS>", for a model entry "VIGIL-<CLASS>-M<TAG>") and, for
// entries with IPv6 members, one IPv6 ACL (the name and "-V6").
func writeCiscoACL(w io.Writer, e *exportPolicy) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "! Vigil segmentation policy %q as IOS named ACLs: default deny per device class.\n", safeComment(e.Name, 200))
	b.WriteString("! Apply each ACL inbound on the interface facing the class's devices, e.g.\n")
	b.WriteString("!   interface Vlan40\n!    ip access-group VIGIL-INFUSION_PUMP in\n!    ipv6 traffic-filter VIGIL-INFUSION_PUMP-V6 in\n")
	b.WriteString("! One ACL per direction fits an interface: classes sharing a VLAN need their ACLs merged.\n")
	for _, c := range e.Unused {
		fmt.Fprintf(b, "! members given for %s, which has no entry in the policy: not written\n", safeComment(c, 200))
	}
	for _, c := range e.Classes {
		v4, v6 := splitFamilies(c.Members)
		name := "VIGIL-" + strings.ToUpper(c.Class)
		if c.Model != "" {
			name += "-M" + strings.ToUpper(modelTag(c.Class, c.Model))
		}
		writeCiscoList(b, &c, v4, "ip access-list extended "+name, "ip", false)
		if len(v6) > 0 {
			writeCiscoList(b, &c, v6, "ipv6 access-list "+name+"-V6", "ipv6", true)
		}
	}
	return b.Flush()
}

func writeCiscoList(b *bufio.Writer, c *exportClass, members []netip.Prefix, header, anyProto string, v6 bool) {
	fmt.Fprintf(b, "!\nno %s\n%s\n", header, header)
	remark := func(format string, args ...any) {
		fmt.Fprintf(b, " remark %s\n", safeComment(fmt.Sprintf(format, args...), ciscoRemarkMax))
	}
	remark("%s (%s), policy line %d", c.name(), c.Mode, c.Line)
	remark("replies to connections opened toward the devices")
	b.WriteString(" permit tcp any any established\n")
	if len(members) == 0 {
		remark("no member addresses: nothing is permitted")
	}
	for _, r := range c.Rules {
		remark("%s", r.describe())
		for _, n := range r.Unresolved {
			remark("%s could not be resolved; nothing allowed for it", n)
		}
		for _, z := range r.VLANOnly {
			remark("zone %s has no CIDR; a VLAN cannot be matched here", z)
		}
		var dsts []string
		if r.Any {
			dsts = []string{"any"}
		} else {
			v4, v6dst := r.families()
			fam := v4
			if v6 {
				fam = v6dst
			}
			for _, d := range fam {
				dsts = append(dsts, ciscoAddress(d))
			}
		}
		for _, m := range members {
			for _, d := range dsts {
				for _, svc := range ciscoServices(&r, anyProto) {
					fmt.Fprintf(b, " permit %s %s %s%s\n", svc.proto, ciscoAddress(m), d, svc.port)
				}
			}
		}
	}
	if c.Mode == AlertOnly {
		remark("alert-only: permit and log what no rule allows")
		fmt.Fprintf(b, " permit %s any any log\n", anyProto)
	} else {
		fmt.Fprintf(b, " deny %s any any log\n", anyProto)
	}
}

type ciscoService struct{ proto, port string }

// ciscoServices returns the protocol and port operator of each entry a rule
// needs: one per protocol and port range.
func ciscoServices(r *exportRule, anyProto string) []ciscoService {
	switch {
	case r.Proto == "icmp":
		return []ciscoService{{"icmp", ""}}
	case len(r.ports) == 0 && r.Proto == "":
		return []ciscoService{{anyProto, ""}}
	case len(r.ports) == 0:
		return []ciscoService{{r.Proto, ""}}
	}
	protos := []string{r.Proto}
	if r.Proto == "" {
		protos = []string{"tcp", "udp"}
	}
	var out []ciscoService
	for _, proto := range protos {
		for _, p := range r.ports {
			if p.Lo == p.Hi {
				out = append(out, ciscoService{proto, fmt.Sprintf(" eq %d", p.Lo)})
			} else {
				out = append(out, ciscoService{proto, fmt.Sprintf(" range %d %d", p.Lo, p.Hi)})
			}
		}
	}
	return out
}

// ciscoAddress writes a prefix as IOS does: "host A", "any", an IPv4
// network with its wildcard mask, or an IPv6 prefix.
func ciscoAddress(p netip.Prefix) string {
	switch {
	case p.IsSingleIP():
		return "host " + p.Addr().String()
	case p.Bits() == 0:
		return "any"
	case p.Addr().Is6():
		return p.String()
	}
	return p.Addr().String() + " " + wildcardMask(p.Bits())
}

// wildcardMask is the inverse of the netmask of an IPv4 prefix length:
// 24 → 0.0.0.255.
func wildcardMask(bits int) string {
	m := ^uint32(0) >> bits
	return fmt.Sprintf("%d.%d.%d.%d", byte(m>>24), byte(m>>16), byte(m>>8), byte(m))
}
