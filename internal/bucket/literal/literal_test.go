package literal

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func TestConvert(t *testing.T) {
	ts := func(u arrow.TimeUnit) arrow.DataType { return &arrow.TimestampType{Unit: u, TimeZone: "UTC"} }
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	at := time.Date(2024, 3, 5, 6, 7, 8, 123456000, time.UTC)
	tests := []struct {
		name string
		t    arrow.DataType
		v    any
		want Value
	}{
		{"null", arrow.PrimitiveTypes.Int32, nil, Value{Null: true}},
		{"int8 from int", arrow.PrimitiveTypes.Int8, -128, Value{Int: -128}},
		{"int32 from uint8", arrow.PrimitiveTypes.Int32, uint8(200), Value{Int: 200}},
		{"int64 from float", arrow.PrimitiveTypes.Int64, 3.0, Value{Int: 3}},
		{"uint64 max", arrow.PrimitiveTypes.Uint64, uint64(math.MaxUint64), Value{Uint: math.MaxUint64}},
		{"uint16 from int", arrow.PrimitiveTypes.Uint16, 65535, Value{Uint: 65535}},
		{"date32 from time", arrow.FixedWidthTypes.Date32, time.Date(1970, 1, 2, 23, 0, 0, 0, time.FixedZone("x", 5*3600)), Value{Int: 1}},
		{"date32 before epoch", arrow.FixedWidthTypes.Date32, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), Value{Int: -1}},
		{"date32 from Date32", arrow.FixedWidthTypes.Date32, arrow.Date32(19000), Value{Int: 19000}},
		{"timestamp us", ts(arrow.Microsecond), at, Value{Int: at.UnixMicro()}},
		{"timestamp ns", ts(arrow.Nanosecond), at, Value{Int: at.UnixNano()}},
		{"timestamp ms", ts(arrow.Millisecond), at.Truncate(time.Millisecond), Value{Int: at.UnixMilli()}},
		{"timestamp s before epoch", ts(arrow.Second), time.Unix(-5, 0), Value{Int: -5}},
		{"timestamp us before epoch", ts(arrow.Microsecond), time.Unix(-1, 500000000), Value{Int: -500000}},
		{"timestamp ns min", ts(arrow.Nanosecond), time.Unix(0, math.MinInt64), Value{Int: math.MinInt64}},
		{"timestamp ns max", ts(arrow.Nanosecond), time.Unix(0, math.MaxInt64), Value{Int: math.MaxInt64}},
		{"timestamp raw", ts(arrow.Millisecond), arrow.Timestamp(77), Value{Int: 77}},
		{"bool", arrow.FixedWidthTypes.Boolean, true, Value{Bool: true}},
		{"float32 exact", arrow.PrimitiveTypes.Float32, 0.5, Value{Float: 0.5}},
		{"float32 NaN", arrow.PrimitiveTypes.Float32, math.NaN(), Value{Float: math.NaN()}},
		{"float64 from int", arrow.PrimitiveTypes.Float64, 7, Value{Float: 7}},
		{"string", arrow.BinaryTypes.String, "abc", Value{Bytes: []byte("abc")}},
		{"binary from string", arrow.BinaryTypes.Binary, "x", Value{Bytes: []byte("x")}},
		{"decimal string", dec(10, 2), "-12.5", Value{Dec: decimal128.FromI64(-1250)}},
		{"decimal exp", dec(10, 2), "1.5e2", Value{Dec: decimal128.FromI64(15000)}},
		{"decimal int", dec(10, 2), 3, Value{Dec: decimal128.FromI64(300)}},
		{"decimal float", dec(10, 2), 0.1, Value{Dec: decimal128.FromI64(10)}},
		{"decimal num", dec(38, 0), decimal128.New(1, 0), Value{Dec: decimal128.New(1, 0)}},
		{"decimal negative scale", dec(5, -2), 1200, Value{Dec: decimal128.FromI64(12)}},
		{"decimal zero", dec(5, 2), "-0.000", Value{}},
		{"decimal32", &arrow.Decimal32Type{Precision: 9, Scale: 1}, decimal.Decimal32(-5), Value{Dec: decimal128.FromI64(-5)}},
		{"decimal64 trailing zeros", &arrow.Decimal64Type{Precision: 18, Scale: 1}, "2.50", Value{Dec: decimal128.FromI64(25)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Convert(tc.t, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(tc.want.Float) {
				if !math.IsNaN(got.Float) {
					t.Fatalf("got %v, want NaN", got.Float)
				}
				return
			}
			if got.Null != tc.want.Null || got.Int != tc.want.Int || got.Uint != tc.want.Uint ||
				got.Float != tc.want.Float || got.Bool != tc.want.Bool ||
				string(got.Bytes) != string(tc.want.Bytes) || got.Dec != tc.want.Dec {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestConvertRejects(t *testing.T) {
	tests := []struct {
		name string
		t    arrow.DataType
		v    any
		want error
	}{
		{"unsupported", arrow.ListOf(arrow.PrimitiveTypes.Int32), 1, ErrUnsupportedType},
		{"nil type", nil, 1, ErrUnsupportedType},
		{"int8 overflow", arrow.PrimitiveTypes.Int8, 128, ErrInvalidValue},
		{"int64 from big uint", arrow.PrimitiveTypes.Int64, uint64(math.MaxUint64), ErrInvalidValue},
		{"uint from negative", arrow.PrimitiveTypes.Uint32, -1, ErrInvalidValue},
		{"int from fraction", arrow.PrimitiveTypes.Int32, 1.5, ErrInvalidValue},
		{"int from string", arrow.PrimitiveTypes.Int32, "1", ErrInvalidValue},
		{"bool from int", arrow.FixedWidthTypes.Boolean, 1, ErrInvalidValue},
		{"float32 inexact", arrow.PrimitiveTypes.Float32, 0.1, ErrInvalidValue},
		{"float64 inexact int", arrow.PrimitiveTypes.Float64, int64(1<<53 + 1), ErrInvalidValue},
		{"timestamp finer than unit", &arrow.TimestampType{Unit: arrow.Second}, time.Unix(1, 1), ErrInvalidValue},
		{"timestamp ns overflow", &arrow.TimestampType{Unit: arrow.Nanosecond}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), ErrInvalidValue},
		{"string from int", arrow.BinaryTypes.String, 1, ErrInvalidValue},
		{"decimal too many fraction digits", &arrow.Decimal128Type{Precision: 10, Scale: 2}, "1.234", ErrInvalidValue},
		{"decimal precision", &arrow.Decimal128Type{Precision: 3, Scale: 1}, "100", ErrInvalidValue},
		{"decimal garbage", &arrow.Decimal128Type{Precision: 10, Scale: 2}, "1/3", ErrInvalidValue},
		{"decimal huge exponent", &arrow.Decimal128Type{Precision: 38, Scale: 0}, "1e999999999", ErrInvalidValue},
		{"decimal NaN", &arrow.Decimal128Type{Precision: 38, Scale: 0}, math.Inf(1), ErrInvalidValue},
		{"decimal unscaled too wide", &arrow.Decimal32Type{Precision: 2, Scale: 0}, decimal128.FromI64(100), ErrInvalidValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert(tc.t, tc.v)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseScaled(t *testing.T) {
	tests := []struct {
		in    string
		scale int32
		want  string
		ok    bool
	}{
		{"0", 3, "0", true},
		{"1.", 1, "10", true},
		{".5", 1, "5", true},
		{"+7", 0, "7", true},
		{"-0.0100", 2, "-1", true},
		{"12E-1", 1, "12", true},
		{"", 0, "", false},
		{".", 0, "", false},
		{"1e", 0, "", false},
		{"--1", 0, "", false},
		{"1.2.3", 0, "", false},
		{"0.05", 1, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseScaled(tc.in, tc.scale)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && got.String() != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
