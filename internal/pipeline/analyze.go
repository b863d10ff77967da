package pipeline

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/baseline"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/store"
)

// Analysis is the behavioural half of the pipeline: after the inventory
// has applied a record, the baselines judge it and the detectors turn
// deviations into alerts. Its state is committed with each batch, like
// the inventory's.
type Analysis struct {
	Baselines *baseline.Set
	Alerts    *detect.Engine
	// Policy, when set, checks each connection against the segmentation
	// policy.
	Policy PolicyChecker
	// OnOccurrence, when set, is called with every occurrence raised and
	// the position of the record that caused it (tests use it to score
	// detections record by record).
	OnOccurrence func(pos event.Position, o detect.Occurrence)
	// Approved holds the devices with a patch scheduled or deployed: a
	// software change on them is expected, on any other it is not.
	Approved map[string]bool

	scratch []baseline.Deviation
}

// PolicyMinConfidence is the class confidence from which a device is
// judged by the segmentation policy: before it, its class is a guess from
// partial evidence (a Windows workstation that has so far only reached a
// device server's port looks like one), and an allowlist for the wrong
// class is noise.
const PolicyMinConfidence = 0.5

// PolicyChecker judges a connection of a device, by its class and model,
// against the segmentation policy; a violation becomes an occurrence.
type PolicyChecker interface {
	Check(deviceID, class, model string, c *event.Conn, names []string) (detect.Violation, bool)
	Occurrence(v detect.Violation, dev detect.Device, c *event.Conn, names []string, pos event.Position) detect.Occurrence
}

// AnalysisOptions configure the behavioural half of the pipeline.
type AnalysisOptions struct {
	// Learning is each device's learning period (event time).
	Learning time.Duration
	// Policy, when set, is the segmentation policy connections are
	// checked against; its zones are also what a device's "network" is.
	Policy *policy.Policy
}

