package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/simulate"
)

func newSimulateCommand() *cobra.Command {
	var (
		out  string
		opts simulate.Options
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
"attacks" in truth.json; nothing in the logs marks them.`,
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
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed")
	cmd.Flags().IntVar(&opts.Devices, "devices", 200, "number of devices")
	cmd.Flags().IntVar(&opts.Hours, "hours", 24, "hours of event time")
	cmd.Flags().StringSliceVar(&opts.Attacks, "attacks", nil, "attack scenarios to add, comma-separated, or all ("+strings.Join(simulate.AttackNames, ", ")+")")
	cmd.Flags().DurationVar(&opts.Learning, "learning", 0, "attack-free span before the attacks start (default: 3/4 of --hours)")
	return cmd
}
