package baseline

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// Beaconing: a device that connects to an unknown external peer at a
// steady period, the way implants call their command-and-control server.
// The latest connection start times per candidate peer are kept; once
// there are beaconMinConns of them, the intervals between them are
// periodic when at least beaconShare of them lie within beaconJitter of
// their median, and the median lies between beaconMinPeriod and
// beaconMaxPeriod. The tolerance accepts the jitter implants add to evade
// exact-period detection.
const (
	beaconTimes     = 12 // start times kept per peer
	beaconMinConns  = 8
	beaconJitter    = 0.25
	beaconShare     = 0.8
	beaconMinPeriod = 10 * time.Second
	beaconMaxPeriod = 2 * time.Hour
	maxBeaconPeers  = 8
)

// Beacon tracks the connection times of a device to one unknown external peer.
type Beacon struct {
	Peer  netip.Addr `json:"peer"`
	Times []int64    `json:"times"` // Unix nanoseconds, sorted
}

func (s *Set) beacon(p *Profile, id string, peer netip.Addr, c *event.Conn, names []string, out []Deviation) []Deviation {
	i := slices.IndexFunc(p.Beacons, func(b Beacon) bool { return b.Peer == peer })
	if i < 0 {
		if len(p.Beacons) >= maxBeaconPeers {
			p.Beacons = slices.Delete(p.Beacons, 0, 1) // the least recently updated
		}
		p.Beacons = append(p.Beacons, Beacon{Peer: peer})
		i = len(p.Beacons) - 1
	}
	// Keep the most recently updated peer last.
	b := p.Beacons[i]
	p.Beacons = append(slices.Delete(p.Beacons, i, i+1), b)
	bp := &p.Beacons[len(p.Beacons)-1]

	n := c.TS.UnixNano()
	j, found := slices.BinarySearch(bp.Times, n)
	if found {
		return out
	}
	bp.Times = slices.Insert(bp.Times, j, n)
	if len(bp.Times) > beaconTimes {
		bp.Times = slices.Delete(bp.Times, 0, 1)
	}
	if len(bp.Times) < beaconMinConns {
		return out
	}
	period, share := periodicity(bp.Times)
	if period < beaconMinPeriod || period > beaconMaxPeriod || share < beaconShare {
		return out
	}
	return append(out, Deviation{Kind: Beaconing, DeviceID: id, Time: c.TS, Peer: peer, Port: c.RespP, Proto: c.Proto,
		PeerNames: names,
		Observed: fmt.Sprintf("%d connections to %s%s every %s (%.0f %% of intervals within ±%.0f %%)",
			len(bp.Times), peer, namesSuffix(names), period.Round(time.Second), share*100, beaconJitter*100),
		Expected: "no periodic traffic to peers outside the baseline",
		Baseline: map[string]string{"period_s": fmt.Sprintf("%.1f", period.Seconds()), "periodic_share": fmt.Sprintf("%.2f", share),
			"connections": itoa(len(bp.Times))}})
}

// periodicity returns the median interval of sorted times and the share
// of intervals within beaconJitter of it.
func periodicity(times []int64) (time.Duration, float64) {
	iv := make([]float64, len(times)-1)
	for i := range iv {
		iv[i] = float64(times[i+1] - times[i])
	}
	sorted := slices.Clone(iv)
	slices.Sort(sorted)
	m := median(sorted)
	if m <= 0 {
		return 0, 0
	}
	within := 0
	for _, x := range iv {
		if x >= m*(1-beaconJitter) && x <= m*(1+beaconJitter) {
			within++
		}
	}
	return time.Duration(m), float64(within) / float64(len(iv))
}
