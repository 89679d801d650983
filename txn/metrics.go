package txn

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

// Conflict kinds, the label of the conflicts metric.
const (
	// conflictLostRace: a commit attempt lost the race for the table's
	// head to another process (or Writer) and rebased; not a failure.
	conflictLostRace = "lost_race"
	// conflictRemovedFile: a concurrent commit removed a file this one
	// removes too.
	conflictRemovedFile = "removed_file"
	// conflictExclusive: any concurrent commit fails a rollback.
	conflictExclusive = "exclusive"
	// conflictOlderRuns: a concurrent commit put older runs into a bucket
	// a compaction rewrites.
	conflictOlderRuns = "older_runs"
	// conflictPartition: a concurrent commit touched a partition a delete,
	// update or overwrite read.
	conflictPartition = "partition"
	// conflictExpired: versions this write did not check were expired.
	conflictExpired = "expired"
	// conflictGaveUp: MaxAttempts lost races.
	conflictGaveUp = "gave_up"
)

// metrics are the Writer's commit metrics; a nil *metrics records nothing.
type metrics struct {
	latency   *prometheus.HistogramVec
	attempts  prometheus.Histogram
	conflicts *prometheus.CounterVec
	batch     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lakesoul_txn_commit_seconds",
			Help:    "Time from a write's files being stored to its commit's outcome, by operation and result (ok, conflict, error).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"op", "result"}),
		attempts: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lakesoul_txn_commit_attempts",
			Help:    "etcd transactions a commit took part in until its outcome.",
			Buckets: []float64{1, 2, 3, 5, 8, 13, 21, 34, 55, 100}}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lakesoul_txn_conflicts_total",
			Help: "Commit conflicts by kind: lost_race (rebased and retried), and the kinds that fail a commit (removed_file, exclusive, older_runs, partition, expired, gave_up)."},
			[]string{"kind"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lakesoul_txn_commit_batch_size",
			Help:    "Commits sent to etcd together in one transaction (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 48}}),
	}
	for _, c := range []prometheus.Collector{m.latency, m.attempts, m.conflicts, m.batch} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// committed records the outcome of one commit.
func (m *metrics) committed(op catalog.Operation, took time.Duration, attempts int, err error) {
	if m == nil {
		return
	}
	result := "ok"
	switch {
	case errors.Is(err, ErrConflict):
		result = "conflict"
		var ce *conflictError
		if errors.As(err, &ce) {
			m.conflicts.WithLabelValues(ce.kind).Inc()
		}
	case err != nil:
		result = "error"
	}
	m.latency.WithLabelValues(string(op), result).Observe(took.Seconds())
	if attempts > 0 {
		m.attempts.Observe(float64(attempts))
	}
}

// lostRace records a batch of n commits that lost the race for the head.
func (m *metrics) lostRace(n int) {
	if m != nil {
		m.conflicts.WithLabelValues(conflictLostRace).Add(float64(n))
	}
}

// sent records a batch sent to etcd.
func (m *metrics) sent(n int) {
	if m != nil {
		m.batch.Observe(float64(n))
	}
}