// LoadAnalysis restores the baselines and alerts from the store.
func LoadAnalysis(ctx context.Context, st store.Store, inv *inventory.Inventory, opts AnalysisOptions) (*Analysis, error) {
	cfg := baseline.Config{Learning: opts.Learning, Internal: inv.IsInternal}
	if p := opts.Policy; p != nil {
		cfg.ZoneOf = func(a netip.Addr) (string, bool) { return p.ZoneOf(a, 0) }
	}
	set := baseline.New(cfg)
	err := st.Baselines(ctx, func(d store.BaselineDoc) error {
		if err := set.Load(d.DeviceID, d.Doc); err != nil {
			return fmt.Errorf("baseline of %s: %w", d.DeviceID, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load baselines: %w", err)
	}
	existing, err := st.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	an := &Analysis{Baselines: set, Alerts: detect.New(existing), Approved: map[string]bool{}}
	for _, state := range []string{"scheduled", "deployed"} {
		fs, err := st.Findings(ctx, store.FindingQuery{State: state})
		if err != nil {
			return nil, fmt.Errorf("load approved patches: %w", err)
		}
		for _, f := range fs {
			an.Approved[f.DeviceID] = true
		}
	}
	if opts.Policy != nil {
		an.Policy = detect.NewPolicyChecker(opts.Policy, inv.IsInternal)
	}
	return an, nil
}

// apply judges one record the inventory has applied.
func (a *Analysis) apply(inv *inventory.Inventory, ev event.Event, pos event.Position) {
	devs := a.scratch[:0]
	var subject *asset.Device
	var addr netip.Addr
	switch e := ev.(type) {
	case *event.Conn:
		subject = inv.DeviceAt(e.OrigH, e.TS)
		resp := inv.DeviceAt(e.RespH, e.TS)
		devs = a.Baselines.Conn(subjectOf(subject), subjectOf(resp), e, devs)
		if a.Policy != nil && subject != nil && subject.ClassConfidence >= PolicyMinConfidence {
			names := a.Baselines.NamesOf(subject.ID, e.RespH)
			if v, violated := a.Policy.Check(subject.ID, subject.Class, subject.Model, e, names); violated && !a.repeat(pos, v.Key, detect.DetectorPolicy, e.TS) {
				a.emit(pos, a.Policy.Occurrence(v, describe(subject, e.OrigH), e, names, pos))
			}
		}
		// A responder's deviations (its volume) concern the responder.
		for _, d := range devs {
			dev, at := subject, e.OrigH
			if subject == nil || d.DeviceID != subject.ID {
				dev, at = resp, e.RespH
			}
			a.raise(dev, at, d, ev, pos)
		}
		a.scratch = devs[:0]
		return
	case *event.DNS:
		if subject, addr = inv.DeviceAt(e.OrigH, e.TS), e.OrigH; subject != nil {
			devs = a.Baselines.DNS(subjectOf(subject), e, devs)
		}
	case *event.SSL:
		if subject, addr = inv.DeviceAt(e.OrigH, e.TS), e.OrigH; subject != nil {
			devs = a.Baselines.SSL(subjectOf(subject), e, devs)
		}
	case *event.Software:
		if d := inv.DeviceAt(e.Host, e.TS); d != nil && !a.Approved[d.ID] {
			if from, to, changed := softwareChange(d, e); changed {
				a.emit(pos, detect.FromSoftwareChange(describe(d, e.Host), e.Name, from, to, ev, pos))
			}
		}
	}
	for _, d := range devs {
		a.raise(subject, addr, d, ev, pos)
	}
	a.scratch = devs[:0]
}

// raise turns a deviation into an alert. A mobile device (a pump that
// travels with its patient) in a new network is normal care, not news:
// where such devices may be is the segmentation policy's to say.
func (a *Analysis) raise(dev *asset.Device, addr netip.Addr, d baseline.Deviation, ev event.Event, pos event.Position) {
	if d.Kind == baseline.NewNetwork && dev != nil && fingerprint.IsMobile(dev.Class) {
		return
	}
	if a.repeat(pos, detect.DeviationKey(idOf(dev), d), string(d.Kind), d.Time) {
		return
	}
	a.emit(pos, detect.FromDeviation(describe(dev, addr), d, ev, pos))
}

// repeat counts one more occurrence of an alert that needs nothing else
// (see detect.Engine.Repeat).
func (a *Analysis) repeat(pos event.Position, key, detector string, at time.Time) bool {
	if !a.Alerts.Repeat(key, at) {
		return false
	}
	if a.OnOccurrence != nil {
		a.OnOccurrence(pos, detect.Occurrence{Key: key, Detector: detector, Time: at})
	}
	return true
}

func (a *Analysis) emit(pos event.Position, o detect.Occurrence) {
	if a.OnOccurrence != nil {
		a.OnOccurrence(pos, o)
	}
	a.Alerts.Raise(o)
}

// softwareChange reports whether a software record (already applied to
// the device) is the first sighting of a new version of a product the
// device ran before: the version it replaced, and the new one.
func softwareChange(d *asset.Device, e *event.Software) (from, to string, changed bool) {
	ts := e.TS.UTC()
	var cur *asset.Software
	for i := range d.Software {
		s := &d.Software[i]
		if s.Name == strings.TrimSpace(e.Name) && s.FirstSeen.Equal(ts) {
			cur = s
		}
	}
	if cur == nil {
		return "", "", false
	}
	var prev *asset.Software
	for i := range d.Software {
		s := &d.Software[i]
		if s.Name == cur.Name && s.Type == cur.Type && s.Version != cur.Version && s.FirstSeen.Before(ts) &&
			(prev == nil || s.LastSeen.After(prev.LastSeen)) {
			prev = s
		}
	}
	if prev == nil {
		return "", "", false
	}
	return prev.Version, cur.Version, true
}

// flush collects the analysis state to commit with a batch.
func (a *Analysis) flush(inv *inventory.Inventory, merged []inventory.Merge, b *store.Batch) error {
	for _, m := range merged {
		a.Baselines.Merge(m.From, m.Into)
	}
	changed, deleted, err := a.Baselines.Flush()
	if err != nil {
		return err
	}
	for _, c := range changed {
		b.Baselines = append(b.Baselines, store.BaselineDoc{DeviceID: c.DeviceID, Doc: c.Doc})
	}
	b.DeleteBaselines = deleted
	whole, counted := a.Alerts.Flush(func(id string) (detect.Device, bool) {
		d := inv.Device(id)
		if d == nil {
			return detect.Device{}, false
		}
		return describe(d, netip.Addr{}), true
	})
	addAlerts(b, whole, counted)
	return nil
}

// addAlerts puts what detect.Engine.Flush returned into b: whole alerts,
// and sightings of those only counted again.
func addAlerts(b *store.Batch, whole []alert.Alert, counted []detect.Counted) {
	b.Alerts = append(b.Alerts, whole...)
	for _, c := range counted {
		b.AlertSightings = append(b.AlertSightings, store.AlertSighting{ID: c.ID, Count: c.Count, FirstSeen: c.FirstSeen, LastSeen: c.LastSeen})
	}
}

func idOf(d *asset.Device) string {
	if d == nil {
		return ""
	}
	return d.ID
}

func subjectOf(d *asset.Device) baseline.Subject {
	if d == nil {
		return baseline.Subject{}
	}
	return baseline.Subject{ID: d.ID, FirstSeen: d.FirstSeen}
}

// describe is what an alert says about a device.
func describe(d *asset.Device, addr netip.Addr) detect.Device {
	if d == nil {
		return detect.Device{Addr: addr.String(), Criticality: asset.CriticalityUnknown}
	}
	dev := detect.Device{ID: d.ID, Class: d.Class, Criticality: d.Criticality, Addr: addr.Unmap().String()}
	if c, ok := fingerprint.LookupClass(d.Class); ok {
		dev.ClassLabel = c.Label
	}
	if len(d.Hostnames) > 0 {
		dev.Name = d.Hostnames[0]
	}
	return dev
}
