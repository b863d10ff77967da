// Package codec turns the values of a store.Batch into the rows the SQL
// backends write, and stored rows back into values, so that SQLite and
// PostgreSQL encode identically: times as int64 Unix nanoseconds, a device
// as a JSON document plus the columns a sighting updates (its last-seen
// time and its address rows), an alert as a JSON document plus the columns
// an alert sighting updates (its count, first and last seen), software-risk
// records as their key columns plus their documents, findings as their
// filter and sort columns plus their documents, rubric answers as their
// key columns plus a JSON object of the answers, detector states as
// their names plus their documents, batches validated and reduced to one
// row per primary key (the last occurrence wins), documents encoded in
// chunks.
//
// It owns encoding only: it must not talk to a database or hold state.
package codec

import (
	"cmp"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/store"
)

// ZeroTime is the stored value of the zero time.Time. It lies outside
// [store.MinTime, store.MaxTime], so no other time encodes to it.
const ZeroTime int64 = math.MinInt64

// Nanos encodes t as Unix nanoseconds, ZeroTime for the zero time. Times
// outside [store.MinTime, store.MaxTime] saturate to the nearest bound:
// Batch.Validate rejects them where the column must round-trip exactly
// (leases, checkpoints, sightings); for a device written whole the device
// document keeps the exact value (see EncodeDoc).
func Nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return ZeroTime
	case t.Before(store.MinTime):
		return store.MinTime.UnixNano()
	case t.After(store.MaxTime):
		return store.MaxTime.UnixNano()
	}
	return t.UnixNano()
}

