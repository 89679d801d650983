package lsio_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// rowsSchema has a column of every type RowReader reads; "big" is long
// enough that its row groups span several pages.
var rowsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
	{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
	{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
	{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "d32", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "t32", Type: arrow.FixedWidthTypes.Time32ms, Nullable: true},
	{Name: "t64", Type: arrow.FixedWidthTypes.Time64us, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "tsn", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "big", Type: arrow.BinaryTypes.String},
}, nil)

func rowsRecord(mem memory.Allocator, n int) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(3, 4))
	b := array.NewRecordBuilder(mem, rowsSchema)
	defer b.Release()
	pad := strings.Repeat("x", 100)
	for i := 0; i < n; i++ {
		for c, f := range rowsSchema.Fields() {
			fb := b.Field(c)
			if f.Nullable && (i+c)%7 == 0 {
				fb.AppendNull()
				continue
			}
			v := r.Int64N(1 << 20)
			switch fb := fb.(type) {
			case *array.BooleanBuilder:
				fb.Append(v%2 == 0)
			case *array.Int8Builder:
				fb.Append(int8(v))
			case *array.Int16Builder:
				fb.Append(int16(v))
			case *array.Int32Builder:
				fb.Append(int32(i))
			case *array.Int64Builder:
				fb.Append(v - 1<<19)
			case *array.Uint8Builder:
				fb.Append(uint8(v))
			case *array.Uint16Builder:
				fb.Append(uint16(v))
			case *array.Uint32Builder:
				fb.Append(uint32(v) << 12)
			case *array.Uint64Builder:
				fb.Append(uint64(v) << 40)
			case *array.Float32Builder:
				fb.Append(float32(v) / 3)
			case *array.Float64Builder:
				fb.Append(float64(v) / 7)
			case *array.Date32Builder:
				fb.Append(arrow.Date32(v % 40000))
			case *array.Time32Builder:
				fb.Append(arrow.Time32(v))
			case *array.Time64Builder:
				fb.Append(arrow.Time64(v))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v * 1000))
			case *array.StringBuilder:
				if f.Name == "big" {
					fb.Append(fmt.Sprintf("%d-%s-%d", i, pad, v))
				} else {
					fb.Append(fmt.Sprintf("v%d", v%50))
				}
			case *array.LargeStringBuilder:
				fb.Append(fmt.Sprintf("l%d", v))
			case *array.BinaryBuilder:
				fb.Append([]byte{byte(v), byte(v >> 8)})
			default:
				panic(fmt.Sprintf("no value for %T", fb))
			}
		}
	}
	return b.NewRecordBatch()
}

func TestReadRows(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	st := lsio.NewMem()
	const n = 30000
	rec := rowsRecord(mem, n)
	defer rec.Release()
	if _, err := lsio.WriteParquet(ctx, st, "rows.parquet", rowsSchema, []arrow.RecordBatch{rec}, lsio.WriteOptions{RowGroupRows: 12000, PlainColumns: []string{"big"}}); err != nil {
		t.Fatal(err)
	}
	pf, err := lsio.OpenParquet(ctx, st, "rows.parquet", lsio.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if cc, _ := pf.Metadata().RowGroup(0).ColumnChunk(rowsSchema.NumFields() - 1); cc.TotalUncompressedSize() < 1<<20 {
		t.Fatalf("column big holds %d bytes in row group 0: too few for several pages", cc.TotalUncompressedSize())
	}
	cols := make([]string, rowsSchema.NumFields())
	for i, f := range rowsSchema.Fields() {
		cols[i] = f.Name
		if !lsio.RowsReadable(f.Type) {
			t.Fatalf("RowsReadable(%s) = false", f.Type)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	cases := map[string][][]int64{
		"first and last":       {{0}, {n - 1}},
		"row group edges":      {{11999, 12000}, {23999, 24000, 24001}},
		"every row":            {seq(0, n)},
		"sparse":               {sparse(r, 0, 10000, 40), sparse(r, 10000, 20000, 3), sparse(r, 20000, n, 500)},
		"dense then far apart": {seq(100, 400), {5000, 20000}, seq(29000, n)},
		"nothing":              {{}, {7}},
	}
	for name, calls := range cases {
		t.Run(name, func(t *testing.T) {
			rr, err := pf.NewRowReader(ctx, cols, mem)
			if err != nil {
				t.Fatal(err)
			}
			for _, rows := range calls {
				got, err := rr.ReadRows(rows)
				if err != nil {
					t.Fatal(err)
				}
				if got.NumRows() != int64(len(rows)) {
					t.Fatalf("%d rows, want %d", got.NumRows(), len(rows))
				}
				for c := range cols {
					for i, row := range rows {
						if !array.SliceEqual(got.Column(c), int64(i), int64(i+1), rec.Column(c), row, row+1) {
							t.Fatalf("column %s row %d: got %v, want %v", cols[c], row, got.Column(c).ValueStr(i), rec.Column(c).ValueStr(int(row)))
						}
					}
				}
				got.Release()
			}
			if _, err := rr.ReadRows([]int64{0}); err == nil {
				t.Fatal("reading a row again did not fail")
			}
		})
	}
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// sparse picks about one row in every of [from, to), ascending.
func sparse(r *rand.Rand, from, to int64, every int) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		if r.IntN(every) == 0 {
			out = append(out, i)
		}
	}
	return out
}
