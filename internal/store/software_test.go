package store

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBatchValidateSoftware(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	sbom := func(id, version string) SBOMRecord {
		return SBOMRecord{ID: id, Vendor: "Acme", Model: "Pump", Version: version, Imported: t0, Doc: []byte{}}
	}
	tests := []struct {
		name string
		b    *Batch
		want []string // substrings of the error, one per problem; none: valid
	}{
		{"valid", &Batch{
			// Repeated keys, the zero time, bounds, empty documents; an ID
			// moving to another model version within the batch.
			SBOMs: []SBOMRecord{sbom("a", "1"), sbom("b", "1"), sbom("a", "2"), {ID: "c", Vendor: "V", Model: "M", Version: "1", Doc: []byte{0}}},
			Advisories: []AdvisoryRecord{{Source: "osv", ID: "A", Hash: "h", Doc: []byte{}, Modified: MaxTime},
				{Source: "osv", ID: "A", Hash: "h", Aliases: []string{"CVE-1", "CVE-1"}, Doc: []byte("{}")}},
			KEV:  []KEVRecord{{CVE: "CVE-1", DateAdded: MinTime, Doc: []byte{}}},
			EPSS: []EPSSRecord{{CVE: "CVE-1", Score: 0, Percentile: 1}, {CVE: "CVE-1", Score: 1, Percentile: 0, Date: t0}},
			VEX:  []VEXRecord{{ID: "v", Vulnerability: "CVE-1", Doc: []byte{}}},
		}, nil},
		{"sbom", &Batch{SBOMs: []SBOMRecord{
			{Doc: []byte{}},
			{ID: "x", Vendor: "V\x00", Model: "M", Version: "1", Name: "\xff", Components: -1, Imported: MinTime.Add(-1)},
		}}, []string{"sboms[0]: empty id", "sboms[0]: empty vendor", "sboms[0]: empty model", "sboms[0]: empty version",
			`sboms[1]: vendor "V\x00"`, `sboms[1]: name "\xff"`, "negative component count -1", "imported", "sboms[1] \"x\": nil document"}},
		{"sbom id of two model versions", &Batch{SBOMs: []SBOMRecord{sbom("b", "1"), sbom("a", "1"), sbom("a", "2")}},
			[]string{`sboms: id "a" given to two model versions, "Acme"/"Pump"/"1" and "Acme"/"Pump"/"2"`}},
		{"advisory", &Batch{Advisories: []AdvisoryRecord{
			{Doc: []byte{}, Hash: "h"},
			{Source: "s\x00", ID: "A", Aliases: []string{"", "\xff"}, Modified: MaxTime.Add(1)},
		}}, []string{"advisories[0]: empty source or id", `advisories[1]: source "s\x00"`, `hash ""`, "aliases[0]", "aliases[1]",
			"modified", "advisories[1] \"A\": nil document"}},
		{"kev", &Batch{KEV: []KEVRecord{{Doc: []byte{}}, {CVE: "\x00", DueDate: MaxTime.Add(1)}}},
			[]string{"kev[0]: empty cve", "kev[1]: cve", "date added or due date out of range", "kev[1] \"\\x00\": nil document"}},
		{"epss", &Batch{EPSS: []EPSSRecord{{Score: math.NaN(), Percentile: -0.5}, {CVE: "c", Score: math.Inf(1), Percentile: 1.5, Date: MinTime.Add(-1)}}},
			[]string{"epss[0]: empty cve", "score NaN", "percentile -0.5", "score +Inf", "percentile 1.5", "epss[1] \"c\": date"}},
		{"vex", &Batch{VEX: []VEXRecord{{Doc: []byte{}}, {ID: "v", Vulnerability: "CVE-1", Source: "\xff"}}},
			[]string{"vex[0]: empty id or vulnerability", `vex[1]: source "\xff"`, "vex[1] \"v\": nil document"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidBatch) {
				t.Fatalf("Validate: %v, want ErrInvalidBatch", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if got := strings.Count(msg, "\n") + 1; got != len(tt.want) {
				t.Errorf("error has %d problems, want %d:\n%s", got, len(tt.want), msg)
			}
		})
	}
}

func TestDocHash(t *testing.T) {
	if got, want := DocHash([]byte("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("DocHash(abc) = %s, want %s", got, want)
	}
}
