package baseline

import (
	"fmt"
	"slices"
	"time"
)

// Volume profiles: the bytes a device sends per hour of event time, in all
// and to external peers. The first is the device's activity profile (by
// hour of day); the second is judged, because data leaves the hospital
// through it: large internal transfers (a modality sending a study to the
// PACS, a workstation saving to a file share) are the hospital's normal
// business, an hour of uploads to the internet that a device never made is
// how theft looks.
//
// The hours still filling are kept open (a few at once, because Zeek logs
// a connection when it ends, so records arrive a little out of order);
// when an hour is pushed out it joins the history, a ring of the last
// historyHours hours in which the device sent anything, and the
// time-of-day profile. An hour whose running total exceeds the threshold
// after the learning period is a spike. The threshold is robust:
//
//	threshold = max(median + 10·1.4826·MAD, 2·max, median + 8 MiB)
//
// over the history: ten robust standard deviations above the median, and
// at least twice the largest hour of the window, so that a device with
// bursty but bounded traffic is judged by its own worst hour. With fewer
// than minHistory hours of history, the statistics are not trusted and
// the threshold is max(2·max, 8 MiB): a device that sent (almost) nothing
// to the internet while learning and then uploads tens of megabytes in an
// hour is exactly what this detector is for. An hour that was a spike is kept out of the history, so
// that an attack does not become the norm.
const (
	historyHours   = 168 // one week of active hours
	minHistory     = 12  // active hours of history needed before judging
	openHours      = 4
	spikeMADs      = 10
	spikeMaxFactor = 2
	spikeFloor     = 8 << 20
	todAlpha       = 0.2 // weight of the newest day in the time-of-day averages
)

// Volume is a device's hourly volume profile. Only the judged profile
// keeps the history and the threshold.
type Volume struct {
	Open [openHours]HourBucket `json:"open"`
	// History holds the byte totals of closed active hours; once full it
	// is a ring whose next slot to overwrite is Next.
	History []float32 `json:"history,omitempty"`
	Next    int       `json:"next,omitempty"`
	// Threshold is the spike threshold for the current history (0 while
	// the history is empty: the floor applies).
	Threshold float64 `json:"threshold,omitempty"`
	Median    float64 `json:"median,omitempty"`
	MAD       float64 `json:"mad,omitempty"`
	Max       float64 `json:"max,omitempty"`
	// TODBytes and TODConns are exponentially weighted averages of bytes
	// and connections per hour of the day (UTC), over active hours.
	TODBytes [24]float64 `json:"tod_bytes"`
	TODConns [24]float64 `json:"tod_conns"`
}

// HourBucket is an hour still filling. Hour is Unix hours; 0 is unused.
type HourBucket struct {
	Hour    int64 `json:"h,omitempty"`
	Bytes   int64 `json:"b,omitempty"`
	Conns   int64 `json:"c,omitempty"`
	Alerted bool  `json:"a,omitempty"`
}

// addVolume counts bytes and connections in the device's activity
// profile, and in its judged external profile when the peer is external.
func (s *Set) addVolume(p *Profile, id string, ts time.Time, bytes, conns int64, external bool, out []Deviation) []Deviation {
	h := ts.Unix() / 3600
	if b := p.Volume.bucket(h, false); b != nil {
		b.Bytes += bytes
		b.Conns += conns
	}
	if !external {
		return out
	}
	v := &p.External
	b := v.bucket(h, true)
	if b == nil {
		return out // older than every open hour: too late to count
	}
	b.Bytes += bytes
	b.Conns += conns
	if b.Alerted || float64(b.Bytes) <= v.threshold() || s.learning(p, ts) {
		return out
	}
	b.Alerted = true
	hour := time.Unix(h*3600, 0).UTC()
	return append(out, Deviation{Kind: VolumeSpike, DeviceID: id, Time: ts,
		Observed: fmt.Sprintf("%s sent to external peers in the hour from %s", humanBytes(float64(b.Bytes)), hour.Format("2006-01-02 15:04")),
		Expected: v.expected(hour),
		Baseline: map[string]string{
			"threshold_bytes": ftoa(v.threshold()), "median_bytes": ftoa(v.Median), "mad_bytes": ftoa(v.MAD),
			"max_bytes": ftoa(v.Max), "history_hours": itoa(len(v.History)),
			"time_of_day_bytes": ftoa(v.TODBytes[hour.Hour()]), "observed_bytes": itoa64(b.Bytes),
		}})
}

