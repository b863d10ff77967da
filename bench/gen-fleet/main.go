// Command gen-fleet writes Zeek TSV logs (dhcp, conn, dns) for a large
// fleet of devices, for the inventory memory and throughput benchmarks in
// bench/. Like real medical devices, each device keeps talking to its own
// server on its own service port, so after its first connections a device
// is mostly seen again rather than changed. Output depends only on the flags.
//
//	go run ./bench/gen-fleet -devices 100000 -conn 2000000 -out /tmp/fleet
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-iomt/vigil/internal/event"
	"github.com/vigil-iomt/vigil/internal/ingest/zeek"
)

func main() {
	devices := flag.Int("devices", 100_000, "number of devices (each gets a DHCP lease)")
	conns := flag.Int("conn", 1_000_000, "number of conn records")
	out := flag.String("out", "", "output folder")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" || *devices < 1 || *devices > 1<<22 {
		log.Fatal("usage: gen-fleet -out DIR [-devices N (1..4194304)] [-conn N]")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(*seed, 42))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	// Prefixes registered to device makers (IEEE MA-L).
	ouis := [][3]byte{{0x00, 0x09, 0xfb}, {0x00, 0x12, 0x21}, {0x00, 0x40, 0x9d}, {0xb0, 0x08, 0xbf}, {0x00, 0x0b, 0xc4}}
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }

	write(filepath.Join(*out, "dhcp.log"), event.KindDHCP, func(w *zeek.Writer) {
		for i := range *devices {
			o := ouis[i%len(ouis)]
			mac := net.HardwareAddr{o[0], o[1], o[2], byte(i >> 16), byte(i >> 8), byte(i)}
			must(w.Write(&event.DHCP{TS: start.Add(time.Duration(i) * time.Millisecond), MAC: mac,
				HostName: fmt.Sprintf("DEV-%06d", i), AssignedAddr: addr(i + 256), LeaseTime: 24 * time.Hour,
				MsgTypes: []string{"REQUEST", "ACK"}, ClientSoftware: "udhcp 1.31.1"}))
		}
	})
	step := 24 * time.Hour / time.Duration(max(*conns, 1))
	ports := []uint16{443, 2575, 104, 8443, 11112}
	write(filepath.Join(*out, "conn.log"), event.KindConn, func(w *zeek.Writer) {
		for i := range *conns {
			d := rng.IntN(*devices)
			must(w.Write(&event.Conn{TS: start.Add(2*time.Minute + time.Duration(i)*step), UID: fmt.Sprintf("C%015x", rng.Uint64()>>4),
				OrigH: addr(d + 256), OrigP: uint16(32768 + rng.IntN(28000)), RespH: netip.AddrFrom4([4]byte{10, 255, 0, byte(1 + d%20)}),
				RespP: ports[d%len(ports)], Proto: "tcp", Duration: time.Duration(rng.IntN(3000)) * time.Millisecond,
				OrigBytes: int64(rng.IntN(50000)), RespBytes: int64(rng.IntN(50000)), ConnState: "SF",
				OrigPkts: int64(1 + rng.IntN(50)), RespPkts: int64(1 + rng.IntN(50))}))
		}
	})
	write(filepath.Join(*out, "dns.log"), event.KindDNS, func(w *zeek.Writer) {
		for i := range *devices {
			must(w.Write(&event.DNS{TS: start.Add(time.Minute + time.Duration(i)*time.Microsecond), UID: fmt.Sprintf("D%015x", i),
				OrigH: addr(i + 256), RespH: netip.AddrFrom4([4]byte{10, 255, 0, 53}), RespP: 53, Proto: "udp",
				Query: fmt.Sprintf("telemetry%d.vendor-cloud.example", i%50), QType: "A", RCode: "NOERROR",
				Answers: []string{"203.0.113.10"}, TTLs: []time.Duration{time.Minute}}))
		}
	})
}

func write(path string, kind event.Kind, fill func(*zeek.Writer)) {
	f, err := os.Create(path)
	must(err)
	bw := bufio.NewWriterSize(f, 1<<20)
	w := zeek.NewWriter(bw, kind, zeek.TSV)
	fill(w)
	must(w.Close())
	must(bw.Flush())
	must(f.Close())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
