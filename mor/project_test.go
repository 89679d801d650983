package mor

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

// fld returns a field with a field id (id < 0: none) and more metadata
// given as key, value pairs.
func fld(name string, t arrow.DataType, id int, kv ...string) arrow.Field {
	var keys, vals []string
	if id >= 0 {
		keys, vals = append(keys, catalog.FieldIDKey), append(vals, strconv.Itoa(id))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		keys, vals = append(keys, kv[i]), append(vals, kv[i+1])
	}
	return arrow.Field{Name: name, Type: t, Nullable: true, Metadata: arrow.NewMetadata(keys, vals)}
}

func TestProject(t *testing.T) {
	i32, i64 := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	str := arrow.BinaryTypes.String
	// The file was written under schema 0: id(1) a(2) b(3) old(4), and a
	// delete marker.
	file := arrow.NewSchema([]arrow.Field{
		fld("id", i64, 1), fld("a", i32, 2), fld("b", str, 3), fld("old", str, 4),
		{Name: DeleteMarkerColumn, Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	// Table now: a widened, b renamed to bee, old dropped and added again
	// (id 5, default), new column c without default (id 6).
	table := []arrow.Field{
		fld("id", i64, 1), fld("a", i64, 2), fld("bee", str, 3),
		fld("old", str, 5, catalog.DefaultKey, "d", catalog.AddedInKey, "2"),
		fld("c", i64, 6, catalog.AddedInKey, "2"),
	}
	names := func(p projection) string {
		var out []string
		for i, f := range p.out.Fields() {
			out = append(out, f.Name+"<"+p.src[i]+"/"+strconv.Itoa(int(p.fill[i]))+":"+f.Type.String())
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name     string
		df       catalog.DataFile
		nullFill bool
		want     string
		read     []string
	}{
		{"run", catalog.DataFile{SchemaID: 0}, false,
			"id<id/0:int64 a<a/0:int64 bee<b/0:utf8 old</1:utf8 _lakesoul_delete<_lakesoul_delete/0:bool",
			[]string{"id", "a", "b", DeleteMarkerColumn}},
		{"partial run", catalog.DataFile{SchemaID: 0, Columns: []string{"id", "a"}}, false,
			"id<id/0:int64 a<a/0:int64 bee<b/0:utf8 old</1:utf8 _lakesoul_delete<_lakesoul_delete/0:bool",
			[]string{"id", "a", "b", DeleteMarkerColumn}},
		{"newer file", catalog.DataFile{SchemaID: 2}, false,
			"id<id/0:int64 a<a/0:int64 bee<b/0:utf8 _lakesoul_delete<_lakesoul_delete/0:bool",
			[]string{"id", "a", "b", DeleteMarkerColumn}},
		{"delete file", catalog.DataFile{SchemaID: 0, Deletes: true}, false,
			"id<id/0:int64 a<a/0:int64 bee<b/0:utf8 _lakesoul_delete<_lakesoul_delete/0:bool",
			[]string{"id", "a", "b", DeleteMarkerColumn}},
		{"concat", catalog.DataFile{SchemaID: 2}, true,
			"id<id/0:int64 a<a/0:int64 bee<b/0:utf8 old</2:utf8 c</2:int64 _lakesoul_delete<_lakesoul_delete/0:bool",
			[]string{"id", "a", "b", DeleteMarkerColumn}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := project(file, tc.df, table, []string{DeleteMarkerColumn}, tc.nullFill)
			if got := names(p); got != tc.want {
				t.Errorf("projection\n got  %s\n want %s", got, tc.want)
			}
			if !slices.Equal(p.read, tc.read) {
				t.Errorf("reads %v, want %v", p.read, tc.read)
			}
		})
	}

	// A file without field ids maps by name.
	plain := arrow.NewSchema([]arrow.Field{fld("id", i64, -1), fld("a", i32, -1), fld("old", str, -1)}, nil)
	p := project(plain, catalog.DataFile{SchemaID: 2}, table, nil, false)
	if got, want := names(p), "id<id/0:int64 a<a/0:int64 old<old/0:utf8"; got != want {
		t.Errorf("file without ids: %s, want %s", got, want)
	}
}

func TestProjectReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	file := arrow.NewSchema([]arrow.Field{
		fld("id", arrow.PrimitiveTypes.Int64, 1), fld("a", arrow.PrimitiveTypes.Int32, 2),
		fld("day", arrow.FixedWidthTypes.Date32, 3), fld("dec", &arrow.Decimal128Type{Precision: 5, Scale: 2}, 4),
	}, nil)
	table := []arrow.Field{
		fld("id", arrow.PrimitiveTypes.Int64, 1), fld("aa", arrow.PrimitiveTypes.Int64, 2),
		fld("day", ts, 3), fld("dec", &arrow.Decimal128Type{Precision: 12, Scale: 2}, 4),
		fld("n", arrow.PrimitiveTypes.Int16, 5, catalog.DefaultKey, "42", catalog.AddedInKey, "1"),
	}
	rec, _, err := array.RecordFromJSON(mem, file, strings.NewReader(
		`[{"id": 1, "a": 10, "day": 20000, "dec": "1.25"}, {"id": 2, "a": null, "day": null, "dec": "-3.50"}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	in, err := array.NewRecordReader(file, []arrow.RecordBatch{rec, rec})
	if err != nil {
		t.Fatal(err)
	}
	p := project(file, catalog.DataFile{SchemaID: 0}, table, nil, false)
	rr := projectReader(in, p, mem)
	defer rr.Release()
	var got []string
	for rr.Next() {
		r := rr.RecordBatch()
		for i := 0; i < int(r.NumRows()); i++ {
			var parts []string
			for j, c := range r.Columns() {
				parts = append(parts, r.ColumnName(j)+"="+c.ValueStr(i))
			}
			got = append(got, strings.Join(parts, ","))
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"id=1,aa=10,day=2024-10-04T00:00:00Z,dec=1.25,n=42",
		"id=2,aa=(null),day=(null),dec=-3.5,n=42",
	}
	want = append(want, want...)
	if !slices.Equal(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
