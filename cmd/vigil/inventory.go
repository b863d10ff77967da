package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/api"
	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/inventory"
	"github.com/vigil-iomt/vigil/internal/store"
)

func newInventoryCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Show the device inventory",
	}
	var format, class string
	list := &cobra.Command{
		Use:   "list",
		Short: "List devices",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			devs, err := s.store.Devices(contextOf(cmd), store.DeviceQuery{Class: class})
			if err != nil {
				return err
			}
			views := make([]api.Device, len(devs))
			for i := range devs {
				views[i] = api.DeviceView(devs[i])
			}
			return writeDevices(cmd.OutOrStdout(), format, views)
		},
	}
	list.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	list.Flags().StringVar(&class, "class", "", "only devices of this class (e.g. infusion_pump)")

	var showFormat string
	show := &cobra.Command{
		Use:   "show ID|IP|MAC|HOSTNAME",
		Short: "Show one device with its evidence",
		Long: `show prints one device: by its ID, or by an address it holds now (the device that
last held an IP), a MAC address, or a hostname (case-insensitive).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			d, err := findDevice(contextOf(cmd), s.store, args[0])
			if err != nil {
				return err
			}
			v := api.DeviceView(d)
			if showFormat == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			if showFormat != "text" {
				return fmt.Errorf("--format %q: want text or json", showFormat)
			}
			return writeDeviceText(cmd.OutOrStdout(), v)
		},
	}
	show.Flags().StringVar(&showFormat, "format", "text", "output format: text or json")

	setCrit := &cobra.Command{
		Use:   "set-criticality ID LEVEL",
		Short: "Override a device's criticality (LEVEL auto clears the override)",
		Long: `set-criticality overrides the criticality derived from a device's class, e.g. for a
monitor that is used as life-sustaining in an ICU. LEVEL is one of life-sustaining,
life-supporting, diagnostic, clinical-support, non-clinical, unknown, or auto to go
back to the level derived from the class. Do not run it while an ingest writes to the
same database: the ingest would write its own copy of the device back.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, true)
			if err != nil {
				return err
			}
			defer s.Close()
			level := asset.Criticality(args[1])
			if level == "auto" {
				level = ""
			}
			if err := s.inv.SetCriticality(args[0], level); err != nil {
				return err
			}
			ch := s.inv.Flush()
			if err := s.store.Commit(contextOf(cmd), &store.Batch{Devices: ch.Devices}); err != nil {
				return err
			}
			d := ch.Devices[0]
			fmt.Fprintf(cmd.OutOrStdout(), "%s: criticality %s\n", d.ID, d.Criticality)
			return nil
		},
	}
	imp := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import the asset register (CMMS export): model, firmware, criticality, location per device",
		Long: `import reads a CSV export of the hospital's asset register. The header names the columns,
in any order: id, mac, ip, hostname (at least one: the first that names a known device is
used), manufacturer, model, firmware, criticality, asset_tag, location, owner. What the
register says wins over what fingerprints found; the model and firmware are what ties a
device to the SBOMs of its model and version. Rows that name no known device, and bad rows,
are reported with their line (exit status 2); every good row is applied. Do not run it
while an ingest writes to the same database.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rows, readErr := inventory.ReadRegister(f, args[0])
			s, err := g.open(cmd, true)
			if err != nil {
				return err
			}
			defer s.Close()
			out := cmd.OutOrStdout()
			rejected := 0
			if readErr != nil {
				for _, line := range strings.Split(readErr.Error(), "\n") {
					fmt.Fprintln(out, line)
					rejected++
				}
			}
			applied := 0
			for _, r := range rows {
				id := s.inv.Find(r)
				if id == "" {
					fmt.Fprintf(out, "%s: no device has this id, mac, ip or hostname\n", r.Record.Source)
					rejected++
					continue
				}
				if err := s.inv.SetRecord(id, r.Record, r.Criticality); err != nil {
					return err
				}
				applied++
			}
			ch := s.inv.Flush()
			if err := s.store.Commit(contextOf(cmd), &store.Batch{Devices: ch.Devices}); err != nil {
				return err
			}
			fmt.Fprintf(out, "rows applied: %d  devices updated: %d  rejected: %d\n", applied, len(ch.Devices), rejected)
			if rejected > 0 {
				return errRejected
			}
			return nil
		},
	}
	cmd.AddCommand(list, show, setCrit, imp)
	return cmd
}

// findDevice looks a device up by ID, else by IP (the device that held it
// last), MAC or hostname.
func findDevice(ctx context.Context, st store.Store, key string) (asset.Device, error) {
	d, err := st.Device(ctx, key)
	if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	devs, err := st.Devices(ctx, store.DeviceQuery{})
	if err != nil {
		return asset.Device{}, err
	}
	var best *asset.Device
	var bestSeen time.Time
	for i := range devs {
		d := &devs[i]
		for _, ip := range d.IPs {
			if ip.IP == key && ip.LastSeen.After(bestSeen) {
				best, bestSeen = d, ip.LastSeen
			}
		}
		if best == nil && (slices.Contains(d.MACs, strings.ToLower(key)) ||
			slices.ContainsFunc(d.Hostnames, func(h string) bool { return strings.EqualFold(h, key) })) {
			best = d
		}
	}
	if best == nil {
		return asset.Device{}, fmt.Errorf("no device with id, IP, MAC or hostname %q (see vigil inventory list)", key)
	}
	return *best, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeDevices(w io.Writer, format string, devs []api.Device) error {
	switch format {
	case "json":
		return writeJSON(w, devs)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "macs", "ips", "hostnames", "vendor", "manufacturer", "model", "class", "class_confidence", "criticality", "software", "first_seen", "last_seen"})
		for _, d := range devs {
			_ = cw.Write([]string{d.ID, strings.Join(d.MACs, " "), strings.Join(d.IPs, " "), strings.Join(d.Hostnames, " "),
				d.Vendor, d.Manufacturer, d.Model, d.Class, strconv.FormatFloat(d.ClassConfidence, 'f', 2, 64), string(d.Criticality),
				softwareList(d), d.FirstSeen.Format(time.RFC3339), d.LastSeen.Format(time.RFC3339)})
		}
		cw.Flush()
		return cw.Error()
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tIP\tMAC\tHOSTNAME\tVENDOR\tCLASS\tCONF\tCRITICALITY\tLAST SEEN")
		for _, d := range devs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\n", d.ID, first(d.IPs), first(d.MACs), first(d.Hostnames),
				truncate(d.Vendor, 28), d.Class, d.ClassConfidence, d.Criticality, d.LastSeen.Format(time.RFC3339))
		}
		return tw.Flush()
	default:
		return fmt.Errorf("--format %q: want table, json or csv", format)
	}
}

func writeDeviceText(w io.Writer, d api.Device) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("id", d.ID)
	row("class", fmt.Sprintf("%s (confidence %.2f)", d.Class, d.ClassConfidence))
	row("criticality", string(d.Criticality))
	row("vendor (OUI)", d.Vendor)
	row("manufacturer", d.Manufacturer)
	row("model", d.Model)
	row("firmware", d.Firmware)
	if r := d.Record; r != nil {
		row("asset register", fmt.Sprintf("%s (tag %s, location %s, owner %s)", r.Source, orDash(r.AssetTag), orDash(r.Location), orDash(r.Owner)))
	}
	row("macs", strings.Join(d.MACs, ", "))
	row("hostnames", strings.Join(d.Hostnames, ", "))
	row("dhcp vendor class", d.DHCPVendorClass)
	row("first seen", d.FirstSeen.Format(time.RFC3339))
	row("last seen", d.LastSeen.Format(time.RFC3339))
	for _, ip := range d.IPHistory {
		row("ip", fmt.Sprintf("%s  %s … %s", ip.IP, ip.FirstSeen.Format(time.RFC3339), ip.LastSeen.Format(time.RFC3339)))
	}
	for _, s := range d.Services {
		row("service", fmt.Sprintf("%d/%s %s", s.Port, s.Proto, s.Name))
	}
	for _, s := range d.Software {
		row("software", strings.TrimSpace(s.Name+" "+s.Version))
	}
	for _, e := range d.ClassEvidence {
		row("evidence", fmt.Sprintf("%s: %s = %s (%.2f)", e.Rule, e.Signal, e.Value, e.Confidence))
	}
	return tw.Flush()
}

func softwareList(d api.Device) string {
	parts := make([]string, len(d.Software))
	for i, s := range d.Software {
		parts[i] = strings.TrimSpace(s.Name + " " + s.Version)
	}
	return strings.Join(parts, "; ")
}

func first(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return s[0]
}

func truncate(s string, n int) string {
	if s == "" {
		return "-"
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
