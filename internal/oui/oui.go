// Package oui maps a MAC address to the organisation that the IEEE
// Registration Authority assigned its prefix to, reading the registry at run
// time from files the user points at: IEEE's CSV listings (MA-L, MA-M, MA-S
// and IAB, as Debian's ieee-data package installs them) and Wireshark's
// manuf file, plain or gzip-compressed.
//
// It owns parsing those files and the longest-prefix lookup. It must not
// embed registry data in the binary, fetch anything from the network, or
// guess what kind of device a vendor makes: classification belongs to the
// fingerprint package.
package oui

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// ErrFormat is wrapped by every error about the content of a registry file;
// the message says the file and the line.
var ErrFormat = errors.New("bad OUI registry data")

// ErrNoData is returned when Load is given no path, or a directory that
// holds no file it recognises.
var ErrNoData = errors.New("no OUI registry file")

// Prefix lengths, in bits, of the IEEE assignments: MA-L (OUI), MA-M and
// MA-S (IAB blocks are 36 bits too).
const (
	bitsMAL = 24
	bitsMAM = 28
	bitsMAS = 36
)

// lengths lists the supported prefix lengths, longest first: the lookup
// order.
var lengths = [...]int{bitsMAS, bitsMAM, bitsMAL}

// Registry maps MAC prefixes to organisation names. It is immutable once
// loaded and safe for concurrent use.
type Registry struct {
	// byLen[i] holds the prefixes of length lengths[i]: the top bits of
	// the 48-bit address, right-aligned, mapped to an index into names.
	byLen [len(lengths)]map[uint64]uint32
	names []string
}

// dirFiles are the file names Load recognises in a directory, each also
// accepted with a ".gz" suffix, in the order they are read. Earlier files
// win when two give the same prefix, so IEEE's own listings take precedence
// over Wireshark's copy.
var dirFiles = []string{"oui.csv", "mam.csv", "oui36.csv", "iab.csv", "manuf"}

// Load reads the registry from paths, each a file or a directory. A file is
// recognised by its content: an IEEE CSV listing (header
// "Registry,Assignment,Organization Name,Organization Address") or a
// Wireshark manuf file; either may be gzip-compressed. A directory loads
// the files among oui.csv, mam.csv, oui36.csv, iab.csv and manuf (each
// optionally .gz) that it holds. When two files, or two lines, give the
// same prefix, the first one read wins. Any malformed line fails the load
// with an error naming the file and the line.
func Load(paths ...string) (*Registry, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("oui: %w: no path given", ErrNoData)
	}
	b := newBuilder()
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("oui: %w", err)
		}
		if !fi.IsDir() {
			if err := b.loadFile(p); err != nil {
				return nil, err
			}
			continue
		}
		files, err := registryFiles(p)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("oui: %w in directory %s (want %s, optionally .gz)",
				ErrNoData, p, strings.Join(dirFiles, ", "))
		}
		for _, f := range files {
			if err := b.loadFile(f); err != nil {
				return nil, err
			}
		}
	}
	return b.reg, nil
}

// registryFiles lists the recognised files in dir, in dirFiles order.
func registryFiles(dir string) ([]string, error) {
	var out []string
	for _, name := range dirFiles {
		for _, n := range []string{name, name + ".gz"} {
			p := filepath.Join(dir, n)
			fi, err := os.Stat(p)
			switch {
			case errors.Is(err, os.ErrNotExist):
				continue
			case err != nil:
				return nil, fmt.Errorf("oui: %w", err)
			case fi.Mode().IsRegular():
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// Len returns the number of distinct prefixes loaded, of all lengths.
func (r *Registry) Len() int {
	n := 0
	for _, m := range r.byLen {
		n += len(m)
	}
	return n
}

// LenBits returns the number of distinct prefixes of the given length in
// bits (24, 28 or 36); 0 for any other length.
func (r *Registry) LenBits(bits int) int {
	for i, l := range lengths {
		if l == bits {
			return len(r.byLen[i])
		}
	}
	return 0
}

// Lookup returns the organisation registered for mac's prefix, trying the
// 36-bit, then the 28-bit, then the 24-bit assignment. It accepts EUI-48
// and EUI-64 addresses. Group (multicast) addresses name no device: for
// them, and for addresses of any other length, ok is false. Locally
// administered addresses are looked up too, because the registry still
// lists a few historic assignments with that bit set (DEC's AA-00-04 of
// DECnet, 3Com's 02-60-8C); random private MACs almost never fall in them.
func (r *Registry) Lookup(mac net.HardwareAddr) (org string, ok bool) {
	if r == nil || (len(mac) != 6 && len(mac) != 8) || mac[0]&0x01 != 0 {
		return "", false
	}
	v := uint64(mac[0])<<40 | uint64(mac[1])<<32 | uint64(mac[2])<<24 |
		uint64(mac[3])<<16 | uint64(mac[4])<<8 | uint64(mac[5])
	for i, bits := range lengths {
		m := r.byLen[i]
		if len(m) == 0 {
			continue
		}
		if idx, found := m[v>>(48-bits)]; found {
			return r.names[idx], true
		}
	}
	return "", false
}

// builder accumulates a registry, interning organisation names so that the
// thousands of prefixes of one vendor share one string.
type builder struct {
	reg    *Registry
	intern map[string]uint32
}

func newBuilder() *builder {
	r := &Registry{}
	for i := range r.byLen {
		r.byLen[i] = make(map[uint64]uint32)
	}
	return &builder{reg: r, intern: make(map[string]uint32)}
}

// add records prefix (the top bits of the address, right-aligned) unless
// an earlier file or line gave it already.
func (b *builder) add(bits int, prefix uint64, org string) {
	for i, l := range lengths {
		if l != bits {
			continue
		}
		m := b.reg.byLen[i]
		if _, dup := m[prefix]; dup {
			return
		}
		idx, ok := b.intern[org]
		if !ok {
			idx = uint32(len(b.reg.names))
			b.reg.names = append(b.reg.names, org)
			b.intern[org] = idx
		}
		m[prefix] = idx
		return
	}
}

// loadFile reads one file, detecting gzip by its magic bytes and the format
// by its first meaningful line.
func (b *builder) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("oui: %w", err)
	}
	defer f.Close()
	if err := b.read(f, path); err != nil {
		return fmt.Errorf("oui: %w", err)
	}
	return nil
}

// read parses r, named name in errors.
func (b *builder) read(r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w: gzip: %v", name, ErrFormat, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	head, err := br.Peek(len(csvHeaderPrefix))
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(head) >= 3 && string(head[:3]) == "\xef\xbb\xbf" { // UTF-8 byte order mark
		if _, err := br.Discard(3); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		head, _ = br.Peek(len(csvHeaderPrefix))
	}
	if strings.EqualFold(string(head), csvHeaderPrefix) {
		return b.readCSV(br, name)
	}
	return b.readManuf(br, name)
}
