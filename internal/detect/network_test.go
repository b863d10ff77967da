package detect

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/alert"
	"github.com/vigil-iomt/vigil/internal/attack"
	"github.com/vigil-iomt/vigil/internal/baseline"
	"github.com/vigil-iomt/vigil/internal/event"
)

var (
	peer    = netip.MustParseAddr("203.0.113.7")
	inside  = netip.MustParseAddr("10.30.0.1")
	connRec = &event.Conn{TS: t0, UID: "CqJ1", OrigH: netip.MustParseAddr("10.2.3.4"), OrigP: 40000, RespH: peer, RespP: 443,
		Proto: "tcp", Service: "ssl", Duration: 1500 * time.Millisecond, OrigBytes: 1200, RespBytes: 5400, ConnState: "SF"}
	connPos = event.Position{File: "conn.log", Line: 12, Offset: 3456}
)

func deviation(k baseline.Kind) baseline.Deviation {
	return baseline.Deviation{Kind: k, DeviceID: "dev-1", Time: t0, Peer: peer, Port: 443, Proto: "tcp", External: true,
		PeerNames: []string{"c2.evil.example"}, Domain: "evil.example", Name: "c2.evil.example", Network: "10.2.77.0/24",
		Observed: "observed text", Expected: "expected text", Baseline: map[string]string{"k": "v"}}
}

func TestFromDeviation(t *testing.T) {
	tests := []struct {
		name     string
		d        func() baseline.Deviation
		wantKey  string
		wantWhat []string
		wantSev  alert.Severity
		wantATT  string // one technique that must be listed
	}{
		{name: "new external peer", d: func() baseline.Deviation { return deviation(baseline.NewExternalPeer) },
			wantKey: "new-external-peer|dev-1|203.0.113.7", wantWhat: []string{"203.0.113.7", "c2.evil.example", ":443/tcp"},
			wantSev: alert.Medium, wantATT: "T1071"},
		{name: "new port internal", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Peer, d.Port, d.External, d.PeerNames = inside, 104, false, nil
			return d
		}, wantKey: "new-port|dev-1|tcp/104", wantWhat: []string{"10.30.0.1:104/tcp"}, wantSev: alert.Low, wantATT: "T1571"},
		{name: "new port dynamic", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Peer, d.Port, d.Proto, d.External = inside, 51234, "udp", false
			return d
		}, wantKey: "new-port|dev-1|udp/1024+", wantWhat: []string{":51234/udp"}, wantSev: alert.Low, wantATT: "T1571"},
		{name: "new port tcp dynamic", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Peer, d.Port, d.External = inside, 51234, false
			return d
		}, wantKey: "new-port|dev-1|tcp/49152+", wantWhat: []string{":51234/tcp"}, wantSev: alert.Low, wantATT: "T1571"},
		{name: "new port external", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Port = 8443
			return d
		}, wantKey: "new-port|dev-1|tcp/8443", wantWhat: []string{"203.0.113.7", "8443"}, wantSev: alert.Medium, wantATT: "T1571"},
		{name: "new port ssh internal", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Peer, d.Port, d.External, d.PeerNames = inside, 22, false, nil
			return d
		}, wantKey: "new-port|dev-1|tcp/22", wantWhat: []string{"SSH", "10.30.0.1"}, wantSev: alert.High, wantATT: "T1021"},
		{name: "new port smb internal", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Peer, d.Port, d.External, d.PeerNames = inside, 445, false, nil
			return d
		}, wantKey: "new-port|dev-1|tcp/445", wantWhat: []string{"SMB", "10.30.0.1"}, wantSev: alert.High, wantATT: "T1021"},
		{name: "new port rdp internal", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Peer, d.Port, d.External, d.PeerNames = inside, 3389, false, nil
			return d
		}, wantKey: "new-port|dev-1|tcp/3389", wantWhat: []string{"RDP", "10.30.0.1"}, wantSev: alert.High, wantATT: "T1021"},
		{name: "new port udp 445 is not smb", d: func() baseline.Deviation {
			d := deviation(baseline.NewPort)
			d.Peer, d.Port, d.Proto, d.External, d.PeerNames = inside, 445, "udp", false, nil
			return d
		}, wantKey: "new-port|dev-1|udp/445", wantWhat: []string{"10.30.0.1:445/udp"}, wantSev: alert.Low, wantATT: "T1571"},
		{name: "volume spike", d: func() baseline.Deviation { return deviation(baseline.VolumeSpike) },
			wantKey: "volume-spike|dev-1", wantWhat: []string{"observed text"}, wantSev: alert.High, wantATT: "T1041"},
		{name: "beaconing", d: func() baseline.Deviation { return deviation(baseline.Beaconing) },
			wantKey: "beaconing|dev-1|203.0.113.7", wantWhat: []string{"203.0.113.7", "c2.evil.example", ":443/tcp"},
			wantSev: alert.High, wantATT: "T1071.001"},
		{name: "new domain", d: func() baseline.Deviation { return deviation(baseline.NewDomain) },
			wantKey: "new-domain|dev-1|evil.example", wantWhat: []string{"c2.evil.example"}, wantSev: alert.Medium, wantATT: "T1568"},
		{name: "new network", d: func() baseline.Deviation { return deviation(baseline.NewNetwork) },
			wantKey: "new-network|dev-1|10.2.77.0/24", wantWhat: []string{"10.2.77.0/24"}, wantSev: alert.Low, wantATT: "T1200"},
		{name: "scan", d: func() baseline.Deviation { return deviation(baseline.Scan) },
			wantKey: "scan|dev-1", wantWhat: []string{"scanning"}, wantSev: alert.High, wantATT: "T1046"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d()
			if d.Kind == baseline.NewPort {
				d.PortClass = baseline.PortClass(d.Port, d.Proto)
			}
			o := FromDeviation(pump, d, connRec, connPos)
			if o.Key != tt.wantKey {
				t.Errorf("key = %q, want %q", o.Key, tt.wantKey)
			}
			if o.Detector != string(d.Kind) || o.Device != pump || !o.Time.Equal(d.Time) {
				t.Errorf("detector, device, time = %q, %+v, %s", o.Detector, o.Device, o.Time)
			}
			for _, w := range tt.wantWhat {
				if !strings.Contains(o.What, w) {
					t.Errorf("what = %q, want it to contain %q", o.What, w)
				}
			}
			if o.Severity != tt.wantSev {
				t.Errorf("severity = %s, want %s", o.Severity, tt.wantSev)
			}
			if len(o.Attack) == 0 || len(o.D3FEND) == 0 || !slices.Contains(o.Attack, tt.wantATT) {
				t.Errorf("attack, d3fend = %v, %v, want both non-empty and %s listed", o.Attack, o.D3FEND, tt.wantATT)
			}
			m := mappingOf(string(d.Kind))
			for _, part := range []string{m.Meaning, "Observed: observed text.", "Baseline: expected text."} {
				if !strings.Contains(o.Explanation, part) {
					t.Errorf("explanation = %q, want it to contain %q", o.Explanation, part)
				}
			}
			if len(o.Evidence) != 2 || o.Evidence[0].Kind != "event" || o.Evidence[1].Kind != "baseline" {
				t.Fatalf("evidence = %+v, want the event then the baseline", o.Evidence)
			}
			if o.Evidence[0].Source != "conn.log:12" || o.Evidence[0].Fields["uid"] != "CqJ1" {
				t.Errorf("event evidence = %+v", o.Evidence[0])
			}
			b := o.Evidence[1]
			if b.Summary != "expected text" || b.Fields["k"] != "v" || !b.Time.Equal(t0) {
				t.Errorf("baseline evidence = %+v", b)
			}
		})
	}
}

