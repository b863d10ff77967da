package simulate

import (
	"container/heap"
	"fmt"
	"net/netip"
	"time"
)

// DHCP churn is planned for the whole run before any traffic: it is small
// (a few exchanges per device and day) and it fixes, for every device and
// every instant, the address it holds — which traffic between devices needs.

type txKind uint8

const (
	txDiscover txKind = iota // DISCOVER OFFER REQUEST ACK: a new lease
	txReboot                 // REQUEST ACK from INIT-REBOOT: back on, lease still valid
	txRenew                  // REQUEST ACK from RENEWING: unicast, at half the lease
)

// dhcpTx is one DHCP exchange of a device.
type dhcpTx struct {
	ts    time.Time
	kind  txKind
	addr  netip.Addr
	zone  *zone
	lease time.Duration
}

type dhcpEventKind uint8

const (
	evRenew dhcpEventKind = iota
	evOff
	evReturn
	evRelease
)

type dhcpEvent struct {
	t     time.Time
	seq   int
	dev   int
	kind  dhcpEventKind
	epoch int
}

type dhcpQueue []dhcpEvent

func (q dhcpQueue) Len() int { return len(q) }
func (q dhcpQueue) Less(i, j int) bool {
	if !q[i].t.Equal(q[j].t) {
		return q[i].t.Before(q[j].t)
	}
	return q[i].seq < q[j].seq
}
func (q dhcpQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dhcpQueue) Push(x any)   { *q = append(*q, x.(dhcpEvent)) }
func (q *dhcpQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// leaseState is a DHCP client during planning.
type leaseState struct {
	d          *device
	r          *rng
	zone       *zone
	addr       netip.Addr
	granted    time.Time // start of the current lease
	lease      time.Duration
	epoch      int  // bumps when a lease is granted; stale releases are ignored
	off        bool // powered off
	expired    bool // the lease ran out while off
	onlineFrom time.Time
	holdIdx    int // index in d.held of the current holding, -1 if none
}

// pool hands out dynamic addresses of one zone.
type pool struct {
	z     *zone
	inUse map[netip.Addr]int
}

func (p *pool) alloc(r *rng, prefer netip.Addr, owner int) (netip.Addr, error) {
	if prefer.IsValid() && p.z.Prefix.Contains(prefer) {
		if _, used := p.inUse[prefer]; !used {
			p.inUse[prefer] = owner
			return prefer, nil
		}
	}
	n := p.z.poolHi - p.z.poolLo + 1
	start := r.IntN(n)
	for k := range n {
		a := p.z.addrAt(p.z.poolLo + (start+k)%n)
		if _, used := p.inUse[a]; !used {
			p.inUse[a] = owner
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("simulate: DHCP pool of zone %s is exhausted", p.z.Key)
}

// planDHCP simulates every DHCP client over the whole run, in event time
// order across devices, so that clients compete for addresses the way they
// would.
func (h *hospital) planDHCP() error {
	start, end := h.opts.Start, h.opts.end()
	pools := map[*zone]*pool{}
	poolOf := func(z *zone) *pool {
		p := pools[z]
		if p == nil {
			p = &pool{z: z, inUse: map[netip.Addr]int{}}
			pools[z] = p
		}
		return p
	}
	var q dhcpQueue
	seq := 0
	push := func(t time.Time, dev int, k dhcpEventKind, epoch int) {
		t = usec(t) // the precision of the logs, so that truth and dhcp.log agree
		if t.Before(end) {
			heap.Push(&q, dhcpEvent{t: t, seq: seq, dev: dev, kind: k, epoch: epoch})
			seq++
		}
	}
	states := map[int]*leaseState{}

	// schedule decides what a client does during a lease granted at s.granted.
	schedule := func(s *leaseState) {
		s.epoch++
		p := s.d.prof
		half := s.lease / 2
		pOff, pReboot := 0.02, 0.1
		if p.Portable {
			pOff, pReboot = 0.35, 0.05
		}
		if p.OS != osWindows && !p.Portable {
			pReboot = 0.01
		}
		switch x := s.r.Float64(); {
		case x < pOff:
			push(s.granted.Add(time.Duration((0.1+float64(0.4*s.r.Float64()))*float64(s.lease))), s.d.idx, evOff, s.epoch)
		case x < pOff+pReboot:
			push(s.granted.Add(time.Duration((0.05+float64(0.4*s.r.Float64()))*float64(s.lease))), s.d.idx, evOff, -s.epoch) // short reboot
		default:
			push(s.granted.Add(half), s.d.idx, evRenew, s.epoch)
		}
		push(s.granted.Add(s.lease), s.d.idx, evRelease, s.epoch)
	}
	startHolding := func(s *leaseState, t time.Time) {
		if t.Before(start) {
			t = start
		}
		s.d.held = append(s.d.held, TruthIP{Addr: s.addr.String(), From: t, To: end})
		s.holdIdx = len(s.d.held) - 1
	}
	endHolding := func(s *leaseState, t time.Time) {
		if s.holdIdx >= 0 {
			s.d.held[s.holdIdx].To = t
			s.holdIdx = -1
		}
	}

	for _, d := range h.devices {
		if d.static {
			continue
		}
		s := &leaseState{d: d, r: newRNG(uint64(h.opts.Seed), streamDHCP, uint64(d.idx)), zone: d.home, holdIdx: -1}
		s.lease = s.zone.Lease
		s.granted = usec(start.Add(-s.r.within(s.lease / 2)))
		a, err := poolOf(s.zone).alloc(s.r, netip.Addr{}, d.idx)
		if err != nil {
			return err
		}
		s.addr = a
		s.onlineFrom = start.Add(-48 * time.Hour)
		startHolding(s, s.granted)
		states[d.idx] = s
		schedule(s)
	}

	grant := func(s *leaseState, t time.Time, kind txKind) {
		s.granted = t
		s.lease = s.zone.Lease
		s.d.dhcp = append(s.d.dhcp, dhcpTx{ts: t, kind: kind, addr: s.addr, zone: s.zone, lease: s.lease})
		schedule(s)
	}

	for q.Len() > 0 {
		ev := heap.Pop(&q).(dhcpEvent)
		s := states[ev.dev]
		switch ev.kind {
		case evRenew:
			if ev.epoch == s.epoch && !s.off {
				grant(s, ev.t, txRenew)
			}
		case evOff:
			short := ev.epoch < 0
			if ev.epoch != s.epoch && -ev.epoch != s.epoch {
				continue
			}
			s.off = true
			s.d.online = append(s.d.online, online{from: s.onlineFrom, to: ev.t, addr: s.addr, zone: s.zone})
			var gone time.Duration
			if short {
				gone = s.r.between(90*time.Second, 8*time.Minute)
			} else {
				gone = time.Duration(s.r.logn(dist{3 * 3600, 0.8}) * float64(time.Second))
				// Stored overnight at most: with leases of at most 24 h, every
				// client makes a DHCP exchange within the first 22 hours.
				gone = min(max(gone, 10*time.Minute), 10*time.Hour)
			}
			push(ev.t.Add(gone), s.d.idx, evReturn, s.epoch)
		case evRelease:
			if ev.epoch == s.epoch && s.off {
				s.expired = true
				delete(poolOf(s.zone).inUse, s.addr)
				endHolding(s, ev.t)
			}
		case evReturn:
			if ev.epoch != s.epoch || !s.off {
				continue
			}
			s.off = false
			s.onlineFrom = ev.t.Add(2 * time.Second)
			if !s.expired {
				grant(s, ev.t, txReboot)
				continue
			}
			s.expired = false
			prev := s.addr
			if s.d.prof.Portable && len(s.d.prof.Zones) > 1 && s.r.chance(0.35) {
				s.zone = h.zones[s.d.prof.Zones[s.r.IntN(len(s.d.prof.Zones))].Zone]
			}
			if !s.r.chance(0.5) {
				prev = netip.Addr{} // the server hands out another free address
			}
			a, err := poolOf(s.zone).alloc(s.r, prev, s.d.idx)
			if err != nil {
				return err
			}
			s.addr = a
			startHolding(s, ev.t)
			grant(s, ev.t, txDiscover)
		}
	}
	far := end.Add(48 * time.Hour)
	for _, d := range h.devices {
		s := states[d.idx]
		if s == nil {
			continue
		}
		if !s.off {
			d.online = append(d.online, online{from: s.onlineFrom, to: far, addr: s.addr, zone: s.zone})
		}
		// Drop holdings that ended before the run started.
		kept := d.held[:0]
		for _, ip := range d.held {
			if ip.To.After(ip.From) {
				kept = append(kept, ip)
			}
		}
		d.held = kept
	}
	return nil
}
