package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/baseline"
	"github.com/vigil-iomt/vigil/internal/event"
)

// Network detector names, one per baseline deviation kind.
const (
	DetectorNewExternalPeer = "new-external-peer"
	DetectorNewPort         = "new-port"
	DetectorVolumeSpike     = "volume-spike"
	DetectorBeaconing       = "beaconing"
	DetectorNewDomain       = "new-domain"
	DetectorNewNetwork      = "new-network"
	DetectorScan            = "scan"
	DetectorInboundExternal = "inbound-external"
)

// remoteAccessPorts are the TCP ports of remote administration and file
// sharing, the usual means of lateral movement.
var remoteAccessPorts = map[uint16]string{
	22: "SSH", 23: "Telnet", 135: "MS-RPC", 139: "NetBIOS", 445: "SMB", 3389: "RDP",
	5900: "VNC", 5985: "WinRM", 5986: "WinRM",
}

// Mapping is what a detector's alerts refer to.
type Mapping struct {
	Detector string
	Severity alert.Severity
	Attack   []string
	D3FEND   []string
	// Meaning explains, for the catalog and the alert, what the detector
	// found and why it matters.
	Meaning string
}

// NetworkMappings is the catalog of the baseline detectors: what each
// means, how severe it is and what it maps to. docs/detections.md lists
// the same facts and a test keeps them in step.
var NetworkMappings = []Mapping{
	{DetectorNewExternalPeer, alert.Medium, []string{"T1071", "T0869", "T0883"}, []string{"D3-NTCD", "D3-OTF"},
		"The device connected to an external address that is neither in its learned peers nor the answer to a DNS lookup of a domain it learned. Medical devices talk to a small, stable set of vendor services; a new one is the first sign of command and control, exfiltration or a tampered configuration."},
	{DetectorNewPort, alert.Low, []string{"T1571", "T1021", "T0886"}, []string{"D3-NTCD", "D3-ITF", "D3-RTSD"},
		"The device opened a connection on a destination port and protocol it never used while learning. On remote-administration and file-sharing ports (SSH, SMB, RDP, VNC, WinRM) towards an internal host this is how an intruder moves laterally, and the alert is high."},
	{DetectorVolumeSpike, alert.High, []string{"T1041", "T1048", "T0882"}, []string{"D3-PHDURA", "D3-NTA", "D3-OTF"},
		"The device sent far more data in one hour than its history allows: above ten robust standard deviations over its hourly median and above twice its largest hour of the last week. Devices that suddenly upload are the mark of data theft."},
	{DetectorBeaconing, alert.High, []string{"T1071.001", "T1573", "T0869", "T0885"}, []string{"D3-NTA", "D3-CAA", "D3-OTF"},
		"The device connects at a steady period (within ±25 % jitter) to an external address outside its baseline: the call-home pattern of implants and remote-access tools."},
	{DetectorNewDomain, alert.Medium, []string{"T1568", "T1071"}, []string{"D3-DNSTA", "D3-DNSDL"},
		"The device looked up, or named as TLS server, a registered domain it never used while learning: look-alike update or cloud domains are how attackers redirect a fleet."},
	{DetectorNewNetwork, alert.Low, []string{"T1200"}, []string{"D3-AI", "D3-BDI"},
		"The device appeared in a subnet or VLAN it was never seen in: a device moved out of its segment, or an impostor using its identity."},
	{DetectorScan, alert.High, []string{"T1046", "T1018", "T0846"}, []string{"D3-CAA", "D3-NTA"},
		"The device probed many internal hosts without exchanging data with them, within minutes: network discovery ahead of lateral movement."},
	{DetectorInboundExternal, alert.Medium, []string{"T0883", "T1190", "T0822"}, []string{"D3-ITF", "D3-NI"},
		"An address outside the hospital reached the device on a port it was never reached on from outside while learning: the device is exposed to the internet there, and someone is trying it (high when the device answered)."},
}

func mappingOf(detector string) Mapping {
	for _, m := range NetworkMappings {
		if m.Detector == detector {
			return m
		}
	}
	return Mapping{Detector: detector, Severity: alert.Medium}
}

// DeviationKey is the de-duplication key of a deviation of a device: one
// alert per device and peer (new external peer, beaconing), port class,
// domain, network, or per device (volume, scan).
func DeviationKey(deviceID string, d baseline.Deviation) string {
	det := string(d.Kind)
	switch d.Kind {
	case baseline.NewExternalPeer, baseline.Beaconing:
		return Key(det, deviceID, d.Peer.String())
	case baseline.NewPort:
		return Key(det, deviceID, d.PortClass)
	case baseline.InboundExternal:
		// One alert for the attempts a device did not answer and one for
		// those it did: an internet scan touches hundreds of ports.
		if d.Answered {
			return Key(det, deviceID, "answered")
		}
		return Key(det, deviceID, "unanswered")
	case baseline.NewDomain:
		return Key(det, deviceID, d.Domain)
	case baseline.NewNetwork:
		return Key(det, deviceID, d.Network)
	}
	return Key(det, deviceID)
}

