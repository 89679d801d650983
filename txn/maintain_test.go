package txn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// head returns the table's head version.
func (e *env) head(tbl *catalog.Table) int64 {
	e.t.Helper()
	h, err := e.cat.Head(e.ctx, tbl.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// snapshot returns the live files of a version.
func (e *env) snapshot(tbl *catalog.Table, spec catalog.SnapshotSpec) *catalog.Snapshot {
	e.t.Helper()
	s, err := e.cat.Snapshot(e.ctx, tbl.ID, spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// deleteKeys deletes keys given as JSON rows of id and dt.
func (e *env) deleteKeys(tbl *catalog.Table, rows string) *catalog.Commit {
	e.t.Helper()
	rec := e.record(subSchema(peopleSchema, "id", "dt"), rows)
	defer rec.Release()
	cm, err := e.w.DeleteKeys(e.ctx, tbl, rec)
	if err != nil {
		e.t.Fatalf("delete keys: %v", err)
	}
	return cm
}

// readAll reads every column of a version.
func (e *env) readAll(tbl *catalog.Table, spec catalog.SnapshotSpec) []string {
	e.t.Helper()
	return e.scan(tbl, spec, mor.ScanOptions{})
}

// peopleRows renders n rows with ids from first on, spread over the given
// partitions.
func peopleRows(first, n int, name string, dts ...string) string {
	s := "["
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`{"id": %d, "name": %q, "score": %d, "dt": %q}`, first+i, name, first+i, dts[i%len(dts)])
	}
	return s + "]"
}

func bucketsOf(files []catalog.DataFile) map[BucketRef]int {
	out := map[BucketRef]int{}
	for _, f := range files {
		out[BucketRef{f.Partition, f.Bucket}]++
	}
	return out
}

func TestCompactSelectionAndResult(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, peopleRows(0, 40, "a", "a", "b"))
	e.upsert(tbl, peopleSchema, peopleRows(20, 40, "b", "a", "b"))
	e.deleteKeys(tbl, `[{"id": 1, "dt": "b"}]`)
	want := e.readAll(tbl, latest())
	before := e.snapshot(tbl, latest())

	// An empty selection selects nothing.
	res, err := e.w.CompactWithResult(e.ctx, tbl, CompactOptions{Partitions: []string{}})
	if err != nil || res != (CompactResult{}) {
		t.Fatalf("empty selection: %+v %v", res, err)
	}

	// Only partition dt=a.
	res, err = e.w.CompactWithResult(e.ctx, tbl, CompactOptions{Partitions: []string{"dt=a"}})
	if err != nil || res.Commit == nil {
		t.Fatalf("compact dt=a: %+v %v", res, err)
	}
	var read, written int64
	var rewritten int
	tasks := map[BucketRef]bool{}
	for _, f := range res.Commit.Removed {
		if f.Partition != "dt=a" {
			t.Fatalf("compaction of dt=a removed %+v", f)
		}
		read += f.Size
		rewritten++
		tasks[BucketRef{f.Partition, f.Bucket}] = true
	}
	for _, f := range res.Commit.Added {
		written += f.Size
	}
	if res.FilesRewritten != rewritten || res.BytesRead != read || res.BytesWritten != written || res.Tasks != len(tasks) || res.Tasks != 4 {
		t.Fatalf("result %+v; commit removed %d files (%d bytes) in %d tasks, added %d bytes", res, rewritten, read, len(tasks), written)
	}
	after := e.snapshot(tbl, latest())
	for b, n := range bucketsOf(after.Files) {
		if want := bucketsOf(before.Files)[b]; b.Partition == "dt=a" && n != 1 || b.Partition == "dt=b" && n != want {
			t.Fatalf("bucket %+v has %d files after compacting dt=a (had %d)", b, n, want)
		}
	}
	equalRows(t, "after compacting dt=a", e.readAll(tbl, latest()), want)

	// Only bucket 2 of dt=b; the delete markers elsewhere in dt=b stay.
	res, err = e.w.CompactWithResult(e.ctx, tbl, CompactOptions{Bucket: func(p string, b int) bool { return p == "dt=b" && b == 2 }})
	if err != nil || res.Commit == nil || res.Tasks != 1 {
		t.Fatalf("compact dt=b bucket 2: %+v %v", res, err)
	}
	for _, f := range res.Commit.Removed {
		if f.Partition != "dt=b" || f.Bucket != 2 {
			t.Fatalf("compaction of bucket 2 removed %+v", f)
		}
	}
	equalRows(t, "after compacting one bucket", e.readAll(tbl, latest()), want)

	// Everything else; then nothing is left to do.
	if res, err = e.w.CompactWithResult(e.ctx, tbl, CompactOptions{}); err != nil || res.Commit == nil {
		t.Fatalf("compact all: %+v %v", res, err)
	}
	if res, err = e.w.CompactWithResult(e.ctx, tbl, CompactOptions{}); err != nil || res.Commit != nil {
		t.Fatalf("second compact all: %+v %v", res, err)
	}
	equalRows(t, "after compacting all", e.readAll(tbl, latest()), want)
}

func TestRollback(t *testing.T) {
	for _, kind := range []storageKind{localStorage, s3Storage} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, kind)
			tbl := peopleTable(e, "p")
			e.upsert(tbl, peopleSchema, peopleRows(0, 30, "v1", "a", "b"))                                     // 1
			e.upsert(tbl, subSchema(peopleSchema, "id", "name", "dt"), `[{"id": 2, "name": "v2", "dt": "a"}]`) // 2
			e.deleteKeys(tbl, `[{"id": 3, "dt": "b"}, {"id": 4, "dt": "a"}]`)                                  // 3
			c4, err := e.w.Compact(e.ctx, tbl, CompactOptions{})                                               // 4
			if err != nil || c4 == nil || c4.Version != 4 {
				t.Fatalf("compact: %v %v", c4, err)
			}
			reads := map[int64][]string{}
			for v := int64(0); v <= 4; v++ {
				reads[v] = e.readAll(tbl, atVersion(v))
			}

			cm, err := e.w.Rollback(e.ctx, tbl, atVersion(2))
			if err != nil {
				t.Fatal(err)
			}
			if cm.Version != 5 || cm.Operation != catalog.OpRollback || cm.Summary["rolled_back_to"] != "2" {
				t.Fatalf("rollback commit %+v", cm)
			}
			equalRows(t, "after rollback to 2", e.readAll(tbl, latest()), reads[2])
			// History is kept: every older version still reads as before.
			for v := int64(0); v <= 4; v++ {
				equalRows(t, fmt.Sprintf("version %d after rollback", v), e.readAll(tbl, atVersion(v)), reads[v])
			}
			if got, want := e.snapshot(tbl, latest()).Files, e.snapshot(tbl, atVersion(2)).Files; !slices.EqualFunc(got, want, func(a, b catalog.DataFile) bool {
				return a.Path == b.Path && a.Seq == b.Seq
			}) {
				t.Fatalf("live files after rollback differ from version 2's:\n%+v\n%+v", got, want)
			}

			// Writes go on from the restored state; a rollback by time
			// restores the compacted version.
			e.upsert(tbl, peopleSchema, `[{"id": 2, "name": "v6", "dt": "a"}]`)
			ts := c4.Timestamp
			if cm, err = e.w.Rollback(e.ctx, tbl, catalog.SnapshotSpec{AsOf: &ts}); err != nil || cm.Summary["rolled_back_to"] != "4" {
				t.Fatalf("rollback as of version 4: %+v %v", cm, err)
			}
			equalRows(t, "after rollback to 4", e.readAll(tbl, latest()), reads[4])

			// Rolling back to the head, or to the latest version, does nothing.
			head := e.head(tbl)
			for _, spec := range []catalog.SnapshotSpec{atVersion(head), latest()} {
				if cm, err := e.w.Rollback(e.ctx, tbl, spec); cm != nil || err != nil {
					t.Fatalf("rollback to the head: %+v %v", cm, err)
				}
			}
			// Versions that never existed: a clear error, nothing changed.
			files := listFiles(t, e)
			for _, v := range []int64{head + 1, 99, -1} {
				_, err := e.w.Rollback(e.ctx, tbl, atVersion(v))
				if !errors.Is(err, catalog.ErrNotFound) {
					t.Fatalf("rollback to version %d: err = %v, want ErrNotFound", v, err)
				}
			}
			if e.head(tbl) != head || len(listFiles(t, e)) != len(files) {
				t.Fatal("a failed rollback changed the table")
			}
			// Nothing any version needs is an orphan.
			if res, err := e.w.RemoveOrphans(e.ctx, tbl, farFuture()); err != nil || res.FilesDeleted != 0 {
				t.Fatalf("orphans after rollbacks: %+v %v", res, err)
			}
		})
	}
}

