package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/pipeline"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newIngestCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Read telemetry into the inventory",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "zeek PATH...",
		Short: "Ingest Zeek logs (TSV or JSON, plain or gzip, files or folders)",
		Long: `Ingest Zeek logs: conn, dhcp, dns, ssl, x509, software, known_hosts and known_services
feed the inventory; other log types are read, validated and counted. Folders are
walked recursively. Each file's progress is checkpointed with the state it produced,
so re-running adds nothing and a grown file resumes where it stopped.

Exit status: 0 when every record was accepted, 2 when some were rejected, 1 on error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, true)
			if err != nil {
				return err
			}
			defer s.Close()
			var progress pipeline.Progress
			if term.IsTerminal(int(os.Stderr.Fd())) {
				progress = &progressBar{}
			}
			ing, err := s.ingester(contextOf(cmd), progress)
			if err != nil {
				return err
			}
			ctx := contextOf(cmd)
			sum, err := ing.Zeek(ctx, args)
			if sum != nil {
				printSummary(cmd.OutOrStdout(), sum, s.inv.Len())
			}
			if err != nil {
				return err
			}
			if sum.Rejected > 0 {
				return errRejected
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "cloudtrail PATH...",
		Short: "Ingest AWS CloudTrail logs and raise alerts from Sigma rules",
		Long: `Ingest AWS CloudTrail logs — delivery files ({"Records":[...]}), JSON arrays or one event per
line, plain or gzip, files or folder trees in the S3 delivery layout (digest files skipped)
— and evaluate Vigil's built-in cloud rules plus the rules of sigma.rules (e.g. SigmaHQ's
CloudTrail rules) over every event. Matches become alerts (detector sigma:RULE-ID), one per
rule and principal, de-duplicated like the network alerts and committed with each file's
position: re-running reads nothing new, an interrupted run resumes.

Exit status: 0 when every event was accepted, 2 when some were rejected, 1 on error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			var progress pipeline.Progress
			if term.IsTerminal(int(os.Stderr.Fd())) {
				progress = &progressBar{}
			}
			sum, err := ingestCloudTrail(contextOf(cmd), s, args, progress)
			if sum != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "files: %d  events read: %d  accepted: %d  rejected: %d\n", len(sum.Files), sum.Read, sum.Accepted, sum.Rejected)
				for _, e := range sum.Errors {
					fmt.Fprintf(cmd.OutOrStdout(), "  %s\n", e)
				}
			}
			if err != nil {
				return err
			}
			if sum.Rejected > 0 {
				return errRejected
			}
			return nil
		},
	})
	return cmd
}

// ingestCloudTrail ingests CloudTrail files or folders with the rules the
// configuration gives, continuing the stored alerts.
func ingestCloudTrail(ctx context.Context, s *session, paths []string, progress pipeline.Progress) (*pipeline.Summary, error) {
	rules, notes, err := cloudRules(s.cfg)
	for _, n := range notes {
		s.log.Warn(n)
	}
	if err != nil {
		return nil, err
	}
	existing, err := s.store.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		return nil, err
	}
	ing, err := pipeline.New(pipeline.Options{Store: s.store, Inventory: emptyInventory(), BatchSize: s.cfg.Ingest.BatchSize,
		Logger: s.log, Progress: progress})
	if err != nil {
		return nil, err
	}
	return ing.CloudTrail(ctx, paths, pipeline.CloudTrailOptions{Rules: rules, Alerts: detect.New(existing)})
}

// emptyInventory is the inventory of an ingest that has no devices to
// update (cloud audit logs concern accounts, not devices).
func emptyInventory() *inventory.Inventory {
	inv, _ := inventory.New(inventory.Options{})
	return inv
}

func printSummary(w io.Writer, s *pipeline.Summary, devices int) {
	fmt.Fprintf(w, "files: %d  records read: %d  accepted: %d  rejected: %d  devices: %d\n",
		len(s.Files), s.Read, s.Accepted, s.Rejected, devices)
	logs := make([]string, 0, len(s.ByLog))
	for l := range s.ByLog {
		logs = append(logs, l)
	}
	slices.Sort(logs)
	for _, l := range logs {
		fmt.Fprintf(w, "  %-16s %d\n", l, s.ByLog[l])
	}
	for _, h := range s.HeldBack {
		fmt.Fprintf(w, "held back until complete (no newline yet): %s\n", h)
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "first errors:\n")
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// progressBar shows ingest progress in bytes on a terminal.
type progressBar struct {
	bar *progressbar.ProgressBar
}

func (p *progressBar) Start(total int64) {
	p.bar = progressbar.DefaultBytes(total, "ingesting")
}

func (p *progressBar) Add(n int64) {
	if n > 0 {
		_ = p.bar.Add64(n)
	}
}

func (p *progressBar) Finish() {
	_ = p.bar.Finish()
	fmt.Fprintln(os.Stderr)
}
