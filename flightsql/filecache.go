package flightsql

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// fileCacheCollector exports the counters of the server's Parquet file
// cache (footers, bloom filters, page indexes).
type fileCacheCollector struct {
	cache                                 *lsio.FileCache
	hits, misses, evictions, bytes, count *prometheus.Desc
}

func registerFileCache(reg prometheus.Registerer, c *lsio.FileCache) error {
	if reg == nil {
		return nil
	}
	return reg.Register(&fileCacheCollector{
		cache: c,
		hits: prometheus.NewDesc("lakesoul_file_cache_hits_total",
			"Lookups of parsed Parquet metadata served by the file cache, by kind (footer, bloom_filter, page_index).", []string{"kind"}, nil),
		misses: prometheus.NewDesc("lakesoul_file_cache_misses_total",
			"Lookups of parsed Parquet metadata the file cache did not hold (read from storage), by kind.", []string{"kind"}, nil),
		evictions: prometheus.NewDesc("lakesoul_file_cache_evictions_total",
			"Entries the file cache dropped to stay within its byte budget.", nil, nil),
		bytes: prometheus.NewDesc("lakesoul_file_cache_bytes",
			"Estimated bytes held by the file cache.", nil, nil),
		count: prometheus.NewDesc("lakesoul_file_cache_entries",
			"Entries held by the file cache.", nil, nil),
	})
}

func (c *fileCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hits, c.misses, c.evictions, c.bytes, c.count} {
		ch <- d
	}
}

func (c *fileCacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.cache.Stats()
	for kind, name := range lsio.CacheKindNames {
		ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.Hits[kind]), name)
		ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.Misses[kind]), name)
	}
	ch <- prometheus.MustNewConstMetric(c.evictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(s.Entries))
}