// Time decodes a value written by Nanos, in UTC.
func Time(n int64) time.Time {
	if n == ZeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// exact reports whether Nanos(t) decodes back to t.
func exact(t time.Time) bool {
	return t.IsZero() || (!t.Before(store.MinTime) && !t.After(store.MaxTime))
}

// Storable reports whether s can be stored in a text column by every
// backend: valid UTF-8 without NUL (PostgreSQL refuses the rest).
// store.Batch.Validate rejects other keys, so a lookup by one must find
// nothing rather than fail.
func Storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// Device is one row of the devices table.
type Device struct {
	ID, Key, Class, Criticality, Vendor string
	FirstSeen, LastSeen                 int64
	// Doc is the device's document, see EncodeDoc.
	Doc string
}

// IP is one row of the device_ips table: an address a device held.
type IP struct {
	DeviceID, IP        string
	FirstSeen, LastSeen int64
}

// Sighting is the update a sighting makes to its device's row.
type Sighting struct {
	ID       string
	LastSeen int64
}

// Lease is one row of the leases table.
type Lease struct {
	MAC, IP    string
	Start, End int64
}

// Checkpoint is one row of the checkpoints table.
type Checkpoint struct {
	Source, HeadHash                                  string
	HeadLen, Offset, Line, Records, Rejected, Updated int64
}

// Plan is a validated batch ready to write, each table's rows sorted by
// primary key with one row per key, so that concurrent commits lock rows
// in the same order. The documents of written devices are not encoded
// yet: DeviceChunks encodes them a chunk at a time, so that a commit holds
// O(chunk) documents whatever the batch's size. The other rows are small
// and refer to the batch's strings; the batch must not change until the
// plan is written.
type Plan struct {
	b *store.Batch
	// order holds the indexes in b.Devices of the written devices, sorted
	// by ID, the last occurrence of each.
	order []int
	// ipStart[k] is the index in DeviceIPs of the first address row of
	// the device order[k]; ipStart[len(order)] = len(DeviceIPs).
	ipStart []int

	// DeviceIPs are the address rows of the written devices, sorted by
	// (device, IP): each written device's rows are replaced by these.
	DeviceIPs []IP
	Deletes   []string
	// Sightings and SightingIPs are the batch's sightings merged by device
	// (see store.Batch.Sightings), sorted by ID and by (device, IP).
	Sightings   []Sighting
	SightingIPs []IP
	Leases      []Lease
	Checkpoints []Checkpoint
	// Alerts are the batch's alerts, encoded, sorted by ID.
	Alerts []Alert
	// AlertSightings are the last sighting of each alert, sorted by ID.
	AlertSightings []AlertSighting
	// Baselines are the batch's baselines, the last occurrence of each
	// device ID, sorted by it; their documents are the batch's.
	Baselines []store.BaselineDoc
	// DeleteBaselines are the device IDs whose baseline is removed: those
	// of DeleteBaselines and of DeleteDevices, sorted, each once.
	DeleteBaselines []string

	// SBOMs, Advisories, KEV, EPSS and VEX are the batch's software-risk
	// records, encoded, the last occurrence of each key, sorted by key;
	// their documents are the batch's.
	SBOMs      []SBOM
	Advisories []Advisory
	KEV        []KEV
	EPSS       []EPSS
	VEX        []store.VEXRecord

	// Findings and FindingsGone are the batch's findings and findings
	// gone, encoded, the last occurrence of each ID, sorted by ID; the
	// findings' documents are the batch's.
	Findings     []Finding
	FindingsGone []FindingGone
	// Rubric is the batch's rubric answers, encoded, the last occurrence
	// of each key, sorted by (vulnerability, vendor, model).
	Rubric []Rubric
	// States are the batch's detector states, the last occurrence of each
	// name, sorted by it; their documents are the batch's.
	States []store.StateDoc

	encoded *atomic.Int64 // counts encoded devices, for tests
}

// Prepare validates b (see store.Batch.Validate) and plans it. Errors wrap
// store.ErrInvalidBatch: nothing of b can be written.
func Prepare(b *store.Batch) (*Plan, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	p := &Plan{
		b:           b,
		Deletes:     slices.Clone(b.DeleteDevices),
		Leases:      make([]Lease, 0, len(b.Leases)),
		Checkpoints: make([]Checkpoint, 0, len(b.Checkpoints)),
	}

	p.order = make([]int, len(b.Devices))
	for i := range p.order {
		p.order[i] = i
	}
	p.order = lastByKey(p.order, func(i, j int) int { return strings.Compare(b.Devices[i].ID, b.Devices[j].ID) })
	p.ipStart = make([]int, len(p.order)+1)
	for k, i := range p.order {
		d := &b.Devices[i]
		p.ipStart[k] = len(p.DeviceIPs)
		for _, a := range uniqueIPs(d.IPs) {
			p.DeviceIPs = append(p.DeviceIPs, IP{DeviceID: d.ID, IP: a.IP, FirstSeen: Nanos(a.FirstSeen), LastSeen: Nanos(a.LastSeen)})
		}
	}
	p.ipStart[len(p.order)] = len(p.DeviceIPs)

	p.planSightings()

	for _, l := range b.Leases {
		p.Leases = append(p.Leases, Lease{MAC: l.MAC, IP: l.IP, Start: Nanos(l.Start), End: Nanos(l.End)})
	}
	for _, c := range b.Checkpoints {
		p.Checkpoints = append(p.Checkpoints, Checkpoint{
			Source: c.Source, HeadHash: c.HeadHash, HeadLen: int64(c.HeadLen), Offset: c.Offset,
			Line: c.Line, Records: c.Records, Rejected: c.Rejected, Updated: Nanos(c.Updated),
		})
	}
	p.Leases = lastByKey(p.Leases, func(a, b Lease) int {
		return cmp.Or(cmp.Compare(a.MAC, b.MAC), cmp.Compare(a.IP, b.IP), cmp.Compare(a.Start, b.Start))
	})
	p.Checkpoints = lastByKey(p.Checkpoints, func(a, b Checkpoint) int { return cmp.Compare(a.Source, b.Source) })
	slices.Sort(p.Deletes)
	p.Deletes = slices.Compact(p.Deletes)
	if err := p.planAlerts(); err != nil {
		return nil, err
	}
	p.planAlertSightings()
	p.Baselines = lastByKey(slices.Clone(b.Baselines), func(a, b store.BaselineDoc) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	if len(b.DeleteBaselines) > 0 {
		p.DeleteBaselines = append(slices.Clone(b.DeleteBaselines), b.DeleteDevices...)
		slices.Sort(p.DeleteBaselines)
		p.DeleteBaselines = slices.Compact(p.DeleteBaselines)
	} else {
		p.DeleteBaselines = p.Deletes
	}
	p.planSoftware()
	p.planFindings()
	p.planRubric()
	p.States = lastByKey(slices.Clone(b.States), func(a, b store.StateDoc) int { return strings.Compare(a.Name, b.Name) })
	return p, nil
}

// planSightings merges the sightings of each device, field by field, the
// last word winning: LastSeen is the last sighting's, each address's times
// those of the last occurrence of the address.
func (p *Plan) planSightings() {
	ss := p.b.Sightings
	if len(ss) == 0 {
		return
	}
	order := make([]int, len(ss))
	for i := range order {
		order[i] = i
	}
	byID := func(i, j int) int { return strings.Compare(ss[i].DeviceID, ss[j].DeviceID) }
	if !strictlySorted(order, byID) {
		slices.SortStableFunc(order, byID)
	}
	byIP := func(a, b IP) int { return strings.Compare(a.IP, b.IP) }
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && ss[order[hi]].DeviceID == ss[order[lo]].DeviceID {
			hi++
		}
		last := &ss[order[hi-1]]
		p.Sightings = append(p.Sightings, Sighting{ID: last.DeviceID, LastSeen: Nanos(last.LastSeen)})
		start := len(p.SightingIPs)
		for _, i := range order[lo:hi] {
			for _, a := range ss[i].IPs {
				p.SightingIPs = append(p.SightingIPs, IP{DeviceID: last.DeviceID, IP: a.IP, FirstSeen: Nanos(a.FirstSeen), LastSeen: Nanos(a.LastSeen)})
			}
		}
		kept := lastByKey(p.SightingIPs[start:], byIP)
		p.SightingIPs = p.SightingIPs[:start+len(kept)]
		lo = hi
	}
}

// HasSoftwareRisk reports whether the plan writes software-risk records,
// findings or rubric answers: the large imports and assessments, which a
// backend may give more cache than ingestion batches.
func (p *Plan) HasSoftwareRisk() bool {
	return len(p.SBOMs)+len(p.Advisories)+len(p.KEV)+len(p.EPSS)+len(p.VEX)+
		len(p.Findings)+len(p.FindingsGone)+len(p.Rubric) > 0
}

// NumDevices is the number of devices the plan writes whole.
func (p *Plan) NumDevices() int { return len(p.order) }

// Chunk is a run of the devices a plan writes whole, in ID order, with
// their documents encoded.
type Chunk struct {
	Devices []Device
	// IPs are the address rows of Devices, sorted by (device, IP).
	IPs []IP
}

// DeviceChunks yields the devices the plan writes whole, in ID order, in
// chunks of size, encoding the next chunk while the caller writes the
// current one: at most three chunks exist at once. A device that cannot be
// encoded ends the sequence with an error wrapping store.ErrInvalidBatch.
// Stopping the loop early stops the encoding.
func (p *Plan) DeviceChunks(size int) iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		n := len(p.order)
		if n == 0 {
			return
		}
		size = max(1, size)
		type result struct {
			c   Chunk
			err error
		}
		out := make(chan result, 1)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			defer close(out)
			for lo := 0; lo < n; lo += size {
				select {
				case <-stop:
					return
				default:
				}
				c, err := p.encodeChunk(lo, min(lo+size, n))
				select {
				case out <- result{c, err}:
				case <-stop:
					return
				}
				if err != nil {
					return
				}
			}
		})
		defer func() {
			close(stop)
			wg.Wait()
		}()
		for r := range out {
			if !yield(r.c, r.err) || r.err != nil {
				return
			}
		}
	}
}

