package txn

import (
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// BenchmarkFilteredRead reads the upsert workload table after 10 upserts
// (11 overlapping runs per bucket) with a filter on non-key columns: an
// equality matching about 1/16 of the rows and a range matching about 5 %.
func BenchmarkFilteredRead(b *testing.B) {
	e, tbl := readBenchTable(b, 10)
	snap, err := e.cat.Snapshot(e.ctx, tbl.ID, latest())
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name   string
		filter mor.Expr
	}{
		{"city", mor.Eq("city", "Berlin")},
		{"range", mor.And(mor.Ge("requests", int64(100000)), mor.Le("requests", int64(149999)))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var rows int64
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rr, err := mor.Scan(e.ctx, e.st, snap, mor.ScanOptions{Filter: c.filter, Allocator: memory.DefaultAllocator})
				if err != nil {
					b.Fatal(err)
				}
				rows = 0
				for rr.Next() {
					rows += rr.RecordBatch().NumRows()
				}
				if err := rr.Err(); err != nil {
					b.Fatal(err)
				}
				rr.Release()
			}
			if rows == 0 {
				b.Fatal("no rows matched")
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// cpuTime is the CPU time the process used so far: on a shared machine it
// varies less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
