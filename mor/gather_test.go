package mor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// gatherTypes covers every typed kernel and several types of the generic
// fallback.
var gatherTypes = []arrow.DataType{
	arrow.FixedWidthTypes.Boolean,
	arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint8,
	arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Uint16, arrow.FixedWidthTypes.Float16,
	arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Float32,
	arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Time32ms, arrow.FixedWidthTypes.MonthInterval,
	&arrow.Decimal32Type{Precision: 9, Scale: 2},
	arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Uint64, arrow.PrimitiveTypes.Float64,
	arrow.FixedWidthTypes.Date64, arrow.FixedWidthTypes.Time64ns, arrow.FixedWidthTypes.Timestamp_us,
	&arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, arrow.FixedWidthTypes.Duration_s,
	arrow.FixedWidthTypes.DayTimeInterval, &arrow.Decimal64Type{Precision: 18, Scale: 3},
	&arrow.Decimal128Type{Precision: 38, Scale: 5}, arrow.FixedWidthTypes.MonthDayNanoInterval,
	&arrow.Decimal256Type{Precision: 76, Scale: 0},
	arrow.BinaryTypes.String, arrow.BinaryTypes.Binary, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.LargeBinary,
	// Generic fallback.
	&arrow.FixedSizeBinaryType{ByteWidth: 3},
	arrow.ListOf(arrow.PrimitiveTypes.Int32),
	arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true}),
	arrow.Null,
	&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String},
}

// randomArray returns an array of dt with n rows, some null, sliced so that
// its offset is not zero.
func randomArray(mem memory.Allocator, r *rand.Rand, dt arrow.DataType, n int) arrow.Array {
	const pad = 3
	total := n + pad
	nullable := r.IntN(3) > 0
	isNull := func() bool { return nullable && r.IntN(4) == 0 }
	var full arrow.Array
	if w := fixedWidth(dt); w > 0 {
		values := memory.NewResizableBuffer(mem)
		values.Resize(total * w)
		buf := values.Bytes()
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		switch dt.ID() { // keep floating point values finite and comparable
		case arrow.FLOAT16:
			v := unsafe.Slice((*float16.Num)(unsafe.Pointer(&buf[0])), total)
			for i := range v {
				v[i] = float16.New(float32(r.IntN(1000)) / 8)
			}
		case arrow.FLOAT32:
			v := unsafe.Slice((*float32)(unsafe.Pointer(&buf[0])), total)
			for i := range v {
				v[i] = r.Float32()
			}
		case arrow.FLOAT64:
			v := unsafe.Slice((*float64)(unsafe.Pointer(&buf[0])), total)
			for i := range v {
				v[i] = r.NormFloat64()
			}
		}
		var validity *memory.Buffer
		nulls := 0
		if nullable {
			validity = memory.NewResizableBuffer(mem)
			validity.Resize(int(bitutil.BytesForBits(int64(total))))
			for i := 0; i < total; i++ {
				if isNull() {
					bitutil.ClearBit(validity.Bytes(), i)
					nulls++
				} else {
					bitutil.SetBit(validity.Bytes(), i)
				}
			}
		}
		full = newArray(dt, total, []*memory.Buffer{validity, values}, nulls)
	} else {
		b := array.NewBuilder(mem, dt)
		for i := 0; i < total; i++ {
			if isNull() {
				b.AppendNull()
				continue
			}
			appendRandom(r, b)
		}
		full = b.NewArray()
		b.Release()
	}
	defer full.Release()
	return array.NewSlice(full, pad, int64(total))
}

func appendRandom(r *rand.Rand, b array.Builder) {
	str := func() string { return fmt.Sprintf("%0*d", r.IntN(12), r.IntN(1000)) }
	switch b := b.(type) {
	case *array.BooleanBuilder:
		b.Append(r.IntN(2) == 0)
	case *array.StringBuilder:
		b.Append(str())
	case *array.LargeStringBuilder:
		b.Append(str())
	case *array.BinaryBuilder:
		b.Append([]byte(str()))
	case *array.FixedSizeBinaryBuilder:
		b.Append([]byte{byte(r.IntN(256)), 0, byte(r.IntN(256))})
	case *array.ListBuilder:
		b.Append(true)
		vb := b.ValueBuilder().(*array.Int32Builder)
		for k := r.IntN(4); k > 0; k-- {
			vb.Append(r.Int32())
		}
	case *array.StructBuilder:
		b.Append(true)
		b.FieldBuilder(0).(*array.Int32Builder).Append(r.Int32N(100))
		b.FieldBuilder(1).(*array.StringBuilder).Append(str())
	case *array.NullBuilder:
		b.AppendNull()
	case *array.BinaryDictionaryBuilder:
		if err := b.AppendString(fmt.Sprint(r.IntN(5))); err != nil {
			panic(err)
		}
	default:
		panic(fmt.Sprintf("appendRandom: %T", b))
	}
}

// referenceGather builds the expected result one value at a time.
func referenceGather(mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) arrow.Array {
	parts := make([]arrow.Array, 0, len(refs))
	for _, rf := range refs {
		if rf.b < 0 || srcs[rf.b] == nil {
			parts = append(parts, array.MakeArrayOfNull(mem, dt, 1))
		} else {
			parts = append(parts, array.NewSlice(srcs[rf.b], int64(rf.r), int64(rf.r)+1))
		}
	}
	if len(parts) == 0 {
		return array.MakeArrayOfNull(mem, dt, 0)
	}
	out, err := array.Concatenate(parts, mem)
	if err != nil {
		panic(err)
	}
	for _, p := range parts {
		p.Release()
	}
	return out
}

