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
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/store"
)

// DefaultBatchSize is how many records one transaction covers at most.
const DefaultBatchSize = 500_000

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
	// Analysis, when set, runs baselines and detectors on every record
	// after the inventory.
	Analysis *Analysis
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

// Zeek ingests Zeek logs from files and folders.
//
// The logs of one folder and one rotation period (conn.log, dns.log, … or
// conn.10:00:00-11:00:00.log.gz, dns.10:00:00-11:00:00.log.gz, …) form a
// group and are read together, merged by event time: every record is
// applied after what happened before it in any log, so that a lease is
// known before the traffic it explains, a DNS answer before the connection
// to the address it gave, and a device's baseline sees its life in order.
// Groups are read one after the other, in folder and period order.
func (in *Ingester) Zeek(ctx context.Context, paths []string) (*Summary, error) {
	files, err := source.Expand(paths, ZeekLogName)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(files, compareReadOrder)
	sum := &Summary{ByLog: map[string]int64{}}
	if p := in.opts.Progress; p != nil {
		p.Start(totalSize(files))
		defer p.Finish()
	}
	for _, group := range groupFiles(files) {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := in.ingestGroup(ctx, group, sum); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// compareReadOrder orders log files by folder, then by rotation period
// (what follows the log type in the name: "log" for conn.log,
// "10:00:00-11:00:00.log.gz" for a rotated one), then by log type: DHCP,
// DNS, TLS, the rest. Within a group, the type order breaks ties between
// records of the same time.
func compareReadOrder(a, b string) int {
	return cmp.Or(cmp.Compare(groupKey(a), groupKey(b)), cmp.Compare(typeRank(a), typeRank(b)))
}

// groupKey is the folder and rotation period of a log file.
func groupKey(path string) string {
	dir, base := filepath.Split(path)
	_, period, _ := strings.Cut(base, ".")
	return dir + "\x00" + period
}

func typeRank(path string) int {
	logType, _, _ := strings.Cut(filepath.Base(path), ".")
	switch logType {
	case "dhcp":
		return 0
	case "dns":
		return 1
	case "ssl":
		return 2
	}
	return 3
}

// groupFiles splits files, sorted by compareReadOrder, into groups.
func groupFiles(files []string) [][]string {
	var out [][]string
	for i, f := range files {
		if i == 0 || groupKey(f) != groupKey(files[i-1]) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], f)
	}
	return out
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

// analysisDirty returns how many baselines changed since the last commit.
func (in *Ingester) analysisDirty() int {
	if in.opts.Analysis == nil {
		return 0
	}
	return in.opts.Analysis.Baselines.Dirty()
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
