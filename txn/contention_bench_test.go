package txn

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// BenchmarkContention measures commits racing for one table: writers
// commit to disjoint keys of one partition, each waiting for its commit
// before the next. Reported: latency of the whole write call (p50, p99,
// max: files written and committed), that of its commit step alone
// (commit-*: from the files being stored to the outcome), commits/s of
// all writers together, and commits that failed (aborted).
//
// replicas > 1 gives each replica its own catalog and Writer on the same
// etcd, as separate server processes would have.
func BenchmarkContention(b *testing.B) {
	cases := []struct {
		name                            string
		op                              catalog.Operation
		writers, commits, rows, replica int
	}{
		{"upsert/w8x200x100", catalog.OpUpsert, 8, 200, 100, 1},
		{"append/w8x200x100", catalog.OpAppend, 8, 200, 100, 1},
		{"upsert/w32x50x1", catalog.OpUpsert, 32, 50, 1, 1},
		{"upsert/replicas2/w8x200x100", catalog.OpUpsert, 8, 200, 100, 2},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			client := etcdtest.Start(b)
			st, err := lsio.NewLocal(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			e := newEnvWith(b, client, st)
			e.w.cfg.Allocator = memory.DefaultAllocator
			writers := []*Writer{e.w}
			for r := 1; r < c.replica; r++ {
				o := newEnvWith(b, client, st)
				o.w.cfg.Allocator = memory.DefaultAllocator
				writers = append(writers, o.w)
			}
			var (
				cmu       sync.Mutex
				commitLat []time.Duration
			)
			for _, w := range writers {
				w.observeCommit = func(took time.Duration, _ error) {
					cmu.Lock()
					commitLat = append(commitLat, took)
					cmu.Unlock()
				}
			}
			var lat []time.Duration
			var aborted int
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				spec := catalog.TableSpec{Name: "contention" + itoa(i), Schema: peopleSchema, PartitionBy: []string{"dt"}}
				if c.op == catalog.OpUpsert {
					spec.PrimaryKey, spec.HashBucketNum = []string{"id"}, 4
				}
				tbl := e.table(spec)
				l, ab, el := runContention(b, writers, tbl, c.op, c.writers, c.commits, c.rows)
				lat = append(lat, l...)
				aborted += ab
				elapsed += el
			}
			pct := func(lat []time.Duration, p float64) float64 {
				slices.Sort(lat)
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1e3
			}
			b.ReportMetric(pct(lat, 0.50), "p50-ms")
			b.ReportMetric(pct(lat, 0.99), "p99-ms")
			b.ReportMetric(pct(lat, 1), "max-ms")
			if len(commitLat) > 0 {
				b.ReportMetric(pct(commitLat, 0.50), "commit-p50-ms")
				b.ReportMetric(pct(commitLat, 0.99), "commit-p99-ms")
				b.ReportMetric(pct(commitLat, 1), "commit-max-ms")
			}
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "commits/s")
			b.ReportMetric(float64(aborted)/float64(b.N), "aborted")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// runContention runs one contention round on tbl and returns the latency
// of every commit, the number that failed and the wall time.
func runContention(b *testing.B, writers []*Writer, tbl *catalog.Table, op catalog.Operation, n, commits, rows int) ([]time.Duration, int, time.Duration) {
	recs := make([][]arrow.RecordBatch, n)
	for g := range recs {
		recs[g] = make([]arrow.RecordBatch, commits)
		for i := range recs[g] {
			recs[g][i] = contentionRows(g, i, rows)
		}
	}
	defer func() {
		for _, rs := range recs {
			for _, r := range rs {
				r.Release()
			}
		}
	}()
	lat := make([][]time.Duration, n)
	var mu sync.Mutex
	aborted := 0
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			w := writers[g%len(writers)]
			for i := 0; i < commits; i++ {
				t0 := time.Now()
				var err error
				if op == catalog.OpAppend {
					_, err = w.Append(b.Context(), tbl, recs[g][i])
				} else {
					_, err = w.Upsert(b.Context(), tbl, recs[g][i])
				}
				lat[g] = append(lat[g], time.Since(t0))
				if err != nil {
					if !errors.Is(err, ErrConflict) {
						b.Error(err)
					}
					mu.Lock()
					aborted++
					mu.Unlock()
				}
			}
		}(g)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return all, aborted, elapsed
}

// contentionRows is commit i of writer g: rows rows of keys only g writes,
// all in partition "same".
func contentionRows(g, i, rows int) arrow.RecordBatch {
	bld := array.NewRecordBuilder(memory.DefaultAllocator, peopleSchema)
	defer bld.Release()
	ids, names, scores, dts := bld.Field(0).(*array.Int64Builder), bld.Field(1).(*array.StringBuilder), bld.Field(2).(*array.Float64Builder), bld.Field(3).(*array.StringBuilder)
	for r := 0; r < rows; r++ {
		ids.Append(int64(g)<<40 | int64(i*rows+r))
		names.Append(fmt.Sprintf("w%d", g))
		scores.Append(float64(i))
		dts.Append("same")
	}
	return bld.NewRecordBatch()
}
