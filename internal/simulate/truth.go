package simulate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Truth is the ground truth of a simulation: every host and what it is.
type Truth struct {
	Seed    int64          `json:"seed"`
	Start   time.Time      `json:"start"`
	End     time.Time      `json:"end"`
	Records map[string]int `json:"records"` // records written, by log file
	Devices []TruthDevice  `json:"devices"`
	Attacks []TruthAttack  `json:"attacks,omitempty"` // labelled attack scenarios, when any ran
}

// TruthDevice is one host of the simulated hospital.
type TruthDevice struct {
	ID           string         `json:"id"`
	MAC          string         `json:"mac"`
	NICVendor    string         `json:"nic_vendor"`         // IEEE registry organization of the MAC prefix
	NICNote      string         `json:"nic_note,omitempty"` // why NICVendor differs from Manufacturer
	Hostname     string         `json:"hostname"`
	Class        string         `json:"class"`
	Manufacturer string         `json:"manufacturer"`
	Model        string         `json:"model"`
	Firmware     string         `json:"firmware"`
	Profile      string         `json:"profile"`
	Criticality  string         `json:"criticality"`
	Zone         string         `json:"zone"` // home zone; portable devices may move
	VLAN         int            `json:"vlan"`
	Addressing   string         `json:"addressing"`             // "dhcp" or "static"
	VendorClass  string         `json:"vendor_class,omitempty"` // DHCP option 60
	Offers       []TruthService `json:"offers,omitempty"`
	IPs          []TruthIP      `json:"ips"`
}

// TruthService is a port a device offers.
type TruthService struct {
	Port    uint16 `json:"port"`
	Proto   string `json:"proto"`
	Service string `json:"service,omitempty"`
}

// TruthIP is an address a device held, from when to when (event time,
// clipped to the simulated span).
type TruthIP struct {
	Addr string    `json:"addr"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

func (h *hospital) truth() *Truth {
	t := &Truth{Seed: h.opts.Seed, Start: h.opts.Start, End: h.opts.end()}
	for _, d := range h.devices {
		p := d.prof
		td := TruthDevice{
			ID: d.id, MAC: d.mac.String(), NICVendor: d.oui.Org, NICNote: p.NICNote,
			Hostname: d.hostname, Class: p.Class, Manufacturer: p.Manufacturer, Model: p.Model,
			Firmware: d.firmware, Profile: p.Name, Criticality: p.Criticality,
			Zone: d.home.Key, VLAN: d.home.VLAN, Addressing: "dhcp", VendorClass: p.VendorClass,
			IPs: d.held,
		}
		if d.static {
			td.Addressing = "static"
		}
		for _, s := range p.Offers {
			td.Offers = append(td.Offers, TruthService(s))
		}
		t.Devices = append(t.Devices, td)
	}
	return t
}

// writeTruth writes truth.json.
func writeTruth(dir string, t *Truth) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("truth.json: %w", err)
	}
	b = append(b, '\n')
	if err := os.WriteFile(filepath.Join(dir, "truth.json"), b, 0o644); err != nil {
		return fmt.Errorf("truth.json: %w", err)
	}
	return nil
}
