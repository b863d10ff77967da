package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/api"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/pipeline"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newServeCommand(g *globals) *cobra.Command {
	var (
		listen string
		watch  string
		every  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the REST API, /healthz and Prometheus /metrics; optionally ingest CloudTrail files as they arrive",
		Long: `serve runs the REST API. With --watch-cloudtrail DIR it also looks into DIR (an S3 delivery
tree synchronised to disk, or any folder CloudTrail files land in) every --every and ingests
the new files and the new events of grown ones, exactly as vigil ingest cloudtrail does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			if cmd.Flags().Changed("listen") {
				s.cfg.Serve.Listen = listen
			}
			ctx := contextOf(cmd)
			log := newLogger(s.cfg.LogLevel, true)
			if watch != "" {
				w, err := newCloudTrailWatcher(ctx, s, watch, log)
				if err != nil {
					return err
				}
				go w.run(ctx, every)
			}
			return serve(ctx, s.cfg.Serve.Listen, s.store, log, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on (env VIGIL_SERVE_LISTEN; default 127.0.0.1:8080)")
	cmd.Flags().StringVar(&watch, "watch-cloudtrail", "", "folder to ingest CloudTrail files from as they arrive")
	cmd.Flags().DurationVar(&every, "every", 30*time.Second, "how often to look into --watch-cloudtrail")
	return cmd
}

// cloudTrailWatcher ingests the CloudTrail files of a folder as they
// arrive: each pass is an ordinary exactly-once ingest, so a file already
// read costs only its checkpoint lookup.
type cloudTrailWatcher struct {
	dir  string
	ing  *pipeline.Ingester
	opts pipeline.CloudTrailOptions
	log  *slog.Logger
}

func newCloudTrailWatcher(ctx context.Context, s *session, dir string, log *slog.Logger) (*cloudTrailWatcher, error) {
	rules, notes, err := cloudRules(s.cfg)
	for _, n := range notes {
		log.Warn(n)
	}
	if err != nil {
		return nil, err
	}
	existing, err := s.store.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		return nil, err
	}
	ing, err := pipeline.New(pipeline.Options{Store: s.store, Inventory: emptyInventory(), BatchSize: s.cfg.Ingest.BatchSize, Logger: log})
	if err != nil {
		return nil, err
	}
	return &cloudTrailWatcher{dir: dir, ing: ing, log: log,
		opts: pipeline.CloudTrailOptions{Rules: rules, Alerts: detect.New(existing)}}, nil
}

func (w *cloudTrailWatcher) run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		sum, err := w.ing.CloudTrail(ctx, []string{w.dir}, w.opts)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Error("cloudtrail watch", "dir", w.dir, "error", err)
		case sum != nil && sum.Read > 0:
			w.log.Info("cloudtrail watch", "dir", w.dir, "events", sum.Accepted, "rejected", sum.Rejected)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// serve runs the HTTP server until ctx is cancelled, printing its URL to out.
func serve(ctx context.Context, addr string, st store.Store, log *slog.Logger, out io.Writer) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.NewHandler(api.Options{Store: st, Gatherer: reg, Logger: log}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(out, "Vigil is serving on http://%s/  (devices: http://%s/api/v1/devices)\n", ln.Addr(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
