package simulate

import (
	"math"
	"math/rand/v2"
	"time"
)

// Random streams. Every stream is seeded from the run's seed and a fixed
// tuple (purpose, device, hour, ...), so that what one device does never
// depends on how many other devices exist, on the order in which workers run,
// or on how many workers there are.
const (
	streamSetup uint64 = iota + 1
	streamDHCP
	streamTraffic
	streamScenario
	streamNames
)

// mix hashes a tuple of values into 64 bits (splitmix64 steps).
func mix(vals ...uint64) uint64 {
	h := uint64(0x243F6A8885A308D3)
	for _, v := range vals {
		h = splitmix(h ^ v)
	}
	return h
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// rng is a reseedable PCG generator with the distributions the simulation
// needs.
type rng struct {
	*rand.Rand
	pcg *rand.PCG
}

func newRNG(vals ...uint64) *rng {
	p := rand.NewPCG(0, 0)
	r := &rng{Rand: rand.New(p), pcg: p}
	r.reseed(vals...)
	return r
}

func (r *rng) reseed(vals ...uint64) {
	h := mix(vals...)
	r.pcg.Seed(h, splitmix(h))
}

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return p > 0 && r.Float64() < p }

// logn draws from a log-normal distribution.
func (r *rng) logn(d dist) float64 {
	if d.Sigma == 0 {
		return d.Median
	}
	return d.Median * math.Exp(d.Sigma*r.NormFloat64())
}

// poisson draws a Poisson count with mean lambda.
func (r *rng) poisson(lambda float64) int {
	switch {
	case lambda <= 0:
		return 0
	case lambda < 30:
		l := math.Exp(-lambda)
		k, p := 0, 1.0
		for {
			p *= r.Float64()
			if p <= l {
				return k
			}
			k++
		}
	default:
		n := math.Round(lambda + float64(math.Sqrt(lambda)*r.NormFloat64())) // float64(): no fused multiply-add, same result on every architecture
		if n < 0 {
			return 0
		}
		return int(n)
	}
}

// within returns a uniformly random duration in [0, d).
func (r *rng) within(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(r.Int64N(int64(d)))
}

// between returns a uniformly random duration in [lo, hi).
func (r *rng) between(lo, hi time.Duration) time.Duration { return lo + r.within(hi-lo) }

// pickSkewed picks an index in [0, n), favouring the first ones (weights
// 1, 1/2, 1/3, ...), the way a fleet mostly runs its newest firmware and a
// user mostly visits a few sites.
func (r *rng) pickSkewed(n int) int {
	if n <= 1 {
		return 0
	}
	total := 0.0
	for i := 1; i <= n; i++ {
		total += 1 / float64(i)
	}
	x := r.Float64() * total
	for i := 1; i <= n; i++ {
		x -= 1 / float64(i)
		if x < 0 {
			return i - 1
		}
	}
	return n - 1
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// uid returns a Zeek-style connection identifier ("C" and base62).
func (r *rng) uid() string {
	var b [18]byte
	b[0] = 'C'
	x, y := r.Uint64(), r.Uint64()
	for i := 1; i < len(b); i++ {
		if i == 10 {
			x = y
		}
		b[i] = base62[x%62]
		x /= 62
	}
	return string(b[:])
}
