package zeek

import (
	"net"
	"net/netip"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// op is how a column's value is stored into the event.
type op uint8

const (
	opNone        op = iota
	opTS             // the record's ts: time into *t, and the record has a ts
	opTime           // time into *t
	opStr            // string into *s (record arena)
	opIStr           // string from a small set into *s (interned)
	opAddr           // address into *a
	opPort           // port into *p
	opCount          // count into *i64
	opCountInt       // count into *i
	opInt            // int into *i
	opInterval       // interval into *d
	opBool           // bool into *b
	opBoolSet        // bool into *b, and *b2 = the value is set
	opMAC            // MAC address into *hw
	opStrs           // set or vector of strings into *ss
	opIStrs          // set or vector of interned strings into *ss
	opIntervals      // vector of intervals into *ds
	opAddrs          // vector of addresses into *as
	opVersion        // software version component n (0 major ... 3 minor3)
	opVersionAddl    // software version.addl
)

// target is where one column goes: an op and a pointer into the Reader's
// reused event of that kind (only the pointer the op uses is set).
type target struct {
	op op
	n  int
	s  *string
	t  *time.Time
	a  *netip.Addr
	p  *uint16
	i  *int
	d  *time.Duration
	b  *bool
	b2 *bool

	i64 *int64
	hw  *net.HardwareAddr
	ss  *[]string
	ds  *[]time.Duration
	as  *[]netip.Addr
}

// schema describes one modeled Zeek log type: for each column name, the
// target in a Reader's event of that kind.
type schema struct {
	kind event.Kind
	cols map[string]func(r *Reader) target
}

func tTS(p *time.Time) target              { return target{op: opTS, t: p} }
func tTime(p *time.Time) target            { return target{op: opTime, t: p} }
func tStr(p *string) target                { return target{op: opStr, s: p} }
func tIStr(p *string) target               { return target{op: opIStr, s: p} }
func tAddr(p *netip.Addr) target           { return target{op: opAddr, a: p} }
func tPort(p *uint16) target               { return target{op: opPort, p: p} }
func tCount(p *int64) target               { return target{op: opCount, i64: p} }
func tCountInt(p *int) target              { return target{op: opCountInt, i: p} }
func tInt(p *int) target                   { return target{op: opInt, i: p} }
func tInterval(p *time.Duration) target    { return target{op: opInterval, d: p} }
func tBool(p *bool) target                 { return target{op: opBool, b: p} }
func tMAC(p *net.HardwareAddr) target      { return target{op: opMAC, hw: p} }
func tStrs(p *[]string) target             { return target{op: opStrs, ss: p} }
func tIStrs(p *[]string) target            { return target{op: opIStrs, ss: p} }
func tIntervals(p *[]time.Duration) target { return target{op: opIntervals, ds: p} }
func tAddrs(p *[]netip.Addr) target        { return target{op: opAddrs, as: p} }
func tVersion(n int) func(r *Reader) target {
	return func(*Reader) target { return target{op: opVersion, n: n} }
}
func tVersionAddl(*Reader) target  { return target{op: opVersionAddl} }
func tBoolSet(p, set *bool) target { return target{op: opBoolSet, b: p, b2: set} }
func connT(f func(e *event.Conn) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.conn) }
}
func dhcpT(f func(e *event.DHCP) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.dhcp) }
}
func dnsT(f func(e *event.DNS) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.dns) }
}
func sslT(f func(e *event.SSL) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.ssl) }
}
func x509T(f func(e *event.X509) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.x509) }
}
func softwareT(f func(e *event.Software) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.software) }
}
func knownHostT(f func(e *event.KnownHost) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.knownHost) }
}
func knownServiceT(f func(e *event.KnownService) target) func(*Reader) target {
	return func(r *Reader) target { return f(&r.knownService) }
}

