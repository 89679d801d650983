package txn

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

func (e *env) alter(tbl *catalog.Table, changes ...catalog.Alteration) *catalog.Table {
	e.t.Helper()
	if _, err := e.cat.AlterSchema(e.ctx, tbl.ID, changes); err != nil {
		e.t.Fatalf("alter schema: %v", err)
	}
	t, err := e.cat.LoadTableByID(e.ctx, tbl.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

func addCol(name string, t arrow.DataType, nullable bool, def string) catalog.Alteration {
	a := catalog.Alteration{Kind: catalog.AddColumn, Name: name, Type: t, Nullable: nullable}
	if def != "" {
		a.Default = &def
	}
	return a
}

var evolveSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func evolveTable(e *env, name string, pk bool) *catalog.Table {
	spec := catalog.TableSpec{Name: name, Schema: evolveSchema}
	if pk {
		spec.PrimaryKey, spec.HashBucketNum = []string{"id"}, 2
	}
	return e.table(spec)
}

func (e *env) write(tbl *catalog.Table, schema *arrow.Schema, rows string) {
	e.t.Helper()
	rec := e.record(schema, rows)
	defer rec.Release()
	if _, err := e.w.Write(e.ctx, tbl, rec); err != nil {
		e.t.Fatalf("write: %v", err)
	}
}

func TestSchemaEvolutionReads(t *testing.T) {
	for _, pk := range []bool{true, false} {
		name := map[bool]string{true: "keyed", false: "append"}[pk]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, localStorage)
			tbl := evolveTable(e, name, pk)
			e.write(tbl, evolveSchema, `[
				{"id": 1, "v": 10, "f": 1.5, "d": "2026-01-02", "s": "a"},
				{"id": 2, "v": 20, "f": 2.5, "d": "2026-01-03", "s": "b"}]`)
			v1 := e.head(tbl)

			tbl = e.alter(tbl,
				addCol("n", arrow.PrimitiveTypes.Int64, false, "7"),
				addCol("m", arrow.BinaryTypes.String, true, ""))
			vAdd := e.head(tbl)
			equalRows(t, "after add", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "n", "m"}}), []string{
				"id=1,n=7,m=NULL", "id=2,n=7,m=NULL",
			})
			// A full-row write that omits n gets its default; one that names it keeps its value.
			e.write(tbl, subSchema(tbl.Schema, "id", "v", "f", "d", "s", "m"), `[{"id": 3, "v": 30, "f": 3.5, "d": "2026-01-04", "s": "c", "m": "x"}]`)
			e.write(tbl, subSchema(tbl.Schema, "id", "v", "f", "d", "s", "n", "m"), `[{"id": 4, "v": 40, "f": 4.5, "d": "2026-01-05", "s": "d", "n": 1, "m": "y"}]`)
			equalRows(t, "old and new rows", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "n", "m"}}), []string{
				"id=1,n=7,m=NULL", "id=2,n=7,m=NULL", "id=3,n=7,m=x", "id=4,n=1,m=y",
			})

			// Drop s and add it again: a new column, old values do not come back.
			tbl = e.alter(tbl, catalog.Alteration{Kind: catalog.DropColumn, Name: "s"})
			tbl = e.alter(tbl, addCol("s", arrow.BinaryTypes.String, true, "zz"))
			// Rename v, widen v, f and d.
			tbl = e.alter(tbl,
				catalog.Alteration{Kind: catalog.RenameColumn, Name: "v", NewName: "val"},
				catalog.Alteration{Kind: catalog.WidenColumn, Name: "val", Type: arrow.PrimitiveTypes.Int64},
				catalog.Alteration{Kind: catalog.WidenColumn, Name: "f", Type: arrow.PrimitiveTypes.Float64},
				catalog.Alteration{Kind: catalog.WidenColumn, Name: "d", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}})
			e.write(tbl, subSchema(tbl.Schema, "id", "val", "f", "d", "n", "m", "s"),
				`[{"id": 5, "val": 5000000000, "f": 0.25, "d": 1769940000000000, "n": 5, "m": "z", "s": "new"}]`)
			want := []string{
				"id=1,val=10,f=1.5,d=2026-01-02T00:00:00Z,n=7,m=NULL,s=zz",
				"id=2,val=20,f=2.5,d=2026-01-03T00:00:00Z,n=7,m=NULL,s=zz",
				"id=3,val=30,f=3.5,d=2026-01-04T00:00:00Z,n=7,m=x,s=zz",
				"id=4,val=40,f=4.5,d=2026-01-05T00:00:00Z,n=1,m=y,s=zz",
				"id=5,val=5000000000,f=0.25,d=2026-02-01T10:00:00Z,n=5,m=z,s=new",
			}
			equalRows(t, "after drop, re-add, rename and widen", e.scan(tbl, latest(), mor.ScanOptions{}), want)

			// Time travel reads each version with its own schema.
			equalRows(t, "before add", e.scan(tbl, atVersion(v1), mor.ScanOptions{}), []string{
				"id=1,v=10,f=1.5,d=2026-01-02,s=a", "id=2,v=20,f=2.5,d=2026-01-03,s=b",
			})
			equalRows(t, "at add", e.scan(tbl, atVersion(vAdd), mor.ScanOptions{}), []string{
				"id=1,v=10,f=1.5,d=2026-01-02,s=a,n=7,m=NULL", "id=2,v=20,f=2.5,d=2026-01-03,s=b,n=7,m=NULL",
			})

			// Compaction rewrites everything under the current schema.
			if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1}); err != nil {
				t.Fatal(err)
			}
			equalRows(t, "after compaction", e.scan(tbl, latest(), mor.ScanOptions{}), want)
			snap, err := e.cat.Snapshot(e.ctx, tbl.ID, latest())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range snap.Files {
				if f.SchemaID != tbl.SchemaID {
					t.Errorf("compacted file %s has schema %d, want %d", f.Path, f.SchemaID, tbl.SchemaID)
				}
			}
			// Reading after the compaction with a filter on a renamed column.
			equalRows(t, "filter on renamed", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id"}, Filter: mor.Gt("val", int64(25))}), []string{
				"id=3", "id=4", "id=5",
			})
		})
	}
}

