package arrowconv

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func TestAppendValue(t *testing.T) {
	var (
		i8   = arrow.PrimitiveTypes.Int8
		i32  = arrow.PrimitiveTypes.Int32
		i64  = arrow.PrimitiveTypes.Int64
		u8   = arrow.PrimitiveTypes.Uint8
		u64  = arrow.PrimitiveTypes.Uint64
		f32  = arrow.PrimitiveTypes.Float32
		f64  = arrow.PrimitiveTypes.Float64
		str  = arrow.BinaryTypes.String
		bin  = arrow.BinaryTypes.Binary
		dec  = &arrow.Decimal128Type{Precision: 5, Scale: 2}
		date = arrow.FixedWidthTypes.Date32
		ts   = &arrow.TimestampType{Unit: arrow.Microsecond}
		tsS  = &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"}
		day  = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
		tm   = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	)
	tests := []struct {
		name string
		t    arrow.DataType
		v    any
		want any   // GoValue of the appended value
		err  error // or the error
		msg  string
	}{
		{"null", i64, nil, nil, nil, ""},
		{"bool", arrow.FixedWidthTypes.Boolean, true, true, nil, ""},
		{"bool text", arrow.FixedWidthTypes.Boolean, "FALSE", false, nil, ""},
		{"bool bad text", arrow.FixedWidthTypes.Boolean, "maybe", nil, ErrValue, `cannot store "maybe" (string) in a BOOLEAN column`},
		{"int64", i64, int64(-7), int64(-7), nil, ""},
		{"int8 native", i8, int8(-8), int64(-8), nil, ""},
		{"int8 range", i8, int64(128), nil, ErrValue, "128 is out of range for a TINYINT column"},
		{"int64 from Go ints", i64, int(-5), int64(-5), nil, ""},
		{"int32 from uint32", i32, uint32(1 << 31), nil, ErrValue, "2147483648 is out of range for a INTEGER column"},
		{"int32 from float32", i32, float32(4), int64(4), nil, ""},
		{"int32 from text", i32, " 42 ", int64(42), nil, ""},
		{"int32 from integral float", i32, 3.0, int64(3), nil, ""},
		{"int32 from fraction", i32, 3.5, nil, ErrValue, "cannot store 3.5 (float64) in a INTEGER column"},
		{"int32 from bool", i32, true, int64(1), nil, ""},
		{"int64 from huge uint64", i64, uint64(math.MaxUint64), nil, ErrValue, "in a BIGINT column"},
		{"int64 from text", i64, "abc", nil, ErrValue, `"abc"`},
		{"uint8", u8, int64(255), int64(255), nil, ""},
		{"uint8 negative", u8, int64(-1), nil, ErrValue, "-1 is out of range for a UTINYINT column"},
		{"uint8 range", u8, uint64(256), nil, ErrValue, "256 is out of range"},
		{"uint64 max", u64, uint64(math.MaxUint64), uint64(math.MaxUint64), nil, ""},
		{"float32 rounds", f32, 0.1, float64(float32(0.1)), nil, ""},
		{"float64 from int", f64, int64(3), 3.0, nil, ""},
		{"float64 from Go ints", f64, int16(-3), -3.0, nil, ""},
		{"float64 from float32", f64, float32(0.25), 0.25, nil, ""},
		{"float64 from text", f64, "2.5", 2.5, nil, ""},
		{"float64 from bool", f64, true, nil, ErrValue, "DOUBLE"},
		{"decimal text", dec, "123.45", "123.45", nil, ""},
		{"decimal int", dec, int64(7), "7.00", nil, ""},
		{"decimal float", dec, 1.5, "1.50", nil, ""},
		{"decimal native", dec, decimal128.FromI64(-12345), "-123.45", nil, ""},
		{"decimal too wide", dec, "1234.5", nil, ErrValue, "1234.5 does not fit a DECIMAL(5,2) column"},
		{"decimal bool", dec, true, nil, ErrValue, "cannot store true (bool)"},
		{"string", str, "x", "x", nil, ""},
		{"string from int", str, int64(5), "5", nil, ""},
		{"string from Go ints", str, uint16(7), "7", nil, ""},
		{"string from bool", str, true, "true", nil, ""},
		{"string from float32", str, float32(0.1), "0.1", nil, ""},
		{"string from float", str, 0.5, "0.5", nil, ""},
		{"string from time", str, tm, "2026-01-02 03:04:05.123456", nil, ""},
		{"large string", arrow.BinaryTypes.LargeString, []byte("y"), "y", nil, ""},
		{"binary", bin, []byte{0, 1}, []byte{0, 1}, nil, ""},
		{"binary from text", bin, "ab", []byte("ab"), nil, ""},
		{"binary from int", bin, int64(1), nil, ErrValue, "VARBINARY"},
		{"date from text", date, "2026-01-02", day, nil, ""},
		{"date native", date, arrow.Date32(1), time.Unix(86400, 0).UTC(), nil, ""},
		{"date from int", date, int64(1), nil, ErrValue, "DATE"},
		{"timestamp from time", ts, tm, tm, nil, ""},
		{"timestamp from text with zone", ts, "2026-01-02 05:04:05.123456+02:00", tm, nil, ""},
		{"timestamp native", tsS, arrow.Timestamp(60), time.Unix(60, 0).UTC(), nil, ""},
		{"timestamp bad text", ts, "yesterday", nil, ErrValue, `"yesterday"`},
		{"timestamp range", &arrow.TimestampType{Unit: arrow.Nanosecond}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), nil, ErrValue, "out of range"},
		{"unsupported", arrow.ListOf(i64), int64(1), nil, ErrUnsupported, "cannot take literal values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checkedMem(t)
			b := array.NewBuilder(mem, tt.t)
			defer b.Release()
			err := AppendValue(b, tt.v)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("AppendValue(%v) = %v, want %v with %q", tt.v, err, tt.err, tt.msg)
				}
				if b.Len() != 0 {
					t.Fatalf("a failed append left %d values", b.Len())
				}
				return
			}
			if err != nil {
				t.Fatalf("AppendValue(%v): %v", tt.v, err)
			}
			arr := b.NewArray()
			defer arr.Release()
			got, err := GoValue(arr, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("stored %v (%T), want %v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}