// schemas maps the Zeek log types Vigil models (Zeek 4-6 column names, and
// older names where noted) to targets.
var schemas = map[string]*schema{
	"conn": {kind: event.KindConn, cols: map[string]func(*Reader) target{
		"ts":           connT(func(e *event.Conn) target { return tTS(&e.TS) }),
		"uid":          connT(func(e *event.Conn) target { return tStr(&e.UID) }),
		"id.orig_h":    connT(func(e *event.Conn) target { return tAddr(&e.OrigH) }),
		"id.orig_p":    connT(func(e *event.Conn) target { return tPort(&e.OrigP) }),
		"id.resp_h":    connT(func(e *event.Conn) target { return tAddr(&e.RespH) }),
		"id.resp_p":    connT(func(e *event.Conn) target { return tPort(&e.RespP) }),
		"proto":        connT(func(e *event.Conn) target { return tIStr(&e.Proto) }),
		"service":      connT(func(e *event.Conn) target { return tIStr(&e.Service) }),
		"duration":     connT(func(e *event.Conn) target { return tInterval(&e.Duration) }),
		"orig_bytes":   connT(func(e *event.Conn) target { return tCount(&e.OrigBytes) }),
		"resp_bytes":   connT(func(e *event.Conn) target { return tCount(&e.RespBytes) }),
		"conn_state":   connT(func(e *event.Conn) target { return tIStr(&e.ConnState) }),
		"orig_pkts":    connT(func(e *event.Conn) target { return tCount(&e.OrigPkts) }),
		"resp_pkts":    connT(func(e *event.Conn) target { return tCount(&e.RespPkts) }),
		"orig_l2_addr": connT(func(e *event.Conn) target { return tMAC(&e.OrigL2) }),
		"resp_l2_addr": connT(func(e *event.Conn) target { return tMAC(&e.RespL2) }),
		"vlan":         connT(func(e *event.Conn) target { return tInt(&e.VLAN) }),
	}},
	"dhcp": {kind: event.KindDHCP, cols: map[string]func(*Reader) target{
		"ts": dhcpT(func(e *event.DHCP) target { return tTS(&e.TS) }),
		// Zeek >= 2.6
		"client_addr":     dhcpT(func(e *event.DHCP) target { return tAddr(&e.ClientAddr) }),
		"server_addr":     dhcpT(func(e *event.DHCP) target { return tAddr(&e.ServerAddr) }),
		"mac":             dhcpT(func(e *event.DHCP) target { return tMAC(&e.MAC) }),
		"host_name":       dhcpT(func(e *event.DHCP) target { return tStr(&e.HostName) }),
		"client_fqdn":     dhcpT(func(e *event.DHCP) target { return tStr(&e.ClientFQDN) }),
		"domain":          dhcpT(func(e *event.DHCP) target { return tIStr(&e.Domain) }),
		"requested_addr":  dhcpT(func(e *event.DHCP) target { return tAddr(&e.RequestedAddr) }),
		"assigned_addr":   dhcpT(func(e *event.DHCP) target { return tAddr(&e.AssignedAddr) }),
		"lease_time":      dhcpT(func(e *event.DHCP) target { return tInterval(&e.LeaseTime) }),
		"msg_types":       dhcpT(func(e *event.DHCP) target { return tIStrs(&e.MsgTypes) }),
		"client_software": dhcpT(func(e *event.DHCP) target { return tIStr(&e.ClientSoftware) }),
		"server_software": dhcpT(func(e *event.DHCP) target { return tIStr(&e.ServerSoftware) }),
		// Bro <= 2.5: the client is the originator, the server the responder.
		"id.orig_h":   dhcpT(func(e *event.DHCP) target { return tAddr(&e.ClientAddr) }),
		"id.resp_h":   dhcpT(func(e *event.DHCP) target { return tAddr(&e.ServerAddr) }),
		"assigned_ip": dhcpT(func(e *event.DHCP) target { return tAddr(&e.AssignedAddr) }),
	}},
	"dns": {kind: event.KindDNS, cols: map[string]func(*Reader) target{
		"ts":         dnsT(func(e *event.DNS) target { return tTS(&e.TS) }),
		"uid":        dnsT(func(e *event.DNS) target { return tStr(&e.UID) }),
		"id.orig_h":  dnsT(func(e *event.DNS) target { return tAddr(&e.OrigH) }),
		"id.resp_h":  dnsT(func(e *event.DNS) target { return tAddr(&e.RespH) }),
		"id.resp_p":  dnsT(func(e *event.DNS) target { return tPort(&e.RespP) }),
		"proto":      dnsT(func(e *event.DNS) target { return tIStr(&e.Proto) }),
		"query":      dnsT(func(e *event.DNS) target { return tStr(&e.Query) }),
		"qtype_name": dnsT(func(e *event.DNS) target { return tIStr(&e.QType) }),
		"rcode_name": dnsT(func(e *event.DNS) target { return tIStr(&e.RCode) }),
		"answers":    dnsT(func(e *event.DNS) target { return tStrs(&e.Answers) }),
		"TTLs":       dnsT(func(e *event.DNS) target { return tIntervals(&e.TTLs) }),
	}},
	"ssl": {kind: event.KindSSL, cols: map[string]func(*Reader) target{
		"ts":          sslT(func(e *event.SSL) target { return tTS(&e.TS) }),
		"uid":         sslT(func(e *event.SSL) target { return tStr(&e.UID) }),
		"id.orig_h":   sslT(func(e *event.SSL) target { return tAddr(&e.OrigH) }),
		"id.orig_p":   sslT(func(e *event.SSL) target { return tPort(&e.OrigP) }),
		"id.resp_h":   sslT(func(e *event.SSL) target { return tAddr(&e.RespH) }),
		"id.resp_p":   sslT(func(e *event.SSL) target { return tPort(&e.RespP) }),
		"version":     sslT(func(e *event.SSL) target { return tIStr(&e.Version) }),
		"cipher":      sslT(func(e *event.SSL) target { return tIStr(&e.Cipher) }),
		"curve":       sslT(func(e *event.SSL) target { return tIStr(&e.Curve) }),
		"server_name": sslT(func(e *event.SSL) target { return tStr(&e.ServerName) }),
		"established": sslT(func(e *event.SSL) target { return tBool(&e.Established) }),
		// cert_chain_fps since Zeek 4; file ids (cert_chain_fuids) before.
		"cert_chain_fps":   sslT(func(e *event.SSL) target { return tStrs(&e.CertChain) }),
		"cert_chain_fuids": sslT(func(e *event.SSL) target { return tStrs(&e.CertChain) }),
		"subject":          sslT(func(e *event.SSL) target { return tStr(&e.Subject) }),
		"issuer":           sslT(func(e *event.SSL) target { return tStr(&e.Issuer) }),
		"ja3":              sslT(func(e *event.SSL) target { return tStr(&e.JA3) }),
		"ja3s":             sslT(func(e *event.SSL) target { return tStr(&e.JA3S) }),
	}},
	"x509": {kind: event.KindX509, cols: map[string]func(*Reader) target{
		"ts": x509T(func(e *event.X509) target { return tTS(&e.TS) }),
		// fingerprint since Zeek 4; the file id before.
		"fingerprint":                  x509T(func(e *event.X509) target { return tStr(&e.ID) }),
		"id":                           x509T(func(e *event.X509) target { return tStr(&e.ID) }),
		"certificate.version":          x509T(func(e *event.X509) target { return tCountInt(&e.Version) }),
		"certificate.serial":           x509T(func(e *event.X509) target { return tStr(&e.Serial) }),
		"certificate.subject":          x509T(func(e *event.X509) target { return tStr(&e.Subject) }),
		"certificate.issuer":           x509T(func(e *event.X509) target { return tStr(&e.Issuer) }),
		"certificate.not_valid_before": x509T(func(e *event.X509) target { return tTime(&e.NotBefore) }),
		"certificate.not_valid_after":  x509T(func(e *event.X509) target { return tTime(&e.NotAfter) }),
		"certificate.key_alg":          x509T(func(e *event.X509) target { return tIStr(&e.KeyAlg) }),
		"certificate.sig_alg":          x509T(func(e *event.X509) target { return tIStr(&e.SigAlg) }),
		"certificate.key_type":         x509T(func(e *event.X509) target { return tIStr(&e.KeyType) }),
		"certificate.key_length":       x509T(func(e *event.X509) target { return tCountInt(&e.KeyLength) }),
		"certificate.exponent":         x509T(func(e *event.X509) target { return tIStr(&e.Exponent) }),
		"certificate.curve":            x509T(func(e *event.X509) target { return tIStr(&e.Curve) }),
		"san.dns":                      x509T(func(e *event.X509) target { return tStrs(&e.SANDNS) }),
		"san.ip":                       x509T(func(e *event.X509) target { return tAddrs(&e.SANIP) }),
		"basic_constraints.ca":         x509T(func(e *event.X509) target { return tBoolSet(&e.BasicCA, &e.HasBasicCA) }),
		"host_cert":                    x509T(func(e *event.X509) target { return tBool(&e.HostCert) }),
		"client_cert":                  x509T(func(e *event.X509) target { return tBool(&e.ClientCert) }),
	}},
	"software": {kind: event.KindSoftware, cols: map[string]func(*Reader) target{
		"ts":               softwareT(func(e *event.Software) target { return tTS(&e.TS) }),
		"host":             softwareT(func(e *event.Software) target { return tAddr(&e.Host) }),
		"host_p":           softwareT(func(e *event.Software) target { return tPort(&e.HostP) }),
		"software_type":    softwareT(func(e *event.Software) target { return tIStr(&e.SoftwareType) }),
		"name":             softwareT(func(e *event.Software) target { return tIStr(&e.Name) }),
		"version.major":    tVersion(0),
		"version.minor":    tVersion(1),
		"version.minor2":   tVersion(2),
		"version.minor3":   tVersion(3),
		"version.addl":     tVersionAddl,
		"unparsed_version": softwareT(func(e *event.Software) target { return tStr(&e.UnparsedVersion) }),
	}},
	"known_hosts": {kind: event.KindKnownHost, cols: map[string]func(*Reader) target{
		"ts":   knownHostT(func(e *event.KnownHost) target { return tTS(&e.TS) }),
		"host": knownHostT(func(e *event.KnownHost) target { return tAddr(&e.Host) }),
	}},
	"known_services": {kind: event.KindKnownService, cols: map[string]func(*Reader) target{
		"ts":         knownServiceT(func(e *event.KnownService) target { return tTS(&e.TS) }),
		"host":       knownServiceT(func(e *event.KnownService) target { return tAddr(&e.Host) }),
		"port_num":   knownServiceT(func(e *event.KnownService) target { return tPort(&e.Port) }),
		"port_proto": knownServiceT(func(e *event.KnownService) target { return tIStr(&e.Proto) }),
		"service":    knownServiceT(func(e *event.KnownService) target { return tIStrs(&e.Services) }),
	}},
}

