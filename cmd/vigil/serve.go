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
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			if cmd.Flags().Changed("listen") {
				s.cfg.Serve.Listen = listen
			}
			return serve(contextOf(cmd), s.cfg.Serve.Listen, s.store, newLogger(s.cfg.LogLevel, true), cmd.OutOrStdout())
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
