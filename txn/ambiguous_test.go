package txn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// TestUnknownCommitOutcomeKeepsFiles: when a commit's outcome is unknown
// (here the context ends as the transaction is sent), the written files
// stay, since the transaction may have been applied; RemoveOrphans removes
// them after the grace period when it was not.
func TestUnknownCommitOutcomeKeepsFiles(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "amb")
	ctx, cancel := context.WithCancel(e.ctx)
	e.w.beforeCommit = cancel
	rec := e.record(peopleSchema, `[{"id": 1, "name": "a", "score": 1, "dt": "d1"}]`)
	defer rec.Release()
	_, err := e.w.Upsert(ctx, tbl, rec)
	e.w.beforeCommit = nil
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("upsert with a cancelled commit: %v", err)
	}
	if head, _ := e.cat.Head(e.ctx, tbl.ID); head != 0 {
		t.Fatalf("head %d: the cancelled commit was applied", head)
	}
	objs, err := e.st.List(e.ctx, tbl.Path+"/")
	if err != nil {
		t.Fatal(err)
	}
	data := 0
	for _, o := range objs {
		if strings.HasSuffix(o.Path, ".parquet") {
			data++
		}
	}
	if data == 0 {
		t.Fatal("the files of a commit with an unknown outcome were removed")
	}
	res, err := e.w.RemoveOrphans(e.ctx, tbl, time.Now().Add(time.Second))
	if err != nil || res.FilesDeleted != data {
		t.Fatalf("RemoveOrphans: %+v, %v; want %d files", res, err, data)
	}
	if rows := e.scan(tbl, catalog.SnapshotSpec{}, mor.ScanOptions{}); len(rows) != 0 {
		t.Fatalf("rows %v", rows)
	}
}

// TestCompactNewestRuns: CompactOptions.Runs merges only the newest runs
// when that is exact, and the whole bucket when a picked run is a
// partial-column upsert or holds deletes.
func TestCompactNewestRuns(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := e.table(catalog.TableSpec{Name: "runs", Schema: peopleSchema, PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 1})
	newest2 := CompactOptions{Runs: func(_ string, _ int, files []catalog.DataFile) []catalog.DataFile { return files[len(files)-2:] }}
	files := func() int {
		snap, err := e.cat.Snapshot(e.ctx, tbl.ID, catalog.SnapshotSpec{})
		if err != nil {
			t.Fatal(err)
		}
		return len(snap.Files)
	}
	e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "a", "score": 1, "dt": "d"}, {"id": 2, "name": "b", "score": 2, "dt": "d"}]`)
	e.upsert(tbl, peopleSchema, `[{"id": 2, "name": "B", "score": 20, "dt": "d"}]`)
	e.upsert(tbl, peopleSchema, `[{"id": 3, "name": "c", "score": 3, "dt": "d"}]`)
	want := []string{"id=1,name=a,score=1,dt=d", "id=2,name=B,score=20,dt=d", "id=3,name=c,score=3,dt=d"}
	if _, err := e.w.Compact(e.ctx, tbl, newest2); err != nil {
		t.Fatal(err)
	}
	if n := files(); n != 2 {
		t.Fatalf("%d files after merging the newest two of three", n)
	}
	checkRows(t, e.scan(tbl, catalog.SnapshotSpec{}, mor.ScanOptions{}), want)
	// A partial-column run among the newest: the whole bucket is merged.
	e.upsert(tbl, subSchema(peopleSchema, "id", "score", "dt"), `[{"id": 1, "score": 10, "dt": "d"}]`)
	if _, err := e.w.Compact(e.ctx, tbl, newest2); err != nil {
		t.Fatal(err)
	}
	if n := files(); n != 1 {
		t.Fatalf("%d files after a compaction that had to take the whole bucket", n)
	}
	want[0] = "id=1,name=a,score=10,dt=d"
	checkRows(t, e.scan(tbl, catalog.SnapshotSpec{}, mor.ScanOptions{}), want)
}

func checkRows(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
