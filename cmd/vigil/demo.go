package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/config"
	"github.com/vigil-iomt/vigil/internal/feeds"
	"github.com/vigil-iomt/vigil/internal/simulate"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newDemoCommand(g *globals) *cobra.Command {
	var (
		listen   string
		opts     simulate.Options
		learning time.Duration
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Simulate an attacked hospital, ingest it, show the alerts and serve the API on localhost",
		Long: `demo writes the Zeek logs of a synthetic hospital into a temporary folder — with the
labelled attacks of --attacks after an attack-free three quarters of --hours — ingests them
into a fresh SQLite database there (unless --db is given) with baselines learning for five
sixths of the attack-free span; then writes the CloudTrail of the device maker's cloud
account over the same hours (with a takeover by a leaked key when there are attacks) and
ingests it with Vigil's cloud rules; prints the alerts raised with their ATT&CK techniques,
D3FEND countermeasures and evidence, and serves the API until interrupted.`,
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
			attackFree := (time.Duration(opts.Hours) * time.Hour * 3 / 4).Truncate(time.Minute)
			opts.Learning = attackFree
			fmt.Fprintf(out, "simulating %d devices over %d hours (seed %d, attacks: %s) into %s\n",
				opts.Devices, opts.Hours, opts.Seed, strings.Join(opts.Attacks, ","), simDir)
			truth, err := simulate.Run(ctx, simDir, opts)
			if err != nil {
				return err
			}
			s, err := g.open(cmd, true)
			if err != nil {
				return err
			}
			defer s.Close()
			switch {
			case cmd.Flags().Changed("learning"):
				s.cfg.Baseline.Learning = config.Duration(learning)
			case os.Getenv("VIGIL_BASELINE_LEARNING") == "":
				s.cfg.Baseline.Learning = config.Duration(attackFree * 5 / 6)
			}
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

			// The device maker's cloud account, attacked at the same time.
			cloudOpts := simulate.CloudOptions{Seed: opts.Seed, Hours: opts.Hours, Start: opts.Start,
				Attack: len(opts.Attacks) > 0, AttackAt: attackFree.Truncate(time.Hour)}
			cloudDir := filepath.Join(tmp, "cloud")
			fmt.Fprintf(out, "simulating the device maker's cloud account (AWS CloudTrail, %d hours) into %s\n", opts.Hours, cloudDir)
			cloud, err := simulate.CloudRun(ctx, cloudDir, cloudOpts)
			if err != nil {
				return err
			}
			if s.cfg.Sigma.Placeholders == nil {
				s.cfg.Sigma.Placeholders = map[string][]string{}
			}
			for k, v := range cloud.Placeholders {
				if _, ok := s.cfg.Sigma.Placeholders[k]; !ok {
					s.cfg.Sigma.Placeholders[k] = v
				}
			}
			csum, err := ingestCloudTrail(ctx, s, []string{filepath.Join(cloudDir, simulate.CloudDir)}, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "cloud files: %d  events read: %d  accepted: %d  rejected: %d\n", len(csum.Files), csum.Read, csum.Accepted, csum.Rejected)
			if err := printDemoAlerts(ctx, out, s, truth, cloud); err != nil {
				return err
			}
			return serve(ctx, s.cfg.Serve.Listen, s.store, newLogger(s.cfg.LogLevel, true), out)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on (default 127.0.0.1:8080)")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed")
	cmd.Flags().IntVar(&opts.Devices, "devices", 200, "number of devices")
	cmd.Flags().IntVar(&opts.Hours, "hours", 96, "hours of event time")
	cmd.Flags().StringSliceVar(&opts.Attacks, "attacks", []string{"all"}, "attack scenarios to add (comma-separated, or all; \"\" for none)")
	cmd.Flags().DurationVar(&learning, "learning", 0, "how long each device's baseline learns (default: 5/6 of the attack-free span)")
	return cmd
}

// printDemoAlerts prints every alert, most severe first, with what it maps
// to and its first evidence, then what the simulator says it did.
func printDemoAlerts(ctx context.Context, w io.Writer, s *session, truth *simulate.Truth, cloud *simulate.CloudTruth) error {
	alerts, err := s.store.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		return err
	}
	catalog, err := feeds.Catalog(s.cfg.Feeds.Dir)
	if err != nil {
		return err
	}
	slices.SortStableFunc(alerts, func(a, b alert.Alert) int { return cmp.Compare(b.Severity, a.Severity) })
	fmt.Fprintf(w, "\n%d alerts (vigil alerts show ID for the whole story):\n", len(alerts))
	for _, a := range alerts {
		fmt.Fprintf(w, "\n%-8s %s  %s\n", a.Severity, a.ID, a.Title)
		var refs []string
		for _, id := range a.Attack {
			if t, ok := catalog.Technique(id); ok {
				id += " " + t.Name
			}
			refs = append(refs, id)
		}
		fmt.Fprintf(w, "         ATT&CK: %s\n", strings.Join(refs, "; "))
		refs = refs[:0]
		for _, id := range a.D3FEND {
			if c, ok := catalog.Countermeasure(id); ok {
				id += " " + c.Name
			}
			refs = append(refs, id)
		}
		fmt.Fprintf(w, "         D3FEND: %s\n", strings.Join(refs, "; "))
		for _, e := range a.Evidence {
			fmt.Fprintf(w, "         %s: %s\n", e.Kind, e.Summary)
			if e.Kind == "event" {
				break // the first record; the baseline or rule follows
			}
		}
		for _, e := range a.Evidence {
			if e.Kind != "event" {
				fmt.Fprintf(w, "         %s: %s\n", e.Kind, e.Summary)
			}
		}
	}
	if len(truth.Attacks) > 0 {
		fmt.Fprintf(w, "\nwhat the simulator did (truth.json):\n")
		for _, a := range truth.Attacks {
			fmt.Fprintf(w, "  %-22s %s  %s\n", a.Name, a.Start.Format(time.RFC3339), a.Detail)
		}
	}
	if a := cloud.Attack; a != nil {
		fmt.Fprintf(w, "\nin the cloud (%s), with the leaked key %s from %s:\n", simulate.CloudTruthFile, a.Principal, a.SourceIP)
		for _, st := range a.Steps {
			events := "events"
			if st.Events == 1 {
				events = "event"
			}
			fmt.Fprintf(w, "  %-10s %s  %s (%d %s)\n", st.Technique, st.At.Format(time.RFC3339), st.Name, st.Events, events)
		}
	}
	fmt.Fprintln(w)
	return nil
}
