package catalog

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func strp(s string) *string { return &s }

// alterTable creates a table for alteration tests: primary key id,
// partition dt, merge operator on score, CDC column op, and a few columns
// of widenable types.
func alterTable(t *testing.T, c *Catalog, name string) *Table {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "dt", Type: arrow.BinaryTypes.String},
		{Name: "score", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "op", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String},
	}, nil)
	return mustCreate(t, c, TableSpec{
		Namespace: DefaultNamespace, Name: name, Schema: schema,
		PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 2,
		Properties: map[string]string{"merge_op.score": "sum", PropCDCColumn: "op"},
	})
}

func TestAlterSchemaKinds(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := alterTable(t, c, "kinds")
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	cm, err := c.AlterSchema(ctx, tbl.ID, []Alteration{
		{Kind: AddColumn, Name: "n", Type: arrow.PrimitiveTypes.Int64, Default: strp("0")},
		{Kind: AddColumn, Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
		{Kind: AddColumn, Name: "when", Type: ts, Nullable: true, Default: strp("2026-01-01")},
		{Kind: DropColumn, Name: "u16"},
		{Kind: RenameColumn, Name: "i8", NewName: "small"},
		{Kind: WidenColumn, Name: "small", Type: arrow.PrimitiveTypes.Int64},
		{Kind: WidenColumn, Name: "f32", Type: arrow.PrimitiveTypes.Float64},
		{Kind: WidenColumn, Name: "dec", Type: &arrow.Decimal128Type{Precision: 20, Scale: 2}},
		{Kind: WidenColumn, Name: "day", Type: ts},
		{Kind: WidenColumn, Name: "score", Type: arrow.PrimitiveTypes.Int64},
		{Kind: DropNotNull, Name: "s"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Operation != OpSchemaChange || cm.SchemaID != 1 || cm.Version != 1 {
		t.Fatalf("commit %+v", cm)
	}
	wantSummary := map[string]string{
		"added_columns":    "n,note,when",
		"dropped_columns":  "u16",
		"renamed_columns":  "i8:small",
		"widened_columns":  "small:int64,f32:float64,dec:decimal(20, 2),day:timestamp[us, tz=UTC],score:int64",
		"nullable_columns": "s",
	}
	for k, v := range wantSummary {
		if cm.Summary[k] != v {
			t.Errorf("summary %s = %q, want %q", k, cm.Summary[k], v)
		}
	}
	got, err := openCatalog(t, cli, nil).LoadTableByID(ctx, tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids := idsByName(got.Schema)
	for name, id := range map[string]int{"id": 1, "score": 3, "small": 5, "f32": 7, "day": 9, "n": 11, "note": 12, "when": 13} {
		if ids[name] != id {
			t.Errorf("column %s has id %d, want %d", name, ids[name], id)
		}
	}
	if _, ok := ids["u16"]; ok {
		t.Error("dropped column still in the schema")
	}
	n, _ := fieldByName(got.Schema, "n")
	if d, ok := DefaultOf(n); !ok || d != "0" || AddedIn(n) != 1 || n.Nullable {
		t.Errorf("column n: default %q %v, added in %d, nullable %v", d, ok, AddedIn(n), n.Nullable)
	}
	if note, _ := fieldByName(got.Schema, "note"); AddedIn(note) != 1 {
		t.Errorf("column note added in %d", AddedIn(note))
	}
	if _, ok := DefaultOf(got.Schema.Field(0)); ok {
		t.Error("id has a default")
	}
	if s, _ := fieldByName(got.Schema, "s"); !s.Nullable {
		t.Error("s is still NOT NULL")
	}
	w, _ := fieldByName(got.Schema, "when")
	arr, ok, err := DefaultArray(memory.DefaultAllocator, w, 3)
	if err != nil || !ok || arr.Len() != 3 || arr.ValueStr(2) != "2026-01-01T00:00:00Z" {
		t.Fatalf("default of when: %v %v %v", arr, ok, err)
	}
	arr.Release()

	// The old schema is kept for time travel.
	s0, err := c.Schema(ctx, tbl.ID, 0)
	if err != nil || !s0.HasField("u16") || !s0.HasField("i8") {
		t.Fatalf("schema 0: %v %v", s0, err)
	}
	// A dropped name added again is a new column.
	if _, err := c.AlterSchema(ctx, tbl.ID, []Alteration{{Kind: AddColumn, Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	again, _ := c.LoadTableByID(ctx, tbl.ID)
	if id := idsByName(again.Schema)["u16"]; id != 14 {
		t.Fatalf("re-added u16 has id %d, want 14", id)
	}
	hist, err := c.History(ctx, tbl.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Operation != OpSchemaChange || hist[1].Operation != OpSchemaChange || hist[0].Summary["added_columns"] != "u16" {
		t.Fatalf("history %+v", hist)
	}
}

func TestAlterSchemaErrors(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := alterTable(t, c, "errs")
	if _, err := c.Commit(ctx, tbl.ID, Commit{Version: 1, ReadVersion: 0, Operation: OpAppend,
		Added: []DataFile{{Path: "a", Partition: "dt=1"}}}); err != nil {
		t.Fatal(err)
	}
	i64 := arrow.PrimitiveTypes.Int64
	cases := []struct {
		name    string
		changes []Alteration
		want    error
		msg     string
	}{
		{"drop unknown", []Alteration{{Kind: DropColumn, Name: "nope"}}, ErrNotFound, `"nope" does not exist`},
		{"rename unknown", []Alteration{{Kind: RenameColumn, Name: "nope", NewName: "x"}}, ErrNotFound, `"nope"`},
		{"widen unknown", []Alteration{{Kind: WidenColumn, Name: "nope", Type: i64}}, ErrNotFound, `"nope"`},
		{"drop not null unknown", []Alteration{{Kind: DropNotNull, Name: "nope"}}, ErrNotFound, `"nope"`},
		{"drop key", []Alteration{{Kind: DropColumn, Name: "id"}}, ErrInvalid, `"id" is a primary key column`},
		{"rename key", []Alteration{{Kind: RenameColumn, Name: "id", NewName: "id2"}}, ErrInvalid, "primary key"},
		{"retype key", []Alteration{{Kind: WidenColumn, Name: "id", Type: i64}}, ErrInvalid, "primary key"},
		{"drop partition", []Alteration{{Kind: DropColumn, Name: "dt"}}, ErrInvalid, `"dt" is a partition column`},
		{"rename partition", []Alteration{{Kind: RenameColumn, Name: "dt", NewName: "day2"}}, ErrInvalid, "partition"},
		{"retype partition", []Alteration{{Kind: WidenColumn, Name: "dt", Type: arrow.BinaryTypes.LargeString}}, ErrInvalid, "partition"},
		{"key nullable", []Alteration{{Kind: DropNotNull, Name: "id"}}, ErrInvalid, "primary key"},
		{"drop merge op column", []Alteration{{Kind: DropColumn, Name: "score"}}, ErrInvalid, "merge operator"},
		{"rename cdc column", []Alteration{{Kind: RenameColumn, Name: "op", NewName: "op2"}}, ErrInvalid, "CDC"},
		{"narrowing", []Alteration{{Kind: WidenColumn, Name: "score", Type: arrow.PrimitiveTypes.Int16}}, ErrInvalid,
			`cannot change type of column "score" from int32 to int16: only widening is allowed`},
		{"string to int", []Alteration{{Kind: WidenColumn, Name: "s", Type: i64}}, ErrInvalid, "only widening"},
		{"signed to unsigned", []Alteration{{Kind: WidenColumn, Name: "i8", Type: arrow.PrimitiveTypes.Uint64}}, ErrInvalid, "only widening"},
		{"decimal scale", []Alteration{{Kind: WidenColumn, Name: "dec", Type: &arrow.Decimal128Type{Precision: 20, Scale: 3}}}, ErrInvalid, "only widening"},
		{"float to int", []Alteration{{Kind: WidenColumn, Name: "f32", Type: i64}}, ErrInvalid, "only widening"},
		{"not null without default", []Alteration{{Kind: AddColumn, Name: "x", Type: i64}}, ErrInvalid, `"x" is NOT NULL but has no default`},
		{"bad default", []Alteration{{Kind: AddColumn, Name: "x", Type: i64, Nullable: true, Default: strp("abc")}}, ErrInvalid, `default of column "x"`},
		{"bad date default", []Alteration{{Kind: AddColumn, Name: "x", Type: arrow.FixedWidthTypes.Date32, Default: strp("yesterday")}}, ErrInvalid, "default"},
		{"out of range default", []Alteration{{Kind: AddColumn, Name: "x", Type: arrow.PrimitiveTypes.Int8, Default: strp("300")}}, ErrInvalid, "default"},
		{"add clash", []Alteration{{Kind: AddColumn, Name: "s", Type: i64, Nullable: true}}, ErrInvalid, `"s" already exists`},
		{"rename clash", []Alteration{{Kind: RenameColumn, Name: "i8", NewName: "s"}}, ErrInvalid, "already exists"},
		{"reserved name", []Alteration{{Kind: AddColumn, Name: "_lakesoul_delete", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}}, ErrInvalid, "reserved"},
		{"empty name", []Alteration{{Kind: RenameColumn, Name: "i8", NewName: ""}}, ErrInvalid, "empty"},
		{"no type", []Alteration{{Kind: AddColumn, Name: "x", Nullable: true}}, ErrInvalid, "type"},
		// A later alteration fails: the earlier ones are not applied either.
		{"second fails", []Alteration{{Kind: DropColumn, Name: "s"}, {Kind: DropColumn, Name: "s"}}, ErrNotFound, `"s"`},
		{"no changes", nil, ErrInvalid, "no schema change"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.AlterSchema(ctx, tbl.ID, tc.changes)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
	head, err := c.Head(ctx, tbl.ID)
	if err != nil || head != 1 {
		t.Fatalf("head %d %v, want 1", head, err)
	}
	got, err := c.LoadTableByID(ctx, tbl.ID)
	if err != nil || got.SchemaID != 0 || !got.Schema.Equal(tbl.Schema) {
		t.Fatalf("schema changed: %d %v", got.SchemaID, err)
	}
	if _, err := c.AlterSchema(ctx, "0123456789abcdef", []Alteration{{Kind: DropColumn, Name: "s"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown table: %v", err)
	}
}

func TestWidens(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Nanosecond}
	for _, tc := range []struct {
		from, to arrow.DataType
		ok       bool
	}{
		{arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int64, true},
		{arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, true},
		{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32, false},
		{arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint32, true},
		{arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Int32, false},
		{arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64, true},
		{arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float32, false},
		{arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64, false},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, &arrow.Decimal128Type{Precision: 6, Scale: 2}, true},
		{&arrow.Decimal128Type{Precision: 5, Scale: 2}, &arrow.Decimal128Type{Precision: 4, Scale: 2}, false},
		{arrow.FixedWidthTypes.Date32, ts, true},
		{ts, arrow.FixedWidthTypes.Date32, false},
		{arrow.BinaryTypes.String, arrow.BinaryTypes.String, true},
		{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, false},
	} {
		if got := Widens(tc.from, tc.to); got != tc.ok {
			t.Errorf("Widens(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
}

// AlterSchema lands while data commits race it, and they all land.
func TestAlterSchemaRacingCommits(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := alterTable(t, c, "race")
	const writers, perWriter = 4, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter+1)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				for {
					head, err := c.Head(ctx, tbl.ID)
					if err != nil {
						errs <- err
						return
					}
					_, err = c.Commit(ctx, tbl.ID, Commit{Version: head + 1, ReadVersion: head, Operation: OpAppend,
						Added: []DataFile{{Path: fmt.Sprintf("w%d-%d", w, i), Partition: "dt=1"}}})
					if errors.Is(err, ErrVersionMismatch) {
						continue
					}
					if err != nil {
						errs <- err
					}
					break
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 5 {
			_, err := c.AlterSchema(ctx, tbl.ID, []Alteration{{Kind: AddColumn, Name: fmt.Sprintf("c%d", i), Type: arrow.PrimitiveTypes.Int64, Nullable: true}})
			if err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	snap, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != writers*perWriter+5 || len(snap.Files) != writers*perWriter || snap.Table.SchemaID != 5 {
		t.Fatalf("version %d, %d files, schema %d", snap.Version, len(snap.Files), snap.Table.SchemaID)
	}
}

func TestRenameTable(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("old"))
	mustCreate(t, c, pkSpec("taken"))
	if _, err := c.CreateNamespace(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateView(ctx, View{Namespace: "other", Name: "aview", SQL: "SELECT 1"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, tbl.ID, Commit{Version: 1, ReadVersion: 0, Operation: OpAppend, Added: []DataFile{{Path: "a"}}}); err != nil {
		t.Fatal(err)
	}
	// Warm the snapshot cache under the old name.
	if _, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		ns, name, newNS, newName string
		want                     error
	}{
		{DefaultNamespace, "nope", DefaultNamespace, "x", ErrNotFound},
		{DefaultNamespace, "old", "missing", "x", ErrNotFound},
		{DefaultNamespace, "old", DefaultNamespace, "taken", ErrAlreadyExists},
		{DefaultNamespace, "old", "other", "aview", ErrAlreadyExists},
		{DefaultNamespace, "old", DefaultNamespace, "bad.name", ErrInvalid},
	} {
		if _, err := c.RenameTable(ctx, tc.ns, tc.name, tc.newNS, tc.newName); !errors.Is(err, tc.want) {
			t.Errorf("rename %s.%s to %s.%s: %v, want %v", tc.ns, tc.name, tc.newNS, tc.newName, err, tc.want)
		}
	}
	if h, _ := c.Head(ctx, tbl.ID); h != 1 {
		t.Fatalf("failed renames changed the head to %d", h)
	}

	got, err := c.RenameTable(ctx, DefaultNamespace, "old", "other", "new")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tbl.ID || got.Path != tbl.Path || got.Namespace != "other" || got.Name != "new" || got.SchemaID != 0 {
		t.Fatalf("renamed table %+v", got)
	}
	if _, err := c.LoadTable(ctx, DefaultNamespace, "old"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name still loads: %v", err)
	}
	for _, cat := range []*Catalog{c, openCatalog(t, cli, nil)} {
		byName, err := cat.LoadTable(ctx, "other", "new")
		if err != nil || byName.ID != tbl.ID {
			t.Fatalf("load by new name: %v", err)
		}
		snap, err := cat.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(1)})
		if err != nil || snap.Table.Name != "new" || snap.Table.Namespace != "other" || len(snap.Files) != 1 {
			t.Fatalf("snapshot after rename: %+v %v", snap, err)
		}
	}
	hist, err := c.History(ctx, tbl.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cm := hist[0]; cm.Operation != OpSchemaChange || cm.SchemaID != 0 || cm.Version != 2 ||
		cm.Summary["renamed_from"] != "default.old" || cm.Summary["renamed_to"] != "other.new" {
		t.Fatalf("rename commit %+v", cm)
	}
	// The old name is free again.
	mustCreate(t, c, pkSpec("old"))
	if _, err := c.DropTable(ctx, "other", "new"); err != nil {
		t.Fatal(err)
	}
}
