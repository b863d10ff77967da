package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/fingerprint"
	"github.com/vigil-iomt/vigil/internal/simulate"
)

// TestSimulatedHospitalClassification is the inventory's quality gate: the
// simulated hospital is ingested like real logs and every device's class
// is compared with the simulator's ground truth. Medical devices must all
// be found and classified; the whole inventory must be nearly so.
func TestSimulatedHospitalClassification(t *testing.T) {
	const (
		minOverall = 0.95
		minMedical = 1.0
	)
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			dir := t.TempDir()
			truth, err := simulate.Run(context.Background(), dir, simulate.Options{Seed: seed, Devices: 200, Hours: 24})
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			h.batch = DefaultBatchSize
			h.ouis = []string{ouiRegistry(t)}
			sum := h.ingest(filepath.Join(dir, simulate.LogDir))
			if sum.Rejected != 0 {
				t.Fatalf("rejected %d: %v", sum.Rejected, sum.Errors)
			}
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
			var total, correct, medical, medicalCorrect int
			var wrong []string
			for _, td := range truth.Devices {
				d, ok := byMAC[strings.ToLower(td.MAC)]
				if !ok && len(td.IPs) > 0 {
					d, ok = byIP[td.IPs[0].Addr]
				}
				total++
				isMedical := medicalClass(td.Class)
				if isMedical {
					medical++
				}
				if ok && d.Class == td.Class {
					correct++
					if isMedical {
						medicalCorrect++
					}
					continue
				}
				got := "(missing)"
				if ok {
					got = d.Class
				}
				wrong = append(wrong, fmt.Sprintf("%s (%s): got %s, want %s", td.Hostname, td.Profile, got, td.Class))
			}
			slices.Sort(wrong)
			overall, med := float64(correct)/float64(total), float64(medicalCorrect)/float64(medical)
			t.Logf("seed %d: %d/%d devices right (%.3f), medical %d/%d", seed, correct, total, overall, medicalCorrect, medical)
			if overall < minOverall || med < minMedical {
				t.Errorf("accuracy %.3f (want ≥ %.2f), medical %.3f (want ≥ %.2f); wrong:\n  %s",
					overall, minOverall, med, minMedical, strings.Join(wrong, "\n  "))
			}
		})
	}
}

// medicalClass reports whether devices of the class touch patient care
// directly (life-sustaining, life-supporting or diagnostic).
func medicalClass(class string) bool {
	switch fingerprint.CriticalityOf(class) {
	case asset.LifeSustaining, asset.LifeSupporting, asset.Diagnostic:
		return true
	}
	return false
}

// ouiRegistry returns the IEEE registry: the datasets' copy, else Debian's.
func ouiRegistry(t *testing.T) string {
	t.Helper()
	if ds := os.Getenv("VIGIL_DATASETS"); ds != "" {
		return filepath.Join(ds, "oui-manuf/ieee-data")
	}
	if _, err := os.Stat("/usr/share/ieee-data"); err == nil {
		return "/usr/share/ieee-data"
	}
	t.Skip("no OUI registry: set VIGIL_DATASETS or install Debian's ieee-data")
	return ""
}