// startEvent zeroes the reused event of kind k and returns it.
func (r *Reader) startEvent(k event.Kind) event.Event {
	r.kind = k
	r.hasTS = false
	r.ver.set = [4]bool{}
	r.ver.has = false
	switch k {
	case event.KindConn:
		r.conn = event.Conn{}
		return &r.conn
	case event.KindDHCP:
		r.dhcp = event.DHCP{}
		return &r.dhcp
	case event.KindDNS:
		r.dns = event.DNS{}
		return &r.dns
	case event.KindSSL:
		r.ssl = event.SSL{}
		return &r.ssl
	case event.KindX509:
		r.x509 = event.X509{}
		return &r.x509
	case event.KindSoftware:
		r.software = event.Software{}
		return &r.software
	case event.KindKnownHost:
		r.knownHost = event.KnownHost{}
		return &r.knownHost
	case event.KindKnownService:
		r.knownService = event.KnownService{}
		return &r.knownService
	}
	return nil
}

// finishEvent completes fields that are built from several columns.
func (r *Reader) finishEvent() {
	if r.kind == event.KindSoftware {
		r.software.Version = r.joinVersion()
	}
}

// set stores v at t; it handles both formats and every op.
func (r *Reader) set(t *target, v *value) (err error) {
	switch t.op {
	case opTS:
		var tv timeValue
		tv, err = r.time(v)
		*t.t = tv.t
		r.hasTS = tv.set
	case opTime:
		var tv timeValue
		tv, err = r.time(v)
		*t.t = tv.t
	case opStr:
		err = r.str(v, t.s)
	case opIStr:
		err = r.istr(v, t.s)
	case opAddr:
		*t.a, err = r.addr(v)
	case opPort:
		*t.p, err = r.port(v)
	case opCount:
		*t.i64, err = r.count63(v)
	case opCountInt:
		var n int64
		n, err = r.count63(v)
		if err == nil && n > 1<<31-1 {
			err = r.bad("count", v)
		}
		*t.i = int(n)
	case opInt:
		var n int64
		n, err = r.intVal(v)
		if err == nil && (n > 1<<31-1 || n < -1<<31) {
			err = r.bad("int", v)
		}
		*t.i = int(n)
	case opInterval:
		*t.d, err = r.interval(v)
	case opBool:
		*t.b, _, err = r.boolVal(v)
	case opBoolSet:
		*t.b, *t.b2, err = r.boolVal(v)
	case opMAC:
		*t.hw, err = r.mac(v)
	case opStrs:
		*t.ss, err = r.strs(v, false)
	case opIStrs:
		*t.ss, err = r.strs(v, true)
	case opIntervals:
		*t.ds, err = r.intervals(v)
	case opAddrs:
		*t.as, err = r.addrs(v)
	case opVersion:
		if r.isNull(v) {
			r.ver.set[t.n] = false
			return nil
		}
		r.ver.num[t.n], err = r.count(v)
		r.ver.set[t.n] = err == nil
	case opVersionAddl:
		if r.isNull(v) {
			r.ver.has = false
			return nil
		}
		var b []byte
		b, err = r.bytesVal(v)
		r.ver.addl = append(r.ver.addl[:0], b...)
		r.ver.has = err == nil
	}
	return err
}

// version collects the software version columns until the record is done.
type version struct {
	num  [4]uint64
	set  [4]bool
	addl []byte
	has  bool // addl set
}

// joinVersion renders the version columns as documented on Record: the set
// numeric components joined with '.', then "-addl"; addl alone when no
// component is set.
func (r *Reader) joinVersion() string {
	b := r.scratch[:0]
	for i := 0; i < 4; i++ {
		if !r.ver.set[i] {
			break
		}
		if i > 0 {
			b = append(b, '.')
		}
		b = appendUint(b, r.ver.num[i])
	}
	if r.ver.has {
		if len(b) > 0 {
			b = append(b, '-')
		}
		b = append(b, r.ver.addl...)
	}
	r.scratch = b
	if len(b) == 0 {
		return ""
	}
	return r.internBytes(b)
}

func appendUint(b []byte, n uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
