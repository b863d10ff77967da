// Package asset defines Vigil's model of a device in the inventory: its
// identity (MACs, IPs with validity intervals, hostnames), what it is
// (vendor, class, criticality, with evidence), what it runs and offers, and
// when it was seen.
//
// It owns plain data types and the small, pure helpers that keep them
// canonical (sorted, bounded). It does no I/O and keeps no state; the
// inventory package decides how devices change, the store persists them.
package asset

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Criticality says how directly a device keeps a patient alive or safe.
type Criticality string

// Criticality levels, most critical first.
const (
	LifeSustaining     Criticality = "life-sustaining"
	LifeSupporting     Criticality = "life-supporting"
	Diagnostic         Criticality = "diagnostic"
	ClinicalSupport    Criticality = "clinical-support"
	NonClinical        Criticality = "non-clinical"
	CriticalityUnknown Criticality = "unknown"
)

// Criticalities lists every level, most critical first.
var Criticalities = []Criticality{LifeSustaining, LifeSupporting, Diagnostic, ClinicalSupport, NonClinical, CriticalityUnknown}

// Valid reports whether c is one of the defined levels.
func (c Criticality) Valid() bool {
	for _, k := range Criticalities {
		if c == k {
			return true
		}
	}
	return false
}

// Device is one device of the inventory. List fields are kept sorted and
// bounded so that two devices built from the same events compare equal.
type Device struct {
	ID  string `json:"id"`
	Key string `json:"key"` // identity key: "mac:aa:bb:..." or "ip:10.1.2.3"

	MACs      []string    `json:"macs"`
	IPs       []IPAddress `json:"ips"`
	Hostnames []string    `json:"hostnames"`

	Vendor          string `json:"vendor,omitempty"`       // from the OUI registry
	Manufacturer    string `json:"manufacturer,omitempty"` // from a fingerprint or an import
	Model           string `json:"model,omitempty"`
	Firmware        string `json:"firmware,omitempty"`
	DHCPVendorClass string `json:"dhcp_vendor_class,omitempty"`

	Class           string     `json:"class"`
	ClassConfidence float64    `json:"class_confidence"`
	ClassEvidence   []Evidence `json:"class_evidence,omitempty"`

	// Criticality is the level in force: the override when one is set,
	// else the level derived from the class.
	Criticality         Criticality `json:"criticality"`
	CriticalityOverride Criticality `json:"criticality_override,omitempty"`

	// Record is what the hospital's asset register (CMMS) says about the
	// device, from `vigil inventory import`: its non-empty manufacturer,
	// model and firmware win over what fingerprints found.
	Record *Record `json:"record,omitempty"`

	Software []Software `json:"software"`
	Services []Service  `json:"services"`
	// Clients are the (port, protocol) pairs the device connects to as a client.
	Clients    []Service `json:"clients,omitempty"`
	DNSNames   []string  `json:"dns_names,omitempty"`   // names the device looked up
	TLSServers []string  `json:"tls_servers,omitempty"` // SNI of TLS sessions it opened

	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Record is a device's entry in the hospital's asset register.
type Record struct {
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Firmware     string `json:"firmware,omitempty"`
	AssetTag     string `json:"asset_tag,omitempty"`
	Location     string `json:"location,omitempty"`
	Owner        string `json:"owner,omitempty"`
	// Source is where the record came from: "register.csv:12".
	Source string `json:"source"`
}

// IPAddress is an address the device held, with when it was seen holding it.
type IPAddress struct {
	IP        string    `json:"ip"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Software is one product and version observed on the device.
type Software struct {
	Type      string    `json:"type,omitempty"`
	Name      string    `json:"name"`
	Version   string    `json:"version,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Service is a transport port with the application protocol seen on it.
type Service struct {
	Port  uint16 `json:"port"`
	Proto string `json:"proto"`
	Name  string `json:"name,omitempty"`
}

// Evidence is one reason for a classification: the rule and what it saw.
type Evidence struct {
	Rule       string  `json:"rule"`
	Signal     string  `json:"signal"`
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence"`
}

// Lease binds an IP address to a MAC address over an interval of event time.
type Lease struct {
	MAC   string    `json:"mac"`
	IP    string    `json:"ip"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// IDForKey derives a device's stable ID from its identity key, so that the
// same device gets the same ID on every machine and every run.
func IDForKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "dev-" + hex.EncodeToString(sum[:6])
}
