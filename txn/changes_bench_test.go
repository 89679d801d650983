package txn

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// BenchmarkChanges reads the changes of one upsert (half updates, half
// inserts) on top of the base write of -bench.rows rows, and for
// comparison the full merged read of the same version. The upsert is 100
// rows, 1% or 20% of the base.
func BenchmarkChanges(b *testing.B) {
	for _, size := range []struct {
		name string
		rows int
	}{{"upsert-100rows", 100}, {"upsert-1pct", *benchRows / 100}, {"upsert-20pct", *benchRows / 5}} {
		b.Run(size.name, func(b *testing.B) {
			e, tbl := benchEnv(b)
			g := workload.New(1)
			base := g.Base(memory.DefaultAllocator, *benchRows, benchBatch)
			if _, err := e.w.Upsert(e.ctx, tbl, base...); err != nil {
				b.Fatal(err)
			}
			workload.Release(base)
			n := size.rows
			recs := g.Upsert(memory.DefaultAllocator, n, 0.5, benchBatch, 1)
			cm, err := e.w.Upsert(e.ctx, tbl, recs...)
			if err != nil {
				b.Fatal(err)
			}
			workload.Release(recs)
			from, err := e.cat.Snapshot(e.ctx, tbl.ID, atVersion(cm.Version-1))
			if err != nil {
				b.Fatal(err)
			}
			to, err := e.cat.Snapshot(e.ctx, tbl.ID, atVersion(cm.Version))
			if err != nil {
				b.Fatal(err)
			}
			commits, err := e.cat.Commits(e.ctx, tbl.ID, cm.Version, cm.Version)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("changes", func(b *testing.B) {
				var rows int64
				for i := 0; i < b.N; i++ {
					rr, err := mor.Changes(e.ctx, e.st, from, to, commits, mor.ChangeOptions{Allocator: memory.DefaultAllocator})
					if err != nil {
						b.Fatal(err)
					}
					rows = drain(b, rr)
				}
				// Updates pick keys at random, some twice: at most two
				// rows per update and one per insert.
				if rows == 0 || rows > int64(n/2*2+(n-n/2)) {
					b.Fatalf("%d change rows for an upsert of %d rows", rows, n)
				}
				b.ReportMetric(float64(rows), "rows")
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
			b.Run("full-read", func(b *testing.B) {
				benchFullRead(b, e, to)
			})
		})
	}
}

func benchFullRead(b *testing.B, e *env, snap *catalog.Snapshot) {
	var rows int64
	for i := 0; i < b.N; i++ {
		rr, err := mor.Scan(e.ctx, e.st, snap, mor.ScanOptions{Allocator: memory.DefaultAllocator})
		if err != nil {
			b.Fatal(err)
		}
		rows = drain(b, rr)
	}
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// drain reads rr to its end, releases it and returns its row count.
func drain(b *testing.B, rr array.RecordReader) int64 {
	defer rr.Release()
	var rows int64
	for rr.Next() {
		rows += rr.RecordBatch().NumRows()
	}
	if err := rr.Err(); err != nil {
		b.Fatal(err)
	}
	return rows
}
