package main

import (
	"bufio"
	"os"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
)

func newZeekCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zeek",
		Short: "Tools for Zeek logs",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "cut FIELD...",
		Short: "Print the named columns of a Zeek TSV log read from stdin (like zeek-cut)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := bufio.NewWriterSize(cmd.OutOrStdout(), 256<<10)
			if err := zeek.Cut(w, bufio.NewReaderSize(os.Stdin, 256<<10), args); err != nil {
				return err
			}
			return w.Flush()
		},
	})
	return cmd
}