// parallelMin is the number of devices from which they are encoded or
// decoded on several cores: JSON is about a third of a large commit's time
// and four fifths of reading a fleet.
const parallelMin = 512

// parallel calls fn over [0, n) split in ranges, one goroutine per core
// when n is large enough to pay for it.
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/(parallelMin/2))
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		wg.Go(func() { fn(lo, min(lo+per, n)) })
	}
	wg.Wait()
}

// encodeChunk encodes the planned devices [lo, hi). An error names the
// first device that cannot be encoded, by its position in the batch.
func (p *Plan) encodeChunk(lo, hi int) (Chunk, error) {
	rows := make([]Device, hi-lo)
	errs := make([]error, hi-lo)
	parallel(hi-lo, func(a, b int) {
		for i := a; i < b; i++ {
			d := &p.b.Devices[p.order[lo+i]]
			doc, err := EncodeDoc(d)
			rows[i], errs[i] = Device{
				ID: d.ID, Key: d.Key, Class: d.Class, Criticality: string(d.Criticality), Vendor: d.Vendor,
				FirstSeen: Nanos(d.FirstSeen), LastSeen: Nanos(d.LastSeen), Doc: doc,
			}, err
		}
	})
	if p.encoded != nil {
		p.encoded.Add(int64(hi - lo))
	}
	for i, err := range errs {
		if err != nil {
			at := p.order[lo+i]
			return Chunk{}, fmt.Errorf("%w: devices[%d] %q: encode: %w", store.ErrInvalidBatch, at, p.b.Devices[at].ID, err)
		}
	}
	return Chunk{Devices: rows, IPs: p.DeviceIPs[p.ipStart[lo]:p.ipStart[hi]]}, nil
}

