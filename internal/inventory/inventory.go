// Package inventory turns normalized network events into the device
// inventory: it resolves which device an address belongs to at an event's
// time (MAC identity from DHCP leases, else the internal IP), merges what
// each event says about a device (hostnames, software, services, names it
// looks up), resolves the vendor from the OUI registry and classifies the
// device with the fingerprint corpus.
//
// An Inventory is owned by one goroutine (the shard owner) and is not safe
// for concurrent use. It does no I/O: the caller loads it from the store,
// applies events, and collects the changed state with Flush to commit it
// together with the source checkpoint.
package inventory

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
)

// Bounds on per-device sets, so that a noisy device cannot grow without limit.
const (
	maxHostnames  = 16
	maxIPs        = 64
	maxSoftware   = 64
	maxServices   = 128
	maxClients    = 128
	maxDNSNames   = 256
	maxTLSServers = 128
)

// VendorLookup resolves the organisation a MAC address block is registered to.
type VendorLookup interface {
	Lookup(mac net.HardwareAddr) (org string, ok bool)
}

// Classifier decides what a device is from its signals.
type Classifier interface {
	Classify(d *asset.Device) fingerprint.Result
}

// Options configure an Inventory.
type Options struct {
	// Internal lists the networks whose addresses are devices of the
	// hospital. Addresses outside them are peers, never devices.
	Internal []netip.Prefix
	// Vendors resolves OUI vendors; nil leaves Vendor empty.
	Vendors VendorLookup
	// Classifier classifies devices; nil leaves them unclassified.
	Classifier Classifier
	Logger     *slog.Logger
}

// DefaultInternal is RFC 1918 and RFC 4193 address space.
var DefaultInternal = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
}

// Inventory is the in-memory device state of one shard.
type Inventory struct {
	opts Options

	devices map[string]*deviceState // by device ID
	byKey   map[string]*deviceState // by identity key
	leases  map[netip.Addr][]*asset.Lease

	dirtyDevices map[string]struct{}
	deleted      map[string]struct{}
	merged       []Merge
	// unclassified are the devices whose signals changed while applying
	// the current event: they are classified before Apply returns.
	unclassified []*deviceState
	dirtyLeases  map[*asset.Lease]struct{}

	strs interner
}

type deviceState struct {
	asset.Device
	// reclassify is set when a signal the classifier reads has changed.
	reclassify bool
	// rewrite is set when a field other than the sighting times (LastSeen
	// and the addresses' first/last seen) has changed, so that the next
	// Flush must return the device whole. A reclassified device is always
	// returned whole.
	rewrite bool
}

