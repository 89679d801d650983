package arrowconv

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// checkedMem returns an allocator that fails t if anything it allocated is
// still held when t ends.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// build returns an array of type dt holding vals, appended with AppendValue.
func build(t *testing.T, mem memory.Allocator, dt arrow.DataType, vals ...any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if err := AppendValue(b, v); err != nil {
			t.Fatalf("AppendValue(%s, %v): %v", dt, v, err)
		}
	}
	return b.NewArray()
}

// values reads every value of arr with GoValue.
func values(t *testing.T, arr arrow.Array) []any {
	t.Helper()
	out := make([]any, arr.Len())
	for i := range out {
		v, err := GoValue(arr, i)
		if err != nil {
			t.Fatalf("GoValue(%s, %d): %v", arr.DataType(), i, err)
		}
		out[i] = v
	}
	return out
}
