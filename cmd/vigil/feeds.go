package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/feeds"
)

func newFeedsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feeds",
		Short: "Import reference data (ATT&CK, D3FEND, advisories, VEX, KEV, EPSS)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "import KIND PATH...",
		Short: "Import reference data: attack, d3fend, osv, nvd, csaf, vex, kev, epss",
		Long: `import loads each file with the parser of its kind.

attack, d3fend: an ATT&CK STIX bundle (Enterprise STIX 2.0, ICS STIX 2.1, plain or gzip) or
the D3FEND ontology in Turtle, kept as a copy under feeds.dir, from which Vigil takes
technique, tactic, mitigation and countermeasure names at run time. A file that does not
load is not kept.

osv, nvd, csaf, vex, kev, epss: vulnerability advisories (OSV JSON files, folders or zips;
NVD CVE API 2.0 JSON; CSAF 2.0 documents, folders, provider metadata or ROLIE feeds with
their .sha512 files), VEX statements (CSAF VEX, CycloneDX VEX, OpenVEX), the CISA KEV catalog
(JSON or CSV) and FIRST EPSS scores (CSV), imported into the database. Re-importing is
idempotent and incremental: an advisory is rewritten only when it changed. A malformed
document is reported with its path and JSON pointer (or line) and the rest is imported;
the exit status is then 2 (docs/formats.md).`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := args[0]
			if slices.Contains(feeds.SoftwareKinds, kind) {
				return importSoftware(cmd, g, kind, args[1:])
			}
			cfg, _, err := g.load(cmd)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, path := range args[1:] {
				imp, err := feeds.Import(cfg.Feeds.Dir, kind, path)
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

// importSoftware imports software-risk feeds into the database.
func importSoftware(cmd *cobra.Command, g *globals, kind string, paths []string) error {
	s, err := g.open(cmd, false)
	if err != nil {
		return err
	}
	defer s.Close()
	out := cmd.OutOrStdout()
	rejected := 0
	for _, path := range paths {
		rep, err := feeds.ImportSoftware(contextOf(cmd), s.store, kind, path)
		if rep != nil {
			if kind == feeds.OSV || kind == feeds.NVD || kind == feeds.CSAF {
				fmt.Fprintf(out, "%s %s: read %d  new %d  updated %d  unchanged %d  stale %d  rejected %d\n",
					kind, path, rep.Read, rep.New, rep.Updated, rep.Unchanged, rep.Stale, len(rep.Rejected))
			} else {
				fmt.Fprintf(out, "%s %s: read %d  stored %d  rejected %d\n", kind, path, rep.Read, rep.Stored, len(rep.Rejected))
			}
			for _, r := range rep.Rejected {
				fmt.Fprintf(out, "  rejected: %s\n", r)
			}
			rejected += len(rep.Rejected)
		}
		if err != nil {
			return err
		}
	}
	if rejected > 0 {
		return errRejected
	}
	return nil
}
