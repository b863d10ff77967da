// Package baseline learns how each device normally behaves on the network
// and reports where it departs from that once its learning period is over:
// a new external peer, a new destination port or protocol, an hourly volume
// sent to external peers far above its history, periodic connections to an
// unknown peer
// (beaconing), a DNS domain it never used, a network or VLAN it never
// appeared in, fan-out probing of many internal hosts (scanning), and
// connections from outside the hospital on a port it was never reached on.
//
// Everything runs in event time: the learning period of a device starts at
// the earliest event time seen for it, and every decision depends only on
// the events applied and their order, so replaying the same logs gives the
// same deviations. The state of each device (its Profile) is plain data
// that the caller persists with Flush and restores with Load, so that a
// restart continues where it was.
//
// A Set is owned by one goroutine (the shard owner) and is not safe for
// concurrent use. It does no I/O and knows nothing of devices beyond their
// IDs: the inventory says which device an address belongs to, the detect
// package turns deviations into alerts.
package baseline

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// DefaultLearning is how long a device is observed before it is judged.
const DefaultLearning = 7 * 24 * time.Hour

// Kind names a type of deviation.
type Kind string

// The deviations a Set reports.
const (
	NewExternalPeer Kind = "new-external-peer"
	NewPort         Kind = "new-port"
	VolumeSpike     Kind = "volume-spike"
	Beaconing       Kind = "beaconing"
	NewDomain       Kind = "new-domain"
	NewNetwork      Kind = "new-network"
	Scan            Kind = "scan"
	InboundExternal Kind = "inbound-external"
)

// Kinds lists every deviation kind.
var Kinds = []Kind{NewExternalPeer, NewPort, VolumeSpike, Beaconing, NewDomain, NewNetwork, Scan, InboundExternal}

// Deviation is one departure of a device from its baseline.
type Deviation struct {
	Kind     Kind
	DeviceID string
	Time     time.Time
	// Peer, Port and Proto describe the connection, when the deviation is
	// about one.
	Peer  netip.Addr
	Port  uint16
	Proto string
	// PortClass is the class the port counts in for new-port ("tcp/445",
	// "udp/1024+").
	PortClass string
	// External is set when the peer lies outside the hospital's networks.
	External bool
	// Answered is set, for inbound-external, when the device answered.
	Answered bool
	// PeerNames are the DNS names the peer was known by (from answers to
	// the device's queries, or TLS server names).
	PeerNames []string
	// Domain is the registered domain (new-domain), Name the full name
	// looked up or sent as TLS server name.
	Domain, Name string
	// Network is the /24 (IPv4), /64 (IPv6) or "vlan N" newly seen.
	Network string
	// Observed and Expected are the values that departed from the baseline
	// and what the baseline holds, in words ("412.3 MB this hour",
	// "median 1.2 MB, MAD 0.3 MB, max 2.0 MB over 168 hours").
	Observed, Expected string
	// Baseline holds the baseline values behind Expected, for evidence.
	Baseline map[string]string
}

// Config configures a Set.
type Config struct {
	// Learning is how long each device is observed before deviations are
	// reported (default DefaultLearning).
	Learning time.Duration
	// Internal reports whether an address belongs to the hospital's
	// networks; peers outside them are external.
	Internal func(netip.Addr) bool
	// ZoneOf, when set, names the segmentation zone of an address: a
	// device is then judged on the zones it appears in rather than on
	// its /24 or /64, which a DHCP pool larger than a /24 crosses in
	// normal use.
	ZoneOf func(netip.Addr) (string, bool)
}

// Set holds the profiles of the devices of one shard.
type Set struct {
	cfg      Config
	profiles map[string]*Profile
	dirty    map[string]struct{}
	deleted  map[string]struct{}
}

// New returns an empty Set.
func New(cfg Config) *Set {
	if cfg.Learning <= 0 {
		cfg.Learning = DefaultLearning
	}
	if cfg.Internal == nil {
		cfg.Internal = func(netip.Addr) bool { return false }
	}
	return &Set{cfg: cfg, profiles: map[string]*Profile{}, dirty: map[string]struct{}{}, deleted: map[string]struct{}{}}
}

// Learning returns the learning period in force.
func (s *Set) Learning() time.Duration { return s.cfg.Learning }

// Len returns the number of profiles.
func (s *Set) Len() int { return len(s.profiles) }

