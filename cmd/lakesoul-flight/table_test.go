package main

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// record builds a one-column-per-array record; the caller releases it.
func record(t *testing.T, fields []arrow.Field, cols ...arrow.Array) arrow.RecordBatch {
	t.Helper()
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(cols[0].Len()))
}

func checkedAlloc(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func render(t *testing.T, rec arrow.RecordBatch) string {
	t.Helper()
	tbl := newTextTable(rec.Schema())
	tbl.appendRecord(rec)
	var b strings.Builder
	if err := tbl.write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTableLayout(t *testing.T) {
	mem := checkedAlloc(t)
	ids := array.NewInt64Builder(mem)
	defer ids.Release()
	ids.AppendValues([]int64{1, 12345, 0}, []bool{true, true, false})
	names := array.NewStringBuilder(mem)
	defer names.Release()
	names.AppendValues([]string{"alice", "", "数据库"}, []bool{true, false, true})
	notes := array.NewStringBuilder(mem)
	defer notes.Release()
	notes.AppendValues([]string{"a\nb", "e\u0301te", "x"}, nil)
	rec := record(t, []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String},
	}, ids.NewArray(), names.NewArray(), notes.NewArray())
	defer rec.Release()

	// Numbers right aligned, NULL for nulls, wide characters two columns,
	// a combining accent none, control characters escaped.
	want := "" +
		" id    | name   | note\n" +
		"-------+--------+------\n" +
		"     1 | alice  | a\\nb\n" +
		" 12345 | NULL   | e\u0301te\n" +
		"  NULL | 数据库 | x\n" +
		"(3 rows)\n"
	if got := render(t, rec); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTableEmptyAndSingle(t *testing.T) {
	mem := checkedAlloc(t)
	b := array.NewInt32Builder(mem)
	defer b.Release()
	empty := record(t, []arrow.Field{{Name: "long_column_name", Type: arrow.PrimitiveTypes.Int32}}, b.NewArray())
	defer empty.Release()
	if got, want := render(t, empty), " long_column_name\n------------------\n(0 rows)\n"; got != want {
		t.Fatalf("empty: got %q, want %q", got, want)
	}
	b.Append(7)
	one := record(t, []arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int32}}, b.NewArray())
	defer one.Release()
	if got, want := render(t, one), " n\n---\n 7\n(1 row)\n"; got != want {
		t.Fatalf("one: got %q, want %q", got, want)
	}
	var sb strings.Builder
	if err := newTextTable(arrow.NewSchema(nil, nil)).write(&sb); err != nil || sb.String() != "(0 rows)\n" {
		t.Fatalf("no columns: %q, %v", sb.String(), err)
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":         0,
		"abc":      3,
		"é":        1, // precomposed
		"e\u0301":  1, // combining accent
		"数据":       4,
		"ｆｕｌｌ":     8, // fullwidth Latin
		"a\u200bb": 2, // zero-width space
		"😀":        2,
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestFormatCell(t *testing.T) {
	mem := checkedAlloc(t)
	ts := time.Date(2026, 3, 1, 12, 30, 45, 123456000, time.UTC)
	tests := []struct {
		name  string
		build func() arrow.Array
		want  string
	}{
		{"timestamp utc", func() arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
			defer b.Release()
			b.Append(arrow.Timestamp(ts.UnixMicro()))
			return b.NewArray()
		}, "2026-03-01 12:30:45.123456+00:00"},
		{"timestamp zone", func() arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "+08:00"})
			defer b.Release()
			b.Append(arrow.Timestamp(ts.UnixMilli()))
			return b.NewArray()
		}, "2026-03-01 20:30:45.123+08:00"},
		{"timestamp naive", func() arrow.Array {
			b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Second})
			defer b.Release()
			b.Append(arrow.Timestamp(ts.Unix()))
			return b.NewArray()
		}, "2026-03-01 12:30:45"},
		{"date32", func() arrow.Array {
			b := array.NewDate32Builder(mem)
			defer b.Release()
			b.Append(arrow.Date32FromTime(ts))
			return b.NewArray()
		}, "2026-03-01"},
		{"date64", func() arrow.Array {
			b := array.NewDate64Builder(mem)
			defer b.Release()
			b.Append(arrow.Date64FromTime(ts))
			return b.NewArray()
		}, "2026-03-01"},
		{"time64", func() arrow.Array {
			b := array.NewTime64Builder(mem, arrow.FixedWidthTypes.Time64us.(*arrow.Time64Type))
			defer b.Release()
			b.Append(arrow.Time64((12*3600 + 5) * 1e6))
			return b.NewArray()
		}, "12:00:05"},
		{"decimal", func() arrow.Array {
			b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 10, Scale: 2})
			defer b.Release()
			b.Append(decimal128.FromI64(-12345))
			return b.NewArray()
		}, "-123.45"},
		{"decimal keeps its scale", func() arrow.Array {
			b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 10, Scale: 2})
			defer b.Release()
			b.Append(decimal128.FromI64(1250))
			return b.NewArray()
		}, "12.50"},
		{"decimal256", func() arrow.Array {
			b := array.NewDecimal256Builder(mem, &arrow.Decimal256Type{Precision: 40, Scale: 3})
			defer b.Release()
			b.Append(decimal256.FromI64(5))
			return b.NewArray()
		}, "0.005"},
		{"binary", func() arrow.Array {
			b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
			defer b.Release()
			b.Append([]byte{0xde, 0xad, 0x01})
			return b.NewArray()
		}, `\xdead01`},
		{"float", func() arrow.Array {
			b := array.NewFloat64Builder(mem)
			defer b.Release()
			b.Append(1234567.5)
			return b.NewArray()
		}, "1234567.5"},
		{"tiny float", func() arrow.Array {
			b := array.NewFloat32Builder(mem)
			defer b.Release()
			b.Append(1.5e-9)
			return b.NewArray()
		}, "1.5e-09"},
		{"bool", func() arrow.Array {
			b := array.NewBooleanBuilder(mem)
			defer b.Release()
			b.Append(true)
			return b.NewArray()
		}, "true"},
		{"duration", func() arrow.Array {
			b := array.NewDurationBuilder(mem, &arrow.DurationType{Unit: arrow.Millisecond})
			defer b.Release()
			b.Append(1500)
			return b.NewArray()
		}, "1.5s"},
		{"dictionary", func() arrow.Array {
			b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String})
			defer b.Release()
			_ = b.(*array.BinaryDictionaryBuilder).AppendString("red")
			return b.NewArray()
		}, "red"},
		{"list", func() arrow.Array {
			b := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32)
			defer b.Release()
			b.Append(true)
			b.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
			return b.NewArray()
		}, "[1,2]"},
		{"null", func() arrow.Array {
			b := array.NewStringBuilder(mem)
			defer b.Release()
			b.AppendNull()
			return b.NewArray()
		}, "NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arr := tt.build()
			defer arr.Release()
			if got := formatCell(arr, 0); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
