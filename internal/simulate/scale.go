package simulate

import (
	"strings"
	"time"
)

// scaleFor returns the factor by which traffic rates must grow for conn.log
// to hold about target records.
func (g *generator) scaleFor(target float64) float64 {
	s := 1.0
	for range 6 {
		n := g.expectedConns(s)
		if n <= 0 {
			return 1
		}
		s *= target / n
	}
	return s
}

// expectedConns estimates the number of conn records the run writes when
// rates are multiplied by scale.
func (g *generator) expectedConns(scale float64) float64 {
	h, opts := g.h, g.h.opts
	start, end := opts.Start, opts.end()
	runSecs := end.Sub(start).Seconds()
	avg := func(r rhythm) float64 {
		sum := 0.0
		for i := range opts.Hours {
			sum += g.factors.at(r, i)
		}
		return sum / float64(opts.Hours)
	}
	total := 0.0
	for _, d := range h.devices {
		up := d.upFraction(start, end)
		lookups := map[string]float64{}
		for fi := range d.prof.Flows {
			f := &d.prof.Flows[fi]
			series := 1.0
			if f.Each {
				series = 0 // targets count while they are up
				for _, t := range h.targets(f.To) {
					if t != d {
						series += t.upFraction(start, end)
					}
				}
			}
			var n float64
			if f.Every > 0 {
				period := max(f.Every.Seconds()/scale, 1)
				n = runSecs / period
			} else {
				n = f.Rate * scale * avg(f.Rhythm) * float64(opts.Hours)
			}
			n *= series * up
			if f.Proto != "dns" {
				total += n
			}
			kind, arg, _ := strings.Cut(f.To, ":")
			switch kind {
			case "name":
				lookups[arg+"."+domainSuffix] += n
			case "dns":
				for _, name := range f.Names {
					lookups[name] += n / float64(len(f.Names))
				}
			}
		}
		perLookup := 1.0
		if d.v6.IsValid() {
			perLookup = 2
		}
		for name, n := range lookups {
			q := n
			if ttl := h.names[name].ttl; d.prof.DNSCache && ttl > 0 {
				// A cache renewed by Poisson arrivals of rate λ misses
				// λ/(1+λ·ttl) times a second.
				lambda := n / (runSecs * max(up, 1e-9))
				q = n / (1 + lambda*ttl.Seconds())
			}
			total += q * perLookup
		}
		total += float64(len(d.dhcp))
	}
	return total
}

// upFraction is the share of [start, end) during which d is up.
func (d *device) upFraction(start, end time.Time) float64 {
	var up time.Duration
	for _, o := range d.online {
		from, to := o.from, o.to
		if from.Before(start) {
			from = start
		}
		if to.After(end) {
			to = end
		}
		if to.After(from) {
			up += to.Sub(from)
		}
	}
	return up.Seconds() / end.Sub(start).Seconds()
}
