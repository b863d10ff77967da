package simulate

import "time"

// The catalog: every kind of host the simulated hospital contains.
//
// What is a public fact and what is a choice of the simulation:
//   - OUI prefixes are IEEE assignments to the vendor (or, where noted, to the
//     maker of the network card inside a vendor's computer); oui_test.go checks
//     every prefix and organization name against the IEEE registry files.
//   - Ports marked "IANA" are registered; ports marked "documented" are in the
//     vendor's public documentation; ports marked "sim" are site-configurable
//     or undocumented and were chosen for the simulation.
//   - Cloud and portal domains are the ones the vendors (or well-known open
//     source clients of their APIs) document publicly. Their addresses are
//     from the documentation ranges (RFC 5737), never real vendor addresses.
//   - Firmware versions are taken from public vendor and CISA (ICSMA)
//     advisories where marked "advisory"; others are plausible inventions.
//   - Hostname patterns follow vendor defaults where known (Cisco phones
//     "SEP<MAC>", Cisco APs "AP<mac.dotted>") and hospital naming otherwise.
//   - Statically addressed hosts have no DHCP exchange: IT registers them in
//     the internal DNS under their host names (lower case), and the names
//     show on the wire when others look them up: clients of the servers, the
//     biomed engineer servicing the central stations, and the monitoring
//     server's availability checks (ICMP echo, by name) of the servers and
//     the static clinical systems.

// Class names, as used in Truth and by the classifier.
const (
	ClassInfusionPump          = "infusion_pump"
	ClassInsulinPumpCGMHub     = "insulin_pump_cgm_hub"
	ClassPatientMonitor        = "patient_monitor"
	ClassVentilator            = "ventilator"
	ClassDefibrillator         = "defibrillator"
	ClassImplantProgrammer     = "cardiac_implant_programmer"
	ClassImagingCT             = "imaging_ct"
	ClassImagingMR             = "imaging_mr"
	ClassImagingUltrasound     = "imaging_ultrasound"
	ClassImagingXRay           = "imaging_xray"
	ClassPACS                  = "pacs"
	ClassSurgicalRobot         = "surgical_robot"
	ClassRPMHub                = "rpm_hub"
	ClassLabAnalyzer           = "lab_analyzer"
	ClassClinicalWorkstation   = "clinical_workstation"
	ClassEHRServer             = "ehr_server"
	ClassHL7InterfaceEngine    = "hl7_interface_engine"
	ClassNetworkGear           = "network_gear"
	ClassPrinter               = "printer"
	ClassIPPhone               = "ip_phone"
	ClassDeviceServer          = "device_server" // vendor servers of medical devices (pump servers, central stations)
	ClassITServer              = "it_server"     // domain controllers, print, voice, monitoring servers
	domainSuffix               = "hosp.example"  // internal DNS domain (RFC 2606 reserved name)
	critLifeSustaining         = "life-sustaining"
	critLifeSupporting         = "life-supporting"
	critDiagnostic             = "diagnostic"
	critClinicalSupport        = "clinical-support"
	critNonClinical            = "non-clinical"
	defaultWorkstationIPv6Rate = 0.3
)

// medicalClasses are the classes a biomed engineer's workstation services.
var medicalClasses = map[string]bool{
	ClassInfusionPump: true, ClassPatientMonitor: true, ClassVentilator: true,
	ClassDefibrillator: true, ClassImagingUltrasound: true, ClassLabAnalyzer: true,
}

type osFamily uint8

const (
	osEmbedded osFamily = iota
	osLinux
	osWindows
	osCiscoIOS
	osAndroid
)

// OUI is a MAC address prefix registered in the IEEE registry.
type OUI struct {
	Prefix string // hex digits: 6 (MA-L), 7 (MA-M) or 9 (MA-S, IAB)
	Org    string // organization name exactly as registered
}

// Service is a port a host offers.
type Service struct {
	Port    uint16
	Proto   string
	Service string // Zeek service name, "" when stock Zeek has no analyzer for it
}

type rhythm uint8

const (
	rhythmFlat     rhythm = iota // around the clock
	rhythmClinical               // around the clock, a little busier by day
	rhythmOffice                 // office hours, quiet at night and at weekends
	rhythmExams                  // scheduled exams by day, emergencies at night
	rhythmNight                  // nightly jobs (backups, config archives)
)

// dist is a log-normal distribution given by its median and sigma.
type dist struct{ Median, Sigma float64 }

// tlsSpec says how a flow negotiates TLS.
type tlsSpec struct {
	P13      float64  // probability of TLSv13; otherwise Legacy, or TLSv12
	Legacy   string   // version used instead of TLSv12 (e.g. "TLSv10"), "" for TLSv12
	Ciphers  []string // pre-1.3 cipher suites, as Zeek names them
	Curve    string   // key exchange group; "" = x25519
	Curve13  string   // group for TLSv13 sessions; "" = Curve
	NoSNI    bool     // device connects by IP address: no server_name
	Resumed  float64  // fraction of sessions resumed (no certificate on the wire)
	NotEstab float64  // fraction of handshakes that fail
}

// Flow is one kind of connection a host initiates.
//
// Target syntax (To):
//
//	host:KEY      an infrastructure host, by address (no DNS lookup)
//	name:KEY      an infrastructure host, looked up in DNS first (KEY.hosp.example)
//	dns           an external name from Names, looked up in DNS first
//	class:CLASS   a device of that class that is online (Each: every one of them)
//	profile:NAME  a device of that profile that is online (Each: every one of them)
//	              (ByName: the target's DNS name is looked up first; only
//	              statically addressed hosts have one)
//	offer:medical a medical device and one of the ports it offers
//	bcast         the directed broadcast address of the host's subnet
type Flow struct {
	To       string
	Names    []string // for "dns": candidate names, the first ones more likely
	Proto    string
	Port     uint16
	PortHi   uint16 // if > Port, the responder port is drawn from [Port, PortHi] (RTP)
	Service  string
	Rate     float64       // mean connections per hour at full activity
	Every    time.Duration // if > 0: periodic (with jitter) instead of Rate
	Each     bool          // class targets: one periodic series per target device
	Rhythm   rhythm
	Dur      dist    // seconds
	Bps      float64 // if > 0, duration also grows with bytes at this throughput
	Orig     dist    // bytes sent by the originator
	Resp     dist    // bytes sent by the responder
	TLS      *tlsSpec
	Fail     float64 // fraction of attempts that fail (no answer or refused)
	V6       bool    // uses IPv6 when both ends have it
	Software bool    // the flow reveals the originator's client software (plain HTTP, SSH)
	ByName   bool    // class and profile targets: look the target's DNS name up first
}

func tcp(to string, port uint16, svc string) Flow {
	return Flow{To: to, Proto: "tcp", Port: port, Service: svc,
		Dur: dist{0.3, 0.8}, Orig: dist{600, 0.6}, Resp: dist{900, 0.7}}
}

func udp(to string, port uint16, svc string) Flow {
	return Flow{To: to, Proto: "udp", Port: port, Service: svc,
		Dur: dist{0.01, 0.8}, Orig: dist{90, 0.3}, Resp: dist{90, 0.3}}
}

// ping is an ICMP echo request and its reply (Zeek logs the type, 8, as the
// originator's port and the code, 0, as the responder's).
func ping(to string) Flow {
	return Flow{To: to, Proto: "icmp", Dur: dist{0.0008, 0.5}, Orig: dist{64, 0}, Resp: dist{64, 0}} // 8-byte header and 56 data bytes, as ping sends
}

func (f Flow) every(d time.Duration) Flow  { f.Every = d; return f }
func (f Flow) rate(r float64) Flow         { f.Rate = r; return f }
func (f Flow) each() Flow                  { f.Each = true; return f }
func (f Flow) rhythm(r rhythm) Flow        { f.Rhythm = r; return f }
func (f Flow) dur(sec, sigma float64) Flow { f.Dur = dist{sec, sigma}; return f }
func (f Flow) bps(b float64) Flow          { f.Bps = b; return f }
func (f Flow) fail(p float64) Flow         { f.Fail = p; return f }
func (f Flow) v6() Flow                    { f.V6 = true; return f }
func (f Flow) names(n ...string) Flow      { f.Names = n; return f }
func (f Flow) ports(lo, hi uint16) Flow    { f.Port, f.PortHi = lo, hi; return f }
func (f Flow) sw() Flow                    { f.Software = true; return f }
func (f Flow) byName() Flow                { f.ByName = true; return f }
func (f Flow) tls(s tlsSpec) Flow          { f.TLS = &s; return f }
func (f Flow) bytes(orig, resp float64) Flow {
	f.Orig.Median, f.Resp.Median = orig, resp
	return f
}
func (f Flow) sigma(orig, resp float64) Flow {
	f.Orig.Sigma, f.Resp.Sigma = orig, resp
	return f
}

// softwareSpec is what Zeek's software framework would report for a host.
type softwareSpec struct {
	Type     string // HTTP::SERVER, HTTP::BROWSER, SSH::SERVER, SSH::CLIENT
	Name     string
	Version  string // dotted numeric part
	Addl     string // additional version text
	Unparsed string // the banner as seen
	Port     uint16 // servers: seen when a client connects to this port; clients: 0
}

// certSpec describes a server certificate.
type certSpec struct {
	Subject string // "" = "CN=<fqdn>"
	Issuer  string // key of caTable; "" = self-signed
	KeyType string // rsa or ecdsa
	Bits    int
	SigAlg  string
	Days    int // validity period
	AgeDays int // issued this many days before the simulation starts
}

// zoneShare places a share of a profile's devices in a zone.
type zoneShare struct {
	Zone   string
	Weight float64
}

