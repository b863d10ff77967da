package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/ingest/source"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
	"github.com/vigil-iomt/vigil/internal/store"
)

// groupFile is one log of a group being read: its reader, running ahead
// in a goroutine of its own (parsing is a good part of the work, and a
// second core does it while the first applies records), its checkpoint,
// and the record read ahead, waiting for its turn in event-time order.
type groupFile struct {
	f         *source.File
	r         *zeek.Reader
	cp        store.Checkpoint
	displaced *store.Checkpoint
	sum       FileSummary
	lastRaw   int64

	chunks <-chan []readItem
	chunk  []readItem

	next    zeek.Record
	hasNext bool
	fatal   error
}

// readItem is a record or an error, in stream order.
type readItem struct {
	rec zeek.Record
	err error
}

// readChunk is how many records the read-ahead hands over at once.
const readChunk = 512

// readAhead parses the file in the calling goroutine, sending records in
// chunks until the end of the stream, a fatal error, or done. Each record
// gets its own copy of its event (the reader reuses its own).
func readAhead(r *zeek.Reader, out chan<- []readItem, done <-chan struct{}) {
	defer close(out)
	var conns []event.Conn
	for {
		chunk := make([]readItem, 0, readChunk)
		if cap(conns)-len(conns) < readChunk {
			conns = make([]event.Conn, 0, readChunk)
		}
		end := false
		for len(chunk) < readChunk {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				end = true
				break
			}
			if c, ok := rec.Event.(*event.Conn); ok && err == nil {
				conns = append(conns, *c)
				rec.Event = &conns[len(conns)-1]
			} else if rec.Event != nil {
				rec.Event = event.Clone(rec.Event)
			}
			chunk = append(chunk, readItem{rec, err})
			var recErr *zeek.RecordError
			if err != nil && !errors.As(err, &recErr) {
				end = true // fatal for the stream
				break
			}
		}
		if len(chunk) > 0 {
			select {
			case out <- chunk:
			case <-done:
				return
			}
		}
		if end {
			return
		}
	}
}

// advance takes the file's next good record, counting the bad ones.
func (g *groupFile) advance(in *Ingester, sum *Summary) {
	g.hasNext = false
	for g.fatal == nil {
		if len(g.chunk) == 0 {
			c, ok := <-g.chunks
			if !ok {
				return
			}
			g.chunk = c
		}
		it := g.chunk[0]
		g.chunk = g.chunk[1:]
		if it.err != nil {
			var recErr *zeek.RecordError
			if errors.As(it.err, &recErr) {
				g.sum.Read++
				g.sum.Rejected++
				g.cp.Rejected++
				in.opts.Metrics.addRecords(it.rec.Path, "rejected", 1)
				sum.addError(in.opts.MaxErrors, it.err.Error())
				in.opts.Logger.Debug("rejected record", "error", it.err)
				continue
			}
			g.fatal = it.err
			return
		}
		g.next, g.hasNext = it.rec, true
		return
	}
}

// position is how far the file has been applied: up to the record read
// ahead, or, once the read-ahead has ended, to where the reader stopped.
func (g *groupFile) position() (offset, line int64) {
	if g.hasNext {
		return g.next.Pos.Offset, g.next.Pos.Line - 1
	}
	return g.r.Offset(), g.r.Line()
}

// recordTime orders records; records of log types without a modelled event
// change no state and go first.
func recordTime(rec *zeek.Record) time.Time {
	if rec.Event == nil {
		return time.Time{}
	}
	return rec.Event.Time()
}

// openGroupFile opens a log and finds where to resume it.
func (in *Ingester) openGroupFile(ctx context.Context, path string) (*groupFile, error) {
	f, err := source.Open(path)
	if err != nil {
		return nil, err
	}
	head, err := f.Head()
	if err != nil {
		f.Close()
		return nil, err
	}
	cp, displaced, err := in.resumePoint(ctx, path, head)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: checkpoint: %w", path, err)
	}
	cp.Source = path
	cp.HeadLen = len(head)
	cp.HeadHash = source.HashHead(head, len(head))
	g := &groupFile{f: f, cp: cp, displaced: displaced, sum: FileSummary{Path: path, ResumedAt: cp.Offset}}
	g.r = zeek.NewReader(f, path, zeek.Options{StartOffset: cp.Offset, StartLine: cp.Line, HoldIncomplete: true})
	return g, nil
}

