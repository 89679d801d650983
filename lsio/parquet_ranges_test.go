package lsio

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestSpanPlanning checks that chunks close together share a request and
// chunks separated by a large unread column do not.
func TestSpanPlanning(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		{Name: "big", Type: arrow.BinaryTypes.Binary},
		{Name: "c", Type: arrow.PrimitiveTypes.Int64},
		{Name: "d", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	const rows, perGroup = 400, 100
	r := rand.New(rand.NewPCG(1, 2))
	b := array.NewRecordBuilder(mem, schema)
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		blob := make([]byte, 20<<10) // incompressible: 2 MB per row group
		for j := range blob {
			blob[j] = byte(r.Uint32())
		}
		b.Field(1).(*array.BinaryBuilder).Append(blob)
		b.Field(2).(*array.Int64Builder).Append(int64(-i))
		b.Field(3).(*array.Int64Builder).Append(int64(i * 2))
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	st := NewMem()
	if _, err := WriteParquet(ctx, st, "f", schema, []arrow.RecordBatch{rec}, WriteOptions{RowGroupRows: perGroup, Allocator: mem}); err != nil {
		t.Fatal(err)
	}
	obj, err := st.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	pf, err := openParquetObject(ctx, "f", obj, ReadOptions{Allocator: mem, WholeObjectBelow: -1}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()

	cases := []struct {
		name      string
		leaves    []int
		rowGroups []int
		spans     int
	}{
		{"adjacent columns coalesce", []int{2, 3}, []int{0, 1, 2, 3}, 4},
		{"a large gap splits", []int{0, 2}, []int{0, 1}, 4},
		{"the large column joins its neighbours", []int{0, 1, 2}, []int{3}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sr, err := newSpanReader(ctx, pf.src, pf.meta, tc.leaves, tc.rowGroups)
			if err != nil {
				t.Fatal(err)
			}
			defer sr.close()
			if len(sr.spans) != tc.spans {
				t.Fatalf("%d spans, want %d", len(sr.spans), tc.spans)
			}
			// Every chunk read is served from a span with the right bytes.
			for _, s := range sr.spans {
				want := make([]byte, s.end-s.off)
				if _, err := pf.src.ReadAt(want, s.off); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, s.end-s.off)
				if _, err := sr.ReadAt(got, s.off); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatal("span bytes differ from the file")
				}
			}
		})
	}

	// Reading through spans returns the same data as reading in place.
	pf.obj = &remoteForTest{obj}
	rr, err := pf.Read(ctx, []string{"d", "a"}, []int{3, 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var got []int64
	for rr.Next() {
		got = append(got, rr.RecordBatch().Column(1).(*array.Int64).Int64Values()...)
	}
	if rr.Err() != nil || len(got) != 200 || got[0] != 300 || got[100] != 100 || got[199] != 199 {
		t.Fatalf("read %d ids (%v), err %v", len(got), got[:min(3, len(got))], rr.Err())
	}
}

// remoteForTest hides that an object is in memory, so reads take the
// remote path.
type remoteForTest struct{ Object }
