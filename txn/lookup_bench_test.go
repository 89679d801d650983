package txn

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// BenchmarkKeyLookup looks up random existing keys of the workload table
// after 10 upserts in the table store alone (no network): plan, then read
// the one bucket task, with a shared file cache as the server has. It
// reports the median and 99th percentile latency.
func BenchmarkKeyLookup(b *testing.B) {
	e, tbl := readBenchTable(b, 10)
	snap, err := e.cat.Snapshot(e.ctx, tbl.ID, latest())
	if err != nil {
		b.Fatal(err)
	}
	g := workload.New(1)
	g.Base(memory.DefaultAllocator, *benchRows, benchBatch) // advance to the keys written
	keys := int64(*benchRows) + int64(10*(*benchRows/5)/2)
	r := rand.New(rand.NewPCG(3, 3))
	cache := lsio.NewFileCache(lsio.DefaultFileCacheBytes)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := g.UUID(r.Int64N(keys))
		t0 := time.Now()
		rr, err := mor.Scan(e.ctx, e.st, snap, mor.ScanOptions{Filter: mor.Eq("uuid", key), Cache: cache})
		if err != nil {
			b.Fatal(err)
		}
		n := int64(0)
		for rr.Next() {
			n += rr.RecordBatch().NumRows()
		}
		if err := rr.Err(); err != nil {
			b.Fatal(err)
		}
		rr.Release()
		lat = append(lat, time.Since(t0))
		if n != 1 {
			b.Fatalf("key %s: %d rows", key, n)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
