package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-iomt/vigil/internal/simulate"
)

func newSimulateCommand() *cobra.Command {
	var (
		out   string
		opts  simulate.Options
		cloud bool
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Write Zeek logs of a synthetic hospital network (identical for the same seed)",
		Long: `simulate writes the Zeek TSV logs of a synthetic hospital into OUT/zeek/ and the ground
truth of every device (MAC, addresses over time, class, manufacturer, model, firmware)
into OUT/truth.json. The same options always give byte-identical files.

--attacks adds labelled attack scenarios (comma-separated, or "all"): exfiltration,
lateral-movement, c2-beaconing, new-cloud-domain, internal-scan, spoofed-update-server.
They start after --learning (default: three quarters of --hours, so that --hours 192 or
more leaves a 7-day attack-free baseline) and every record they write is listed under
"attacks" in truth.json; nothing in the logs marks them.

--cloud also writes the AWS CloudTrail of the device maker's cloud account over the same
hours into OUT/cloudtrail/ (S3 delivery layout, one gzip file per hour) and its truth into
OUT/cloud-truth.json, and the Sigma placeholders that describe the account into
OUT/vigil-cloud.yaml (vigil --config OUT/vigil-cloud.yaml ingest cloudtrail OUT/cloudtrail);
with --attacks, a takeover by a leaked access key starts when the network attacks do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			truth, err := simulate.Run(contextOf(cmd), out, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote Zeek logs of %d devices over %d h to %s and the ground truth to %s\n",
				len(truth.Devices), opts.Hours, filepath.Join(out, simulate.LogDir), filepath.Join(out, "truth.json"))
			if !cloud {
				return nil
			}
			learning := opts.Learning
			if learning == 0 {
				learning = time.Duration(opts.Hours) * time.Hour * 3 / 4
			}
			ct, err := simulate.CloudRun(contextOf(cmd), out, simulate.CloudOptions{Seed: opts.Seed, Hours: opts.Hours, Start: opts.Start,
				Attack: len(opts.Attacks) > 0, AttackAt: learning.Truncate(time.Hour)})
			if err != nil {
				return err
			}
			// The account's placeholders, as a configuration file for
			// vigil --config to ingest the trail with every built-in rule.
			conf, err := yaml.Marshal(map[string]any{"sigma": map[string]any{"placeholders": ct.Placeholders}})
			if err != nil {
				return err
			}
			confPath := filepath.Join(out, "vigil-cloud.yaml")
			if err := os.WriteFile(confPath, conf, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d CloudTrail events to %s, their truth to %s and the account's rule placeholders to %s\n",
				ct.Events, filepath.Join(out, simulate.CloudDir), filepath.Join(out, simulate.CloudTruthFile), confPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed")
	cmd.Flags().IntVar(&opts.Devices, "devices", 200, "number of devices")
	cmd.Flags().IntVar(&opts.Hours, "hours", 24, "hours of event time")
	cmd.Flags().StringSliceVar(&opts.Attacks, "attacks", nil, "attack scenarios to add, comma-separated, or all ("+strings.Join(simulate.AttackNames, ", ")+")")
	cmd.Flags().DurationVar(&opts.Learning, "learning", 0, "attack-free span before the attacks start (default: 3/4 of --hours)")
	cmd.Flags().BoolVar(&cloud, "cloud", false, "also write the CloudTrail of the device maker's cloud account")
	return cmd
}
