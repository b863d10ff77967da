package pipeline

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/baseline"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Observed is what the stored baselines say the fleet does, in the terms
// of the policy package: every recorded flow of every device, the current
// addresses of the devices of each class and model (policy.Export gives
// them to the entry that judges them), and the addresses each DNS name was
// seen to resolve to.
type Observed struct {
	Flows    []policy.Observation
	Members  policy.Members
	Resolved policy.Resolved
}

// LoadObserved reads the inventory and the baselines from the store.
func LoadObserved(ctx context.Context, st store.Store) (*Observed, error) {
	devs, err := st.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		return nil, fmt.Errorf("load devices: %w", err)
	}
	byID := make(map[string]*asset.Device, len(devs))
	o := &Observed{Members: policy.Members{}, Resolved: policy.Resolved{}}
	for i := range devs {
		d := &devs[i]
		byID[d.ID] = d
		if a, ok := currentAddr(d); ok {
			k := policy.MemberKey{Class: d.Class, Model: d.Model}
			o.Members[k] = append(o.Members[k], a)
		}
	}
	err = st.Baselines(ctx, func(doc store.BaselineDoc) error {
		p, err := baseline.Decode(doc.Doc)
		if err != nil {
			return fmt.Errorf("baseline of %s: %w", doc.DeviceID, err)
		}
		d := byID[doc.DeviceID]
		if d == nil {
			return nil // a device merged away since
		}
		src, _ := currentAddr(d)
		for _, f := range p.Flows {
			o.Flows = append(o.Flows, policy.Observation{DeviceID: d.ID, Class: d.Class, Model: d.Model,
				Src: src, Dst: f.Peer, DstNames: f.Names, DstPort: f.Port, Proto: f.Proto, Count: f.Count,
				First: time.Unix(0, f.First).UTC(), Last: time.Unix(0, f.Last).UTC()})
		}
		for _, r := range p.Resolved {
			if !slices.Contains(o.Resolved[r.Name], r.Addr) {
				o.Resolved[r.Name] = append(o.Resolved[r.Name], r.Addr)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load baselines: %w", err)
	}
	for _, as := range o.Members {
		slices.SortFunc(as, netip.Addr.Compare)
	}
	for _, as := range o.Resolved {
		slices.SortFunc(as, netip.Addr.Compare)
	}
	return o, nil
}

// currentAddr is the address a device held last.
func currentAddr(d *asset.Device) (netip.Addr, bool) {
	var best netip.Addr
	var last time.Time
	for _, ip := range d.IPs {
		a, err := netip.ParseAddr(ip.IP)
		if err != nil {
			continue
		}
		if !best.IsValid() || ip.LastSeen.After(last) {
			best, last = a, ip.LastSeen
		}
	}
	return best, best.IsValid()
}
