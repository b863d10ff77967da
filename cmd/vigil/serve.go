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
	"github.com/vigil-iomt/vigil/internal/store"
)

func newServeCommand(g *globals) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the REST API, /healthz and Prometheus /metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := g.load(cmd)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("listen") {
				cfg.Serve.Listen = listen
			}
			log := newLogger(cfg.LogLevel, true)
			ctx := contextOf(cmd)
			st, err := openStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer st.Close()
			return serve(ctx, cfg.Serve.Listen, st, log, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on (env VIGIL_SERVE_LISTEN; default 127.0.0.1:8080)")
	return cmd
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
