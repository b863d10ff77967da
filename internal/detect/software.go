package detect

import (
	"fmt"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/event"
)

// DetectorUnauthorizedUpdate is the name of the detector of software
// changes that no approved patch explains.
const DetectorUnauthorizedUpdate = "unauthorized-update"

var unauthorizedUpdateMapping = Mapping{DetectorUnauthorizedUpdate, alert.High, []string{"T0839", "T0857", "T1195"},
	[]string{"D3-FV", "D3-SWI"},
	"The device started to report another version of a piece of its software, and no patch for the device is scheduled or deployed in Vigil's patch lifecycle: a firmware or software change nobody approved, the way a tampered update or a spoofed update server shows."}

// FromSoftwareChange builds the occurrence of a software version change
// on a device with no approved patch.
func FromSoftwareChange(dev Device, name, from, to string, ev event.Event, pos event.Position) Occurrence {
	m := unauthorizedUpdateMapping
	return Occurrence{
		Key:      Key(m.Detector, dev.ID, name, to),
		Detector: m.Detector, Device: dev, Severity: m.Severity, Time: ev.Time(),
		What:        fmt.Sprintf("changed %s from %s to %s with no approved patch", name, from, to),
		Explanation: fmt.Sprintf("%s Observed: %s %s, before %s.", m.Meaning, name, to, from),
		Attack:      m.Attack, D3FEND: m.D3FEND,
		Evidence: []alert.Evidence{EventEvidence(ev, pos), {Kind: "baseline", Summary: fmt.Sprintf("%s %s seen before", name, from),
			Time: ev.Time(), Fields: map[string]string{"software": name, "previous_version": from, "version": to}}},
	}
}
