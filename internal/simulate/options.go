package simulate

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Options say what to simulate. The zero value of each field selects its
// default; two runs with equal Options write byte-identical files.
type Options struct {
	Seed    int64
	Devices int       // number of hosts, infrastructure included (default 200)
	Hours   int       // event-time span (default 24)
	Start   time.Time // event-time start (default 2026-03-02T00:00:00Z, a Monday); never the wall clock

	// ConnRecords, when > 0, scales every traffic rate so that conn.log
	// holds about this many records (within a few percent), for benchmarks
	// that need a large conn.log quickly. The other logs grow with it.
	ConnRecords int

	// Workers is the number of goroutines that generate traffic (default
	// GOMAXPROCS, at most 8). It changes speed, never the output.
	Workers int

	// Scenarios inject labelled events into the hourly stream.
	Scenarios []Scenario

	// Attacks names the labelled attack scenarios to add (see AttackNames;
	// "all" selects every one). Each is written to truth.json under
	// "attacks". Order and repetition do not matter. None: the baseline
	// hospital only.
	Attacks []string

	// Learning is the attack-free span at the start of the run, during
	// which a detector can learn the baseline; attacks start after it.
	// Zero selects three quarters of Hours, so that with Hours >= 192 a
	// 7-day baseline precedes the attacks.
	Learning time.Duration

	// Logger receives progress (one record per simulated day); nil is silent.
	Logger *slog.Logger
}

// DefaultStart is the event time at which a simulation starts by default.
var DefaultStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// Limits of Options.
const (
	DefaultDevices = 200
	DefaultHours   = 24
	MaxDevices     = 20000
	MaxHours       = 24 * 366
)

// ErrBadOptions is wrapped by every error of Options.Validate.
var ErrBadOptions = errors.New("simulate: bad options")

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Devices == 0 {
		o.Devices = DefaultDevices
	}
	if o.Hours == 0 {
		o.Hours = DefaultHours
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	o.Start = o.Start.UTC().Truncate(time.Second)
	return o
}

// Validate reports every problem of o (after defaults) at once.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.Devices < len(infraProfiles)+1 || o.Devices > MaxDevices {
		errs = append(errs, fmt.Errorf("%w: devices %d not in [%d, %d]", ErrBadOptions, o.Devices, len(infraProfiles)+1, MaxDevices))
	}
	if o.Hours < 1 || o.Hours > MaxHours {
		errs = append(errs, fmt.Errorf("%w: hours %d not in [1, %d]", ErrBadOptions, o.Hours, MaxHours))
	}
	if o.ConnRecords < 0 {
		errs = append(errs, fmt.Errorf("%w: conn records %d is negative", ErrBadOptions, o.ConnRecords))
	}
	if o.Workers < 0 {
		errs = append(errs, fmt.Errorf("%w: workers %d is negative", ErrBadOptions, o.Workers))
	}
	if _, err := attackList(o.Attacks); err != nil {
		errs = append(errs, err)
	}
	if o.Learning < 0 || o.Learning >= time.Duration(o.Hours)*time.Hour {
		errs = append(errs, fmt.Errorf("%w: learning period %s not in [0, %dh)", ErrBadOptions, o.Learning, o.Hours))
	}
	for i, s := range o.Scenarios {
		if s == nil {
			errs = append(errs, fmt.Errorf("%w: scenario %d is nil", ErrBadOptions, i))
		}
	}
	return errors.Join(errs...)
}

func (o Options) end() time.Time { return o.Start.Add(time.Duration(o.Hours) * time.Hour) }
