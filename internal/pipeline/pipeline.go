// Package pipeline runs ingestion: it reads sources record by record,
// applies the events to the per-device state, and commits that state
// together with each source's checkpoint in one store transaction per
// batch, so that a crash or a re-run never loses or duplicates anything.
//
// It owns batching, checkpoint/resume logic, error accounting and progress;
// it does not parse formats (ingest/*) nor decide device state (inventory).
// Today one goroutine owns the whole inventory (a single shard); the
// checkpoint-per-batch contract is what later lets several shard owners
// work the same way.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/store"
)

// DefaultBatchSize is how many records one transaction covers at most.
const DefaultBatchSize = 100_000

// DefaultMaxDirty is how many changed devices a batch may hold before it is
// committed early: it bounds the memory and the size of one transaction
// when a batch touches a large fleet.
const DefaultMaxDirty = 50_000

// Progress receives how many raw input bytes have been consumed.
type Progress interface {
	Start(totalBytes int64)
	Add(n int64)
	Finish()
}

// Options configure an Ingester.
type Options struct {
	Store     store.Store
	Inventory *inventory.Inventory
	// BatchSize is the number of records per transaction.
	BatchSize int
	// MaxDirty ends a batch early once this many devices have changed.
	MaxDirty int
	// MaxErrors is how many record errors the summary keeps verbatim.
	MaxErrors int
	Logger    *slog.Logger
	Metrics   *Metrics
	Progress  Progress
	// Now stamps checkpoints; it is wall-clock bookkeeping only, never
	// used for detection.
	Now func() time.Time
	// AfterCommit, when set, is called after every committed batch (tests
	// use it to observe commit points).
	AfterCommit func()
}

// Ingester ingests sources into the store.
type Ingester struct {
	opts Options
}

// New returns an Ingester.
func New(opts Options) (*Ingester, error) {
	if opts.Store == nil || opts.Inventory == nil {
		return nil, errors.New("pipeline: store and inventory are required")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.MaxDirty <= 0 {
		opts.MaxDirty = DefaultMaxDirty
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Ingester{opts: opts}, nil
}

// Summary reports what one ingest run did.
type Summary struct {
	Files []FileSummary
	// Read counts records read in this run (accepted + rejected).
	Read, Accepted, Rejected int64
	// ByLog counts accepted records per log type.
	ByLog map[string]int64
	// Errors holds the first errors, each naming file and line.
	Errors []string
	// HeldBack names the files whose last line had no newline yet (a log
	// still being written): that line is read by a later run, once complete.
	HeldBack []string
}

// FileSummary reports one source file.
type FileSummary struct {
	Path                     string
	Read, Accepted, Rejected int64
	// ResumedAt is the offset reading started from (0 for a new file).
	ResumedAt int64
	// Failed is set when the file could not be read to its end.
	Failed bool
}

// zeekLogName matches the names Zeek logs go by: conn.log, dns.json,
// conn.04:00:00-05:00:00.log.gz (Zeek's rotation), conn.log.1 and
// conn.log.2.gz (logrotate), conn.log.labeled (Stratosphere).
var zeekLogName = regexp.MustCompile(`\.(log|json)(\.[0-9]+)?(\.gz)?$|\.labeled$`)

// ZeekLogName reports whether a file name looks like a Zeek log.
func ZeekLogName(name string) bool { return zeekLogName.MatchString(name) }

// Zeek ingests Zeek logs from files and folders. DHCP logs go first, so
// that leases are known before the traffic they explain.
func (in *Ingester) Zeek(ctx context.Context, paths []string) (*Summary, error) {
	files, err := source.Expand(paths, ZeekLogName)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(files, func(a, b string) int { return cmp.Compare(readOrder(a), readOrder(b)) })
	sum := &Summary{ByLog: map[string]int64{}}
	if p := in.opts.Progress; p != nil {
		p.Start(totalSize(files))
		defer p.Finish()
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		fs, err := in.ingestZeekFile(ctx, f, sum)
		sum.Files = append(sum.Files, fs)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errCommit) {
				return sum, err
			}
			// A file that could not be read (to its end) counts as one
			// rejected record: what it still holds did not land.
			sum.Rejected++
			sum.addError(in.opts.MaxErrors, err.Error())
		}
	}
	return sum, nil
}

// readOrder ranks DHCP logs before all others.
func readOrder(path string) int {
	if strings.HasPrefix(filepath.Base(path), "dhcp") {
		return 0
	}
	return 1
}

func (s *Summary) addError(limit int, msg string) {
	if len(s.Errors) < limit {
		s.Errors = append(s.Errors, msg)
	}
}

var errCommit = errors.New("commit failed")

