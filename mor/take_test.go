package mor

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestTakeRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(
		`[{"s": "a", "i": 1, "b": true}, {"s": null, "i": 2, "b": null}, {"s": "ccc", "i": null, "b": false}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	got, err := TakeRows(mem, rec, []int32{2, 0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	want, _, _ := array.RecordFromJSON(mem, schema, strings.NewReader(
		`[{"s": "ccc", "i": null, "b": false}, {"s": "a", "i": 1, "b": true}, {"s": null, "i": 2, "b": null}, {"s": "ccc", "i": null, "b": false}]`))
	defer want.Release()
	if !array.RecordEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}
