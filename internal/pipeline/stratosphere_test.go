package pipeline

import (
	"bufio"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/detect"
	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/inventory"
)

// Detection on real, labelled traffic: the Stratosphere Laboratory's
// captures whose conn records carry a ground-truth label (Malicious,
// Benign, Background). A flow "raises an alert" when the pipeline raised at
// least one occurrence for its conn record; the figures are documented in
// docs/detections-real-data.md and asserted exactly, so that any change of
// detection behaviour on real traffic shows up here.

// flowScore is what happened to the conn records of one label.
type flowScore struct {
	Flows   int // conn records with the label
	Alerted int // of which raised at least one occurrence
	// ByDetector counts, per detector, the records it raised an occurrence
	// for (a record may count under several detectors).
	ByDetector map[string]int
}

// captureScore is the score of one labelled capture.
type captureScore struct {
	// ByLabel is keyed by the generic label of the capture's label column.
	ByLabel map[string]flowScore
	// OtherRecords counts, per detector, the occurrences raised by records
	// of other logs (dns, ssl), which carry no conn label and are not
	// scored.
	OtherRecords map[string]int
}

// stratosphere011Internal are the internal networks of capture 011. The
// host has a public CTU address: its /24 is declared internal (as a
// hospital declares its own public ranges); the campus servers it uses
// (147.32.3.x) stay external.
var stratosphere011Internal = append(slices.Clone(inventory.DefaultInternal), netip.MustParsePrefix("147.32.83.0/24"))

