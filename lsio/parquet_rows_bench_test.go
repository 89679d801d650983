package lsio_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// BenchmarkReadRows compares decoding every row of one 64Ki-row group of
// the upsert workload's columns with reading about 6 % of its rows by
// position.
func BenchmarkReadRows(b *testing.B) {
	ctx := context.Background()
	st, err := lsio.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	recs := workload.New(1).Base(memory.DefaultAllocator, 64<<10, 64<<10)
	defer workload.Release(recs)
	if _, err = lsio.WriteParquet(ctx, st, "w.parquet", recs[0].Schema(), recs, lsio.WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	pf, err := lsio.OpenParquet(ctx, st, "w.parquet", lsio.ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer pf.Close()
	cols := []string{"ip", "hostname", "requests", "name", "job", "phonenum"}
	r := rand.New(rand.NewPCG(1, 2))
	var rows []int64
	for i := int64(0); i < 64<<10; i++ {
		if r.IntN(16) == 0 {
			rows = append(rows, i)
		}
	}
	b.Run("all", func(b *testing.B) {
		for range b.N {
			rr, err := pf.Read(ctx, cols, nil)
			if err != nil {
				b.Fatal(err)
			}
			for rr.Next() {
			}
			rr.Release()
		}
	})
	b.Run("rows", func(b *testing.B) {
		for range b.N {
			rd, err := pf.NewRowReader(ctx, cols, memory.DefaultAllocator)
			if err != nil {
				b.Fatal(err)
			}
			rec, err := rd.ReadRows(rows)
			if err != nil {
				b.Fatal(err)
			}
			rec.Release()
		}
	})
}