func TestFromDeviationRemoteAccessToExternalPeer(t *testing.T) {
	d := deviation(baseline.NewPort)
	d.Port = 22
	o := FromDeviation(pump, d, connRec, connPos)
	if slices.Contains(o.Attack, "T1021") || o.Severity != alert.Medium {
		t.Errorf("new SSH to an external peer: severity %s, attack %v; want the external mapping (medium, no lateral movement)", o.Severity, o.Attack)
	}
}

func TestFromDeviationWithoutPeer(t *testing.T) {
	d := deviation(baseline.VolumeSpike)
	d.Peer = netip.Addr{}
	o := FromDeviation(Device{Addr: "10.2.3.4"}, d, nil, event.Position{File: "conn.log", Offset: 99})
	if o.Key != "volume-spike|" {
		t.Errorf("key of a device without ID = %q", o.Key)
	}
	if got := o.Evidence[0]; got.Kind != "event" || got.Source != "conn.log@99" || got.Summary != "" {
		t.Errorf("evidence without an event = %+v", got)
	}
	if got := peerText(netip.Addr{}, nil); got != "?" {
		t.Errorf("peerText of no address = %q, want ?", got)
	}
}

func TestEveryKindHasAMapping(t *testing.T) {
	var kinds []string
	for _, k := range baseline.Kinds {
		kinds = append(kinds, string(k))
	}
	kinds = append(kinds, DetectorPolicy, DetectorUnauthorizedUpdate)
	slices.Sort(kinds)
	if got := Detectors(); !slices.Equal(got, kinds) {
		t.Errorf("Detectors() = %v, want the baseline kinds, %s and %s: %v", got, DetectorPolicy, DetectorUnauthorizedUpdate, kinds)
	}
	for _, m := range NetworkMappings {
		if m.Meaning == "" || len(m.Attack) == 0 || len(m.D3FEND) == 0 || m.Severity < alert.Info || m.Severity > alert.Critical {
			t.Errorf("mapping %s incomplete: %+v", m.Detector, m)
		}
	}
}

