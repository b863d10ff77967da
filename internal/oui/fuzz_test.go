package oui

import (
	"bytes"
	"net"
	"os"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the registry reader (CSV, manuf and
// gzip detection): it must return an error or a registry, never panic.
func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/ieee/oui.csv", "testdata/ieee/mam.csv", "testdata/manuf/manuf"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("00:1B:C5:00:00:00/36\tX\tY\n01:80:C2:00:00:00/44\tSTP\n"))
	f.Add([]byte(csvHeader + "MA-S,70B3D5B34,\"Med, tronic\",\"a\nb\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newBuilder()
		if err := b.read(bytes.NewReader(data), "fuzz"); err != nil {
			return
		}
		for _, mac := range []net.HardwareAddr{{0, 0x1b, 0xc5, 0, 0, 1}, {0x70, 0xb3, 0xd5, 0xb3, 0x40, 1}} {
			b.reg.Lookup(mac)
		}
		if b.reg.Len() < 0 {
			t.Fatal("negative length")
		}
	})
}
