package main

import (
	"fmt"
	"path/filepath"

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
into OUT/truth.json. The same options always give byte-identical files.`,
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
	return cmd
}
