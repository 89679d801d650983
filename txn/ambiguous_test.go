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