func TestSchemaEvolutionMergeAcrossSchemas(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := evolveTable(e, "merge", true)
	e.write(tbl, evolveSchema, `[{"id": 1, "v": 1, "s": "a"}, {"id": 2, "v": 2, "s": "b"}]`)
	// A partial upsert of an existing and a new key before the column exists.
	e.write(tbl, subSchema(evolveSchema, "id", "s"), `[{"id": 2, "s": "b2"}, {"id": 3, "s": "c"}]`)
	tbl = e.alter(tbl, addCol("n", arrow.PrimitiveTypes.Int64, true, "9"), addCol("q", arrow.PrimitiveTypes.Int64, true, ""))
	// Partial upserts after the add: only the columns they carry change.
	e.write(tbl, subSchema(tbl.Schema, "id", "n"), `[{"id": 1, "n": 100}, {"id": 4, "n": 4}]`)
	e.write(tbl, subSchema(tbl.Schema, "id", "q"), `[{"id": 1, "q": 11}, {"id": 2, "q": 22}]`)
	tbl = e.alter(tbl, catalog.Alteration{Kind: catalog.RenameColumn, Name: "s", NewName: "str"})
	e.write(tbl, subSchema(tbl.Schema, "id", "str"), `[{"id": 3, "str": "c2"}]`)
	want := []string{
		"id=1,v=1,str=a,n=100,q=11",
		"id=2,v=2,str=b2,n=9,q=22",
		"id=3,v=NULL,str=c2,n=9,q=NULL",
		"id=4,v=NULL,str=NULL,n=4,q=NULL",
	}
	cols := []string{"id", "v", "str", "n", "q"}
	equalRows(t, "merge across schemas", e.scan(tbl, latest(), mor.ScanOptions{Columns: cols}), want)
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1}); err != nil {
		t.Fatal(err)
	}
	equalRows(t, "after compaction", e.scan(tbl, latest(), mor.ScanOptions{Columns: cols}), want)
	// Time travel before the rename shows the old name.
	equalRows(t, "before rename", e.scan(tbl, atVersion(4), mor.ScanOptions{Columns: []string{"id", "s"}}), []string{
		"id=1,s=a", "id=2,s=b2", "id=3,s=c", "id=4,s=NULL",
	})
}

