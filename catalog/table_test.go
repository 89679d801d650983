package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCreateTableValidation(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	ctx := ctxT(t)
	mustCreate(t, c, pkSpec("taken"))
	before := keysUnder(t, cli, c.prefix)

	floatPK := pkSpec("x")
	floatPK.PrimaryKey = []string{"score"}
	dupSchema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int32},
		{Name: "a", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	emptyName := arrow.NewSchema([]arrow.Field{{Name: "", Type: arrow.PrimitiveTypes.Int32}}, nil)

	tests := []struct {
		name string
		mod  func(*TableSpec)
		want error
		msg  string
	}{
		{"bad table name", func(s *TableSpec) { s.Name = "a.b" }, ErrInvalid, "'.'"},
		{"bad namespace name", func(s *TableSpec) { s.Namespace = "a b" }, ErrInvalid, "spaces"},
		{"missing namespace", func(s *TableSpec) { s.Namespace = "nowhere" }, ErrNotFound, "namespace \"nowhere\" does not exist"},
		{"duplicate name", func(s *TableSpec) { s.Name = "taken" }, ErrAlreadyExists, "already exists"},
		{"nil schema", func(s *TableSpec) { s.Schema = nil }, ErrInvalid, "schema is required"},
		{"no columns", func(s *TableSpec) { s.Schema = arrow.NewSchema(nil, nil); s.PrimaryKey = nil; s.HashBucketNum = 0 }, ErrInvalid, "at least one column"},
		{"duplicate column", func(s *TableSpec) { s.Schema = dupSchema; s.PrimaryKey = nil; s.HashBucketNum = 0 }, ErrInvalid, "more than once"},
		{"empty column name", func(s *TableSpec) { s.Schema = emptyName; s.PrimaryKey = nil; s.HashBucketNum = 0 }, ErrInvalid, "empty name"},
		{"pk missing column", func(s *TableSpec) { s.PrimaryKey = []string{"nope"} }, ErrInvalid, "not in the schema"},
		{"pk twice", func(s *TableSpec) { s.PrimaryKey = []string{"id", "id"} }, ErrInvalid, "listed twice"},
		{"pk float", func(s *TableSpec) { *s = floatPK }, ErrInvalid, "float columns cannot be primary keys"},
		{"pk nested", func(s *TableSpec) { s.PrimaryKey = []string{"tags"} }, ErrInvalid, "cannot be a primary key column"},
		{"partition missing", func(s *TableSpec) { s.PartitionBy = []string{"nope"} }, ErrInvalid, "partition column \"nope\" is not in the schema"},
		{"partition twice", func(s *TableSpec) { s.PartitionBy = []string{"dt", "dt"} }, ErrInvalid, "listed twice"},
		{"partition float", func(s *TableSpec) { s.PartitionBy = []string{"score"} }, ErrInvalid, "cannot be a partition column"},
		{"pk without buckets", func(s *TableSpec) { s.HashBucketNum = 0 }, ErrInvalid, "hash_bucket_num must be at least 1"},
		{"no pk with buckets", func(s *TableSpec) { s.PrimaryKey = nil; s.HashBucketNum = 4 }, ErrInvalid, "must be 0 or 1"},
		{"merge op missing column", func(s *TableSpec) { s.Properties = map[string]string{"merge_op.nope": "sum"} }, ErrInvalid, "not in the schema"},
		{"merge op on pk", func(s *TableSpec) { s.Properties = map[string]string{"merge_op.id": "last"} }, ErrInvalid, "primary key column"},
		{"merge op unknown", func(s *TableSpec) { s.Properties = map[string]string{"merge_op.score": "max"} }, ErrInvalid, "unknown merge operator"},
		{"sum on string", func(s *TableSpec) { s.Properties = map[string]string{"merge_op.name": "sum"} }, ErrInvalid, "numeric column"},
		{"concat on float", func(s *TableSpec) { s.Properties = map[string]string{"merge_op.score": "concat"} }, ErrInvalid, "string column"},
		{"cdc missing", func(s *TableSpec) { s.Properties = map[string]string{PropCDCColumn: "nope"} }, ErrInvalid, "not in the schema"},
		{"cdc not string", func(s *TableSpec) { s.Properties = map[string]string{PropCDCColumn: "score"} }, ErrInvalid, "string column"},
		{"cdc on pk", func(s *TableSpec) {
			s.PrimaryKey = []string{"name"}
			s.Properties = map[string]string{PropCDCColumn: "name"}
		}, ErrInvalid, "primary key column"},
		{"empty property", func(s *TableSpec) { s.Properties = map[string]string{"": "x"} }, ErrInvalid, "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := pkSpec("fresh")
			tt.mod(&spec)
			_, err := c.CreateTable(ctx, spec)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
			if after := keysUnder(t, cli, c.prefix); !slices.Equal(before, after) {
				t.Fatalf("a failed CreateTable changed the catalog:\nbefore %v\nafter  %v", before, after)
			}
		})
	}

	t.Run("accepted", func(t *testing.T) {
		ok := []struct {
			name string
			mod  func(*TableSpec)
		}{
			{"partition also in pk", func(s *TableSpec) { s.PrimaryKey = []string{"id", "dt"}; s.PartitionBy = []string{"dt"} }},
			{"no pk, zero buckets", func(s *TableSpec) { s.PrimaryKey = nil; s.HashBucketNum = 0 }},
			{"no pk, one bucket", func(s *TableSpec) { s.PrimaryKey = nil; s.HashBucketNum = 1 }},
			{"merge ops", func(s *TableSpec) {
				s.Properties = map[string]string{"merge_op.score": "sum", "merge_op.name": "concat", "merge_op.dt": "last_non_null", "merge_op.tags": "last", "other": "x"}
			}},
			{"cdc", func(s *TableSpec) { s.Properties = map[string]string{PropCDCColumn: "op"} }},
		}
		for i, tt := range ok {
			t.Run(tt.name, func(t *testing.T) {
				spec := pkSpec("ok" + strconv.Itoa(i))
				tt.mod(&spec)
				tbl := mustCreate(t, c, spec)
				if len(spec.PrimaryKey) == 0 && tbl.HashBucketNum != 1 {
					t.Fatalf("table without pk stored %d buckets, want 1", tbl.HashBucketNum)
				}
			})
		}
	})
}

