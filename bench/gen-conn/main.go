// Command gen-conn writes a Zeek conn.log of deterministic pseudo-random
// connections, for benchmarks (bench/zeek-cut.sh). The same flags always
// give the same bytes.
//
//	go run ./bench/gen-conn -n 2000000 -o conn.log
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gen-conn:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen-conn", flag.ContinueOnError)
	n := fs.Int("n", 2_000_000, "number of records")
	out := fs.String("o", "-", "output file (- for stdout)")
	format := fs.String("format", "tsv", "tsv or json")
	seed := fs.Uint64("seed", 1, "pseudo-random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var f zeek.Format
	switch *format {
	case "tsv":
		f = zeek.TSV
	case "json":
		f = zeek.JSON
	default:
		return fmt.Errorf("unknown format %q", *format)
	}
	dst := stdout
	if *out != "-" {
		file, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer file.Close()
		dst = file
	}
	bw := bufio.NewWriterSize(dst, 1<<20)
	w := zeek.NewWriter(bw, event.KindConn, f)
	g := newGenerator(*seed)
	for i := 0; i < *n; i++ {
		c := g.next()
		if err := w.Write(&c); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// generator makes connections shaped like a hospital network's: devices
// on 10.0.0.0/13 talking to a few servers (DICOM, HL7, DNS, NTP, HTTPS),
// some IPv6.
type generator struct {
	rng *rand.Rand
	ts  time.Time
	uid [18]byte
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), ts: time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)}
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var (
	services = []string{"", "dns", "http", "ssl", "dhcp", "ntp", "ssh", "dicom", "hl7"}
	states   = []string{"SF", "S0", "REJ", "RSTO", "SH", "OTH", "S1", "RSTR"}
	ports    = []uint16{53, 80, 443, 104, 2575, 161, 123, 22, 11112}
)

func (g *generator) next() event.Conn {
	r := g.rng
	g.ts = g.ts.Add(time.Duration(r.IntN(20000)) * time.Microsecond)
	g.uid[0] = 'C'
	for j := 1; j < len(g.uid); j++ {
		g.uid[j] = alnum[r.IntN(len(alnum))]
	}
	proto := "tcp"
	switch r.IntN(10) {
	case 0:
		proto = "icmp"
	case 1, 2, 3:
		proto = "udp"
	}
	c := event.Conn{
		TS:        g.ts,
		UID:       string(g.uid[:]),
		OrigH:     netip.AddrFrom4([4]byte{10, byte(r.IntN(8)), byte(r.IntN(256)), byte(1 + r.IntN(254))}),
		OrigP:     uint16(1024 + r.IntN(64000)),
		RespH:     netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(4)), byte(1 + r.IntN(254))}),
		RespP:     ports[r.IntN(len(ports))],
		Proto:     proto,
		Service:   services[r.IntN(len(services))],
		ConnState: states[r.IntN(len(states))],
	}
	if r.IntN(10) == 0 {
		var a [16]byte
		a[0], a[1] = 0xfd, 0x00
		for j := 8; j < 16; j++ {
			a[j] = byte(r.IntN(256))
		}
		c.OrigH = netip.AddrFrom16(a)
		a[15]++
		c.RespH = netip.AddrFrom16(a)
	}
	if r.IntN(5) != 0 {
		c.Duration = time.Duration(r.IntN(5_000_000)) * time.Microsecond
		c.OrigBytes = int64(r.IntN(100_000))
		c.RespBytes = int64(r.IntN(1_000_000))
		c.OrigPkts = int64(1 + r.IntN(200))
		c.RespPkts = int64(r.IntN(200))
	}
	return c
}