func TestReferencesExist(t *testing.T) {
	cat := attack.Builtin()
	check := func(where string, techniques, countermeasures []string) {
		t.Helper()
		for _, id := range techniques {
			if _, ok := cat.Technique(id); !ok {
				t.Errorf("%s: ATT&CK technique %s is not in the catalog", where, id)
			}
		}
		for _, id := range countermeasures {
			if _, ok := cat.Countermeasure(id); !ok {
				t.Errorf("%s: D3FEND countermeasure %s is not in the catalog", where, id)
			}
		}
	}
	for _, m := range NetworkMappings {
		check("mapping "+m.Detector, m.Attack, m.D3FEND)
	}
	// Every branch of FromDeviation, including the ones that replace the
	// mapping's lists.
	for _, k := range baseline.Kinds {
		for _, port := range []uint16{22, 23, 135, 139, 445, 3389, 5900, 5985, 5986, 104, 8443} {
			for _, external := range []bool{false, true} {
				d := deviation(k)
				d.Port, d.External = port, external
				o := FromDeviation(pump, d, connRec, connPos)
				check(o.Key, o.Attack, o.D3FEND)
			}
		}
	}
}

func TestEventEvidence(t *testing.T) {
	dns := &event.DNS{TS: t0.In(time.FixedZone("X", 7200)), UID: "CdNs", OrigH: netip.MustParseAddr("10.2.3.4"),
		RespH: netip.MustParseAddr("10.1.0.10"), RespP: 53, Proto: "udp", Query: "c2.evil.example", QType: "A",
		Answers: []string{"203.0.113.7", "203.0.113.8"}}
	ssl := &event.SSL{TS: t0, UID: "CsSl", OrigH: netip.MustParseAddr("10.2.3.4"), OrigP: 40000, RespH: peer, RespP: 443,
		Version: "TLSv13", ServerName: "c2.evil.example"}
	bare := &event.Conn{TS: t0, OrigH: netip.MustParseAddr("10.2.3.4"), RespH: peer, RespP: 80, Proto: "tcp"}
	tests := []struct {
		name        string
		ev          event.Event
		pos         event.Position
		wantSource  string
		wantSummary []string
		wantFields  map[string]string
		noFields    []string
	}{
		{name: "conn", ev: connRec, pos: connPos, wantSource: "conn.log:12",
			wantSummary: []string{"conn 10.2.3.4:40000 → 203.0.113.7:443/tcp ssl", "1200 bytes out", "5400 bytes in", "state SF"},
			wantFields: map[string]string{"uid": "CqJ1", "orig_h": "10.2.3.4", "resp_h": "203.0.113.7", "resp_p": "443", "proto": "tcp",
				"orig_bytes": "1200", "resp_bytes": "5400", "conn_state": "SF", "duration": "1.5s", "service": "ssl"}},
		{name: "conn without service or state", ev: bare, pos: event.Position{File: "conn.log", Line: 3}, wantSource: "conn.log:3",
			wantSummary: []string{"/tcp -,", "state -"}, noFields: []string{"service", "uid", "conn_state"}},
		{name: "dns", ev: dns, pos: event.Position{File: "dns.log", Line: 7}, wantSource: "dns.log:7",
			wantSummary: []string{"dns 10.2.3.4 asked 10.1.0.10 for A c2.evil.example → 203.0.113.7,203.0.113.8"},
			wantFields: map[string]string{"uid": "CdNs", "orig_h": "10.2.3.4", "query": "c2.evil.example", "qtype": "A",
				"answers": "203.0.113.7,203.0.113.8"}},
		{name: "ssl", ev: ssl, pos: event.Position{File: "ssl.log", Line: 99}, wantSource: "ssl.log:99",
			wantSummary: []string{"tls 10.2.3.4 → 203.0.113.7:443 server name c2.evil.example, TLSv13"},
			wantFields: map[string]string{"uid": "CsSl", "orig_h": "10.2.3.4", "resp_h": "203.0.113.7", "server_name": "c2.evil.example",
				"version": "TLSv13"}},
		{name: "other kind", ev: &event.DHCP{TS: t0, MAC: net.HardwareAddr{1, 2, 3, 4, 5, 6}}, pos: event.Position{File: "dhcp.log", Offset: 77},
			wantSource: "dhcp.log@77", wantSummary: []string{"dhcp record"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := EventEvidence(tt.ev, tt.pos)
			if e.Kind != "event" || e.Source != tt.wantSource {
				t.Errorf("kind, source = %q, %q, want event, %q", e.Kind, e.Source, tt.wantSource)
			}
			if !e.Time.Equal(t0) || e.Time.Location() != time.UTC {
				t.Errorf("time = %s, want %s in UTC", e.Time, t0)
			}
			for _, s := range tt.wantSummary {
				if !strings.Contains(e.Summary, s) {
					t.Errorf("summary = %q, want it to contain %q", e.Summary, s)
				}
			}
			for k, want := range tt.wantFields {
				if got := e.Fields[k]; got != want {
					t.Errorf("field %s = %q, want %q", k, got, want)
				}
			}
			for _, k := range tt.noFields {
				if v, ok := e.Fields[k]; ok {
					t.Errorf("empty field %s kept as %q", k, v)
				}
			}
		})
	}
}

func TestKey(t *testing.T) {
	if got, want := Key("new-port", "dev-1", "tcp/22"), "new-port|dev-1|tcp/22"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
}