// ingestGroup reads the logs of one group merged by event time. A file
// that cannot be opened or read to its end counts as one rejected record
// (what it still holds did not land) and the others go on; only a failed
// commit or a canceled context stops the run.
func (in *Ingester) ingestGroup(ctx context.Context, paths []string, sum *Summary) error {
	var files []*groupFile
	done := make(chan struct{})
	var readers sync.WaitGroup
	defer func() {
		// Stop the read-aheads before closing their files.
		close(done)
		readers.Wait()
		// Whatever ended the group, each file's counts go in the summary.
		for _, g := range files {
			g.f.Close()
			if g.r.HeldBack() {
				sum.HeldBack = append(sum.HeldBack, fmt.Sprintf("%s:%d", g.sum.Path, g.r.Line()+1))
			}
			sum.Read += g.sum.Read
			sum.Accepted += g.sum.Accepted
			sum.Rejected += g.sum.Rejected
			if g.fatal != nil {
				g.sum.Failed = true
				sum.Rejected++
				sum.addError(in.opts.MaxErrors, g.fatal.Error())
			}
			sum.Files = append(sum.Files, g.sum)
		}
	}()
	for _, path := range paths {
		g, err := in.openGroupFile(ctx, path)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			sum.Files = append(sum.Files, FileSummary{Path: path, Failed: true})
			sum.Rejected++
			sum.addError(in.opts.MaxErrors, err.Error())
			continue
		}
		files = append(files, g)
	}
	if len(files) == 0 {
		return nil
	}

	inv := in.opts.Inventory
	pending := 0
	byLog := map[string]int64{}
	reportProgress := func() {
		if p := in.opts.Progress; p != nil {
			for _, g := range files {
				n := g.f.RawRead()
				p.Add(n - g.lastRaw)
				g.lastRaw = n
			}
		}
	}
	commit := func() error {
		ch := inv.Flush()
		b := &store.Batch{Devices: ch.Devices, DeleteDevices: ch.Deleted, Leases: ch.Leases,
			Sightings: sightings(ch.Sightings)}
		now := in.opts.Now().UTC()
		for _, g := range files {
			g.cp.Offset, g.cp.Line = g.position()
			g.cp.Updated = now
			b.Checkpoints = append(b.Checkpoints, g.cp)
			if g.displaced != nil {
				b.Checkpoints = append(b.Checkpoints, *g.displaced)
			}
		}
		if an := in.opts.Analysis; an != nil {
			if err := an.flush(inv, ch.Merged, b); err != nil {
				return fmt.Errorf("%w: %s: %w", errCommit, paths[0], err)
			}
		}
		start := time.Now()
		if err := in.opts.Store.Commit(ctx, b); err != nil {
			return fmt.Errorf("%w: %s: %w", errCommit, paths[0], err)
		}
		for _, g := range files {
			g.displaced = nil
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

	for _, g := range files {
		ch := make(chan []readItem, 4)
		g.chunks = ch
		readers.Go(func() { readAhead(g.r, ch, done) })
	}
	for _, g := range files {
		g.advance(in, sum)
	}
	for {
		// The file whose record read ahead is the earliest goes next; ties
		// go to the first file in read order (DHCP, DNS, TLS, the rest).
		var cur *groupFile
		var curTime time.Time
		for _, g := range files {
			if !g.hasNext {
				continue
			}
			if t := recordTime(&g.next); cur == nil || t.Before(curTime) {
				cur, curTime = g, t
			}
		}
		if cur == nil {
			break
		}
		rec := cur.next
		cur.sum.Read++
		cur.sum.Accepted++
		cur.cp.Records++
		pending++
		byLog[rec.Path]++
		if rec.Event != nil {
			inv.Apply(rec.Event)
			if an := in.opts.Analysis; an != nil {
				an.apply(inv, rec.Event, rec.Pos)
			}
		}
		cur.advance(in, sum)
		if pending >= in.opts.BatchSize || inv.Dirty() >= in.opts.MaxDirty || in.analysisDirty() >= in.opts.MaxDirty {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := commit(); err != nil {
				return err
			}
		}
	}
	if err := commit(); err != nil {
		return err
	}
	if p := in.opts.Progress; p != nil {
		for _, g := range files {
			p.Add(g.f.Size - g.lastRaw)
		}
	}
	return nil
}
