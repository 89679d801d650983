package lsio

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// footerSeeds are small Parquet files: flat and nested columns, several
// row groups, and one with no rows.
func footerSeeds(tb testing.TB) [][]byte {
	ctx := context.Background()
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Metadata: arrow.NewMetadata([]string{"PARQUET:field_id"}, []string{"1"})},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer b.Release()
	for i := range 6 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"x"}, []bool{i%2 == 0})
		lb := b.Field(2).(*array.ListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{int32(i), 2}, nil)
		sb := b.Field(3).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.BooleanBuilder).Append(i%3 == 0)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	st := NewMem()
	var out [][]byte
	for i, c := range []struct {
		recs    []arrow.RecordBatch
		rgRows  int64
		compact bool
	}{{[]arrow.RecordBatch{rec}, 0, false}, {[]arrow.RecordBatch{rec}, 2, false}, {nil, 0, false}} {
		path := "seed.parquet"
		if _, err := WriteParquet(ctx, st, path, sch, c.recs, WriteOptions{RowGroupRows: c.rgRows}); err != nil {
			tb.Fatal(i, err)
		}
		data, err := st.Get(ctx, path)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// FuzzParquetFooter opens fuzzed files the way scans open data files from
// storage, in place and through the whole-object and ranged remote paths,
// and reads them: every input must end in data or an error, never a panic,
// and release all Arrow memory.
func FuzzParquetFooter(f *testing.F) {
	for _, s := range footerSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Add([]byte("PAR1\xff\xff\xff\x7fPAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		if meta, err := readFooter(ctx, bytes.NewReader(data), int64(len(data))); err == nil && meta == nil {
			t.Fatal("readFooter returned neither metadata nor an error")
		}
		st := NewMem()
		if err := st.Put(ctx, "f.parquet", data); err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		pf, err := OpenParquet(ctx, st, "f.parquet", ReadOptions{Allocator: mem, BatchSize: 4})
		if err != nil {
			return
		}
		defer pf.Close()
		rr, err := pf.Read(ctx, nil, nil)
		if err != nil {
			return
		}
		defer rr.Release()
		// A damaged page header may claim billions of values: read a
		// bounded number of rows; the rest is the same code again.
		for rows := int64(0); rows < 1<<12 && rr.Next(); {
			rows += rr.RecordBatch().NumRows()
		}
	})
}
