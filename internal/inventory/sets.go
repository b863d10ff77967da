package inventory

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/event"
)

// The helpers below keep a device's sets sorted, deduplicated and bounded.
// Each returns whether the set changed. A full set takes no new members:
// the first ones seen stay, which keeps the result independent of how the
// input was batched. Strings are cloned on insertion: an event's strings may
// share memory with the whole record they came from, which a long-lived
// device must not keep alive.

func addString(set *[]string, v string, limit int) bool {
	i, found := slices.BinarySearch(*set, v)
	if found || len(*set) >= limit {
		return false
	}
	*set = slices.Insert(*set, i, strings.Clone(v))
	return true
}

func compareService(a, b asset.Service) int {
	return cmp.Or(cmp.Compare(a.Port, b.Port), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Name, b.Name))
}

func addService(set *[]asset.Service, v asset.Service, limit int, strs *interner) bool {
	i, found := slices.BinarySearchFunc(*set, v, compareService)
	if found || len(*set) >= limit {
		return false
	}
	v.Proto, v.Name = strs.get(v.Proto), strs.get(v.Name)
	*set = slices.Insert(*set, i, v)
	return true
}

func touchIP(d *asset.Device, ip netip.Addr, ts time.Time) {
	mergeIP(d, asset.IPAddress{IP: ip.String(), FirstSeen: ts.UTC(), LastSeen: ts.UTC()})
}

func mergeIP(d *asset.Device, a asset.IPAddress) {
	i, found := slices.BinarySearchFunc(d.IPs, a.IP, func(x asset.IPAddress, ip string) int { return cmp.Compare(x.IP, ip) })
	if !found {
		if len(d.IPs) >= maxIPs {
			return
		}
		d.IPs = slices.Insert(d.IPs, i, a)
		return
	}
	cur := &d.IPs[i]
	if a.FirstSeen.Before(cur.FirstSeen) {
		cur.FirstSeen = a.FirstSeen
	}
	if a.LastSeen.After(cur.LastSeen) {
		cur.LastSeen = a.LastSeen
	}
}

func compareSoftware(a, b asset.Software) int {
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Type, b.Type))
}

// addSoftware records a software observation; it reports a change only
// when a new product or version appears (not for a later sighting).
func addSoftware(set *[]asset.Software, e *event.Software, strs *interner) bool {
	version := e.Version
	if version == "" {
		version = e.UnparsedVersion
	}
	name := strings.TrimSpace(e.Name)
	if name == "" {
		name = strings.TrimSpace(e.UnparsedVersion)
	}
	if name == "" {
		return false
	}
	return mergeSoftware(set, asset.Software{Type: strs.get(e.SoftwareType), Name: name, Version: version, FirstSeen: e.TS.UTC(), LastSeen: e.TS.UTC()})
}

func mergeSoftware(set *[]asset.Software, s asset.Software) bool {
	i, found := slices.BinarySearchFunc(*set, s, compareSoftware)
	if found {
		cur := &(*set)[i]
		if s.FirstSeen.Before(cur.FirstSeen) {
			cur.FirstSeen = s.FirstSeen
		}
		if s.LastSeen.After(cur.LastSeen) {
			cur.LastSeen = s.LastSeen
		}
		return false
	}
	if len(*set) >= maxSoftware {
		return false
	}
	s.Name, s.Version = strings.Clone(s.Name), strings.Clone(s.Version)
	*set = slices.Insert(*set, i, s)
	return true
}

// normalizeName lower-cases a DNS name and drops a trailing dot.
func normalizeName(s string) string {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "-" {
		return ""
	}
	return s
}

// interner shares one copy of the strings that recur across devices
// (protocols, service names, software types, DHCP vendor classes), so that
// a large inventory does not hold a copy per device. It is bounded: past
// maxInterned distinct strings it clones instead.
type interner struct {
	m map[string]string
}

const maxInterned = 4096

func (in *interner) get(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in.m[s]; ok {
		return v
	}
	c := strings.Clone(s)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned {
		in.m[c] = c
	}
	return c
}
