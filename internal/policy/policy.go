// Package policy owns default-deny network segmentation for the device
// fleet: zones (named sets of CIDRs and VLAN IDs), allowlists per device
// class and, optionally, per device model of a class, written in YAML, the evaluation of observed flows against
// them, the embedded NIST SP 1800-8 reference template (policies/), the
// learning of proposed allowlists from what devices were seen doing, the
// replay of observations against a candidate policy, and the export of a
// policy as firewall configuration (nftables, iptables, Cisco IOS ACLs,
// JSON). docs/policy.md documents the format and the semantics.
//
// It must not do I/O other than Load (one file) and Export (the writer it
// is given), touch the store, resolve DNS names or keep state between
// calls: callers pass in the observations, class members and resolved
// addresses.
package policy

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
	"github.com/vigil-iomt/vigil/policies"
)

// ErrInvalidPolicy is wrapped by every error about the content of a policy;
// the message names the source and the line ("name:line: reason").
var ErrInvalidPolicy = errors.New("invalid policy")

// maxPolicySize bounds a policy file read by Load.
const maxPolicySize = 16 << 20

// Policy is a parsed, validated segmentation policy. Build one with Parse,
// Load or Template; the zero value has no zones and no classes.
type Policy struct {
	Name  string
	Zones []Zone
	// Classes are the allowlist entries, in file order: at most one per
	// device class (Model empty: the class entry) and one per class and
	// device model (a model entry).
	Classes []ClassPolicy

	zoneByName  map[string]int
	classByName map[entryKey]int
	prefixes    []zonePrefix // every zone CIDR, longest prefix first
	zoneByVLAN  map[int]int
}

// zonePrefix is one CIDR of one zone.
type zonePrefix struct {
	prefix netip.Prefix
	zone   int
}

// Zone is a named part of the network: the addresses in its CIDRs, and the
// hosts on its VLANs.
type Zone struct {
	Name        string
	Description string
	CIDRs       []netip.Prefix
	VLANs       []int
	Line        int
}

// Mode says what a firewall does with a flow that no rule allows.
type Mode string

// Modes.
const (
	// Enforce blocks (drops) a flow that no rule allows.
	Enforce Mode = "enforce"
	// AlertOnly reports a flow that no rule allows and never blocks it: the
	// default for life-sustaining classes, where a wrong block can harm a
	// patient.
	AlertOnly Mode = "alert-only"
)

// entryKey identifies an allowlist entry: a class, and a model or "".
type entryKey struct{ class, model string }

// ClassPolicy is the allowlist of one device class (the class entry) or of
// one device model of a class (a model entry). A model entry replaces the
// class entry for the devices of that model: their flows are judged by the
// model entry's rules and mode only (Policy.Entry).
type ClassPolicy struct {
	Class string // a class name of internal/fingerprint, e.g. "infusion_pump"
	// Model is the device model the entry is for, exactly as the inventory
	// names it (asset.Device.Model), e.g. "Alaris 8015"; empty for the
	// class entry.
	Model string
	// Mode defaults to Enforce, except for life-sustaining classes
	// (fingerprint.CriticalityOf), which default to AlertOnly.
	Mode  Mode
	Allow []Rule // empty: every flow is denied
	Line  int
}

// Rule allows flows to a destination on some ports and one protocol.
type Rule struct {
	To      Destination
	Ports   []PortRange // empty: any port
	Proto   string      // "tcp", "udp", "icmp", or "" for any protocol
	Comment string
	Line    int // the YAML line of the rule, for messages and "which rule allowed this"
}

// Destination is where a rule allows flows to; it matches when any of its
// parts does.
type Destination struct {
	Any   bool           // every address
	CIDRs []netip.Prefix // addresses in any of these networks
	Zones []string       // addresses whose zone (Policy.ZoneOf) is one of these
	// Names are DNS names, lower case without a trailing dot: exact
	// ("api.vendor.com"), or "*.vendor.com" for any subdomain of
	// vendor.com (not vendor.com itself).
	Names []string
}

// PortRange is an inclusive range of ports; a single port has Lo == Hi.
type PortRange struct{ Lo, Hi uint16 }

// String returns "443" or "8000-8100".
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Class returns the class entry of class: the allowlist of its devices
// whose model has no entry of its own.
func (p *Policy) Class(class string) (*ClassPolicy, bool) {
	return p.lookup(entryKey{class, ""})
}

// Entry returns the entry that judges a device of class and model: the
// model entry for (class, model) when the policy has one, else the class
// entry. ok is false when neither exists: the device is not judged.
func (p *Policy) Entry(class, model string) (*ClassPolicy, bool) {
	if model != "" {
		if cp, ok := p.lookup(entryKey{class, model}); ok {
			return cp, true
		}
	}
	return p.lookup(entryKey{class, ""})
}

func (p *Policy) lookup(k entryKey) (*ClassPolicy, bool) {
	i, ok := p.classByName[k]
	if !ok {
		return nil, false
	}
	return &p.Classes[i], true
}

// Name names the entry in messages: "infusion_pump", or
// `infusion_pump model "Alaris 8015"`.
func (c *ClassPolicy) Name() string {
	if c.Model == "" {
		return c.Class
	}
	return fmt.Sprintf("%s model %q", c.Class, c.Model)
}

// defaultMode is the mode of a class whose entry does not set one.
func defaultMode(class string) Mode {
	if fingerprint.CriticalityOf(class) == asset.LifeSustaining {
		return AlertOnly
	}
	return Enforce
}

// Load reads and parses the policy file at path.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPolicySize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if len(data) > maxPolicySize {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrInvalidPolicy, maxPolicySize)
	}
	return Parse(data, path)
}

// TemplateYAML returns the embedded reference template: the zone model of
// NIST SP 1800-8 with an allowlist for every device class.
func TemplateYAML() []byte {
	return append([]byte(nil), policies.Template...)
}

// Template returns the reference template, parsed. Each call returns a new
// Policy. The template is part of the build and a test parses it, so the
// panic below marks a defect of the build, never of input.
func Template() *Policy {
	p, err := Parse(policies.Template, policies.TemplateName)
	if err != nil {
		panic(fmt.Sprintf("policy: the embedded template does not parse: %v", err))
	}
	return p
}
