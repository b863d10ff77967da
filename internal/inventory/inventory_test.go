package inventory

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
	"github.com/vigil-iomt/vigil/internal/event"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func newInv(t *testing.T) *Inventory {
	t.Helper()
	inv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func dhcp(sec int, m, ip, host string) *event.DHCP {
	return &event.DHCP{TS: at(sec), MAC: mac(m), AssignedAddr: addr(ip), HostName: host, LeaseTime: time.Hour}
}

func conn(sec int, orig, resp string, port uint16, state string) *event.Conn {
	return &event.Conn{TS: at(sec), OrigH: addr(orig), RespH: addr(resp), RespP: port, Proto: "tcp", ConnState: state}
}

func byKey(inv *Inventory) map[string]asset.Device {
	m := map[string]asset.Device{}
	for _, s := range inv.devices {
		d := s.Device
		m[d.Key] = d
	}
	return m
}

func TestLeaseResolutionFollowsEventTime(t *testing.T) {
	inv := newInv(t)
	inv.Apply(dhcp(100, "00:00:00:00:00:0a", "10.0.0.5", "a"))
	inv.Apply(dhcp(200, "00:00:00:00:00:0b", "10.0.0.5", "b"))
	inv.Apply(conn(50, "10.0.0.5", "8.8.8.8", 53, "SF"))   // before any lease: the first holder
	inv.Apply(conn(150, "10.0.0.5", "8.8.8.8", 443, "SF")) // a's lease
	inv.Apply(conn(250, "10.0.0.5", "8.8.8.8", 22, "SF"))  // b's lease
	devs := byKey(inv)
	if len(devs) != 2 {
		t.Fatalf("devices %v, want a and b", devs)
	}
	a, b := devs["mac:00:00:00:00:00:0a"], devs["mac:00:00:00:00:00:0b"]
	if got := ports(a.Clients); !slices.Equal(got, []uint16{53, 443}) {
		t.Errorf("a's clients %v, want 53 and 443", got)
	}
	if got := ports(b.Clients); !slices.Equal(got, []uint16{22}) {
		t.Errorf("b's clients %v, want 22", got)
	}
	if !a.FirstSeen.Equal(at(50)) || !a.LastSeen.Equal(at(150)) {
		t.Errorf("a seen %v..%v", a.FirstSeen, a.LastSeen)
	}
	ch := inv.Flush()
	if len(ch.Leases) != 2 || !ch.Leases[0].End.Equal(at(200)) {
		t.Errorf("leases %+v: a's lease must end when b took the address", ch.Leases)
	}
}

func ports(s []asset.Service) []uint16 {
	var out []uint16
	for _, x := range s {
		out = append(out, x.Port)
	}
	return out
}

func TestIPDeviceMergesIntoLeaseHolder(t *testing.T) {
	inv := newInv(t)
	inv.Apply(conn(10, "10.0.0.7", "10.0.0.8", 104, "SF"))
	if _, ok := byKey(inv)["ip:10.0.0.7"]; !ok {
		t.Fatal("no IP-keyed device before DHCP")
	}
	first := inv.Flush()
	inv.Apply(dhcp(20, "00:00:00:00:00:07", "10.0.0.7", "ct-1"))
	devs := byKey(inv)
	if _, ok := devs["ip:10.0.0.7"]; ok {
		t.Error("IP-keyed device still there after its lease appeared")
	}
	d := devs["mac:00:00:00:00:00:07"]
	if !d.FirstSeen.Equal(at(10)) || len(d.Clients) != 1 {
		t.Errorf("merged device %+v lost the earlier observations", d)
	}
	ch := inv.Flush()
	oldID := asset.IDForKey("ip:10.0.0.7")
	if !slices.Contains(ch.Deleted, oldID) || !slices.ContainsFunc(first.Devices, func(x asset.Device) bool { return x.ID == oldID }) {
		t.Errorf("deleted %v, want %s", ch.Deleted, oldID)
	}
}

func TestExternalAndUnansweredAreNotDevices(t *testing.T) {
	inv := newInv(t)
	inv.Apply(conn(1, "203.0.113.5", "10.0.0.1", 22, "S0")) // external scanner, no answer
	inv.Apply(conn(2, "10.0.0.2", "10.0.0.3", 445, "S0"))   // internal probe of a silent address
	inv.Apply(conn(3, "10.0.0.2", "10.0.0.4", 445, "REJ"))  // refused: the host exists, no service
	inv.Apply(conn(4, "fd12::1", "2001:db8::1", 443, "SF")) // IPv6 ULA device to the internet
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range byKey(inv) {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{"ip:10.0.0.2", "ip:10.0.0.4", "ip:fd12::1"}
	if !slices.Equal(got, want) {
		t.Errorf("devices %v, want %v", got, want)
	}
	if d := byKey(inv)["ip:10.0.0.4"]; len(d.Services) != 0 {
		t.Errorf("a refused connection made a service: %v", d.Services)
	}
}

func TestSetsAreBounded(t *testing.T) {
	inv := newInv(t)
	for i := range 1000 {
		inv.Apply(&event.DNS{TS: at(i), OrigH: addr("10.0.0.9"), Query: fmt.Sprintf("n%04d.example", i)})
	}
	d := byKey(inv)["ip:10.0.0.9"]
	if len(d.DNSNames) != maxDNSNames || d.DNSNames[0] != "n0000.example" {
		t.Errorf("%d names (first %q), want the first %d", len(d.DNSNames), d.DNSNames[0], maxDNSNames)
	}
}

func TestFlushIsIncrementalAndDeterministic(t *testing.T) {
	inv := newInv(t)
	inv.Apply(dhcp(1, "00:00:00:00:00:01", "10.0.0.1", "x"))
	inv.Apply(dhcp(1, "00:00:00:00:00:02", "10.0.0.2", "y"))
	ch := inv.Flush()
	if len(ch.Devices) != 2 || ch.Devices[0].ID > ch.Devices[1].ID {
		t.Fatalf("first flush %+v", ch.Devices)
	}
	if ch := inv.Flush(); len(ch.Devices)+len(ch.Leases)+len(ch.Deleted) != 0 {
		t.Errorf("second flush without events returned %+v", ch)
	}
	inv.Apply(conn(5, "10.0.0.1", "8.8.8.8", 53, "SF"))
	if ch := inv.Flush(); len(ch.Devices) != 1 || ch.Devices[0].Key != "mac:00:00:00:00:00:01" {
		t.Errorf("flush after one event %+v", ch.Devices)
	}
}

func TestLoadRestoresState(t *testing.T) {
	inv := newInv(t)
	inv.Apply(dhcp(1, "00:00:00:00:00:01", "10.0.0.1", "x"))
	ch := inv.Flush()
	again := newInv(t)
	again.Load(ch.Devices, ch.Leases)
	again.Apply(conn(9, "10.0.0.1", "8.8.8.8", 443, "SF"))
	devs := byKey(again)
	if len(devs) != 1 || !devs["mac:00:00:00:00:00:01"].LastSeen.Equal(at(9)) {
		t.Errorf("after reload the conn did not reach the leased device: %v", devs)
	}
}

func TestCriticalityOverride(t *testing.T) {
	inv := newInv(t)
	inv.Apply(dhcp(1, "00:00:00:00:00:01", "10.0.0.1", "x"))
	id := asset.IDForKey("mac:00:00:00:00:00:01")
	if err := inv.SetCriticality(id, asset.LifeSustaining); err != nil {
		t.Fatal(err)
	}
	if err := inv.SetCriticality(id, "very"); err == nil {
		t.Error("invalid level accepted")
	}
	if err := inv.SetCriticality("dev-none", asset.Diagnostic); err == nil {
		t.Error("unknown device accepted")
	}
	d := inv.Flush().Devices[0]
	if d.Criticality != asset.LifeSustaining || d.CriticalityOverride != asset.LifeSustaining {
		t.Errorf("criticality %q override %q", d.Criticality, d.CriticalityOverride)
	}
}

func TestDNSAnswersNameKnownDevices(t *testing.T) {
	inv := newInv(t)
	inv.Apply(conn(1, "10.0.0.2", "10.0.0.3", 443, "SF"))
	inv.Apply(&event.DNS{TS: at(2), OrigH: addr("10.0.0.2"), Query: "PACS01.hospital.local.", QType: "A",
		Answers: []string{"10.0.0.3", "10.0.0.99", "203.0.113.1"}})
	inv.Apply(&event.DNS{TS: at(3), OrigH: addr("10.0.0.2"), Query: "mail.hospital.local", QType: "MX",
		Answers: []string{"10.0.0.3"}})
	devs := byKey(inv)
	if got := devs["ip:10.0.0.3"].Hostnames; !slices.Equal(got, []string{"pacs01.hospital.local"}) {
		t.Errorf("hostnames %v, want the A record's name only", got)
	}
	if _, ok := devs["ip:10.0.0.99"]; ok {
		t.Error("a DNS answer created a device")
	}
}

func TestSeenAgainIsASighting(t *testing.T) {
	inv := newInv(t)
	inv.Apply(conn(1, "10.0.0.1", "8.8.8.8", 443, "SF"))
	if ch := inv.Flush(); len(ch.Devices) != 1 || len(ch.Sightings) != 0 {
		t.Fatalf("new device: %d whole, %d sightings", len(ch.Devices), len(ch.Sightings))
	}
	inv.Apply(conn(9, "10.0.0.1", "8.8.8.8", 443, "SF"))
	ch := inv.Flush()
	if len(ch.Devices) != 0 || len(ch.Sightings) != 1 || !ch.Sightings[0].LastSeen.Equal(at(9)) ||
		!ch.Sightings[0].IPs[0].LastSeen.Equal(at(9)) {
		t.Fatalf("seen again: %d whole, sightings %+v", len(ch.Devices), ch.Sightings)
	}
	inv.Apply(conn(0, "10.0.0.1", "8.8.8.8", 443, "SF")) // earlier first seen changes the device
	if ch := inv.Flush(); len(ch.Devices) != 1 {
		t.Errorf("first seen moved: %d whole devices, want 1", len(ch.Devices))
	}
	inv.Apply(conn(10, "10.0.0.1", "8.8.4.4", 22, "SF")) // a new client port changes the device
	if ch := inv.Flush(); len(ch.Devices) != 1 {
		t.Errorf("new port: %d whole devices, want 1", len(ch.Devices))
	}
}

func TestOnlyTCPAndUDPMakeServices(t *testing.T) {
	inv := newInv(t)
	inv.Apply(&event.Conn{TS: at(1), OrigH: addr("10.0.0.1"), RespH: addr("10.0.0.2"), RespP: 0, Proto: "icmp", ConnState: "OTH", RespPkts: 1})
	inv.Apply(&event.Conn{TS: at(2), OrigH: addr("10.0.0.1"), RespH: addr("10.0.0.2"), RespP: 161, Proto: "udp", ConnState: "SF", RespPkts: 1})
	inv.Apply(&event.Conn{TS: at(3), OrigH: addr("10.0.0.1"), RespH: addr("10.0.0.2"), RespP: 514, Proto: "udp", ConnState: "S0"})
	d := byKey(inv)["ip:10.0.0.2"]
	if len(d.Services) != 1 || d.Services[0].Port != 161 {
		t.Errorf("services %v, want only the answered udp/161", d.Services)
	}
}
