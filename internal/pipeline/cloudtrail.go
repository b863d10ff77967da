package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/ingest/cloudtrail"
	"github.com/vigil-iomt/vigil/internal/ingest/source"
	"github.com/vigil-iomt/vigil/internal/store"
)

// EventRules judge cloud audit events (detect.SigmaRules): Judge raises
// on alerts what one event matched. What they keep from one event to the
// next (open correlation windows) is encoded by State, committed with
// every batch, and given back to Restore when ingestion starts: windows
// span files, runs and restarts, and a run killed mid-batch continues
// from the windows of its last commit.
type EventRules interface {
	Judge(ev cloudtrail.Event, alerts *detect.Engine)
	State() ([]byte, error)
	Restore(doc []byte) error
}

// cloudRulesState names the stored state of the cloud rules.
const cloudRulesState = "sigma-correlations"

// CloudTrailOptions configure CloudTrail ingestion.
type CloudTrailOptions struct {
	// Rules, when set, judge every event; their occurrences become alerts
	// committed with the batch that read the event.
	Rules EventRules
	// Alerts continues the stored alerts (required with Rules).
	Alerts *detect.Engine
}

// CloudTrail ingests CloudTrail logs — files or folder trees in the S3
// delivery layout — exactly once: each file's position and the alerts its
// events raised are committed together, one transaction per batch.
func (in *Ingester) CloudTrail(ctx context.Context, paths []string, opts CloudTrailOptions) (*Summary, error) {
	files, err := cloudtrail.Expand(paths)
	if err != nil {
		return nil, err
	}
	if opts.Rules != nil {
		if err := in.restoreCloudRules(ctx, opts.Rules); err != nil {
			return nil, err
		}
	}
	sum := &Summary{ByLog: map[string]int64{}}
	if p := in.opts.Progress; p != nil {
		p.Start(totalSize(files))
		defer p.Finish()
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		fs, err := in.ingestCloudTrailFile(ctx, path, opts, sum)
		sum.Files = append(sum.Files, fs)
		sum.Read += fs.Read
		sum.Accepted += fs.Accepted
		sum.Rejected += fs.Rejected
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errCommit) {
				return sum, err
			}
			sum.Rejected++
			sum.addError(in.opts.MaxErrors, err.Error())
		}
	}
	return sum, nil
}

// restoreCloudRules gives the rules the state committed last. A stored
// state they cannot read (written by another version) is set aside with a
// warning: the windows start empty.
func (in *Ingester) restoreCloudRules(ctx context.Context, rules EventRules) error {
	doc, err := in.opts.Store.State(ctx, cloudRulesState)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("correlation windows: %w", err)
	}
	if err := rules.Restore(doc.Doc); err != nil {
		in.opts.Logger.Warn("stored correlation windows not continued", "err", err)
	}
	return nil
}

func (in *Ingester) ingestCloudTrailFile(ctx context.Context, path string, opts CloudTrailOptions, sum *Summary) (FileSummary, error) {
	fs := FileSummary{Path: path}
	f, err := source.Open(path)
	if err != nil {
		fs.Failed = true
		return fs, err
	}
	defer f.Close()
	head, err := f.Head()
	if err != nil {
		fs.Failed = true
		return fs, err
	}
	cp, displaced, err := in.resumePoint(ctx, path, head)
	if err != nil {
		fs.Failed = true
		return fs, fmt.Errorf("%s: checkpoint: %w", path, err)
	}
	cp.Source, cp.HeadLen, cp.HeadHash = path, len(head), source.HashHead(head, len(head))
	fs.ResumedAt = cp.Offset
	// Line holds the number of events read, for CloudTrail files.
	r := cloudtrail.NewReader(f, path, cloudtrail.Options{StartOffset: cp.Offset, StartIndex: cp.Line})
	var lastRaw int64
	pending := 0
	commit := func() error {
		cp.Offset, cp.Line = r.Offset(), r.Index()
		cp.Updated = in.opts.Now().UTC()
		b := &store.Batch{Checkpoints: []store.Checkpoint{cp}}
		if displaced != nil {
			b.Checkpoints = append(b.Checkpoints, *displaced)
		}
		if opts.Rules != nil {
			doc, err := opts.Rules.State()
			if err != nil {
				return fmt.Errorf("%s: correlation windows: %w", path, err)
			}
			b.States = []store.StateDoc{{Name: cloudRulesState, Doc: doc}}
		}
		if opts.Alerts != nil {
			// Cloud alerts concern accounts, not inventory devices: they
			// are described as the rules wrote them.
			whole, counted := opts.Alerts.Flush(func(string) (detect.Device, bool) { return detect.Device{}, false })
			addAlerts(b, whole, counted)
		}
		if err := in.opts.Store.Commit(ctx, b); err != nil {
			return fmt.Errorf("%w: %s: %w", errCommit, path, err)
		}
		displaced = nil
		pending = 0
		if p := in.opts.Progress; p != nil {
			n := f.RawRead()
			p.Add(n - lastRaw)
			lastRaw = n
		}
		if in.opts.AfterCommit != nil {
			in.opts.AfterCommit()
		}
		return nil
	}
	var fatal error
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var recErr *cloudtrail.RecordError
			if errors.As(err, &recErr) {
				fs.Read++
				fs.Rejected++
				cp.Rejected++
				pending++
				sum.addError(in.opts.MaxErrors, err.Error())
				continue
			}
			fatal = err
			break
		}
		fs.Read++
		fs.Accepted++
		cp.Records++
		pending++
		sum.ByLog["cloudtrail"]++
		if opts.Rules != nil {
			opts.Rules.Judge(ev, opts.Alerts)
		}
		if pending >= in.opts.BatchSize {
			if err := ctx.Err(); err != nil {
				return fs, err
			}
			if err := commit(); err != nil {
				return fs, err
			}
		}
	}
	if err := commit(); err != nil {
		return fs, err
	}
	if p := in.opts.Progress; p != nil {
		p.Add(f.Size - lastRaw)
	}
	if fatal != nil {
		fs.Failed = true
		return fs, fatal
	}
	return fs, nil
}
