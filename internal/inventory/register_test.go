package inventory

import (
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
)

// fakeClassifier classifies every device the same way.
type fakeClassifier struct{ res fingerprint.Result }

func (f fakeClassifier) Classify(*asset.Device) fingerprint.Result { return f.res }

func TestReadRegister(t *testing.T) {
	const good = "\ufeffMAC,Model,Firmware,Manufacturer,criticality,Location,asset_tag\n" +
		"00-00-00-00-00-0A, Alaris 8015 ,12.1.2,BD,life-sustaining,ICU bed 4,A-1001\n" +
		"00:00:00:00:00:0b,MX750,,Philips,,,\n"
	rows, err := ReadRegister(strings.NewReader(good), "cmms.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := asset.Record{Manufacturer: "BD", Model: "Alaris 8015", Firmware: "12.1.2", AssetTag: "A-1001", Location: "ICU bed 4", Source: "cmms.csv:2"}
	if len(rows) != 2 || rows[0].MAC != "00:00:00:00:00:0a" || rows[0].Record != want || rows[0].Criticality != asset.LifeSustaining || rows[1].Line != 3 {
		t.Fatalf("rows = %+v", rows)
	}

	for _, tc := range []struct{ name, csv, want string }{
		{"unknown column", "mac,modle\n", `cmms.csv:1: unknown column "modle"`},
		{"no identifier", "model,firmware\n", "cmms.csv:1: no identifier column"},
		{"bad mac", "mac,model\nzz:zz,M\n", `cmms.csv:2: mac "zz:zz"`},
		{"bad ip", "ip,model\n10.0.0.300,M\n", `cmms.csv:2: ip "10.0.0.300"`},
		{"bad criticality", "id,criticality\ndev-1,vital\n", `cmms.csv:2: criticality "vital"`},
		{"empty identifiers", "id,mac,model\n,,M\n", "cmms.csv:2: no identifier"},
		{"field count", "id,model\ndev-1,M,extra\n", "wrong number of fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRegister(strings.NewReader(tc.csv), "cmms.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Good rows survive a bad one, and every bad one is reported.
	rows, err = ReadRegister(strings.NewReader("ip,model\n10.0.0.1,A\nx,B\n10.0.0.3,C\ny,D\n"), "cmms.csv")
	if len(rows) != 2 || err == nil || !strings.Contains(err.Error(), "cmms.csv:3") || !strings.Contains(err.Error(), "cmms.csv:5") {
		t.Errorf("rows %d, err %v", len(rows), err)
	}
}

func TestRegisterFindsAndOverrides(t *testing.T) {
	corpus := fakeClassifier{res: fingerprint.Result{Class: "patient_monitor", Confidence: 0.9, Manufacturer: "Philips", Model: "IntelliVue"}}
	inv, err := New(Options{Classifier: corpus})
	if err != nil {
		t.Fatal(err)
	}
	inv.Apply(dhcp(10, "00:00:00:00:00:0a", "10.0.0.5", "mon-1"))
	inv.Apply(conn(20, "10.0.0.9", "10.1.0.1", 443, "SF")) // a static device
	inv.Flush()
	byMAC := inv.byKey["mac:00:00:00:00:00:0a"].ID
	static := inv.byKey["ip:10.0.0.9"].ID
	for _, tc := range []struct {
		row  RegisterRow
		want string
	}{
		{RegisterRow{ID: byMAC}, byMAC},
		{RegisterRow{MAC: "00:00:00:00:00:0a"}, byMAC},
		{RegisterRow{IP: "10.0.0.5"}, byMAC},
		{RegisterRow{IP: "10.0.0.9"}, static},
		{RegisterRow{Hostname: "mon-1"}, byMAC},
		{RegisterRow{MAC: "00:00:00:00:00:0f", Hostname: "nobody"}, ""},
	} {
		if got := inv.Find(tc.row); got != tc.want {
			t.Errorf("Find(%+v) = %q, want %q", tc.row, got, tc.want)
		}
	}
	if err := inv.SetRecord(byMAC, asset.Record{Model: "MX750", Firmware: "M.01", Source: "cmms.csv:2"}, asset.LifeSustaining); err != nil {
		t.Fatal(err)
	}
	// A new signal reclassifies the device: the register still wins.
	inv.Apply(&event.DNS{TS: at(30), OrigH: addr("10.0.0.5"), Query: "philips.example"})
	ch := inv.Flush()
	d := ch.Devices[0]
	if d.Model != "MX750" || d.Firmware != "M.01" || d.Manufacturer != "Philips" || d.Criticality != asset.LifeSustaining || d.Record == nil {
		t.Errorf("device after the record: model %q firmware %q manufacturer %q criticality %s", d.Model, d.Firmware, d.Manufacturer, d.Criticality)
	}
	if err := inv.SetRecord("dev-nope", asset.Record{}, ""); err == nil {
		t.Error("SetRecord of an unknown device succeeded")
	}
}
