package simulate

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// zone is a VLAN with its subnet.
type zone struct {
	Key     string
	Name    string
	Unit    string // short code used in hostnames
	VLAN    int
	Prefix  netip.Prefix
	Prefix6 netip.Prefix // valid when hosts in the zone may have IPv6
	Lease   time.Duration
	gateway netip.Addr
	bcast   netip.Addr

	// Address plan: static hosts take offsets [staticLo, poolLo), DHCP
	// clients [poolLo, poolHi].
	staticNext, poolLo, poolHi int
}

var zoneTable = []zone{
	{Key: "srv", Name: "servers", Unit: "SRV", VLAN: 10, Prefix: mp("10.1.0.0/24"), Prefix6: mp("fd00:1::/64")},
	{Key: "netmgmt", Name: "network management", Unit: "NET", VLAN: 11, Prefix: mp("10.1.1.0/24")},
	{Key: "ent", Name: "enterprise workstations", Unit: "ADM", VLAN: 100, Prefix: mp("10.10.0.0/20"), Prefix6: mp("fd00:10:10::/64"), Lease: 8 * time.Hour},
	{Key: "print", Name: "printers", Unit: "PRN", VLAN: 132, Prefix: mp("10.10.32.0/22"), Lease: 24 * time.Hour},
	{Key: "voice", Name: "voice", Unit: "VOX", VLAN: 164, Prefix: mp("10.10.64.0/20"), Lease: 24 * time.Hour},
	{Key: "ap", Name: "wireless access points", Unit: "AP", VLAN: 180, Prefix: mp("10.10.80.0/22"), Lease: 24 * time.Hour},
	{Key: "icu", Name: "clinical: intensive care", Unit: "ICU", VLAN: 200, Prefix: mp("10.20.0.0/22"), Lease: 12 * time.Hour},
	{Key: "ed", Name: "clinical: emergency department", Unit: "ED", VLAN: 204, Prefix: mp("10.20.4.0/22"), Lease: 12 * time.Hour},
	{Key: "medsurg", Name: "clinical: medical-surgical wards", Unit: "MS", VLAN: 208, Prefix: mp("10.20.8.0/22"), Lease: 12 * time.Hour},
	{Key: "or", Name: "clinical: operating rooms", Unit: "OR", VLAN: 212, Prefix: mp("10.20.12.0/22"), Lease: 12 * time.Hour},
	{Key: "nicu", Name: "clinical: neonatal intensive care", Unit: "NICU", VLAN: 216, Prefix: mp("10.20.16.0/22"), Lease: 12 * time.Hour},
	{Key: "cardio", Name: "clinical: cardiology and device clinic", Unit: "CARD", VLAN: 220, Prefix: mp("10.20.20.0/22"), Lease: 8 * time.Hour},
	{Key: "lab", Name: "clinical: laboratory", Unit: "LAB", VLAN: 224, Prefix: mp("10.20.24.0/22"), Lease: 12 * time.Hour},
	{Key: "imaging", Name: "imaging", Unit: "RAD", VLAN: 300, Prefix: mp("10.30.0.0/22"), Lease: 12 * time.Hour},
	{Key: "devsrv", Name: "biomed device servers", Unit: "DEV", VLAN: 400, Prefix: mp("10.40.0.0/24")},
}

