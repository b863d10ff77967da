// Package codec turns the values of a store.Batch into the rows the SQL
// backends write, and stored rows back into values, so that SQLite and
// PostgreSQL encode identically: times as int64 Unix nanoseconds, a device
// as the JSON of the whole asset.Device, batches validated and reduced to
// one row per primary key (the last occurrence wins).
//
// It owns encoding only: it must not talk to a database or hold state.
package codec

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
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
// (leases, checkpoints); device columns only serve filtering and sorting,
// the exact value lives in the device document.
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
	// Doc is the JSON of the whole asset.Device.
	Doc string
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

// Rows is a validated batch ready to write, each slice sorted by primary
// key with one row per key.
type Rows struct {
	Devices     []Device
	Deletes     []string
	Leases      []Lease
	Checkpoints []Checkpoint
}

// Prepare validates b (see store.Batch.Validate) and encodes it. Errors
// wrap store.ErrInvalidBatch: nothing of b can be written.
func Prepare(b *store.Batch) (*Rows, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	r := &Rows{
		Devices:     make([]Device, 0, len(b.Devices)),
		Deletes:     slices.Clone(b.DeleteDevices),
		Leases:      make([]Lease, 0, len(b.Leases)),
		Checkpoints: make([]Checkpoint, 0, len(b.Checkpoints)),
	}
	docs, err := encodeDevices(b.Devices)
	if err != nil {
		return nil, err
	}
	for i := range b.Devices {
		d := &b.Devices[i]
		r.Devices = append(r.Devices, Device{
			ID: d.ID, Key: d.Key, Class: d.Class, Criticality: string(d.Criticality), Vendor: d.Vendor,
			FirstSeen: Nanos(d.FirstSeen), LastSeen: Nanos(d.LastSeen), Doc: docs[i],
		})
	}
	for _, l := range b.Leases {
		r.Leases = append(r.Leases, Lease{MAC: l.MAC, IP: l.IP, Start: Nanos(l.Start), End: Nanos(l.End)})
	}
	for _, c := range b.Checkpoints {
		r.Checkpoints = append(r.Checkpoints, Checkpoint{
			Source: c.Source, HeadHash: c.HeadHash, HeadLen: int64(c.HeadLen), Offset: c.Offset,
			Line: c.Line, Records: c.Records, Rejected: c.Rejected, Updated: Nanos(c.Updated),
		})
	}
	r.Devices = lastByKey(r.Devices, func(a, b Device) int { return cmp.Compare(a.ID, b.ID) })
	r.Leases = lastByKey(r.Leases, func(a, b Lease) int {
		return cmp.Or(cmp.Compare(a.MAC, b.MAC), cmp.Compare(a.IP, b.IP), cmp.Compare(a.Start, b.Start))
	})
	r.Checkpoints = lastByKey(r.Checkpoints, func(a, b Checkpoint) int { return cmp.Compare(a.Source, b.Source) })
	slices.Sort(r.Deletes)
	r.Deletes = slices.Compact(r.Deletes)
	return r, nil
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

// encodeDevices returns the JSON documents of ds. An error names the first
// device that cannot be encoded.
func encodeDevices(ds []asset.Device) ([]string, error) {
	docs := make([]string, len(ds))
	errs := make([]error, len(ds))
	parallel(len(ds), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			doc, err := json.Marshal(&ds[i])
			docs[i], errs[i] = string(doc), err
		}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%w: devices[%d] %q: encode: %w", store.ErrInvalidBatch, i, ds[i].ID, err)
		}
	}
	return docs, nil
}

// lastByKey sorts s by key, stably, and keeps the last of each run of equal
// keys: the batch's last word on a row is the one written.
func lastByKey[T any](s []T, key func(a, b T) int) []T {
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

// DecodeDevices decodes device documents in order, never returning nil.
func DecodeDevices(docs [][]byte) ([]asset.Device, error) {
	out := make([]asset.Device, len(docs))
	errs := make([]error, len(docs))
	parallel(len(docs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			errs[i] = decodeDevice(docs[i], &out[i])
		}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("device %d of %d: %w", i+1, len(docs), err)
		}
	}
	return out, nil
}

// DecodeDevice decodes a device document, with every time in UTC.
func DecodeDevice(doc []byte) (asset.Device, error) {
	var d asset.Device
	if err := decodeDevice(doc, &d); err != nil {
		return asset.Device{}, err
	}
	return d, nil
}

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
