package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/feeds"
)

func newFeedsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feeds",
		Short: "Import reference data (MITRE ATT&CK, D3FEND)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "import attack|d3fend FILE...",
		Short: "Check and keep an ATT&CK STIX bundle or the D3FEND ontology",
		Long: `import loads each file with its parser — an ATT&CK STIX bundle (Enterprise STIX 2.0, ICS
STIX 2.1, plain or gzip) or the D3FEND ontology in Turtle — and keeps a copy under
feeds.dir, from which Vigil takes technique, tactic, mitigation and countermeasure names
at run time, over its small built-in table. A file that does not load is not kept.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := g.load(cmd)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, path := range args[1:] {
				imp, err := feeds.Import(cfg.Feeds.Dir, args[0], path)
				if err != nil {
					return err
				}
				c := imp.Catalog
				fmt.Fprintf(out, "%s: %d techniques, %d tactics, %d mitigations, %d assets, %d countermeasures (sha256 %.16s…) → %s\n",
					path, len(c.Techniques()), len(c.Tactics()), len(c.Mitigations()), len(c.Assets()), len(c.Countermeasures()), imp.SHA256, imp.Path)
				if len(imp.Missing) > 0 {
					fmt.Fprintf(out, "  warning: this file lacks IDs Vigil cites (their built-in names stay in use): %v\n", imp.Missing)
				}
			}
			return nil
		},
	})
	return cmd
}