// Profile is a kind of device: what it is, how it announces itself and how
// it talks. Infrastructure hosts are profiles with a Key: exactly one of
// each exists, at a fixed address.
type Profile struct {
	Name         string
	Class        string
	Manufacturer string
	Model        string
	Firmware     []string // most common first
	OUI          []OUI
	NICNote      string // set when the OUI belongs to the network card's maker, not Manufacturer
	Hostname     string // pattern: {n2} {n3} {n4} sequence, {UNIT}, {MAC}, {macdot}
	VendorClass  string // DHCP option 60; "" when the device sends none
	OS           osFamily
	Zones        []zoneShare
	Weight       float64 // share of endpoint devices (percent); 0 for infrastructure
	Static       bool    // fixed address, no DHCP
	Portable     bool    // powered off and moved between units
	Criticality  string
	IPv6         float64 // share of devices with an IPv6 (ULA) address
	DNSCache     bool    // caches DNS answers for their TTL (embedded devices often do not)
	Offers       []Service
	Flows        []Flow
	Software     []softwareSpec
	Cert         *certSpec // server certificate, for TLS servers

	// Infrastructure only.
	Key   string // short name, also the DNS label
	Addr  string // IPv4 address
	Addr6 string // IPv6 address
}

// TLS profiles.
var (
	tlsModern = tlsSpec{P13: 0.8, Curve13: "X25519MLKEM768", Resumed: 0.3,
		Ciphers: []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}}
	tlsSchannel = tlsSpec{P13: 0.3, Resumed: 0.4,
		Ciphers: []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, Curve: "secp256r1"}
	tlsDevice = tlsSpec{P13: 0, NoSNI: true,
		Ciphers: []string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"}, Curve: "secp256r1"}
	tlsLegacyDevice = tlsSpec{P13: 0, Legacy: "TLSv10", NoSNI: true,
		Ciphers: []string{"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"}, Curve: "-"}
	tlsSyslog = tlsSpec{P13: 0.6, Curve13: "x25519",
		Ciphers: []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}
	tlsCloudDevice = tlsSpec{P13: 0.5,
		Ciphers: []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}}
)