// expected describes the threshold and the history behind it.
func (v *Volume) expected(hour time.Time) string {
	if len(v.History) < minHistory {
		return fmt.Sprintf("at most %s: only %d hours with traffic to external peers so far (largest %s), too few for statistics",
			humanBytes(v.threshold()), len(v.History), humanBytes(v.Max))
	}
	return fmt.Sprintf("at most %s (median %s, MAD %s, largest hour %s over %d active hours; usually %s at %02d:00 UTC)",
		humanBytes(v.threshold()), humanBytes(v.Median), humanBytes(v.MAD), humanBytes(v.Max), len(v.History),
		humanBytes(v.TODBytes[hour.Hour()]), hour.Hour())
}

// bucket returns the open bucket of hour h, opening it (and closing the
// oldest, into the history when judged) when needed; nil when h is older
// than every open hour.
func (v *Volume) bucket(h int64, judged bool) *HourBucket {
	oldest := -1
	for i := range v.Open {
		b := &v.Open[i]
		if b.Hour == h {
			return b
		}
		if b.Hour == 0 {
			*b = HourBucket{Hour: h}
			return b
		}
		if oldest < 0 || b.Hour < v.Open[oldest].Hour {
			oldest = i
		}
	}
	if h < v.Open[oldest].Hour {
		return nil
	}
	v.close(v.Open[oldest], judged)
	v.Open[oldest] = HourBucket{Hour: h}
	return &v.Open[oldest]
}

// close moves a finished hour into the time-of-day profile and, when
// judged, the history.
func (v *Volume) close(b HourBucket, judged bool) {
	if b.Alerted || (b.Bytes == 0 && b.Conns == 0) {
		return
	}
	hod := (b.Hour % 24)
	if v.TODConns[hod] == 0 && v.TODBytes[hod] == 0 {
		v.TODBytes[hod], v.TODConns[hod] = float64(b.Bytes), float64(b.Conns)
	} else {
		v.TODBytes[hod] += todAlpha * (float64(b.Bytes) - v.TODBytes[hod])
		v.TODConns[hod] += todAlpha * (float64(b.Conns) - v.TODConns[hod])
	}
	if !judged {
		return
	}
	if len(v.History) < historyHours {
		v.History = append(v.History, float32(b.Bytes))
	} else {
		v.History[v.Next] = float32(b.Bytes)
		v.Next = (v.Next + 1) % historyHours
	}
	v.rethreshold()
}

// threshold returns the spike threshold in force. Until the history holds
// minHistory hours it is the larger of the floor and twice the largest
// hour: a device that sent (almost) nothing to the internet while
// learning is judged by the floor alone.
func (v *Volume) threshold() float64 {
	if v.Threshold == 0 {
		return spikeFloor
	}
	return v.Threshold
}

func (v *Volume) rethreshold() {
	xs := make([]float64, len(v.History))
	for i, x := range v.History {
		xs[i] = float64(x)
	}
	slices.Sort(xs)
	v.Median = median(xs)
	v.Max = xs[len(xs)-1]
	for i, x := range xs {
		if x < v.Median {
			xs[i] = v.Median - x
		} else {
			xs[i] = x - v.Median
		}
	}
	slices.Sort(xs)
	v.MAD = median(xs)
	if len(v.History) < minHistory {
		v.Threshold = max(spikeMaxFactor*v.Max, spikeFloor)
		return
	}
	v.Threshold = max(v.Median+spikeMADs*1.4826*v.MAD, spikeMaxFactor*v.Max, v.Median+spikeFloor)
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func humanBytes(b float64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", b/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", b/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.1f kB", b/1e3)
	}
	return fmt.Sprintf("%.0f B", b)
}

func ftoa(f float64) string { return fmt.Sprintf("%.0f", f) }

func itoa64(n int64) string { return fmt.Sprintf("%d", n) }