func TestSchemaEvolutionWrites(t *testing.T) {
	e := newEnv(t, localStorage)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "r", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	tbl := e.table(catalog.TableSpec{Name: "writes", Schema: schema})
	tbl = e.alter(tbl, addCol("k", arrow.PrimitiveTypes.Int64, false, "8"), addCol("m", arrow.PrimitiveTypes.Int64, true, ""))

	// A NOT NULL column without default stays required.
	rec := e.record(subSchema(tbl.Schema, "id", "k"), `[{"id": 1, "k": 1}]`)
	defer rec.Release()
	if _, err := e.w.Append(e.ctx, tbl, rec); err == nil {
		t.Fatal("an append lacking NOT NULL column r was accepted")
	}
	// A NULL given for a defaulted NOT NULL column is still refused.
	bad := e.record(subSchema(tbl.Schema, "id", "r", "k"), `[{"id": 2, "r": 2, "k": null}]`)
	defer bad.Release()
	if _, err := e.w.Append(e.ctx, tbl, bad); err == nil {
		t.Fatal("a NULL in a NOT NULL column was accepted")
	}
	e.write(tbl, subSchema(tbl.Schema, "id", "r"), `[{"id": 3, "r": 3}]`)
	equalRows(t, "defaults", e.scan(tbl, latest(), mor.ScanOptions{}), []string{
		"id=3,r=3,k=8,m=NULL",
	})

	// Upserts: lacking only defaulted columns is a full row; lacking
	// another one is a partial upsert that keeps the rest.
	kt := evolveTable(e, "keyed_writes", true)
	e.write(kt, evolveSchema, `[{"id": 1, "v": 1, "s": "a"}]`)
	kt = e.alter(kt, addCol("n", arrow.PrimitiveTypes.Int64, false, "4"))
	e.write(kt, subSchema(kt.Schema, "id", "n"), `[{"id": 1, "n": 40}]`)
	e.write(kt, subSchema(kt.Schema, "id", "v", "f", "d", "s"), `[{"id": 2, "v": 2, "s": "b"}]`)
	e.write(kt, subSchema(kt.Schema, "id", "s"), `[{"id": 1, "s": "a2"}, {"id": 3, "s": "c"}]`)
	equalRows(t, "keyed", e.scan(kt, latest(), mor.ScanOptions{Columns: []string{"id", "v", "s", "n"}}), []string{
		"id=1,v=1,s=a2,n=40", "id=2,v=2,s=b,n=4", "id=3,v=NULL,s=c,n=NULL",
	})
}

// A write prepared under an older schema commits after a schema change and
// reads correctly: its files carry their schema id and field ids.
func TestWriteRacingSchemaChange(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := evolveTable(e, "race", true)
	e.write(tbl, evolveSchema, `[{"id": 1, "v": 1, "s": "a"}]`)
	old := tbl
	altered := false
	e.w.beforeCommit = func() {
		if altered {
			return
		}
		altered = true
		e.alter(old,
			catalog.Alteration{Kind: catalog.RenameColumn, Name: "s", NewName: "s2"},
			catalog.Alteration{Kind: catalog.WidenColumn, Name: "v", Type: arrow.PrimitiveTypes.Int64},
			addCol("n", arrow.PrimitiveTypes.Int64, true, "5"))
	}
	rec := e.record(evolveSchema, `[{"id": 2, "v": 2, "s": "b"}]`)
	defer rec.Release()
	if _, err := e.w.Upsert(e.ctx, old, rec); err != nil {
		t.Fatal(err)
	}
	e.w.beforeCommit = nil
	tbl, err := e.cat.LoadTableByID(e.ctx, tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, "after racing write", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "v", "s2", "n"}}), []string{
		"id=1,v=1,s2=a,n=5", "id=2,v=2,s2=b,n=5",
	})
}

// An update rewrites a row whose NOT NULL column reads NULL (a key deleted
// and created again by a partial upsert) without turning the NULL into a
// value.
func TestUpdateKeepsNullInNotNullColumn(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := evolveTable(e, "nulls", true)
	e.write(tbl, evolveSchema, `[{"id": 1, "v": 1, "s": "a"}]`)
	tbl = e.alter(tbl, addCol("x", arrow.PrimitiveTypes.Int64, false, "0"))
	keys := e.record(subSchema(evolveSchema, "id"), `[{"id": 1}]`)
	defer keys.Release()
	if _, err := e.w.DeleteKeys(e.ctx, tbl, keys); err != nil {
		t.Fatal(err)
	}
	e.write(tbl, subSchema(evolveSchema, "id", "s"), `[{"id": 1, "s": "b"}]`)
	want := []string{"id=1,v=NULL,f=NULL,d=NULL,s=b,x=NULL"}
	equalRows(t, "before update", e.scan(tbl, latest(), mor.ScanOptions{}), want)
	fn := func(ctx context.Context, rows arrow.RecordBatch) (arrow.RecordBatch, error) {
		c := rows.Column(rows.Schema().FieldIndices("v")[0])
		return array.NewRecordBatch(subSchema(evolveSchema, "v"), []arrow.Array{c}, rows.NumRows()), nil
	}
	if _, _, err := e.w.Update(e.ctx, tbl, mor.Eq("s", "b"), fn); err != nil {
		t.Fatal(err)
	}
	equalRows(t, "after update", e.scan(tbl, latest(), mor.ScanOptions{}), want)
}
