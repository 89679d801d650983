package lsio_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// writePointFile writes rows of allTypesSchema with the key column "id"
// and a string key-like column "s", small pages and row groups, so that
// rows spread over several row groups and many pages.
func writePointFile(t *testing.T, st lsio.Storage, rows int) arrow.RecordBatch {
	t.Helper()
	rec := buildAllTypes(memory.DefaultAllocator, 0, rows)
	_, err := lsio.WriteParquet(context.Background(), st, "p.parquet", rec.Schema(), []arrow.RecordBatch{rec},
		lsio.WriteOptions{RowGroupRows: 1000, PageBytes: 1024, KeyColumns: []string{"id", "s"}, Rows: int64(rows)})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestReadRangesEveryType(t *testing.T) {
	ctx := context.Background()
	st := lsio.NewMem()
	want := writePointFile(t, st, 2500)
	defer want.Release()
	mem := checkedAlloc(t)
	pf, err := lsio.OpenParquet(ctx, st, "p.parquet", lsio.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if pf.NumRowGroups() != 3 {
		t.Fatalf("%d row groups, want 3", pf.NumRowGroups())
	}
	names := make([]string, want.NumCols())
	for i, f := range want.Schema().Fields() {
		names[i] = f.Name
	}
	for _, tc := range []struct {
		rg     int
		ranges []lsio.RowRange
	}{
		{0, []lsio.RowRange{{Start: 0, Rows: 1}}},
		{0, []lsio.RowRange{{Start: 999, Rows: 1}}},
		{1, []lsio.RowRange{{Start: 3, Rows: 2}, {Start: 500, Rows: 1}, {Start: 998, Rows: 2}}},
		{2, []lsio.RowRange{{Start: 0, Rows: 500}}},
		{2, []lsio.RowRange{{Start: 250, Rows: 7}, {Start: 400, Rows: 100}}},
		{1, []lsio.RowRange{{Start: 0, Rows: 1}, {Start: 1, Rows: 1}, {Start: 40, Rows: 1}, {Start: 300, Rows: 3}, {Start: 301 + 300, Rows: 1}, {Start: 999, Rows: 1}}},
	} {
		t.Run(fmt.Sprint(tc.rg, tc.ranges), func(t *testing.T) {
			got, err := pf.ReadRanges(ctx, names, tc.rg, tc.ranges)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			var parts []arrow.RecordBatch
			for _, r := range tc.ranges {
				start := int64(tc.rg)*1000 + r.Start
				parts = append(parts, want.NewSlice(start, start+r.Rows))
			}
			exp := concatRecords(t, memory.DefaultAllocator, want.Schema(), parts)
			for _, p := range parts {
				p.Release()
			}
			defer exp.Release()
			assertColumnsEqual(t, exp, got, names)
		})
	}
	for _, bad := range [][]lsio.RowRange{{{Start: 5, Rows: 2}, {Start: 4, Rows: 1}}, {{Start: 999, Rows: 2}}, {{Start: 0, Rows: 0}}} {
		if _, err := pf.ReadRanges(ctx, names, 0, bad); err == nil {
			t.Errorf("ReadRanges(%v) succeeded, want an error", bad)
		}
	}
	if _, err := pf.ReadRanges(ctx, names, 3, []lsio.RowRange{{Start: 0, Rows: 1}}); err == nil {
		t.Error("ReadRanges of a missing row group succeeded")
	}
}

func TestBloomFiltersAndPageStats(t *testing.T) {
	ctx := context.Background()
	st := lsio.NewMem()
	want := writePointFile(t, st, 2500)
	defer want.Release()
	cache := lsio.NewFileCache(1 << 20)
	for pass := 0; pass < 2; pass++ {
		pf, err := lsio.OpenParquet(ctx, st, "p.parquet", lsio.ReadOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		ids := want.Column(0).(*array.Int64)
		ss := want.Column(want.Schema().FieldIndices("s")[0]).(*array.String)
		for rg := 0; rg < 3; rg++ {
			for _, i := range []int{rg * 1000, rg*1000 + 417, min(rg*1000+999, 2499)} {
				kept, err := pf.MayContain(ctx, rg, "id", []any{ids.Value(i)})
				if ok := len(kept) == 1; err != nil || !ok {
					t.Fatalf("row group %d: id %d present but MayContain = %v, %v", rg, ids.Value(i), ok, err)
				}
				if ss.IsValid(i) {
					if kept, err := pf.MayContain(ctx, rg, "s", []any{ss.Value(i)}); err != nil || len(kept) != 1 {
						t.Fatalf("row group %d: s %q present but MayContain = %v, %v", rg, ss.Value(i), kept, err)
					}
				}
			}
			// Keys of other row groups: a 1 % false-positive rate lets
			// almost all of 200 absent keys be excluded.
			var probe []any
			for k := int64(10000); k < 10200; k++ {
				probe = append(probe, k)
			}
			kept, err := pf.MayContain(ctx, rg, "id", probe)
			if err != nil {
				t.Fatal(err)
			}
			absent := len(probe) - len(kept)
			if absent < 180 {
				t.Fatalf("row group %d: only %d of 200 absent keys excluded", rg, absent)
			}
			// Columns without a bloom filter admit everything.
			if kept, _ := pf.MayContain(ctx, rg, "i64", []any{int64(-5)}); len(kept) != 1 {
				t.Fatal("a column without a bloom filter excluded a value")
			}
			pages, ok, err := pf.PageStats(ctx, rg, "id")
			if err != nil || !ok || len(pages) < 3 {
				t.Fatalf("row group %d: page stats %v, %v, %v; want several pages", rg, len(pages), ok, err)
			}
			next := int64(0)
			for _, p := range pages {
				if p.FirstRow != next || p.Rows <= 0 || !p.HasMinMax {
					t.Fatalf("row group %d: page %+v after row %d", rg, p, next)
				}
				lo, hi := ids.Value(rg*1000+int(p.FirstRow)), ids.Value(rg*1000+int(p.FirstRow+p.Rows)-1)
				if p.Min.(int64) != lo || p.Max.(int64) != hi {
					t.Fatalf("row group %d: page %+v, want min %d max %d", rg, p, lo, hi)
				}
				next += p.Rows
			}
			if next != 1000 && !(rg == 2 && next == 500) {
				t.Fatalf("row group %d: pages cover %d rows", rg, next)
			}
		}
		pf.Close()
	}
	s := cache.Stats()
	if s.Hits[lsio.CacheFooter] != 1 || s.Misses[lsio.CacheFooter] != 1 || s.Hits[lsio.CacheBloom] == 0 || s.Hits[lsio.CachePages] != 3 {
		t.Fatalf("cache stats %+v", s)
	}
}

func TestFileCacheBound(t *testing.T) {
	ctx := context.Background()
	st := lsio.NewMem()
	rec := writePointFile(t, st, 2500)
	rec.Release()
	cache := lsio.NewFileCache(200 << 10)
	pf, err := lsio.OpenParquet(ctx, st, "p.parquet", lsio.ReadOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	for rg := 0; rg < 3; rg++ {
		for k := int64(0); k < 3; k++ {
			if _, err := pf.MayContain(ctx, rg, "id", []any{k}); err != nil {
				t.Fatal(err)
			}
			if _, err := pf.MayContain(ctx, rg, "s", []any{"x"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s := cache.Stats(); s.Bytes > 200<<10 || s.Entries == 0 {
		t.Fatalf("cache holds %d bytes in %d entries, budget %d", s.Bytes, s.Entries, 200<<10)
	}
}

// Readers sharing one cache from many goroutines, with a budget small
// enough to evict all the time, get the same answers as without a cache.
func TestFileCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	st := lsio.NewMem()
	want := writePointFile(t, st, 2500)
	defer want.Release()
	ids := want.Column(0).(*array.Int64)
	cache := lsio.NewFileCache(8 << 10)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				row := (g*997 + i*131) % 2500
				rg := row / 1000
				pf, err := lsio.OpenParquet(ctx, st, "p.parquet", lsio.ReadOptions{Cache: cache})
				if err != nil {
					errs <- err
					return
				}
				kept, err := pf.MayContain(ctx, rg, "id", []any{ids.Value(row)})
				if err == nil && len(kept) != 1 {
					err = fmt.Errorf("row %d: bloom filter lost its key", row)
				}
				if err == nil {
					var pages []lsio.PageStats
					pages, _, err = pf.PageStats(ctx, rg, "id")
					if err == nil && len(pages) == 0 {
						err = fmt.Errorf("row group %d: no pages", rg)
					}
				}
				if err == nil {
					var rec arrow.RecordBatch
					rec, err = pf.ReadRanges(ctx, []string{"id", "s"}, rg, []lsio.RowRange{{Start: int64(row % 1000), Rows: 1}})
					if err == nil {
						if got := rec.Column(0).(*array.Int64).Value(0); got != ids.Value(row) {
							err = fmt.Errorf("row %d: read id %d", row, got)
						}
						rec.Release()
					}
				}
				pf.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if s := cache.Stats(); s.Bytes > 8<<10 || s.Evictions == 0 {
		t.Fatalf("cache stats %+v: want evictions within the budget", s)
	}
}
