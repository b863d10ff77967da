package pipeline

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// datasets returns the folder of shared public data, or skips.
func datasets(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS not set: skipping the test on real public data (set it to ../shared/data)")
	}
	return dir
}

// countRecords counts records per log type the simple way: TSV data lines
// by their #path, JSON lines by the file name's log type.
func countRecords(t *testing.T, files []string) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	for _, path := range files {
		f, err := source.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		logType := strings.SplitN(filepath.Base(path), ".", 2)[0]
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.TrimSpace(line) == "":
			case strings.HasPrefix(line, "#path\t"):
				logType = strings.TrimPrefix(line, "#path\t")
			case strings.HasPrefix(line, "#"):
			default:
				counts[logType]++
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		f.Close()
	}
	return counts
}

func TestRealZeekDatasets(t *testing.T) {
	data := datasets(t)
	for _, folder := range []string{"zeek-maccdc2012-00016", "zeek-stratosphere", "zeek-brim-wrccdc2018/zeek-default", "zeek-brim-wrccdc2018/zeek-json"} {
		t.Run(folder, func(t *testing.T) {
			root := filepath.Join(data, folder)
			files, err := source.Expand([]string{root}, ZeekLogName)
			if err != nil {
				t.Fatal(err)
			}
			want := countRecords(t, files)
			h := newHarness(t)
			h.batch = DefaultBatchSize
			h.ouis = []string{filepath.Join(data, "oui-manuf/ieee-data")}
			sum := h.ingest(root)
			if sum.Rejected != 0 {
				t.Fatalf("%d records rejected: %v", sum.Rejected, sum.Errors)
			}
			for log, n := range want {
				if sum.ByLog[log] != n {
					t.Errorf("%s: accepted %d records, counted %d", log, sum.ByLog[log], n)
				}
			}
			if len(sum.ByLog) != len(want) {
				t.Errorf("log types %v, counted %v", sum.ByLog, want)
			}
			if again := h.ingest(root); again.Read != 0 {
				t.Errorf("re-ingest read %d records", again.Read)
			}
		})
	}
}

// TestMACCDCDHCPInventory checks the DHCP-based identity on real data: one
// device per distinct MAC, and a vendor for every MAC whose prefix the
// IEEE registry lists, both counted here without Vigil's code.
func TestMACCDCDHCPInventory(t *testing.T) {
	data := datasets(t)
	dhcpLog := filepath.Join(data, "zeek-maccdc2012-00016/dhcp.log")
	macs := map[string]bool{}
	f, err := os.Open(dhcpLog)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(f)
	for {
		var rec struct {
			MAC string `json:"mac"`
		}
		if err := dec.Decode(&rec); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if rec.MAC != "" {
			macs[strings.ToLower(rec.MAC)] = true
		}
	}
	f.Close()
	prefixes := ieeePrefixes(t, filepath.Join(data, "oui-manuf/ieee-data"))
	wantVendors := 0
	for m := range macs {
		hex := strings.ToUpper(strings.ReplaceAll(m, ":", ""))
		for _, n := range []int{9, 7, 6} { // MA-S/IAB, MA-M, MA-L
			if prefixes[hex[:n]] {
				wantVendors++
				break
			}
		}
	}

	h := newHarness(t)
	h.ouis = []string{filepath.Join(data, "oui-manuf/ieee-data")}
	h.ingest(dhcpLog)
	devs := h.devicesByKey()
	gotMACs, gotVendors := 0, 0
	for key, d := range devs {
		if strings.HasPrefix(key, "mac:") {
			gotMACs++
			if !macs[strings.TrimPrefix(key, "mac:")] {
				t.Errorf("device %s has a MAC not in dhcp.log", key)
			}
		}
		if d.Vendor != "" {
			gotVendors++
		}
	}
	if gotMACs != len(macs) || len(devs) != len(macs) {
		t.Errorf("%d devices (%d by MAC), want one per distinct MAC: %d", len(devs), gotMACs, len(macs))
	}
	if gotVendors != wantVendors {
		t.Errorf("%d devices with a vendor, want %d", gotVendors, wantVendors)
	}
	t.Logf("%d distinct MACs, %d with a registered vendor", len(macs), wantVendors)
}

// ieeePrefixes reads the Assignment column of the IEEE registry CSVs.
func ieeePrefixes(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, name := range []string{"oui.csv.gz", "mam.csv.gz", "oui36.csv.gz", "iab.csv.gz"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(zr).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range rows[1:] {
			out[strings.ToUpper(r[1])] = true
		}
		f.Close()
	}
	return out
}

// TestTSVAndJSONGiveTheSameInventory ingests the two encodings of the same
// WRCCDC traffic into two stores and compares the devices.
func TestTSVAndJSONGiveTheSameInventory(t *testing.T) {
	data := datasets(t)
	var snaps [2]string
	for i, folder := range []string{"zeek-default", "zeek-json"} {
		h := newHarness(t)
		h.batch = DefaultBatchSize
		root := filepath.Join(data, "zeek-brim-wrccdc2018", folder)
		// Only the log types both encodings carry.
		var files []string
		for _, log := range []string{"dns", "ssl", "x509", "software", "known_hosts", "known_services"} {
			m, _ := filepath.Glob(filepath.Join(root, log+".*"))
			files = append(files, m...)
		}
		if len(files) != 6 {
			t.Fatalf("%s: found %v", folder, files)
		}
		h.ingest(files...)
		snaps[i] = h.snapshotDevices()
		if n := len(h.devicesByKey()); n == 0 {
			t.Fatalf("%s: no devices", folder)
		}
	}
	if snaps[0] != snaps[1] {
		t.Error("TSV and JSON encodings of the same logs gave different inventories")
	}
}
