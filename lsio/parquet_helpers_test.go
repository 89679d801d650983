package lsio_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// allTypesSchema has one column of every type the project supports, all
// nullable except the key.
var allTypesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
	{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
	{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
	{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Asia/Shanghai"}, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 18, Scale: 3}, Nullable: true},
	{Name: "bigdec", Type: &arrow.Decimal128Type{Precision: 38, Scale: 10}, Nullable: true},
}, nil)

// buildAllTypes returns n rows of allTypesSchema starting at row start.
// Column c of row i is null when (i+c)%7 == 0 (never for the key).
func buildAllTypes(mem memory.Allocator, start, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, allTypesSchema)
	defer b.Release()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := start; i < start+n; i++ {
		for c, fb := range b.Fields() {
			if c > 0 && (i+c)%7 == 0 {
				fb.AppendNull()
				continue
			}
			v := int64(i)
			switch fb := fb.(type) {
			case *array.Int64Builder:
				if c == 0 {
					fb.Append(v)
				} else {
					fb.Append(v*1_000_003 - 1<<40)
				}
			case *array.BooleanBuilder:
				fb.Append(i%3 == 0)
			case *array.Int8Builder:
				fb.Append(int8(i))
			case *array.Int16Builder:
				fb.Append(int16(i * 7))
			case *array.Int32Builder:
				fb.Append(int32(i*31 - 5000))
			case *array.Uint8Builder:
				fb.Append(uint8(i))
			case *array.Uint16Builder:
				fb.Append(uint16(i * 11))
			case *array.Uint32Builder:
				fb.Append(uint32(i) * 2654435761)
			case *array.Uint64Builder:
				fb.Append(uint64(i) * 0x9e3779b97f4a7c15)
			case *array.Float32Builder:
				fb.Append(float32(i) / 3)
			case *array.Float64Builder:
				fb.Append(float64(i)*1.25 - 100)
			case *array.StringBuilder:
				fb.Append(fmt.Sprintf("str-%d", i%50))
			case *array.LargeStringBuilder:
				fb.Append(fmt.Sprintf("large-%06d", i))
			case *array.BinaryBuilder:
				fb.Append([]byte{byte(i), byte(i >> 8), 0, 0xff})
			case *array.Date32Builder:
				fb.Append(arrow.Date32FromTime(base.AddDate(0, 0, i)))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Second).UnixMicro()))
			case *array.Decimal128Builder:
				if c == len(b.Fields())-1 {
					fb.Append(decimal128.New(v-500, uint64(v)*0x9e3779b97f4a7c15))
				} else {
					fb.Append(decimal128.FromI64(v*1000 + 123 - 50_000))
				}
			default:
				panic(fmt.Sprintf("unhandled builder %T", fb))
			}
		}
	}
	return b.NewRecordBatch()
}

// checkedAlloc returns an allocator that fails the test if anything
// allocated from it is still live when the test ends.
func checkedAlloc(t *testing.T) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// readAll drains a reader, returning its records concatenated into one (nil
// if it yielded no rows) and the number of records it yielded.
func readAll(t *testing.T, mem memory.Allocator, rr array.RecordReader) (arrow.RecordBatch, int) {
	t.Helper()
	defer rr.Release()
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for rr.Next() {
		rec := rr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("reader: %v", err)
	}
	return concatRecords(t, mem, rr.Schema(), recs), len(recs)
}

func concatRecords(t *testing.T, mem memory.Allocator, schema *arrow.Schema, recs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	if len(recs) == 0 {
		return nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		col, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = col
	}
	out := array.NewRecordBatch(schema, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	return out
}

// assertColumnsEqual compares got's columns with the named columns of want.
func assertColumnsEqual(t *testing.T, want, got arrow.RecordBatch, names []string) {
	t.Helper()
	if got == nil {
		t.Fatal("read no rows")
	}
	if got.NumRows() != want.NumRows() {
		t.Fatalf("read %d rows, want %d", got.NumRows(), want.NumRows())
	}
	if int(got.NumCols()) != len(names) {
		t.Fatalf("read %d columns, want %d", got.NumCols(), len(names))
	}
	for i, name := range names {
		wi := want.Schema().FieldIndices(name)[0]
		if got.Schema().Field(i).Name != name {
			t.Fatalf("column %d is %q, want %q", i, got.Schema().Field(i).Name, name)
		}
		if !arrow.TypeEqual(got.Column(i).DataType(), want.Column(wi).DataType()) {
			t.Fatalf("column %q type %s, want %s", name, got.Column(i).DataType(), want.Column(wi).DataType())
		}
		if !array.Equal(got.Column(i), want.Column(wi)) {
			t.Fatalf("column %q differs:\n got %v\nwant %v", name, got.Column(i), want.Column(wi))
		}
	}
}

// countingStorage counts the reads that reach the wrapped storage. Its
// objects are neither local nor in memory as far as lsio can tell, so they
// take the remote-object code paths.
type countingStorage struct {
	lsio.Storage
	reads atomic.Int64
}

func (c *countingStorage) Open(ctx context.Context, path string) (lsio.Object, error) {
	obj, err := c.Storage.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &countingObject{Object: obj, reads: &c.reads}, nil
}

type countingObject struct {
	lsio.Object
	reads *atomic.Int64
}

func (o *countingObject) ReadAt(p []byte, off int64) (int, error) {
	o.reads.Add(1)
	return o.Object.ReadAt(p, off)
}
