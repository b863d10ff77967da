package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/risk"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newRubricCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rubric",
		Short: "The medical-device CVSS rubric: its questions, and answers per vulnerability and device model",
		Long: `The MITRE rubric for applying CVSS to medical devices scores each base metric through
questions about the device in clinical use (docs/risk.md says where Vigil's copy comes from
and its gaps). Answers are kept per vulnerability and device model, with who answered and
when; vigil vuln assess then decides with the adjusted vector and shows what changed.`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "questions",
		Short: "Print the rubric's questions, their answers and where each leads",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tMETRIC\tQUESTION\tANSWERS")
			for _, q := range risk.Rubric {
				var opts []string
				for _, o := range q.Options {
					to := "→ " + q.Metric + ":" + o.Value
					if o.Next != "" {
						to = "→ " + o.Next
					}
					opts = append(opts, o.Answer+" "+to)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", q.ID, q.Metric, q.Text, strings.Join(opts, "; "))
			}
			return tw.Flush()
		},
	})
	var (
		vendor, model, by, note string
		answers                 []string
	)
	set := &cobra.Command{
		Use:   "set VULNERABILITY --vendor V --model M --answer ID=ANSWER...",
		Short: "Record answers to the rubric for a vulnerability on a device model",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a := risk.Answers{VulnID: args[0], Vendor: vendor, Model: model, Answers: map[string]string{}, By: by, At: time.Now().UTC()}
			for _, kv := range answers {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--answer %q: want QUESTION=ANSWER, e.g. XAVN=yes", kv)
				}
				a.Answers[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			if vendor == "" || model == "" || by == "" || len(a.Answers) == 0 {
				return fmt.Errorf("--vendor, --model, --by and at least one --answer are required")
			}
			if err := a.Validate(); err != nil {
				return err
			}
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			rec := store.RubricRecord{Vulnerability: a.VulnID, Vendor: vendor, Model: model, Answers: a.Answers, By: by, At: a.At, Note: note}
			if err := s.store.Commit(contextOf(cmd), &store.Batch{Rubric: []store.RubricRecord{rec}}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s on %s %s: %d answers recorded by %s; run vigil vuln assess to apply them\n",
				a.VulnID, vendor, model, len(a.Answers), by)
			return nil
		},
	}
	set.Flags().StringVar(&vendor, "vendor", "", "the device model's manufacturer")
	set.Flags().StringVar(&model, "model", "", "the device model")
	set.Flags().StringArrayVar(&answers, "answer", nil, "a rubric answer, QUESTION=ANSWER (repeat)")
	set.Flags().StringVar(&by, "by", os.Getenv("USER"), "who answered")
	set.Flags().StringVar(&note, "note", "", "why")
	cmd.AddCommand(set)
	return cmd
}