// Dirty returns how many profiles changed since the last Flush.
func (s *Set) Dirty() int { return len(s.dirty) }

// Load restores a profile read from the store; it must be called before
// any event is applied.
func (s *Set) Load(deviceID string, doc []byte) error {
	p, err := Decode(doc)
	if err != nil {
		return err
	}
	s.profiles[deviceID] = p
	return nil
}

// Profile returns the profile of a device, or nil. The caller must not
// modify it.
func (s *Set) Profile(deviceID string) *Profile { return s.profiles[deviceID] }

// NamesOf returns the DNS or TLS server names a device knew addr by, sorted.
func (s *Set) NamesOf(deviceID string, addr netip.Addr) []string {
	if p := s.profiles[deviceID]; p != nil {
		return p.namesOf(addr.Unmap())
	}
	return nil
}

// Changed is a profile to persist.
type Changed struct {
	DeviceID string
	Doc      []byte
}

// Flush returns the profiles changed since the last Flush, encoded and
// ordered by device ID, and the IDs of the profiles removed.
func (s *Set) Flush() (changed []Changed, deleted []string, err error) {
	for id := range s.dirty {
		if p := s.profiles[id]; p != nil {
			doc, err := p.Encode()
			if err != nil {
				return nil, nil, fmt.Errorf("device %s: %w", id, err)
			}
			changed = append(changed, Changed{DeviceID: id, Doc: doc})
		}
	}
	for id := range s.deleted {
		deleted = append(deleted, id)
	}
	slices.SortFunc(changed, func(a, b Changed) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	slices.Sort(deleted)
	clear(s.dirty)
	clear(s.deleted)
	return changed, deleted, nil
}

// Merge folds the profile of a device that was merged into another (the
// inventory found they are one device) into the surviving one: when the
// survivor has no profile yet it takes the merged one over, otherwise the
// merged one is dropped, because the survivor's history is the longer one
// to judge by.
func (s *Set) Merge(from, into string) {
	p := s.profiles[from]
	if p == nil || from == into {
		return
	}
	delete(s.profiles, from)
	delete(s.dirty, from)
	s.deleted[from] = struct{}{}
	if s.profiles[into] == nil {
		s.profiles[into] = p
		s.dirty[into] = struct{}{}
		delete(s.deleted, into)
	}
}

// Subject is the device an event concerns: its ID and when the inventory
// first saw it. The learning period starts at the earlier of that and the
// first event the baseline saw, so that it does not depend on the order in
// which log types are read.
type Subject struct {
	ID        string
	FirstSeen time.Time
}

// profile returns the device's profile, creating it, and marks it changed
// and observed at ts.
func (s *Set) profile(sub Subject, ts time.Time) *Profile {
	id := sub.ID
	p := s.profiles[id]
	if p == nil {
		p = &Profile{Start: ts.UnixNano()}
		s.profiles[id] = p
		delete(s.deleted, id)
	}
	n := ts.UnixNano()
	if n < p.Start {
		p.Start = n
	}
	if !sub.FirstSeen.IsZero() && sub.FirstSeen.UnixNano() < p.Start {
		p.Start = sub.FirstSeen.UnixNano()
	}
	if n > p.LastSeen {
		p.LastSeen = n
	}
	s.dirty[id] = struct{}{}
	return p
}

// learning reports whether ts lies in the profile's learning period.
func (s *Set) learning(p *Profile, ts time.Time) bool {
	return ts.UnixNano() < p.Start+int64(s.cfg.Learning)
}

// Conn applies a connection. orig is the originating device (a zero
// Subject when the originator is not a device of the hospital), resp the
// responding one. It appends the deviations it finds to out and returns it.
func (s *Set) Conn(orig, resp Subject, c *event.Conn, out []Deviation) []Deviation {
	if resp.ID != "" {
		out = s.served(resp, c, out)
	}
	origID := orig.ID
	if origID == "" {
		return out
	}
	p := s.profile(orig, c.TS)
	learning := s.learning(p, c.TS)
	peer := c.RespH.Unmap()
	external := isPeer(peer) && !s.cfg.Internal(peer)
	proto := protoCode(c.Proto)
	names := p.namesOf(peer)

	out = s.network(p, origID, c.OrigH.Unmap(), c.VLAN, c.TS, learning, out)
	p.recordFlow(flowKey{peer: peer, port: c.RespP, proto: proto}, c, learning, names)
	if external {
		switch {
		case learning:
			p.learnExternal(peer, true)
		case p.externalKnown(peer):
		case p.vouched(peer):
			// A learned domain resolved to it: a new address of a known
			// service, not a new peer.
			p.learnExternal(peer, false)
		default:
			if !p.OpenExternal {
				out = append(out, Deviation{Kind: NewExternalPeer, DeviceID: origID, Time: c.TS, Peer: peer,
					Port: c.RespP, Proto: c.Proto, PeerNames: names, External: true,
					Observed: "connection to " + peer.String() + namesSuffix(names) + " on " + c.Proto + "/" + itoa(int(c.RespP)),
					Expected: plural(len(p.ExternalPeers), "learned external peer"),
					Baseline: map[string]string{"learned_external_peers": p.externalList(32), "learning_ended": p.learningEnd(s.cfg.Learning)}})
			}
			if !(proto == protoUDP && c.RespP == 123) { // NTP polls periodically by design
				out = s.beacon(p, origID, peer, c, names, out)
			}
		}
	}
	if pp := portProto(c.RespP, proto); learning {
		p.learnPort(pp)
	} else if proto != protoICMP && !p.portKnown(pp) {
		out = append(out, Deviation{Kind: NewPort, DeviceID: origID, Time: c.TS, Peer: peer, Port: c.RespP,
			Proto: c.Proto, PeerNames: names, External: external, PortClass: portClassName(pp),
			Observed: c.Proto + "/" + itoa(int(c.RespP)) + " to " + peer.String() + namesSuffix(names),
			Expected: "learned destination ports: " + p.portList(12),
			Baseline: map[string]string{"learned_ports": p.portList(64)}})
	}
	out = s.scan(p, origID, c, external, learning, out)
	return s.addVolume(p, origID, c.TS, c.OrigBytes, 1, external, out)
}

// served applies a connection to a device: its volume, and whether it is
// reached from outside the hospital on a port it was not while learning.
func (s *Set) served(resp Subject, c *event.Conn, out []Deviation) []Deviation {
	from := c.OrigH.Unmap()
	external := isPeer(from) && !s.cfg.Internal(from)
	if c.RespBytes == 0 && !external {
		return out
	}
	p := s.profile(resp, c.TS)
	if external {
		proto := protoCode(c.Proto)
		port := c.RespP
		if proto == protoICMP {
			port = 0 // Zeek logs ICMP type and code as ports: one class
		}
		pp := portProto(port, proto)
		switch {
		case s.learning(p, c.TS):
			p.learnInbound(pp)
		case !p.inboundKnown(pp):
			answered := c.RespBytes > 0 || c.ConnState == "SF" || c.ConnState == "S1" || c.ConnState == "RSTO" || c.ConnState == "RSTR"
			how := "an unanswered attempt"
			if answered {
				how = "answered"
			}
			out = append(out, Deviation{Kind: InboundExternal, DeviceID: resp.ID, Time: c.TS, Peer: from, Port: c.RespP,
				Proto: c.Proto, External: true, PortClass: portClassName(pp), Answered: answered,
				Observed: "connection from " + from.String() + " to " + portClassName(pp) + " (" + how + ")",
				Expected: "reached from outside the hospital on: " + portList(p.Inbound, 12),
				Baseline: map[string]string{"learned_inbound_ports": portList(p.Inbound, 64)}})
		}
	}
	if c.RespBytes > 0 {
		out = s.addVolume(p, resp.ID, c.TS, c.RespBytes, 0, external, out)
	}
	return out
}

// DNS applies a DNS query made by device sub.
func (s *Set) DNS(sub Subject, q *event.DNS, out []Deviation) []Deviation {
	name := NormalizeName(q.Query)
	if name == "" || isReverse(name) {
		return out
	}
	p, dom, known := s.useName(sub, name, q.TS)
	for _, a := range q.Answers {
		if addr, err := netip.ParseAddr(a); err == nil {
			p.resolve(addr.Unmap(), name, known)
		}
	}
	if !known {
		out = append(out, newDomain(p, sub.ID, q.TS, dom, name, "DNS query for "+name, q.RespH, q.RespP, q.Proto))
	}
	return out
}

// SSL applies a TLS session opened by device sub: its server name counts
// as a name the device uses, and vouches for the server address when known.
func (s *Set) SSL(sub Subject, e *event.SSL, out []Deviation) []Deviation {
	name := NormalizeName(e.ServerName)
	if name == "" {
		return out
	}
	p, dom, known := s.useName(sub, name, e.TS)
	p.resolve(e.RespH.Unmap(), name, known)
	if !known {
		out = append(out, newDomain(p, sub.ID, e.TS, dom, name, "TLS session with server name "+name, e.RespH, e.RespP, "tcp"))
	}
	return out
}

// useName notes that a device used a DNS name (looked it up, or named it
// as TLS server): while learning its registered domain is learned. It
// returns the device's profile, the domain, and whether it is known.
func (s *Set) useName(sub Subject, name string, ts time.Time) (p *Profile, domain string, known bool) {
	p = s.profile(sub, ts)
	domain = RegisteredDomain(name)
	known = p.domainKnown(domain)
	if !known && s.learning(p, ts) {
		p.learnDomain(domain)
		known = true
	}
	return p, domain, known
}

func newDomain(p *Profile, id string, ts time.Time, domain, name, observed string, peer netip.Addr, port uint16, proto string) Deviation {
	return Deviation{Kind: NewDomain, DeviceID: id, Time: ts, Domain: domain, Name: name,
		Peer: peer.Unmap(), Port: port, Proto: proto,
		Observed: observed, Expected: plural(len(p.Domains), "learned domain") + ": " + p.domainList(8),
		Baseline: map[string]string{"learned_domains": p.domainList(64)}}
}

// network notes the network (and VLAN) the device appears in. All its
// keys are learned: its /24 (/64), its zone when zones are known, its
// VLAN. A placement is judged by its zone when the profile learned zones,
// else by its /24 (/64) — so a profile learned before a policy was
// configured is not judged on zones it never had a chance to learn — and
// by its VLAN.
func (s *Set) network(p *Profile, id string, addr netip.Addr, vlan int, ts time.Time, learning bool, out []Deviation) []Deviation {
	if addr == p.lastAddr && vlan == p.lastVLAN && addr.IsValid() {
		return out // a placement known to be in the baseline: the common case
	}
	subnet := networkOf(addr)
	zone := ""
	if s.cfg.ZoneOf != nil {
		if z, ok := s.cfg.ZoneOf(addr); ok {
			zone = "zone " + z
		}
	}
	keys := make([]string, 0, 3)
	for _, k := range []string{subnet, zone} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	if vlan > 0 {
		keys = append(keys, "vlan "+itoa(vlan))
	}
	if learning {
		for _, k := range keys {
			if !slices.Contains(p.Networks, k) && len(p.Networks) < maxNetworks {
				p.Networks = append(p.Networks, k)
				slices.Sort(p.Networks)
			}
		}
	} else {
		judged := keys
		if zone != "" && slices.ContainsFunc(p.Networks, func(n string) bool { return strings.HasPrefix(n, "zone ") }) {
			judged = slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == subnet })
		}
		for _, k := range judged {
			if slices.Contains(p.Networks, k) {
				continue
			}
			out = append(out, Deviation{Kind: NewNetwork, DeviceID: id, Time: ts, Network: k,
				Observed: "seen in " + k + " as " + addr.String(), Expected: "learned networks: " + strings.Join(p.Networks, ", "),
				Baseline: map[string]string{"learned_networks": strings.Join(p.Networks, ", ")}})
		}
	}
	if !slices.ContainsFunc(keys, func(k string) bool { return !slices.Contains(p.Networks, k) }) {
		p.lastAddr, p.lastVLAN = addr, vlan
	}
	return out
}

// isPeer reports whether an address can be a device's external peer:
// multicast, broadcast, link-local and unspecified addresses (SSDP, mDNS,
// DHCP) stay on the local link and are never one.
func isPeer(a netip.Addr) bool {
	return a.IsValid() && !a.IsMulticast() && !a.IsLinkLocalUnicast() && !a.IsUnspecified() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// networkOf returns the /24 of an IPv4 address or the /64 of an IPv6 one.
func networkOf(a netip.Addr) string {
	bits := 64
	if a.Is4() {
		bits = 24
	}
	if !a.IsValid() {
		return ""
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

func namesSuffix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}

// isReverse reports whether a DNS name is a reverse-lookup name.
func isReverse(name string) bool {
	return strings.HasSuffix(name, ".in-addr.arpa") || strings.HasSuffix(name, ".ip6.arpa")
}
