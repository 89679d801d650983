package mor

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

var lateSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// TestLateMaterialization reads filters on value columns through runs of
// whole rows, a delete file and a key-only row that is not a delete, and
// checks which tasks take the late path.
func TestLateMaterialization(t *testing.T) {
	m := newMemTable(t, lateSchema, []string{"id"}, nil, 1)
	var rows []row
	for i := int64(0); i < 40; i++ {
		rows = append(rows, row{"id": i, "name": []string{"a", "b"}[i%2], "score": float64(i), "tag": "t1"})
	}
	m.write(1, lateSchema, 8, rows)
	// Newer versions: 3 stops matching name = 'b', 4 starts; 6 is renamed.
	m.write(2, lateSchema, 8, []row{
		{"id": int64(3), "name": "c", "score": 3.5, "tag": "t2"},
		{"id": int64(4), "name": "b", "score": 4.5, "tag": "t2"},
		{"id": int64(6), "name": nil, "score": nil, "tag": "t2"},
	})
	del := schemaOf(lateSchema.Field(0), arrow.Field{Name: DeleteMarkerColumn, Type: arrow.FixedWidthTypes.Boolean, Nullable: true})
	// 5 and 7 deleted; 9 named in a key-only row that is not a delete: its
	// values stay those of run 1.
	m.write(3, del, 0, []row{{"id": int64(5), DeleteMarkerColumn: true}, {"id": int64(7), DeleteMarkerColumn: true}, {"id": int64(9), DeleteMarkerColumn: nil}})
	m.write(4, lateSchema, 8, []row{{"id": int64(7), "name": "b", "score": 70.0, "tag": "t4"}, {"id": int64(39), "name": "a", "score": 39.0, "tag": "t4"}})

	cases := []struct {
		opts ScanOptions
		late bool
		want []string
	}{
		{ScanOptions{Filter: And(Eq("name", "b"), Lt("score", 12))}, true, []string{
			"id=1,name=b,score=1,tag=t1", "id=11,name=b,score=11,tag=t1", "id=4,name=b,score=4.5,tag=t2",
			"id=9,name=b,score=9,tag=t1",
		}},
		{ScanOptions{Filter: Gt("score", 38), Columns: []string{"tag"}}, true, []string{"tag=t4", "tag=t4"}},
		{ScanOptions{Filter: IsNull("name"), Columns: []string{"tag", "id"}}, true, []string{"tag=t2,id=6"}},
		{ScanOptions{Filter: Or(Eq("tag", "t2"), Eq("tag", "t4")), Columns: []string{"id", "score"}, Limit: 2}, true, []string{"id=3,score=3.5", "id=4,score=4.5"}},
		{ScanOptions{Filter: Eq("name", "b"), Columns: []string{"id", "name"}}, false, nil}, // nothing to read late
		{ScanOptions{Filter: Eq("id", 4)}, false, []string{"id=4,name=b,score=4.5,tag=t2"}},
	}
	for _, c := range cases {
		t.Run(c.opts.Filter.String(), func(t *testing.T) {
			p := m.plan(c.opts)
			_, _, late := p.lateColumns()
			if late != c.late {
				t.Fatalf("late path %v, want %v", late, c.late)
			}
			got := scanRows(t, m.st, p)
			if c.want == nil {
				return
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("rows = %v\nwant %v", got, c.want)
			}
		})
	}

	// The same reads without late materialisation agree.
	for _, c := range cases {
		p := m.plan(c.opts)
		if c.opts.Limit > 0 {
			continue
		}
		late := scanRows(t, m.st, p)
		merged, err := p.openMerged(context.Background(), m.st, p.Tasks[0], p.readSchema, p.keyConj)
		if err != nil {
			t.Fatal(err)
		}
		if plain := rowStrings(t, p.finish(context.Background(), merged)); !slices.Equal(late, plain) {
			t.Fatalf("%s: late %v, plain %v", c.opts.Filter, late, plain)
		}
	}
}

// TestLateMaterializationFallback checks that a merge operator on a column
// read late, and a partial-column file, take the plain path.
func TestLateMaterializationFallback(t *testing.T) {
	m := newMemTable(t, lateSchema, []string{"id"}, nil, 1)
	m.write(1, lateSchema, 0, []row{{"id": int64(1), "name": "a", "score": 1.0, "tag": "x"}, {"id": int64(2), "name": "b", "score": 2.0, "tag": "y"}})
	m.write(2, schemaOf(lateSchema.Field(0), lateSchema.Field(2)), 0, []row{{"id": int64(1), "score": 10.0}})
	opts := ScanOptions{Filter: Eq("name", "a")}
	p := m.plan(opts)
	if _, ok, err := p.openLate(context.Background(), m.st, p.Tasks[0]); ok || err != nil {
		t.Fatalf("partial file: late path %v, %v", ok, err)
	}
	if got, want := scanRows(t, m.st, p), []string{"id=1,name=a,score=10,tag=x"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}

	m.tbl.Properties = map[string]string{catalog.PropMergeOpPrefix + "score": "sum"}
	m.files = nil
	m.write(1, lateSchema, 0, []row{{"id": int64(1), "name": "a", "score": 1.0, "tag": "x"}})
	m.write(2, lateSchema, 0, []row{{"id": int64(1), "name": "a", "score": 2.0, "tag": "z"}})
	p = m.plan(opts)
	if _, _, ok := p.lateColumns(); ok {
		t.Fatal("merge operator sum on a late column: late path taken")
	}
	if got, want := scanRows(t, m.st, p), []string{"id=1,name=a,score=3,tag=z"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
}
