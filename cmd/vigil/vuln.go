package main

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/api"
	"github.com/vigil-iomt/vigil/internal/assess"
	"github.com/vigil-iomt/vigil/internal/policy"
	"github.com/vigil-iomt/vigil/internal/risk"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newVulnCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vuln",
		Short: "Assess and list the vulnerability findings of the fleet",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "assess",
		Short: "Match every device's SBOM and model against the imported advisories, decide each finding's priority",
		Long: `assess matches each device that has a vendor, model and firmware version (from fingerprints or
vigil inventory import) — the SBOM imported for that model version, and the device itself
against vendor (CSAF) advisories — with the imported advisories and VEX statements
(docs/vulnerability-matching.md), and decides each finding's priority with SSVC from KEV,
EPSS, CSAF exploit status, CVSS, the device's criticality and its observed exposure
(docs/risk.md). Findings no longer produced are kept as gone with their patch history.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			opts := assess.Options{}
			if s.cfg.Policy.Path != "" {
				if opts.Policy, err = policy.Load(s.cfg.Policy.Path); err != nil {
					return err
				}
			}
			sum, err := assess.Run(contextOf(cmd), s.store, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "devices assessed: %d (%d without vendor, model and firmware)  products: %d (%d with an SBOM)\n",
				sum.Devices, sum.Unassessed, sum.Products, sum.SBOMs)
			fmt.Fprintf(out, "findings: %d  suppressed by VEX: %d  gone since the last assessment: %d\n", sum.Findings, sum.Suppressed, sum.Gone)
			for _, o := range risk.Outcomes {
				fmt.Fprintf(out, "  %-13s %d\n", o, sum.ByDecision[o])
			}
			return nil
		},
	})
	var format string
	var filter func(string) string
	list := &cobra.Command{
		Use:   "list",
		Short: "List findings, most urgent decision first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := api.FindingQuery(filter)
			if err != nil {
				return err
			}
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			recs, err := s.store.Findings(contextOf(cmd), q)
			if err != nil {
				return err
			}
			return writeFindings(cmd.OutOrStdout(), format, recs)
		},
	}
	list.Flags().StringVar(&format, "format", "table", "output format: table or json")
	filter = filterFlags(list, [][2]string{
		{"device", "only findings on this device ID"},
		{"decision", "only findings with this decision: immediate, out-of-cycle, scheduled, defer"},
		{"vulnerability", "only findings of this advisory ID"},
		{"suppressed", "true: include findings a VEX statement suppresses"},
		{"gone", "true: include findings the last assessment no longer produced"},
		{"limit", "at most this many findings"},
	})
	cmd.AddCommand(list)
	var byModel bool
	var rollFormat string
	rollup := &cobra.Command{
		Use:   "rollup",
		Short: "Risk per device (or per model with --by-model): worst decision, counts, highest CVSS and EPSS, KEV",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			recs, err := s.store.Findings(contextOf(cmd), store.FindingQuery{IncludeSuppressed: true})
			if err != nil {
				return err
			}
			groups, err := assess.RollUp(recs, byModel)
			if err != nil {
				return err
			}
			return writeRollUp(cmd.OutOrStdout(), rollFormat, groups)
		},
	}
	rollup.Flags().BoolVar(&byModel, "by-model", false, "one row per vendor, model and firmware version")
	rollup.Flags().StringVar(&rollFormat, "format", "table", "output format: table or json")
	cmd.AddCommand(newVulnVEXCommand(g), newRubricCommand(g), rollup)
	return cmd
}

func writeFindings(w io.Writer, format string, recs []store.FindingRecord) error {
	rows := make([]assess.Row, 0, len(recs))
	for _, r := range recs {
		row, err := assess.RowOf(r)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DECISION\tDEVICE\tCOMPONENT\tVULNERABILITY\tCVSS\tKEV\tEPSS\tSTATUS\tDUE")
		for _, r := range rows {
			due := "-"
			if !r.Due.IsZero() {
				due = r.Due.Format("2006-01-02")
			}
			kev := ""
			if r.KEV {
				kev = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%.1f\t%s\t%.3f\t%s\t%s\n", r.Decision, r.DeviceName, r.Component, r.Version,
				r.Vulnerability, r.CVSS, kev, r.EPSS, r.Status, due)
		}
		return tw.Flush()
	}
	return fmt.Errorf("--format %q: want table or json", format)
}

func newPatchCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "patch",
		Short: "The patch plan and each finding's patch lifecycle",
	}
	var format string
	plan := &cobra.Command{
		Use:   "plan",
		Short: "Open patch work, most urgent first: decision, criticality, exposure, EPSS, CVSS",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			items, err := assess.Plan(contextOf(cmd), s.store)
			if err != nil {
				return err
			}
			return writePlan(cmd.OutOrStdout(), format, items, time.Now())
		},
	}
	plan.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	var by, note string
	set := &cobra.Command{
		Use:   "set FINDING STATE",
		Short: "Move a finding along available → validated → scheduled → deployed → verified (or not-applicable)",
		Long: `set records a step of a finding's patch lifecycle, with who and why. The steps go in order
