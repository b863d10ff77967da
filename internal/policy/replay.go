package policy

import (
	"cmp"
	"slices"
	"time"
)

// ReplayResult says what a candidate policy would have done to observed
// traffic. The counters count observations (aggregated flows), not
// packets or connections: Evaluated is every observation in the window,
// and Blocked + AlertOnly + NoPolicy + the allowed ones add up to it.
type ReplayResult struct {
	Devices   []DeviceReplay // devices with a blocked or alerted flow, by device ID
	Evaluated int64
	Blocked   int64 // denied in an enforce class: would break
	AlertOnly int64 // denied in an alert-only class: would be reported
	NoPolicy  int64 // neither the class nor the model has an entry: not evaluated
}

// DeviceReplay lists the observed flows of one device that the policy
// would block or report, each sorted by count (highest first).
type DeviceReplay struct {
	DeviceID, Class string
	Model           string // the device's model, if known
	// Entry names the entry that judged the device's flows: the class, or
	// `class model "M"` for a model entry.
	Entry     string
	Blocked   []Observation
	AlertOnly []Observation
}

// Replay evaluates obs against p, each by the entry of its class and model
// (Policy.Entry). Observations whose Last is before since
// are skipped (a zero since keeps all).
func Replay(p *Policy, obs []Observation, since time.Time) ReplayResult {
	var res ReplayResult
	byDevice := make(map[string]*DeviceReplay)
	for _, o := range obs {
		if o.Last.Before(since) {
			continue
		}
		res.Evaluated++
		v := p.Evaluate(Flow{Class: o.Class, Model: o.Model, Src: o.Src, Dst: o.Dst, DstPort: o.DstPort, Proto: o.Proto, DstNames: o.DstNames})
		switch {
		case v.NoPolicy:
			res.NoPolicy++
			continue
		case v.Allowed:
			continue
		}
		d := byDevice[o.DeviceID]
		if d == nil {
			d = &DeviceReplay{DeviceID: o.DeviceID, Class: o.Class, Model: o.Model, Entry: v.Entry.Name()}
			byDevice[o.DeviceID] = d
		}
		if v.Mode == AlertOnly {
			res.AlertOnly++
			d.AlertOnly = append(d.AlertOnly, o)
		} else {
			res.Blocked++
			d.Blocked = append(d.Blocked, o)
		}
	}
	byCount := func(a, b Observation) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), compareObservations(a, b))
	}
	for _, d := range byDevice {
		slices.SortFunc(d.Blocked, byCount)
		slices.SortFunc(d.AlertOnly, byCount)
		res.Devices = append(res.Devices, *d)
	}
	slices.SortFunc(res.Devices, func(a, b DeviceReplay) int { return cmp.Compare(a.DeviceID, b.DeviceID) })
	return res
}
