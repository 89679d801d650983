package ipccheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sampleStream is an IPC stream with every kind of table the check walks:
// nested fields, a time zone, a union, a dictionary, metadata, and a batch.
func sampleStream(t *testing.T) []byte {
	t.Helper()
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Metadata: md},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Europe/Paris"}, Nullable: true},
		{Name: "d", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
		{Name: "u", Type: arrow.DenseUnionOf([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, []arrow.UnionTypeCode{5}), Nullable: true},
		{Name: "e", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int8), Nullable: true},
	}, &md)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer b.Release()
	for i := range 3 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(i))
		b.Field(2).(*array.Decimal128Builder).AppendNull()
		b.Field(3).(*array.ListBuilder).AppendNull()
		ub := b.Field(4).(*array.DenseUnionBuilder)
		ub.Append(5)
		ub.Child(0).(*array.Int32Builder).Append(int32(i))
		if err := b.Field(5).(*array.BinaryDictionaryBuilder).AppendString("x"); err != nil {
			t.Fatal(err)
		}
		b.Field(6).(*array.MapBuilder).AppendNull()
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(sch))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestValidStreamPasses(t *testing.T) {
	s := sampleStream(t)
	if err := Stream(s); err != nil {
		t.Fatal(err)
	}
	if err := Stream(nil); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{{1, 2}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1}, s[:len(s)/2]} {
		if err := Stream(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Stream(%x) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestPatchedLengths overwrites every aligned word of a valid stream with
// large values: whatever the check lets through, arrow-go must decode
// without allocating the claimed sizes (a failure here is an out-of-memory
// crash or a panic, not an error).
func TestPatchedLengths(t *testing.T) {
	s := sampleStream(t)
	for _, v := range []uint32{0x7fffffff, 0xffffff, 0x10000, 0xffffffff} {
		for off := 0; off+4 <= len(s); off += 4 {
			b := bytes.Clone(s)
			binary.LittleEndian.PutUint32(b, v)
			binary.LittleEndian.PutUint32(b[off:], v)
			copy(b, s[:4])
			if Stream(b) != nil {
				continue
			}
			decodeAll(t, b)
		}
	}
}

func decodeAll(t *testing.T, b []byte) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("arrow-go panicked on a stream the check passed: %v", r)
		}
	}()
	r, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		return
	}
	defer r.Release()
	for r.Next() {
	}
}

// TestCompressedBatchPasses: a compressed body may be far smaller than the
// rows it holds.
func TestCompressedBatchPasses(t *testing.T) {
	sch := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(make([]int64, 200_000), nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(sch), ipc.WithZstd())
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Stream(buf.Bytes()); err != nil {
		t.Fatalf("%d-byte compressed stream of %d rows: %v", buf.Len(), rec.NumRows(), err)
	}
}
