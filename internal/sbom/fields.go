package sbom

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
)

// normalizePURL returns the canonical form of raw, or ("", raw) with a
// warning when it does not parse.
func normalizePURL(raw, ptr string, warns *[]Warning) (purl, invalid string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ""
	}
	p, err := packageurl.FromString(raw)
	if err != nil {
		*warns = append(*warns, Warning{Pointer: ptr, Message: fmt.Sprintf("invalid purl %q: %v", raw, err)})
		return "", raw
	}
	return p.ToString(), ""
}

// hashNames maps the spellings of CycloneDX and SPDX to one upper-case name.
var hashNames = map[string]string{
	"MD2": "MD2", "MD4": "MD4", "MD5": "MD5", "MD6": "MD6",
	"SHA1": "SHA-1", "SHA-1": "SHA-1",
	"SHA224": "SHA-224", "SHA-224": "SHA-224",
	"SHA256": "SHA-256", "SHA-256": "SHA-256",
	"SHA384": "SHA-384", "SHA-384": "SHA-384",
	"SHA512": "SHA-512", "SHA-512": "SHA-512",
	"SHA3-256": "SHA3-256", "SHA3-384": "SHA3-384", "SHA3-512": "SHA3-512",
	"BLAKE2B-256": "BLAKE2B-256", "BLAKE2B-384": "BLAKE2B-384", "BLAKE2B-512": "BLAKE2B-512",
	"BLAKE3": "BLAKE3", "ADLER32": "ADLER32",
	"STREEBOG-256": "STREEBOG-256", "STREEBOG-512": "STREEBOG-512",
}

// addHash stores one hash under its normalized algorithm name.
func addHash(c *Component, alg, value, ptr string, warns *[]Warning) {
	name, ok := hashNames[strings.ToUpper(strings.TrimSpace(alg))]
	if !ok {
		name = strings.ToUpper(strings.TrimSpace(alg))
		*warns = append(*warns, Warning{Pointer: ptr, Message: fmt.Sprintf("unknown hash algorithm %q", alg)})
	}
	value = strings.ToLower(strings.TrimSpace(value))
	if _, err := hex.DecodeString(value); err != nil || value == "" {
		*warns = append(*warns, Warning{Pointer: ptr, Message: fmt.Sprintf("%s hash %q is not hex", name, value)})
		return
	}
	if c.Hashes == nil {
		c.Hashes = map[string]string{}
	}
	if old, ok := c.Hashes[name]; ok && old != value {
		*warns = append(*warns, Warning{Pointer: ptr, Message: fmt.Sprintf("second %s hash ignored", name)})
		return
	}
	c.Hashes[name] = value
}

// lifecycleKey maps a property or annotation name, reduced to lower-case
// letters and digits, to the lifecycle field it fills.
func lifecycleKey(name string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 { // "fda:end-of-support", "acme:support-level"
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "levelofsupport", "supportlevel", "supportstatus":
		return "support"
	case "endofsupport", "endofsupportdate", "eos", "eosdate", "supportend", "supportenddate",
		"endoflife", "endoflifedate", "eol", "eoldate", "endofsupportlife":
		return "eos"
	}
	return ""
}

// dateLayouts are the end-of-support date forms recognised.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02", "2006-01", "2006/01/02", "01/02/2006", "2006"}

// parseDate reads a date in one of dateLayouts, as UTC.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// setLifecycle fills the lifecycle fields from one name/value pair; other
// names are ignored. It reports whether the name was a lifecycle one.
func setLifecycle(c *Component, name, value, ptr string, warns *[]Warning) bool {
	value = strings.TrimSpace(value)
	switch lifecycleKey(name) {
	case "support":
		if c.SupportLevel != "" && c.SupportLevel != value {
			*warns = append(*warns, Warning{Pointer: ptr, Message: fmt.Sprintf("second support level %q ignored", value)})
			return true
		}
		c.SupportLevel = value
		return true
	case "eos":
		if c.EndOfSupportText != "" && c.EndOfSupportText != value {
			*warns = append(*warns, Warning{Pointer: ptr, Message: fmt.Sprintf("second end of support %q ignored", value)})
			return true
		}
		c.EndOfSupportText = value
		c.EndOfSupport, _ = parseDate(value)
		return true
	}
	return false
}

// setLifecycleText reads "Name: value" (or "Name=value") lines of free text —
// SPDX package comments and annotations — into the lifecycle fields.
func setLifecycleText(c *Component, text, ptr string, warns *[]Warning) {
	for _, line := range strings.Split(text, "\n") {
		i := strings.IndexAny(line, ":=")
		if i <= 0 {
			continue
		}
		name, value := line[:i], line[i+1:]
		if lifecycleKey(name) == "" {
			continue
		}
		setLifecycle(c, strings.TrimSpace(name), value, ptr, warns)
	}
}