// EncodeDoc returns the document of d: its JSON without what the columns
// hold exactly. LastSeen is left out (zero) when its column holds it
// exactly, and so is every address whose row holds it exactly: "ips" is
// null when d.IPs is nil, else the list of addresses with a time beyond
// [store.MinTime, store.MaxTime], usually empty. Reads take a time from
// the document only while its column still holds the saturated value
// written with it; a sighting, whose times Validate keeps strictly inside
// the bounds, always overrides it.
func EncodeDoc(d *asset.Device) (string, error) {
	stored := *d
	if exact(d.LastSeen) {
		stored.LastSeen = time.Time{}
	}
	if d.IPs != nil {
		stored.IPs = []asset.IPAddress{}
		for _, a := range uniqueIPs(d.IPs) {
			if !exact(a.FirstSeen) || !exact(a.LastSeen) {
				stored.IPs = append(stored.IPs, a)
			}
		}
	}
	doc, err := json.Marshal(&stored)
	if err != nil {
		return "", err
	}
	return string(doc), nil
}

// uniqueIPs returns ips sorted by address with one entry per address, the
// last occurrence of each: ips itself when it already is (the inventory
// keeps them so), else a sorted copy.
func uniqueIPs(ips []asset.IPAddress) []asset.IPAddress {
	byIP := func(a, b asset.IPAddress) int { return strings.Compare(a.IP, b.IP) }
	if strictlySorted(ips, byIP) {
		return ips
	}
	return lastByKey(slices.Clone(ips), byIP)
}

func strictlySorted[T any](s []T, key func(a, b T) int) bool {
	for i := 1; i < len(s); i++ {
		if key(s[i-1], s[i]) >= 0 {
			return false
		}
	}
	return true
}

