package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// idsByName returns the field ids of a schema by column name.
func idsByName(s *arrow.Schema) map[string]int {
	out := map[string]int{}
	for _, f := range s.Fields() {
		out[f.Name] = FieldID(f)
	}
	return out
}

func TestEvolveSchema(t *testing.T) {
	c, cli := newTestCatalog(t, func(cfg *Config) { cfg.CheckpointEvery = 3 })
	ctx := ctxT(t)
	spec := pkSpec("evo")
	spec.PartitionBy = []string{"dt"}
	spec.Properties = map[string]string{"merge_op.score": "sum"}
	tbl := mustCreate(t, c, spec)
	if _, err := c.Commit(ctx, tbl.ID, Commit{Version: 1, ReadVersion: 0, Operation: OpAppend,
		Added: []DataFile{{Path: "a", Partition: "dt=1"}}}); err != nil {
		t.Fatal(err)
	}

	// Drop "tags" (the highest id, 6), add "extra" and reorder.
	base := tbl.Schema
	v2 := arrow.NewSchema([]arrow.Field{
		base.Field(1), base.Field(0), base.Field(2), base.Field(3), base.Field(4),
		{Name: "extra", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	cm, err := c.EvolveSchema(ctx, tbl.ID, 1, v2)
	if err != nil {
		t.Fatal(err)
	}
	if cm.Version != 2 || cm.Operation != OpSchemaChange || cm.SchemaID != 1 || cm.ReadVersion != 1 ||
		cm.Summary["added_columns"] != "extra" || cm.Summary["dropped_columns"] != "tags" {
		t.Fatalf("schema change commit %+v", cm)
	}
	got, err := c.LoadTable(ctx, DefaultNamespace, "evo")
	if err != nil {
		t.Fatal(err)
	}
	if got.SchemaID != 1 || got.Schema.Field(0).Name != "name" {
		t.Fatalf("table after evolution: schema %d %v", got.SchemaID, got.Schema)
	}
	ids := idsByName(got.Schema)
	wantIDs := map[string]int{"id": 1, "name": 2, "score": 3, "dt": 4, "op": 5, "extra": 7}
	for name, id := range wantIDs {
		if ids[name] != id {
			t.Errorf("column %s has id %d, want %d", name, ids[name], id)
		}
	}
	if f, _ := fieldByName(got.Schema, "id"); f.Nullable {
		t.Error("primary key column became nullable")
	}

	// Re-adding "tags" gives it a new id: a dropped column's id is never
	// reused.
	v3 := arrow.NewSchema(append(got.Schema.Fields(), arrow.Field{Name: "tags", Type: arrow.BinaryTypes.String, Nullable: true}), nil)
	if _, err := c.EvolveSchema(ctx, tbl.ID, 2, v3); err != nil {
		t.Fatal(err)
	}
	latest, err := openCatalog(t, cli, nil).LoadTableByID(ctx, tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id := idsByName(latest.Schema)["tags"]; id != 8 {
		t.Fatalf("re-added column has id %d, want 8", id)
	}

	// Data commits record the current schema; snapshots carry the schema
	// of their version.
	next, err := c.Commit(ctx, tbl.ID, Commit{Version: 4, ReadVersion: 1, Operation: OpAppend, SchemaID: 0,
		Added: []DataFile{{Path: "b", Partition: "dt=1", SchemaID: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if next.SchemaID != 2 {
		t.Fatalf("commit after evolution has schema id %d, want 2", next.SchemaID)
	}
	for _, cached := range []*Catalog{c, openCatalog(t, cli, func(cfg *Config) { cfg.SnapshotCacheSize = -1 })} {
		for v, want := range map[int64]struct {
			schemaID int64
			files    int
			col0     string
		}{0: {0, 0, "id"}, 1: {0, 1, "id"}, 2: {1, 1, "name"}, 3: {2, 1, "name"}, 4: {2, 2, "name"}} {
			s, err := cached.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(v)})
			if err != nil {
				t.Fatal(err)
			}
			if s.Table.SchemaID != want.schemaID || len(s.Files) != want.files || s.Table.Schema.Field(0).Name != want.col0 {
				t.Fatalf("snapshot %d: schema %d (%s...), %d files; want %+v", v, s.Table.SchemaID, s.Table.Schema.Field(0).Name, len(s.Files), want)
			}
		}
	}
	for id, n := range map[int64]int{0: 6, 1: 6, 2: 7} {
		s, err := c.Schema(ctx, tbl.ID, id)
		if err != nil || s.NumFields() != n {
			t.Fatalf("Schema(%d) = %v, %v; want %d fields", id, s, err, n)
		}
	}
	if _, err := c.Schema(ctx, tbl.ID, 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Schema(3): %v", err)
	}

	t.Run("errors", func(t *testing.T) {
		cur := latest.Schema
		with := func(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }
		replace := func(name string, f arrow.Field) *arrow.Schema {
			fields := append([]arrow.Field(nil), cur.Fields()...)
			for i := range fields {
				if fields[i].Name == name {
					fields[i] = f
				}
			}
			return with(fields...)
		}
		without := func(name string) *arrow.Schema {
			var fields []arrow.Field
			for _, f := range cur.Fields() {
				if f.Name != name {
					fields = append(fields, f)
				}
			}
			return with(fields...)
		}
		tests := []struct {
			name   string
			expect int64
			schema *arrow.Schema
			want   error
			msg    string
		}{
			{"stale version", 3, cur, ErrVersionMismatch, "expected 3"},
			{"nil schema", 4, nil, ErrInvalid, "schema is required"},
			{"drop pk", 4, without("id"), ErrInvalid, "primary key column \"id\" cannot be dropped"},
			{"drop partition", 4, without("dt"), ErrInvalid, "partition column \"dt\" cannot be dropped"},
			{"drop merge column", 4, without("score"), ErrInvalid, "merge_op.score"},
			{"change type", 4, replace("extra", arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), ErrInvalid, "cannot change type"},
			{"make not null", 4, replace("extra", arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Int32}), ErrInvalid, "cannot become NOT NULL"},
			{"new not null", 4, with(append(cur.Fields(), arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32})...), ErrInvalid, "must be nullable"},
			{"duplicate column", 4, with(append(cur.Fields(), cur.Field(0))...), ErrInvalid, "more than once"},
			{"unknown table", 4, cur, ErrNotFound, "does not exist"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := tbl.ID
				if tt.name == "unknown table" {
					id = "ffffffffffffffff"
				}
				_, err := c.EvolveSchema(ctx, id, tt.expect, tt.schema)
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("got %v, want %v mentioning %q", err, tt.want, tt.msg)
				}
			})
		}
		if h, _ := c.Head(ctx, tbl.ID); h != 4 {
			t.Fatalf("failed schema changes moved head to %d", h)
		}
	})
}
