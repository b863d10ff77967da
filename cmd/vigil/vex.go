package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/assess"
	"github.com/vigil-iomt/vigil/internal/sbom"
	"github.com/vigil-iomt/vigil/internal/store"
	"github.com/vigil-iomt/vigil/internal/vexdoc"
	"github.com/vigil-iomt/vigil/internal/vuln"
)

func newVulnVEXCommand(g *globals) *cobra.Command {
	var (
		model          vexdoc.Model
		format, output string
		author         string
	)
	cmd := &cobra.Command{
		Use:   "vex",
		Short: "Write a CycloneDX or CSAF VEX document of the current assessment of one device model version",
		Long: `vex writes the current assessment (vigil vuln assess) of one device model and firmware
version as a VEX document: CycloneDX 1.6 JSON (--format cyclonedx) or CSAF 2.0 in the VEX
profile (--format csaf). It states, per vulnerability and SBOM component (or the device
itself, for vendor CSAF advisories), whether the model is affected, not affected (with the
VEX justification), fixed or under investigation, with the match evidence and the SSVC
decision. The findings of every device of that vendor (normalized), model and version are
merged; findings a VEX statement suppresses are included, gone ones are not. The mapping is
in docs/vex-output.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			write := map[string]func(vexdoc.Input) ([]byte, error){"cyclonedx": vexdoc.CycloneDX, "csaf": vexdoc.CSAF}[format]
			if write == nil {
				return fmt.Errorf("--format %q: want cyclonedx or csaf", format)
			}
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			in, err := vexInput(contextOf(cmd), s.store, model)
			if err != nil {
				return err
			}
			in.Author, in.Now = author, time.Now()
			data, err := write(in)
			if errors.Is(err, vexdoc.ErrNoFindings) {
				return fmt.Errorf("%w: run vigil vuln assess, and check the vendor, model and version against vigil inventory list", err)
			}
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(output, data, 0o644); err != nil {
				return err
			}
			sbomNote := "no SBOM"
			if in.SBOM != nil {
				sbomNote = fmt.Sprintf("SBOM of %d components", len(in.SBOM.Components))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s VEX of %s from %d findings (%s)\n", output, format, model, len(in.Findings), sbomNote)
			return nil
		},
	}
	cmd.Flags().StringVar(&model.Vendor, "vendor", "", "the device's manufacturer (required)")
	cmd.Flags().StringVar(&model.Model, "model", "", "the device model (required)")
	cmd.Flags().StringVar(&model.Version, "version", "", "the firmware or software version (required)")
	cmd.Flags().StringVar(&format, "format", "cyclonedx", "document format: cyclonedx or csaf")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the document to this file (default: standard output)")
	cmd.Flags().StringVar(&author, "author", "", "publisher / author name (default: Vigil)")
	for _, f := range []string{"vendor", "model", "version"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// vexInput loads what a VEX document of model is written from: the SBOM of
// the model version (matched as the assessment matches it: normalized
// vendor, model without case, exact version) and the current findings of
// the devices of that product.
func vexInput(ctx context.Context, st store.Store, m vexdoc.Model) (vexdoc.Input, error) {
	in := vexdoc.Input{Model: vexdoc.Model{Vendor: strings.TrimSpace(m.Vendor), Model: strings.TrimSpace(m.Model), Version: strings.TrimSpace(m.Version)}}
	same := func(vendor, model, version string) bool {
		return strings.Join(vuln.NormalizeVendor(vendor), " ") == strings.Join(vuln.NormalizeVendor(m.Vendor), " ") &&
			strings.EqualFold(strings.TrimSpace(model), in.Model.Model) && strings.TrimSpace(version) == in.Model.Version
	}
	recs, err := st.SBOMs(ctx, store.SBOMQuery{})
	if err != nil {
		return in, fmt.Errorf("load SBOMs: %w", err)
	}
	for _, r := range recs {
		if !same(r.Vendor, r.Model, r.Version) {
			continue
		}
		full, err := st.SBOM(ctx, r.ID)
		if err != nil {
			return in, fmt.Errorf("load SBOM %s: %w", r.ID, err)
		}
		var doc sbom.Document
		if err := json.Unmarshal(full.Doc, &doc); err != nil {
			return in, fmt.Errorf("SBOM %s: %w", r.ID, err)
		}
		in.SBOM = &doc
		break
	}
	finds, err := st.Findings(ctx, store.FindingQuery{IncludeSuppressed: true})
	if err != nil {
		return in, fmt.Errorf("load findings: %w", err)
	}
	for _, r := range finds {
		var f assess.Finding
		if err := json.Unmarshal(r.Doc, &f); err != nil {
			return in, fmt.Errorf("finding %s: %w", r.ID, err)
		}
		if same(f.Device.Vendor, f.Device.Model, f.Device.Version) {
			in.Findings = append(in.Findings, f)
		}
	}
	return in, nil
}
