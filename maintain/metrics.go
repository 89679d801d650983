package maintain

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	compactions     *prometheus.CounterVec
	bytesRead       prometheus.Counter
	bytesWritten    prometheus.Counter
	filesRewritten  prometheus.Counter
	runs            prometheus.Histogram
	maxRuns         prometheus.Gauge
	backlog         prometheus.Gauge
	expiredVersions prometheus.Counter
	filesDeleted    *prometheus.CounterVec
	partitions      prometheus.Counter
	stalls          prometheus.Counter
	stallSeconds    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		compactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lakesoul_maintain_compactions_total",
			Help: "Compaction commits attempted, by result (ok, conflict, failed)."}, []string{"result"}),
		bytesRead: prometheus.NewCounter(prometheus.CounterOpts{Name: "lakesoul_maintain_compaction_read_bytes_total",
			Help: "Bytes of data files compaction read."}),
		bytesWritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "lakesoul_maintain_compaction_written_bytes_total",
			Help: "Bytes of data files compaction wrote."}),
		filesRewritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "lakesoul_maintain_compaction_files_total",
			Help: "Data files compaction replaced."}),
		runs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lakesoul_maintain_runs_per_bucket",
			Help: "Sorted runs (files) per (partition, bucket), observed after each commit.", Buckets: []float64{1, 2, 3, 4, 5, 8, 12, 16, 24, 32, 64}}),
		maxRuns: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lakesoul_maintain_max_runs",
			Help: "Most sorted runs in one bucket of the table looked at last."}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lakesoul_maintain_compaction_backlog",
			Help: "Buckets at or over their compaction trigger in the table looked at last."}),
		expiredVersions: prometheus.NewCounter(prometheus.CounterOpts{Name: "lakesoul_maintain_expired_versions_total",
			Help: "Table versions removed by expiry."}),
		filesDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lakesoul_maintain_deleted_files_total",
			Help: "Files deleted, by reason (expired, orphan, dropped_table)."}, []string{"reason"}),
		partitions: prometheus.NewCounter(prometheus.CounterOpts{Name: "lakesoul_maintain_dropped_partitions_total",
			Help: "Partitions dropped by their TTL."}),
		stalls: prometheus.NewCounter(prometheus.CounterOpts{Name: "lakesoul_maintain_writer_stalls_total",
			Help: "Writes that waited for compaction because a bucket had too many runs."}),
		stallSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lakesoul_maintain_writer_stall_seconds",
			Help: "How long stalled writes waited.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.compactions, m.bytesRead, m.bytesWritten, m.filesRewritten, m.runs, m.maxRuns,
			m.backlog, m.expiredVersions, m.filesDeleted, m.partitions, m.stalls, m.stallSeconds} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
