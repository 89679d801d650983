package txn

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// One batch, in queue order: a read-dependent write conflicts with an
// earlier blind write of the batch to its partition, a compaction with an
// earlier one replacing the same file; they fail alone, with ErrConflict,
// and the others commit as consecutive versions.
func TestGroupCommitConflictsInQueueOrder(t *testing.T) {
	e := newEnv(t, localStorage)
	reg := prometheus.NewRegistry()
	cfg := e.w.cfg
	cfg.Registerer = reg
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tbl := peopleTable(e, "batch")
	base := e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "a", "dt": "a"}, {"id": 2, "name": "b", "dt": "b"}]`)
	var inB catalog.DataFile
	for _, f := range base.Added {
		if f.Partition == "dt=b" {
			inB = f
		}
	}
	fake := func(name, part string) []catalog.DataFile {
		return []catalog.DataFile{{Path: tbl.Path + "/" + part + "/" + name + "_0000.parquet", Partition: part, Rows: 1, SchemaID: tbl.SchemaID}}
	}
	on := func(p string) func(string) bool { return func(q string) bool { return q == p } }
	reqs := []commitReq{
		{op: catalog.OpUpsert, added: fake("up", "dt=a")},
		{op: catalog.OpDelete, added: fake("del", "dt=a"), dependsOn: on("dt=a")},                        // conflicts with 0
		{op: catalog.OpUpdate, added: fake("upd", "dt=b"), dependsOn: on("dt=b")},                        // disjoint from 0
		{op: catalog.OpCompaction, added: fake("c1", "dt=b"), removed: []catalog.DataFile{inB}},          // rebases over 2
		{op: catalog.OpCompaction, added: fake("c2", "dt=b"), removed: []catalog.DataFile{inB}},          // conflicts with 3
		{op: catalog.OpAppend, added: []catalog.DataFile{{Path: "bad", Partition: "nope", Rows: 1}}},     // malformed
		{op: catalog.OpUpsert, added: fake("up2", "dt=c"), dependsOn: nil, summary: map[string]string{}}, // commits after a retry
	}
	var batch []*pending
	for _, r := range reqs {
		r.tbl, r.readVersion = tbl, base.Version
		batch = append(batch, &pending{ctx: e.ctx, req: r, checked: r.readVersion, done: make(chan outcome, 1)})
	}
	q := &commitQueue{tableID: tbl.ID, head: base.Version}
	retry, lost := w.commitRound(q, batch)
	// The malformed request fails alone; nothing else is settled yet, since
	// the conflicts within the batch hold only if the batch commits.
	if lost || len(retry) != 6 {
		t.Fatalf("first round: %d to retry (lost %v), want the 6 not malformed", len(retry), lost)
	}
	if retry, _ = w.commitRound(q, retry); len(retry) != 0 {
		t.Fatalf("second round left %d", len(retry))
	}
	wantVersion := []int64{2, 0, 3, 4, 0, 0, 5}
	for i, p := range batch {
		o := <-p.done
		switch {
		case wantVersion[i] > 0 && (o.err != nil || o.cm.Version != wantVersion[i]):
			t.Errorf("request %d: %v, %v; want version %d", i, o.cm, o.err, wantVersion[i])
		case wantVersion[i] == 0 && i != 5 && !errors.Is(o.err, ErrConflict):
			t.Errorf("request %d: %v, want a conflict", i, o.err)
		case i == 5 && !errors.Is(o.err, catalog.ErrInvalid):
			t.Errorf("malformed request: %v", o.err)
		}
	}
	hist, err := e.cat.History(e.ctx, tbl.ID, 0)
	if err != nil || len(hist) != 6 {
		t.Fatalf("history: %d versions, %v", len(hist), err)
	}
	for i, want := range []catalog.Operation{catalog.OpUpsert, catalog.OpCompaction, catalog.OpUpdate, catalog.OpUpsert} {
		if hist[i].Operation != want {
			t.Errorf("version %d is %s, want %s", hist[i].Version, hist[i].Operation, want)
		}
	}
	if n := testutil.CollectAndCount(w.metrics.batch); n != 1 {
		t.Errorf("batch size histogram: %d series", n)
	}
}

// Writers working on disjoint partitions never conflict, whatever they do:
// upserts, updates and deletes by predicate, deletes by key, with a
// compaction loop racing them. Every acknowledged commit is visible,
// nothing is lost or duplicated, and versions are gapless.
func TestDisjointPartitionsNeverConflict(t *testing.T) {
	e := newEnv(t, localStorage)
	reg := prometheus.NewRegistry()
	cfg := e.w.cfg
	cfg.Registerer = reg
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tbl := peopleTable(e, "disjoint")
	compactor, err := New(e.w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 4
	setName := func(ctx context.Context, rows arrow.RecordBatch) (arrow.RecordBatch, error) {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		for range rows.NumRows() {
			b.Append("u")
		}
		arr := b.NewArray()
		defer arr.Release()
		return array.NewRecordBatch(subSchema(peopleSchema, "name"), []arrow.Array{arr}, rows.NumRows()), nil
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		acked  int
		failed []error
	)
	record := func(cm *catalog.Commit, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed = append(failed, err)
		} else if cm != nil {
			acked++
		}
	}
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dt := fmt.Sprintf("p%d", g)
			for r := range rounds {
				id := g*1000 + r*10
				rec := e.record(peopleSchema, fmt.Sprintf(`[{"id": %d, "name": "n", "dt": %q}, {"id": %d, "name": "n", "dt": %q},
					{"id": %d, "name": "n", "dt": %q}, {"id": %d, "name": "n", "dt": %q}]`, id, dt, id+1, dt, id+2, dt, id+3, dt))
				record(w.Upsert(e.ctx, tbl, rec))
				rec.Release()
				cm, _, err := w.Update(e.ctx, tbl, mor.And(mor.Eq("dt", dt), mor.Eq("id", int64(id+1))), setName)
				record(cm, err)
				cm, _, err = w.Delete(e.ctx, tbl, mor.And(mor.Eq("dt", dt), mor.Eq("id", int64(id+2))))
				record(cm, err)
				keys := e.record(subSchema(peopleSchema, "id", "dt"), fmt.Sprintf(`[{"id": %d, "dt": %q}]`, id+3, dt))
				record(w.DeleteKeys(e.ctx, tbl, keys))
				keys.Release()
			}
		}()
	}
	stop := make(chan struct{})
	compacted := make(chan int)
	go func() {
		n := 0
		defer func() { compacted <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			cm, err := compactor.Compact(e.ctx, tbl, CompactOptions{MinFiles: 2})
			if err != nil {
				record(nil, err)
				return
			}
			if cm != nil {
				n++
			}
		}
	}()
	wg.Wait()
	close(stop)
	n := <-compacted
	for _, err := range failed {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	if acked != writers*rounds*4 {
		t.Fatalf("%d acknowledged commits, want %d", acked, writers*rounds*4)
	}
	hist, err := e.cat.History(e.ctx, tbl.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != acked+n+1 {
		t.Fatalf("%d versions for %d acknowledged commits and %d compactions", len(hist), acked, n)
	}
	for i, c := range hist {
		if want := int64(len(hist) - 1 - i); c.Version != want {
			t.Fatalf("history[%d] is version %d (gap)", i, c.Version)
		}
	}
	var want []string
	for g := range writers {
		for r := range rounds {
			id := g*1000 + r*10
			want = append(want, fmt.Sprintf("id=%d,name=n,dt=p%d", id, g), fmt.Sprintf("id=%d,name=u,dt=p%d", id+1, g))
		}
	}
	got := e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "name", "dt"}})
	sort.Strings(want)
	equalRows(t, "rows", got, want)
	for _, kind := range []string{conflictPartition, conflictRemovedFile, conflictGaveUp} {
		if c := testutil.ToFloat64(w.metrics.conflicts.WithLabelValues(kind)); c != 0 {
			t.Errorf("%v conflicts of kind %s", c, kind)
		}
	}
	if n := testutil.CollectAndCount(w.metrics.latency); n < 3 {
		t.Errorf("commit latency has %d series, want one per operation", n)
	}
	t.Logf("%d compactions; group sizes: %s", n, histogramSummary(t, reg, "lakesoul_txn_commit_batch_size"))
}

// histogramSummary renders a histogram's count and sum from reg.
func histogramSummary(t *testing.T, reg *prometheus.Registry, name string) string {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			h := mf.GetMetric()[0].GetHistogram()
			return fmt.Sprintf("%d batches, %v commits", h.GetSampleCount(), h.GetSampleSum())
		}
	}
	return "none"
}

// Concurrent appends to a table without primary key: every row of every
// acknowledged append is there exactly once, in gapless versions.
func TestConcurrentAppendsExact(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := e.table(catalog.TableSpec{Name: "log", Schema: peopleSchema, PartitionBy: []string{"dt"}})
	const writers, rounds, rows = 6, 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				rec := contentionRows(g, r, rows)
				_, err := e.w.Append(e.ctx, tbl, rec)
				rec.Release()
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	hist, err := e.cat.History(e.ctx, tbl.ID, 0)
	if err != nil || len(hist) != writers*rounds+1 {
		t.Fatalf("history: %d versions, %v", len(hist), err)
	}
	for i, c := range hist {
		if want := int64(len(hist) - 1 - i); c.Version != want {
			t.Fatalf("history[%d] is version %d (gap)", i, c.Version)
		}
	}
	var want []string
	for g := range writers {
		for i := range rounds * rows {
			want = append(want, fmt.Sprintf("id=%d", int64(g)<<40|int64(i)))
		}
	}
	sort.Strings(want)
	equalRows(t, "rows", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id"}}), want)
}
