package txn

import (
	"flag"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// The LakeSoul upsert workload at 1/10 of its published size by default:
// a base write of benchRows rows and upserts of benchRows/5 rows, half
// updates and half inserts, into 4 hash buckets.
var benchRows = flag.Int("bench.rows", 1_000_000, "base rows of the upsert workload benchmarks")

const benchBatch = 65536

// benchEnv is an env on a local warehouse that allocates with the plain Go
// allocator, as the server does.
func benchEnv(b *testing.B) (*env, *catalog.Table) {
	e := newEnv(b, localStorage)
	e.w.cfg.Allocator = memory.DefaultAllocator
	e.w.cfg.Write.RowGroupRows = 0 // library default
	tbl := e.table(catalog.TableSpec{Name: "bench", Schema: workload.Schema, PrimaryKey: []string{"uuid"}, HashBucketNum: 4})
	return e, tbl
}

func reportWrite(b *testing.B, rows, bytes int64) {
	secs := b.Elapsed().Seconds()
	mbps := float64(bytes) * float64(b.N) / secs / 1e6
	b.ReportMetric(float64(rows)*float64(b.N)/secs, "rows/s")
	b.ReportMetric(mbps, "MB/s")
	b.ReportMetric(mbps/float64(runtime.GOMAXPROCS(0)), "MB/s/core")
}

// BenchmarkBaseWrite writes the base data into a fresh table each time.
func BenchmarkBaseWrite(b *testing.B) {
	e, _ := benchEnv(b)
	g := workload.New(1)
	recs := g.Base(memory.DefaultAllocator, *benchRows, benchBatch)
	defer workload.Release(recs)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tbl := e.table(catalog.TableSpec{Name: "base" + itoa(i), Schema: workload.Schema, PrimaryKey: []string{"uuid"}, HashBucketNum: 4})
		b.StartTimer()
		if _, err := e.w.Upsert(e.ctx, tbl, recs...); err != nil {
			b.Fatal(err)
		}
	}
	reportWrite(b, int64(*benchRows), workload.Bytes(recs))
}

// BenchmarkUpsertWrite measures one upsert (half updates, half inserts) on
// top of the base data.
func BenchmarkUpsertWrite(b *testing.B) {
	e, tbl := benchEnv(b)
	g := workload.New(1)
	base := g.Base(memory.DefaultAllocator, *benchRows, benchBatch)
	if _, err := e.w.Upsert(e.ctx, tbl, base...); err != nil {
		b.Fatal(err)
	}
	workload.Release(base)
	n := *benchRows / 5
	var bytes int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		recs := g.Upsert(memory.DefaultAllocator, n, 0.5, benchBatch, i+1)
		bytes = workload.Bytes(recs)
		b.StartTimer()
		if _, err := e.w.Upsert(e.ctx, tbl, recs...); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		workload.Release(recs)
		b.StartTimer()
	}
	reportWrite(b, int64(n), bytes)
}

// readBenchTable writes the base and the given number of upserts.
func readBenchTable(b *testing.B, upserts int) (*env, *catalog.Table) {
	e, tbl := benchEnv(b)
	g := workload.New(1)
	base := g.Base(memory.DefaultAllocator, *benchRows, benchBatch)
	if _, err := e.w.Upsert(e.ctx, tbl, base...); err != nil {
		b.Fatal(err)
	}
	workload.Release(base)
	for i := 0; i < upserts; i++ {
		recs := g.Upsert(memory.DefaultAllocator, *benchRows/5/(upserts/10), 0.5, benchBatch, i+1)
		if _, err := e.w.Upsert(e.ctx, tbl, recs...); err != nil {
			b.Fatal(err)
		}
		workload.Release(recs)
	}
	return e, tbl
}

func benchScan(b *testing.B, e *env, tbl *catalog.Table) {
	snap, err := e.cat.Snapshot(e.ctx, tbl.ID, latest())
	if err != nil {
		b.Fatal(err)
	}
	var rows, bytes int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rr, err := mor.Scan(e.ctx, e.st, snap, mor.ScanOptions{Allocator: memory.DefaultAllocator})
		if err != nil {
			b.Fatal(err)
		}
		rows, bytes = 0, 0
		for rr.Next() {
			rec := rr.RecordBatch()
			rows += rec.NumRows()
			bytes += workload.Bytes([]arrow.RecordBatch{rec})
		}
		if err := rr.Err(); err != nil {
			b.Fatal(err)
		}
		rr.Release()
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(rows)*float64(b.N)/secs, "rows/s")
	b.ReportMetric(float64(bytes)*float64(b.N)/secs/1e6, "MB/s")
	b.ReportMetric(float64(rows), "rows")
}

// BenchmarkMORRead reads the table after 10 upserts: every bucket merges 11
// sorted runs.
func BenchmarkMORRead(b *testing.B) {
	e, tbl := readBenchTable(b, 10)
	benchScan(b, e, tbl)
}

// BenchmarkMORRead100 reads after 100 smaller upserts of the same total size.
func BenchmarkMORRead100(b *testing.B) {
	e, tbl := readBenchTable(b, 100)
	benchScan(b, e, tbl)
}

// BenchmarkCompactedRead reads the same data compacted into one file per
// bucket: the plain read a merged read is compared with.
func BenchmarkCompactedRead(b *testing.B) {
	e, tbl := readBenchTable(b, 10)
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1}); err != nil {
		b.Fatal(err)
	}
	benchScan(b, e, tbl)
}

// BenchmarkPointLookup reads one key by primary-key equality after 10
// upserts: the bucket is chosen by hash, row groups by key statistics, and
// only the rows of the key are merged.
func BenchmarkPointLookup(b *testing.B) {
	e, tbl := readBenchTable(b, 10)
	snap, err := e.cat.Snapshot(e.ctx, tbl.ID, latest())
	if err != nil {
		b.Fatal(err)
	}
	g := workload.New(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := g.UUID(int64(i*7919) % int64(*benchRows))
		rr, err := mor.Scan(e.ctx, e.st, snap, mor.ScanOptions{Filter: mor.Eq("uuid", key), Allocator: memory.DefaultAllocator})
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for rr.Next() {
			rows += rr.RecordBatch().NumRows()
		}
		if err := rr.Err(); err != nil {
			b.Fatal(err)
		}
		rr.Release()
		if rows != 1 {
			b.Fatalf("lookup of %s returned %d rows", key, rows)
		}
	}
}
