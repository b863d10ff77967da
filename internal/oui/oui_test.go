package oui

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustMAC(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type lookupCase struct {
	mac    string
	want   string
	wantOK bool
}

func checkLookups(t *testing.T, r *Registry, cases []lookupCase) {
	t.Helper()
	for _, c := range cases {
		got, ok := r.Lookup(mustMAC(t, c.mac))
		if got != c.want || ok != c.wantOK {
			t.Errorf("Lookup(%s) = %q, %v; want %q, %v", c.mac, got, ok, c.want, c.wantOK)
		}
	}
}

func TestLoadIEEEDirectory(t *testing.T) {
	r, err := Load("testdata/ieee")
	if err != nil {
		t.Fatal(err)
	}
	// oui.csv: 8 rows, one of them a second assignment of 080030 (first wins);
	// mam.csv 3; oui36.csv 2; iab.csv 1. oui.txt is not read.
	if got, want := r.Len(), 7+3+2+1; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	for bits, want := range map[int]int{24: 7, 28: 3, 36: 3, 48: 0} {
		if got := r.LenBits(bits); got != want {
			t.Errorf("LenBits(%d) = %d, want %d", bits, got, want)
		}
	}
	checkLookups(t, r, []lookupCase{
		{"00:00:0c:12:34:56", "Cisco Systems, Inc", true},
		{"58-46-E1-00-00-01", "Baxter International Inc", true},
		{"08:00:30:00:00:01", "NETWORK RESEARCH CORPORATION", true},  // first row wins
		{"9c:c8:ae:01:02:03", "Becton, Dickinson and Company", true}, // blanks collapsed
		// MA-M beats the MA-L block of the Registration Authority.
		{"50:a0:30:8f:ff:ff", "GE Medical System China Co. Ltd.", true},
		{"50:a0:30:7f:ff:ff", "IEEE Registration Authority", true},
		{"84:11:c2:30:00:01", "FUJIFILM Healthcare Corporation", true}, // leading tab trimmed
		{"74:1a:e0:90:00:01", "Private", true},
		// MA-S (36 bits) beats MA-L.
		{"70:b3:d5:b3:40:01", "Medtronic", true},
		{"70:b3:d5:b3:50:01", "IEEE Registration Authority", true},
		{"70:B3:D5:4C:CF:FF", "FRESENIUS MEDICAL CARE", true},
		// IAB blocks are 36 bits too.
		{"00:50:c2:83:1a:bc", "St Jude Medical, Inc.", true},
		// Unregistered.
		{"00:00:0d:00:00:01", "", false},
		// EUI-64 uses the same prefixes.
		{"58:46:e1:ff:fe:00:00:01", "Baxter International Inc", true},
	})
}

func TestLoadManuf(t *testing.T) {
	r, err := Load("testdata/manuf/manuf")
	if err != nil {
		t.Fatal(err)
	}
	// 12 entries, two of them well-known group addresses of other lengths.
	if got, want := r.Len(), 10; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	checkLookups(t, r, []lookupCase{
		{"00:00:0c:00:00:01", "Cisco Systems, Inc", true},
		{"00:00:13:00:00:01", "Camex", true}, // short name only
		{"00:00:18:00:00:01", "Webster Computer Corporation", true},
		{"00:12:21:aa:bb:cc", "B.Braun Melsungen AG", true}, // '-' separators
		{"00:1b:c5:00:0f:ff", "Converging Systems Inc.", true},
		{"00:1b:c5:00:10:00", "", false},
		{"00:50:c2:83:1f:ff", "St Jude Medical, Inc.", true},
		{"50:a0:30:80:00:00", "GE Medical System China Co. Ltd.", true},
		{"54:fa:89:01:02:03", "Medtronic CRM", true},
		// Historic assignments with the locally administered bit set still resolve.
		{"02:70:b0:00:00:01", "M/A-Com Inc. Companies", true},
		{"02:70:b1:00:00:01", "", false},
		// Registered, but group addresses name no device.
		{"01:0e:cf:00:00:01", "", false},
		{"01:80:c2:00:00:00", "", false},
		{"33:33:00:00:00:01", "", false},
		{"ff:ff:ff:ff:ff:ff", "", false},
	})
}

func TestLookupOtherLengths(t *testing.T) {
	r, err := Load("testdata/manuf/manuf")
	if err != nil {
		t.Fatal(err)
	}
	for _, mac := range []net.HardwareAddr{nil, {0x00, 0x00, 0x0c}, make(net.HardwareAddr, 20)} {
		if got, ok := r.Lookup(mac); ok {
			t.Errorf("Lookup(%v) = %q, true; want false", mac, got)
		}
	}
	var nilReg *Registry
	if _, ok := nilReg.Lookup(mustMAC(t, "00:00:0c:00:00:01")); ok {
		t.Error("nil registry found a vendor")
	}
}

// gzipTo writes src, gzip-compressed, to dst.
func gzipTo(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadGzipByMagic(t *testing.T) {
	dir := t.TempDir()
	// A name that says nothing: gzip and format are found from the content.
	gzipTo(t, "testdata/manuf/manuf", filepath.Join(dir, "vendors.bin"))
	gzipTo(t, "testdata/ieee/mam.csv", filepath.Join(dir, "mam.csv.gz"))
	r, err := Load(filepath.Join(dir, "vendors.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Len(), 10; got != want {
		t.Errorf("gzip manuf: Len() = %d, want %d", got, want)
	}
	// The directory holds mam.csv.gz, recognised; vendors.bin is not a known name.
	r, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Len(), 3; got != want {
		t.Errorf("directory with mam.csv.gz: Len() = %d, want %d", got, want)
	}
	checkLookups(t, r, []lookupCase{{"50:a0:30:80:00:01", "GE Medical System China Co. Ltd.", true}})
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	b := filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("58:46:E1\tFirst\tFirst Name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("58:46:E1\tSecond\tSecond Name\n00:00:0C\tCisco\tCisco Systems, Inc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Load(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Len(), 2; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	checkLookups(t, r, []lookupCase{
		{"58:46:e1:00:00:01", "First Name", true},
		{"00:00:0c:00:00:01", "Cisco Systems, Inc", true},
	})
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // substring of the error
	}{
		{"csv bad header", "Registry,Assignment,Org,Address\n", "line 1: bad OUI registry data: header"},
		{"csv unknown registry", csvHeader + "MA-X,00000C,Cisco,Somewhere\n", "line 2: bad OUI registry data: unknown registry \"MA-X\""},
		{"csv short assignment", csvHeader + "MA-L,00000C,Cisco,x\nMA-M,00000C,Cisco,x\n", "line 3: bad OUI registry data: MA-M assignment \"00000C\" has 6 hex digits, want 7"},
		{"csv not hex", csvHeader + "MA-L,00000G,Cisco,x\n", "line 2: bad OUI registry data: assignment \"00000G\" is not hexadecimal"},
		{"csv no name", csvHeader + "MA-L,00000C, ,x\n", "line 2: bad OUI registry data: assignment 00000C has no organization name"},
		{"csv field count", csvHeader + "MA-L,00000C,Cisco\n", "line 2: bad OUI registry data: wrong number of fields"},
		{"csv bad quote", csvHeader + "MA-L,00000C,\"Cisco\" Systems,x\n", "line 2: bad OUI registry data"},
		{"csv only header", csvHeader, ""},
		{"manuf no name", "# c\n00:00:0C\n", "line 2: bad OUI registry data: want an address prefix"},
		{"manuf bad octet", "00:00:0G\tX\tY\n", "line 1: bad OUI registry data: bad octet \"0G\""},
		{"manuf short octet", "00:0:0C\tX\tY\n", "line 1: bad OUI registry data: bad octet \"0\""},
		{"manuf too few octets", "\n00:0C\tX\tY\n", "line 2: bad OUI registry data: bad address prefix \"00:0C\""},
		{"manuf bad mask", "00:00:0C:00:00:00/99\tX\tY\n", "line 1: bad OUI registry data: bad mask"},
		{"manuf mask longer than prefix", "00:00:0C/28\tX\tY\n", "line 1: bad OUI registry data: mask /28 is longer than the 3 octets"},
		{"manuf unicast odd length", "00:00:0C:00:00:00/40\tX\tY\n", "line 1: bad OUI registry data: prefix \"00:00:0C:00:00:00\": unsupported length /40"},
		{"manuf empty", "# only comments\n\n", "bad OUI registry data: no manuf entries"},
		{"gzip truncated", "\x1f\x8b\x08\x00", "bad OUI registry data: gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "reg")
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error %q, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("Load error %q does not name the file", err)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("Load error %q is not ErrFormat", err)
			}
		})
	}
}

const csvHeader = "Registry,Assignment,Organization Name,Organization Address\n"

func TestLoadNoData(t *testing.T) {
	if _, err := Load(); !errors.Is(err, ErrNoData) {
		t.Errorf("Load() error = %v, want ErrNoData", err)
	}
	if _, err := Load(t.TempDir()); !errors.Is(err, ErrNoData) {
		t.Errorf("Load(empty dir) error = %v, want ErrNoData", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want os.ErrNotExist", err)
	}
}

// openMaybeGzip opens a registry file for the independent counts below.
func openMaybeGzip(t *testing.T, path string) io.Reader {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		data, err = io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
	}
	return bytes.NewReader(data)
}

// ieeeKeys returns the distinct assignments of an IEEE CSV listing, as
// upper-case hex strings (6, 7 or 9 digits).
func ieeeKeys(t *testing.T, path string) map[string]bool {
	t.Helper()
	recs, err := csv.NewReader(openMaybeGzip(t, path)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	keys := make(map[string]bool)
	for _, rec := range recs[1:] {
		keys[strings.ToUpper(rec[1])] = true
	}
	return keys
}

// manufKeys returns the distinct vendor prefixes of a manuf file in the same
// form as ieeeKeys: the first 6, 7 or 9 hex digits.
func manufKeys(t *testing.T, path string) map[string]bool {
	t.Helper()
	keys := make(map[string]bool)
	sc := bufio.NewScanner(openMaybeGzip(t, path))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		addr, _, _ := strings.Cut(line, "\t")
		digits := strings.NewReplacer(":", "", "-", "", ".", "").Replace(addr)
		switch {
		case strings.HasSuffix(addr, "/28"):
			keys[digits[:7]] = true
		case strings.HasSuffix(addr, "/36"):
			keys[digits[:9]] = true
		case len(digits) == 6:
			keys[digits] = true
		default:
			t.Fatalf("%s: unexpected entry %q", path, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func union(sets ...map[string]bool) map[string]bool {
	out := make(map[string]bool)
	for _, s := range sets {
		for k := range s {
			out[k] = true
		}
	}
	return out
}

func countByLen(keys map[string]bool) map[int]int {
	out := make(map[int]int)
	for k := range keys {
		out[len(k)*4]++
	}
	return out
}

func checkCounts(t *testing.T, r *Registry, keys map[string]bool) {
	t.Helper()
	if got, want := r.Len(), len(keys); got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	for bits, want := range countByLen(keys) {
		if got := r.LenBits(bits); got != want {
			t.Errorf("LenBits(%d) = %d, want %d", bits, got, want)
		}
	}
}

// realLookups are assignments known to be in every snapshot since 2022.
var realLookups = []lookupCase{
	{"00:00:0c:01:02:03", "Cisco Systems, Inc", true},               // MA-L
	{"00:12:21:01:02:03", "B.Braun Melsungen AG", true},             // MA-L
	{"50:a0:30:80:00:01", "GE Medical System China Co. Ltd.", true}, // MA-M
	{"70:b3:d5:b3:40:01", "Medtronic", true},                        // MA-S
	{"00:50:c2:83:10:01", "St Jude Medical, Inc.", true},            // IAB
	{"70:b3:d5:00:00:01", "IEEE Registration Authority", true},      // MA-L below an unassigned MA-S
	{"01:00:5e:00:00:01", "", false},                                // IPv4 multicast
}

func datasets(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS is not set: skipping the test on the real OUI registry files")
	}
	return dir
}

func TestRealIEEEData(t *testing.T) {
	dir := filepath.Join(datasets(t), "oui-manuf", "ieee-data")
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := union(ieeeKeys(t, filepath.Join(dir, "oui.csv.gz")), ieeeKeys(t, filepath.Join(dir, "mam.csv.gz")),
		ieeeKeys(t, filepath.Join(dir, "oui36.csv.gz")), ieeeKeys(t, filepath.Join(dir, "iab.csv.gz")))
	checkCounts(t, r, keys)
	checkLookups(t, r, realLookups)
}

func TestRealManuf(t *testing.T) {
	path := filepath.Join(datasets(t), "oui-manuf", "wireshark", "manuf.gz")
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, r, manufKeys(t, path))
	lookups := append([]lookupCase(nil), realLookups...)
	lookups = append(lookups, lookupCase{"54:fa:89:00:00:01", "Medtronic CRM", true}) // newer than the IEEE snapshot
	checkLookups(t, r, lookups)
}

func TestRealCombined(t *testing.T) {
	base := filepath.Join(datasets(t), "oui-manuf")
	ieee := filepath.Join(base, "ieee-data")
	manuf := filepath.Join(base, "wireshark", "manuf.gz")
	r, err := Load(ieee, manuf)
	if err != nil {
		t.Fatal(err)
	}
	keys := union(ieeeKeys(t, filepath.Join(ieee, "oui.csv.gz")), ieeeKeys(t, filepath.Join(ieee, "mam.csv.gz")),
		ieeeKeys(t, filepath.Join(ieee, "oui36.csv.gz")), ieeeKeys(t, filepath.Join(ieee, "iab.csv.gz")),
		manufKeys(t, manuf))
	checkCounts(t, r, keys)
	// IEEE's spelling wins over Wireshark's for a prefix both list.
	checkLookups(t, r, []lookupCase{{"00:00:a1:00:00:01", "MARQUETTE ELECTRIC CO.", true}})
}

func TestDebianIEEEData(t *testing.T) {
	const dir = "/usr/share/ieee-data"
	if _, err := os.Stat(filepath.Join(dir, "oui.csv")); err != nil {
		t.Skipf("%s/oui.csv not present (Debian package ieee-data): %v", dir, err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sets []map[string]bool
	for _, f := range dirFiles[:4] {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			sets = append(sets, ieeeKeys(t, filepath.Join(dir, f)))
		}
	}
	checkCounts(t, r, union(sets...))
	checkLookups(t, r, realLookups[:2])
}
