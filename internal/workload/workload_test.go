package workload

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestDeterministicAndMixed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	g1, g2 := New(7), New(7)
	a, b := g1.Base(mem, 1000, 300), g2.Base(mem, 1000, 300)
	defer Release(a)
	defer Release(b)
	if len(a) != 4 || a[3].NumRows() != 100 {
		t.Fatalf("batches: %d, last %d rows", len(a), a[3].NumRows())
	}
	for i := range a {
		if !array.RecordEqual(a[i], b[i]) {
			t.Fatal("same seed, different data")
		}
	}
	up := g1.Upsert(mem, 1000, 0.5, 1000, 1)
	defer Release(up)
	seen := map[string]bool{}
	for i := int64(0); i < 1000; i++ {
		seen[g1.UUID(i)] = true
	}
	col := up[0].Column(0).(*array.String)
	old := 0
	for i := 0; i < col.Len(); i++ {
		if seen[col.Value(i)] {
			old++
		}
	}
	if old != 500 || g1.Keys() != 1500 {
		t.Fatalf("%d updates, %d keys", old, g1.Keys())
	}
	if len(g1.UUID(42)) != 36 {
		t.Fatalf("uuid %q", g1.UUID(42))
	}
}