func mp(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// addrAt returns the address at offset i of the zone's IPv4 prefix.
func (z *zone) addrAt(i int) netip.Addr {
	b := z.Prefix.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func (z *zone) size() int { return 1 << (32 - z.Prefix.Bits()) }

// device is one host of the hospital.
type device struct {
	idx      int
	id       string
	prof     *Profile
	oui      OUI
	mac      net.HardwareAddr
	hostname string
	fqdn     string // the name the internal DNS holds for it; "" for DHCP clients
	firmware string
	home     *zone
	static   bool
	v4       netip.Addr   // static address
	svis     []netip.Addr // further static addresses (the core's VLAN interfaces)
	v6       netip.Addr
	ephemLo  int
	ephemN   int

	online []online // address intervals, sorted; static hosts have one
	dhcp   []dhcpTx // DHCP exchanges, sorted
	held   []TruthIP

	// Traffic state, owned by the worker that generates this device.
	dnsCache map[string]time.Time
}

// online is an interval during which a device is up with an address.
type online struct {
	from, to time.Time
	addr     netip.Addr
	zone     *zone
}

// at returns the device's address and zone at t.
func (d *device) at(t time.Time) (netip.Addr, *zone, bool) {
	i := sort.Search(len(d.online), func(i int) bool { return d.online[i].to.After(t) })
	if i < len(d.online) && !t.Before(d.online[i].from) {
		return d.online[i].addr, d.online[i].zone, true
	}
	return netip.Addr{}, nil, false
}

// hospital is the simulated site: zones, devices and name service.
type hospital struct {
	opts    Options
	zones   map[string]*zone
	zoneOrd []*zone
	devices []*device
	infra   map[string]*device // by Key
	byClass map[string][]*device
	byProf  map[string][]*device
	medical []*device // devices a biomed engineer connects to (with Offers)
	names   map[string]nameRec
	certs   *certStore
	dns     [2]*device // resolvers
	dhcpSrv *device
	core    *device
}

// nameRec is what the internal DNS answers for a name.
type nameRec struct {
	v4  []netip.Addr
	v6  []netip.Addr
	ttl time.Duration
	ext *extDomain
}

func newHospital(opts Options) (*hospital, error) {
	h := &hospital{
		opts:    opts,
		zones:   map[string]*zone{},
		infra:   map[string]*device{},
		byClass: map[string][]*device{},
		byProf:  map[string][]*device{},
		names:   map[string]nameRec{},
	}
	for i := range zoneTable {
		z := zoneTable[i] // copy: zones carry allocation state per run
		z.gateway = z.addrAt(1)
		z.bcast = z.addrAt(z.size() - 1)
		z.staticNext = 20
		if z.Lease > 0 {
			z.poolLo, z.poolHi = 256, z.size()-2
			if z.size() <= 256 {
				z.poolLo, z.poolHi = 128, z.size()-2
			}
		}
		h.zones[z.Key] = &z
		h.zoneOrd = append(h.zoneOrd, &z)
	}
	endpoints := opts.Devices - len(infraProfiles)
	if endpoints < 1 {
		return nil, fmt.Errorf("%w: %d devices, at least %d needed", ErrBadOptions, opts.Devices, len(infraProfiles)+1)
	}
	r := newRNG(uint64(opts.Seed), streamSetup)
	macs := map[string]bool{}
	seqs := map[string]int{} // hostnames are numbered per pattern and unit
	add := func(p *Profile, z *zone) (*device, error) {
		d := &device{idx: len(h.devices), prof: p, home: z, static: p.Static || p.Key != ""}
		d.id = fmt.Sprintf("dev-%05d", d.idx+1)
		d.oui = p.OUI[r.IntN(len(p.OUI))]
		for {
			d.mac = makeMAC(d.oui.Prefix, r.Uint64())
			if !macs[d.mac.String()] {
				macs[d.mac.String()] = true
				break
			}
		}
		d.firmware = p.Firmware[r.pickSkewed(len(p.Firmware))]
		key := strings.ReplaceAll(p.Hostname, "{UNIT}", z.Unit)
		seqs[key]++
		d.hostname = expandHostname(p.Hostname, seqs[key], z, d.mac)
		d.ephemLo, d.ephemN = ephemeralRange(p.OS)
		if d.static {
			if p.Addr != "" {
				d.v4 = netip.MustParseAddr(p.Addr)
			} else {
				if z.staticNext >= 250 || (z.poolLo > 0 && z.staticNext >= z.poolLo) {
					return nil, fmt.Errorf("simulate: zone %s has no static address left for %s", z.Key, p.Name)
				}
				d.v4 = z.addrAt(z.staticNext)
				z.staticNext++
			}
		}
		if p.Addr6 != "" {
			d.v6 = netip.MustParseAddr(p.Addr6)
		} else if z.Prefix6.IsValid() && r.chance(p.IPv6) {
			d.v6 = randomIID(z.Prefix6, r.Uint64())
		}
		h.devices = append(h.devices, d)
		h.byClass[p.Class] = append(h.byClass[p.Class], d)
		h.byProf[p.Name] = append(h.byProf[p.Name], d)
		return d, nil
	}

	// Infrastructure first, at fixed addresses.
	for i := range infraProfiles {
		p := &infraProfiles[i]
		z := h.zoneOf(netip.MustParseAddr(p.Addr))
		if z == nil {
			return nil, fmt.Errorf("simulate: infrastructure host %s: address %s is in no zone", p.Key, p.Addr)
		}
		d, err := add(p, z)
		if err != nil {
			return nil, err
		}
		h.infra[p.Key] = d
		d.fqdn = p.Key + "." + domainSuffix
		h.addName(d.fqdn, d.v4, d.v6, 1200*time.Second)
	}
	h.core, h.dhcpSrv = h.infra["core01"], h.infra["dc01"]
	h.dns = [2]*device{h.infra["dc01"], h.infra["dc02"]}
	for _, z := range h.zoneOrd {
		if z.Key != "netmgmt" {
			h.core.svis = append(h.core.svis, z.gateway)
		}
	}

	// Endpoints by weight (largest remainder), then by zone.
	counts := apportion(endpoints, endpointProfiles)
	for i := range endpointProfiles {
		p := &endpointProfiles[i]
		zc := apportionZones(counts[i], p.Zones)
		for zi, n := range zc {
			z := h.zones[p.Zones[zi].Zone]
			for range n {
				d, err := add(p, z)
				if err != nil {
					return nil, err
				}
				if medicalClasses[p.Class] && len(p.Offers) > 0 {
					h.medical = append(h.medical, d)
				}
			}
		}
	}
	for _, d := range h.devices {
		// IT registers statically addressed endpoints in the internal DNS
		// under their host names, as it does its servers.
		if d.static && d.fqdn == "" && d.hostname != "" {
			d.fqdn = strings.ToLower(d.hostname) + "." + domainSuffix
			h.addName(d.fqdn, d.v4, d.v6, 1200*time.Second)
		}
		if d.static {
			far := opts.Start.Add(time.Duration(opts.Hours+48) * time.Hour)
			d.online = []online{{from: opts.Start.Add(-48 * time.Hour), to: far, addr: d.v4, zone: d.home}}
			d.held = []TruthIP{{Addr: d.v4.String(), From: opts.Start, To: opts.end()}}
			for _, a := range d.svis {
				d.held = append(d.held, TruthIP{Addr: a.String(), From: opts.Start, To: opts.end()})
			}
		}
		if d.v6.IsValid() {
			d.held = append(d.held, TruthIP{Addr: d.v6.String(), From: opts.Start, To: opts.end()})
		}
	}
	for i := range externalDomains {
		e := &externalDomains[i]
		var addrs []netip.Addr
		for j := range e.IPs {
			addrs = append(addrs, externalAddr(e.Name, j))
		}
		h.names[e.Name] = nameRec{v4: addrs, ttl: e.TTL, ext: e}
	}
	h.certs = newCertStore(h)
	if err := h.validateFlows(); err != nil {
		return nil, err
	}
	if err := h.planDHCP(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *hospital) addName(name string, v4, v6 netip.Addr, ttl time.Duration) {
	rec := nameRec{ttl: ttl}
	if v4.IsValid() {
		rec.v4 = []netip.Addr{v4}
	}
	if v6.IsValid() {
		rec.v6 = []netip.Addr{v6}
	}
	h.names[name] = rec
}

func (h *hospital) zoneOf(a netip.Addr) *zone {
	for _, z := range h.zoneOrd {
		if z.Prefix.Contains(a) {
			return z
		}
	}
	return nil
}

// validateFlows checks that every flow of the catalog names a target that
// exists, so that a typo in the catalog fails loudly.
func (h *hospital) validateFlows() error {
	var errs []error
	check := func(p *Profile) {
		for _, f := range p.Flows {
			kind, arg, _ := strings.Cut(f.To, ":")
			switch kind {
			case "host", "name":
				if h.infra[arg] == nil {
					errs = append(errs, fmt.Errorf("profile %s: flow to unknown host %q", p.Name, arg))
				}
			case "dns":
				if len(f.Names) == 0 {
					errs = append(errs, fmt.Errorf("profile %s: dns flow without names", p.Name))
				}
				for _, n := range f.Names {
					if _, ok := h.names[n]; !ok && f.Proto != "dns" {
						errs = append(errs, fmt.Errorf("profile %s: flow to unknown name %q", p.Name, n))
					}
				}
			case "profile":
				found := false
				for i := range endpointProfiles {
					found = found || endpointProfiles[i].Name == arg
				}
				if !found {
					errs = append(errs, fmt.Errorf("profile %s: flow to unknown profile %q", p.Name, arg))
				}
			case "class", "offer", "bcast":
			default:
				errs = append(errs, fmt.Errorf("profile %s: bad flow target %q", p.Name, f.To))
			}
		}
	}
	for i := range infraProfiles {
		check(&infraProfiles[i])
	}
	for i := range endpointProfiles {
		check(&endpointProfiles[i])
	}
	return errors.Join(errs...)
}

// apportion splits n devices over the profiles by weight with the largest
// remainder method: the counts do not depend on the seed.
func apportion(n int, profiles []Profile) []int {
	total := 0.0
	for _, p := range profiles {
		total += p.Weight
	}
	counts := make([]int, len(profiles))
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(profiles))
	given := 0
	for i, p := range profiles {
		exact := float64(n) * p.Weight / total
		counts[i] = int(math.Floor(exact))
		given += counts[i]
		rems[i] = rem{i, exact - float64(counts[i])}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < n; k++ {
		counts[rems[k%len(rems)].i]++
		given++
	}
	return counts
}

func apportionZones(n int, zs []zoneShare) []int {
	ps := make([]Profile, len(zs))
	for i, z := range zs {
		ps[i].Weight = z.Weight
	}
	return apportion(n, ps)
}

// makeMAC fills the bits after an OUI prefix (6, 7 or 9 hex digits) with
// random bits, as a unicast, globally administered address.
func makeMAC(prefix string, random uint64) net.HardwareAddr {
	var digits [12]byte
	const hexd = "0123456789abcdef"
	for i := range digits {
		if i < len(prefix) {
			digits[i] = lower(prefix[i])
		} else {
			digits[i] = hexd[random&0xf]
			random >>= 4
		}
	}
	mac, _ := hex.DecodeString(string(digits[:]))
	return net.HardwareAddr(mac)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func randomIID(p netip.Prefix, random uint64) netip.Addr {
	b := p.Addr().As16()
	for i := 8; i < 16; i++ {
		b[i] = byte(random >> (8 * (15 - i)))
	}
	b[8] &^= 0x02 // not a modified EUI-64 from a MAC: a random (privacy) identifier
	return netip.AddrFrom16(b)
}

// externalAddr maps an internet name to a stable address in the RFC 5737
// documentation ranges, so that no real vendor address is ever claimed.
func externalAddr(name string, i int) netip.Addr {
	nets := [3][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
	h := mix(hashString(name), uint64(i))
	n := nets[h%3]
	return netip.AddrFrom4([4]byte{n[0], n[1], n[2], byte(1 + (h>>8)%253)})
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func expandHostname(pattern string, seq int, z *zone, mac net.HardwareAddr) string {
	if pattern == "" {
		return ""
	}
	hexmac := strings.ToUpper(hex.EncodeToString(mac))
	low := strings.ToLower(hexmac)
	r := strings.NewReplacer(
		"{n2}", pad(seq, 2), "{n3}", pad(seq, 3), "{n4}", pad(seq, 4),
		"{UNIT}", z.Unit, "{MAC}", hexmac, "{MAC6}", hexmac[6:],
		"{macdot}", low[0:4]+"."+low[4:8]+"."+low[8:12],
	)
	return r.Replace(pattern)
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// ephemeralRange returns the client port range of an operating system.
func ephemeralRange(os osFamily) (lo, n int) {
	switch os {
	case osWindows:
		return 49152, 16384
	case osLinux, osAndroid:
		return 32768, 28232
	case osCiscoIOS:
		return 20000, 40000
	default:
		return 1025, 3976 // many embedded stacks (VxWorks, older BSD) use 1025-5000
	}
}
