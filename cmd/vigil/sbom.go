package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/feeds"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newSBOMCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sbom",
		Short: "Import and list the SBOMs of device models",
	}
	var to feeds.SBOMImport
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an SBOM (CycloneDX JSON/XML, SPDX JSON/tag-value) for a device model and firmware version",
		Long: `import parses an SBOM — CycloneDX 1.2–1.6 (JSON or XML) or SPDX 2.2/2.3 (JSON or tag-value),
plain or gzip, told apart by content — and stores it as the SBOM of the device model and
firmware version given: every inventory device of that vendor, model and version runs it
(the model and version come from fingerprints or the asset register, vigil inventory
import). A new SBOM for the same model version replaces the previous one; importing the
same file again changes nothing. A file that does not parse is reported with its line and
column (and JSON pointer) and nothing is stored.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			rec, warns, err := feeds.ImportSBOM(contextOf(cmd), s.store, args[0], to, time.Now())
			out := cmd.OutOrStdout()
			for _, w := range warns {
				fmt.Fprintf(out, "warning: %s\n", w)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: %s %s, %d components → %s %s %s (sbom %.12s)\n", args[0], rec.Format, rec.SpecVersion,
				rec.Components, rec.Vendor, rec.Model, rec.Version, rec.ID)
			return nil
		},
	}
	imp.Flags().StringVar(&to.Vendor, "vendor", "", "the device's manufacturer (required)")
	imp.Flags().StringVar(&to.Model, "model", "", "the device model (required)")
	imp.Flags().StringVar(&to.Version, "version", "", "the firmware or software version the SBOM describes (required)")
	var format string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the imported SBOMs by vendor, model and version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			recs, err := s.store.SBOMs(contextOf(cmd), store.SBOMQuery{})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch format {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(recs)
			case "table":
			default:
				return fmt.Errorf("--format %q: want table or json", format)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VENDOR\tMODEL\tVERSION\tFORMAT\tCOMPONENTS\tIMPORTED\tSOURCE")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%d\t%s\t%s\n", r.Vendor, r.Model, r.Version, r.Format, r.SpecVersion,
					r.Components, r.Imported.Format(time.RFC3339), r.Source)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.AddCommand(imp, list)
	return cmd
}
