package mor

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// keyTypeCases lists, per supported key type, distinct values in ascending
// order, including the extremes of the type.
var keyTypeCases = []struct {
	name string
	dt   arrow.DataType
	vals []any
}{
	{"int8", arrow.PrimitiveTypes.Int8, []any{int8(math.MinInt8), int8(-1), int8(0), int8(1), int8(math.MaxInt8)}},
	{"int16", arrow.PrimitiveTypes.Int16, []any{int16(math.MinInt16), int16(-300), int16(0), int16(300), int16(math.MaxInt16)}},
	{"int32", arrow.PrimitiveTypes.Int32, []any{int32(math.MinInt32), int32(-1), int32(0), int32(70000), int32(math.MaxInt32)}},
	{"int64", arrow.PrimitiveTypes.Int64, []any{int64(math.MinInt64), int64(-1 << 40), int64(-1), int64(0), int64(1), int64(math.MaxInt64)}},
	{"uint8", arrow.PrimitiveTypes.Uint8, []any{uint8(0), uint8(1), uint8(128), uint8(255)}},
	{"uint16", arrow.PrimitiveTypes.Uint16, []any{uint16(0), uint16(255), uint16(256), uint16(math.MaxUint16)}},
	{"uint32", arrow.PrimitiveTypes.Uint32, []any{uint32(0), uint32(1 << 31), uint32(math.MaxUint32)}},
	{"uint64", arrow.PrimitiveTypes.Uint64, []any{uint64(0), uint64(1), uint64(1 << 63), uint64(math.MaxUint64)}},
	{"bool", arrow.FixedWidthTypes.Boolean, []any{false, true}},
	{"date32", arrow.FixedWidthTypes.Date32, []any{arrow.Date32(-100), arrow.Date32(0), arrow.Date32(19000)}},
	{"timestamp", arrow.FixedWidthTypes.Timestamp_ns, []any{arrow.Timestamp(math.MinInt64), arrow.Timestamp(-5), arrow.Timestamp(1e18)}},
	{"string", arrow.BinaryTypes.String, []any{"", "\x00", "\x00\x00", "a", "a\x00", "a\x00b", "ab", "b", "\xff"}},
	{"large_string", arrow.BinaryTypes.LargeString, []any{"", "a", "aa", "ab", "b"}},
	{"binary", arrow.BinaryTypes.Binary, []any{[]byte{}, []byte{0}, []byte{0, 0}, []byte{0, 1}, []byte{1}, []byte{0xff, 0}}},
	{"decimal128", &arrow.Decimal128Type{Precision: 38, Scale: 0}, []any{
		decimal128.New(math.MinInt64, 0), decimal128.New(-1, 0), decimal128.FromI64(-1), decimal128.FromI64(0),
		decimal128.FromI64(1), decimal128.New(0, math.MaxUint64), decimal128.New(1, 0), decimal128.New(math.MaxInt64, math.MaxUint64),
	}},
}

// buildArray builds an array of dt from vals, sliced so that its offset is 1.
func buildArray(mem memory.Allocator, dt arrow.DataType, vals []any) arrow.Array {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	b.AppendNull() // sliced off below
	for _, v := range vals {
		if err := arrowconv.AppendValue(b, v); err != nil {
			panic(err)
		}
	}
	full := b.NewArray()
	defer full.Release()
	return array.NewSlice(full, 1, int64(full.Len()))
}

// keyCompare compares rows i and j of one loaded key batch.
func keyCompare(kb *keyBatch, mode keyMode, i, j int) int {
	if mode == keyUint {
		return cmp.Compare(kb.u[i], kb.u[j])
	}
	return bytes.Compare(kb.bytesAt(i), kb.bytesAt(j))
}