func TestStratosphereLabelledFlows(t *testing.T) {
	data := datasets(t)
	root := filepath.Join(data, "zeek-stratosphere")
	for _, tc := range []struct {
		name string
		// ingest is what is given to the pipeline, conn the labelled conn
		// log whose records are scored.
		ingest, conn string
		learning     time.Duration
		internal     []netip.Prefix
		want         captureScore
	}{
		{
			// NjRAT botnet, 1,000 lines of CTU-Malware-Capture-Botnet-230-1.
			// Timestamps are relative (15 s to 3,023 s: a 50-minute
			// excerpt). The first malicious flow comes at 273.5 s; it is
			// also the infected host's (192.168.1.115) first record, so the
			// host has no clean history at all. Its start-up burst (83
			// flows to 43 distinct peer, port and protocol triples) is
			// over by 310 s; after that it retries its C2 server (235
			// flows) and opens 4 flows to peers and ports it already used.
			// Learning is the span of the capture before the first
			// malicious flow, rounded down: 4 minutes. Each device's
			// learning starts at its own first record, so the infected
			// host learns what it does in its first 4 minutes.
			name:     "001-njrat",
			ingest:   filepath.Join(root, "001-zeek-scenario-malicious/labeled-conn.log"),
			conn:     filepath.Join(root, "001-zeek-scenario-malicious/labeled-conn.log"),
			learning: 4 * time.Minute,
			// 192.168.1.0/24 and fd2d:ab8c:225::/64 (ULA): the default
			// RFC 1918 / RFC 4193 networks cover the capture's hosts.
			want: captureScore{
				ByLabel: map[string]flowScore{
					// The C2 attempts (237 to 41.108.179.197:1177, every
					// 14 s) and the TLS sessions all start in the host's
					// first 40 s, inside its learning: nothing is new.
					"Malicious": {Flows: 244, Alerted: 0, ByDetector: map[string]int{}},
					// The host's DNS queries to 8.8.8.8, learned too.
					"Benign": {Flows: 9, Alerted: 0, ByDetector: map[string]int{}},
					// Other hosts: 192.168.1.2 sending mDNS to multicast
					// 224.0.0.251 (udp/5353, a port class it had not used;
					// multicast groups are never external peers), and an
					// IPv6 host's DNS query over TCP (tcp/53, a port it
					// had not used) to its router.
					"Background": {Flows: 739, Alerted: 2, ByDetector: map[string]int{
						detect.DetectorNewPort: 2,
					}},
				},
				// The capture has no dns or ssl log.
				OtherRecords: map[string]int{},
			},
		},
		{
			// A Windows host (147.32.83.165) doing normal work for 24 h
			// (CTU-Normal-43, day 1, from 21:56:55 UTC), attacked from the
			// Internet: every flow to the host is labelled Malicious; what
			// the host initiates is Benign or Background. The first attack
			// comes 3 minutes after the first record, too short a history
			// for anything. The host is idle at night: it opens 21 flows
			// in its first 10 hours, then the working day starts (415
			// flows in hour 10, 574 in hour 11, 660 to 990 an hour until
			// hour 17, then it quietens). Learning is 12 hours, half the capture: the night and
			// the first two working hours (1,010 of the host's 5,097
			// flows); the second half is judged. The attacks are inbound:
			// they teach the host's baselines nothing but its responder
			// volume.
			name:     "011-windows-attacked",
			ingest:   filepath.Join(root, "011-zeek-mixed/data"),
			conn:     filepath.Join(root, "011-zeek-mixed/data/conn.log.labeled"),
			learning: 12 * time.Hour,
			internal: stratosphere011Internal,
			want: captureScore{
				ByLabel: map[string]flowScore{
					// Inbound attacks from the Internet: the probes of
					// ports the host was never reached on from outside
					// while learning. The attacks began 3 minutes into the
					// capture, so the ports probed in the first 12 hours
					// were learned as ports the host is reached on.
					"Malicious": {Flows: 3951, Alerted: 836, ByDetector: map[string]int{detect.DetectorInboundExternal: 836}},
					// The host's own traffic after learning: six flows to
					// Microsoft Teams relays on tcp/3478 as new ports, and
					// a Teams call (udp/3478, 437 MB sent in 56 minutes) as
					// a volume spike. The host used more than 128 external
					// peers while learning, so new external peers are not
					// judged.
					"Benign": {Flows: 4771, Alerted: 7, ByDetector: map[string]int{
						detect.DetectorNewPort:     6,
						detect.DetectorVolumeSpike: 1,
					}},
					// Google push (tcp/5228, twice), SSH (tcp/22) and a
					// server on tcp/8080 and tcp/3000 (three flows) as new
					// ports. (NTP polling of Apple time servers, which
					// looks periodic, is not judged for beaconing.)
					"Background": {Flows: 326, Alerted: 6, ByDetector: map[string]int{
						detect.DetectorNewPort: 6,
					}},
				},
				// TLS server names of domains not seen while learning.
				OtherRecords: map[string]int{detect.DetectorNewDomain: 356},
			},
		},
		{
			// The same capture with one hour of learning, to show what a
			// learning period shorter than the device's routine does: the
			// idle night teaches nothing, and the whole working day is
			// new.
			name:     "011-windows-attacked-1h",
			ingest:   filepath.Join(root, "011-zeek-mixed/data"),
			conn:     filepath.Join(root, "011-zeek-mixed/data/conn.log.labeled"),
			learning: time.Hour,
			internal: stratosphere011Internal,
			want: captureScore{
				ByLabel: map[string]flowScore{
					// Inbound probes of ports not reached in the first hour.
					"Malicious": {Flows: 3951, Alerted: 2297, ByDetector: map[string]int{detect.DetectorInboundExternal: 2297}},
					// Every flow the host opens: it learned two flows'
					// worth of peers, so no peer, and hardly a port, is
					// known; with too few peers learned, it is not exempt
					// from new-external-peer either.
					"Benign": {Flows: 4771, Alerted: 4771, ByDetector: map[string]int{
						detect.DetectorNewExternalPeer: 4771,
						detect.DetectorNewPort:         4761,
						detect.DetectorVolumeSpike:     1,
					}},
					// All but 12 of the host's other flows.
					"Background": {Flows: 326, Alerted: 314, ByDetector: map[string]int{
						detect.DetectorNewExternalPeer: 314,
						detect.DetectorNewPort:         287,
					}},
				},
				OtherRecords: map[string]int{detect.DetectorNewDomain: 2774},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels, order := readConnLabels(t, tc.conn)
			conn := filepath.Clean(tc.conn)
			detectors := map[int64]map[string]bool{} // by conn line
			got := captureScore{OtherRecords: map[string]int{}}
			h := newHarness(t)
			h.batch = DefaultBatchSize
			h.ouis = []string{filepath.Join(data, "oui-manuf/ieee-data")}
			h.learning = tc.learning
			h.internal = tc.internal
			h.onOccurrence = func(pos event.Position, o detect.Occurrence) {
				if filepath.Clean(pos.File) != conn {
					got.OtherRecords[o.Detector]++
					return
				}
				if _, ok := labels[pos.Line]; !ok {
					t.Errorf("occurrence at %s, which is no labelled conn record", pos)
					return
				}
				if detectors[pos.Line] == nil {
					detectors[pos.Line] = map[string]bool{}
				}
				detectors[pos.Line][o.Detector] = true
			}
			sum := h.ingest(tc.ingest)
			if sum.Rejected != 0 {
				t.Fatalf("%d records rejected: %v", sum.Rejected, sum.Errors)
			}
			if sum.ByLog["conn"] != int64(len(labels)) {
				t.Fatalf("pipeline accepted %d conn records, the file has %d labelled ones", sum.ByLog["conn"], len(labels))
			}

			got.ByLabel = map[string]flowScore{}
			for line, label := range labels {
				s := got.ByLabel[label]
				if s.ByDetector == nil {
					s.ByDetector = map[string]int{}
				}
				s.Flows++
				if dets := detectors[line]; len(dets) > 0 {
					s.Alerted++
					for d := range dets {
						s.ByDetector[d]++
					}
				}
				got.ByLabel[label] = s
			}

			t.Logf("%s (learning %v): alerted flows per label", tc.name, tc.learning)
			t.Logf("  %-11s %6s %8s  %s", "label", "flows", "alerted", "by detector")
			for _, label := range order {
				s := got.ByLabel[label]
				var dets []string
				for _, d := range slices.Sorted(maps.Keys(s.ByDetector)) {
					dets = append(dets, fmt.Sprintf("%s %d", d, s.ByDetector[d]))
				}
				t.Logf("  %-11s %6d %8d  %s", label, s.Flows, s.Alerted, strings.Join(dets, ", "))
			}
			t.Logf("  occurrences raised by other records (dns, ssl): %v", got.OtherRecords)

			for _, label := range slices.Sorted(maps.Keys(tc.want.ByLabel)) {
				if _, ok := got.ByLabel[label]; !ok {
					t.Errorf("label %s: no flows, want %+v", label, tc.want.ByLabel[label])
				}
			}
			for _, label := range order {
				g, w := got.ByLabel[label], tc.want.ByLabel[label]
				if g.Flows != w.Flows || g.Alerted != w.Alerted {
					t.Errorf("%s: %d flows, %d alerted; want %d, %d", label, g.Flows, g.Alerted, w.Flows, w.Alerted)
				}
				if !maps.Equal(g.ByDetector, w.ByDetector) {
					t.Errorf("%s: alerted flows by detector %v, want %v", label, g.ByDetector, w.ByDetector)
				}
			}
			if !maps.Equal(got.OtherRecords, tc.want.OtherRecords) {
				t.Errorf("occurrences from other records by detector: %v, want %v", got.OtherRecords, tc.want.OtherRecords)
			}
		})
	}
}

// readConnLabels reads the generic label of every record of a labelled
// conn log, by line number, and the labels in order of first appearance.
// It is deliberately independent of the Zeek reader under test: it only
// splits lines on tabs and finds the "label" column in the #fields header.
func readConnLabels(t *testing.T, path string) (map[int64]string, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labels := map[int64]string{}
	var order []string
	col := -1
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := int64(1); sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#separator") && line != `#separator \x09`:
			t.Fatalf("%s:%d: separator %q, want tab", path, n, line)
		case strings.HasPrefix(line, "#fields\t"):
			col = slices.Index(strings.Split(line, "\t")[1:], "label")
		case strings.HasPrefix(line, "#") || line == "":
		case col < 0:
			t.Fatalf("%s:%d: record before a #fields header with a label column", path, n)
		default:
			fields := strings.Split(line, "\t")
			if col >= len(fields) {
				t.Fatalf("%s:%d: %d fields, no label column %d", path, n, len(fields), col)
			}
			label := fields[col]
			if !slices.Contains(order, label) {
				order = append(order, label)
			}
			labels[n] = label
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(labels) == 0 {
		t.Fatalf("%s: no labelled records", path)
	}
	return labels, order
}
