package catalog

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
)

func TestSetProperties(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	ctx := ctxT(t)
	spec := pkSpec("props")
	spec.Properties = map[string]string{"owner": "ops"}
	tbl := mustCreate(t, c, spec)
	if _, err := c.Commit(ctx, tbl.ID, Commit{Version: 1, ReadVersion: 0, Operation: OpAppend, Added: files("p", 2)}); err != nil {
		t.Fatal(err)
	}
	// Cache both versions, to see that cached snapshots follow the change.
	for v := int64(0); v <= 1; v++ {
		if _, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(v)}); err != nil {
			t.Fatal(err)
		}
	}

	// Steps apply in order; want is the properties after the step, or nil
	// when the step fails with err and changes nothing.
	steps := []struct {
		name  string
		id    string
		set   map[string]string
		unset []string
		want  map[string]string
		err   error
		msg   string
	}{
		{"set new keys", tbl.ID, map[string]string{"compaction.trigger_runs": "8", "retention.versions": "100"}, nil,
			map[string]string{"owner": "ops", "compaction.trigger_runs": "8", "retention.versions": "100"}, nil, ""},
		{"overwrite and unset", tbl.ID, map[string]string{"compaction.trigger_runs": "4"}, []string{"owner", "never.set"},
			map[string]string{"compaction.trigger_runs": "4", "retention.versions": "100"}, nil, ""},
		{"merge operator", tbl.ID, map[string]string{"merge_op.score": "sum"}, nil,
			map[string]string{"compaction.trigger_runs": "4", "retention.versions": "100", "merge_op.score": "sum"}, nil, ""},
		{"no change", tbl.ID, nil, []string{"absent"},
			map[string]string{"compaction.trigger_runs": "4", "retention.versions": "100", "merge_op.score": "sum"}, nil, ""},
		{"empty key set", tbl.ID, map[string]string{"": "x"}, nil, nil, ErrInvalid, "must not be empty"},
		{"empty key unset", tbl.ID, nil, []string{""}, nil, ErrInvalid, "must not be empty"},
		{"set and unset", tbl.ID, map[string]string{"a": "1"}, []string{"a"}, nil, ErrInvalid, "both set and unset"},
		{"unknown merge operator", tbl.ID, map[string]string{"merge_op.score": "max"}, nil, nil, ErrInvalid, "unknown merge operator"},
		{"merge operator of a missing column", tbl.ID, map[string]string{"merge_op.nope": "sum"}, nil, nil, ErrInvalid, "not in the schema"},
		{"cdc column not a string", tbl.ID, map[string]string{PropCDCColumn: "score"}, nil, nil, ErrInvalid, "string column"},
		{"unknown table", "0123456789abcdef", map[string]string{"a": "1"}, nil, nil, ErrNotFound, "does not exist"},
		{"malformed id", "x", map[string]string{"a": "1"}, nil, nil, ErrNotFound, "does not exist"},
		{"unset everything", tbl.ID, nil, []string{"compaction.trigger_runs", "retention.versions", "merge_op.score"},
			map[string]string{}, nil, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := kvsUnder(t, cli, c.prefix)
			got, err := c.SetProperties(ctx, st.id, st.set, st.unset)
			if st.want == nil {
				if !errors.Is(err, st.err) || !strings.Contains(err.Error(), st.msg) {
					t.Fatalf("got %v, want %v mentioning %q", err, st.err, st.msg)
				}
				if after := kvsUnder(t, cli, c.prefix); !maps.Equal(before, after) {
					t.Fatal("a failed SetProperties changed the catalog")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got.Properties, st.want) {
				t.Fatalf("returned properties %v, want %v", got.Properties, st.want)
			}
			loaded, err := openCatalog(t, cli, nil).LoadTableByID(ctx, tbl.ID)
			if err != nil || !maps.Equal(loaded.Properties, st.want) {
				t.Fatalf("stored properties %v (%v), want %v", loaded.Properties, err, st.want)
			}
			// Not versioned: no new version, and every version, cached or
			// not, carries the current properties.
			if h, err := c.Head(ctx, tbl.ID); err != nil || h != 1 {
				t.Fatalf("head %d, %v after SetProperties; want 1", h, err)
			}
			for v := int64(0); v <= 1; v++ {
				s, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(v)})
				if err != nil || !maps.Equal(s.Table.Properties, st.want) {
					t.Fatalf("snapshot %d has properties %v (%v), want %v", v, s.Table.Properties, err, st.want)
				}
			}
		})
	}
}

func TestSetPropertiesConcurrent(t *testing.T) {
	srv := etcdtest.StartServer(t)
	catalogs := []*Catalog{openCatalog(t, etcdtest.Client(t, srv), nil), openCatalog(t, etcdtest.Client(t, srv), nil)}
	ctx := ctxT(t)

	t.Run("setters of different keys", func(t *testing.T) {
		tbl := mustCreate(t, catalogs[0], pkSpec("many"))
		const setters = 8
		var wg sync.WaitGroup
		errs := make(chan error, setters)
		for i := range setters {
			c := catalogs[i%2]
			wg.Go(func() {
				for round := range 3 {
					set := map[string]string{fmt.Sprintf("key.%d", i): fmt.Sprint(round)}
					if _, err := c.SetProperties(ctx, tbl.ID, set, nil); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		syncT(t, catalogs[1]) // the other catalog's client wrote too
		got, err := catalogs[1].LoadTableByID(ctx, tbl.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for i := range setters {
			want[fmt.Sprintf("key.%d", i)] = "2"
		}
		if !maps.Equal(got.Properties, want) {
			t.Fatalf("properties %v, want %v", got.Properties, want)
		}
	})

	t.Run("against a schema change", func(t *testing.T) {
		tbl := mustCreate(t, catalogs[0], pkSpec("evolving"))
		wider, err := testSchema().AddField(6, arrow.Field{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var setErr, evolveErr error
		wg.Go(func() {
			for i := range 10 {
				if _, err := catalogs[0].SetProperties(ctx, tbl.ID, map[string]string{fmt.Sprint("p", i): "x"}, nil); err != nil {
					setErr = err
					return
				}
			}
		})
		wg.Go(func() { _, evolveErr = catalogs[1].EvolveSchema(ctx, tbl.ID, 0, wider) })
		wg.Wait()
		if setErr != nil || evolveErr != nil {
			t.Fatalf("SetProperties: %v; EvolveSchema: %v", setErr, evolveErr)
		}
		got, err := openCatalog(t, catalogs[0].cli, nil).LoadTableByID(ctx, tbl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SchemaID != 1 || got.Schema.NumFields() != 7 || len(got.Properties) != 10 {
			t.Fatalf("schema %d with %d fields and properties %v; want schema 1 with 7 fields and 10 properties",
				got.SchemaID, got.Schema.NumFields(), got.Properties)
		}
	})
}
