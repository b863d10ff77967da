package fingerprint

import (
	"os"
	"reflect"
	"testing"

	"github.com/vigil-iomt/vigil/internal/asset"
)

func loadFixtures(t testing.TB) *Corpus {
	t.Helper()
	c, err := Load(os.DirFS("testdata/corpus"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFixtureExamples(t *testing.T) {
	c := loadFixtures(t)
	for _, r := range c.RunTests() {
		if r.Failed() {
			t.Error(r)
		}
	}
}

func TestClassify(t *testing.T) {
	c := loadFixtures(t)
	tests := []struct {
		name   string
		device *asset.Device
		want   Result
	}{
		{
			name:   "nothing matches",
			device: &asset.Device{Vendor: "Nobody"},
			want:   Result{Class: Unknown},
		},
		{
			name:   "one rule",
			device: &asset.Device{Vendor: "Acme Pumps"},
			want: Result{Class: "infusion_pump", Confidence: 0.6, Manufacturer: "Acme", Model: "Alpha", Evidence: []asset.Evidence{
				{Rule: "alpha-pump", Signal: "oui_vendor", Value: "Acme Pumps", Confidence: 0.6},
			}},
		},
		{
			// 1 - (1-0.6)(1-0.5) = 0.8; the stronger rule names the maker.
			name:   "two rules of one class combine",
			device: &asset.Device{Vendor: "Acme Pumps", Hostnames: []string{"PUMP-7"}},
			want: Result{Class: "infusion_pump", Confidence: 0.8, Manufacturer: "Acme", Model: "Alpha", Evidence: []asset.Evidence{
				{Rule: "alpha-pump", Signal: "oui_vendor", Value: "Acme Pumps", Confidence: 0.6},
				{Rule: "beta-pump", Signal: "hostname", Value: "PUMP-7", Confidence: 0.5},
			}},
		},
		{
			// imaging_ct (0.4) is supported by imaging_modality (0.5):
			// 1 - 0.6*0.5 = 0.7 beats the modality's own 0.5. The model
			// comes from the CT rule, which names no maker.
			name:   "a general class supports its refinement",
			device: &asset.Device{Hostnames: []string{"CT-01"}, Clients: []asset.Service{{Port: 104, Proto: "tcp"}}},
			want: Result{Class: "imaging_ct", Confidence: 0.7, Manufacturer: "Gamma", Model: "Scanner", Evidence: []asset.Evidence{
				{Rule: "generic-modality", Signal: "client_port", Value: "tcp/104", Confidence: 0.5},
				{Rule: "ct-name", Signal: "hostname", Value: "CT-01", Confidence: 0.4},
			}},
		},
		{
			// gamma-pump (same class) needs Telnet too: its vendor hit is
			// no evidence.
			name:   "a rule of the class that did not match gives no evidence",
			device: &asset.Device{Vendor: "Acme Pumps", Services: []asset.Service{{Port: 104, Proto: "tcp"}}},
			want: Result{Class: "infusion_pump", Confidence: 0.6, Manufacturer: "Acme", Model: "Alpha", Evidence: []asset.Evidence{
				{Rule: "alpha-pump", Signal: "oui_vendor", Value: "Acme Pumps", Confidence: 0.6},
			}},
		},
		{
			// any-groups holds through its first set; the vendor of its
			// second set is no evidence.
			name:   "only the sets that held are evidence",
			device: &asset.Device{Vendor: "Zeta", Services: []asset.Service{{Port: 2575, Proto: "tcp", Name: "hl7"}}},
			want: Result{Class: "hl7_interface_engine", Confidence: 0.3, Evidence: []asset.Evidence{
				{Rule: "any-groups", Signal: "server_service", Value: "hl7", Confidence: 0.3},
			}},
		},
		{
			name:   "the general class alone",
			device: &asset.Device{Clients: []asset.Service{{Port: 104, Proto: "TCP"}}},
			want: Result{Class: "imaging_modality", Confidence: 0.5, Manufacturer: "Gamma", Evidence: []asset.Evidence{
				{Rule: "generic-modality", Signal: "client_port", Value: "tcp/104", Confidence: 0.5},
			}},
		},
		{
			name:   "equal confidence: the class of the first rule id wins",
			device: &asset.Device{Vendor: "Tie Corp"},
			want: Result{Class: "nurse_call", Confidence: 0.5, Evidence: []asset.Evidence{
				{Rule: "tie-a", Signal: "oui_vendor", Value: "Tie Corp", Confidence: 0.5},
			}},
		},
		{
			name: "strongest class wins; evidence of the others is left out",
			device: &asset.Device{Vendor: "Acme Pumps", DNSNames: []string{"a.monitors.example"},
				Services: []asset.Service{{Port: 104, Proto: "tcp"}, {Port: 11112, Proto: "tcp"}}},
			want: Result{Class: "patient_monitor", Confidence: 0.9, Manufacturer: "Delta", Evidence: []asset.Evidence{
				{Rule: "monitor-dns", Signal: "dns", Value: "a.monitors.example", Confidence: 0.9},
			}},
		},
		{
			name:   "not: excludes",
			device: &asset.Device{Hostnames: []string{"test-bench"}, DNSNames: []string{"a.monitors.example"}},
			want:   Result{Class: Unknown},
		},
		{
			name: "all: needs every set; any: one set; evidence lists both ports",
			device: &asset.Device{Services: []asset.Service{
				{Port: 11112, Proto: "tcp", Name: "dicom"}, {Port: 104, Proto: "tcp"}, {Port: 2575, Proto: "tcp", Name: "ssl, HL7"},
			}},
			want: Result{Class: "pacs", Confidence: 0.7, Evidence: []asset.Evidence{
				{Rule: "all-ports", Signal: "server_port", Value: "tcp/104", Confidence: 0.7},
				{Rule: "all-ports", Signal: "server_port", Value: "tcp/11112", Confidence: 0.7},
			}},
		},
		{
			name:   "service names split on commas, case-insensitive",
			device: &asset.Device{Services: []asset.Service{{Port: 2575, Proto: "tcp", Name: "ssl, HL7"}}},
			want: Result{Class: "hl7_interface_engine", Confidence: 0.3, Evidence: []asset.Evidence{
				{Rule: "any-groups", Signal: "server_service", Value: "hl7", Confidence: 0.3},
			}},
		},
		{
			name:   "general glob over TLS names",
			device: &asset.Device{TLSServers: []string{"print-us.example.com"}},
			want: Result{Class: "printer", Confidence: 0.3, Evidence: []asset.Evidence{
				{Rule: "glob-general", Signal: "tls_server_name", Value: "print-us.example.com", Confidence: 0.3},
			}},
		},
		{
			name:   "software as name/version",
			device: &asset.Device{Software: []asset.Software{{Name: "Orthanc", Version: "1.12.1"}}},
			want: Result{Class: "pacs", Confidence: 0.4, Manufacturer: "Orthanc", Evidence: []asset.Evidence{
				{Rule: "software", Signal: "software", Value: "Orthanc/1.12.1", Confidence: 0.4},
			}},
		},
		{
			name:   "vendor with blanks around it",
			device: &asset.Device{Vendor: " Acme Pumps "},
			want: Result{Class: "infusion_pump", Confidence: 0.6, Manufacturer: "Acme", Model: "Alpha", Evidence: []asset.Evidence{
				{Rule: "alpha-pump", Signal: "oui_vendor", Value: "Acme Pumps", Confidence: 0.6},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Classify(tt.device)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Classify:\n got %+v\nwant %+v", got, tt.want)
			}
			// Deterministic, and the pooled state leaks nothing between calls.
			if again := c.Classify(tt.device); !reflect.DeepEqual(again, got) {
				t.Errorf("second Classify differs:\n%+v\n%+v", again, got)
			}
		})
	}
	if got := c.Classify(nil); got.Class != Unknown {
		t.Errorf("Classify(nil) = %+v", got)
	}
}

func TestMatches(t *testing.T) {
	c := loadFixtures(t)
	got := c.Matches(&asset.Device{Vendor: "Tie Corp", Hostnames: []string{"pump-3"}})
	want := []string{"beta-pump", "tie-a", "tie-b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Matches = %v, want %v", got, want)
	}
}

func TestClassTable(t *testing.T) {
	seen := make(map[string]bool)
	for _, cl := range Classes() {
		if seen[cl.Name] {
			t.Errorf("class %s listed twice", cl.Name)
		}
		seen[cl.Name] = true
		if !cl.Criticality.Valid() {
			t.Errorf("class %s: invalid criticality %q", cl.Name, cl.Criticality)
		}
		if cl.Label == "" {
			t.Errorf("class %s has no label", cl.Name)
		}
		if cl.Parent != "" {
			if _, ok := LookupClass(cl.Parent); !ok {
				t.Errorf("class %s: unknown parent %s", cl.Name, cl.Parent)
			}
		}
	}
	for class, want := range map[string]asset.Criticality{
		"infusion_pump":              asset.LifeSustaining,
		"ventilator":                 asset.LifeSustaining,
		"cardiac_implant_programmer": asset.LifeSustaining,
		"patient_monitor":            asset.LifeSupporting,
		"imaging_ct":                 asset.Diagnostic,
		"pacs":                       asset.Diagnostic,
		"ehr_server":                 asset.ClinicalSupport,
		"printer":                    asset.NonClinical,
		Unknown:                      asset.CriticalityUnknown,
		"no_such_class":              asset.CriticalityUnknown,
	} {
		if got := CriticalityOf(class); got != want {
			t.Errorf("CriticalityOf(%q) = %q, want %q", class, got, want)
		}
	}
}

func TestRegexpPrefilter(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{`(?i)^baxter international inc$`, "Baxter International Inc", true},
		{`(?i)^Becton,\s*Dickinson`, "BECTON, DICKINSON and Company", true},
		{`(?i)^(carefusion|alaris medical)`, "Alaris Medical Systems", true},
		{`(?i)^(carefusion|alaris medical)`, "Cisco", false},
		{`(?i)dräger`, "DRÄGER", true}, // non-ASCII: no prefilter, the regexp decides
		{`(?i)k`, "\u212a", true},      // Kelvin sign folds to k: non-ASCII values skip the prefilter
		{`ab+c`, "xabbbcx", true},
		{`a(b|c)?d`, "ad", true},
	}
	for _, tt := range tests {
		re, err := compileRegexp(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.match(tt.value); got != tt.want {
			t.Errorf("%q matching %q = %v, want %v (literals %q)", tt.pattern, tt.value, got, tt.want, re.lits)
		}
		if got := re.re.MatchString(tt.value); got != tt.want {
			t.Errorf("%q: the regexp itself gives %v", tt.pattern, got)
		}
	}
}

// TestClassifyConcurrent: one corpus serves many goroutines (one per shard)
// and gives each the result it gives alone.
func TestClassifyConcurrent(t *testing.T) {
	c := loadEmbedded(t)
	devices := benchDevices(64)
	want := make([]Result, len(devices))
	for i, d := range devices {
		want[i] = c.Classify(d)
	}
	errs := make(chan string, 8)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				k := (i + g) % len(devices)
				if got := c.Classify(devices[k]); !reflect.DeepEqual(got, want[k]) {
					errs <- devices[k].Vendor
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	close(errs)
	for v := range errs {
		t.Errorf("concurrent Classify of the %q device differs", v)
	}
}