// resumePoint finds where to start reading path: the checkpoint of the
// same content (same head) under this path or, for a rotated or
// compressed copy, under another one. When the path now holds other
// content, the old content's checkpoint is returned as displaced: it must
// be kept under another key, so that the old content, renamed by
// rotation, is still recognised by its head.
func (in *Ingester) resumePoint(ctx context.Context, path string, head []byte) (cp store.Checkpoint, displaced *store.Checkpoint, err error) {
	old, err := in.opts.Store.Checkpoint(ctx, path)
	switch {
	case err == nil:
		if old.HeadLen <= len(head) && source.HashHead(head, old.HeadLen) == old.HeadHash {
			return old, nil, nil
		}
		old.Source = fmt.Sprintf("%s (replaced content %.12s)", old.Source, old.HeadHash)
		displaced = &old
	case !errors.Is(err, store.ErrNotFound):
		return store.Checkpoint{}, nil, err
	}
	cp, err = in.opts.Store.CheckpointByHead(ctx, source.HashHead(head, len(head)), len(head))
	switch {
	case err == nil:
		return cp, displaced, nil
	case errors.Is(err, store.ErrNotFound):
		return store.Checkpoint{}, displaced, nil
	default:
		return store.Checkpoint{}, nil, err
	}
}

func (in *Ingester) ingestZeekFile(ctx context.Context, path string, sum *Summary) (FileSummary, error) {
	fsum := FileSummary{Path: path}
	f, err := source.Open(path)
	if err != nil {
		fsum.Failed = true
		return fsum, err
	}
	defer f.Close()
	head, err := f.Head()
	if err != nil {
		fsum.Failed = true
		return fsum, err
	}
	cp, displaced, err := in.resumePoint(ctx, path, head)
	if err != nil {
		fsum.Failed = true
		return fsum, fmt.Errorf("%s: checkpoint: %w", path, err)
	}
	cp.Source = path
	cp.HeadLen = len(head)
	cp.HeadHash = source.HashHead(head, len(head))
	fsum.ResumedAt = cp.Offset

	var lastRaw int64
	reportProgress := func() {
		if p := in.opts.Progress; p != nil {
			n := f.RawRead()
			p.Add(n - lastRaw)
			lastRaw = n
		}
	}
	defer func() {
		if p := in.opts.Progress; p != nil {
			p.Add(f.Size - lastRaw)
		}
	}()

	r := zeek.NewReader(f, path, zeek.Options{StartOffset: cp.Offset, StartLine: cp.Line, HoldIncomplete: true})
	inv := in.opts.Inventory
	pending := 0
	byLog := map[string]int64{}
	commit := func() error {
		ch := inv.Flush()
		cp.Offset, cp.Line = r.Offset(), r.Line()
		cp.Updated = in.opts.Now().UTC()
		b := &store.Batch{Devices: ch.Devices, DeleteDevices: ch.Deleted, Leases: ch.Leases,
			Sightings: sightings(ch.Sightings), Checkpoints: []store.Checkpoint{cp}}
		if displaced != nil {
			b.Checkpoints = append(b.Checkpoints, *displaced)
			displaced = nil
		}
		start := time.Now()
		if err := in.opts.Store.Commit(ctx, b); err != nil {
			return fmt.Errorf("%w: %s: %w", errCommit, path, err)
		}
		in.opts.Metrics.observeCommit(time.Since(start), len(ch.Devices), len(ch.Sightings), inv.Len())
		for log, n := range byLog {
			sum.ByLog[log] += n
			in.opts.Metrics.addRecords(log, "accepted", n)
		}
		clear(byLog)
		pending = 0
		reportProgress()
		if in.opts.AfterCommit != nil {
			in.opts.AfterCommit()
		}
		return nil
	}
	var fatal error
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var recErr *zeek.RecordError
			if errors.As(err, &recErr) {
				fsum.Read++
				fsum.Rejected++
				cp.Rejected++
				pending++
				in.opts.Metrics.addRecords(rec.Path, "rejected", 1)
				sum.addError(in.opts.MaxErrors, err.Error())
				in.opts.Logger.Debug("rejected record", "error", err)
				continue
			}
			fatal = err
			break
		}
		fsum.Read++
		fsum.Accepted++
		cp.Records++
		pending++
		byLog[rec.Path]++
		if rec.Event != nil {
			inv.Apply(rec.Event)
		}
		if pending >= in.opts.BatchSize || inv.Dirty() >= in.opts.MaxDirty {
			if err := ctx.Err(); err != nil {
				return fsum, err
			}
			if err := commit(); err != nil {
				return fsum, err
			}
		}
	}
	if err := commit(); err != nil {
		return fsum, err
	}
	if r.HeldBack() {
		sum.HeldBack = append(sum.HeldBack, fmt.Sprintf("%s:%d", path, r.Line()+1))
	}
	sum.Read += fsum.Read
	sum.Accepted += fsum.Accepted
	sum.Rejected += fsum.Rejected
	if fatal != nil {
		fsum.Failed = true
		return fsum, fatal
	}
	return fsum, nil
}

func sightings(in []inventory.Sighting) []store.Sighting {
	out := make([]store.Sighting, len(in))
	for i, s := range in {
		out[i] = store.Sighting{DeviceID: s.DeviceID, LastSeen: s.LastSeen, IPs: s.IPs}
	}
	return out
}

func totalSize(files []string) int64 {
	var n int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}
