package baseline

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/vigil-iomt/vigil/internal/event"
)

// Bounds on a profile, so that a noisy device cannot grow without limit.
const (
	maxFlows         = 256 // flows recorded for policy learning and replay
	maxExternalPeers = 128 // beyond this, a device's external peers are not judged
	maxPorts         = 256
	maxDomains       = 256
	maxNetworks      = 16
	maxResolved      = 128 // recent DNS answers and TLS names per device
	maxFlowNames     = 1
	maxNameLen       = 253 // the longest DNS name
	// highPortVariety is how many distinct TCP ports of 1024 and above
	// make a device's high ports dynamic (see Profile.HighTCP).
	highPortVariety = 8
)

// Destination ports that count as one, so that protocols that open data
// channels on random high ports do not look new each time: TCP ports from
// dynamicPorts (the IANA dynamic range) and UDP ports from udpHighPorts
// (media streams — RTP between phones, video — use any of them).
const (
	dynamicPorts = 49152
	udpHighPorts = 1024
)

// profileVersion is the encoding version of a Profile document.
const profileVersion = 1

// Profile is what a device normally does. Times are Unix nanoseconds of
// event time. Every slice is kept sorted (Resolved and Beacons are kept in
// the order they were updated), so that encoding is deterministic.
type Profile struct {
	Version int `json:"v"`
	// Start is the earliest event time seen: the learning period runs from
	// there.
	Start    int64 `json:"start"`
	LastSeen int64 `json:"last_seen"`
	// Flows are the connections the device opened, by peer, port and
	// protocol, learned or not.
	Flows []Flow `json:"flows,omitempty"`
	// ExternalPeers are the external addresses the device is known to use:
	// those of the learning period and those a learned domain resolved to
	// later.
	ExternalPeers []netip.Addr `json:"external_peers,omitempty"`
	// OpenExternal is set when the device used more external peers during
	// learning than a profile holds: such a device (a workstation that
	// browses) is not judged on new external peers.
	OpenExternal bool `json:"open_external,omitempty"`
	// Ports are the destination ports learned, as proto<<16 | port.
	Ports []uint32 `json:"ports,omitempty"`
	// Inbound are the port classes external peers reached the device on
	// while learning (a remote-access gateway's VPN port).
	Inbound []uint32 `json:"inbound,omitempty"`
	// HighTCP is set when the device used many distinct TCP ports of 1024
	// and above while learning (dynamic service ports): any such port then
	// counts as known.
	HighTCP bool `json:"high_tcp,omitempty"`
	// Domains are the registered domains the device looked up or named as
	// TLS server during learning.
	Domains []string `json:"domains,omitempty"`
	// Networks are the /24, /64 and VLANs the device appeared in.
	Networks []string `json:"networks,omitempty"`
	// Resolved are the latest addresses the device got from DNS answers
	// or contacted with a TLS server name, oldest first.
	Resolved []Resolution `json:"resolved,omitempty"`
	// Volume is the device's activity by hour (all traffic), External
	// the judged volume it sends to external peers.
	Volume   Volume      `json:"volume"`
	External Volume      `json:"external_volume"`
	Beacons  []Beacon    `json:"beacons,omitempty"`
	Probe    ProbeWindow `json:"probe"`
	// Scanner is set when the device probed many hosts during learning (a
	// vulnerability scanner, a discovery service): it is not judged on
	// scanning.
	Scanner bool `json:"scanner,omitempty"`

	// lastAddr and lastVLAN remember the last placement found to be all
	// in the baseline, so that a device that stays put is not judged again
	// on every record (a cache, not persisted: a restart judges once more,
	// with the same result).
	lastAddr netip.Addr
	lastVLAN int
}

// Flow aggregates the connections of a device to one peer, port and protocol.
type Flow struct {
	Peer    netip.Addr `json:"peer"`
	Port    uint16     `json:"port"`
	Proto   string     `json:"proto"`
	Names   []string   `json:"names,omitempty"`
	Learned bool       `json:"learned,omitempty"`
	Count   int64      `json:"count"`
	Bytes   int64      `json:"bytes"`
	First   int64      `json:"first"`
	Last    int64      `json:"last"`
}

// Resolution is an address and the name it was known by.
type Resolution struct {
	Addr netip.Addr `json:"addr"`
	Name string     `json:"name"`
	// Known is set when the name's domain was learned: the address is
	// vouched for.
	Known bool `json:"known,omitempty"`
}

type flowKey struct {
	peer  netip.Addr
	port  uint16
	proto uint8
}

const (
	protoOther uint8 = iota
	protoTCP
	protoUDP
	protoICMP
)

var protoNames = [...]string{protoOther: "other", protoTCP: "tcp", protoUDP: "udp", protoICMP: "icmp"}

func protoCode(s string) uint8 {
	switch s {
	case "tcp":
		return protoTCP
	case "udp":
		return protoUDP
	case "icmp":
		return protoICMP
	}
	return protoOther
}

