package txn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sortDedupe's specialised paths must agree with the generic one: sorted
// by key, one row per key, the last of the input.
func TestSortDedupeMatchesReference(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 1))
	for iter := 0; iter < 200; iter++ {
		n := r.IntN(300)
		sb := array.NewStringBuilder(mem)
		ib := array.NewInt64Builder(mem)
		for i := 0; i < n; i++ {
			k := r.IntN(1 + n/2)
			// Shared 8-byte prefixes and short keys exercise the tie-break.
			sb.Append(fmt.Sprintf("%s%d", []string{"", "prefix__", "a"}[k%3], k))
			ib.Append(int64(k - n/4))
		}
		sa, ia := sb.NewArray(), ib.NewArray()
		sb.Release()
		ib.Release()
		for _, col := range []arrow.Array{sa, ia} {
			rows := make([]int32, n)
			for i := range rows {
				rows[i] = int32(i)
			}
			r.Shuffle(n, func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
			got := sortDedupe([]arrow.Array{col}, slices.Clone(rows))
			// Reference: generic path via a two-column key of (col, col).
			want := sortDedupe([]arrow.Array{col, col}, slices.Clone(rows))
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d: %s: got %v want %v", seed, col.DataType(), got, want)
			}
			last := map[string]int32{}
			for _, i := range rows {
				if k := col.ValueStr(int(i)); i >= last[k] {
					last[k] = i
				}
			}
			if len(got) != len(last) {
				t.Fatalf("seed %d: %d rows for %d keys", seed, len(got), len(last))
			}
			for _, i := range got {
				if last[col.ValueStr(int(i))] != i {
					t.Fatalf("seed %d: kept row %d, not the last of its key", seed, i)
				}
			}
		}
		sa.Release()
		ia.Release()
	}
}
