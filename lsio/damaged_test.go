package lsio

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestDamagedParquetFiles opens and reads thousands of damaged copies of
// small files: random bytes, bit flips and large 32-bit values written
// anywhere. The fixed seed reaches footers with an unknown logical type
// and column chunks at negative offsets, on which the Parquet library
// panics (once in a goroutine of its own); each must be an error.
func TestDamagedParquetFiles(t *testing.T) {
	seeds := footerSeeds(t)
	n := 5000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(3, 3))
	ctx := context.Background()
	for i := range n {
		b := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
		for range 1 + rng.IntN(3) {
			p := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[p] = byte(rng.IntN(256))
			case 1:
				if p+4 <= len(b) {
					copy(b[p:], []byte{0xff, 0xff, 0xff, 0x7f})
				}
			case 2:
				b[p] ^= 1 << rng.IntN(8)
			}
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("damaged file %d (%q): panic %v", i, b, r)
				}
			}()
			st := NewMem()
			if err := st.Put(ctx, "f.parquet", b); err != nil {
				t.Fatal(err)
			}
			pf, err := OpenParquet(ctx, st, "f.parquet", ReadOptions{Allocator: memory.NewGoAllocator(), BatchSize: 4})
			if err != nil {
				return
			}
			defer pf.Close()
			rr, err := pf.Read(ctx, nil, nil)
			if err != nil {
				return
			}
			defer rr.Release()
			for rows := int64(0); rows < 1<<12 && rr.Next(); {
				rows += rr.RecordBatch().NumRows()
			}
		}()
	}
}