func portProto(port uint16, proto uint8) uint32 {
	switch {
	case proto == protoUDP && port >= udpHighPorts:
		port = udpHighPorts
	case port >= dynamicPorts && proto != protoICMP:
		port = dynamicPorts
	}
	return uint32(proto)<<16 | uint32(port)
}

// PortClass names the port class a destination port counts in: "tcp/443",
// "tcp/49152+", "udp/1024+".
func PortClass(port uint16, proto string) string {
	return portClassName(portProto(port, protoCode(proto)))
}

func portClassName(pp uint32) string {
	proto, port := uint8(pp>>16), pp&0xffff
	name := protoNames[proto] + "/" + strconv.Itoa(int(port))
	if port == dynamicPorts || proto == protoUDP && port == udpHighPorts {
		name += "+"
	}
	return name
}

func compareFlow(f *Flow, k flowKey) int {
	if c := f.Peer.Compare(k.peer); c != 0 {
		return c
	}
	if c := cmp.Compare(protoCode(f.Proto), k.proto); c != 0 {
		return c
	}
	return cmp.Compare(f.Port, k.port)
}

// recordFlow counts a connection in its flow, adding the flow while the
// profile has room.
func (p *Profile) recordFlow(k flowKey, c *event.Conn, learning bool, names []string) {
	i, found := slices.BinarySearchFunc(p.Flows, k, func(f Flow, k flowKey) int { return compareFlow(&f, k) })
	if !found {
		if len(p.Flows) >= maxFlows {
			return
		}
		p.Flows = slices.Insert(p.Flows, i, Flow{Peer: k.peer, Port: k.port, Proto: protoNames[k.proto], First: c.TS.UnixNano()})
	}
	f := &p.Flows[i]
	n := c.TS.UnixNano()
	f.Count++
	f.Bytes += c.OrigBytes
	f.First = min(f.First, n)
	f.Last = max(f.Last, n)
	if learning {
		f.Learned = true
	}
	for _, name := range names {
		if len(f.Names) < maxFlowNames && !slices.Contains(f.Names, name) {
			f.Names = append(f.Names, name)
			slices.Sort(f.Names)
		}
	}
}

// learnExternal adds a known external peer. During learning, a device
// that overflows the set is marked open.
func (p *Profile) learnExternal(a netip.Addr, learning bool) {
	i, found := slices.BinarySearchFunc(p.ExternalPeers, a, netip.Addr.Compare)
	if found {
		return
	}
	if len(p.ExternalPeers) >= maxExternalPeers {
		if learning {
			p.OpenExternal = true
		}
		return
	}
	p.ExternalPeers = slices.Insert(p.ExternalPeers, i, a)
}

func (p *Profile) externalKnown(a netip.Addr) bool {
	_, found := slices.BinarySearchFunc(p.ExternalPeers, a, netip.Addr.Compare)
	return found
}

