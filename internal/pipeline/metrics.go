package pipeline

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the ingest pipeline's Prometheus instruments. A nil *Metrics
// records nothing.
type Metrics struct {
	records *prometheus.CounterVec
	commits prometheus.Histogram
	written prometheus.Counter
	devices prometheus.Gauge
}

// NewMetrics creates the instruments and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_ingest_records_total",
			Help: "Records read by ingestion, by log type and outcome (accepted, rejected).",
		}, []string{"log", "outcome"}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_ingest_commit_seconds",
			Help:    "Duration of one ingest batch transaction.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_ingest_devices_written_total",
			Help: "Device records written by ingest transactions.",
		}),
		devices: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_inventory_devices",
			Help: "Devices in the inventory held by this process.",
		}),
	}
	reg.MustRegister(m.records, m.commits, m.written, m.devices)
	return m
}

func (m *Metrics) addRecords(log, outcome string, n int64) {
	if m == nil || n == 0 {
		return
	}
	if log == "" {
		log = "unknown"
	}
	m.records.WithLabelValues(log, outcome).Add(float64(n))
}

func (m *Metrics) observeCommit(d time.Duration, written, devices int) {
	if m == nil {
		return
	}
	m.commits.Observe(d.Seconds())
	m.written.Add(float64(written))
	m.devices.Set(float64(devices))
}