func TestGather(t *testing.T) {
	seed := rand.Uint64()
	iters := 30
	if testing.Short() {
		iters = 8
	}
	for _, dt := range gatherTypes {
		t.Run(dt.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			r := rand.New(rand.NewPCG(seed, uint64(dt.ID())))
			for it := 0; it < iters; it++ {
				nsrc := 1 + r.IntN(4)
				srcs := make([]arrow.Array, nsrc)
				for i := range srcs {
					if i > 0 && r.IntN(4) == 0 {
						continue // an absent column
					}
					srcs[i] = randomArray(mem, r, dt, 1+r.IntN(40))
				}
				var refs []ref
				for n := r.IntN(60); len(refs) < n; {
					b := r.IntN(nsrc+1) - 1
					if b < 0 || srcs[b] == nil {
						refs = append(refs, ref{b: int32(b)})
						continue
					}
					// Runs of consecutive rows, as non-overlapping ranges produce.
					start := r.IntN(srcs[b].Len())
					for k := start; k < srcs[b].Len() && k < start+1+r.IntN(5); k++ {
						refs = append(refs, ref{int32(b), int32(k)})
					}
				}
				got, err := gather(mem, dt, srcs, refs)
				if err != nil {
					t.Fatal(err)
				}
				want := referenceGather(mem, dt, srcs, refs)
				if got.Len() != want.Len() || got.NullN() != want.NullN() {
					t.Fatalf("seed %d iteration %d: len %d nulls %d, want len %d nulls %d", seed, it, got.Len(), got.NullN(), want.Len(), want.NullN())
				}
				for i := 0; i < got.Len(); i++ {
					if got.IsNull(i) != want.IsNull(i) || got.ValueStr(i) != want.ValueStr(i) {
						t.Fatalf("seed %d iteration %d row %d: got %s, want %s", seed, it, i, got.ValueStr(i), want.ValueStr(i))
					}
				}
				if dt.ID() != arrow.DICTIONARY && !array.Equal(got, want) {
					t.Fatalf("seed %d iteration %d: arrays differ\n got  %v\n want %v", seed, it, got, want)
				}
				got.Release()
				want.Release()
				for _, s := range srcs {
					if s != nil {
						s.Release()
					}
				}
			}
		})
	}
}

// ---- record helpers shared by the tests of the merge engine ----

// row is one test row: column name -> Go value (nil is null). Columns not in
// the map are absent from the run.
type row map[string]any

// buildRecord builds a record of schema from rows.
func buildRecord(mem memory.Allocator, schema *arrow.Schema, rows []row) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, f := range schema.Fields() {
			if err := arrowconv.AppendValue(b.Field(i), r[f.Name]); err != nil {
				panic(err)
			}
		}
	}
	return b.NewRecordBatch()
}

// cellValue returns the Go value of row i of arr (nil for null).
func cellValue(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int8:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return a.Value(i)
	case *array.Uint16:
		return a.Value(i)
	case *array.Uint32:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return slices.Clone(a.Value(i))
	case *array.Date32:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i)
	}
	panic(fmt.Sprintf("cellValue: %T", arr))
}

// newRun returns a run over rows cut into batches of the given sizes
// (cycled; a size of 0 inserts an empty batch).
func newRun(mem memory.Allocator, schema *arrow.Schema, seq int64, rows []row, sizes ...int) Run {
	if len(sizes) == 0 {
		sizes = []int{max(len(rows), 1)}
	}
	if !slices.ContainsFunc(sizes, func(n int) bool { return n > 0 }) {
		sizes = append(slices.Clone(sizes), 1)
	}
	var recs []arrow.RecordBatch
	for i, k := 0, 0; i < len(rows) || k == 0; k++ {
		n := min(sizes[k%len(sizes)], len(rows)-i)
		recs = append(recs, buildRecord(mem, schema, rows[i:i+n]))
		i += n
	}
	rr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		r.Release()
	}
	return Run{Reader: rr, Seq: seq}
}

// drain reads every batch of rr as rows of the output schema, checking batch
// sizes, and releases rr.
func drain(t *testing.T, rr array.RecordReader, batchSize int) ([]row, error) {
	t.Helper()
	defer rr.Release()
	var out []row
	for rr.Next() {
		rec := rr.RecordBatch()
		if rec.NumRows() == 0 || (batchSize > 0 && rec.NumRows() > int64(batchSize)) {
			t.Fatalf("output batch of %d rows (batch size %d)", rec.NumRows(), batchSize)
		}
		if !rec.Schema().Equal(rr.Schema()) {
			t.Fatalf("batch schema %v, reader schema %v", rec.Schema(), rr.Schema())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			r := row{}
			for j, f := range rec.Schema().Fields() {
				r[f.Name] = cellValue(rec.Column(j), i)
			}
			out = append(out, r)
		}
	}
	return out, rr.Err()
}

func schemaOf(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }

func field(name string, dt arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: dt, Nullable: true}
}
