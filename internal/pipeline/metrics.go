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
	written *prometheus.CounterVec
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
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_ingest_devices_written_total",
			Help: "Devices written by ingest transactions, whole (changed) or as a sighting (only seen again).",
		}, []string{"kind"}),
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

func (m *Metrics) observeCommit(d time.Duration, whole, sighted, devices int) {
	if m == nil {
		return
	}
	m.commits.Observe(d.Seconds())
	m.written.WithLabelValues("whole").Add(float64(whole))
	m.written.WithLabelValues("sighting").Add(float64(sighted))
	m.devices.Set(float64(devices))
}
