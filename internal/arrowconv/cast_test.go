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
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var (
	i8     = arrow.PrimitiveTypes.Int8
	i32    = arrow.PrimitiveTypes.Int32
	i64    = arrow.PrimitiveTypes.Int64
	u32    = arrow.PrimitiveTypes.Uint32
	u64    = arrow.PrimitiveTypes.Uint64
	f32    = arrow.PrimitiveTypes.Float32
	f64    = arrow.PrimitiveTypes.Float64
	str    = arrow.BinaryTypes.String
	bin    = arrow.BinaryTypes.Binary
	date32 = arrow.FixedWidthTypes.Date32
	date64 = arrow.FixedWidthTypes.Date64
	tsNs   = &arrow.TimestampType{Unit: arrow.Nanosecond}
	tsUs   = &arrow.TimestampType{Unit: arrow.Microsecond}
	tsUTC  = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	tsS    = &arrow.TimestampType{Unit: arrow.Second}
	dec52  = &arrow.Decimal128Type{Precision: 5, Scale: 2}
	dec102 = &arrow.Decimal128Type{Precision: 10, Scale: 2}
	dict   = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str}
)

func TestCastable(t *testing.T) {
	tests := []struct {
		from, to arrow.DataType
		want     bool
	}{
		{i64, i64, true},
		{arrow.Null, tsUs, true},
		{i32, i64, true},
		{i64, i32, true}, // values checked
		{u64, i8, true},
		{i32, f64, true},
		{f32, f64, true},
		{f64, i64, true},
		{f64, dec102, true},
		{dec102, f64, true},
		{str, arrow.BinaryTypes.LargeString, true},
		{str, bin, true},
		{bin, arrow.BinaryTypes.StringView, true},
		{dict, str, true},
		{dict, i64, false},
		{tsNs, tsUTC, true},
		{date64, date32, true},
		{i64, str, false},
		{str, i64, false},
		{str, f64, false},
		{str, tsUs, false},
		{date32, tsUs, false},
		{tsUs, date32, false},
		{arrow.FixedWidthTypes.Boolean, i8, false},
		{i8, arrow.FixedWidthTypes.Boolean, false},
		{arrow.FixedWidthTypes.Time64us, tsUs, false},
		{arrow.ListOf(i64), arrow.ListOf(i32), false},
		{str, dict, false},
	}
	for _, tt := range tests {
		t.Run(tt.from.String()+" to "+tt.to.String(), func(t *testing.T) {
			if got := Castable(tt.from, tt.to); got != tt.want {
				t.Fatalf("Castable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCastColumn(t *testing.T) {
	tm := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	tests := []struct {
		name string
		from arrow.DataType // built from in with AppendValue; nil: a dictionary of in
		in   []any
		to   arrow.DataType
		want []any // GoValue of the result
		err  error // or the error
		msg  string
	}{
		{"int32 into int64", i32, []any{int64(1), nil, int64(-2147483648)}, i64, []any{int64(1), nil, int64(-2147483648)}, nil, ""},
		{"int64 into int32 in range", i64, []any{int64(7), int64(-7)}, i32, []any{int64(7), int64(-7)}, nil, ""},
		{"int64 into int32 overflowing", i64, []any{int64(7), int64(1 << 40)}, i32, nil, ErrLossy, "not in range"},
		{"negative into unsigned", i64, []any{int64(-1)}, u32, nil, ErrLossy, ""},
		{"uint64 into int64 overflowing", u64, []any{uint64(math.MaxUint64)}, i64, nil, ErrLossy, ""},
		{"int64 into float64 exact", i64, []any{int64(1 << 53)}, f64, []any{float64(1 << 53)}, nil, ""},
		{"int64 into float64 inexact", i64, []any{int64(1<<53 + 1)}, f64, nil, ErrLossy, ""},
		{"float32 into float64", f32, []any{0.5, nil}, f64, []any{0.5, nil}, nil, ""},
		{"float64 into float32 exact", f64, []any{0.5, math.NaN()}, f32, []any{0.5, math.NaN()}, nil, ""},
		{"float64 into float32 inexact", f64, []any{0.5, 0.1}, f32, nil, ErrLossy, "0.1 in row 1 does not convert exactly to REAL"},
		{"float64 into int64 integral", f64, []any{2.0, -3.0}, i64, []any{int64(2), int64(-3)}, nil, ""},
		{"float64 into int64 fraction", f64, []any{2.5}, i64, nil, ErrLossy, "truncated"},
		{"float64 NaN into int64", f64, []any{math.NaN()}, i64, nil, ErrLossy, ""},
		{"int into decimal", i64, []any{int64(12), nil}, dec102, []any{"12.00", nil}, nil, ""},
		{"int into too narrow decimal", i32, []any{int64(1000)}, dec52, nil, ErrLossy, ""},
		{"decimal into int exact", dec102, []any{"12.00"}, i64, []any{int64(12)}, nil, ""},
		{"decimal into int fraction", dec102, []any{"12.34"}, i64, nil, ErrLossy, ""},
		{"decimal into narrower decimal", dec102, []any{"123.45", nil}, dec52, []any{"123.45", nil}, nil, ""},
		{"decimal into too narrow decimal", dec102, []any{"1234.5"}, dec52, nil, ErrLossy, ""},
		{"decimal into float64", dec102, []any{"12.34", "-0.01"}, f64, []any{12.34, -0.01}, nil, ""},
		{"float64 into decimal exact", f64, []any{1.25}, dec52, []any{"1.25"}, nil, ""},
		{"float64 into decimal rounding", f64, []any{0.125}, dec52, nil, ErrLossy, "0.125 in row 0"},
		{"string into large string", str, []any{"a", nil}, arrow.BinaryTypes.LargeString, []any{"a", nil}, nil, ""},
		{"string into binary", str, []any{"a"}, bin, []any{[]byte("a")}, nil, ""},
		{"binary into string", bin, []any{[]byte("a")}, str, []any{"a"}, nil, ""},
		{"invalid UTF-8 into string", bin, []any{[]byte{0xff}}, str, nil, ErrLossy, "UTF8"},
		{"dictionary into string", nil, []any{"b", nil, "a", "b"}, str, []any{"b", nil, "a", "b"}, nil, ""},
		{"dictionary into large string", nil, []any{"x"}, arrow.BinaryTypes.LargeString, []any{"x"}, nil, ""},
		{"dictionary into int", nil, []any{"1"}, i64, nil, ErrType, "cannot convert dictionary"},
		{"null into int", arrow.Null, []any{nil, nil}, i64, []any{nil, nil}, nil, ""},
		{"timestamp ns into us exact", tsNs, []any{tm}, tsUs, []any{tm}, nil, ""},
		{"timestamp ns into us truncating", tsNs, []any{tm.Add(1)}, tsUs, nil, ErrLossy, "lose data"},
		{"timestamp us into s truncating", tsUs, []any{tm}, tsS, nil, ErrLossy, ""},
		{"timestamp s into ns", tsS, []any{tm.Truncate(time.Second)}, tsNs, []any{tm.Truncate(time.Second)}, nil, ""},
		{"timestamp s into ns overflowing", tsS, []any{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, tsNs, nil, ErrLossy, "out of bounds"},
		{"timestamp zone", tsUs, []any{tm}, tsUTC, []any{tm}, nil, ""},
		{"date32 into date64", date32, []any{tm}, date64, []any{tm.Truncate(24 * time.Hour)}, nil, ""},
		{"int into string", i64, []any{int64(5)}, str, nil, ErrType, "cannot convert int64 to VARCHAR"},
		{"string into int", str, []any{"5"}, i64, nil, ErrType, "cannot convert utf8 to BIGINT"},
		{"string into timestamp", str, []any{"2026-01-02"}, tsUs, nil, ErrType, ""},
		{"date into timestamp", date32, []any{tm}, tsUs, nil, ErrType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checkedMem(t)
			var in arrow.Array
			switch tt.from {
			case nil:
				in = dictionary(t, mem, tt.in...)
			case arrow.Null:
				in = array.NewNull(len(tt.in))
			default:
				in = build(t, mem, tt.from, tt.in...)
			}
			defer in.Release()
			out, err := CastColumn(mem, in, tt.to)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("CastColumn = %v, want %v with %q", err, tt.err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("CastColumn: %v", err)
			}
			defer out.Release()
			if !arrow.TypeEqual(out.DataType(), tt.to) {
				t.Fatalf("result type %s, want %s", out.DataType(), tt.to)
			}
			if got := values(t, out); !equalValues(got, tt.want) {
				t.Fatalf("values %v, want %v", got, tt.want)
			}
		})
	}
}

// equalValues is reflect.DeepEqual with NaN equal to NaN.
func equalValues(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, xf := a[i].(float64)
		y, yf := b[i].(float64)
		if xf && yf && math.IsNaN(x) && math.IsNaN(y) {
			continue
		}
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestCastColumnSameType(t *testing.T) {
	mem := checkedMem(t)
	in := build(t, mem, i64, int64(1))
	defer in.Release()
	out, err := CastColumn(mem, in, i64)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if out != in {
		t.Fatalf("an identical type was copied")
	}
}

func TestCastRecord(t *testing.T) {
	field := func(name string, dt arrow.DataType, nullable bool) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: nullable}
	}
	tests := []struct {
		name   string
		in     []arrow.Field
		rows   [][]any
		target []arrow.Field
		want   [][]any // rows of the result, by target column
		err    error
		msg    string
	}{
		{
			name:   "converts, reorders and drops columns",
			in:     []arrow.Field{field("b", str, true), field("a", i32, true), field("c", f64, true)},
			rows:   [][]any{{"x", int64(1), 0.5}, {nil, int64(2), nil}},
			target: []arrow.Field{field("a", i64, false), field("b", arrow.BinaryTypes.LargeString, true)},
			want:   [][]any{{int64(1), "x"}, {int64(2), nil}},
		},
		{
			name:   "NULL into NOT NULL",
			in:     []arrow.Field{field("a", i32, true)},
			rows:   [][]any{{int64(1)}, {nil}},
			target: []arrow.Field{field("a", i64, false)},
			err:    ErrNull, msg: `column "a" is NULL in row 1`,
		},
		{
			name:   "NULL-typed input into NOT NULL",
			in:     []arrow.Field{field("a", arrow.Null, true)},
			rows:   [][]any{{nil}},
			target: []arrow.Field{field("a", str, false)},
			err:    ErrNull, msg: `column "a" is NULL in row 0`,
		},
		{
			name:   "missing column",
			in:     []arrow.Field{field("a", i64, true)},
			rows:   [][]any{{int64(1)}},
			target: []arrow.Field{field("a", i64, true), field("z", i64, true)},
			err:    ErrMissingColumn, msg: `column "z"`,
		},
		{
			name:   "lossy value",
			in:     []arrow.Field{field("a", i64, true)},
			rows:   [][]any{{int64(300)}},
			target: []arrow.Field{field("a", i8, true)},
			err:    ErrLossy, msg: `column "a": `,
		},
		{
			name:   "refused type",
			in:     []arrow.Field{field("a", i64, true)},
			rows:   [][]any{{int64(3)}},
			target: []arrow.Field{field("a", str, true)},
			err:    ErrType, msg: `column "a": `,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checkedMem(t)
			rec := record(t, mem, tt.in, tt.rows)
			defer rec.Release()
			out, err := CastRecord(mem, rec, tt.target)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("CastRecord = %v, want %v with %q", err, tt.err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("CastRecord: %v", err)
			}
			defer out.Release()
			if want := arrow.NewSchema(tt.target, nil); !out.Schema().Equal(want) {
				t.Fatalf("schema %v, want %v", out.Schema(), want)
			}
			if got := rows(t, out); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("rows %v, want %v", got, tt.want)
			}
		})
	}
}

// record builds a record of fields from rows of Go values. A field of Arrow
// type NULL holds only NULLs.
func record(t *testing.T, mem memory.Allocator, fields []arrow.Field, rows [][]any) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, len(fields))
	for i, f := range fields {
		if f.Type.ID() == arrow.NULL {
			cols[i] = array.NewNull(len(rows))
			continue
		}
		vals := make([]any, len(rows))
		for r, row := range rows {
			vals[r] = row[i]
		}
		cols[i] = build(t, mem, f.Type, vals...)
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// rows reads every row of rec with GoValue.
func rows(t *testing.T, rec arrow.RecordBatch) [][]any {
	t.Helper()
	out := make([][]any, rec.NumRows())
	for r := range out {
		out[r] = make([]any, rec.NumCols())
		for c := range out[r] {
			v, err := GoValue(rec.Column(c), r)
			if err != nil {
				t.Fatal(err)
			}
			out[r][c] = v
		}
	}
	return out
}
