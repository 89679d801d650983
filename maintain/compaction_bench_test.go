package maintain

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

var (
	benchBase  = flag.Int("maint.base", 1_000_000, "base rows of BenchmarkUpsertSeries (full scale: 10,000,000)")
	benchProps = flag.String("maint.props", "", "table properties of BenchmarkUpsertSeries, as k=v,k=v (for example compaction.size_ratio=1)")
)

// BenchmarkUpsertSeries is LakeSoul's upsert workload: a base, then either
// 10 upserts or 100 small ones of the same total size (twice the base, half
// of the rows updates), with the maintenance service's compaction off and
// on. It reports the write time of the series, the full merged read after
// it (median of 3, read right after the last write, as a user would, and
// again once the compactor has nothing left to do), the
// most runs a bucket reached, and write amplification (bytes written by
// upserts and compaction over bytes written by upserts). The goal: the
// read after 100 small upserts with compaction within 10 % of the read
// after 10 upserts.
//
//	go test -run '^$' -bench UpsertSeries -benchtime 1x -timeout 60m ./maintain/ -args -maint.base 10000000
func BenchmarkUpsertSeries(b *testing.B) {
	for _, tc := range []struct {
		name       string
		upserts    int
		compaction bool
	}{
		{"10-upserts/compaction=off", 10, false},
		{"10-upserts/compaction=on", 10, true},
		{"100-upserts/compaction=off", 100, false},
		{"100-upserts/compaction=on", 100, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				upsertSeries(b, tc.upserts, tc.compaction)
			}
		})
	}
}

func upsertSeries(b *testing.B, upserts int, compaction bool) {
	cli := etcdtest.Start(b)
	st, err := lsio.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	n := newNode(b, cli, st, func(c *Config) { c.Compaction = compaction; c.Retention = false })
	ctx := context.Background()
	tbl, err := n.cat.CreateTable(ctx, catalog.TableSpec{Namespace: "default", Name: "bench", Schema: workload.Schema,
		PrimaryKey: []string{"uuid"}, HashBucketNum: 4, Properties: benchProperties(b)})
	if err != nil {
		b.Fatal(err)
	}
	g := workload.New(1)
	base := g.Base(memory.DefaultAllocator, *benchBase, 65536)
	if _, err := n.w.Upsert(ctx, tbl, base...); err != nil {
		b.Fatal(err)
	}
	workload.Release(base)
	per := 2 * *benchBase / upserts
	var write time.Duration
	most := 0
	for i := range upserts {
		recs := g.Upsert(memory.DefaultAllocator, per, 0.5, 65536, i+1)
		start := time.Now()
		if _, err := n.w.Upsert(ctx, tbl, recs...); err != nil {
			b.Fatal(err)
		}
		write += time.Since(start)
		workload.Release(recs)
		most = max(most, maxRuns(b, n.cat, tbl.ID))
	}
	read := medianRead(b, n, st, tbl.ID)
	// Once the compactor has caught up (nothing due), as a reader later on
	// would find the table.
	settled := read
	if compaction {
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) && anyDue(b, n, tbl.ID) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // a compaction picked but not committed yet
		settled = medianRead(b, n, st, tbl.ID)
	}
	// Write amplification from the history.
	hist, err := n.cat.Commits(ctx, tbl.ID, 0, -1)
	if err != nil {
		b.Fatal(err)
	}
	var upBytes, compBytes int64
	for _, c := range hist[2:] { // after the base
		for _, f := range c.Added {
			if c.Operation == catalog.OpCompaction {
				compBytes += f.Size
			} else {
				upBytes += f.Size
			}
		}
	}
	b.ReportMetric(write.Seconds(), "write-s")
	b.ReportMetric(read, "read-s")
	b.ReportMetric(settled, "read-settled-s")
	b.ReportMetric(float64(most), "max-runs")
	b.ReportMetric(float64(upBytes+compBytes)/float64(upBytes), "write-amp")
}

// anyDue reports whether a bucket of the table is due for compaction.
func anyDue(b *testing.B, n *node, id string) bool {
	ctx := context.Background()
	tbl, err := n.cat.LoadTableByID(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	pol, err := PolicyOf(tbl)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := n.cat.Snapshot(ctx, id, catalog.SnapshotSpec{})
	if err != nil {
		b.Fatal(err)
	}
	for _, sizes := range runSizes(snap) {
		if pol.Due(sizes) {
			return true
		}
	}
	return false
}

// medianRead times three full merged reads of the latest snapshot.
func medianRead(b *testing.B, n *node, st lsio.Storage, id string) float64 {
	ctx := context.Background()
	var secs []float64
	for range 3 {
		snap, err := n.cat.Snapshot(ctx, id, catalog.SnapshotSpec{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		rr, err := mor.Scan(ctx, st, snap, mor.ScanOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rows := int64(0)
		for rr.Next() {
			rows += rr.RecordBatch().NumRows()
		}
		if err := rr.Err(); err != nil {
			b.Fatal(err)
		}
		rr.Release()
		secs = append(secs, time.Since(start).Seconds())
		if rows < int64(*benchBase) {
			b.Fatal(fmt.Sprintf("read %d rows, fewer than the base", rows))
		}
	}
	slices.Sort(secs)
	return secs[1]
}

// benchProperties parses -maint.props.
func benchProperties(b *testing.B) map[string]string {
	if *benchProps == "" {
		return nil
	}
	props := map[string]string{}
	for _, kv := range strings.Split(*benchProps, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			b.Fatalf("-maint.props: %q is not k=v", kv)
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return props
}
