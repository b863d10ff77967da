package vuln

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/csaf"
)

func TestNormalizeVendor(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"St. Jude Medical", []string{"st jude medical"}},
		{"St. Jude Medical, Inc.", []string{"st jude medical"}},
		{"ST JUDE MEDICAL INC", []string{"st jude medical"}},
		{"Medtronic plc", []string{"medtronic"}},
		{"Baxter International Inc.", []string{"baxter international"}},
		{"Johnson & Johnson", []string{"johnson johnson"}},
		{"Becton, Dickinson and Company", []string{"becton dickinson", "becton", "dickinson"}},
		{"ENEA, Green Hills Software, ITRON, IP Infusion, and Wind River",
			[]string{"enea green hills software itron ip infusion wind river", "enea", "green hills software", "itron", "ip infusion", "wind river"}},
		{"Innokas Yhtymä Oy", []string{"innokas yhtymä"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := NormalizeVendor(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("NormalizeVendor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// icsma builds a CSAF advisory shaped like CISA's ICSMA files: vendor →
// product_name → product_version(_range), one vulnerability.
func icsma(products []csaf.Product, status map[csaf.Status][]string) *csaf.Advisory {
	a := &csaf.Advisory{ID: "ICSMA-99-001-01", Category: "csaf_security_advisory", Products: map[string]csaf.Product{},
		Vulnerabilities: []csaf.Vulnerability{{CVE: "CVE-2099-1000", Products: status}}}
	for _, p := range products {
		a.Products[p.ID] = p
	}
	return a
}

func TestCSAFProducts(t *testing.T) {
	merlin := csaf.Product{ID: "CSAFPID-0001", Name: "Merlin@home: versions prior to 8.2.2", Vendor: "St. Jude Medical", ProductName: "Merlin@home", VersionRange: "< 8.2.2"}
	carelink := csaf.Product{ID: "CSAFPID-0002", Name: "CareLink 2090 Programmer: all versions", Vendor: "Medtronic", ProductName: "CareLink 2090 Programmer", VersionRange: "vers:all/*"}
	gen11 := csaf.Product{ID: "CSAFPID-0003", Name: "Gen11", Vendor: "Johnson & Johnson", ProductName: "Ethicon Endo-Surgery Generator Gen11", VersionRange: "<  november 29 2017"}
	pump := csaf.Product{ID: "CSAFPID-0004", Name: "Acme Pump 3.1", Vendor: "Acme Medical", ProductName: "Pump", Version: "3.1", ModelNumbers: []string{"AP-100"}}
	pumpFixed := csaf.Product{ID: "CSAFPID-0005", Name: "Acme Pump 3.2", Vendor: "Acme Medical", ProductName: "Pump", Version: "3.2"}
	pumpNA := csaf.Product{ID: "CSAFPID-0006", Name: "Acme Pump Lite 3.1", Vendor: "Acme Medical", ProductName: "Pump Lite", Version: "3.1"}
	adv := icsma([]csaf.Product{merlin, carelink, gen11, pump, pumpFixed, pumpNA}, map[csaf.Status][]string{
		csaf.KnownAffected:    {"CSAFPID-0001", "CSAFPID-0002", "CSAFPID-0003", "CSAFPID-0004"},
		csaf.Fixed:            {"CSAFPID-0005"},
		csaf.KnownNotAffected: {"CSAFPID-0006"},
	})
	tests := []struct {
		name       string
		opts       Options
		device     Product
		wantPID    string // "" = no finding
		wantMethod string
		wantVEX    string // VEX status on the (suppressing) statement, "" = none
	}{
		{name: "range, inside", device: Product{"St. Jude Medical", "Merlin@home", "8.2.1", nil}, wantPID: "CSAFPID-0001", wantMethod: MethodCSAFProduct},
		{name: "range, at the bound", device: Product{"St. Jude Medical", "Merlin@home", "8.2.2", nil}},
		{name: "vendor suffix and case", device: Product{"ST. JUDE MEDICAL, INC.", "merlin@home", "7.0", nil}, wantPID: "CSAFPID-0001", wantMethod: MethodCSAFProduct},
		{name: "model with more words", device: Product{"St. Jude Medical", "Merlin@home Transmitter EX1150", "8.1", nil}, wantPID: "CSAFPID-0001", wantMethod: MethodCSAFProduct},
		{name: "other vendor", device: Product{"Abbott", "Merlin@home", "8.1", nil}},
		{name: "less specific model", device: Product{"Medtronic", "CareLink", "1.0", nil}},
		{name: "all versions", device: Product{"Medtronic", "CareLink 2090 Programmer", "24.1", nil}, wantPID: "CSAFPID-0002", wantMethod: MethodCSAFProduct},
		{name: "all versions, version unknown", device: Product{"Medtronic", "CareLink 2090 Programmer", "", nil}, wantPID: "CSAFPID-0002", wantMethod: MethodCSAFProduct},
		{name: "unreadable range reported for review", device: Product{"Johnson & Johnson", "Ethicon Endo-Surgery Generator Gen11", "2017-05", nil}, wantPID: "CSAFPID-0003", wantMethod: MethodCSAFProductUnverified},
		{name: "unreadable range, strict", opts: Options{StrictCSAFVersions: true}, device: Product{"Johnson & Johnson", "Ethicon Endo-Surgery Generator Gen11", "2017-05", nil}},
		{name: "exact version", device: Product{"Acme Medical", "Pump", "3.1", nil}, wantPID: "CSAFPID-0004", wantMethod: MethodCSAFProduct},
		{name: "model number helper", device: Product{"Acme Medical, Inc.", "AP-100", "3.1", nil}, wantPID: "CSAFPID-0004", wantMethod: MethodCSAFProduct},
		{name: "fixed version", device: Product{"Acme Medical", "Pump", "3.2", nil}},
		{name: "not affected product", device: Product{"Acme Medical", "Pump Lite", "3.1", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMatcher(tt.opts)
			m.AddCSAF(adv)
			fs := m.MatchProduct(tt.device)
			if tt.wantPID == "" {
				if len(fs) != 0 {
					t.Fatalf("want no finding, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Method != tt.wantMethod || f.Source != SourceCSAF || f.Vulnerability != "CVE-2099-1000" {
				t.Errorf("finding %+v, want method %s", f, tt.wantMethod)
			}
			if !strings.Contains(f.Evidence, "CSAF product "+tt.wantPID+" ") || !strings.Contains(f.Evidence, "ICSMA-99-001-01") {
				t.Errorf("evidence %q does not name product %s and the advisory", f.Evidence, tt.wantPID)
			}
			if tt.wantPID == "CSAFPID-0004" && !slices.Equal(f.FixedIn, []string{"3.2"}) {
				t.Errorf("FixedIn = %q, want [3.2] (the fixed product of the same name)", f.FixedIn)
			}
		})
	}
}

// A fixed or known_not_affected CSAF product status suppresses a finding for
// the same vulnerability that came from another source (here NVD through the
// device's SBOM).
func TestCSAFStatusAsVEX(t *testing.T) {
	pumpFixed := csaf.Product{ID: "CSAFPID-0005", Name: "Acme Pump 3.2", Vendor: "Acme Medical", ProductName: "Pump", Version: "3.2"}
	adv := icsma([]csaf.Product{pumpFixed}, map[csaf.Status][]string{csaf.Fixed: {"CSAFPID-0005"}})
	adv.Vulnerabilities[0].CVE = "CVE-2099-0001"
	m := NewMatcher(Options{})
	m.AddCSAF(adv)
	m.AddAdvisory(nvdAdvisory("CVE-2099-0001", simpleWolfConfig()))
	for _, tt := range []struct {
		version  string
		suppress bool
	}{{"3.2", true}, {"3.1", false}} {
		fs := m.MatchSBOM(Product{Vendor: "Acme Medical", Model: "Pump", Version: tt.version}, doc(wolfComponent()))
		if len(fs) != 1 {
			t.Fatalf("%s: %d findings, want 1", tt.version, len(fs))
		}
		if fs[0].Suppressed != tt.suppress {
			t.Errorf("version %s: suppressed = %v, want %v (%+v)", tt.version, fs[0].Suppressed, tt.suppress, fs[0].VEX)
		}
		if tt.suppress && (fs[0].VEX.Scope != "csaf-product-status" || fs[0].VEX.Status != csaf.StatusFixed || fs[0].VEX.Source != "ICSMA-99-001-01") {
			t.Errorf("VEX %+v", fs[0].VEX)
		}
	}
}
