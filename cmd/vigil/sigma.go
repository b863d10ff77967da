package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/config"
	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/ingest/cloudtrail"
	"github.com/vigil-iomt/vigil/internal/ingest/source"
	"github.com/vigil-iomt/vigil/internal/sigma"
)

// loadRules loads Vigil's built-in cloud rules (unless noBuiltin) and the
// rule files and folders given, and compiles them for CloudTrail. A
// built-in rule whose placeholders the configuration does not give
// (sigma.placeholders) is left out and named in the returned notes.
func loadRules(paths []string, placeholders map[string][]string, noBuiltin bool) (*sigma.Engine, []*sigma.Rule, []string, error) {
	opts := sigma.Options{Logsource: sigma.Logsource{Product: "aws", Service: "cloudtrail"}, Placeholders: placeholders}
	var rules []*sigma.Rule
	var notes []string
	if !noBuiltin {
		rs, err := builtinRules()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("built-in rules: %w", err)
		}
		// A file holds a rule and the correlation counting it: they stand
		// or fall together.
		byFile := map[string][]*sigma.Rule{}
		var files []string
		for _, r := range rs {
			if byFile[r.File] == nil {
				files = append(files, r.File)
			}
			byFile[r.File] = append(byFile[r.File], r)
		}
		for _, f := range files {
			if _, err := sigma.Compile(byFile[f], opts); err != nil {
				notes = append(notes, fmt.Sprintf("built-in rule %s left out: %v", f, err))
				continue
			}
			rules = append(rules, byFile[f]...)
		}
	}
	rs, err := sigma.LoadPaths(paths)
	if err != nil {
		return nil, nil, notes, err
	}
	rules = append(rules, rs...)
	e, err := sigma.Compile(rules, opts)
	if err != nil {
		return nil, rules, notes, err
	}
	return e, rules, notes, nil
}

func newSigmaCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sigma",
		Short: "Check Sigma rules and run them over CloudTrail events",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check RULES...",
		Short: "Parse and compile Sigma rule files and folders; report every problem with its file and line",
		Long: `check parses and compiles the rules (docs/sigma.md). A rule that uses something the engine
does not support is reported by name and feature, never silently passed; the exit status
is then 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, rules, _, err := loadRules(args, nil, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d rules parsed, %d compiled (%d correlations), %d skipped by log source\n",
				len(rules), e.Rules(), e.Correlations(), len(e.Skipped()))
			return nil
		},
	})
	var (
		rulePaths []string
		noBuiltin bool
	)
	run := &cobra.Command{
		Use:   "run [--rules PATH]... FILES...",
		Short: "Evaluate rules over CloudTrail files and print each match as a JSON line",
		Long: `run evaluates Vigil's built-in cloud rules (unless --no-builtin) and the rules of --rules over
the CloudTrail files and folders given (AWS delivery files, arrays, one event per line,
plain or gzip, S3 folder trees), and prints one JSON line per match: rule id, title, level,
event time, event id, tags (and for correlation rules, the group and window). It reads no
database and raises no alert: vigil ingest cloudtrail does.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := g.load(cmd)
			if err != nil {
				return err
			}
			e, rules, notes, err := loadRules(append(rulePaths, cfg.Sigma.Rules...), cfg.Sigma.Placeholders, noBuiltin)
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
			}
			if err != nil {
				return err
			}
			return runRules(cmd.OutOrStdout(), e, rules, args)
		},
	}
	run.Flags().StringArrayVar(&rulePaths, "rules", nil, "rule file or folder (repeat)")
	run.Flags().BoolVar(&noBuiltin, "no-builtin", false, "leave out Vigil's built-in cloud rules")
	cmd.AddCommand(run)
	return cmd
}

// matchLine is one line of sigma run's output.
type matchLine struct {
	RuleID    string            `json:"rule_id"`
	Title     string            `json:"title"`
	Level     string            `json:"level"`
	EventTime time.Time         `json:"event_time,omitzero"`
	EventID   string            `json:"event_id,omitempty"`
	Tags      []string          `json:"tags"`
	Source    string            `json:"source,omitempty"`
	Group     map[string]string `json:"group,omitempty"`
	Count     int               `json:"count,omitempty"`
	Start     time.Time         `json:"window_start,omitzero"`
}

func runRules(w io.Writer, e *sigma.Engine, rules []*sigma.Rule, paths []string) error {
	counted := map[string]bool{}
	for _, r := range rules {
		if r.Correlation != nil {
			for _, ref := range r.Correlation.Rules {
				counted[ref] = true
			}
		}
	}
	files, err := cloudtrail.Expand(paths)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	corr := e.NewCorrelator()
	emitCorr := func(cs []sigma.CorrelationMatch) error {
		for _, c := range cs {
			if err := enc.Encode(matchLine{RuleID: c.RuleID, Title: c.Title, Level: c.Level, EventTime: c.End, Tags: nonNilStrings(c.Tags),
				Group: c.Group, Count: c.Count, Start: c.Start}); err != nil {
				return err
			}
		}
		return nil
	}
	var bad []string
	for _, path := range files {
		f, err := source.Open(path)
		if err != nil {
			return err
		}
		r := cloudtrail.NewReader(f, path, cloudtrail.Options{})
		for {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if _, ok := err.(*cloudtrail.RecordError); ok {
					bad = append(bad, err.Error())
					continue
				}
				f.Close()
				return err
			}
			for _, m := range e.MatchValue(nil, ev.Value) {
				if m.Rule != nil && (counted[m.Rule.ID] || counted[m.Rule.Name]) {
					if err := emitCorr(corr.Add(m)); err != nil {
						f.Close()
						return err
					}
					continue
				}
				if err := enc.Encode(matchLine{RuleID: m.RuleID, Title: m.Title, Level: m.Level, EventTime: m.Time, EventID: m.EventID,
					Tags: nonNilStrings(m.Tags), Source: ev.Pos.String()}); err != nil {
					f.Close()
					return err
				}
				if err := emitCorr(corr.Add(m)); err != nil {
					f.Close()
					return err
				}
			}
		}
		f.Close()
	}
	if err := emitCorr(corr.Flush()); err != nil {
		return err
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(w, "rejected: "+b)
		}
		return errRejected
	}
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// cloudRules returns the judge of cloud events the configuration asks
// for, and notes on built-in rules left out.
func cloudRules(cfg config.Config) (*detect.SigmaRules, []string, error) {
	e, rules, notes, err := loadRules(cfg.Sigma.Rules, cfg.Sigma.Placeholders, false)
	if err != nil {
		return nil, notes, err
	}
	return detect.NewSigmaRules(e, rules), notes, nil
}