// lastByKey sorts s by key, stably, and keeps the last of each run of equal
// keys: the batch's last word on a row is the one written.
func lastByKey[T any](s []T, key func(a, b T) int) []T {
	if strictlySorted(s, key) {
		return s
	}
	slices.SortStableFunc(s, key)
	out := s[:0]
	for i := range s {
		if i+1 < len(s) && key(s[i], s[i+1]) == 0 {
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// StoredDevice is a devices row as read back: the columns a document
// leaves to them, and the document.
type StoredDevice struct {
	ID       string
	LastSeen int64
	Doc      []byte
}

// DecodeDevices decodes devices sorted by ID and completes each with its
// address rows, taken from ips, sorted by (device, IP) in byte order
// (rows of devices not in ds are skipped). It never returns nil.
func DecodeDevices(ds []StoredDevice, ips []IP) ([]asset.Device, error) {
	out := make([]asset.Device, len(ds))
	errs := make([]error, len(ds))
	parallel(len(ds), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			errs[i] = decodeDevice(ds[i].Doc, &out[i])
		}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("device %q (%d of %d): %w", ds[i].ID, i+1, len(ds), err)
		}
	}
	addrs := make([]asset.IPAddress, len(ips)) // one array for every device's addresses
	j := 0
	for i := range ds {
		for j < len(ips) && ips[j].DeviceID < ds[i].ID {
			j++
		}
		lo := j
		for j < len(ips) && ips[j].DeviceID == ds[i].ID {
			j++
		}
		complete(&out[i], ds[i].LastSeen, ips[lo:j], addrs[lo:j:j])
	}
	return out, nil
}

// DecodeDevice decodes one device and completes it with its address rows,
// sorted by IP in byte order.
func DecodeDevice(d StoredDevice, ips []IP) (asset.Device, error) {
	var out asset.Device
	if err := decodeDevice(d.Doc, &out); err != nil {
		return asset.Device{}, err
	}
	complete(&out, d.LastSeen, ips, make([]asset.IPAddress, len(ips)))
	return out, nil
}

// decodeDevice decodes a device document, with every time in UTC.
func decodeDevice(doc []byte, d *asset.Device) error {
	if err := json.Unmarshal(doc, d); err != nil {
		return err
	}
	d.FirstSeen, d.LastSeen = d.FirstSeen.UTC(), d.LastSeen.UTC()
	for i := range d.IPs {
		d.IPs[i].FirstSeen, d.IPs[i].LastSeen = d.IPs[i].FirstSeen.UTC(), d.IPs[i].LastSeen.UTC()
	}
	for i := range d.Software {
		d.Software[i].FirstSeen, d.Software[i].LastSeen = d.Software[i].FirstSeen.UTC(), d.Software[i].LastSeen.UTC()
	}
	return nil
}

// complete sets d's LastSeen and IPs from its columns and address rows,
// into addrs (len(ips) long), keeping the exact times of the document
// where the columns still hold their saturated values (see EncodeDoc).
func complete(d *asset.Device, lastSeen int64, ips []IP, addrs []asset.IPAddress) {
	if d.LastSeen.IsZero() || Nanos(d.LastSeen) != lastSeen {
		d.LastSeen = Time(lastSeen)
	}
	inDoc := d.IPs
	if len(ips) == 0 {
		if inDoc != nil {
			d.IPs = []asset.IPAddress{}
		}
		return
	}
	for i, r := range ips {
		addrs[i] = asset.IPAddress{IP: r.IP, FirstSeen: Time(r.FirstSeen), LastSeen: Time(r.LastSeen)}
	}
	for _, a := range inDoc {
		i, ok := slices.BinarySearchFunc(ips, a.IP, func(r IP, ip string) int { return strings.Compare(r.IP, ip) })
		if ok && ips[i].FirstSeen == Nanos(a.FirstSeen) && ips[i].LastSeen == Nanos(a.LastSeen) {
			addrs[i] = a
		}
	}
	d.IPs = addrs
}

// SplitLegacyDoc converts a document written before the device_ips table,
// the JSON of a whole asset.Device, into the document stored now (see
// EncodeDoc) and the device's address rows. The device's last_seen column
// already holds its LastSeen.
func SplitLegacyDoc(id string, doc []byte) (string, []IP, error) {
	var d asset.Device
	if err := decodeDevice(doc, &d); err != nil {
		return "", nil, err
	}
	newDoc, err := EncodeDoc(&d)
	if err != nil {
		return "", nil, err
	}
	var ips []IP
	for _, a := range uniqueIPs(d.IPs) {
		ips = append(ips, IP{DeviceID: id, IP: a.IP, FirstSeen: Nanos(a.FirstSeen), LastSeen: Nanos(a.LastSeen)})
	}
	return newDoc, ips, nil
}

// JoinLegacyDoc is the inverse of SplitLegacyDoc: the JSON of the whole
// device that d and its address rows store.
func JoinLegacyDoc(d StoredDevice, ips []IP) (string, error) {
	full, err := DecodeDevice(d, ips)
	if err != nil {
		return "", err
	}
	doc, err := json.Marshal(&full)
	if err != nil {
		return "", err
	}
	return string(doc), nil
}

// UnknownDevices is the error of sightings of the devices ids, which do not
// exist: it wraps store.ErrInvalidBatch and names a few of them.
func UnknownDevices(ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: fewer devices updated than sighted", store.ErrInvalidBatch)
	}
	return fmt.Errorf("%w: sighted devices do not exist: %s", store.ErrInvalidBatch, few(ids))
}

// few quotes the first few of ids, and says how many more there are.
func few(ids []string) string {
	const shown = 5
	more := ""
	if len(ids) > shown {
		more = fmt.Sprintf(" and %d more", len(ids)-shown)
		ids = ids[:shown]
	}
	return fmt.Sprintf("%q%s", ids, more)
}

// Lease decodes a leases row.
func (l Lease) Lease() asset.Lease {
	return asset.Lease{MAC: l.MAC, IP: l.IP, Start: Time(l.Start), End: Time(l.End)}
}

// Checkpoint decodes a checkpoints row.
func (c Checkpoint) Checkpoint() store.Checkpoint {
	return store.Checkpoint{
		Source: c.Source, HeadHash: c.HeadHash, HeadLen: int(c.HeadLen), Offset: c.Offset,
		Line: c.Line, Records: c.Records, Rejected: c.Rejected, Updated: Time(c.Updated),
	}
}
