package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/simulate"
)

func newDemoCommand(g *globals) *cobra.Command {
	var (
		listen string
		opts   simulate.Options
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Simulate a hospital, ingest it and serve the inventory on localhost",
		Long: `demo writes the Zeek logs of a synthetic hospital into a temporary folder, ingests them
into a fresh SQLite database there (unless --db is given), and serves the API until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tmp, err := os.MkdirTemp("", "vigil-demo-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			if g.db == "" {
				g.db = "sqlite:" + filepath.Join(tmp, "vigil.db")
			}
			ctx := contextOf(cmd)
			out := cmd.OutOrStdout()
			simDir := filepath.Join(tmp, "hospital")
			fmt.Fprintf(out, "simulating %d devices over %d hours (seed %d) into %s\n", opts.Devices, opts.Hours, opts.Seed, simDir)
			if _, err := simulate.Run(ctx, simDir, opts); err != nil {
				return err
			}
			s, err := g.open(cmd, true)
			if err != nil {
				return err
			}
			defer s.Close()
			if cmd.Flags().Changed("listen") {
				s.cfg.Serve.Listen = listen
			}
			ing, err := s.ingester(ctx, nil)
			if err != nil {
				return err
			}
			sum, err := ing.Zeek(ctx, []string{filepath.Join(simDir, simulate.LogDir)})
			if err != nil {
				return err
			}
			printSummary(out, sum, s.inv.Len())
			return serve(ctx, s.cfg.Serve.Listen, s.store, newLogger(s.cfg.LogLevel, true), out)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on (default 127.0.0.1:8080)")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed")
	cmd.Flags().IntVar(&opts.Devices, "devices", 200, "number of devices")
	cmd.Flags().IntVar(&opts.Hours, "hours", 24, "hours of event time")
	return cmd
}
