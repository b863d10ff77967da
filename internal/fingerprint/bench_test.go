package fingerprint

import (
	"fmt"
	"testing"

	"github.com/vigil-iomt/vigil/internal/asset"
)

// benchDevices returns n devices cycling through typical hospital hosts:
// pumps, monitors, modalities, workstations, printers, phones and devices
// no rule knows.
func benchDevices(n int) []*asset.Device {
	kinds := []asset.Device{
		{Vendor: "Baxter International Inc", Hostnames: []string{"SPECTRUM-0001"}, Services: []asset.Service{{Port: 21, Proto: "tcp", Name: "ftp"}, {Port: 23, Proto: "tcp"}},
			Clients: []asset.Service{{Port: 443, Proto: "tcp", Name: "ssl"}}},
		{Vendor: "Philips Medical Systems - Cardiac and Monitoring Systems (CM", Hostnames: []string{"MX750-ICU-001"}, Services: []asset.Service{{Port: 24105, Proto: "udp"}},
			Clients: []asset.Service{{Port: 24005, Proto: "udp"}, {Port: 123, Proto: "udp", Name: "ntp"}}},
		{Vendor: "Siemens AG, Healthcare Sector", Hostnames: []string{"CT-SOMATOM-01"}, Services: []asset.Service{{Port: 104, Proto: "tcp", Name: "dicom"}},
			Clients: []asset.Service{{Port: 104, Proto: "tcp", Name: "dicom"}, {Port: 123, Proto: "udp", Name: "ntp"}}, DNSNames: []string{"webclient.eu.api.teamplay.siemens.com"}},
		{Vendor: "Dell Inc.", Hostnames: []string{"WSICU0042"}, DHCPVendorClass: "MSFT 5.0",
			Clients:    []asset.Service{{Port: 88, Proto: "udp", Name: "krb"}, {Port: 389, Proto: "tcp", Name: "ldap"}, {Port: 445, Proto: "tcp", Name: "smb"}, {Port: 443, Proto: "tcp", Name: "ssl"}, {Port: 80, Proto: "tcp", Name: "http"}},
			DNSNames:   []string{"login.microsoftonline.com", "outlook.office365.com", "www.uptodate.com", "ehr01.hosp.example", "teams.microsoft.com"},
			TLSServers: []string{"login.microsoftonline.com", "outlook.office365.com", "ehr01.hosp.example"},
			Software:   []asset.Software{{Name: "Microsoft-CryptoAPI", Version: "10.0"}, {Name: "Edge", Version: "120.0"}}},
		{Vendor: "HP Inc.", Hostnames: []string{"NPI3A5F21"}, DHCPVendorClass: "Hewlett-Packard JetDirect",
			Services: []asset.Service{{Port: 9100, Proto: "tcp"}, {Port: 631, Proto: "tcp"}, {Port: 80, Proto: "tcp", Name: "http"}, {Port: 161, Proto: "udp", Name: "snmp"}},
			Software: []asset.Software{{Name: "HP HTTP Server"}}},
		{Vendor: "Cisco Systems, Inc", Hostnames: []string{"SEP6C5E3B112233"}, DHCPVendorClass: "Cisco Systems, Inc. IP Phone CP-8845",
			Services: []asset.Service{{Port: 80, Proto: "tcp", Name: "http"}}, Clients: []asset.Service{{Port: 5060, Proto: "tcp"}, {Port: 6970, Proto: "tcp", Name: "http"}}},
		{Vendor: "Apple, Inc.", Hostnames: []string{"iPhone"}, DNSNames: []string{"www.apple.com", "gateway.icloud.com"}},
		{},
	}
	out := make([]*asset.Device, n)
	for i := range out {
		d := kinds[i%len(kinds)]
		out[i] = &d
	}
	return out
}

func BenchmarkClassify(b *testing.B) {
	c := loadEmbedded(b)
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			devices := benchDevices(n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.Classify(devices[i%n])
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "devices/s")
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = loadEmbedded(b).Len()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rules/s")
}
