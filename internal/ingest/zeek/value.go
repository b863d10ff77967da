package zeek

import (
	"bytes"
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// This file holds the byte-level parsers shared by the TSV and JSON paths.
// They work on []byte without converting to string so that the steady state
// allocates nothing.

// parseUint parses a decimal unsigned integer (no sign, no spaces).
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, false
		}
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseInt parses a decimal signed integer with an optional leading '-' or '+'.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok {
		return 0, false
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// pow10 scales a fraction digit at position i (0-based) to nanoseconds.
var pow10 = [9]int64{1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1}

// allDigits8 reports whether the eight bytes of x are all ASCII digits.
func allDigits8(x uint64) bool {
	return (x&0xF0F0F0F0F0F0F0F0)|(((x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// value8 returns the value of eight ASCII digits, the first in x's low
// byte (a little-endian load).
func value8(x uint64) uint64 {
	x -= 0x3030303030303030
	x = x*10 + x>>8
	return ((x&0x000000FF000000FF)*(100+1000000<<32) + (x>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
}

// parseDecimal parses [-+]digits[.digits] exactly into whole units and
// nanoseconds (fraction digits past the ninth are truncated). Exponents,
// NaN and infinities are not accepted: see parseFloatFallback.
func parseDecimal(b []byte) (neg bool, whole uint64, nanos int64, ok bool) {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	i := 0
	if len(b) >= 8 {
		if x := binary.LittleEndian.Uint64(b); allDigits8(x) {
			whole, i = value8(x), 8
		}
	}
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		whole = whole*10 + uint64(d)
	}
	if i > 18 { // > 10^18 seconds is not a time or an interval
		return false, 0, 0, false
	}
	digits := i
	if i < len(b) {
		if b[i] != '.' {
			return false, 0, 0, false
		}
		frac := b[i+1:]
		k := 0
		if len(frac) >= 8 {
			if x := binary.LittleEndian.Uint64(frac); allDigits8(x) {
				nanos, k = int64(value8(x))*10, 8
			}
		} else if len(frac) > 0 {
			// Pad with trailing zeros to eight digits ("015387" is 15387000 ns).
			tmp := [8]byte{'0', '0', '0', '0', '0', '0', '0', '0'}
			copy(tmp[:], frac)
			if x := binary.LittleEndian.Uint64(tmp[:]); allDigits8(x) {
				nanos, k = int64(value8(x))*10, len(frac)
			}
		}
		for ; k < len(frac); k++ {
			d := frac[k] - '0'
			if d > 9 {
				return false, 0, 0, false
			}
			if k < len(pow10) {
				nanos += int64(d) * pow10[k]
			}
		}
		digits += len(frac)
	}
	if digits == 0 {
		return false, 0, 0, false
	}
	return neg, whole, nanos, true
}

// parseFloatFallback handles the numbers parseDecimal refuses but that are
// still finite decimal floats (exponent notation such as 1.5e9).
func parseFloatFallback(b []byte) (float64, bool) {
	if !bytes.ContainsAny(b, "eE") {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return 0, false
	}
	return f, true
}

// parseEpoch parses seconds since the Unix epoch ("1521911720.865716").
func parseEpoch(b []byte) (time.Time, bool) {
	neg, sec, ns, ok := parseDecimal(b)
	if !ok {
		f, ok := parseFloatFallback(b)
		if !ok {
			return time.Time{}, false
		}
		s := math.Floor(f)
		return time.Unix(int64(s), int64(math.Round((f-s)*1e9))).UTC(), true
	}
	if neg {
		return time.Unix(-int64(sec), -ns).UTC(), true
	}
	return time.Unix(int64(sec), ns).UTC(), true
}

// parseInterval parses an interval in seconds ("0.136721").
func parseInterval(b []byte) (time.Duration, bool) {
	neg, sec, ns, ok := parseDecimal(b)
	if !ok {
		f, ok := parseFloatFallback(b)
		if !ok || math.Abs(f) > float64(math.MaxInt64/int64(time.Second)) {
			return 0, false
		}
		return time.Duration(math.Round(f * 1e9)), true
	}
	if sec > uint64(math.MaxInt64/int64(time.Second))-1 {
		return 0, false
	}
	d := time.Duration(sec)*time.Second + time.Duration(ns)
	if neg {
		d = -d
	}
	return d, true
}

// parseTime parses a Zeek time: epoch seconds, or ISO 8601 as written by
// Zeek's JSON writer with LogAscii::json_timestamps=JSON::TS_ISO8601 and by
// the json-streaming-logs package ("2018-03-24T17:15:20.600843Z").
func parseTime(b []byte) (time.Time, bool) {
	if len(b) >= 11 && b[4] == '-' {
		return parseISO(b)
	}
	return parseEpoch(b)
}

func digits2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	if d0 > 9 || d1 > 9 {
		return 0, false
	}
	return int(d0)*10 + int(d1), true
}

// parseISO parses YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm) without allocating;
// anything else goes through time.Parse.
func parseISO(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return parseISOSlow(b)
	}
	y1, ok1 := digits2(b[0:])
	y2, ok2 := digits2(b[2:])
	mo, ok3 := digits2(b[5:])
	d, ok4 := digits2(b[8:])
	h, ok5 := digits2(b[11:])
	mi, ok6 := digits2(b[14:])
	s, ok7 := digits2(b[17:])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return parseISOSlow(b)
	}
	rest := b[19:]
	ns := 0
	if len(rest) > 0 && rest[0] == '.' {
		rest = rest[1:]
		scale := 100000000
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			ns += int(rest[n]-'0') * scale
			scale /= 10
			n++
		}
		if n == 0 {
			return time.Time{}, false
		}
		rest = rest[n:]
	}
	if len(rest) != 1 || (rest[0] != 'Z' && rest[0] != 'z') {
		return parseISOSlow(b)
	}
	t := time.Date(y1*100+y2, time.Month(mo), d, h, mi, s, ns, time.UTC)
	if t.Day() != d { // 2018-02-31 normalised into March
		return time.Time{}, false
	}
	return t, true
}

func parseISOSlow(b []byte) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func isHex(c byte) bool {
	return c-'0' <= 9 || (c|0x20)-'a' <= 5
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// appendUnescapeTSV appends b with Zeek's ASCII-writer escapes decoded:
// \xNN is the byte 0xNN and \\ is a backslash. Any other backslash is kept.
func appendUnescapeTSV(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		switch {
		case len(b) >= 4 && b[1] == 'x' && isHex(b[2]) && isHex(b[3]):
			dst = append(dst, unhex(b[2])<<4|unhex(b[3]))
			b = b[4:]
		case len(b) >= 2 && b[1] == '\\':
			dst = append(dst, '\\')
			b = b[2:]
		default:
			dst = append(dst, '\\')
			b = b[1:]
		}
	}
}

// appendUnescapeJSON decodes the \xNN escapes Zeek's JSON writer uses for
// bytes that are not valid UTF-8 or are control characters (they reach us as
// a literal backslash after JSON unescaping). Other backslashes are data.
func appendUnescapeJSON(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		if len(b) >= 4 && b[1] == 'x' && isHex(b[2]) && isHex(b[3]) {
			dst = append(dst, unhex(b[2])<<4|unhex(b[3]))
			b = b[4:]
			continue
		}
		dst = append(dst, '\\')
		b = b[1:]
	}
}

// parseMAC parses a MAC address: the Zeek form (six colon-separated hex
// octets) here, other forms (EUI-64, dashes, dots) through net.ParseMAC.
func parseMAC(b []byte) (net.HardwareAddr, bool) {
	if hw, ok := parseMACFast(b); ok {
		return hw, true
	}
	hw, err := net.ParseMAC(string(b))
	if err != nil {
		return nil, false
	}
	return hw, true
}

// parseMACFast parses only the 17-byte form "00:0c:29:f5:b2:55".
func parseMACFast(b []byte) (net.HardwareAddr, bool) {
	if len(b) != 17 {
		return nil, false
	}
	var m [6]byte
	for i := 0; i < 6; i++ {
		p := b[i*3:]
		if !isHex(p[0]) || !isHex(p[1]) || (i < 5 && p[2] != ':' && p[2] != '-') {
			return nil, false
		}
		m[i] = unhex(p[0])<<4 | unhex(p[1])
	}
	hw := make(net.HardwareAddr, 6)
	copy(hw, m[:])
	return hw, true
}

// parseAddr parses an IPv4 or IPv6 address without allocating. IPv4-mapped
// IPv6 addresses are unmapped. Zones are refused: Zeek's addr has none.
func parseAddr(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	if parseIPv4(b, ip[:]) {
		return netip.AddrFrom4(ip), true
	}
	if bytes.IndexByte(b, ':') < 0 {
		return netip.Addr{}, false
	}
	a, ok := parseIPv6(b)
	return a.Unmap(), ok
}

// parseIPv4 parses dotted-quad b into out (4 bytes) with netip's rules: four
// decimal fields 0-255, no leading zeros.
func parseIPv4(b []byte, out []byte) bool {
	if len(out) < 4 {
		return false
	}
	i := 0
	for k := 0; k < 4; k++ {
		if k > 0 {
			if i >= len(b) || b[i] != '.' {
				return false
			}
			i++
		}
		if i >= len(b) {
			return false
		}
		v := uint(b[i] - '0')
		if v > 9 {
			return false
		}
		i++
		if i < len(b) {
			if d := uint(b[i] - '0'); d <= 9 {
				if v == 0 {
					return false // leading zero
				}
				v = v*10 + d
				i++
				if i < len(b) {
					if d := uint(b[i] - '0'); d <= 9 {
						v = v*10 + d
						i++
						if v > 255 {
							return false
						}
					}
				}
			}
		}
		out[k] = byte(v)
	}
	return i == len(b)
}

// parseIPv6 follows the algorithm of net/netip's parser on a byte slice.
func parseIPv6(in []byte) (netip.Addr, bool) {
	s := in
	var ip [16]byte
	ellipsis := -1
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if len(s) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		off := 0
		acc := uint32(0)
		for ; off < len(s); off++ {
			c := s[off]
			if !isHex(c) {
				break
			}
			if off > 3 {
				return netip.Addr{}, false
			}
			acc = acc<<4 + uint32(unhex(c))
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' {
			if ellipsis < 0 && i != 12 {
				return netip.Addr{}, false
			}
			if i+4 > 16 {
				return netip.Addr{}, false
			}
			if !parseIPv4(s, ip[i:i+4]) {
				return netip.Addr{}, false
			}
			s = nil
			i += 4
			break
		}
		ip[i] = byte(acc >> 8)
		ip[i+1] = byte(acc)
		i += 2
		s = s[off:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			s = s[1:]
			if len(s) == 0 {
				break
			}
		}
	}
	if len(s) != 0 {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(ip), true
}
