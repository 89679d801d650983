package catalog

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
)

// commitN appends one file to table id at version v.
func commitN(t *testing.T, c *Catalog, id string, v int64) {
	t.Helper()
	_, err := c.Commit(ctxT(t), id, Commit{Version: v, ReadVersion: v - 1, Operation: OpAppend,
		Added: files(fmt.Sprintf("v%d", v), 1)})
	if err != nil {
		t.Fatalf("commit %d: %v", v, err)
	}
}

// latest is the latest version of table id seen by c.
func latest(t *testing.T, c *Catalog, id string) int64 {
	t.Helper()
	s, err := c.Snapshot(ctxT(t), id, SnapshotSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(s.Files)) != s.Version {
		t.Fatalf("snapshot at version %d has %d files: not a committed version", s.Version, len(s.Files))
	}
	return s.Version
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within 10s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func hits(c *Catalog, kind string) float64 {
	return testutil.ToFloat64(c.state.metrics.lookups.WithLabelValues(kind, "hit"))
}

// TestCacheOwnWrites: what a Catalog changed is visible to its next read,
// served from the cache; so is what another Catalog sharing its etcd
// client changed.
func TestCacheOwnWrites(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	sibling := openCatalog(t, cli, nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("own"))
	for v := int64(1); v <= 5; v++ {
		if got := latest(t, c, tbl.ID); got != v-1 {
			t.Fatalf("before commit %d: latest %d", v, got)
		}
		commitN(t, c, tbl.ID, v)
		if got := latest(t, c, tbl.ID); got != v {
			t.Fatalf("after commit %d: latest %d", v, got)
		}
		if got := latest(t, sibling, tbl.ID); got != v {
			t.Fatalf("after commit %d: sibling sees %d", v, got)
		}
	}
	if hits(c, "table") == 0 {
		t.Fatal("no read was served by the cache")
	}
	before := hits(c, "name")
	if _, err := c.LoadTable(ctx, DefaultNamespace, "own"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadTable(ctx, DefaultNamespace, "own"); err != nil {
		t.Fatal(err)
	}
	if hits(c, "name") == before {
		t.Fatal("the name was not served by the cache")
	}

	// Schema change.
	if _, err := c.AlterSchema(ctx, tbl.ID, []Alteration{{Kind: AddColumn, Name: "extra", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.LoadTable(ctx, DefaultNamespace, "own")
	if err != nil || got.Schema.NumFields() != tbl.Schema.NumFields()+1 {
		t.Fatalf("after alter: %v %v", got, err)
	}
	// Properties.
	if _, err := c.SetProperties(ctx, tbl.ID, map[string]string{"k": "v"}, nil); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{}); err != nil || s.Table.Properties["k"] != "v" {
		t.Fatalf("after set properties: %v", err)
	}
	// Rename.
	if _, err := c.RenameTable(ctx, DefaultNamespace, "own", DefaultNamespace, "renamed"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadTable(ctx, DefaultNamespace, "own"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name after rename: %v", err)
	}
	if r, err := sibling.LoadTable(ctx, DefaultNamespace, "renamed"); err != nil || r.ID != tbl.ID {
		t.Fatalf("new name after rename: %v", err)
	}
	if s, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{}); err != nil || s.Table.Name != "renamed" {
		t.Fatalf("snapshot after rename: %v", err)
	}
	// Grants.
	must := func(fn func(*Access) error) {
		t.Helper()
		if err := c.UpdateAccess(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	obj := Object{Namespace: DefaultNamespace, Table: "renamed"}
	must(func(a *Access) error { return a.CreateUser("ann", "h") })
	must(func(a *Access) error { return a.Grant("ann", obj, []Privilege{PrivSelect}) })
	if a, err := sibling.Access(ctx); err != nil || !a.Allowed("ann", PrivSelect, obj.Namespace, obj.Table) {
		t.Fatalf("after grant: %v", err)
	}
	must(func(a *Access) error { return a.Revoke("ann", obj, []Privilege{PrivSelect}) })
	if a, err := c.Access(ctx); err != nil || a.Allowed("ann", PrivSelect, obj.Namespace, obj.Table) {
		t.Fatalf("after revoke: %v", err)
	}
	// Drop.
	if _, err := c.DropTable(ctx, DefaultNamespace, "renamed"); err != nil {
		t.Fatal(err)
	}
	if _, err := sibling.LoadTable(ctx, DefaultNamespace, "renamed"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after drop: %v", err)
	}
	if _, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("snapshot after drop: %v", err)
	}
}

// TestCacheOtherClient: changes made through a Catalog on another etcd
// client are seen once the watch delivers them, and at once after Sync.
func TestCacheOtherClient(t *testing.T) {
	srv := etcdtest.StartServer(t)
	w := openCatalog(t, etcdtest.Client(t, srv), nil)
	r := openCatalog(t, etcdtest.Client(t, srv), nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, w, pkSpec("far"))
	eventually(t, "the new table", func() bool {
		_, err := r.LoadTable(ctx, DefaultNamespace, "far")
		return err == nil
	})
	latest(t, r, tbl.ID) // cached now
	for v := int64(1); v <= 3; v++ {
		commitN(t, w, tbl.ID, v)
		eventually(t, fmt.Sprintf("commit %d", v), func() bool { return latest(t, r, tbl.ID) == v })
	}
	commitN(t, w, tbl.ID, 4)
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, r, tbl.ID); got != 4 {
		t.Fatalf("after Sync: latest %d, want 4", got)
	}

	if _, err := w.AlterSchema(ctx, tbl.ID, []Alteration{{Kind: AddColumn, Name: "extra", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the schema change", func() bool {
		got, err := r.LoadTable(ctx, DefaultNamespace, "far")
		return err == nil && got.Schema.NumFields() == tbl.Schema.NumFields()+1
	})
	if _, err := w.RenameTable(ctx, DefaultNamespace, "far", DefaultNamespace, "near"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rename", func() bool {
		_, oldErr := r.LoadTable(ctx, DefaultNamespace, "far")
		got, err := r.LoadTable(ctx, DefaultNamespace, "near")
		return errors.Is(oldErr, ErrNotFound) && err == nil && got.ID == tbl.ID
	})
	obj := Object{Namespace: DefaultNamespace, Table: "near"}
	if err := w.UpdateAccess(ctx, func(a *Access) error {
		if err := a.CreateUser("ann", "h"); err != nil {
			return err
		}
		return a.Grant("ann", obj, []Privilege{PrivSelect})
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the grant", func() bool {
		a, err := r.Access(ctx)
		return err == nil && a.Allowed("ann", PrivSelect, obj.Namespace, obj.Table)
	})
	if err := w.UpdateAccess(ctx, func(a *Access) error { return a.Revoke("ann", obj, []Privilege{PrivSelect}) }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the revoke", func() bool {
		a, err := r.Access(ctx)
		return err == nil && !a.Allowed("ann", PrivSelect, obj.Namespace, obj.Table)
	})
	if _, err := w.DropTable(ctx, DefaultNamespace, "near"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the drop", func() bool {
		_, err := r.LoadTable(ctx, DefaultNamespace, "near")
		_, serr := r.Snapshot(ctx, tbl.ID, SnapshotSpec{})
		return errors.Is(err, ErrNotFound) && errors.Is(serr, ErrNotFound)
	})
}

// TestCacheResyncAfterCompaction: a watch restarted at a revision etcd has
// compacted fails; the cache reads etcd meanwhile and syncs again, never
// serving what it cached before.
func TestCacheResyncAfterCompaction(t *testing.T) {
	srv := etcdtest.StartServer(t)
	w := openCatalog(t, etcdtest.Client(t, srv), nil)
	rcli := etcdtest.Client(t, srv)
	r := openCatalog(t, rcli, nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, w, pkSpec("compacted"))
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, r, tbl.ID); got != 0 {
		t.Fatalf("latest %d", got)
	}
	resyncs := testutil.ToFloat64(r.state.metrics.resyncs)

	// Between the sync read and the watch's start: commit, and compact
	// etcd past the revision the watch starts from.
	done := make(chan struct{})
	hook := func() {
		defer close(done)
		for v := int64(1); v <= 3; v++ {
			commitN(t, w, tbl.ID, v)
		}
		resp, err := rcli.Get(ctx, "compact-probe")
		if err == nil {
			_, err = rcli.Compact(ctx, resp.Header.Revision)
		}
		if err != nil {
			t.Error(err)
		}
	}
	r.state.beforeWatch.Store(&hook)
	r.state.resync()
	<-done
	// Whatever the cache's state (resyncing or synced again), the commits
	// are seen at once: the cache never serves a state it knows is stale.
	if got := latest(t, r, tbl.ID); got != 3 {
		t.Fatalf("after compaction: latest %d, want 3", got)
	}
	eventually(t, "the resync", func() bool {
		r.state.mu.Lock()
		defer r.state.mu.Unlock()
		return r.state.synced && testutil.ToFloat64(r.state.metrics.resyncs) >= resyncs+2
	})
	commitN(t, w, tbl.ID, 4)
	eventually(t, "a commit after the resync", func() bool { return latest(t, r, tbl.ID) == 4 })
	before := hits(r, "table")
	latest(t, r, tbl.ID)
	if hits(r, "table") == before {
		t.Fatal("the cache serves nothing after the resync")
	}
}

// TestCacheConcurrent mixes writers and readers on two clients: a writer
// always sees its own commits, and no reader sees versions go back.
func TestCacheConcurrent(t *testing.T) {
	srv := etcdtest.StartServer(t)
	cats := []*Catalog{openCatalog(t, etcdtest.Client(t, srv), nil), openCatalog(t, etcdtest.Client(t, srv), nil)}
	tbl := mustCreate(t, cats[0], pkSpec("busy"))
	ctx := ctxT(t)
	if err := cats[1].Sync(ctx); err != nil {
		t.Fatal(err)
	}
	per := 15
	if testing.Short() {
		per = 5
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	stop := make(chan struct{})
	for i := range 4 {
		c := cats[i%2]
		wg.Add(1)
		go func() { // writer
			defer wg.Done()
			for n := 0; n < per; {
				s, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{})
				if err != nil {
					errs <- err
					return
				}
				v := s.Version + 1
				_, err = c.Commit(ctx, tbl.ID, Commit{Version: v, ReadVersion: s.Version, Operation: OpAppend,
					Added: files(fmt.Sprintf("w%d-%d", i, n), 1)})
				if errors.Is(err, ErrVersionMismatch) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				n++
				if got, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{}); err != nil || got.Version < v {
					errs <- fmt.Errorf("after committing %d the writer sees %v (%v)", v, got.Version, err)
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for i := range 2 {
		c := cats[i]
		readers.Add(1)
		go func() {
			defer readers.Done()
			last := int64(-1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				s, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{})
				if err != nil {
					errs <- err
					return
				}
				if s.Version < last || int64(len(s.Files)) != s.Version {
					errs <- fmt.Errorf("reader saw version %d (%d files) after %d", s.Version, len(s.Files), last)
					return
				}
				last = s.Version
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, c := range cats {
		if err := c.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if got := latest(t, c, tbl.ID); got != int64(4*per) {
			t.Fatalf("latest %d, want %d", got, 4*per)
		}
	}
}

// TestCacheDisabled: a negative StateCacheSize reads etcd every time.
func TestCacheDisabled(t *testing.T) {
	srv := etcdtest.StartServer(t)
	w := openCatalog(t, etcdtest.Client(t, srv), nil)
	r := openCatalog(t, etcdtest.Client(t, srv), func(cfg *Config) { cfg.StateCacheSize = -1 })
	if r.state != nil {
		t.Fatal("cache on")
	}
	tbl := mustCreate(t, w, pkSpec("plain"))
	commitN(t, w, tbl.ID, 1)
	if got := latest(t, r, tbl.ID); got != 1 {
		t.Fatalf("latest %d", got)
	}
}
