package txn

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

func TestBadWritesChangeNothing(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "a", "score": 1, "dt": "d"}]`)
	field := func(name string, typ arrow.DataType, nullable bool) arrow.Field {
		return arrow.Field{Name: name, Type: typ, Nullable: nullable}
	}
	schemaOf := func(fs ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fs, nil) }
	idF := field("id", arrow.PrimitiveTypes.Int64, true)
	dtF := field("dt", arrow.BinaryTypes.String, true)
	cases := []struct {
		name    string
		schema  *arrow.Schema
		rows    string
		want    error
		message string
	}{
		{"type mismatch", schemaOf(idF, field("name", arrow.PrimitiveTypes.Int64, true), dtF),
			`[{"id": 2, "name": 5, "dt": "d"}]`, ErrInvalid, `column "name" is utf8 in the table but int64`},
		{"null primary key", schemaOf(idF, dtF), `[{"id": 2, "dt": "d"}, {"id": null, "dt": "d"}]`, ErrInvalid, `primary key column "id" is NULL in row 1`},
		{"unknown column", schemaOf(idF, dtF, field("nope", arrow.BinaryTypes.String, true)),
			`[{"id": 2, "dt": "d", "nope": "x"}]`, ErrInvalid, `has no column "nope"`},
		{"missing key", schemaOf(dtF, field("name", arrow.BinaryTypes.String, true)), `[{"dt": "d", "name": "x"}]`, ErrInvalid, `lacks primary key column "id"`},
		{"missing partition", schemaOf(idF), `[{"id": 2}]`, ErrInvalid, `lacks partition column "dt"`},
		{"null in NOT NULL partition", schemaOf(idF, dtF), `[{"id": 2, "dt": null}]`, ErrInvalid, `NOT NULL column "dt" is NULL`},
		{"narrowing", schemaOf(idF, dtF, field("score", arrow.BinaryTypes.String, true)), `[{"id": 2, "dt": "d", "score": "1.5"}]`, ErrInvalid, "score"},
		{"overflowing key", schemaOf(field("id", arrow.PrimitiveTypes.Uint64, true), dtF),
			`[{"id": 18446744073709551615, "dt": "d"}]`, ErrInvalid, `column "id"`},
		{"inexact float", schemaOf(idF, dtF, field("score", arrow.PrimitiveTypes.Int64, true)),
			`[{"id": 2, "dt": "d", "score": 9007199254740993}]`, ErrInvalid, `column "score"`},
		{"reserved column", schemaOf(idF, dtF, field("_lakesoul_delete", arrow.FixedWidthTypes.Boolean, true)), `[{"id": 2, "dt": "d", "_lakesoul_delete": true}]`, ErrInvalid, "reserved"},
	}
	head, _ := e.cat.Head(e.ctx, tbl.ID)
	files := listFiles(t, e)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.record(c.schema, c.rows)
			defer rec.Release()
			_, err := e.w.Upsert(e.ctx, tbl, rec)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.message) {
				t.Fatalf("message %q does not say %q", err, c.message)
			}
			if h, _ := e.cat.Head(e.ctx, tbl.ID); h != head {
				t.Fatalf("head moved to %d", h)
			}
			if got := listFiles(t, e); len(got) != len(files) {
				t.Fatalf("files changed: %v", got)
			}
		})
	}
	// Safe widening is accepted: int32 keys into an int64 column; so are
	// other numeric types whose values all convert exactly.
	for _, in := range []struct {
		typ arrow.DataType
		id  int
	}{{arrow.PrimitiveTypes.Int32, 7}, {arrow.PrimitiveTypes.Float64, 8}} {
		rec := e.record(schemaOf(field("id", in.typ, true), dtF), fmt.Sprintf(`[{"id": %d, "dt": "d"}]`, in.id))
		_, err := e.w.Upsert(e.ctx, tbl, rec)
		rec.Release()
		if err != nil {
			t.Fatalf("%s into int64: %v", in.typ, err)
		}
	}
	equalRows(t, "rows", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id"}}), []string{"id=1", "id=7", "id=8"})
}

func TestBadTablesAndFilters(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	_, err := e.cat.CreateTable(e.ctx, catalog.TableSpec{Namespace: catalog.DefaultNamespace, Name: "p", Schema: peopleSchema})
	if !errors.Is(err, catalog.ErrAlreadyExists) {
		t.Fatalf("duplicate table: %v", err)
	}
	for _, bad := range []catalog.TableSpec{
		{Name: "b0", Schema: peopleSchema, PrimaryKey: []string{"id"}, HashBucketNum: 0},
		{Name: "b-1", Schema: peopleSchema, PrimaryKey: []string{"id"}, HashBucketNum: -1},
		{Name: "a/b", Schema: peopleSchema},
		{Name: "..", Schema: peopleSchema},
		{Name: "x", Schema: peopleSchema, PrimaryKey: []string{"nope"}, HashBucketNum: 1},
	} {
		bad.Namespace = catalog.DefaultNamespace
		if _, err := e.cat.CreateTable(e.ctx, bad); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("CreateTable(%q, buckets %d): err = %v, want ErrInvalid", bad.Name, bad.HashBucketNum, err)
		}
	}
	if _, err := e.cat.CreateTable(e.ctx, catalog.TableSpec{Namespace: "nowhere", Name: "t", Schema: peopleSchema}); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unknown namespace: %v", err)
	}
	// A filter on an unknown column is invalid input, for reads and deletes.
	if _, err := e.scanErr(tbl, latest(), mor.ScanOptions{Filter: mor.Eq("nope", 1)}); !errors.Is(err, mor.ErrInvalidFilter) {
		t.Errorf("scan with unknown column: %v", err)
	}
	if _, _, err := e.w.Delete(e.ctx, tbl, mor.Eq("nope", 1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("delete with unknown column: %v", err)
	}
	if _, err := e.scanErr(tbl, latest(), mor.ScanOptions{Filter: mor.Eq("id", "not a number")}); !errors.Is(err, mor.ErrInvalidFilter) {
		t.Errorf("scan with mistyped literal: %v", err)
	}
	// Writing to a dropped table is NotFound and leaves nothing behind.
	if _, err := e.cat.DropTable(e.ctx, catalog.DefaultNamespace, "p"); err != nil {
		t.Fatal(err)
	}
	rec := e.record(peopleSchema, `[{"id": 1, "dt": "d"}]`)
	defer rec.Release()
	if _, err := e.w.Upsert(e.ctx, tbl, rec); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("upsert into dropped table: %v", err)
	}
	if files := listFiles(t, e); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
}