// A rollback whose files are gone from storage refuses to commit.
func TestRollbackRefusesMissingFiles(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	c1 := e.upsert(tbl, peopleSchema, peopleRows(0, 8, "v1", "a"))
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Delete(e.ctx, c1.Added[0].Path); err != nil {
		t.Fatal(err)
	}
	head := e.head(tbl)
	_, err := e.w.Rollback(e.ctx, tbl, atVersion(1))
	if !errors.Is(err, lsio.ErrNotExist) {
		t.Fatalf("rollback to a version whose file is gone: %v", err)
	}
	if e.head(tbl) != head {
		t.Fatal("the failed rollback committed")
	}
}

// A rollback racing upserts either fails with ErrConflict or commits a
// version equal to the one it restores; the upserts never fail and those
// after it stay on top.
func TestRollbackRacingUpserts(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, peopleRows(0, 10, "v1", "a", "b"))
	v1 := e.readAll(tbl, atVersion(1))

	// Deterministic: an upsert commits between the rollback's read and its
	// commit.
	other, err := New(e.w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.upsert(tbl, peopleSchema, `[{"id": 100, "name": "x", "dt": "c"}]`)
	e.w.beforeCommit = func() {
		e.w.beforeCommit = nil
		rec := e.record(peopleSchema, `[{"id": 101, "name": "y", "dt": "c"}]`)
		defer rec.Release()
		if _, err := other.Upsert(e.ctx, tbl, rec); err != nil {
			t.Errorf("concurrent upsert: %v", err)
		}
	}
	if _, err := e.w.Rollback(e.ctx, tbl, atVersion(1)); !errors.Is(err, ErrConflict) {
		t.Fatalf("rollback racing an upsert: err = %v, want ErrConflict", err)
	}
	if rows := e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id"}, Filter: mor.Ge("id", 100)}); len(rows) != 2 {
		t.Fatalf("rows after a failed rollback: %v", rows)
	}

	// Randomized timing: upserters and rollbacks in a loop.
	const writers, rounds = 2, 12
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				rec := e.record(peopleSchema, fmt.Sprintf(`[{"id": %d, "name": "w", "dt": "c"}]`, 1000*(g+1)+i))
				_, err := other.Upsert(e.ctx, tbl, rec)
				rec.Release()
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	var rollbacks, conflicts int
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
loop:
	for {
		select {
		case <-done:
			break loop
		default:
		}
		time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		cm, err := e.w.Rollback(e.ctx, tbl, atVersion(1))
		switch {
		case err == nil && cm != nil:
			rollbacks++
		case err == nil:
		case errors.Is(err, ErrConflict):
			conflicts++
		default:
			t.Fatal(err)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatalf("upsert racing rollbacks: %v", err)
	}
	t.Logf("%d rollbacks committed, %d conflicted", rollbacks, conflicts)
	hist, err := e.cat.History(e.ctx, tbl.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range hist {
		if c.Operation == catalog.OpRollback {
			equalRows(t, fmt.Sprintf("rollback version %d", c.Version), e.readAll(tbl, atVersion(c.Version)), v1)
		}
	}
	// The final state is version 1 plus the upserts after the last rollback.
	last := slices.IndexFunc(hist, func(c catalog.Commit) bool { return c.Operation == catalog.OpRollback })
	if last < 0 {
		return
	}
	got := e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id"}, Filter: mor.Ge("id", 100)})
	if len(got) != last {
		t.Fatalf("after the last rollback at version %d: %d upserted rows %v, want %d", hist[last].Version, len(got), got, last)
	}
}

func TestDropPartitions(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, peopleRows(0, 30, "x", "a", "b", "c"))
	e.upsert(tbl, peopleSchema, peopleRows(30, 9, "y", "a", "b", "c"))
	all := e.readAll(tbl, latest())

	if _, err := e.w.DropPartitions(e.ctx, tbl, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nil predicate: %v", err)
	}
	if cm, err := e.w.DropPartitions(e.ctx, tbl, func(p string) bool { return p == "dt=zzz" }); cm != nil || err != nil {
		t.Fatalf("dropping no partition: %+v %v", cm, err)
	}
	cm, err := e.w.DropPartitions(e.ctx, tbl, func(p string) bool { return p != "dt=b" })
	if err != nil {
		t.Fatal(err)
	}
	if cm.Operation != catalog.OpDelete || cm.Summary["dropped_partitions"] != `["dt=a","dt=c"]` || len(cm.Added) != 0 {
		t.Fatalf("drop commit %+v", cm)
	}
	equalRows(t, "after drop", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"dt"}, Filter: mor.Ne("dt", "b")}), nil)
	equalRows(t, "before drop", e.readAll(tbl, atVersion(cm.Version-1)), all)

	// A concurrent write to a dropped partition conflicts; one to another
	// partition does not.
	other, err := New(e.w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dt       string
		conflict bool
	}{{"b", true}, {"d", false}} {
		e.w.beforeCommit = func() {
			e.w.beforeCommit = nil
			rec := e.record(peopleSchema, `[{"id": 500, "name": "late", "dt": "`+c.dt+`"}]`)
			defer rec.Release()
			if _, err := other.Upsert(e.ctx, tbl, rec); err != nil {
				t.Errorf("concurrent upsert: %v", err)
			}
		}
		_, err := e.w.DropPartitions(e.ctx, tbl, func(p string) bool { return p == "dt=b" })
		if errors.Is(err, ErrConflict) != c.conflict || (err != nil && !c.conflict) {
			t.Fatalf("drop racing an upsert into dt=%s: err = %v, want conflict %v", c.dt, err, c.conflict)
		}
	}
	equalRows(t, "at the end", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "dt"}}),
		[]string{"id=500,dt=d"})
}

