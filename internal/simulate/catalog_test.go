package simulate

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadRegistry reads the IEEE MAC address registries (MA-L, MA-M, MA-S,
// IAB) from Debian's ieee-data, or from VIGIL_DATASETS when it is set. It
// returns assignment (upper-case hex) -> organization.
func loadRegistry(t *testing.T) map[string]string {
	t.Helper()
	type src struct{ dir, suffix string }
	var srcs []src
	if ds := os.Getenv("VIGIL_DATASETS"); ds != "" {
		srcs = append(srcs, src{filepath.Join(ds, "oui-manuf", "ieee-data"), ".csv.gz"})
	}
	srcs = append(srcs, src{"/usr/share/ieee-data", ".csv"})
	for _, s := range srcs {
		reg := map[string]string{}
		for _, name := range []string{"oui", "mam", "oui36", "iab"} {
			path := filepath.Join(s.dir, name+s.suffix)
			f, err := os.Open(path)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = f
			if strings.HasSuffix(path, ".gz") {
				if r, err = gzip.NewReader(f); err != nil {
					t.Fatal(err)
				}
			}
			cr := csv.NewReader(r)
			cr.FieldsPerRecord = -1
			rows, err := cr.ReadAll()
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, row := range rows[1:] {
				if len(row) >= 3 {
					reg[strings.ToUpper(row[1])] = strings.TrimSpace(row[2])
				}
			}
		}
		if len(reg) > 0 {
			return reg
		}
	}
	t.Skip("no IEEE registry: set VIGIL_DATASETS or install Debian's ieee-data")
	return nil
}

// TestOUIsAreRegistered checks every MAC prefix of the catalog against the
// IEEE registry: it must be assigned, to the organization the catalog
// names.
func TestOUIsAreRegistered(t *testing.T) {
	reg := loadRegistry(t)
	all := append(append([]Profile{}, endpointProfiles...), infraProfiles...)
	for _, p := range all {
		for _, o := range p.OUI {
			org, ok := reg[strings.ToUpper(o.Prefix)]
			switch {
			case !ok:
				t.Errorf("profile %s: prefix %s is not in the IEEE registry", p.Name, o.Prefix)
			case org != o.Org:
				t.Errorf("profile %s: prefix %s is registered to %q, catalog says %q", p.Name, o.Prefix, org, o.Org)
			}
		}
	}
}

func TestCatalogIsComplete(t *testing.T) {
	classes := map[string]bool{
		ClassInfusionPump: true, ClassInsulinPumpCGMHub: true, ClassPatientMonitor: true, ClassVentilator: true,
		ClassDefibrillator: true, ClassImplantProgrammer: true, ClassImagingCT: true, ClassImagingMR: true,
		ClassImagingUltrasound: true, ClassImagingXRay: true, ClassPACS: true, ClassSurgicalRobot: true,
		ClassRPMHub: true, ClassLabAnalyzer: true, ClassClinicalWorkstation: true, ClassEHRServer: true,
		ClassHL7InterfaceEngine: true, ClassNetworkGear: true, ClassPrinter: true, ClassIPPhone: true,
		ClassDeviceServer: true, ClassITServer: true,
	}
	crit := map[string]bool{critLifeSustaining: true, critLifeSupporting: true, critDiagnostic: true, critClinicalSupport: true, critNonClinical: true}
	names := map[string]bool{}
	all := append(append([]Profile{}, endpointProfiles...), infraProfiles...)
	for _, p := range all {
		if names[p.Name] {
			t.Errorf("profile name %s used twice", p.Name)
		}
		names[p.Name] = true
		if !classes[p.Class] {
			t.Errorf("profile %s: unknown class %q", p.Name, p.Class)
		}
		if !crit[p.Criticality] {
			t.Errorf("profile %s: unknown criticality %q", p.Name, p.Criticality)
		}
		if p.Manufacturer == "" || p.Model == "" || len(p.Firmware) == 0 || len(p.OUI) == 0 || p.Hostname == "" {
			t.Errorf("profile %s: manufacturer, model, firmware, OUI and hostname are required", p.Name)
		}
		if (p.Key == "") == (p.Weight == 0) {
			t.Errorf("profile %s: an endpoint needs a weight, an infrastructure host a key, not both", p.Name)
		}
		for _, z := range p.Zones {
			found := false
			for _, zz := range zoneTable {
				found = found || zz.Key == z.Zone
			}
			if !found {
				t.Errorf("profile %s: unknown zone %s", p.Name, z.Zone)
			}
		}
		for _, o := range p.Offers {
			if o.Proto != "tcp" && o.Proto != "udp" || o.Port == 0 {
				t.Errorf("profile %s: bad offer %+v", p.Name, o)
			}
		}
		for _, f := range p.Flows {
			if f.Proto != "dns" && f.Proto != "tcp" && f.Proto != "udp" && f.Proto != "icmp" {
				t.Errorf("profile %s: flow to %s has protocol %q", p.Name, f.To, f.Proto)
			}
			if (f.Rate > 0) == (f.Every > 0) {
				t.Errorf("profile %s: flow to %s needs a rate or a period, not both", p.Name, f.To)
			}
			if f.TLS != nil && f.TLS.P13 < 1 && len(f.TLS.Ciphers) == 0 {
				t.Errorf("profile %s: flow to %s may use TLS 1.2 without cipher suites", p.Name, f.To)
			}
		}
	}
}
