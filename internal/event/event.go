// Package event defines the normalized events that every ingest format
// produces and that the pipeline consumes, together with their source
// positions.
//
// It owns only plain data types: no parsing, no I/O, no state. Every other
// package may import it; it imports nothing of Vigil's.
package event

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Position locates a record in its source: the file, the 1-based line and
// the byte offset of the record's first byte in the decompressed stream.
type Position struct {
	File   string
	Line   int64
	Offset int64
}

func (p Position) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s@%d", p.File, p.Offset)
}

// Kind names the type of a normalized event.
type Kind uint8

// The kinds of events Vigil understands so far.
const (
	KindConn Kind = iota + 1
	KindDHCP
	KindDNS
	KindSSL
	KindX509
	KindSoftware
	KindKnownHost
	KindKnownService
)

var kindNames = [...]string{
	KindConn:         "conn",
	KindDHCP:         "dhcp",
	KindDNS:          "dns",
	KindSSL:          "ssl",
	KindX509:         "x509",
	KindSoftware:     "software",
	KindKnownHost:    "known_hosts",
	KindKnownService: "known_services",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Event is implemented by every normalized event type.
type Event interface {
	Kind() Kind
	Time() time.Time
}

// Conn is one connection summary (Zeek conn.log, a NetFlow record).
type Conn struct {
	TS        time.Time
	UID       string
	OrigH     netip.Addr
	OrigP     uint16
	RespH     netip.Addr
	RespP     uint16
	Proto     string // tcp, udp, icmp
	Service   string // application protocol(s) detected, comma separated as Zeek writes them
	Duration  time.Duration
	OrigBytes int64
	RespBytes int64
	ConnState string
	OrigPkts  int64
	RespPkts  int64
	OrigL2    net.HardwareAddr // orig_l2_addr when the sensor logs it
	RespL2    net.HardwareAddr // resp_l2_addr when the sensor logs it
	VLAN      int              // outer VLAN, 0 when absent
}

// DHCP is one DHCP exchange (Zeek dhcp.log).
type DHCP struct {
	TS             time.Time
	ClientAddr     netip.Addr
	ServerAddr     netip.Addr
	MAC            net.HardwareAddr
	HostName       string
	ClientFQDN     string
	Domain         string
	RequestedAddr  netip.Addr
	AssignedAddr   netip.Addr
	LeaseTime      time.Duration
	MsgTypes       []string
	ClientSoftware string // option 60, vendor class identifier
	ServerSoftware string
}

// DNS is one DNS query and its answers (Zeek dns.log).
type DNS struct {
	TS      time.Time
	UID     string
	OrigH   netip.Addr
	RespH   netip.Addr
	RespP   uint16
	Proto   string
	Query   string
	QType   string
	RCode   string
	Answers []string
	TTLs    []time.Duration
}

// SSL is one TLS or DTLS session (Zeek ssl.log).
type SSL struct {
	TS          time.Time
	UID         string
	OrigH       netip.Addr
	OrigP       uint16
	RespH       netip.Addr
	RespP       uint16
	Version     string
	Cipher      string
	Curve       string
	ServerName  string
	Established bool
	CertChain   []string // certificate fingerprints (cert_chain_fps), or file ids in older Zeek
	Subject     string   // older Zeek versions log subject and issuer here
	Issuer      string
	JA3         string
	JA3S        string
}

// X509 is one certificate seen on the wire (Zeek x509.log).
type X509 struct {
	TS         time.Time
	ID         string // fingerprint (Zeek ≥ 4) or file id
	Version    int
	Serial     string
	Subject    string
	Issuer     string
	NotBefore  time.Time
	NotAfter   time.Time
	KeyAlg     string
	SigAlg     string
	KeyType    string
	KeyLength  int
	Exponent   string
	Curve      string
	SANDNS     []string
	SANIP      []netip.Addr
	BasicCA    bool
	HostCert   bool
	ClientCert bool
	HasBasicCA bool
}

// Software is one piece of software seen on a host (Zeek software.log).
type Software struct {
	TS              time.Time
	Host            netip.Addr
	HostP           uint16
	SoftwareType    string
	Name            string
	Version         string // major.minor.minor2.minor3 and addl, joined the way Zeek prints them
	UnparsedVersion string
}

// KnownHost is a host that completed a TCP handshake (Zeek known_hosts.log).
type KnownHost struct {
	TS   time.Time
	Host netip.Addr
}

// KnownService is a service a host offers (Zeek known_services.log).
type KnownService struct {
	TS       time.Time
	Host     netip.Addr
	Port     uint16
	Proto    string
	Services []string
}

func (*Conn) Kind() Kind         { return KindConn }
func (*DHCP) Kind() Kind         { return KindDHCP }
func (*DNS) Kind() Kind          { return KindDNS }
func (*SSL) Kind() Kind          { return KindSSL }
func (*X509) Kind() Kind         { return KindX509 }
func (*Software) Kind() Kind     { return KindSoftware }
func (*KnownHost) Kind() Kind    { return KindKnownHost }
func (*KnownService) Kind() Kind { return KindKnownService }

func (e *Conn) Time() time.Time         { return e.TS }
func (e *DHCP) Time() time.Time         { return e.TS }
func (e *DNS) Time() time.Time          { return e.TS }
func (e *SSL) Time() time.Time          { return e.TS }
func (e *X509) Time() time.Time         { return e.TS }
func (e *Software) Time() time.Time     { return e.TS }
func (e *KnownHost) Time() time.Time    { return e.TS }
func (e *KnownService) Time() time.Time { return e.TS }

// Clone returns a shallow copy of an event (its strings and slices are
// shared), for a reader that reuses the struct it returns.
func Clone(ev Event) Event {
	switch e := ev.(type) {
	case *Conn:
		c := *e
		return &c
	case *DHCP:
		c := *e
		return &c
	case *DNS:
		c := *e
		return &c
	case *SSL:
		c := *e
		return &c
	case *X509:
		c := *e
		return &c
	case *Software:
		c := *e
		return &c
	case *KnownHost:
		c := *e
		return &c
	case *KnownService:
		c := *e
		return &c
	}
	return ev
}
