package baseline

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// Scanning: a device that probes many internal hosts without exchanging
// data with them (unanswered, rejected or reset attempts) within a short
// window of event time. It needs no learning, except that a device that
// already did so while learning (a discovery or vulnerability scanner) is
// not judged on it.
const (
	probeWindow   = 10 * time.Minute
	probeMinHosts = 16
	maxProbeHosts = 64
)

// ProbeWindow counts the hosts a device probed in the current window.
type ProbeWindow struct {
	Start   int64        `json:"start,omitempty"`
	Hosts   []netip.Addr `json:"hosts,omitempty"` // sorted, distinct
	Ports   []uint16     `json:"ports,omitempty"` // sorted, distinct
	Probes  int          `json:"probes,omitempty"`
	Alerted bool         `json:"alerted,omitempty"`
}

// isProbe reports whether a connection attempt exchanged no data: no
// answer, a rejection, or a reset before any payload.
func isProbe(c *event.Conn) bool {
	if c.Proto != "tcp" && c.Proto != "udp" {
		return false
	}
	return c.OrigBytes == 0 && c.RespBytes == 0 && c.ConnState != "SF"
}

func (s *Set) scan(p *Profile, id string, c *event.Conn, external, learning bool, out []Deviation) []Deviation {
	if external || !isProbe(c) {
		return out
	}
	w := &p.Probe
	n := c.TS.UnixNano()
	switch {
	case w.Start != 0 && n < w.Start && w.Start-n <= int64(probeWindow):
		// A late record (Zeek logs unanswered attempts when they time
		// out) belongs to the current window.
		w.Start = n
	case w.Start == 0 || n < w.Start || n-w.Start > int64(probeWindow):
		*w = ProbeWindow{Start: n}
	}
	w.Probes++
	peer := c.RespH.Unmap()
	if i, found := slices.BinarySearchFunc(w.Hosts, peer, netip.Addr.Compare); !found && len(w.Hosts) < maxProbeHosts {
		w.Hosts = slices.Insert(w.Hosts, i, peer)
	}
	if i, found := slices.BinarySearch(w.Ports, c.RespP); !found && len(w.Ports) < maxProbeHosts {
		w.Ports = slices.Insert(w.Ports, i, c.RespP)
	}
	if len(w.Hosts) < probeMinHosts || w.Alerted {
		return out
	}
	w.Alerted = true
	if learning {
		p.Scanner = true
		return out
	}
	if p.Scanner {
		return out
	}
	return append(out, Deviation{Kind: Scan, DeviceID: id, Time: c.TS, Peer: peer, Port: c.RespP, Proto: c.Proto,
		Observed: fmt.Sprintf("%d connection attempts without data to %d internal hosts on %d ports within %s",
			w.Probes, len(w.Hosts), len(w.Ports), probeWindow),
		Expected: fmt.Sprintf("fewer than %d hosts probed in %s; the device did not scan while learning", probeMinHosts, probeWindow),
		Baseline: map[string]string{"hosts": itoa(len(w.Hosts)), "ports": itoa(len(w.Ports)), "window": probeWindow.String()}})
}
