package inventory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigil-iomt/vigil/internal/asset"
)

// Asset-register import: rows of the hospital's asset register (a CMMS
// export as CSV) name a device by ID, MAC, IP or hostname and say its
// manufacturer, model, firmware, criticality, asset tag, location and
// owner. What the register says wins over what fingerprints found: it is
// where a device's model and firmware version come from when the network
// does not tell, and what ties devices to SBOMs of that model and version.

// RegisterRow is one row of an asset register.
type RegisterRow struct {
	Line int
	// Identifiers: the first that names a known device wins.
	ID, MAC, IP, Hostname string
	Record                asset.Record
	// Criticality, when set, overrides the class's level.
	Criticality asset.Criticality
}

// registerColumns are the columns an asset register may have.
var registerColumns = []string{"id", "mac", "ip", "hostname", "manufacturer", "model", "firmware",
	"criticality", "asset_tag", "location", "owner"}

// ReadRegister reads an asset register: CSV with a header row naming its
// columns (any of registerColumns, in any order, case-insensitive). Every
// problem is reported with its line, all at once.
func ReadRegister(r io.Reader, name string) ([]RegisterRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	var errs []error
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(registerColumns, h):
			errs = append(errs, fmt.Errorf("%s:1: unknown column %q (known: %s)", name, h, strings.Join(registerColumns, ", ")))
		case col[h] != 0:
			errs = append(errs, fmt.Errorf("%s:1: column %q twice", name, h))
		default:
			col[h] = i + 1
		}
	}
	if col["id"] == 0 && col["mac"] == 0 && col["ip"] == 0 && col["hostname"] == 0 {
		errs = append(errs, fmt.Errorf("%s:1: no identifier column: want at least one of id, mac, ip, hostname", name))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var rows []RegisterRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			if !errors.Is(err, csv.ErrFieldCount) {
				break
			}
			continue
		}
		get := func(c string) string {
			if i := col[c]; i > 0 && i <= len(rec) {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		row := RegisterRow{Line: line, ID: get("id"), MAC: get("mac"), IP: get("ip"), Hostname: normalizeName(get("hostname")),
			Record: asset.Record{Manufacturer: get("manufacturer"), Model: get("model"), Firmware: get("firmware"),
				AssetTag: get("asset_tag"), Location: get("location"), Owner: get("owner"), Source: fmt.Sprintf("%s:%d", name, line)},
			Criticality: asset.Criticality(strings.ToLower(get("criticality")))}
		if row.MAC != "" {
			m, err := net.ParseMAC(row.MAC)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: mac %q: %w", name, line, row.MAC, err))
				continue
			}
			row.MAC = m.String()
		}
		if row.IP != "" {
			a, err := netip.ParseAddr(row.IP)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: ip %q: %w", name, line, row.IP, err))
				continue
			}
			row.IP = a.Unmap().String()
		}
		if row.Criticality != "" && !row.Criticality.Valid() {
			errs = append(errs, fmt.Errorf("%s:%d: criticality %q is not one of %v", name, line, row.Criticality, asset.Criticalities))
			continue
		}
		if row.ID == "" && row.MAC == "" && row.IP == "" && row.Hostname == "" {
			errs = append(errs, fmt.Errorf("%s:%d: no identifier (id, mac, ip or hostname)", name, line))
			continue
		}
		rows = append(rows, row)
	}
	return rows, errors.Join(errs...)
}

// Find returns the ID of the device a register row names: by ID, else
// MAC, else the current holder of the IP, else hostname; "" when none.
func (inv *Inventory) Find(row RegisterRow) string {
	if d := inv.devices[row.ID]; d != nil {
		return d.ID
	}
	if d := inv.byKey["mac:"+row.MAC]; row.MAC != "" && d != nil {
		return d.ID
	}
	if a, err := netip.ParseAddr(row.IP); err == nil {
		if d := inv.holderOf(a); d != nil {
			return d.ID
		}
	}
	if row.Hostname != "" {
		var ids []string
		for _, d := range inv.devices {
			if slices.Contains(d.Hostnames, row.Hostname) {
				ids = append(ids, d.ID)
			}
		}
		if len(ids) == 1 {
			return ids[0]
		}
	}
	return ""
}

// holderOf returns the device that held addr last: by the latest lease,
// else the IP-keyed device.
func (inv *Inventory) holderOf(a netip.Addr) *deviceState {
	if ls := inv.leases[a]; len(ls) > 0 {
		if d := inv.byKey["mac:"+ls[len(ls)-1].MAC]; d != nil {
			return d
		}
	}
	return inv.byKey["ip:"+a.String()]
}

// SetRecord attaches a register record (and, when set, a criticality
// override) to a device.
func (inv *Inventory) SetRecord(id string, rec asset.Record, crit asset.Criticality) error {
	d, ok := inv.devices[id]
	if !ok {
		return fmt.Errorf("inventory: device %s: %w", id, ErrUnknownDevice)
	}
	d.Record = &rec
	ApplyRecord(&d.Device)
	if crit != "" {
		d.CriticalityOverride = crit
		d.Criticality = crit
	}
	d.rewrite = true
	inv.dirtyDevices[id] = struct{}{}
	return nil
}

// ApplyRecord lets the asset register's non-empty fields (d.Record) win
// over what fingerprints found.
func ApplyRecord(d *asset.Device) {
	if d.Record == nil {
		return
	}
	if d.Record.Manufacturer != "" {
		d.Manufacturer = d.Record.Manufacturer
	}
	if d.Record.Model != "" {
		d.Model = d.Record.Model
	}
	if d.Record.Firmware != "" {
		d.Firmware = d.Record.Firmware
	}
}
