package oui

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvHeaderPrefix starts every IEEE registry CSV listing.
const csvHeaderPrefix = "Registry,Assignment,"

// csvRegistries gives, for each value of the Registry column, the prefix
// length in bits and so the number of hex digits of the Assignment column.
var csvRegistries = map[string]int{
	"MA-L": bitsMAL,
	"MA-M": bitsMAM,
	"MA-S": bitsMAS,
	"IAB":  bitsMAS,
	"CID":  bitsMAL, // company IDs: locally administered, never returned by Lookup
}

// readCSV parses an IEEE listing: a header, then one record per assignment
// (Registry, Assignment, Organization Name, Organization Address), with
// RFC 4180 quoting; a quoted address may span lines.
func (b *builder) readCSV(r io.Reader, name string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	cr.ReuseRecord = true
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			if header {
				return fmt.Errorf("%s: %w: empty file", name, ErrFormat)
			}
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%s line %d: %w: %v", name, pe.Line, ErrFormat, pe.Err)
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			if !strings.EqualFold(rec[0], "Registry") || !strings.EqualFold(rec[1], "Assignment") ||
				!strings.EqualFold(rec[2], "Organization Name") {
				return fmt.Errorf("%s line %d: %w: header %q, want Registry,Assignment,Organization Name,Organization Address",
					name, line, ErrFormat, strings.Join(rec, ","))
			}
			continue
		}
		bits, ok := csvRegistries[strings.TrimSpace(rec[0])]
		if !ok {
			return fmt.Errorf("%s line %d: %w: unknown registry %q", name, line, ErrFormat, rec[0])
		}
		hex := strings.TrimSpace(rec[1])
		if len(hex) != bits/4 {
			return fmt.Errorf("%s line %d: %w: %s assignment %q has %d hex digits, want %d",
				name, line, ErrFormat, rec[0], hex, len(hex), bits/4)
		}
		prefix, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			return fmt.Errorf("%s line %d: %w: assignment %q is not hexadecimal", name, line, ErrFormat, hex)
		}
		org := cleanOrg(rec[2])
		if org == "" {
			return fmt.Errorf("%s line %d: %w: assignment %s has no organization name", name, line, ErrFormat, hex)
		}
		b.add(bits, prefix, org)
	}
}

// readManuf parses Wireshark's manuf file: per line an address prefix, a
// tab, a short name and optionally a tab and the full name, then an
// optional "# comment". A prefix is three octets (24 bits) or six octets
// with a "/28" or "/36" mask; octets are separated by ':', '-' or '.'.
// Entries of other lengths are well-known group addresses (spanning tree,
// IPv6 multicast ...), not assignments: they are skipped.
func (b *builder) readManuf(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	entries := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		bits, prefix, org, err := parseManufLine(text)
		if err != nil {
			return fmt.Errorf("%s line %d: %w: %v", name, line, ErrFormat, err)
		}
		entries++
		if bits == 0 {
			continue // a well-known group address
		}
		b.add(bits, prefix, org)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s line %d: %w", name, line+1, err)
	}
	if entries == 0 {
		return fmt.Errorf("%s: %w: no manuf entries (neither an IEEE CSV header nor a manuf line)", name, ErrFormat)
	}
	return nil
}

// parseManufLine parses one non-comment manuf line. bits is 0 for an entry
// to skip.
func parseManufLine(text string) (bits int, prefix uint64, org string, err error) {
	fields := strings.Split(text, "\t")
	if len(fields) < 2 {
		// Older files separate the short name by spaces.
		fields = strings.Fields(text)
	}
	if len(fields) < 2 {
		return 0, 0, "", fmt.Errorf("want an address prefix, a tab and a name, got %q", clip(text))
	}
	addr := strings.TrimSpace(fields[0])
	for _, f := range fields[1:] {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if f[0] == '#' {
			if org == "" {
				org = cleanOrg(f[1:])
			}
			break
		}
		org = cleanOrg(f) // the full name, when given, follows the short one
	}
	if org == "" {
		return 0, 0, "", fmt.Errorf("prefix %q has no name", addr)
	}
	mask := -1
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		mask, err = strconv.Atoi(addr[i+1:])
		if err != nil || mask < 1 || mask > 48 {
			return 0, 0, "", fmt.Errorf("bad mask in %q", addr)
		}
		addr = addr[:i]
	}
	octets := strings.FieldsFunc(addr, func(r rune) bool { return r == ':' || r == '-' || r == '.' })
	if len(octets) < 3 || len(octets) > 6 {
		return 0, 0, "", fmt.Errorf("bad address prefix %q: want 3 to 6 octets", addr)
	}
	var v uint64
	for _, o := range octets {
		if len(o) != 2 {
			return 0, 0, "", fmt.Errorf("bad octet %q in %q", o, addr)
		}
		n, perr := strconv.ParseUint(o, 16, 8)
		if perr != nil {
			return 0, 0, "", fmt.Errorf("bad octet %q in %q", o, addr)
		}
		v = v<<8 | n
	}
	v <<= 8 * uint(6-len(octets))
	if mask < 0 {
		mask = 8 * len(octets)
	}
	if mask > 8*len(octets) {
		return 0, 0, "", fmt.Errorf("mask /%d is longer than the %d octets of %q", mask, len(octets), addr)
	}
	switch mask {
	case bitsMAL, bitsMAM, bitsMAS:
		return mask, v >> uint(48-mask), org, nil
	}
	if v>>40&0x01 != 0 {
		return 0, 0, org, nil // a well-known group address: not a vendor assignment
	}
	return 0, 0, "", fmt.Errorf("prefix %q: unsupported length /%d (want 24, 28 or 36)", addr, mask)
}

// cleanOrg trims the blanks (tabs included) that some registry rows carry
// around the organisation name and collapses inner runs of blanks.
func cleanOrg(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") && !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