// New returns an empty inventory.
func New(opts Options) (*Inventory, error) {
	if opts.Internal == nil {
		opts.Internal = DefaultInternal
	}
	for _, p := range opts.Internal {
		if !p.IsValid() {
			return nil, errors.New("inventory: invalid internal network prefix")
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Inventory{
		opts:         opts,
		devices:      make(map[string]*deviceState),
		byKey:        make(map[string]*deviceState),
		leases:       make(map[netip.Addr][]*asset.Lease),
		dirtyDevices: make(map[string]struct{}),
		deleted:      make(map[string]struct{}),
		dirtyLeases:  make(map[*asset.Lease]struct{}),
	}, nil
}

// Load restores state read from the store. It must be called before any
// event is applied. The inventory takes ownership of the devices' slices.
func (inv *Inventory) Load(devices []asset.Device, leases []asset.Lease) {
	for _, d := range devices {
		s := &deviceState{Device: d}
		inv.devices[d.ID] = s
		inv.byKey[d.Key] = s
	}
	for i := range leases {
		l := leases[i]
		ip, err := netip.ParseAddr(l.IP)
		if err != nil {
			inv.opts.Logger.Warn("inventory: skipping stored lease with bad IP", "ip", l.IP)
			continue
		}
		inv.leases[ip] = append(inv.leases[ip], &l)
	}
	for _, ls := range inv.leases {
		sortLeases(ls)
	}
}

// Dirty returns how many devices changed since the last Flush.
func (inv *Inventory) Dirty() int { return len(inv.dirtyDevices) }

// Len returns the number of devices.
func (inv *Inventory) Len() int { return len(inv.devices) }

// IsInternal reports whether addr lies in the hospital's networks.
func (inv *Inventory) IsInternal(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, p := range inv.opts.Internal {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// needsClassify marks a device whose classification signals changed.
func (inv *Inventory) needsClassify(d *deviceState) {
	if !d.reclassify {
		d.reclassify = true
		inv.unclassified = append(inv.unclassified, d)
	}
}

// Apply folds one event into the inventory. A device whose signals the
// event changed is classified again before Apply returns, so that what
// judges the next events (baselines, the segmentation policy) knows its
// class as soon as there is evidence for it.
func (inv *Inventory) Apply(ev event.Event) {
	inv.apply(ev)
	for _, d := range inv.unclassified {
		if d.reclassify {
			inv.classify(d)
			d.reclassify = false
			d.rewrite = true
		}
	}
	clear(inv.unclassified)
	inv.unclassified = inv.unclassified[:0]
}

func (inv *Inventory) apply(ev event.Event) {
	switch e := ev.(type) {
	case *event.DHCP:
		inv.applyDHCP(e)
	case *event.Conn:
		inv.applyConn(e)
	case *event.DNS:
		q := normalizeName(e.Query)
		if d := inv.deviceAt(e.OrigH, e.TS); d != nil {
			if q != "" && addString(&d.DNSNames, q, maxDNSNames) {
				inv.needsClassify(d)
			}
		}
		inv.nameFromAnswers(q, e)
	case *event.SSL:
		if d := inv.deviceAt(e.OrigH, e.TS); d != nil {
			if sni := normalizeName(e.ServerName); sni != "" && addString(&d.TLSServers, sni, maxTLSServers) {
				inv.needsClassify(d)
			}
		}
		inv.deviceAt(e.RespH, e.TS)
	case *event.Software:
		if d := inv.deviceAt(e.Host, e.TS); d != nil {
			if addSoftware(&d.Software, e, &inv.strs) {
				inv.needsClassify(d)
			}
		}
	case *event.KnownHost:
		inv.deviceAt(e.Host, e.TS)
	case *event.KnownService:
		if d := inv.deviceAt(e.Host, e.TS); d != nil {
			names := e.Services
			if len(names) == 0 {
				names = []string{""}
			}
			for _, n := range names {
				if addService(&d.Services, asset.Service{Port: e.Port, Proto: e.Proto, Name: strings.ToLower(n)}, maxServices, &inv.strs) {
					inv.needsClassify(d)
				}
			}
		}
	}
}

func (inv *Inventory) applyDHCP(e *event.DHCP) {
	if len(e.MAC) == 0 {
		// Without a MAC the exchange says nothing about identity; the
		// address, if internal, is still a device.
		if d := inv.deviceAt(e.AssignedAddr, e.TS); d != nil {
			inv.addHostname(d, e.HostName)
		}
		return
	}
	mac := e.MAC.String()
	d := inv.device("mac:"+mac, e.TS)
	if addString(&d.MACs, mac, 8) {
		if inv.opts.Vendors != nil {
			if org, ok := inv.opts.Vendors.Lookup(e.MAC); ok {
				d.Vendor = org
			}
		}
		inv.needsClassify(d)
	}
	inv.addHostname(d, e.HostName)
	if e.ClientSoftware != "" && d.DHCPVendorClass != e.ClientSoftware {
		d.DHCPVendorClass = inv.strs.get(e.ClientSoftware)
		inv.needsClassify(d)
	}
	// The address the exchange gives the client or, for a renewal or an
	// INFORM, the address the client already holds.
	ip := e.AssignedAddr
	if !ip.IsValid() || ip.IsUnspecified() {
		ip = e.ClientAddr
	}
	if !ip.IsValid() || ip.IsUnspecified() {
		return
	}
	ip = ip.Unmap()
	end := e.TS.Add(e.LeaseTime)
	inv.recordLease(mac, ip, e.TS, end)
	touchIP(&d.Device, ip, e.TS)
	// An address seen before its first lease was a device keyed by IP; the
	// lease tells whose it was, so that device is folded into this one.
	if ipDev, ok := inv.byKey["ip:"+ip.String()]; ok {
		inv.merge(d, ipDev)
	}
}

// nameFromAnswers gives the queried name, as a hostname, to each known
// device that an answer points to: passive DNS names the statically
// addressed hosts that DHCP never names. An answer never creates a device,
// since the address may not exist.
func (inv *Inventory) nameFromAnswers(name string, e *event.DNS) {
	if name == "" || (e.QType != "A" && e.QType != "AAAA") {
		return
	}
	for _, a := range e.Answers {
		ip, err := netip.ParseAddr(a)
		if err != nil || !inv.IsInternal(ip) {
			continue
		}
		if d := inv.existingDeviceAt(ip.Unmap(), e.TS); d != nil {
			inv.addHostname(d, name)
			inv.dirtyDevices[d.ID] = struct{}{}
		}
	}
}

func (inv *Inventory) addHostname(d *deviceState, name string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	if addString(&d.Hostnames, name, maxHostnames) {
		inv.needsClassify(d)
	}
}

// recordLease extends the current lease of (mac, ip) or starts a new one; a
// new holder of the address ends the previous holder's lease.
func (inv *Inventory) recordLease(mac string, ip netip.Addr, ts, end time.Time) {
	ls := inv.leases[ip]
	if cur := leaseAt(ls, ts); cur != nil && cur.MAC == mac {
		if end.After(cur.End) {
			cur.End = end
			inv.dirtyLeases[cur] = struct{}{}
		}
		return
	}
	l := &asset.Lease{MAC: mac, IP: ip.String(), Start: ts.UTC(), End: end.UTC()}
	ls = append(ls, l)
	sortLeases(ls)
	inv.leases[ip] = ls
	inv.dirtyLeases[l] = struct{}{}
	// The lease before this one ends no later than this one's start.
	for i, x := range ls {
		if x == l && i > 0 && ls[i-1].End.After(l.Start) {
			ls[i-1].End = l.Start
			inv.dirtyLeases[ls[i-1]] = struct{}{}
		}
	}
}

// leaseAt returns the lease in force at ts: the latest one that started at
// or before ts, or, for a time before any lease, the earliest one (the
// holder had the address before the log began).
func leaseAt(ls []*asset.Lease, ts time.Time) *asset.Lease {
	if len(ls) == 0 {
		return nil
	}
	i, _ := slices.BinarySearchFunc(ls, ts, func(l *asset.Lease, t time.Time) int {
		if l.Start.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return ls[0]
	}
	return ls[i-1]
}

func sortLeases(ls []*asset.Lease) {
	slices.SortStableFunc(ls, func(a, b *asset.Lease) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.MAC, b.MAC)
	})
}

func (inv *Inventory) applyConn(e *event.Conn) {
	orig := inv.deviceAt(e.OrigH, e.TS)
	var resp *deviceState
	if respondedTo(e) {
		resp = inv.deviceAt(e.RespH, e.TS)
	}
	if !established(e) {
		return
	}
	svc := asset.Service{Port: e.RespP, Proto: e.Proto, Name: firstService(e.Service)}
	if orig != nil && addService(&orig.Clients, svc, maxClients, &inv.strs) {
		inv.needsClassify(orig)
	}
	if resp != nil && addService(&resp.Services, svc, maxServices, &inv.strs) {
		inv.needsClassify(resp)
	}
}

// respondedTo reports whether the responder answered, so that it exists.
// Probes of unused addresses (S0, no reply) must not invent devices.
func respondedTo(e *event.Conn) bool {
	if e.RespPkts > 0 || e.RespBytes > 0 {
		return true
	}
	switch e.ConnState {
	case "SF", "S1", "S2", "S3", "RSTO", "RSTR", "REJ", "RSTRH", "SHR":
		return true
	}
	return false
}

// established reports whether a connection got far enough to say the
// responder offers a service on the port. Only TCP and UDP have ports;
// an ICMP echo reply says the host is up, not that it offers a service.
func established(e *event.Conn) bool {
	switch e.Proto {
	case "tcp":
		switch e.ConnState {
		case "SF", "S1", "S2", "S3", "RSTO", "RSTR":
			return true
		}
	case "udp":
		return e.RespPkts > 0 || e.ConnState == "SF"
	}
	return false
}

func firstService(s string) string {
	s = strings.ToLower(s)
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	if s == "-" {
		return ""
	}
	return s
}

// existingDeviceAt returns the device that held addr at ts, or nil.
func (inv *Inventory) existingDeviceAt(addr netip.Addr, ts time.Time) *deviceState {
	if l := leaseAt(inv.leases[addr], ts); l != nil {
		return inv.byKey["mac:"+l.MAC]
	}
	return inv.byKey["ip:"+addr.String()]
}

// Device returns the device with the given ID, or nil. The device is the
// inventory's own: the caller must not modify it, nor keep it past the
// next Apply.
func (inv *Inventory) Device(id string) *asset.Device {
	if d := inv.devices[id]; d != nil {
		return &d.Device
	}
	return nil
}

// DeviceAt returns the device that held addr at ts, or nil when addr is
// external or belongs to no known device. The device is the inventory's
// own: the caller must not modify it, nor keep it past the next Apply.
func (inv *Inventory) DeviceAt(addr netip.Addr, ts time.Time) *asset.Device {
	if !inv.IsInternal(addr) {
		return nil
	}
	if d := inv.existingDeviceAt(addr.Unmap(), ts); d != nil {
		return &d.Device
	}
	return nil
}

// deviceAt returns the device that held addr at ts, creating it when addr
// is internal and unknown; nil for external or invalid addresses.
func (inv *Inventory) deviceAt(addr netip.Addr, ts time.Time) *deviceState {
	if !inv.IsInternal(addr) {
		return nil
	}
	addr = addr.Unmap()
	var d *deviceState
	if l := leaseAt(inv.leases[addr], ts); l != nil {
		d = inv.device("mac:"+l.MAC, ts)
	} else {
		d = inv.device("ip:"+addr.String(), ts)
	}
	touchIP(&d.Device, addr, ts)
	return d
}

// device returns the device with the identity key, creating it, and marks
// it seen at ts.
func (inv *Inventory) device(key string, ts time.Time) *deviceState {
	ts = ts.UTC()
	d, ok := inv.byKey[key]
	if !ok {
		d = &deviceState{Device: asset.Device{
			ID:          asset.IDForKey(key),
			Key:         key,
			Class:       fingerprint.Unknown,
			Criticality: asset.CriticalityUnknown,
			FirstSeen:   ts,
			LastSeen:    ts,
		}, rewrite: true}
		inv.needsClassify(d)
		inv.byKey[key] = d
		inv.devices[d.ID] = d
		delete(inv.deleted, d.ID)
	}
	if ts.Before(d.FirstSeen) {
		d.FirstSeen = ts
		d.rewrite = true
	}
	if ts.After(d.LastSeen) {
		d.LastSeen = ts
	}
	inv.dirtyDevices[d.ID] = struct{}{}
	return d
}

// merge folds src into dst and removes src.
func (inv *Inventory) merge(dst, src *deviceState) {
	if dst == src {
		return
	}
	for _, m := range src.MACs {
		addString(&dst.MACs, m, 8)
	}
	for _, ip := range src.IPs {
		mergeIP(&dst.Device, ip)
	}
	for _, h := range src.Hostnames {
		addString(&dst.Hostnames, h, maxHostnames)
	}
	for _, s := range src.Software {
		mergeSoftware(&dst.Software, s)
	}
	for _, s := range src.Services {
		addService(&dst.Services, s, maxServices, &inv.strs)
	}
	for _, s := range src.Clients {
		addService(&dst.Clients, s, maxClients, &inv.strs)
	}
	for _, n := range src.DNSNames {
		addString(&dst.DNSNames, n, maxDNSNames)
	}
	for _, n := range src.TLSServers {
		addString(&dst.TLSServers, n, maxTLSServers)
	}
	if src.FirstSeen.Before(dst.FirstSeen) {
		dst.FirstSeen = src.FirstSeen
	}
	if src.LastSeen.After(dst.LastSeen) {
		dst.LastSeen = src.LastSeen
	}
	if dst.CriticalityOverride == "" {
		dst.CriticalityOverride = src.CriticalityOverride
	}
	inv.needsClassify(dst)
	dst.rewrite = true
	inv.dirtyDevices[dst.ID] = struct{}{}
	delete(inv.byKey, src.Key)
	delete(inv.devices, src.ID)
	delete(inv.dirtyDevices, src.ID)
	inv.deleted[src.ID] = struct{}{}
	inv.merged = append(inv.merged, Merge{From: src.ID, Into: dst.ID})
}

// Changes is the state changed since the last Flush.
type Changes struct {
	// Devices changed in more than their sighting times: write them whole.
	Devices []asset.Device
	// Sightings are devices that were only seen again.
	Sightings []Sighting
	// Deleted are IDs of devices merged into others.
	Deleted []string
	// Merged says into which device each deleted one was merged, in the
	// order the merges happened.
	Merged []Merge
	Leases []asset.Lease
}

// Merge records that device From turned out to be device Into.
type Merge struct{ From, Into string }

// Sighting says that a device was seen again: when last, and the
// addresses it held with their first and last seen.
type Sighting struct {
	DeviceID string
	LastSeen time.Time
	IPs      []asset.IPAddress
}

// Flush reclassifies the devices whose signals changed and returns every
// device and lease changed since the previous Flush, in a deterministic
// order. Slices inside the returned devices and sightings share memory with
// the inventory: they are valid until the next Apply.
func (inv *Inventory) Flush() Changes {
	var ch Changes
	for id := range inv.dirtyDevices {
		d := inv.devices[id]
		if d.reclassify {
			inv.classify(d)
			d.reclassify = false
			d.rewrite = true
		}
		if d.rewrite {
			ch.Devices = append(ch.Devices, d.Device)
			d.rewrite = false
		} else {
			ch.Sightings = append(ch.Sightings, Sighting{DeviceID: d.ID, LastSeen: d.LastSeen, IPs: d.IPs})
		}
	}
	slices.SortFunc(ch.Devices, func(a, b asset.Device) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(ch.Sightings, func(a, b Sighting) int { return cmp.Compare(a.DeviceID, b.DeviceID) })
	for id := range inv.deleted {
		ch.Deleted = append(ch.Deleted, id)
	}
	slices.Sort(ch.Deleted)
	ch.Merged, inv.merged = inv.merged, nil
	for l := range inv.dirtyLeases {
		ch.Leases = append(ch.Leases, *l)
	}
	slices.SortFunc(ch.Leases, func(a, b asset.Lease) int {
		return cmp.Or(cmp.Compare(a.MAC, b.MAC), cmp.Compare(a.IP, b.IP), a.Start.Compare(b.Start))
	})
	clear(inv.dirtyDevices)
	clear(inv.deleted)
	clear(inv.dirtyLeases)
	return ch
}

func (inv *Inventory) classify(d *deviceState) {
	if inv.opts.Classifier == nil {
		return
	}
	r := inv.opts.Classifier.Classify(&d.Device)
	d.Class = r.Class
	d.ClassConfidence = r.Confidence
	d.ClassEvidence = r.Evidence
	if r.Manufacturer != "" {
		d.Manufacturer = r.Manufacturer
	}
	if r.Model != "" {
		d.Model = r.Model
	}
	ApplyRecord(&d.Device)
	d.Criticality = fingerprint.CriticalityOf(d.Class)
	if d.CriticalityOverride != "" {
		d.Criticality = d.CriticalityOverride
	}
}

// SetCriticality overrides (or, with an empty level, clears the override
// of) a device's criticality.
func (inv *Inventory) SetCriticality(id string, c asset.Criticality) error {
	d, ok := inv.devices[id]
	if !ok {
		return fmt.Errorf("inventory: device %s: %w", id, ErrUnknownDevice)
	}
	if c != "" && !c.Valid() {
		return fmt.Errorf("inventory: criticality %q is not one of %v", c, asset.Criticalities)
	}
	d.CriticalityOverride = c
	d.Criticality = fingerprint.CriticalityOf(d.Class)
	if c != "" {
		d.Criticality = c
	}
	d.rewrite = true
	inv.dirtyDevices[id] = struct{}{}
	return nil
}

// ErrUnknownDevice is returned for an ID the inventory does not hold.
var ErrUnknownDevice = errors.New("unknown device")
