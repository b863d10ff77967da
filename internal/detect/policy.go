package detect

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/policy"
)

// DetectorPolicy is the name of the segmentation detector.
const DetectorPolicy = "policy-violation"

// policyMapping describes the segmentation detector for the catalog.
var policyMapping = Mapping{DetectorPolicy, alert.Medium, []string{"T1021", "T0886", "T1071", "T0883"},
	[]string{"D3-NTF", "D3-OTF", "D3-ITF", "D3-NI"},
	"The device opened a connection its class's allowlist does not permit (default deny). Towards the internet this is how command and control and exfiltration look (high); inside the hospital it is how an intruder moves from a device to the EHR or the wider network (medium). Classes in alert-only mode (life-sustaining devices by default) are reported, never blocked."}

// PolicyChecker checks each connection of a classified device against a
// segmentation policy, by the entry of its class and model; a class the
// policy does not name is not judged.
type PolicyChecker struct {
	policy   *policy.Policy
	internal func(netip.Addr) bool
}

// NewPolicyChecker returns a checker for p; internal reports whether an
// address belongs to the hospital (a violation towards any other is high).
func NewPolicyChecker(p *policy.Policy, internal func(netip.Addr) bool) *PolicyChecker {
	return &PolicyChecker{policy: p, internal: internal}
}

// Violation is a connection the policy does not allow.
type Violation struct {
	// Key is the de-duplication key of its alert: one per device,
	// destination and port.
	Key     string
	verdict policy.Verdict
}

// Check evaluates a connection of a device of the given class and model
// (empty when unknown); names are the DNS or TLS names the destination was
// known by. The policy's entry for the class and model judges it when
// there is one, else its class entry; a device with neither is not judged.
func (pc *PolicyChecker) Check(deviceID, class, model string, c *event.Conn, names []string) (Violation, bool) {
	f := policy.Flow{Class: class, Model: model, Src: c.OrigH.Unmap(), Dst: c.RespH.Unmap(), SrcVLAN: c.VLAN,
		DstPort: c.RespP, Proto: c.Proto, DstNames: names}
	if allowed, judged := pc.policy.Allows(f); allowed || !judged {
		return Violation{}, false
	}
	v := pc.policy.Evaluate(f)
	return Violation{Key: Key(DetectorPolicy, deviceID, c.RespH.Unmap().String(), c.Proto+"/"+strconv.Itoa(int(c.RespP))), verdict: v}, true
}

// Occurrence builds the alert occurrence of a violation.
func (pc *PolicyChecker) Occurrence(viol Violation, dev Device, c *event.Conn, names []string, pos event.Position) Occurrence {
	v := viol.verdict
	dst := c.RespH.Unmap()
	zone, inZone := pc.policy.ZoneOf(dst, 0)
	where := dst.String()
	if inZone {
		where = fmt.Sprintf("%s (zone %s)", dst, zone)
	}
	if len(names) > 0 {
		where = fmt.Sprintf("%s %v", where, names)
	}
	m := policyMapping
	o := Occurrence{
		Key:      viol.Key,
		Detector: DetectorPolicy, Device: dev, Severity: alert.Medium, Time: c.TS,
		What:        fmt.Sprintf("→ %s:%d/%s, not in its allowlist (%s)", where, c.RespP, c.Proto, v.Mode),
		Explanation: fmt.Sprintf("%s %s.", m.Meaning, v.Reason),
		Attack:      []string{"T1021", "T0886"}, D3FEND: []string{"D3-NTF", "D3-ITF", "D3-NI"},
	}
	if !pc.internal(dst) {
		o.Severity = alert.High
		o.Attack = []string{"T1071", "T0883"}
		o.D3FEND = []string{"D3-NTF", "D3-OTF"}
	}
	fields := map[string]string{"policy": pc.policy.Name, "class": dev.Class, "mode": string(v.Mode)}
	if v.Entry != nil && v.Entry.Model != "" {
		fields["model"] = v.Entry.Model // judged by a model entry
	}
	o.Evidence = []alert.Evidence{EventEvidence(c, pos), {Kind: "policy", Summary: v.Reason, Time: c.TS, Fields: fields}}
	return o
}