// caTable lists the issuing CAs of the certificates the hospital sees.
// Which public CA signs which vendor's certificate is an invention.
var caTable = map[string]certSpec{
	"hospital": {Subject: "CN=HOSP-ISSUING-CA01,DC=hosp,DC=example", KeyType: "rsa", Bits: 4096, SigAlg: "sha256WithRSAEncryption", Days: 3650, AgeDays: 1200},
	"digicert": {Subject: "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 3652, AgeDays: 2200},
	"letsencrypt": {Subject: "CN=R11,O=Let's Encrypt,C=US", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption",
		Days: 1095, AgeDays: 650},
	"microsoft": {Subject: "CN=Microsoft Azure RSA TLS Issuing CA 04,O=Microsoft Corporation,C=US", KeyType: "rsa", Bits: 4096, SigAlg: "sha384WithRSAEncryption", Days: 1827, AgeDays: 1000},
	"google":    {Subject: "CN=WR2,O=Google Trust Services,C=US", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 1826, AgeDays: 800},
	"amazon":    {Subject: "CN=Amazon RSA 2048 M02,O=Amazon,C=US", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 2922, AgeDays: 1300},
	"sectigo":   {Subject: "CN=Sectigo RSA Domain Validation Secure Server CA,O=Sectigo Limited,L=Salford,ST=Greater Manchester,C=GB", KeyType: "rsa", Bits: 2048, SigAlg: "sha384WithRSAEncryption", Days: 4748, AgeDays: 2600},
}

// extDomain is an internet name some device looks up and connects to.
type extDomain struct {
	Name string
	Org  string // who runs it
	CA   string // issuer, key of caTable
	IPs  int    // addresses in the DNS answer
	TTL  time.Duration
	ECC  bool // ECDSA leaf certificate
}

// externalDomains lists every internet name of the catalog. Vendor names are
// the ones documented by the vendor or by open-source clients of its service.
var externalDomains = []extDomain{
	// Medical device clouds and portals.
	{Name: "carelink.minimed.com", Org: "Medtronic Diabetes (CareLink)", CA: "digicert", IPs: 2, TTL: 300 * time.Second},
	{Name: "vistacenter.vitalconnect.com", Org: "VitalConnect (VistaCenter)", CA: "digicert", IPs: 2, TTL: 300 * time.Second},
	{Name: "www.medtroniccarelink.net", Org: "Medtronic CareLink Network (clinician portal)", CA: "digicert", IPs: 1, TTL: 300 * time.Second},
	{Name: "www.merlin.net", Org: "Abbott (St. Jude Medical) Merlin.net", CA: "digicert", IPs: 1, TTL: 600 * time.Second},
	{Name: "latitude.bostonscientific.com", Org: "Boston Scientific LATITUDE", CA: "digicert", IPs: 1, TTL: 300 * time.Second},
	{Name: "www.biotronik-homemonitoring.com", Org: "BIOTRONIK Home Monitoring", CA: "sectigo", IPs: 1, TTL: 3600 * time.Second},
	{Name: "share2.dexcom.com", Org: "Dexcom Share (US)", CA: "digicert", IPs: 2, TTL: 60 * time.Second},
	{Name: "lifenetsystems.com", Org: "Physio-Control (Stryker) LIFENET", CA: "sectigo", IPs: 1, TTL: 3600 * time.Second},
	// Enterprise services used by Windows workstations.
	{Name: "login.microsoftonline.com", Org: "Microsoft Entra ID", CA: "microsoft", IPs: 4, TTL: 300 * time.Second},
	{Name: "outlook.office365.com", Org: "Microsoft 365", CA: "digicert", IPs: 4, TTL: 60 * time.Second},
	{Name: "settings-win.data.microsoft.com", Org: "Microsoft (Windows settings)", CA: "microsoft", IPs: 2, TTL: 300 * time.Second},
	{Name: "ctldl.windowsupdate.com", Org: "Microsoft (certificate trust lists, plain HTTP)", CA: "", IPs: 2, TTL: 3600 * time.Second},
	{Name: "www.msftconnecttest.com", Org: "Microsoft (network connectivity status indicator, plain HTTP)", CA: "", IPs: 1, TTL: 60 * time.Second},
	{Name: "edge.microsoft.com", Org: "Microsoft Edge services", CA: "microsoft", IPs: 2, TTL: 300 * time.Second},
	{Name: "teams.microsoft.com", Org: "Microsoft Teams", CA: "microsoft", IPs: 2, TTL: 300 * time.Second},
	{Name: "www.uptodate.com", Org: "Wolters Kluwer UpToDate", CA: "digicert", IPs: 2, TTL: 300 * time.Second},
	{Name: "pubmed.ncbi.nlm.nih.gov", Org: "US National Library of Medicine", CA: "digicert", IPs: 1, TTL: 3600 * time.Second},
	{Name: "www.google.com", Org: "Google", CA: "google", IPs: 1, TTL: 300 * time.Second, ECC: true},
	{Name: "connectivitycheck.gstatic.com", Org: "Google (Android connectivity check, plain HTTP)", CA: "", IPs: 1, TTL: 300 * time.Second},
}

// Names workstations browse to, most frequent first.
var workstationWeb = []string{
	"login.microsoftonline.com", "outlook.office365.com", "teams.microsoft.com", "www.uptodate.com",
	"edge.microsoft.com", "settings-win.data.microsoft.com", "www.google.com", "pubmed.ncbi.nlm.nih.gov",
}

// OUI lists used by several profiles.
var (
	ouiCisco   = []OUI{{"F4BD9E", "Cisco Systems, Inc"}, {"6C5E3B", "Cisco Systems, Inc"}, {"00EEAB", "Cisco Systems, Inc"}, {"A0CF5B", "Cisco Systems, Inc"}}
	ouiDell    = []OUI{{"5C260A", "Dell Inc."}, {"A4BB6D", "Dell Inc."}, {"F8BC12", "Dell Inc."}, {"B083FE", "Dell Inc."}, {"D4BED9", "Dell Inc."}}
	ouiHP      = []OUI{{"3822E2", "HP Inc."}, {"C85ACF", "HP Inc."}}
	ouiIntel   = []OUI{{"3CFDFE", "Intel Corporate"}, {"A0369F", "Intel Corporate"}, {"001B21", "Intel Corporate"}}
	ouiVMware  = []OUI{{"005056", "VMware, Inc."}}
	ouiHPE     = []OUI{{"4CAEA3", "Hewlett Packard Enterprise"}}
	ouiZebra   = []OUI{{"00074D", "Zebra Technologies Corp."}, {"84248D", "Zebra Technologies Inc"}, {"94FB29", "Zebra Technologies Inc."}}
	ouiGEImage = []OUI{{"A0F217", "GE Medical System(China) Co., Ltd."}}
)

// Clinical zone mixes.
var (
	unitsAcute  = []zoneShare{{"icu", 30}, {"medsurg", 35}, {"ed", 20}, {"or", 10}, {"nicu", 5}}
	unitsICU    = []zoneShare{{"icu", 55}, {"ed", 20}, {"or", 15}, {"nicu", 10}}
	unitsWards  = []zoneShare{{"medsurg", 40}, {"icu", 20}, {"ed", 20}, {"nicu", 5}, {"or", 5}, {"cardio", 10}}
	unitsPhones = []zoneShare{{"icu", 25}, {"medsurg", 40}, {"ed", 20}, {"or", 10}, {"nicu", 5}}
)

// Windows workstation traffic, shared by the workstation profiles.
func windowsClientFlows() []Flow {
	return []Flow{
		udp("name:dc01", 88, "krb").rate(6).rhythm(rhythmOffice).bytes(1500, 1400),
		tcp("name:dc01", 88, "krb_tcp").rate(4).rhythm(rhythmOffice).bytes(1900, 1700).dur(0.02, 0.6),
		tcp("name:dc01", 389, "ldap").rate(8).rhythm(rhythmOffice).bytes(2500, 6000).dur(0.05, 0.8).v6(),
		tcp("name:dc01", 445, "smb").rate(5).rhythm(rhythmOffice).bytes(9000, 60000).dur(4, 1.2).v6(),
		tcp("name:dc01", 135, "dce_rpc").rate(2).rhythm(rhythmOffice).bytes(800, 700).dur(0.01, 0.5),
		// The DC locator spreads clients over the site's domain controllers.
		udp("name:dc02", 88, "krb").rate(2).rhythm(rhythmOffice).bytes(1500, 1400),
		tcp("name:dc02", 389, "ldap").rate(3).rhythm(rhythmOffice).bytes(2500, 6000).dur(0.05, 0.8),
		udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		tcp("name:ehr01", 80, "http").rate(0.5).rhythm(rhythmOffice).bytes(450, 380).dur(0.01, 0.5), // typed URL, redirected to HTTPS
		tcp("name:ehr01", 443, "ssl").rate(40).rhythm(rhythmOffice).bytes(4000, 90000).sigma(0.9, 1.3).dur(20, 1.3).tls(tlsSchannel).v6(),
		tcp("name:print01", 445, "smb").rate(1.5).rhythm(rhythmOffice).bytes(250000, 4000).sigma(1.2, 0.5).dur(2, 0.8),
		tcp("name:vocera01", 443, "ssl").rate(0.1).rhythm(rhythmOffice).bytes(3000, 40000).dur(30, 1).tls(tlsSchannel), // charge nurses: Vocera Staff Assignment, a web application of the Vocera server
		tcp("dns", 443, "ssl").names(workstationWeb...).rate(25).rhythm(rhythmOffice).bytes(3000, 45000).sigma(1, 1.5).dur(15, 1.5).tls(tlsModern),
		tcp("dns", 80, "http").names("ctldl.windowsupdate.com").rate(0.8).rhythm(rhythmOffice).bytes(400, 22000).sw(),
		tcp("dns", 80, "http").names("www.msftconnecttest.com").rate(0.5).bytes(180, 500).sw(),
		{To: "dns", Proto: "dns", Names: []string{"wpad." + domainSuffix}, Rate: 0.4}, // WPAD lookups: NXDOMAIN
	}
}

var windowsClientSoftware = []softwareSpec{
	{Type: "HTTP::BROWSER", Name: "Microsoft-CryptoAPI", Version: "10.0", Unparsed: "Microsoft-CryptoAPI/10.0"},
}

// Imaging modality traffic: worklist query, then the study to the PACS.
func modalityFlows(port uint16, studyMB float64, perHour float64) []Flow {
	return []Flow{
		tcp("host:pacs01", port, "dicom").rate(perHour).rhythm(rhythmExams).bytes(1800, 6000).dur(0.4, 0.5), // C-FIND modality worklist
		tcp("host:pacs01", port, "dicom").rate(perHour).rhythm(rhythmExams).bytes(studyMB*1e6, 9000).sigma(0.7, 0.4).bps(40e6).dur(2, 0.5),
		tcp("host:pacs01", port, "dicom").rate(perHour).rhythm(rhythmExams).bytes(1200, 900).dur(0.1, 0.5), // MPPS / storage commitment
		udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
	}
}

// endpointProfiles are the devices spread over the hospital by weight.
var endpointProfiles = []Profile{
	// ---- Infusion pumps ----
	{
		Name: "bd-alaris-8015", Class: ClassInfusionPump, Manufacturer: "BD (CareFusion)", Model: "Alaris PC unit 8015",
		Firmware: []string{"9.33.1", "9.33", "9.19"}, // advisory ICSMA-20-317-01 and BD bulletins
		OUI:      []OUI{{"F8C678", "Carefusion"}, {"00D075", "ALARIS MEDICAL SYSTEMS, INC."}},
		Hostname: "ALARIS-PCU-{n4}", OS: osEmbedded, Zones: unitsAcute, Weight: 11, Portable: true, Criticality: critLifeSustaining,
		Flows: []Flow{
			tcp("host:asm01", 3613, "").every(3*time.Minute).bytes(1400, 350).dur(0.2, 0.5).fail(0.01), // IANA 3613 alaris-disc
			tcp("host:asm01", 443, "ssl").rate(0.6).bytes(1500, 60000).sigma(0.5, 1.2).dur(3, 1).tls(tlsDevice),
		},
	},
	{
		Name: "baxter-spectrum-iq", Class: ClassInfusionPump, Manufacturer: "Baxter", Model: "Spectrum IQ LVP 35700BAX3 with Wireless Battery Module",
		Firmware: []string{"v9 / WBM v22D28", "v9 / WBM v22D24", "v9 / WBM v20D32"}, // advisory ICSMA-22-251-01
		OUI:      []OUI{{"5846E1", "Baxter International Inc"}, {"5842E4", "Baxter International Inc"}},
		Hostname: "SPECTRUM-{n4}", OS: osEmbedded, Zones: unitsAcute, Weight: 6, Portable: true, Criticality: critLifeSustaining,
		Offers: []Service{{21, "tcp", "ftp"}, {23, "tcp", ""}}, // advisory: the WBM runs FTP and Telnet
		Flows: []Flow{
			tcp("host:doseiq01", 443, "ssl").every(5*time.Minute).bytes(2200, 900).dur(0.6, 0.5).tls(tlsDevice),
		},
	},
	{
		Name: "bbraun-space", Class: ClassInfusionPump, Manufacturer: "B. Braun", Model: "Infusomat Space with Battery Pack SP (Wi-Fi)",
		Firmware: []string{"028U00093", "028U00089"}, // advisory ICSMA-20-296-02 / ICSMA-21-294-01 (first is the fixed version)
		OUI:      []OUI{{"001221", "B.Braun Melsungen AG"}},
		Hostname: "BBRAUN-SP-{n4}", OS: osEmbedded, Zones: unitsAcute, Weight: 5, Portable: true, Criticality: critLifeSustaining,
		Offers: []Service{{80, "tcp", "http"}},
		Flows: []Flow{
			tcp("host:dosetrac01", 443, "ssl").every(4*time.Minute).bytes(1800, 700).dur(0.5, 0.5).tls(tlsDevice),
		},
	},
	{
		Name: "icu-medical-plum360", Class: ClassInfusionPump, Manufacturer: "ICU Medical", Model: "Plum 360",
		Firmware: []string{"15.10", "15.02"},
		OUI:      []OUI{{"0003B1", "ICU Medical, Inc."}},
		Hostname: "PLUM360-{n4}", OS: osEmbedded, Zones: unitsAcute, Weight: 5, Portable: true, Criticality: critLifeSustaining,
		Flows: []Flow{
			tcp("host:mednet01", 443, "ssl").every(4*time.Minute).bytes(1600, 800).dur(0.5, 0.5).tls(tlsDevice),
		},
	},
	{
		Name: "smiths-medfusion-4000", Class: ClassInfusionPump, Manufacturer: "Smiths Medical (ICU Medical)", Model: "Medfusion 4000 Wireless Syringe Infusion Pump",
		Firmware: []string{"1.6", "1.5", "1.1"}, // advisory ICSMA-17-250-02A
		OUI:      []OUI{{"001A01", "Smiths Medical"}},
		Hostname: "MEDFUSION-{n4}", OS: osEmbedded, Zones: unitsICU, Weight: 2, Portable: true, Criticality: critLifeSustaining,
		Offers: []Service{{21, "tcp", "ftp"}, {23, "tcp", ""}}, // advisory: FTP and Telnet on the pump
		Flows: []Flow{
			tcp("host:pharmguard01", 443, "ssl").every(10*time.Minute).bytes(1500, 600).dur(0.6, 0.5).tls(tlsLegacyDevice),
		},
	},

	// ---- Patient monitors ----
	{
		Name: "philips-intellivue-mx750", Class: ClassPatientMonitor, Manufacturer: "Philips", Model: "IntelliVue MX750",
		Firmware: []string{"N.01", "N.00", "M.04"}, // advisory ICSMA-20-254-01
		OUI:      []OUI{{"00095C", "Philips Medical Systems - Cardiac and Monitoring Systems (CM"}},
		Hostname: "MX750-{UNIT}-{n3}", OS: osEmbedded, Zones: unitsICU, Weight: 6, Portable: true, Criticality: critLifeSupporting,
		Offers: []Service{{24105, "udp", ""}}, // documented: IntelliVue Data Export, UDP 24105
		Flows: []Flow{
			udp("bcast", 24005, "").every(10*time.Minute).dur(590, 0.02).bytes(9000, 0), // documented: Connect Indication to UDP 24005
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Name: "ge-carescape-b650", Class: ClassPatientMonitor, Manufacturer: "GE HealthCare", Model: "CARESCAPE B650",
		Firmware: []string{"3.2", "3.1", "2.0"},
		OUI:      []OUI{{"444B5D", "GE Healthcare"}},
		Hostname: "B650-{UNIT}-{n3}", OS: osEmbedded, Zones: unitsICU, Weight: 4, Portable: true, Criticality: critLifeSupporting,
		Flows: []Flow{
			udp("host:cscs01", 7000, "").every(10*time.Minute).dur(595, 0.02).bytes(1.1e6, 40000), // sim: the Unity/MC network ports are not public
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Name: "mindray-benevision-n17", Class: ClassPatientMonitor, Manufacturer: "Mindray", Model: "BeneVision N17",
		Firmware: []string{"01.65.00", "01.55.00"},
		OUI:      []OUI{{"000F14", "Mindray Co., Ltd."}, {"00A037", "Mindray DS USA, Inc."}},
		Hostname: "N17-{UNIT}-{n3}", OS: osEmbedded, Zones: unitsWards, Weight: 3, Portable: true, Criticality: critLifeSupporting,
		Flows: []Flow{
			tcp("host:benevision01", 4600, "").every(10*time.Minute).dur(595, 0.02).bytes(900000, 30000), // sim
			tcp("host:hl7eng01", 2575, "").every(time.Minute).bytes(2400, 220).dur(0.05, 0.6),            // IANA 2575 hl7: ORU^R01 results
		},
	},

	// ---- Ventilators ----
	{
		Name: "draeger-evita-v500", Class: ClassVentilator, Manufacturer: "Dräger", Model: "Evita V500",
		Firmware: []string{"2.61", "2.51"},
		OUI:      []OUI{{"00105D", "Draeger Medical"}, {"F0E5C3", "Drägerwerk AG & Co. KG aA"}},
		Hostname: "EVITA-{UNIT}-{n3}", OS: osEmbedded, Zones: []zoneShare{{"icu", 70}, {"nicu", 10}, {"ed", 20}}, Weight: 1.6, Portable: true, Criticality: critLifeSustaining,
		Flows: []Flow{
			tcp("host:mdip01", 4001, "").every(10*time.Minute).dur(598, 0.01).bytes(300000, 20000), // sim: MEDIBUS.X over a serial-to-LAN bridge port
		},
	},
	{
		Name: "hamilton-t1", Class: ClassVentilator, Manufacturer: "Hamilton Medical", Model: "HAMILTON-T1",
		Firmware: []string{"2.2.3"}, // advisory ICSMA-21-047-01
		OUI:      []OUI{{"001E9A", "HAMILTON Bonaduz AG"}},
		Hostname: "HAMT1-{UNIT}-{n3}", OS: osEmbedded, Zones: []zoneShare{{"icu", 50}, {"ed", 50}}, Weight: 1.2, Portable: true, Criticality: critLifeSustaining,
		Flows: []Flow{
			tcp("host:mdip01", 4002, "").every(10*time.Minute).dur(598, 0.01).bytes(250000, 20000), // sim
		},
	},

	// ---- Defibrillators ----
	{
		Name: "physio-control-lifepak15", Class: ClassDefibrillator, Manufacturer: "Physio-Control (Stryker)", Model: "LIFEPAK 15",
		Firmware: []string{"3.8", "3.6"},
		OUI:      []OUI{{"40BD9E", "Physio-Control, Inc"}},
		Hostname: "LP15-{n3}", OS: osEmbedded, Zones: []zoneShare{{"ed", 60}, {"icu", 30}, {"cardio", 10}}, Weight: 1, Portable: true, Criticality: critLifeSupporting,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("lifenetsystems.com").rate(0.3).bytes(60000, 4000).dur(4, 0.8).tls(tlsCloudDevice),
		},
	},

	// ---- Cardiac implant programmers ----
	{
		Name: "bsc-latitude-3300", Class: ClassImplantProgrammer, Manufacturer: "Boston Scientific", Model: "LATITUDE Programming System 3300",
		Firmware: []string{"3.03", "3.02"},
		OUI:      []OUI{{"000F19", "Boston Scientific"}},
		Hostname: "LATPRG-{n2}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: []zoneShare{{"cardio", 100}}, Weight: 0.5, Criticality: critLifeSupporting,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("latitude.bostonscientific.com").rate(1).rhythm(rhythmOffice).bytes(400000, 8000).dur(8, 0.8).tls(tlsCloudDevice),
		},
	},
	{
		Name: "abbott-merlin-pcs", Class: ClassImplantProgrammer, Manufacturer: "Abbott (St. Jude Medical)", Model: "Merlin PCS 3650",
		Firmware: []string{"24.2.2", "23.1.1"},
		OUI:      []OUI{{"0050C2831", "St Jude Medical, Inc."}},
		Hostname: "MERLINPCS-{n2}", OS: osWindows, Zones: []zoneShare{{"cardio", 100}}, Weight: 0.5, Criticality: critLifeSupporting,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("www.merlin.net").rate(1).rhythm(rhythmOffice).bytes(300000, 6000).dur(6, 0.8).tls(tlsCloudDevice),
		},
	},

	// ---- Implant home monitors: the issue's "implantable-device programmer or
	// home monitor (pacemaker/ICD)" class, like the programmers above ----
	{
		Name: "medtronic-mycarelink-24950", Class: ClassImplantProgrammer, Manufacturer: "Medtronic", Model: "MyCareLink Patient Monitor 24950",
		Firmware: []string{"5.1.0", "4.9.2"},
		OUI:      []OUI{{"70B3D5B34", "Medtronic"}},
		Hostname: "MCL-{n4}", VendorClass: "udhcp 1.31.1", OS: osLinux, Zones: []zoneShare{{"cardio", 100}}, Weight: 0.8, Criticality: critClinicalSupport,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("www.medtroniccarelink.net").every(time.Hour).bytes(40000, 3000).dur(3, 0.6).tls(tlsCloudDevice),
		},
	},
	{
		Name: "abbott-merlin-home", Class: ClassImplantProgrammer, Manufacturer: "Abbott (St. Jude Medical)", Model: "Merlin@home EX1150",
		Firmware: []string{"8.2.2"}, // advisory ICSMA-17-009-01A: fixed version
		OUI:      []OUI{{"0050C2831", "St Jude Medical, Inc."}},
		Hostname: "MERLINHOME-{n4}", OS: osEmbedded, Zones: []zoneShare{{"cardio", 100}}, Weight: 0.7, Criticality: critClinicalSupport,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("www.merlin.net").every(time.Hour).bytes(30000, 2500).dur(3, 0.6).tls(tlsCloudDevice),
		},
	},
	{
		Name: "bsc-latitude-communicator", Class: ClassImplantProgrammer, Manufacturer: "Boston Scientific", Model: "LATITUDE Communicator 6290",
		Firmware: []string{"6.0.2", "5.9.1"},
		OUI:      []OUI{{"000F19", "Boston Scientific"}},
		Hostname: "LATCOMM-{n4}", OS: osEmbedded, Zones: []zoneShare{{"cardio", 100}}, Weight: 0.7, Criticality: critClinicalSupport,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("latitude.bostonscientific.com").every(time.Hour).bytes(35000, 2500).dur(3, 0.6).tls(tlsCloudDevice),
		},
	},
	{
		Name: "biotronik-cardiomessenger", Class: ClassImplantProgrammer, Manufacturer: "BIOTRONIK", Model: "CardioMessenger II-S",
		Firmware: []string{"2.20"}, // advisory ICSMA-20-170-05
		OUI:      []OUI{{"000BC4", "BIOTRONIK GmbH & Co"}},
		Hostname: "CMII-{n4}", OS: osEmbedded, Zones: []zoneShare{{"cardio", 100}}, Weight: 0.6, Criticality: critClinicalSupport,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("www.biotronik-homemonitoring.com").every(time.Hour).bytes(25000, 2000).dur(3, 0.6).tls(tlsCloudDevice),
		},
	},

	// ---- Insulin pump / CGM hubs ----
	// ---- Remote patient monitoring: a wearable biosensor relay ----
	{
		Name: "vitalconnect-relay", Class: ClassRPMHub, Manufacturer: "VitalConnect", Model: "VitalPatch relay gateway",
		Firmware: []string{"3.4.1", "3.3.0"},
		OUI:      []OUI{{"B008BF", "Vital Connect, Inc."}},
		Hostname: "VCRELAY-{n3}", VendorClass: "udhcp 1.31.1", OS: osLinux, Zones: []zoneShare{{"medsurg", 70}, {"cardio", 30}}, Weight: 0.6, Criticality: critLifeSupporting,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("vistacenter.vitalconnect.com").every(5*time.Minute).bytes(8000, 2000).dur(1, 0.5).tls(tlsCloudDevice),
		},
	},
	{
		Name: "medtronic-minimed-hub", Class: ClassInsulinPumpCGMHub, Manufacturer: "Medtronic Diabetes", Model: "MiniMed 780G CareLink uploader",
		Firmware: []string{"2.7.0", "2.6.1"},
		OUI:      []OUI{{"DC16A2", "Medtronic Diabetes"}},
		Hostname: "MINIMED-{n4}", VendorClass: "udhcp 1.33.2", OS: osLinux, Zones: []zoneShare{{"medsurg", 60}, {"icu", 20}, {"cardio", 20}}, Weight: 0.6, Portable: true, Criticality: critLifeSupporting,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("carelink.minimed.com").every(5*time.Minute).bytes(6000, 2000).dur(1, 0.5).tls(tlsCloudDevice),
		},
	},
	{
		Name: "dexcom-g7-hospital-hub", Class: ClassInsulinPumpCGMHub, Manufacturer: "Dexcom", Model: "G7 CGM app on Zebra TC52-HC",
		Firmware: []string{"G7 app 2.3 / Android 11", "G7 app 2.2 / Android 11"},
		OUI:      ouiZebra, NICNote: "handheld computer running the Dexcom app; Dexcom has no IEEE assignment of its own",
		Hostname: "DEXCOM-HUB-{n3}", VendorClass: "android-dhcp-11", OS: osAndroid, Zones: []zoneShare{{"medsurg", 50}, {"icu", 50}}, Weight: 0.6, Portable: true, Criticality: critLifeSupporting, DNSCache: true,
		Flows: []Flow{
			tcp("dns", 443, "ssl").names("share2.dexcom.com").every(5*time.Minute).bytes(2500, 3000).dur(0.8, 0.5).tls(tlsModern),
			tcp("dns", 80, "http").names("connectivitycheck.gstatic.com").rate(1).bytes(200, 150),
		},
	},

	// ---- Imaging modalities ----
	{
		Name: "siemens-somatom-go-up", Class: ClassImagingCT, Manufacturer: "Siemens Healthineers", Model: "SOMATOM go.Up",
		Firmware: []string{"syngo CT VA40A", "syngo CT VA30A"},
		OUI:      []OUI{{"884B39", "Siemens AG, Healthcare Sector"}},
		Hostname: "CT-SOMATOM-{n2}", OS: osWindows, Zones: []zoneShare{{"imaging", 100}}, Weight: 0.6, Static: true, Criticality: critDiagnostic,
		Offers: []Service{{104, "tcp", "dicom"}}, Flows: modalityFlows(104, 350, 2.5),
	},
	{
		Name: "ge-revolution-ct", Class: ClassImagingCT, Manufacturer: "GE HealthCare", Model: "Revolution CT",
		Firmware: []string{"Revolution CT 2.6", "Revolution CT 2.4"},
		OUI:      ouiGEImage,
		Hostname: "CT-REVO-{n2}", OS: osLinux, Zones: []zoneShare{{"imaging", 100}}, Weight: 0.5, Static: true, Criticality: critDiagnostic,
		Offers: []Service{{104, "tcp", "dicom"}}, Flows: modalityFlows(104, 400, 2.5),
	},
	{
		Name: "canon-aquilion-one", Class: ClassImagingCT, Manufacturer: "Canon Medical Systems", Model: "Aquilion ONE PRISM",
		Firmware: []string{"V10.12", "V10.8"},
		OUI:      ouiDell, NICNote: "console workstation network card; Canon Medical has no IEEE assignment of its own",
		Hostname: "CT-AQUILION-{n2}", OS: osWindows, Zones: []zoneShare{{"imaging", 100}}, Weight: 0.4, Static: true, Criticality: critDiagnostic,
		Offers: []Service{{11112, "tcp", "dicom"}}, Flows: modalityFlows(11112, 300, 2),
	},
	{
		Name: "siemens-magnetom-vida", Class: ClassImagingMR, Manufacturer: "Siemens Healthineers", Model: "MAGNETOM Vida",
		Firmware: []string{"syngo MR XA60", "syngo MR XA50"},
		OUI:      []OUI{{"884B39", "Siemens AG, Healthcare Sector"}},
		Hostname: "MR-VIDA-{n2}", OS: osWindows, Zones: []zoneShare{{"imaging", 100}}, Weight: 0.5, Static: true, Criticality: critDiagnostic,
		Offers: []Service{{104, "tcp", "dicom"}}, Flows: modalityFlows(104, 250, 1.2),
	},
	{
		Name: "ge-signa-premier", Class: ClassImagingMR, Manufacturer: "GE HealthCare", Model: "SIGNA Premier",
		Firmware: []string{"MR30.1", "MR29.1"},
		OUI:      ouiGEImage,
		Hostname: "MR-SIGNA-{n2}", OS: osLinux, Zones: []zoneShare{{"imaging", 100}}, Weight: 0.4, Static: true, Criticality: critDiagnostic,
		Offers: []Service{{104, "tcp", "dicom"}}, Flows: modalityFlows(104, 200, 1.2),
	},
	{
		Name: "philips-epiq7", Class: ClassImagingUltrasound, Manufacturer: "Philips", Model: "EPIQ 7",
		Firmware: []string{"VM6.0", "VM5.0"}, // advisory ICSMA-20-177-01
		OUI:      ouiIntel, NICNote: "embedded PC network card",
		Hostname: "US-EPIQ-{n3}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: []zoneShare{{"imaging", 40}, {"cardio", 25}, {"ed", 20}, {"icu", 15}}, Weight: 1, Portable: true, Criticality: critDiagnostic,
		Flows: modalityFlows(104, 25, 2),
	},
	{
		Name: "ge-logiq-e10", Class: ClassImagingUltrasound, Manufacturer: "GE HealthCare", Model: "LOGIQ E10",
		Firmware: []string{"R4.0", "R3.2"},
		OUI:      ouiGEImage,
		Hostname: "US-LOGIQ-{n3}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: []zoneShare{{"imaging", 60}, {"ed", 40}}, Weight: 0.8, Portable: true, Criticality: critDiagnostic,
		Flows: modalityFlows(104, 30, 2),
	},
	{
		Name: "carestream-drx-revolution", Class: ClassImagingXRay, Manufacturer: "Carestream Health", Model: "DRX-Revolution Mobile X-ray",
		Firmware: []string{"5.7.412", "5.6.3"},
		OUI:      []OUI{{"001D4A", "Carestream Health, Inc."}},
		Hostname: "DRXREV-{n3}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: []zoneShare{{"imaging", 30}, {"icu", 40}, {"ed", 30}}, Weight: 0.8, Portable: true, Criticality: critDiagnostic,
		Flows: modalityFlows(104, 20, 4),
	},
	{
		Name: "fujifilm-fdr-go-plus", Class: ClassImagingXRay, Manufacturer: "FUJIFILM", Model: "FDR Go PLUS",
		Firmware: []string{"V11.0", "V10.2"},
		OUI:      []OUI{{"88B436", "FUJIFILM Corporation"}},
		Hostname: "FDRGO-{n3}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: []zoneShare{{"imaging", 30}, {"icu", 30}, {"ed", 40}}, Weight: 0.6, Portable: true, Criticality: critDiagnostic,
		Flows: modalityFlows(104, 18, 4),
	},

	// ---- Surgical robot ----
	{
		Name: "intuitive-davinci-xi", Class: ClassSurgicalRobot, Manufacturer: "Intuitive Surgical", Model: "da Vinci Xi (IS4000)",
		Firmware: []string{"P9", "P8"},
		OUI:      []OUI{{"BC66416", "Intuitive Surgical, Inc"}, {"0050C2FA5", "Intuitive Surgical, Inc"}},
		Hostname: "DAVINCI-XI-{n2}", OS: osLinux, Zones: []zoneShare{{"or", 100}}, Weight: 0.4, Static: true, Criticality: critLifeSupporting,
		Flows: []Flow{
			tcp("host:pacs01", 104, "dicom").rate(0.4).rhythm(rhythmOffice).bytes(80e6, 4000).bps(30e6).dur(2, 0.5),
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
			udp("host:siem01", 514, "syslog").rate(8).bytes(300, 0).sigma(0.3, 0),
		},
	},

	// ---- Lab analyzers ----
	{
		Name: "sysmex-xn-1000", Class: ClassLabAnalyzer, Manufacturer: "Sysmex", Model: "XN-1000",
		Firmware: []string{"00-24", "00-22"},
		OUI:      []OUI{{"00066B", "Sysmex Corporation"}},
		Hostname: "SYSMEX-XN-{n2}", OS: osWindows, Zones: []zoneShare{{"lab", 100}}, Weight: 0.8, Static: true, Criticality: critDiagnostic,
		Flows: []Flow{
			tcp("host:lis01", 5001, "").rate(30).rhythm(rhythmExams).bytes(1500, 150).dur(0.2, 0.6), // sim: ASTM E1394 over TCP, site-configured port
		},
	},
	{
		Name: "siemens-atellica", Class: ClassLabAnalyzer, Manufacturer: "Siemens Healthineers", Model: "Atellica Solution",
		Firmware: []string{"1.27", "1.25"},
		OUI:      []OUI{{"20E791", "Siemens Healthcare Diagnostics, Inc"}, {"001865", "Siemens Healthcare Diagnostics Manufacturing Ltd"}},
		Hostname: "ATELLICA-{n2}", OS: osWindows, Zones: []zoneShare{{"lab", 100}}, Weight: 0.8, Static: true, Criticality: critDiagnostic,
		Flows: []Flow{
			tcp("host:lis01", 2575, "").rate(40).rhythm(rhythmExams).bytes(1800, 200).dur(0.1, 0.6), // IANA 2575 hl7
		},
	},
	{
		Name: "abbott-alinity-ci", Class: ClassLabAnalyzer, Manufacturer: "Abbott", Model: "Alinity ci-series",
		Firmware: []string{"3.5.1", "3.4.0"},
		OUI:      []OUI{{"0013DD", "Abbott Diagnostics"}},
		Hostname: "ALINITY-{n2}", OS: osWindows, Zones: []zoneShare{{"lab", 100}}, Weight: 0.7, Static: true, Criticality: critDiagnostic,
		Flows: []Flow{
			tcp("host:lis01", 2575, "").rate(35).rhythm(rhythmExams).bytes(1700, 200).dur(0.1, 0.6),
		},
	},
	{
		Name: "beckman-dxh-900", Class: ClassLabAnalyzer, Manufacturer: "Beckman Coulter", Model: "DxH 900",
		Firmware: []string{"1.3.1", "1.2.0"},
		OUI:      []OUI{{"D0D286", "Beckman Coulter K.K."}},
		Hostname: "DXH900-{n2}", OS: osWindows, Zones: []zoneShare{{"lab", 100}}, Weight: 0.5, Static: true, Criticality: critDiagnostic,
		Flows: []Flow{
			tcp("host:lis01", 5001, "").rate(25).rhythm(rhythmExams).bytes(1400, 150).dur(0.2, 0.6), // sim: ASTM over TCP
		},
	},

	// ---- Clinical workstations ----
	{
		Name: "dell-optiplex-win11", Class: ClassClinicalWorkstation, Manufacturer: "Dell", Model: "OptiPlex 7010",
		Firmware: []string{"Windows 11 23H2 (22631)", "Windows 11 22H2 (22621)"},
		OUI:      ouiDell, Hostname: "WS{UNIT}{n4}", VendorClass: "MSFT 5.0", OS: osWindows,
		Zones:  []zoneShare{{"ent", 70}, {"icu", 6}, {"ed", 6}, {"medsurg", 8}, {"lab", 4}, {"imaging", 3}, {"cardio", 3}},
		Weight: 10, Criticality: critClinicalSupport, IPv6: defaultWorkstationIPv6Rate, DNSCache: true,
		Flows: windowsClientFlows(), Software: windowsClientSoftware,
	},
	{
		Name: "hp-elitedesk-win10", Class: ClassClinicalWorkstation, Manufacturer: "HP", Model: "EliteDesk 800 G6",
		Firmware: []string{"Windows 10 22H2 (19045)"},
		OUI:      ouiHP, Hostname: "WS{UNIT}{n4}", VendorClass: "MSFT 5.0", OS: osWindows,
		Zones:  []zoneShare{{"ent", 80}, {"medsurg", 10}, {"ed", 10}},
		Weight: 5, Criticality: critClinicalSupport, IPv6: defaultWorkstationIPv6Rate, DNSCache: true,
		Flows: windowsClientFlows(), Software: windowsClientSoftware,
	},
	{
		Name: "lenovo-workstation-on-wheels", Class: ClassClinicalWorkstation, Manufacturer: "Lenovo", Model: "ThinkPad T14 Gen 4 (workstation on wheels)",
		Firmware: []string{"Windows 11 23H2 (22631)"},
		OUI:      ouiIntel, NICNote: "Intel Wi-Fi card of the laptop",
		Hostname: "WOW{UNIT}{n4}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: unitsWards,
		Weight: 4, Portable: true, Criticality: critClinicalSupport, DNSCache: true,
		Flows: windowsClientFlows(), Software: windowsClientSoftware,
	},
	{
		Name: "dell-biomed-workstation", Class: ClassClinicalWorkstation, Manufacturer: "Dell", Model: "Latitude 5440 (clinical engineering)",
		Firmware: []string{"Windows 11 23H2 (22631)"},
		OUI:      ouiDell, Hostname: "BIOMED{n3}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: []zoneShare{{"ent", 100}},
		Weight: 0.5, Criticality: critClinicalSupport, DNSCache: true,
		Flows: append(windowsClientFlows(),
			tcp("offer:medical", 0, "").rate(1.5).rhythm(rhythmOffice).bytes(600, 3000).dur(2, 1),
			tcp("name:asm01", 443, "ssl").rate(2).rhythm(rhythmOffice).bytes(5000, 150000).dur(30, 1).tls(tlsSchannel),
			tcp("name:hl7eng01", 8443, "ssl").rate(0.5).rhythm(rhythmOffice).bytes(20000, 400000).dur(60, 1).tls(tlsSchannel), // Mirth Administrator
			tcp("name:cscs01", 3389, "rdp").rate(1).rhythm(rhythmOffice).bytes(90000, 1.5e6).dur(600, 1),                      // IANA 3389 ms-wbt-server: servicing the central stations
			tcp("name:benevision01", 3389, "rdp").rate(1).rhythm(rhythmOffice).bytes(90000, 1.5e6).dur(600, 1),
			tcp("name:mdip01", 443, "ssl").rate(1).rhythm(rhythmOffice).bytes(8000, 250000).dur(60, 1).tls(tlsSchannel), // device integration platform's web console
		),
		Software: windowsClientSoftware,
	},
	{
		Name: "dell-precision-reading-station", Class: ClassClinicalWorkstation, Manufacturer: "Dell", Model: "Precision 5860 (radiology reading)",
		Firmware: []string{"Windows 10 22H2 (19045)"},
		OUI:      ouiDell, Hostname: "RAD{n4}", VendorClass: "MSFT 5.0", OS: osWindows, Zones: []zoneShare{{"imaging", 100}},
		Weight: 1, Criticality: critDiagnostic, DNSCache: true,
		Flows: append(windowsClientFlows(),
			tcp("name:pacs01", 80, "http").rate(0.3).rhythm(rhythmExams).bytes(450, 380).dur(0.01, 0.5),
			tcp("name:pacs01", 443, "ssl").rate(20).rhythm(rhythmExams).bytes(5000, 2e6).sigma(0.8, 1.2).dur(10, 1).tls(tlsSchannel),
			tcp("host:pacs01", 11112, "dicom").rate(6).rhythm(rhythmExams).bytes(3000, 150e6).sigma(0.5, 0.8).bps(60e6).dur(1, 0.5),
		),
		Software: windowsClientSoftware,
	},

	// ---- Printers ----
	{
		Name: "zebra-zd620", Class: ClassPrinter, Manufacturer: "Zebra Technologies", Model: "ZD620 label and wristband printer",
		Firmware: []string{"V84.20.21Z", "V84.20.18Z"},
		OUI:      ouiZebra, Hostname: "ZBR{UNIT}{n3}", OS: osEmbedded, Zones: []zoneShare{{"print", 100}},
		Weight: 2.5, Criticality: critNonClinical,
		Offers: []Service{{9100, "tcp", ""}, {80, "tcp", "http"}, {161, "udp", "snmp"}},
		Flows: []Flow{
			udp("host:core01", 123, "ntp").every(60*time.Minute).bytes(48, 48),
		},
	},
	{
		Name: "hp-laserjet-m607", Class: ClassPrinter, Manufacturer: "HP", Model: "LaserJet Enterprise M607",
		Firmware: []string{"2509081_000563 (FutureSmart 5.8)", "2407081_000407 (FutureSmart 5.7)"},
		OUI:      ouiHP, Hostname: "NPI{MAC6}", VendorClass: "Hewlett-Packard JetDirect", OS: osEmbedded, Zones: []zoneShare{{"print", 100}},
		Weight: 2.5, Criticality: critNonClinical,
		Offers:   []Service{{9100, "tcp", ""}, {631, "tcp", ""}, {80, "tcp", "http"}, {443, "tcp", "ssl"}, {161, "udp", "snmp"}},
		Software: []softwareSpec{{Type: "HTTP::SERVER", Name: "HP HTTP Server", Unparsed: "HP HTTP Server; HP LaserJet Enterprise M607 - K0Q14A", Port: 80}},
		Flows: []Flow{
			udp("host:core01", 123, "ntp").every(60*time.Minute).bytes(48, 48),
		},
	},

	// ---- Phones ----
	{
		Name: "cisco-cp-8845", Class: ClassIPPhone, Manufacturer: "Cisco", Model: "IP Phone 8845",
		Firmware: []string{"sip8845_65.14-3-1-0001-53", "sip8845_65.14-2-1-0001-14"},
		OUI:      ouiCisco, Hostname: "SEP{MAC}", VendorClass: "Cisco Systems, Inc. IP Phone CP-8845", OS: osEmbedded,
		Zones: []zoneShare{{"voice", 100}}, Weight: 7, Criticality: critNonClinical,
		Offers: []Service{{80, "tcp", "http"}},
		Flows: []Flow{
			tcp("host:cucm01", 5060, "").every(10*time.Minute).bytes(1500, 900).dur(0.2, 0.5),                                            // IANA 5060 sip (TCP: stock Zeek's SIP analyzer is UDP only)
			tcp("host:cucm01", 6970, "http").rate(0.2).bytes(400, 30000).dur(0.3, 0.6),                                                   // documented: CUCM TFTP over HTTP 6970
			udp("profile:cisco-cp-8845", 16384, "").ports(16384, 32766).rate(1.5).rhythm(rhythmOffice).dur(150, 0.9).bytes(1.3e6, 1.3e6), // documented: Cisco RTP range
		},
	},
	{
		Name: "vocera-b3000n", Class: ClassIPPhone, Manufacturer: "Vocera (Stryker)", Model: "B3000n Smartbadge",
		Firmware: []string{"5.1.0.126", "5.0.1.1071"},
		OUI:      []OUI{{"0009EF", "Vocera Communications"}},
		Hostname: "VOCERA-{n4}", OS: osEmbedded, Zones: unitsPhones, Weight: 2, Portable: true, Criticality: critClinicalSupport,
		Flows: []Flow{
			udp("host:vocera01", 5002, "").every(2*time.Minute).bytes(200, 200),                              // sim
			udp("host:vocera01", 5200, "").rate(3).rhythm(rhythmClinical).dur(40, 0.8).bytes(320000, 320000), // sim: voice
		},
	},
	{
		Name: "spectralink-versity", Class: ClassIPPhone, Manufacturer: "Spectralink", Model: "Versity 9640",
		Firmware: []string{"Android 11 / 1.9.4", "Android 11 / 1.8.2"},
		OUI:      []OUI{{"00907A", "Spectralink, Inc"}},
		Hostname: "VERSITY-{n4}", VendorClass: "android-dhcp-11", OS: osAndroid, Zones: unitsPhones, Weight: 1.5, Portable: true, Criticality: critClinicalSupport, DNSCache: true,
		Flows: []Flow{
			udp("host:cucm01", 5060, "sip").every(10*time.Minute).bytes(700, 500),
			tcp("dns", 80, "http").names("connectivitycheck.gstatic.com").rate(2).bytes(200, 150),
		},
	},

	// ---- Network gear ----
	{
		Name: "cisco-c9300", Class: ClassNetworkGear, Manufacturer: "Cisco", Model: "Catalyst 9300-48P",
		Firmware: []string{"IOS-XE 17.9.4a", "IOS-XE 17.12.3"},
		OUI:      ouiCisco, Hostname: "sw-acc-{n2}", OS: osCiscoIOS, Zones: []zoneShare{{"netmgmt", 100}},
		Weight: 2.5, Static: true, Criticality: critNonClinical,
		Offers:   []Service{{22, "tcp", "ssh"}, {161, "udp", "snmp"}},
		Software: []softwareSpec{{Type: "SSH::SERVER", Name: "Cisco", Version: "1.25", Unparsed: "Cisco-1.25", Port: 22}},
		Flows: []Flow{
			udp("host:siem01", 514, "syslog").rate(12).bytes(260, 0).sigma(0.3, 0),
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Name: "cisco-c9120-ap", Class: ClassNetworkGear, Manufacturer: "Cisco", Model: "Catalyst 9120AXI access point",
		Firmware: []string{"17.9.4.27", "17.12.3.37"},
		OUI:      ouiCisco, Hostname: "AP{macdot}", VendorClass: "Cisco AP c9120", OS: osCiscoIOS, Zones: []zoneShare{{"ap", 100}},
		Weight: 3, Criticality: critNonClinical,
		Flows: []Flow{
			udp("host:wlc01", 5246, "").every(30*time.Minute).dur(1795, 0.01).bytes(90000, 70000), // IANA 5246 capwap-control
			udp("host:wlc01", 5247, "").every(30*time.Minute).dur(1795, 0.01).bytes(4e6, 9e6),     // IANA 5247 capwap-data
		},
	},
}

