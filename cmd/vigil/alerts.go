package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/api"
	"github.com/vigil-iomt/vigil/internal/attack"
	"github.com/vigil-iomt/vigil/internal/feeds"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newAlertsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List, show and triage alerts",
	}
	var format string
	var filter func(string) string
	list := &cobra.Command{
		Use:   "list",
		Short: "List alerts, most recent first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := api.AlertQuery(filter)
			if err != nil {
				return err
			}
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			alerts, err := s.store.Alerts(contextOf(cmd), q)
			if err != nil {
				return err
			}
			return writeAlerts(cmd.OutOrStdout(), format, alerts)
		},
	}
	list.Flags().StringVar(&format, "format", "table", "output format: table or json")
	filter = filterFlags(list, [][2]string{
		{"device", "only alerts on this device ID"},
		{"detector", "only alerts from this detector"},
		{"severity", "only alerts at least this severe: info, low, medium, high, critical"},
		{"status", "only alerts in this status: open, acknowledged, resolved, suppressed"},
		{"since", "only alerts last seen at or after this event time (RFC 3339 or 2006-01-02)"},
		{"until", "only alerts last seen before this event time"},
		{"limit", "at most this many alerts"},
	})

	var showFormat string
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one alert with its evidence and history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			a, err := s.store.Alert(contextOf(cmd), args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no alert with id %q (see vigil alerts list)", args[0])
			}
			if err != nil {
				return err
			}
			switch showFormat {
			case "json":
				return writeJSON(cmd.OutOrStdout(), a)
			case "text":
				catalog, err := feeds.Catalog(s.cfg.Feeds.Dir)
				if err != nil {
					return err
				}
				return writeAlertText(cmd.OutOrStdout(), a, catalog)
			default:
				return fmt.Errorf("--format %q: want text or json", showFormat)
			}
		},
	}
	show.Flags().StringVar(&showFormat, "format", "text", "output format: text or json")
	cmd.AddCommand(list, show,
		newStatusCommand(g, "ack", "Acknowledge an alert: someone is on it", alert.Acknowledged),
		newStatusCommand(g, "resolve", "Resolve an alert", alert.Resolved),
		newStatusCommand(g, "suppress", "Suppress an alert: a known, accepted behaviour", alert.Suppressed),
		newStatusCommand(g, "reopen", "Reopen an alert", alert.Open),
	)
	return cmd
}

func newStatusCommand(g *globals, name, short string, to alert.Status) *cobra.Command {
	var by, note string
	cmd := &cobra.Command{
		Use:   name + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			change := alert.StatusChange{At: time.Now().UTC(), To: to, By: by, Note: note}
			err = s.store.SetAlertStatus(contextOf(cmd), args[0], change)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no alert with id %q (see vigil alerts list)", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s by %s\n", args[0], to, by)
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", os.Getenv("USER"), "who makes the change (recorded in the alert's history)")
	cmd.Flags().StringVar(&note, "note", "", "why (recorded in the alert's history)")
	return cmd
}

func writeAlerts(w io.Writer, format string, alerts []alert.Alert) error {
	switch format {
	case "json":
		if alerts == nil {
			alerts = []alert.Alert{}
		}
		return writeJSON(w, alerts)
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLAST SEEN\tSEVERITY\tSTATUS\tCOUNT\tDEVICE\tDETECTOR\tTITLE")
		for _, a := range alerts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", a.ID, a.LastSeen.Format(time.RFC3339), a.Severity, a.Status,
				a.Count, orDash(a.DeviceID), a.Detector, truncate(a.Title, 60))
		}
		return tw.Flush()
	default:
		return fmt.Errorf("--format %q: want table or json", format)
	}
}

func writeAlertText(w io.Writer, a alert.Alert, catalog *attack.Catalog) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("id", a.ID)
	row("title", a.Title)
	row("severity", a.Severity.String())
	row("status", string(a.Status))
	row("device", orDash(a.DeviceID))
	row("detector", a.Detector)
	row("occurrences", fmt.Sprintf("%d, %s … %s", a.Count, a.FirstSeen.Format(time.RFC3339), a.LastSeen.Format(time.RFC3339)))
	row("explanation", a.Explanation)
	for _, id := range a.Attack {
		if t, ok := catalog.Technique(id); ok {
			row("ATT&CK", fmt.Sprintf("%s %s (%s, %s)", id, t.Name, t.Matrix, strings.Join(t.Tactics, ", ")))
		} else {
			row("ATT&CK", id)
		}
	}
	for _, id := range a.D3FEND {
		if c, ok := catalog.Countermeasure(id); ok {
			row("D3FEND", id+" "+c.Name)
		} else {
			row("D3FEND", id)
		}
	}
	for _, e := range a.Evidence {
		line := e.Kind + ": " + e.Summary
		if e.Source != "" {
			line += " (" + e.Source + ")"
		}
		row("evidence", line)
	}
	for _, h := range a.History {
		line := fmt.Sprintf("%s %s → %s by %s", h.At.Format(time.RFC3339), h.From, h.To, h.By)
		if h.Note != "" {
			line += ": " + h.Note
		}
		row("history", line)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// filterFlags registers a string flag per (name, help) and returns a
// getter of their values by name: the shape the API's query parsers
// (api.AlertQuery, api.FindingQuery) read, so that the CLI and the API
// filter the same way.
func filterFlags(cmd *cobra.Command, specs [][2]string) func(string) string {
	values := make(map[string]*string, len(specs))
	for _, sp := range specs {
		values[sp[0]] = cmd.Flags().String(sp[0], "", sp[1])
	}
	return func(name string) string {
		if v := values[name]; v != nil {
			return *v
		}
		return ""
	}
}
