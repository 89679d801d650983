package txn

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

var expireSeed = flag.Uint64("expire.seed", 0, "seed of the randomized expiry test (0: random)")

// history records what each version of a table read like and which files
// it had, to check expiry against.
type history struct {
	e     *env
	tbl   *catalog.Table
	reads map[int64][]string
	files map[int64][]string
}

func newHistory(e *env, tbl *catalog.Table) *history {
	h := &history{e: e, tbl: tbl, reads: map[int64][]string{}, files: map[int64][]string{}}
	h.record()
	return h
}

// record notes every version not recorded yet, up to the head.
func (h *history) record() {
	h.e.t.Helper()
	for v := int64(0); v <= h.e.head(h.tbl); v++ {
		if _, ok := h.reads[v]; ok {
			continue
		}
		h.reads[v] = h.e.readAll(h.tbl, atVersion(v))
		var paths []string
		for _, f := range h.e.snapshot(h.tbl, atVersion(v)).Files {
			paths = append(paths, f.Path)
		}
		h.files[v] = paths
	}
}

// check verifies the table after an expiry that kept versions from oldest
// on: retained versions read as recorded, older ones are expired, and
// storage holds exactly the data files of the retained versions (plus
// extra, files left for cleanup).
func (h *history) check(what string, oldest int64, extra []string) {
	t, e := h.e.t, h.e
	t.Helper()
	head := e.head(h.tbl)
	if got, err := e.cat.Oldest(e.ctx, h.tbl.ID); err != nil || got != oldest {
		t.Fatalf("%s: oldest = %d (%v), want %d", what, got, err, oldest)
	}
	for v := int64(0); v < oldest; v++ {
		if _, err := e.scanErr(h.tbl, atVersion(v), mor.ScanOptions{}); !errors.Is(err, catalog.ErrExpired) {
			t.Fatalf("%s: reading expired version %d: err = %v, want ErrExpired", what, v, err)
		}
	}
	want := map[string]bool{}
	for _, p := range extra {
		want[p] = true
	}
	for v := oldest; v <= head; v++ {
		equalRows(t, fmt.Sprintf("%s: version %d", what, v), e.readAll(h.tbl, atVersion(v)), h.reads[v])
		for _, p := range h.files[v] {
			want[p] = true
		}
	}
	got := listFiles(t, e)
	if w := slices.Sorted(maps.Keys(want)); !slices.Equal(got, w) {
		t.Fatalf("%s: storage holds\n%v\nwant the files of versions %d..%d\n%v", what, got, oldest, head, w)
	}
}