// FromDeviation builds the occurrence of a baseline deviation; ev is the
// record that caused it and pos where it was read.
func FromDeviation(dev Device, d baseline.Deviation, ev event.Event, pos event.Position) Occurrence {
	det := string(d.Kind)
	m := mappingOf(det)
	o := Occurrence{Key: DeviationKey(dev.ID, d), Detector: det, Device: dev, Severity: m.Severity, Time: d.Time,
		Attack: m.Attack, D3FEND: m.D3FEND}
	peer := peerText(d.Peer, d.PeerNames)
	switch d.Kind {
	case baseline.NewExternalPeer:
		o.What = fmt.Sprintf("→ %s:%d/%s, an external address outside its baseline", peer, d.Port, d.Proto)
	case baseline.NewPort:
		svc, remote := remoteAccessPorts[d.Port]
		o.What = fmt.Sprintf("→ %s:%d/%s, a destination port it never used", peer, d.Port, d.Proto)
		if remote && d.Proto == "tcp" && !d.External {
			o.Severity = alert.High
			o.What = fmt.Sprintf("opened %s (%s/%d) to %s, a port it never used", svc, d.Proto, d.Port, peer)
			o.Attack = []string{"T1021", "T1210", "T0886", "T0866"}
			o.D3FEND = []string{"D3-RTSD", "D3-NTCD", "D3-ITF"}
		} else if d.External {
			o.Severity = alert.Medium
			o.Attack = []string{"T1571", "T0869"}
			o.D3FEND = []string{"D3-NTCD", "D3-OTF"}
		}
	case baseline.VolumeSpike:
		o.What = "sent an unusual volume of data: " + d.Observed
	case baseline.Beaconing:
		o.What = fmt.Sprintf("beacons to %s:%d/%s", peer, d.Port, d.Proto)
	case baseline.NewDomain:
		o.What = fmt.Sprintf("used %s, a domain outside its baseline", d.Name)
	case baseline.NewNetwork:
		o.What = fmt.Sprintf("appeared in %s, a network it was never seen in", d.Network)
	case baseline.Scan:
		o.What = "is scanning internal hosts"
	case baseline.InboundExternal:
		o.What = fmt.Sprintf("is probed from the internet on ports it was never reached on (first %s by %s)", d.PortClass, peer)
		if d.Answered {
			o.Severity = alert.High
			o.What = fmt.Sprintf("answered connections from the internet on ports it was never reached on (first %s by %s)", d.PortClass, peer)
		}
	default:
		o.What = d.Observed
	}
	o.Explanation = fmt.Sprintf("%s Observed: %s. Baseline: %s.", m.Meaning, d.Observed, d.Expected)
	o.Evidence = []alert.Evidence{EventEvidence(ev, pos), {
		Kind: "baseline", Summary: d.Expected, Time: d.Time, Fields: d.Baseline,
	}}
	return o
}

func peerText(a netip.Addr, names []string) string {
	if !a.IsValid() {
		return "?"
	}
	if len(names) == 0 {
		return a.String()
	}
	return a.String() + " (" + strings.Join(names, ", ") + ")"
}

// EventEvidence describes the record behind an occurrence.
func EventEvidence(ev event.Event, pos event.Position) alert.Evidence {
	e := alert.Evidence{Kind: "event", Source: pos.String()}
	if ev == nil {
		return e
	}
	e.Time = ev.Time().UTC()
	switch x := ev.(type) {
	case *event.Conn:
		e.Summary = fmt.Sprintf("conn %s:%d → %s:%d/%s %s, %d bytes out, %d bytes in, state %s",
			x.OrigH, x.OrigP, x.RespH, x.RespP, x.Proto, orDash(x.Service), x.OrigBytes, x.RespBytes, orDash(x.ConnState))
		e.Fields = map[string]string{"uid": x.UID, "orig_h": x.OrigH.String(), "resp_h": x.RespH.String(),
			"resp_p": strconv.Itoa(int(x.RespP)), "proto": x.Proto, "orig_bytes": strconv.FormatInt(x.OrigBytes, 10),
			"resp_bytes": strconv.FormatInt(x.RespBytes, 10), "conn_state": x.ConnState, "duration": x.Duration.String()}
		if x.Service != "" {
			e.Fields["service"] = x.Service
		}
	case *event.DNS:
		e.Summary = fmt.Sprintf("dns %s asked %s for %s %s → %s", x.OrigH, x.RespH, orDash(x.QType), x.Query, orDash(strings.Join(x.Answers, ",")))
		e.Fields = map[string]string{"uid": x.UID, "orig_h": x.OrigH.String(), "query": x.Query, "qtype": x.QType,
			"answers": strings.Join(x.Answers, ",")}
	case *event.SSL:
		e.Summary = fmt.Sprintf("tls %s → %s:%d server name %s, %s", x.OrigH, x.RespH, x.RespP, orDash(x.ServerName), orDash(x.Version))
		e.Fields = map[string]string{"uid": x.UID, "orig_h": x.OrigH.String(), "resp_h": x.RespH.String(),
			"server_name": x.ServerName, "version": x.Version}
	default:
		e.Summary = ev.Kind().String() + " record"
	}
	for k, v := range e.Fields {
		if v == "" {
			delete(e.Fields, k)
		}
	}
	return e
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Mappings lists every detector of this package with what it means and
// maps to, in catalog order.
func Mappings() []Mapping {
	return append(slices.Clone(NetworkMappings), policyMapping, unauthorizedUpdateMapping)
}

// Detectors lists the names of every detector of this package, sorted.
func Detectors() []string {
	var out []string
	for _, m := range Mappings() {
		out = append(out, m.Detector)
	}
	slices.Sort(out)
	return out
}
