package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
)

// cert is a certificate some server presents. Fingerprints and serials
// are synthetic (hashes of the certificate's identity), never real ones.
type cert struct {
	fp string
	x  event.X509 // everything but TS
}

// certStore holds the certificate chain (leaf first) of every TLS server.
type certStore struct {
	chains map[string][]*cert // by infrastructure key or internet name
	cas    map[string]*cert
}

func newCertStore(h *hospital) *certStore {
	s := &certStore{chains: map[string][]*cert{}, cas: map[string]*cert{}}
	start := h.opts.Start
	for key, spec := range caTable {
		s.cas[key] = makeCert(spec.Subject, spec.Subject, spec, start, true, nil, nil)
	}
	for _, d := range h.devices {
		p := d.prof
		if p.Key == "" || p.Cert == nil {
			continue
		}
		fqdn := p.Key + "." + domainSuffix
		spec := *p.Cert
		subject := "CN=" + fqdn
		issuer := subject
		if spec.Issuer == "" {
			subject = "CN=" + fqdn + ",O=" + escapeDN(p.Manufacturer)
			issuer = subject
		} else {
			issuer = caTable[spec.Issuer].Subject
		}
		leaf := makeCert(subject, issuer, spec, start, false, []string{fqdn}, []netip.Addr{d.v4})
		chain := []*cert{leaf}
		if spec.Issuer != "" {
			chain = append(chain, s.cas[spec.Issuer])
		}
		s.chains[p.Key] = chain
	}
	for i := range externalDomains {
		e := &externalDomains[i]
		if e.CA == "" {
			continue
		}
		ca := caTable[e.CA]
		spec := certSpec{KeyType: "rsa", Bits: 2048, SigAlg: ca.SigAlg, Days: 397}
		if e.CA == "letsencrypt" {
			spec.Days = 90
		}
		if e.ECC {
			spec.KeyType, spec.Bits = "ecdsa", 256
		}
		spec.AgeDays = 5 + int(hashString(e.Name)%uint64(spec.Days-20))
		leaf := makeCert("CN="+e.Name, ca.Subject, spec, start, false, []string{e.Name}, nil)
		s.chains[e.Name] = []*cert{leaf, s.cas[e.CA]}
	}
	return s
}

func makeCert(subject, issuer string, spec certSpec, start time.Time, isCA bool, sanDNS []string, sanIP []netip.Addr) *cert {
	id := sha256.Sum256([]byte("vigil-simulate-cert\x00" + subject + "\x00" + issuer + "\x00" + fmt.Sprint(spec.Bits, spec.Days, spec.AgeDays)))
	notBefore := start.Add(-time.Duration(spec.AgeDays)*24*time.Hour - time.Duration(id[0])*time.Minute).Truncate(time.Second)
	c := &cert{fp: hex.EncodeToString(id[:])}
	c.x = event.X509{
		ID:         c.fp,
		Version:    3,
		Serial:     strings.ToUpper(hex.EncodeToString(id[8:24])),
		Subject:    subject,
		Issuer:     issuer,
		NotBefore:  notBefore,
		NotAfter:   notBefore.Add(time.Duration(spec.Days) * 24 * time.Hour),
		SigAlg:     spec.SigAlg,
		KeyLength:  spec.Bits,
		SANDNS:     sanDNS,
		SANIP:      sanIP,
		BasicCA:    isCA,
		HasBasicCA: true,
		HostCert:   !isCA,
	}
	switch spec.KeyType {
	case "ecdsa":
		c.x.KeyAlg, c.x.KeyType, c.x.Curve = "id-ecPublicKey", "ecdsa", "prime256v1"
	default:
		c.x.KeyAlg, c.x.KeyType, c.x.Exponent = "rsaEncryption", "rsa", "65537"
	}
	return c
}

// escapeDN escapes the characters that RFC 4514 reserves in a value.
func escapeDN(s string) string {
	return strings.NewReplacer(",", `\,`, "+", `\+`, `"`, `\"`, ";", `\;`, "<", `\<`, ">", `\>`).Replace(s)
}
