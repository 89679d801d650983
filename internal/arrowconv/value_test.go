package arrowconv

import (
	"errors"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestGoValue(t *testing.T) {
	tm := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		make func(mem memory.Allocator) arrow.Array
		want []any
	}{
		{"int16", func(mem memory.Allocator) arrow.Array {
			b := array.NewInt16Builder(mem)
			defer b.Release()
			b.AppendValues([]int16{-3, 0}, []bool{true, false})
			return b.NewArray()
		}, []any{int64(-3), nil}},
		{"uint32", func(mem memory.Allocator) arrow.Array {
			b := array.NewUint32Builder(mem)
			defer b.Release()
			b.Append(4e9)
			return b.NewArray()
		}, []any{int64(4e9)}},
		{"float32", func(mem memory.Allocator) arrow.Array {
			b := array.NewFloat32Builder(mem)
			defer b.Release()
			b.Append(1.5)
			return b.NewArray()
		}, []any{1.5}},
		{"string view", func(mem memory.Allocator) arrow.Array {
			b := array.NewStringViewBuilder(mem)
			defer b.Release()
			b.Append("a long string that does not fit inline")
			return b.NewArray()
		}, []any{"a long string that does not fit inline"}},
		{"fixed size binary", func(mem memory.Allocator) arrow.Array {
			b := array.NewFixedSizeBinaryBuilder(mem, &arrow.FixedSizeBinaryType{ByteWidth: 2})
			defer b.Release()
			b.Append([]byte{1, 2})
			return b.NewArray()
		}, []any{[]byte{1, 2}}},
		{"date64", func(mem memory.Allocator) arrow.Array {
			b := array.NewDate64Builder(mem)
			defer b.Release()
			b.Append(arrow.Date64FromTime(tm.Truncate(24 * time.Hour)))
			return b.NewArray()
		}, []any{tm.Truncate(24 * time.Hour)}},
		{"timestamp with zone", func(mem memory.Allocator) arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "Asia/Shanghai"})
			defer b.Release()
			b.Append(arrow.Timestamp(tm.UnixMilli()))
			return b.NewArray()
		}, []any{tm}},
		{"time32", func(mem memory.Allocator) arrow.Array {
			b := array.NewTime32Builder(mem, &arrow.Time32Type{Unit: arrow.Second})
			defer b.Release()
			b.Append(61)
			return b.NewArray()
		}, []any{time.Unix(61, 0).UTC()}},
		{"decimal", func(mem memory.Allocator) arrow.Array {
			return build(t, mem, &arrow.Decimal128Type{Precision: 10, Scale: 3}, "-0.005", "12")
		}, []any{"-0.005", "12.000"}},
		{"null type", func(memory.Allocator) arrow.Array { return array.NewNull(2) }, []any{nil, nil}},
		{"dictionary", func(mem memory.Allocator) arrow.Array {
			return dictionary(t, mem, "b", nil, "a", "b")
		}, []any{"b", nil, "a", "b"}},
		{"sparse union", func(mem memory.Allocator) arrow.Array {
			ints := build(t, mem, arrow.PrimitiveTypes.Int64, int64(1), int64(2))
			defer ints.Release()
			strs := build(t, mem, arrow.BinaryTypes.String, "x", "y")
			defer strs.Release()
			codes := array.NewInt8Builder(mem)
			defer codes.Release()
			codes.AppendValues([]int8{0, 1}, nil)
			ca := codes.NewInt8Array()
			defer ca.Release()
			u, err := array.NewSparseUnionFromArrays(ca, []arrow.Array{ints, strs})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}, []any{int64(1), "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checkedMem(t)
			arr := tt.make(mem)
			defer arr.Release()
			if got := values(t, arr); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("values %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGoValueUnsupported(t *testing.T) {
	mem := checkedMem(t)
	b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	defer b.Release()
	b.Append(true)
	arr := b.NewArray()
	defer arr.Release()
	if _, err := GoValue(arr, 0); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("GoValue(list) = %v, want ErrUnsupported", err)
	}
}

// TestValueRoundTrip appends what GoValue reads and reads it back.
func TestValueRoundTrip(t *testing.T) {
	for _, dt := range []arrow.DataType{
		arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint16,
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Uint64, arrow.PrimitiveTypes.Float32,
		arrow.PrimitiveTypes.Float64, &arrow.Decimal128Type{Precision: 38, Scale: 10},
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeBinary, arrow.FixedWidthTypes.Date32,
		&arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"},
	} {
		t.Run(dt.String(), func(t *testing.T) {
			mem := checkedMem(t)
			in := map[arrow.Type][]any{
				arrow.BOOL:         {true, false},
				arrow.INT8:         {int64(-128), int64(127)},
				arrow.UINT16:       {int64(0), int64(65535)},
				arrow.INT64:        {int64(-1 << 63), int64(1<<63 - 1)},
				arrow.UINT64:       {uint64(1 << 63), int64(1)},
				arrow.FLOAT32:      {0.5, -2.0},
				arrow.FLOAT64:      {0.1, 1e300},
				arrow.DECIMAL128:   {"-1234567890123456789012345678.0123456789", "0.0000000001"},
				arrow.STRING:       {"", "é"},
				arrow.LARGE_BINARY: {[]byte{}, []byte{0xff}},
				arrow.DATE32:       {time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)},
				arrow.TIMESTAMP:    {time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC), time.Unix(0, 0).UTC()},
			}[dt.ID()]
			in = append(in, nil)
			first := build(t, mem, dt, in...)
			defer first.Release()
			second := build(t, mem, dt, values(t, first)...)
			defer second.Release()
			if !array.Equal(first, second) {
				t.Fatalf("round trip changed %v into %v", first, second)
			}
		})
	}
}

func TestDecimalText(t *testing.T) {
	tests := []struct {
		unscaled string
		scale    int32
		want     string
	}{
		{"0", 0, "0"},
		{"0", 2, "0.00"},
		{"5", 3, "0.005"},
		{"-5", 3, "-0.005"},
		{"-1234", 2, "-12.34"},
		{"1234", 4, "0.1234"},
		{"1234", -2, "1234"},
		{"99999999999999999999999999999999999999", 38, "0.99999999999999999999999999999999999999"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			n, _ := new(big.Int).SetString(tt.unscaled, 10)
			if got := DecimalText(n, tt.scale); got != tt.want {
				t.Fatalf("DecimalText(%s, %d) = %q, want %q", tt.unscaled, tt.scale, got, tt.want)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-02 03:04:05.12", want},
		{" 2026-01-02T03:04:05.12 ", want},
		{"2026-01-02 05:04:05.12+02:00", want},
		{"2026-01-02T05:04:05.12+02:00", want},
		{"2026-01-02 05:04:05.12+0200", want},
		{"2026-01-02 05:04:05.12+02", want},
		{"2026-01-02 03:04", want.Truncate(time.Minute)},
		{"2026-01-02", want.Truncate(24 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "2026-13-01", "01/02/2026", "now"} {
		if _, err := ParseTime(bad); !errors.Is(err, ErrValue) {
			t.Errorf("ParseTime(%q) = %v, want ErrValue", bad, err)
		}
	}
}

// dictionary returns a dictionary<int8, utf8> array of vals (nil is NULL).
func dictionary(t *testing.T, mem memory.Allocator, vals ...any) arrow.Array {
	t.Helper()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	b := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		if err := b.AppendString(v.(string)); err != nil {
			t.Fatal(err)
		}
	}
	return b.NewArray()
}