func (p *Profile) externalList(n int) string {
	var b strings.Builder
	for i, a := range p.ExternalPeers {
		if i == n {
			fmt.Fprintf(&b, ", … (%d more)", len(p.ExternalPeers)-n)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}

// resolve remembers that addr was known by name; known says whether the
// name's domain is learned.
func (p *Profile) resolve(addr netip.Addr, name string, known bool) {
	if !addr.IsValid() || len(name) > maxNameLen {
		return
	}
	i := slices.IndexFunc(p.Resolved, func(r Resolution) bool { return r.Addr == addr && r.Name == name })
	if i >= 0 {
		p.Resolved = slices.Delete(p.Resolved, i, i+1)
	} else if len(p.Resolved) >= maxResolved {
		p.Resolved = slices.Delete(p.Resolved, 0, 1)
	}
	p.Resolved = append(p.Resolved, Resolution{Addr: addr, Name: name, Known: known})
}

// vouched reports whether a learned domain resolved to addr.
func (p *Profile) vouched(addr netip.Addr) bool {
	return slices.ContainsFunc(p.Resolved, func(r Resolution) bool { return r.Known && r.Addr == addr })
}

// namesOf returns the names addr was known by, sorted.
func (p *Profile) namesOf(addr netip.Addr) []string {
	var names []string
	for _, r := range p.Resolved {
		if r.Addr == addr && !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	slices.Sort(names)
	return names
}

func (p *Profile) learnPort(pp uint32) {
	i, found := slices.BinarySearch(p.Ports, pp)
	if found || len(p.Ports) >= maxPorts {
		return
	}
	p.Ports = slices.Insert(p.Ports, i, pp)
	if proto, port := uint8(pp>>16), pp&0xffff; proto != protoTCP || port < 1024 {
		return
	}
	high := 0
	for _, x := range p.Ports {
		if uint8(x>>16) == protoTCP && x&0xffff >= 1024 {
			high++
		}
	}
	if high >= highPortVariety {
		p.HighTCP = true
	}
}

func (p *Profile) portKnown(pp uint32) bool {
	proto, port := uint8(pp>>16), pp&0xffff
	switch {
	case proto == protoUDP && (port == 67 || port == 68):
		return true // DHCP: every device renews its lease
	case proto == protoTCP && port >= 1024 && p.HighTCP:
		return true
	}
	_, found := slices.BinarySearch(p.Ports, pp)
	return found
}

func (p *Profile) learnInbound(pp uint32) {
	i, found := slices.BinarySearch(p.Inbound, pp)
	if !found && len(p.Inbound) < maxPorts {
		p.Inbound = slices.Insert(p.Inbound, i, pp)
	}
}

func (p *Profile) inboundKnown(pp uint32) bool {
	_, found := slices.BinarySearch(p.Inbound, pp)
	return found
}

func (p *Profile) portList(n int) string { return portList(p.Ports, n) }

// portList names at most n port classes.
func portList(ports []uint32, n int) string {
	if len(ports) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, pp := range ports {
		if i == n {
			fmt.Fprintf(&b, ", … (%d more)", len(ports)-n)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(portClassName(pp))
	}
	return b.String()
}

func (p *Profile) domainKnown(d string) bool {
	_, found := slices.BinarySearch(p.Domains, d)
	return found
}

func (p *Profile) learnDomain(d string) {
	i, found := slices.BinarySearch(p.Domains, d)
	if !found && len(p.Domains) < maxDomains {
		p.Domains = slices.Insert(p.Domains, i, d)
	}
}

func (p *Profile) domainList(n int) string {
	if len(p.Domains) == 0 {
		return "none"
	}
	if len(p.Domains) <= n {
		return strings.Join(p.Domains, ", ")
	}
	return strings.Join(p.Domains[:n], ", ") + fmt.Sprintf(", … (%d more)", len(p.Domains)-n)
}

func (p *Profile) learningEnd(learning time.Duration) string {
	return time.Unix(0, p.Start+int64(learning)).UTC().Format(time.RFC3339)
}

// LearningEnds returns when the profile's learning period ends.
func (p *Profile) LearningEnds(learning time.Duration) time.Time {
	return time.Unix(0, p.Start+int64(learning)).UTC()
}

// NormalizeName lower-cases a DNS name and drops a trailing dot; it
// returns "" for names that are not names ("-", empty).
func NormalizeName(s string) string {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "-" {
		return ""
	}
	return s
}

// RegisteredDomain returns the registrable domain of a name (eTLD+1 from
// the public suffix list: "a.b.example.co.uk" → "example.co.uk"); a name
// that has none (a single label, a public suffix) is its own domain.
func RegisteredDomain(name string) string {
	d, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		return name
	}
	return d
}

// Encode returns the profile as a document to persist.
func (p *Profile) Encode() ([]byte, error) {
	p.Version = profileVersion
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("baseline: encoding a profile: %w", err)
	}
	return b, nil
}

// Decode reads a profile document and checks that it is one Encode could
// have written: a damaged document is an error, never a panic later.
func Decode(doc []byte) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, fmt.Errorf("baseline: decoding a profile: %w", err)
	}
	if p.Version != profileVersion {
		return nil, fmt.Errorf("baseline: profile version %d, want %d", p.Version, profileVersion)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("baseline: invalid profile: %w", err)
	}
	return &p, nil
}

func (p *Profile) validate() error {
	switch {
	case len(p.Flows) > maxFlows || len(p.ExternalPeers) > maxExternalPeers || len(p.Ports) > maxPorts || len(p.Inbound) > maxPorts ||
		len(p.Domains) > maxDomains || len(p.Networks) > maxNetworks || len(p.Resolved) > maxResolved ||
		len(p.Beacons) > maxBeaconPeers || len(p.Probe.Hosts) > maxProbeHosts || len(p.Probe.Ports) > maxProbeHosts:
		return errors.New("a set exceeds its bound")
	case !slices.IsSortedFunc(p.Flows, func(a, b Flow) int {
		return compareFlow(&a, flowKey{peer: b.Peer, port: b.Port, proto: protoCode(b.Proto)})
	}) || !slices.IsSortedFunc(p.ExternalPeers, netip.Addr.Compare) || !slices.IsSorted(p.Ports) || !slices.IsSorted(p.Inbound) ||
		!slices.IsSorted(p.Domains) || !slices.IsSortedFunc(p.Probe.Hosts, netip.Addr.Compare) || !slices.IsSorted(p.Probe.Ports):
		return errors.New("a set is not sorted")
	}
	for _, pp := range slices.Concat(p.Ports, p.Inbound) {
		if int(pp>>16) >= len(protoNames) {
			return fmt.Errorf("port entry %#x: unknown protocol", pp)
		}
	}
	for _, b := range p.Beacons {
		if len(b.Times) > beaconTimes || !slices.IsSorted(b.Times) {
			return errors.New("beacon times out of bounds or order")
		}
	}
	for _, v := range []*Volume{&p.Volume, &p.External} {
		if len(v.History) > historyHours || v.Next < 0 || v.Next >= historyHours || (v.Next > 0 && len(v.History) < historyHours) {
			return errors.New("volume history ring out of bounds")
		}
		for _, b := range v.Open {
			if b.Hour < 0 {
				return errors.New("negative hour")
			}
		}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