(a deployed patch may go back to scheduled); verified needs the device's observed firmware
version to differ from the one the finding was assessed on.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			ctx := contextOf(cmd)
			rec, err := s.store.Finding(ctx, args[0])
			if err != nil {
				return err
			}
			var f assess.Finding
			if err := json.Unmarshal(rec.Doc, &f); err != nil {
				return err
			}
			changed := false
			if d, err := s.store.Device(ctx, rec.DeviceID); err == nil {
				changed = assess.VersionChanged(d, f)
			}
			now := time.Now().UTC()
			next := risk.State(args[1])
			if err := risk.Transition(risk.State(assess.StateOf(rec.State)), next, now, by, changed); err != nil {
				return err
			}
			if err := s.store.SetPatchState(ctx, rec.ID, store.PatchChange{At: now, To: string(next), By: by, Note: note}, time.Time{}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s → %s\n", rec.ID, assess.StateOf(rec.State), next)
			return nil
		},
	}
	set.Flags().StringVar(&by, "by", os.Getenv("USER"), "who")
	set.Flags().StringVar(&note, "note", "", "why")
	cmd.AddCommand(plan, set)
	return cmd
}

func writePlan(w io.Writer, format string, items []risk.PlanItem, now time.Time) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"finding", "device", "vulnerability", "decision", "criticality", "exposure", "epss", "cvss", "state", "opened", "due", "overdue"})
		for _, it := range items {
			due := ""
			if !it.Due.IsZero() {
				due = it.Due.Format(time.RFC3339)
			}
			_ = cw.Write([]string{it.ID, it.DeviceID, it.VulnID, string(it.Outcome), string(it.Criticality), string(it.Exposure),
				strconv.FormatFloat(it.EPSS, 'f', -1, 64), strconv.FormatFloat(it.CVSS, 'f', 1, 64), string(it.State),
				it.Opened.Format(time.RFC3339), due, strconv.FormatBool(it.Overdue(now))})
		}
		cw.Flush()
		return cw.Error()
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tDECISION\tCRITICALITY\tEXPOSURE\tDEVICE\tVULNERABILITY\tEPSS\tCVSS\tSTATE\tDUE")
		for i, it := range items {
			due := "-"
			if !it.Due.IsZero() {
				due = it.Due.Format("2006-01-02")
				if it.Overdue(now) {
					due += " OVERDUE"
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.1f\t%s\t%s\n", i+1, it.Outcome, it.Criticality, it.Exposure,
				it.DeviceID, it.VulnID, it.EPSS, it.CVSS, it.State, due)
		}
		return tw.Flush()
	}
	return errors.New("--format " + strconv.Quote(format) + ": want table, json or csv")
}

func writeRollUp(w io.Writer, format string, groups map[string]risk.DeviceRisk) error {
	keys := slices.Collect(maps.Keys(groups))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(risk.Outcome(groups[b].Worst).Rank(), risk.Outcome(groups[a].Worst).Rank()), cmp.Compare(a, b))
	})
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(groups)
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WORST	IMMEDIATE	OUT-OF-CYCLE	SCHEDULED	DEFER	SUPPRESSED	KEV	MAX CVSS	MAX EPSS	DEVICE OR MODEL")
		for _, k := range keys {
			r := groups[k]
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.3f\t%s\n", orDash(string(r.Worst)), r.Counts[risk.Immediate],
				r.Counts[risk.OutOfCycle], r.Counts[risk.Scheduled], r.Counts[risk.Defer], r.Suppressed, r.KEV, r.MaxCVSS, r.MaxEPSS, k)
		}
		return tw.Flush()
	}
	return fmt.Errorf("--format %q: want table or json", format)
}
