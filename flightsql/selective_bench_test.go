package flightsql_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// selectiveRows is the base size of BenchmarkSelective's table; it then
// receives 10 upserts of a fifth of it (half updates), as the upsert
// workload does.
var selectiveRows = flag.Int("bench.selective-rows", 200_000, "base rows of BenchmarkSelective's table")

// BenchmarkSelective measures selective reads through the real client path
// (GetFlightInfo, then DoGet of every endpoint, on loopback) of a table of
// the upsert workload after 10 upserts: a point lookup by key, an IN-list
// of 100 keys, an equality on a non-key column and a range on one. It
// reports the median and 99th percentile latency.
func BenchmarkSelective(b *testing.B) {
	s := startServer(b, serverOpts{})
	c := s.client(b)
	ctx := context.Background()
	w, err := txn.New(txn.Config{Catalog: s.cat, Storage: s.st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.cat.CreateNamespace(ctx, "bench", nil); err != nil {
		b.Fatal(err)
	}
	tbl, err := s.cat.CreateTable(ctx, catalog.TableSpec{Namespace: "bench", Name: "t", Schema: workload.Schema,
		PrimaryKey: []string{"uuid"}, HashBucketNum: 4})
	if err != nil {
		b.Fatal(err)
	}
	g := workload.New(1)
	for round := 0; round <= 10; round++ {
		var recs []arrow.RecordBatch
		if round == 0 {
			recs = g.Base(memory.DefaultAllocator, *selectiveRows, 65536)
		} else {
			recs = g.Upsert(memory.DefaultAllocator, *selectiveRows/5, 0.5, 65536, round)
		}
		if _, err := w.Upsert(ctx, tbl, recs...); err != nil {
			b.Fatal(err)
		}
		workload.Release(recs)
	}
	keys := g.Keys()
	r := rand.New(rand.NewPCG(7, 7))
	key := func() string { return g.UUID(r.Int64N(keys)) }
	run := func(b *testing.B, q func() string, wantRows func(int64) bool) {
		var lat []time.Duration
		var info time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sql := q()
			t0 := time.Now()
			n, ti := flightRows(b, c, sql)
			lat = append(lat, time.Since(t0))
			info += ti
			if !wantRows(n) {
				b.Fatalf("%s: %d rows", sql, n)
			}
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(info.Microseconds())/1000/float64(b.N), "ms/getflightinfo")
	}
	b.Run("point", func(b *testing.B) {
		run(b, func() string { return fmt.Sprintf("SELECT * FROM bench.t WHERE uuid = '%s'", key()) },
			func(n int64) bool { return n == 1 })
	})
	b.Run("in100", func(b *testing.B) {
		run(b, func() string {
			ks := make([]string, 100)
			for i := range ks {
				ks[i] = "'" + key() + "'"
			}
			return "SELECT * FROM bench.t WHERE uuid IN (" + strings.Join(ks, ", ") + ")"
		}, func(n int64) bool { return n > 90 && n <= 100 })
	})
	b.Run("city", func(b *testing.B) {
		run(b, func() string { return "SELECT * FROM bench.t WHERE city = 'Berlin'" }, func(n int64) bool { return n > 0 })
	})
	b.Run("range", func(b *testing.B) {
		run(b, func() string { return "SELECT * FROM bench.t WHERE requests BETWEEN 100000 AND 150000" },
			func(n int64) bool { return n > 0 })
	})
}

// flightRows runs q through GetFlightInfo and DoGet of each endpoint and
// counts the rows; it also returns the time GetFlightInfo took.
func flightRows(b *testing.B, c *flightsql.Client, q string) (int64, time.Duration) {
	ctx := context.Background()
	t0 := time.Now()
	info, err := c.Execute(ctx, q)
	ti := time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, ep := range info.Endpoint {
		rd, err := c.DoGet(ctx, ep.Ticket)
		if err != nil {
			b.Fatal(err)
		}
		for rd.Next() {
			n += rd.RecordBatch().NumRows()
		}
		if err := rd.Err(); err != nil {
			b.Fatal(err)
		}
		rd.Release()
	}
	return n, ti
}