// infraProfiles are the hospital's servers and core network: one of each.
var infraProfiles = []Profile{
	{
		Key: "core01", Addr: "10.1.1.1", Name: "cisco-c9500-core", Class: ClassNetworkGear, Manufacturer: "Cisco", Model: "Catalyst 9500-48Y4C",
		Firmware: []string{"IOS-XE 17.9.4a"}, OUI: ouiCisco, Hostname: "core01", OS: osCiscoIOS, Criticality: critNonClinical,
		Offers:   []Service{{123, "udp", "ntp"}, {22, "tcp", "ssh"}, {161, "udp", "snmp"}},
		Software: []softwareSpec{{Type: "SSH::SERVER", Name: "Cisco", Version: "1.25", Unparsed: "Cisco-1.25", Port: 22}},
		Flows: []Flow{
			udp("host:siem01", 514, "syslog").rate(60).bytes(280, 0).sigma(0.3, 0),
		},
	},
	{
		Key: "wlc01", Addr: "10.1.1.5", Name: "cisco-c9800-wlc", Class: ClassNetworkGear, Manufacturer: "Cisco", Model: "Catalyst 9800-40 Wireless Controller",
		Firmware: []string{"IOS-XE 17.9.4a"}, OUI: ouiCisco, Hostname: "wlc01", OS: osCiscoIOS, Criticality: critNonClinical,
		Offers: []Service{{5246, "udp", ""}, {5247, "udp", ""}, {443, "tcp", "ssl"}, {22, "tcp", "ssh"}, {161, "udp", "snmp"}},
		Flows: []Flow{
			udp("host:siem01", 514, "syslog").rate(30).bytes(300, 0).sigma(0.3, 0),
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "dc01", Addr: "10.1.0.10", Addr6: "fd00:1::10", Name: "windows-dc-dns-dhcp", Class: ClassITServer, Manufacturer: "Microsoft", Model: "Windows Server 2022 domain controller (AD, DNS, DHCP)",
		Firmware: []string{"Windows Server 2022 (20348)"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "dc01", OS: osWindows, Criticality: critClinicalSupport,
		Offers: []Service{{53, "udp", "dns"}, {67, "udp", "dhcp"}, {88, "udp", "krb"}, {88, "tcp", "krb_tcp"}, {389, "tcp", "ldap"}, {445, "tcp", "smb"}, {135, "tcp", "dce_rpc"}, {123, "udp", "ntp"}},
		Flows: []Flow{
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
			tcp("host:dc02", 389, "ldap").every(5*time.Minute).bytes(4000, 9000).dur(0.2, 0.5),
		},
	},
	{
		Key: "dc02", Addr: "10.1.0.11", Addr6: "fd00:1::11", Name: "windows-dc-dns", Class: ClassITServer, Manufacturer: "Microsoft", Model: "Windows Server 2022 domain controller (AD, DNS)",
		Firmware: []string{"Windows Server 2022 (20348)"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "dc02", OS: osWindows, Criticality: critClinicalSupport,
		Offers: []Service{{53, "udp", "dns"}, {88, "udp", "krb"}, {389, "tcp", "ldap"}, {445, "tcp", "smb"}, {135, "tcp", "dce_rpc"}},
		Flows: []Flow{
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
			tcp("host:dc01", 389, "ldap").every(5*time.Minute).bytes(4000, 9000).dur(0.2, 0.5),
		},
	},
	{
		Key: "ehr01", Addr: "10.1.0.30", Addr6: "fd00:1::30", Name: "ehr-app-server", Class: ClassEHRServer, Manufacturer: "Microsoft", Model: "Windows Server 2022 / IIS 10.0 (EHR application tier)",
		Firmware: []string{"Windows Server 2022 (20348)"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "ehr01", OS: osWindows, Criticality: critClinicalSupport,
		Offers:   []Service{{443, "tcp", "ssl"}, {80, "tcp", "http"}, {2575, "tcp", ""}},
		Cert:     &certSpec{Issuer: "hospital", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 730, AgeDays: 200},
		Software: []softwareSpec{{Type: "HTTP::SERVER", Name: "Microsoft-IIS", Version: "10.0", Unparsed: "Microsoft-IIS/10.0", Port: 80}},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
			tcp("host:hl7eng01", 2575, "").every(30*time.Second).bytes(1800, 200).dur(0.05, 0.6), // ADT^A01.. outbound feed
		},
	},
	{
		Key: "hl7eng01", Addr: "10.1.0.40", Name: "nextgen-connect", Class: ClassHL7InterfaceEngine, Manufacturer: "NextGen Healthcare", Model: "NextGen Connect (Mirth Connect) on Ubuntu 22.04",
		Firmware: []string{"4.4.2"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "hl7eng01", OS: osLinux, Criticality: critClinicalSupport,
		Offers:   []Service{{2575, "tcp", ""}, {8443, "tcp", "ssl"}, {22, "tcp", "ssh"}},
		Software: []softwareSpec{{Type: "SSH::SERVER", Name: "OpenSSH", Version: "8.9", Addl: "p1", Unparsed: "OpenSSH_8.9p1 Ubuntu-3ubuntu0.10", Port: 22}},
		Cert:     &certSpec{Issuer: "", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 3650, AgeDays: 900},
		Flows: []Flow{
			tcp("host:ehr01", 2575, "").every(20*time.Second).bytes(2600, 200).dur(0.05, 0.6),                   // results to the EHR
			tcp("host:lis01", 2575, "").every(time.Minute).bytes(1500, 200).dur(0.05, 0.6),                      // orders to the LIS
			tcp("name:siem01", 6514, "ssl").every(time.Hour).bytes(600000, 6000).dur(3590, 0.01).tls(tlsSyslog), // rsyslog forwarding over TLS (RFC 5425, IANA 6514 syslog-tls)
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "pacs01", Addr: "10.1.0.50", Name: "fujifilm-synapse-pacs", Class: ClassPACS, Manufacturer: "FUJIFILM Healthcare", Model: "Synapse 7 PACS",
		Firmware: []string{"7.3.000"}, OUI: ouiHPE, Hostname: "pacs01", OS: osWindows, Criticality: critDiagnostic,
		Offers:   []Service{{104, "tcp", "dicom"}, {11112, "tcp", "dicom"}, {443, "tcp", "ssl"}, {80, "tcp", "http"}}, // IANA 104 acr-nema, 11112 dicom
		Cert:     &certSpec{Issuer: "hospital", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 730, AgeDays: 400},
		Software: []softwareSpec{{Type: "HTTP::SERVER", Name: "Microsoft-IIS", Version: "10.0", Unparsed: "Microsoft-IIS/10.0", Port: 80}},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
			tcp("host:hl7eng01", 2575, "").every(2*time.Minute).bytes(1400, 200).dur(0.05, 0.6),
		},
	},
	{
		Key: "lis01", Addr: "10.1.0.60", Name: "lab-information-system", Class: ClassITServer, Manufacturer: "Microsoft", Model: "Windows Server 2019 (laboratory information system)",
		Firmware: []string{"Windows Server 2019 (17763)"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "lis01", OS: osWindows, Criticality: critDiagnostic,
		Offers: []Service{{2575, "tcp", ""}, {5001, "tcp", ""}},
		Flows: []Flow{
			tcp("host:hl7eng01", 2575, "").every(time.Minute).bytes(2200, 200).dur(0.05, 0.6),
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "print01", Addr: "10.1.0.70", Name: "windows-print-server", Class: ClassITServer, Manufacturer: "Microsoft", Model: "Windows Server 2022 print server",
		Firmware: []string{"Windows Server 2022 (20348)"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "print01", OS: osWindows, Criticality: critNonClinical,
		Offers: []Service{{445, "tcp", "smb"}, {135, "tcp", "dce_rpc"}},
		Flows: []Flow{
			tcp("class:printer", 9100, "").rate(4).each().rhythm(rhythmOffice).bytes(180000, 60).sigma(1.2, 0.2).dur(3, 0.8), // raw printing (JetDirect)
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "cucm01", Addr: "10.1.0.80", Name: "cisco-cucm", Class: ClassITServer, Manufacturer: "Cisco", Model: "Unified Communications Manager 14",
		Firmware: []string{"14.0.1.13900-155"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "cucm01", OS: osLinux, Criticality: critNonClinical,
		Offers:   []Service{{5060, "tcp", ""}, {5060, "udp", "sip"}, {5061, "tcp", "ssl"}, {6970, "tcp", "http"}, {69, "udp", ""}, {8443, "tcp", "ssl"}},
		Software: []softwareSpec{{Type: "HTTP::SERVER", Name: "Apache", Unparsed: "Apache", Port: 6970}},
		Flows: []Flow{
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "vocera01", Addr: "10.1.0.81", Name: "vocera-platform", Class: ClassITServer, Manufacturer: "Vocera (Stryker)", Model: "Vocera Platform server",
		Firmware: []string{"6.3.0"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "vocera01", OS: osLinux, Criticality: critClinicalSupport,
		Offers: []Service{{5002, "udp", ""}, {5200, "udp", ""}, {443, "tcp", "ssl"}}, // 443: administration console and Staff Assignment
		Cert:   &certSpec{Issuer: "hospital", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 730, AgeDays: 500},
		Flows: []Flow{
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "nms01", Addr: "10.1.0.90", Name: "network-monitoring", Class: ClassITServer, Manufacturer: "Canonical", Model: "Ubuntu 22.04 network monitoring (SNMP poller, config backups)",
		Firmware: []string{"Ubuntu 22.04"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "nms01", OS: osLinux, Criticality: critNonClinical, DNSCache: true,
		Software: []softwareSpec{{Type: "SSH::CLIENT", Name: "OpenSSH", Version: "8.9", Addl: "p1", Unparsed: "OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"}},
		Flows: []Flow{
			// Availability checks (ICMP echo) of the servers and of the
			// statically addressed clinical systems, configured by DNS name.
			ping("class:it_server").byName().each().every(5 * time.Minute),
			ping("class:ehr_server").byName().each().every(5 * time.Minute),
			ping("class:hl7_interface_engine").byName().each().every(5 * time.Minute),
			ping("class:pacs").byName().each().every(5 * time.Minute),
			ping("class:device_server").byName().each().every(5 * time.Minute),
			ping("class:imaging_ct").byName().each().every(5 * time.Minute),
			ping("class:imaging_mr").byName().each().every(5 * time.Minute),
			ping("class:surgical_robot").byName().each().every(5 * time.Minute),
			ping("class:lab_analyzer").byName().each().every(5 * time.Minute),
			tcp("name:siem01", 6514, "ssl").every(time.Hour).bytes(300000, 5000).dur(3590, 0.01).tls(tlsSyslog),
			udp("class:network_gear", 161, "snmp").every(5*time.Minute).each().bytes(400, 1800).dur(0.02, 0.5),
			udp("class:printer", 161, "snmp").every(15*time.Minute).each().bytes(300, 700).dur(0.02, 0.5).fail(0.02),
			tcp("class:network_gear", 22, "ssh").every(24*time.Hour).each().rhythm(rhythmNight).bytes(4000, 45000).dur(6, 0.4).sw(),
			tcp("host:hl7eng01", 22, "ssh").every(24*time.Hour).rhythm(rhythmNight).bytes(3500, 20000).dur(4, 0.4).sw(), // nightly channel export
			tcp("class:printer", 80, "http").every(60*time.Minute).each().bytes(350, 4500).dur(0.2, 0.5).sw(),
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "siem01", Addr: "10.1.0.95", Name: "syslog-collector", Class: ClassITServer, Manufacturer: "Canonical", Model: "Ubuntu 22.04 syslog collector",
		Firmware: []string{"Ubuntu 22.04"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "siem01", OS: osLinux, Criticality: critNonClinical,
		Offers: []Service{{514, "udp", "syslog"}, {6514, "tcp", "ssl"}}, // IANA 514/udp syslog, 6514/tcp syslog-tls (RFC 5425)
		Cert:   &certSpec{Issuer: "hospital", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 730, AgeDays: 250},
		Flows: []Flow{
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "asm01", Addr: "10.40.0.10", Name: "bd-alaris-systems-manager", Class: ClassDeviceServer, Manufacturer: "BD (CareFusion)", Model: "Alaris Systems Manager",
		Firmware: []string{"4.33"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "asm01", OS: osWindows, Criticality: critLifeSupporting, // advisory ICSMA-20-317-01
		Offers: []Service{{3613, "tcp", ""}, {443, "tcp", "ssl"}},
		Cert:   &certSpec{Issuer: "", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 3650, AgeDays: 1500},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
			tcp("host:hl7eng01", 2575, "").every(5*time.Minute).bytes(1600, 200).dur(0.05, 0.6), // infusion data to the EHR (IV interoperability)
		},
	},
	{
		Key: "mednet01", Addr: "10.40.0.11", Name: "icu-medical-mednet", Class: ClassDeviceServer, Manufacturer: "ICU Medical", Model: "ICU Medical MedNet",
		Firmware: []string{"6.3"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "mednet01", OS: osWindows, Criticality: critLifeSupporting,
		Offers: []Service{{443, "tcp", "ssl"}},
		Cert:   &certSpec{Issuer: "hospital", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 730, AgeDays: 300},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "doseiq01", Addr: "10.40.0.12", Name: "baxter-dose-iq-server", Class: ClassDeviceServer, Manufacturer: "Baxter", Model: "Dose IQ Safety Software server",
		Firmware: []string{"9.0"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "doseiq01", OS: osWindows, Criticality: critLifeSupporting,
		Offers: []Service{{443, "tcp", "ssl"}},
		Cert:   &certSpec{Issuer: "", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 3650, AgeDays: 1100},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "dosetrac01", Addr: "10.40.0.13", Name: "bbraun-onlinesuite", Class: ClassDeviceServer, Manufacturer: "B. Braun", Model: "OnlineSuite",
		Firmware: []string{"AP 3.0"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "dosetrac01", OS: osWindows, Criticality: critLifeSupporting, // advisory ICSMA-20-296-01
		Offers: []Service{{443, "tcp", "ssl"}},
		Cert:   &certSpec{Issuer: "", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 3650, AgeDays: 1400},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "pharmguard01", Addr: "10.40.0.14", Name: "smiths-pharmguard", Class: ClassDeviceServer, Manufacturer: "Smiths Medical (ICU Medical)", Model: "PharmGuard Server",
		Firmware: []string{"4.0"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "pharmguard01", OS: osWindows, Criticality: critLifeSupporting,
		Offers: []Service{{443, "tcp", "ssl"}},
		Cert:   &certSpec{Issuer: "", KeyType: "rsa", Bits: 1024, SigAlg: "sha1WithRSAEncryption", Days: 7300, AgeDays: 3000},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "picix01", Addr: "10.40.0.20", Name: "philips-pic-ix", Class: ClassDeviceServer, Manufacturer: "Philips", Model: "Patient Information Center iX (PIC iX)",
		Firmware: []string{"C.03"}, OUI: ouiHPE, Hostname: "picix01", OS: osWindows, Criticality: critLifeSupporting, // advisory ICSMA-21-322-02
		Flows: []Flow{
			udp("profile:philips-intellivue-mx750", 24105, "").every(15*time.Minute).each().dur(890, 0.01).bytes(60000, 2.2e6), // documented: Data Export association to the monitor
			tcp("host:hl7eng01", 2575, "").every(30*time.Second).bytes(3800, 200).dur(0.05, 0.6),
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "cscs01", Addr: "10.40.0.21", Name: "ge-carescape-central", Class: ClassDeviceServer, Manufacturer: "GE HealthCare", Model: "CARESCAPE Central Station",
		Firmware: []string{"2.1"}, OUI: ouiHPE, Hostname: "cscs01", OS: osWindows, Criticality: critLifeSupporting, // advisory ICSMA-20-023-01 (versions 2.x)
		Offers: []Service{{7000, "udp", ""}, {3389, "tcp", "rdp"}},
		Flows: []Flow{
			tcp("host:hl7eng01", 2575, "").every(time.Minute).bytes(3200, 200).dur(0.05, 0.6),
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "benevision01", Addr: "10.40.0.22", Name: "mindray-benevision-cms", Class: ClassDeviceServer, Manufacturer: "Mindray", Model: "BeneVision Central Monitoring System",
		Firmware: []string{"01.20.00"}, OUI: ouiDell, Hostname: "benevision01", OS: osWindows, Criticality: critLifeSupporting,
		Offers: []Service{{4600, "tcp", ""}, {3389, "tcp", "rdp"}},
		Flows: []Flow{
			udp("host:dc01", 123, "ntp").every(64*time.Minute).bytes(48, 48),
		},
	},
	{
		Key: "mdip01", Addr: "10.40.0.30", Name: "capsule-mdip", Class: ClassDeviceServer, Manufacturer: "Philips Capsule", Model: "Medical Device Information Platform",
		Firmware: []string{"10.6"}, OUI: ouiVMware, NICNote: "virtual machine", Hostname: "mdip01", OS: osLinux, Criticality: critLifeSupporting,
		Offers: []Service{{4001, "tcp", ""}, {4002, "tcp", ""}, {443, "tcp", "ssl"}},
		Cert:   &certSpec{Issuer: "", KeyType: "rsa", Bits: 2048, SigAlg: "sha256WithRSAEncryption", Days: 3650, AgeDays: 800},
		Flows: []Flow{
			tcp("host:hl7eng01", 2575, "").every(time.Minute).bytes(2800, 200).dur(0.05, 0.6),
			udp("host:core01", 123, "ntp").every(17*time.Minute).bytes(48, 48),
		},
	},
}