func TestThrottle(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	logTbl := e.table(catalog.TableSpec{Name: "log", Schema: peopleSchema, PartitionBy: []string{"dt"}})
	var mu sync.Mutex
	var seen [][]BucketRef
	busy := errors.New("too many runs")
	refuse := false
	cfg := e.w.cfg
	cfg.Throttle = func(ctx context.Context, tb *catalog.Table, touched []BucketRef) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, slices.Clone(touched))
		if refuse {
			return busy
		}
		return nil
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := e.record(peopleSchema, peopleRows(0, 12, "n", "a", "b"))
	defer rec.Release()
	cm, err := w.Upsert(e.ctx, tbl, rec)
	if err != nil {
		t.Fatal(err)
	}
	var want []BucketRef
	for _, f := range cm.Added {
		want = append(want, BucketRef{f.Partition, f.Bucket})
	}
	slices.SortFunc(want, func(a, b BucketRef) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Bucket, b.Bucket))
	})
	if len(seen) != 1 || !slices.Equal(seen[0], want) {
		t.Fatalf("throttle saw %v, want the written groups %v", seen, want)
	}

	refuse = true
	head, files := e.head(tbl), listFiles(t, e)
	keys := e.record(subSchema(peopleSchema, "id", "dt"), `[{"id": 1, "dt": "b"}]`)
	defer keys.Release()
	for name, write := range map[string]func() error{
		"upsert":     func() error { _, err := w.Upsert(e.ctx, tbl, rec); return err },
		"write":      func() error { _, err := w.Write(e.ctx, tbl, rec); return err },
		"deletekeys": func() error { _, err := w.DeleteKeys(e.ctx, tbl, keys); return err },
		"append":     func() error { _, err := w.Append(e.ctx, logTbl, rec); return err },
	} {
		if err := write(); !errors.Is(err, busy) {
			t.Fatalf("%s held back: err = %v, want the throttle's error", name, err)
		}
		if e.head(tbl) != head || e.head(logTbl) != 0 || len(listFiles(t, e)) != len(files) {
			t.Fatalf("%s held back changed something", name)
		}
	}
	if len(seen) != 5 {
		t.Fatalf("throttle calls: %v", seen)
	}
	// Overwrite is not throttled: it leaves fewer runs, not more.
	if _, err := w.Overwrite(e.ctx, tbl, OverwriteOptions{}, rec); err != nil {
		t.Fatalf("overwrite while writes are held back: %v", err)
	}
}

// farFuture is a grace period every file has passed.
func farFuture() time.Time { return time.Now().Add(time.Hour) }