// expiredOnly returns the files recorded for versions below oldest that no
// version from oldest on has.
func (h *history) expiredOnly(oldest int64) []string {
	keep := map[string]bool{}
	for v, fs := range h.files {
		if v >= oldest {
			for _, p := range fs {
				keep[p] = true
			}
		}
	}
	out := map[string]bool{}
	for v, fs := range h.files {
		if v < oldest {
			for _, p := range fs {
				if !keep[p] {
					out[p] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(out))
}

func TestExpire(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, peopleRows(0, 20, "v1", "a", "b"))                                     // 1
	e.upsert(tbl, subSchema(peopleSchema, "id", "name", "dt"), `[{"id": 2, "name": "v2", "dt": "a"}]`) // 2
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{}); err != nil {                               // 3
		t.Fatal(err)
	}
	e.deleteKeys(tbl, `[{"id": 4, "dt": "a"}]`) // 4
	c5 := e.upsert(tbl, peopleSchema, `[{"id": 5, "name": "v5", "dt": "b"}]`)
	e.upsert(tbl, peopleSchema, `[{"id": 6, "name": "v6", "dt": "b"}]`) // 6
	h := newHistory(e, tbl)

	// Bad input changes nothing.
	if _, err := e.w.Expire(e.ctx, tbl, ExpireOptions{RetainLast: -1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("negative RetainLast: %v", err)
	}
	h.check("after bad input", 0, nil)
	// Nothing is old enough.
	res, err := e.w.Expire(e.ctx, tbl, ExpireOptions{OlderThan: time.Unix(0, 0), RetainLast: 1})
	if err != nil || res != (ExpireResult{}) {
		t.Fatalf("nothing old enough: %+v %v", res, err)
	}

	res, err = e.w.Expire(e.ctx, tbl, ExpireOptions{RetainLast: 4})
	if err != nil {
		t.Fatal(err)
	}
	gone := h.expiredOnly(3)
	if res.VersionsRemoved != 3 || res.Oldest != 3 || res.FilesDeleted != len(gone) || res.BytesDeleted <= 0 || len(gone) == 0 {
		t.Fatalf("expire keeping 4: %+v; files only versions below 3 used: %v", res, gone)
	}
	h.check("after expiring 0..2", 3, nil)
	// A rollback to an expired version is refused and changes nothing.
	if _, err := e.w.Rollback(e.ctx, tbl, atVersion(1)); !errors.Is(err, catalog.ErrExpired) {
		t.Fatalf("rollback to an expired version: %v", err)
	}
	h.check("after a refused rollback", 3, nil)

	// Expiring again with the same options does nothing.
	if res, err = e.w.Expire(e.ctx, tbl, ExpireOptions{RetainLast: 4}); err != nil || res.VersionsRemoved != 0 || res.Oldest != 3 {
		t.Fatalf("second expiry: %+v %v", res, err)
	}
	// By age: the versions committed before version 5.
	if res, err = e.w.Expire(e.ctx, tbl, ExpireOptions{OlderThan: c5.Timestamp, RetainLast: 1}); err != nil || res.VersionsRemoved != 2 || res.Oldest != 5 {
		t.Fatalf("expire before version 5: %+v %v", res, err)
	}
	h.check("after expiring before version 5", 5, nil)
	// The head is never expired; 0 keeps one version.
	if res, err = e.w.Expire(e.ctx, tbl, ExpireOptions{OlderThan: farFuture()}); err != nil || res.Oldest != 6 {
		t.Fatalf("expire all: %+v %v", res, err)
	}
	h.check("after expiring all but the head", 6, nil)
	// Writes go on.
	e.upsert(tbl, peopleSchema, `[{"id": 7, "name": "v7", "dt": "b"}]`)
	h.record()
	h.check("after a write", 6, nil)
}

// An expiry interrupted after its catalog commit leaves every retained
// version readable; the files it did not delete are orphans that
// RemoveOrphans deletes once they are past the grace period.
func TestExpireInterrupted(t *testing.T) {
	cases := []struct {
		name string
		// interrupt makes the expiry fail after its catalog commit.
		interrupt func(st *faultyStorage, cancel context.CancelFunc)
		want      error
	}{
		{"context cancelled", func(_ *faultyStorage, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"deletes fail", func(st *faultyStorage, _ context.CancelFunc) { st.failDeletes.Store(true) }, errInjected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			local, err := lsio.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			st := &faultyStorage{Storage: local}
			e := newEnvWith(t, etcdtest.Start(t), st)
			tbl := peopleTable(e, "p")
			for i := range 4 {
				e.upsert(tbl, peopleSchema, peopleRows(i*5, 10, fmt.Sprint("r", i), "a", "b"))
			}
			if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{}); err != nil {
				t.Fatal(err)
			}
			e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "last", "dt": "a"}]`)
			h := newHistory(e, tbl)
			head := e.head(tbl)
			leftover := h.expiredOnly(head - 1)

			ctx, cancel := context.WithCancel(e.ctx)
			defer cancel()
			e.w.afterExpire = func() { c.interrupt(st, cancel) }
			res, err := e.w.Expire(ctx, tbl, ExpireOptions{RetainLast: 2})
			e.w.afterExpire = nil
			st.failDeletes.Store(false)
			if !errors.Is(err, c.want) || res.VersionsRemoved != head-1 || res.FilesDeleted != 0 {
				t.Fatalf("interrupted expiry: %+v %v", res, err)
			}
			h.check("after the interrupted expiry", head-1, leftover)
			orphans, err := Orphans(e.ctx, e.cat, e.st, tbl, farFuture())
			if err != nil || len(orphans) != len(leftover) {
				t.Fatalf("orphans %v (%v), want %v", orphans, err, leftover)
			}
			// The files are old, but not older than an hour ago.
			if res, err := e.w.RemoveOrphans(e.ctx, tbl, time.Now().Add(-time.Hour)); err != nil || res.FilesDeleted != 0 {
				t.Fatalf("inside the grace period: %+v %v", res, err)
			}
			if res, err := e.w.RemoveOrphans(e.ctx, tbl, farFuture()); err != nil || res.FilesDeleted < len(leftover) {
				t.Fatalf("remove orphans: %+v %v, want at least %d files", res, err, len(leftover))
			}
			h.check("after cleanup", head-1, nil)
		})
	}
}

// The randomized expiry test: a seeded sequence of upserts, deletes,
// compactions and rollbacks, with expiries at random points.
func TestExpireRandomized(t *testing.T) {
	for _, kind := range []storageKind{localStorage, s3Storage} {
		t.Run(string(kind), func(t *testing.T) {
			seed := *expireSeed
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			steps := 60
			if testing.Short() || kind == s3Storage {
				steps = 30
			}
			t.Logf("seed %d (rerun with -run 'TestExpireRandomized/%s' -expire.seed=%d)", seed, kind, seed)
			defer func() {
				if t.Failed() {
					t.Logf("failed with seed %d", seed)
				}
			}()
			r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
			e := newEnv(t, kind)
			tbl := peopleTable(e, "p")
			h := newHistory(e, tbl)
			dts := []string{"a", "b", "c"}
			oldest := int64(0)
			counts := map[string]int{}
			for range steps {
				head := e.head(tbl)
				switch x := r.IntN(100); {
				case x < 40:
					e.upsert(tbl, peopleSchema, peopleRows(r.IntN(40), 1+r.IntN(10), fmt.Sprint("n", r.IntN(100)), dts[:1+r.IntN(3)]...))
					counts["upsert"]++
				case x < 55:
					e.deleteKeys(tbl, fmt.Sprintf(`[{"id": %d, "dt": %q}, {"id": %d, "dt": %q}]`, r.IntN(40), dts[r.IntN(3)], r.IntN(40), dts[r.IntN(3)]))
					counts["delete"]++
				case x < 70:
					if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1 + r.IntN(3)}); err != nil {
						t.Fatal(err)
					}
					counts["compact"]++
				case x < 80:
					if head > oldest {
						v := oldest + r.Int64N(head-oldest)
						if _, err := e.w.Rollback(e.ctx, tbl, atVersion(v)); err != nil {
							t.Fatalf("rollback to %d: %v", v, err)
						}
						counts["rollback"]++
					}
				default:
					h.record()
					retain := 1 + r.IntN(6)
					res, err := e.w.Expire(e.ctx, tbl, ExpireOptions{RetainLast: retain})
					if err != nil {
						t.Fatalf("expire keeping %d: %v", retain, err)
					}
					if want := max(oldest, head-int64(retain)+1); res.Oldest != want {
						t.Fatalf("expire keeping %d of %d..%d: oldest %d, want %d", retain, oldest, head, res.Oldest, want)
					}
					oldest = res.Oldest
					h.check(fmt.Sprintf("after expiring below %d", oldest), oldest, nil)
					counts["expire"]++
				}
				h.record()
			}
			t.Logf("head %d, oldest %d, ops %v", e.head(tbl), oldest, counts)
		})
	}
}

func TestPurgeDroppedTables(t *testing.T) {
	e := newEnv(t, localStorage)
	gone := peopleTable(e, "gone")
	e.upsert(gone, peopleSchema, peopleRows(0, 10, "x", "a", "b"))
	stays := peopleTable(e, "stays")
	e.upsert(stays, peopleSchema, peopleRows(0, 10, "y", "a", "b"))
	want := e.readAll(stays, latest())
	goneFiles, err := e.st.List(e.ctx, gone.Path+"/")
	if err != nil || len(goneFiles) == 0 {
		t.Fatalf("files of the table to drop: %v %v", goneFiles, err)
	}
	before := time.Now().Add(-time.Minute)
	if _, err := e.cat.DropTable(e.ctx, catalog.DefaultNamespace, "gone"); err != nil {
		t.Fatal(err)
	}
	// A new table of the same name has a directory of its own.
	again := peopleTable(e, "gone")
	e.upsert(again, peopleSchema, peopleRows(0, 3, "z", "a"))

	if res, err := e.w.PurgeDroppedTables(e.ctx, before); err != nil || res.FilesDeleted != 0 {
		t.Fatalf("purge of tables dropped before the drop: %+v %v", res, err)
	}
	res, err := e.w.PurgeDroppedTables(e.ctx, farFuture())
	if err != nil || res.FilesDeleted != len(goneFiles) || res.BytesDeleted <= 0 {
		t.Fatalf("purge: %+v %v, want the %d files of the dropped table", res, err, len(goneFiles))
	}
	if objs, err := e.st.List(e.ctx, gone.Path+"/"); err != nil || len(objs) != 0 {
		t.Fatalf("left under the dropped table's directory: %v %v", objs, err)
	}
	if dropped, err := e.cat.DroppedTables(e.ctx); err != nil || len(dropped) != 0 {
		t.Fatalf("dropped tables after purge: %v %v", dropped, err)
	}
	equalRows(t, "the other table", e.readAll(stays, latest()), want)
	equalRows(t, "the new table of the same name", e.scan(again, latest(), mor.ScanOptions{Columns: []string{"id"}}),
		[]string{"id=0", "id=1", "id=2"})
	// Nothing left to purge.
	if res, err := e.w.PurgeDroppedTables(e.ctx, farFuture()); err != nil || res != (CleanupResult{}) {
		t.Fatalf("second purge: %+v %v", res, err)
	}
}

// Upserts racing compaction and expiry loops never fail, and no row is lost.
func TestUpsertersRacingCompactionAndExpiry(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "race")
	const writers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				rec := writerRows(e, g, i)
				_, err := e.w.Upsert(e.ctx, tbl, rec)
				rec.Release()
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	var expiries, compactions int
	bg.Add(2)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := e.w.Expire(e.ctx, tbl, ExpireOptions{RetainLast: 1})
			if err != nil {
				t.Errorf("expire: %v", err)
				return
			}
			if res.VersionsRemoved > 0 {
				expiries++
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			cm, err := e.w.Compact(e.ctx, tbl, CompactOptions{})
			if err != nil && !errors.Is(err, ErrConflict) {
				t.Errorf("compact: %v", err)
				return
			}
			if cm != nil {
				compactions++
			}
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("upsert racing expiry: %v", err)
	}
	t.Logf("%d expiries, %d compactions", expiries, compactions)
	rows := e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "name"}})
	if len(rows) != writers*rounds+writers {
		t.Fatalf("%d rows, want %d", len(rows), writers*rounds+writers)
	}
	for g := range writers {
		if want := fmt.Sprintf("id=%d,name=last-%d", 1_000_000+g, rounds-1); !slices.Contains(rows, want) {
			t.Fatalf("the last write of writer %d, %q, is not in %v", g, want, rows)
		}
	}
	// Whatever the races, nothing retained lost a file: cleanup finds at
	// most what expiries left behind, and every retained version reads.
	if _, err := e.w.RemoveOrphans(e.ctx, tbl, farFuture()); err != nil {
		t.Fatal(err)
	}
	oldest, _ := e.cat.Oldest(e.ctx, tbl.ID)
	for v := oldest; v <= e.head(tbl); v++ {
		e.readAll(tbl, atVersion(v))
	}
}

// A write that read a version an expiry removed before it committed: a
// blind write still commits; one that must check what happened since
// conflicts (retryable).
func TestWriteAcrossExpiry(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, peopleRows(0, 10, "x", "a"))
	e.upsert(tbl, peopleSchema, peopleRows(5, 10, "y", "a"))
	other, err := New(e.w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	meanwhile := func() {
		e.w.beforeCommit = nil
		for i := range 2 {
			rec := e.record(peopleSchema, fmt.Sprintf(`[{"id": %d, "name": "m", "dt": "b"}]`, 100+i+10*int(e.head(tbl))))
			if _, err := other.Upsert(e.ctx, tbl, rec); err != nil {
				t.Errorf("concurrent upsert: %v", err)
			}
			rec.Release()
		}
		if _, err := other.Expire(e.ctx, tbl, ExpireOptions{RetainLast: 1}); err != nil {
			t.Errorf("concurrent expire: %v", err)
		}
	}
	e.w.beforeCommit = meanwhile
	rec := e.record(peopleSchema, `[{"id": 1, "name": "blind", "dt": "a"}]`)
	defer rec.Release()
	if _, err := e.w.Upsert(e.ctx, tbl, rec); err != nil {
		t.Fatalf("upsert across an expiry: %v", err)
	}
	equalRows(t, "upserted", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"name"}, Filter: mor.And(mor.Eq("id", 1), mor.Eq("dt", "a"))}),
		[]string{"name=blind"})
	e.w.beforeCommit = meanwhile
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("compaction across an expiry: %v, want ErrConflict", err)
	}
	e.w.beforeCommit = meanwhile
	if _, _, err := e.w.Delete(e.ctx, tbl, mor.Eq("name", "x")); !errors.Is(err, ErrConflict) {
		t.Fatalf("delete by predicate across an expiry: %v, want ErrConflict", err)
	}
	// Retried, they succeed.
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, n, err := e.w.Delete(e.ctx, tbl, mor.Eq("name", "x")); err != nil || n != 4 {
		t.Fatalf("delete: %d rows, %v", n, err)
	}
}
