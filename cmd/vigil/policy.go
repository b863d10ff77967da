package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/api"
	"github.com/vigil-iomt/vigil/internal/pipeline"
	"github.com/vigil-iomt/vigil/internal/policy"
)

func newPolicyCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Segmentation policy: template, check, learn, replay, export",
		Long: `A segmentation policy names zones (CIDRs, VLANs) and, per device class, the destinations
it may reach; everything else is denied (docs/policy.md). Set policy.path in the
configuration to have ingestion raise policy-violation alerts.`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "template",
		Short: "Print the NIST SP 1800-8 reference policy (zones and an allowlist per class)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(policy.TemplateYAML())
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "check POLICY",
		Short: "Validate a policy file; every problem is reported with its line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := policy.Load(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d zones, %d classes\n", args[0], len(p.Zones), len(p.Classes))
			return nil
		},
	})
	cmd.AddCommand(newPolicyLearnCommand(g), newPolicyReplayCommand(g), newPolicyExportCommand(g))
	return cmd
}

func newPolicyLearnCommand(g *globals) *cobra.Command {
	var (
		zonesFrom string
		until     string
		opts      policy.LearnOptions
	)
	cmd := &cobra.Command{
		Use:   "learn",
		Short: "Propose allowlists per device class and model from what the fleet was seen doing",
		Long: `learn reads every device's baseline and proposes, per class, the destinations its devices
use: internal ones generalised to the zone that holds them (zones from --zones, default the
reference template's), named ones to their DNS names, the rest to single addresses.
A destination used by fewer than --min-devices devices of a class and by less than
--min-fraction of them is left out and listed as an outlier on stderr. A device model seen
on at least --min-devices devices whose devices do something else than their class gets an
entry of its own (model: ...), learned from its devices alone; it replaces the class entry
for that model. --until T learns only from flows first seen before T (event time, RFC 3339
or a date): the fleet as it was in a period known to be clean. The proposal is YAML on
stdout, ready for "vigil policy check" and "vigil policy replay".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			zones := policy.Template()
			if zonesFrom != "" {
				p, err := policy.Load(zonesFrom)
				if err != nil {
					return err
				}
				zones = p
			}
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			nets, err := s.cfg.InternalNetworks()
			if err != nil {
				return err
			}
			if until != "" {
				if opts.Until, err = api.ParseEventTime("--until", until); err != nil {
					return err
				}
			}
			obs, err := pipeline.LoadObserved(contextOf(cmd), s.store)
			if err != nil {
				return err
			}
			opts.Zones, opts.Internal = zones.Zones, nets
			prop, err := policy.Learn(obs.Flows, opts)
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(prop.YAML); err != nil {
				return err
			}
			for _, o := range prop.Outliers {
				fmt.Fprintf(cmd.ErrOrStderr(), "outlier: %s %s → %s:%d/%s %v (%d connections)\n",
					policy.MemberKey{Class: o.Class, Model: o.Model}, o.DeviceID, o.Dst, o.DstPort, o.Proto, o.DstNames, o.Count)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&zonesFrom, "zones", "", "take the zones from this policy file (default: the reference template)")
	cmd.Flags().IntVar(&opts.MinDevices, "min-devices", 2, "keep a destination used by at least this many devices of the class")
	cmd.Flags().Float64Var(&opts.MinFraction, "min-fraction", 0.2, "or by at least this fraction of the class's devices")
	cmd.Flags().StringVar(&until, "until", "", "learn only from flows first seen before this event time (RFC 3339 or a date)")
	return cmd
}

func newPolicyReplayCommand(g *globals) *cobra.Command {
	var (
		since  string
		format string
	)
	cmd := &cobra.Command{
		Use:   "replay POLICY",
		Short: "Report which observed flows a candidate policy would block, per device",
		Long: `replay evaluates every flow recorded in the devices' baselines and last seen at or after
--since against the policy, each by the entry of its device's class and model, and lists
per device (with that entry) what the policy would have blocked (what would break if it
were enforced). Classes in alert-only mode (life-sustaining devices by
default) are listed as "would alert".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := api.ParseEventTime("--since", since)
			if err != nil {
				return err
			}
			p, obs, err := policyAndObserved(g, cmd, args[0])
			if err != nil {
				return err
			}
			res := policy.Replay(p, obs.Flows, from)
			out := cmd.OutOrStdout()
			switch format {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			case "table":
			default:
				return fmt.Errorf("--format %q: want table or json", format)
			}
			fmt.Fprintf(out, "flows evaluated: %d  would block: %d  would alert (alert-only): %d  class not in policy: %d\n",
				res.Evaluated, res.Blocked, res.AlertOnly, res.NoPolicy)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DEVICE\tENTRY\tVERDICT\tDESTINATION\tSERVICE\tCONNECTIONS\tLAST SEEN")
			for _, d := range res.Devices {
				for _, list := range []struct {
					verdict string
					obs     []policy.Observation
				}{{"block", d.Blocked}, {"alert", d.AlertOnly}} {
					for _, o := range list.obs {
						dst := o.Dst.String()
						if len(o.DstNames) > 0 {
							dst += " (" + strings.Join(o.DstNames, ", ") + ")"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%d\t%d\t%s\n", d.DeviceID, d.Entry, list.verdict, dst,
							o.Proto, o.DstPort, o.Count, o.Last.Format(time.RFC3339))
					}
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only flows last seen at or after this event time (RFC 3339 or 2006-01-02)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func newPolicyExportCommand(g *globals) *cobra.Command {
	var (
		format string
		out    string
	)
	cmd := &cobra.Command{
		Use:   "export POLICY",
		Short: "Write a policy as firewall configuration: " + strings.Join(policy.Formats(), ", "),
		Long: `export turns a policy into firewall rules. Firewalls match addresses, not classes or names:
each entry's source set is the current addresses of the devices it judges in the inventory
(a model entry: the devices of that class and model; the class entry: the others), and each
DNS name in a rule becomes the addresses the fleet was seen resolving it to (names never
seen are written as comments). Apply nftables output with "nft -f", iptables output with
"iptables-restore" (docs/policy.md).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, obs, err := policyAndObserved(g, cmd, args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			return policy.Export(w, p, format, obs.Members, obs.Resolved)
		},
	}
	cmd.Flags().StringVar(&format, "format", "nftables", "output format: "+strings.Join(policy.Formats(), ", "))
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

// policyAndObserved loads a policy file and what the stored baselines say
// the fleet does.
func policyAndObserved(g *globals, cmd *cobra.Command, path string) (*policy.Policy, *pipeline.Observed, error) {
	p, err := policy.Load(path)
	if err != nil {
		return nil, nil, err
	}
	s, err := g.open(cmd, false)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	obs, err := pipeline.LoadObserved(contextOf(cmd), s.store)
	if err != nil {
		return nil, nil, err
	}
	return p, obs, nil
}
