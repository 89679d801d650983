package arrowconv

import (
	"errors"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestConcatRecords(t *testing.T) {
	ab := []arrow.Field{{Name: "a", Type: i64, Nullable: true}, {Name: "b", Type: str, Nullable: true}}
	renamed := arrow.NewSchema([]arrow.Field{{Name: "x", Type: i64}, {Name: "y", Type: str}}, nil)
	tests := []struct {
		name   string
		parts  [][][]any // rows of each input record, with fields ab
		schema *arrow.Schema
		want   [][]any
		names  []string
		err    error
	}{
		{"several", [][][]any{{{int64(1), "a"}}, {}, {{int64(2), nil}, {nil, "c"}}}, nil,
			[][]any{{int64(1), "a"}, {int64(2), nil}, {nil, "c"}}, []string{"a", "b"}, nil},
		{"several renamed", [][][]any{{{int64(1), "a"}}, {{int64(2), "b"}}}, renamed,
			[][]any{{int64(1), "a"}, {int64(2), "b"}}, []string{"x", "y"}, nil},
		{"one renamed", [][][]any{{{int64(1), "a"}}}, renamed, [][]any{{int64(1), "a"}}, []string{"x", "y"}, nil},
		{"none with a schema", nil, renamed, [][]any{}, []string{"x", "y"}, nil},
		{"none without a schema", nil, nil, nil, nil, ErrSchema},
		{"mismatched types", [][][]any{{{int64(1), "a"}}}, arrow.NewSchema([]arrow.Field{{Name: "a", Type: i32}, {Name: "b", Type: str}}, nil), nil, nil, ErrSchema},
		{"mismatched width", [][][]any{{{int64(1), "a"}}}, arrow.NewSchema(ab[:1], nil), nil, nil, ErrSchema},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := checkedMem(t)
			var recs []arrow.RecordBatch
			defer func() { ReleaseAll(recs) }()
			for _, p := range tt.parts {
				recs = append(recs, record(t, mem, ab, p))
			}
			out, err := ConcatRecords(mem, recs, tt.schema)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ConcatRecords = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ConcatRecords: %v", err)
			}
			defer out.Release()
			if got := rows(t, out); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("rows %v, want %v", got, tt.want)
			}
			var names []string
			for _, f := range out.Schema().Fields() {
				names = append(names, f.Name)
			}
			if !reflect.DeepEqual(names, tt.names) {
				t.Fatalf("columns %v, want %v", names, tt.names)
			}
		})
	}
}

func TestConcatRecordsKeepsSingle(t *testing.T) {
	mem := checkedMem(t)
	rec := record(t, mem, []arrow.Field{{Name: "a", Type: i64}}, [][]any{{int64(1)}})
	defer rec.Release()
	out, err := ConcatRecords(mem, []arrow.RecordBatch{rec}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if out != rec {
		t.Fatalf("a single record was copied")
	}
}

func TestCountAndRelease(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	f := []arrow.Field{{Name: "a", Type: i64, Nullable: true}}
	a := record(t, mem, f, [][]any{{int64(1)}, {int64(2)}})
	b := record(t, mem, f, [][]any{{nil}})
	c := record(t, mem, f, nil)
	if n := CountRows([]arrow.RecordBatch{a, b, c}); n != 3 {
		t.Fatalf("CountRows = %d, want 3", n)
	}
	if n := CountRows(nil); n != 0 {
		t.Fatalf("CountRows(nil) = %d", n)
	}
	ReleaseAll([]arrow.RecordBatch{a}, nil, []arrow.RecordBatch{b, c})
	mem.AssertSize(t, 0)
}

func TestFirstNull(t *testing.T) {
	tests := []struct {
		vals []any
		want int
	}{
		{nil, -1},
		{[]any{int64(1), int64(2)}, -1},
		{[]any{nil}, 0},
		{[]any{int64(1), nil, nil}, 1},
	}
	for _, tt := range tests {
		mem := checkedMem(t)
		arr := build(t, mem, i64, tt.vals...)
		if got := FirstNull(arr); got != tt.want {
			t.Errorf("FirstNull(%v) = %d, want %d", tt.vals, got, tt.want)
		}
		arr.Release()
	}
	if got := FirstNull(array.NewNull(2)); got != 0 {
		t.Errorf("FirstNull(null array) = %d, want 0", got)
	}
}