func TestKeyOrder(t *testing.T) {
	for _, tc := range keyTypeCases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			arr := buildArray(mem, tc.dt, tc.vals)
			defer arr.Release()
			for _, composite := range []bool{false, true} {
				types := []arrow.DataType{tc.dt}
				cols := []arrow.Array{arr}
				if composite {
					// (v, v) pairs sort like v through the composite encoding.
					types = append(types, tc.dt)
					cols = append(cols, arr)
				}
				spec, err := newKeySpec(make([]string, len(types)), types)
				if err != nil {
					t.Fatal(err)
				}
				if composite && spec.mode != keyEncoded {
					t.Fatalf("composite key uses mode %d", spec.mode)
				}
				var kb keyBatch
				if err := spec.load(&kb, cols); err != nil {
					t.Fatal(err)
				}
				if i := kb.firstUnsorted(spec.mode); i >= 0 {
					t.Fatalf("composite=%v: ascending values reported unsorted at row %d", composite, i)
				}
				for i := range tc.vals {
					for j := range tc.vals {
						if got, want := keyCompare(&kb, spec.mode, i, j), cmp.Compare(i, j); got != want {
							t.Fatalf("composite=%v: compare(%v, %v) = %d, want %d", composite, tc.vals[i], tc.vals[j], got, want)
						}
					}
				}
			}
		})
	}
}

// TestCompositeKeyOrder checks that the first column dominates and that the
// string escaping keeps prefixes ordered within the composite encoding.
func TestCompositeKeyOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	type tuple struct {
		s string
		i int32
	}
	tuples := []tuple{{"", -1}, {"", 5}, {"\x00", math.MinInt32}, {"a", 0}, {"a\x00", -7}, {"a\x00\x00", 0}, {"a\x01", 0}, {"ab", math.MaxInt32}, {"b", 0}}
	var ss, is []any
	for _, tp := range tuples {
		ss = append(ss, tp.s)
		is = append(is, tp.i)
	}
	sa := buildArray(mem, arrow.BinaryTypes.String, ss)
	defer sa.Release()
	ia := buildArray(mem, arrow.PrimitiveTypes.Int32, is)
	defer ia.Release()
	spec, err := newKeySpec([]string{"s", "i"}, []arrow.DataType{sa.DataType(), ia.DataType()})
	if err != nil {
		t.Fatal(err)
	}
	var kb keyBatch
	if err := spec.load(&kb, []arrow.Array{sa, ia}); err != nil {
		t.Fatal(err)
	}
	for i := range tuples {
		for j := range tuples {
			if got := keyCompare(&kb, spec.mode, i, j); got != cmp.Compare(i, j) {
				t.Fatalf("compare(%q, %q) = %d", fmt.Sprint(tuples[i]), fmt.Sprint(tuples[j]), got)
			}
		}
	}
}

// TestMergeKeyTypes merges two overlapping runs for every key type.
func TestMergeKeyTypes(t *testing.T) {
	for _, tc := range keyTypeCases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s := schemaOf(field("k", tc.dt), field("v", arrow.PrimitiveTypes.Int64))
			var older, newer []row
			for i, v := range tc.vals {
				if i%2 == 0 {
					older = append(older, row{"k": v, "v": int64(1)})
				}
				if i%3 != 1 {
					newer = append(newer, row{"k": v, "v": int64(2)})
				}
			}
			rr, err := NewMergeReader(context.Background(), []Run{newRun(mem, s, 1, older, 2), newRun(mem, s, 2, newer, 3)},
				MergeOptions{PrimaryKey: []string{"k"}, Schema: s, BatchSize: 3, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(t, rr, 3)
			if err != nil {
				t.Fatal(err)
			}
			var want []row
			for i, v := range tc.vals {
				switch {
				case i%3 != 1:
					want = append(want, row{"k": v, "v": int64(2)})
				case i%2 == 0:
					want = append(want, row{"k": v, "v": int64(1)})
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %v\nwant %v", got, want)
			}
		})
	}
}

func TestKeySpecRejects(t *testing.T) {
	tests := []struct {
		name  string
		types []arrow.DataType
	}{
		{"none", nil},
		{"float", []arrow.DataType{arrow.PrimitiveTypes.Float64}},
		{"list", []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.ListOf(arrow.PrimitiveTypes.Int64)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := newKeySpec(make([]string, len(tc.types)), tc.types); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
