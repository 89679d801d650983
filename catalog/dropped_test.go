package catalog

import (
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"
)

func TestDroppedTables(t *testing.T) {
	start := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := newTestClock(start)
	c, cli := newTestCatalog(t, clock.config())
	ctx := ctxT(t)
	if _, err := c.CreateNamespace(ctx, "sales", nil); err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, c, pkSpec("a"))
	bSpec := pkSpec("b")
	bSpec.Namespace = "sales"
	b := mustCreate(t, c, bSpec)
	cTbl := mustCreate(t, c, pkSpec("c"))
	if _, err := c.Commit(ctx, a.ID, Commit{Version: 1, ReadVersion: 0, Operation: OpAppend, Added: files("a", 2)}); err != nil {
		t.Fatal(err)
	}

	if got, err := c.DroppedTables(ctx); err != nil || len(got) != 0 {
		t.Fatalf("DroppedTables before any drop = %v, %v", got, err)
	}
	// Dropped in the order b, a, c.
	for i, d := range []struct{ ns, name string }{{"sales", "b"}, {DefaultNamespace, "a"}, {DefaultNamespace, "c"}} {
		clock.add(time.Minute)
		if _, err := c.DropTable(ctx, d.ns, d.name); err != nil {
			t.Fatalf("drop %d: %v", i, err)
		}
	}
	before := kvsUnder(t, cli, c.prefix)
	if _, err := c.DropTable(ctx, DefaultNamespace, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second drop: %v", err)
	}
	if after := kvsUnder(t, cli, c.prefix); !maps.Equal(before, after) {
		t.Fatal("dropping a missing table changed the catalog")
	}

	want := []DroppedTable{
		{ID: b.ID, Namespace: "sales", Name: "b", Path: b.Path, DroppedAt: start.Add(time.Minute)},
		{ID: a.ID, Namespace: DefaultNamespace, Name: "a", Path: a.Path, DroppedAt: start.Add(2 * time.Minute)},
		{ID: cTbl.ID, Namespace: DefaultNamespace, Name: "c", Path: cTbl.Path, DroppedAt: start.Add(3 * time.Minute)},
	}
	check := func(t *testing.T, want []DroppedTable) {
		t.Helper()
		got, err := openCatalog(t, cli, nil).DroppedTables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("dropped tables %+v, want %+v", got, want)
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Namespace != want[i].Namespace || got[i].Name != want[i].Name ||
				got[i].Path != want[i].Path || !got[i].DroppedAt.Equal(want[i].DroppedAt) {
				t.Fatalf("dropped table %d is %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	check(t, want)

	// The stored record is the documented JSON.
	raw := before[c.droppedKey(a.ID)]
	var fields map[string]any
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "namespace", "name", "path", "dropped_at"} {
		if _, ok := fields[k]; !ok {
			t.Fatalf("record %s has no field %q", raw, k)
		}
	}

	t.Run("forget", func(t *testing.T) {
		tests := []struct {
			name string
			id   string
			err  error
			left []DroppedTable
		}{
			{"known", a.ID, nil, []DroppedTable{want[0], want[2]}},
			{"again", a.ID, ErrNotFound, []DroppedTable{want[0], want[2]}},
			{"never dropped", "0123456789abcdef", ErrNotFound, []DroppedTable{want[0], want[2]}},
			{"malformed id", "../t/x", ErrNotFound, []DroppedTable{want[0], want[2]}},
			{"other", b.ID, nil, []DroppedTable{want[2]}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := c.ForgetDroppedTable(ctx, tt.id); !errors.Is(err, tt.err) {
					t.Fatalf("ForgetDroppedTable(%s): %v, want %v", tt.id, err, tt.err)
				}
				check(t, tt.left)
			})
		}
	})

	t.Run("same name again", func(t *testing.T) {
		again := mustCreate(t, c, pkSpec("c"))
		clock.add(time.Minute)
		if _, err := c.DropTable(ctx, DefaultNamespace, "c"); err != nil {
			t.Fatal(err)
		}
		check(t, []DroppedTable{want[2],
			{ID: again.ID, Namespace: DefaultNamespace, Name: "c", Path: again.Path, DroppedAt: start.Add(4 * time.Minute)}})
	})
}

// A drop racing changes of the table's metadata either wins or reads the
// metadata again; it never fails because of them.
func TestDropTableRacingMetadata(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("racy"))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, err := c.SetProperties(ctx, tbl.ID, map[string]string{"n": string(rune('a' + i%26))}, nil)
			if errors.Is(err, ErrNotFound) {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	time.Sleep(5 * time.Millisecond)
	dropped, err := c.DropTable(ctx, DefaultNamespace, "racy")
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if dropped.ID != tbl.ID {
		t.Fatalf("dropped %+v", dropped)
	}
	got, err := c.DroppedTables(ctx)
	if err != nil || len(got) != 1 || got[0].ID != tbl.ID || got[0].Path != tbl.Path {
		t.Fatalf("DroppedTables = %+v, %v", got, err)
	}
	if _, err := c.LoadTableByID(ctx, tbl.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("table still loads after the drop: %v", err)
	}
}
