package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/simulate"
)

func TestZZDump(t *testing.T) {
	seed := int64(3)
	dir := t.TempDir()
	truth, err := simulate.Run(context.Background(), dir, simulate.Options{Seed: seed, Devices: 200, Hours: 24})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.batch = DefaultBatchSize
	h.ouis = []string{ouiRegistry(t)}
	h.ingest(filepath.Join(dir, simulate.LogDir))
	devs := h.devicesByKey()
	byMAC, byIP := map[string]asset.Device{}, map[string]asset.Device{}
	for _, d := range devs {
		for _, m := range d.MACs {
			byMAC[m] = d
		}
		for _, ip := range d.IPs {
			byIP[ip.IP] = d
		}
	}
	f, _ := os.Create("/tmp/dump.txt")
	defer f.Close()
	all := os.Getenv("DUMP_ALL") != ""
	for _, td := range truth.Devices {
		d, ok := byMAC[strings.ToLower(td.MAC)]
		if !ok && len(td.IPs) > 0 {
			d, ok = byIP[td.IPs[0].Addr]
		}
		if ok && d.Class == td.Class && !all {
			continue
		}
		var svc, cli, sw []string
		for _, s := range d.Services {
			svc = append(svc, fmt.Sprintf("%s/%d/%s", s.Proto, s.Port, s.Name))
		}
		for _, s := range d.Clients {
			cli = append(cli, fmt.Sprintf("%s/%d/%s", s.Proto, s.Port, s.Name))
		}
		for _, s := range d.Software {
			sw = append(sw, fmt.Sprintf("%+v", s))
		}
		var ev []string
		for _, e := range d.ClassEvidence {
			ev = append(ev, fmt.Sprintf("%+v", e))
		}
		fmt.Fprintf(f, "== %s (%s) want %s got %s %.2f\n  vendor=%q vc=%q host=%v\n  svc=%v\n  cli=%v\n  dns=%v\n  tls=%v\n  sw=%v\n  ev=%v\n",
			td.Hostname, td.Profile, td.Class, d.Class, d.ClassConfidence, d.Vendor, d.DHCPVendorClass, d.Hostnames, svc, cli, d.DNSNames, d.TLSServers, sw, ev)
	}
}
