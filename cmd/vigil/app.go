package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/fingerprints"
	"github.com/vigil-iomt/vigil/internal/config"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/oui"
	"github.com/vigil-iomt/vigil/internal/pipeline"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/store/postgres"
	"github.com/vigil-iomt/vigil/internal/store/sqlite"
)

// session is what a command that works on the database opens: the
// configuration, a logger, the store and, when asked for, the inventory
// loaded from it.
type session struct {
	cfg   config.Config
	log   *slog.Logger
	store store.Store
	inv   *inventory.Inventory
}

// open loads the configuration and opens the store; with withInventory it
// also loads the inventory. The caller closes the session.
func (g *globals) open(cmd *cobra.Command, withInventory bool) (*session, error) {
	cfg, log, err := g.load(cmd)
	if err != nil {
		return nil, err
	}
	ctx := contextOf(cmd)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, log: log, store: st}
	if withInventory {
		if s.inv, err = openInventory(ctx, cfg, st, log); err != nil {
			st.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *session) Close() error { return s.store.Close() }

// ingester returns a pipeline over the session's store and inventory,
// with the baselines and alerts loaded from the store.
func (s *session) ingester(ctx context.Context, progress pipeline.Progress) (*pipeline.Ingester, error) {
	opts := pipeline.AnalysisOptions{Learning: time.Duration(s.cfg.Baseline.Learning)}
	if s.cfg.Policy.Path != "" {
		p, err := policy.Load(s.cfg.Policy.Path)
		if err != nil {
			return nil, err
		}
		opts.Policy = p
	}
	an, err := pipeline.LoadAnalysis(ctx, s.store, s.inv, opts)
	if err != nil {
		return nil, err
	}
	return pipeline.New(pipeline.Options{Store: s.store, Inventory: s.inv, Analysis: an, BatchSize: s.cfg.Ingest.BatchSize,
		Logger: s.log, Metrics: pipeline.NewMetrics(prometheus.NewRegistry()), Progress: progress})
}

// openStore opens the configured database backend.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (store.Store, error) {
	kind, target, err := config.ParseDB(cfg.DB)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "sqlite":
		return sqlite.Open(ctx, target, sqlite.Options{Logger: log})
	default:
		return postgres.Open(ctx, target, postgres.Options{Logger: log})
	}
}

// openInventory builds the inventory with the OUI registry and the
// fingerprint corpus, and loads its state from st.
func openInventory(ctx context.Context, cfg config.Config, st store.Store, log *slog.Logger) (*inventory.Inventory, error) {
	nets, err := cfg.InternalNetworks()
	if err != nil {
		return nil, err
	}
	opts := inventory.Options{Internal: nets, Logger: log}
	vendors, err := loadOUI(cfg.OUI.Paths, log)
	if err != nil {
		return nil, err
	}
	if vendors != nil {
		opts.Vendors = vendors
	}
	corpus, err := loadFingerprints(cfg.Fingerprints.Dir)
	if err != nil {
		return nil, err
	}
	opts.Classifier = corpus
	inv, err := inventory.New(opts)
	if err != nil {
		return nil, err
	}
	devices, err := st.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		return nil, fmt.Errorf("load devices: %w", err)
	}
	leases, err := st.Leases(ctx)
	if err != nil {
		return nil, fmt.Errorf("load leases: %w", err)
	}
	inv.Load(devices, leases)
	return inv, nil
}

// loadOUI reads the OUI registry. Missing default paths only warn: the
// inventory works without vendor names.
func loadOUI(paths []string, log *slog.Logger) (*oui.Registry, error) {
	var present []string
	for _, p := range paths {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			log.Warn("OUI registry not found; vendors will not be resolved (install Debian's ieee-data or set oui.paths)", "path", p)
			continue
		}
		present = append(present, p)
	}
	if len(present) == 0 {
		return nil, nil
	}
	reg, err := oui.Load(present...)
	if err != nil {
		return nil, fmt.Errorf("OUI registry: %w", err)
	}
	return reg, nil
}

// loadFingerprints loads the built-in corpus, plus the rules in dir when set.
func loadFingerprints(dir string) (*fingerprint.Corpus, error) {
	fsys := []fs.FS{fingerprints.FS}
	if dir != "" {
		fsys = append(fsys, os.DirFS(dir))
	}
	c, err := fingerprint.Load(fsys...)
	if err != nil {
		return nil, fmt.Errorf("fingerprints: %w", err)
	}
	return c, nil
}
