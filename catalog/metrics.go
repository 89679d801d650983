package catalog

import "github.com/prometheus/client_golang/prometheus"

// cacheMetrics are the collectors of the state cache, registered with
// Config.Registerer when one is given.
type cacheMetrics struct {
	lookups   *prometheus.CounterVec
	names     prometheus.Gauge
	tables    prometheus.Gauge
	evictions prometheus.Counter
	waits     prometheus.Counter
	resyncs   prometheus.Counter
}

func newCacheMetrics(reg prometheus.Registerer) (*cacheMetrics, error) {
	m := &cacheMetrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lakesoul_catalog", Name: "cache_lookups_total",
			Help: "Lookups in the watched catalog cache, by kind (name, table, access) and result (hit, miss).",
		}, []string{"kind", "result"}),
		names: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "lakesoul_catalog", Name: "cache_names",
			Help: "Table names cached with their ids.",
		}),
		tables: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "lakesoul_catalog", Name: "cache_tables",
			Help: "Tables whose head, metadata and oldest version are cached.",
		}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "lakesoul_catalog", Name: "cache_evictions_total",
			Help: "Cache entries evicted to stay within Config.StateCacheSize.",
		}),
		waits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "lakesoul_catalog", Name: "cache_waits_total",
			Help: "Reads that waited for the watch to deliver this catalog's own last write.",
		}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "lakesoul_catalog", Name: "cache_resyncs_total",
			Help: "Times the cache's etcd watch failed (compaction, leader loss, disconnect) and was restarted.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.lookups, m.names, m.tables, m.evictions, m.waits, m.resyncs} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *cacheMetrics) lookup(kind string, hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.lookups.WithLabelValues(kind, result).Inc()
}