func TestCreateTableStored(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	spec := pkSpec("orders")
	spec.PrimaryKey = []string{"id", "name"}
	spec.PartitionBy = []string{"dt"}
	spec.Properties = map[string]string{"merge_op.score": "sum"}
	created := mustCreate(t, c, spec)

	if !isTableID(created.ID) {
		t.Fatalf("table id %q is not 16 hex digits", created.ID)
	}
	if want := "default/orders-" + created.ID; created.Path != want {
		t.Fatalf("path %q, want %q", created.Path, want)
	}
	if spec.Schema.Field(0).Metadata.FindKey(FieldIDKey) >= 0 || !spec.Schema.Field(0).Nullable {
		t.Fatal("CreateTable modified the caller's schema")
	}

	check := func(t *testing.T, tbl *Table) {
		t.Helper()
		if tbl.ID != created.ID || tbl.SchemaID != 0 || tbl.HashBucketNum != 4 ||
			!slices.Equal(tbl.PrimaryKey, []string{"id", "name"}) || !slices.Equal(tbl.PartitionBy, []string{"dt"}) ||
			tbl.Properties["merge_op.score"] != "sum" || !tbl.CreatedAt.Equal(created.CreatedAt) {
			t.Fatalf("table %+v does not match created %+v", tbl, created)
		}
		for i, f := range tbl.Schema.Fields() {
			if got := FieldID(f); got != i+1 {
				t.Errorf("field %s has id %d, want %d", f.Name, got, i+1)
			}
			wantNullable := f.Name != "id" && f.Name != "name"
			if f.Nullable != wantNullable {
				t.Errorf("field %s nullable=%v, want %v", f.Name, f.Nullable, wantNullable)
			}
			if !arrow.TypeEqual(f.Type, spec.Schema.Field(i).Type) {
				t.Errorf("field %s type %s, want %s", f.Name, f.Type, spec.Schema.Field(i).Type)
			}
		}
		if v, _ := tbl.Schema.Field(1).Metadata.GetValue("doc"); v != "the name" {
			t.Errorf("field metadata lost: %v", tbl.Schema.Field(1).Metadata)
		}
		if v, _ := tbl.Schema.Metadata().GetValue("comment"); v != "test table" {
			t.Errorf("schema metadata lost: %v", tbl.Schema.Metadata())
		}
	}
	check(t, created)
	byName, err := c.LoadTable(ctx, DefaultNamespace, "orders")
	if err != nil {
		t.Fatal(err)
	}
	check(t, byName)
	// A fresh catalog decodes from etcd, not from the cache.
	byID, err := openCatalog(t, c.cli, nil).LoadTableByID(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	check(t, byID)

	head, err := c.Head(ctx, created.ID)
	if err != nil || head != 0 {
		t.Fatalf("Head = %d, %v; want 0", head, err)
	}
	commits, err := c.Commits(ctx, created.ID, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 1 || commits[0].Operation != OpCreate || commits[0].Version != 0 ||
		commits[0].ReadVersion != -1 || !commits[0].Timestamp.Equal(created.CreatedAt) {
		t.Fatalf("version 0 = %+v", commits)
	}

	for _, tc := range []struct{ ns, name, id string }{
		{DefaultNamespace, "missing", ""}, {"nons", "orders", ""}, {DefaultNamespace, "a/b", ""},
	} {
		if _, err := c.LoadTable(ctx, tc.ns, tc.name); !errors.Is(err, ErrNotFound) {
			t.Errorf("LoadTable(%s, %s): %v, want ErrNotFound", tc.ns, tc.name, err)
		}
	}
	for _, id := range []string{"0123456789abcdef", "x", "../../ns/default"} {
		if _, err := c.LoadTableByID(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("LoadTableByID(%s): %v, want ErrNotFound", id, err)
		}
	}
}

func TestListTables(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	if _, err := c.CreateNamespace(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zeta", "alpha", "mid", "Beta"} {
		mustCreate(t, c, pkSpec(name))
	}
	o := pkSpec("elsewhere")
	o.Namespace = "other"
	mustCreate(t, c, o)

	tests := []struct {
		ns   string
		want string
		err  error
	}{
		{DefaultNamespace, "Beta,alpha,mid,zeta", nil},
		{"other", "elsewhere", nil},
		{"missing", "", ErrNotFound},
	}
	// More tables than one read transaction fetches.
	if _, err := c.CreateNamespace(ctx, "many", nil); err != nil {
		t.Fatal(err)
	}
	var many []string
	for i := range 70 {
		spec := pkSpec(fmt.Sprintf("t%03d", i))
		spec.Namespace = "many"
		mustCreate(t, c, spec)
		many = append(many, spec.Name)
	}
	tests = append(tests, struct {
		ns   string
		want string
		err  error
	}{"many", strings.Join(many, ","), nil})

	for _, tt := range tests {
		t.Run(tt.ns, func(t *testing.T) {
			list, err := c.ListTables(ctx, tt.ns)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			var names []string
			for _, tbl := range list {
				names = append(names, tbl.Name)
				if tbl.Schema == nil || tbl.Namespace != tt.ns {
					t.Fatalf("incomplete table %+v", tbl)
				}
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDropTable(t *testing.T) {
	ms := newMemManifests()
	c, cli := newTestCatalog(t, func(cfg *Config) {
		cfg.Manifests = ms
		cfg.CheckpointEvery = 2
		cfg.InlineLimit = 2048
	})
	ctx := ctxT(t)
	keep := mustCreate(t, c, pkSpec("keep"))
	tbl := mustCreate(t, c, pkSpec("gone"))
	for v := int64(1); v <= 4; v++ {
		if _, err := c.Commit(ctx, tbl.ID, Commit{Version: v, ReadVersion: v - 1, Operation: OpAppend, Added: files("f"+strconv.FormatInt(v, 10), 20)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.EvolveSchema(ctx, tbl.ID, 4, testSchema()); err != nil {
		t.Fatal(err)
	}
	if n := len(keysUnder(t, cli, c.tablePrefix(tbl.ID)+"ckpt/")); n != 2 {
		t.Fatalf("%d checkpoints before the drop, want 2", n)
	}
	keysBefore := keysUnder(t, cli, c.prefix)

	dropped, err := c.DropTable(ctx, DefaultNamespace, "gone")
	if err != nil {
		t.Fatal(err)
	}
	if dropped.ID != tbl.ID || dropped.SchemaID != 1 || dropped.Path != tbl.Path {
		t.Fatalf("dropped %+v, want the table's last metadata", dropped)
	}
	if left := keysUnder(t, cli, c.tablePrefix(tbl.ID)); len(left) != 0 {
		t.Fatalf("keys left after drop: %v", left)
	}
	for _, k := range keysBefore {
		if strings.Contains(k, tbl.ID) || strings.HasSuffix(k, "/gone") {
			continue
		}
		if !slices.Contains(keysUnder(t, cli, c.prefix), k) {
			t.Fatalf("drop removed unrelated key %s", k)
		}
	}
	if _, err := c.LoadTable(ctx, DefaultNamespace, "gone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadTable after drop: %v", err)
	}
	if _, err := c.Head(ctx, tbl.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Head after drop: %v", err)
	}
	if _, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Snapshot after drop: %v", err)
	}
	if _, err := c.Commit(ctx, tbl.ID, Commit{Version: 6, Operation: OpAppend}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Commit after drop: %v", err)
	}
	if _, err := c.DropTable(ctx, DefaultNamespace, "gone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second drop: %v", err)
	}

	again := mustCreate(t, c, pkSpec("gone"))
	if again.ID == tbl.ID {
		t.Fatal("recreated table reused the old id")
	}
	s, err := c.Snapshot(ctx, again.ID, SnapshotSpec{})
	if err != nil || s.Version != 0 || len(s.Files) != 0 {
		t.Fatalf("recreated table snapshot %+v, %v", s, err)
	}
	if s, err := c.Snapshot(ctx, keep.ID, SnapshotSpec{}); err != nil || s.Version != 0 {
		t.Fatalf("other table: %+v, %v", s, err)
	}
}
