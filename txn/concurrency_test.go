package txn

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// writerRows builds the rows goroutine g writes in round i: one row of its
// own key per round, plus a "last" row it keeps overwriting.
func writerRows(e *env, g, i int) arrow.RecordBatch {
	b := array.NewRecordBuilder(e.mem, peopleSchema)
	defer b.Release()
	ids, names, scores, dts := b.Field(0).(*array.Int64Builder), b.Field(1).(*array.StringBuilder), b.Field(2).(*array.Float64Builder), b.Field(3).(*array.StringBuilder)
	ids.Append(int64(g*1000 + i))
	names.Append(fmt.Sprintf("w%d-r%d", g, i))
	scores.Append(float64(i))
	dts.Append("same")
	ids.Append(int64(1_000_000 + g))
	names.Append(fmt.Sprintf("last-%d", i))
	scores.Append(float64(i))
	dts.Append("same")
	return b.NewRecordBatch()
}

// checkRaceOutcome verifies that every acknowledged write is visible exactly
// once and that versions are gapless.
func checkRaceOutcome(t *testing.T, e *env, tbl *catalog.Table, writers, rounds int, acked int) {
	t.Helper()
	hist, err := e.cat.History(e.ctx, tbl.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != acked+1 {
		t.Fatalf("history has %d versions, want %d acknowledged commits + create", len(hist), acked)
	}
	for i, c := range hist {
		if want := int64(len(hist) - 1 - i); c.Version != want {
			t.Fatalf("history[%d] is version %d, want %d (gap)", i, c.Version, want)
		}
	}
	rows := e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "name"}})
	if len(rows) != writers*rounds+writers {
		t.Fatalf("%d rows, want %d", len(rows), writers*rounds+writers)
	}
	set := map[string]bool{}
	for _, r := range rows {
		set[r] = true
	}
	for g := 0; g < writers; g++ {
		for i := 0; i < rounds; i++ {
			if want := fmt.Sprintf("id=%d,name=w%d-r%d", g*1000+i, g, i); !set[want] {
				t.Fatalf("lost write %q", want)
			}
		}
		if want := fmt.Sprintf("id=%d,name=last-%d", 1_000_000+g, rounds-1); !set[want] {
			t.Fatalf("last write of writer %d is not %q", g, want)
		}
	}
}

func TestConcurrentUpsertersOneClient(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "race")
	const writers, rounds = 4, 12
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				rec := writerRows(e, g, i)
				_, err := e.w.Upsert(e.ctx, tbl, rec)
				rec.Release()
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkRaceOutcome(t, e, tbl, writers, rounds, writers*rounds)
}

// Two catalogs on separate etcd clients, each with its own writer, share
// nothing but etcd and the warehouse.
func TestConcurrentUpsertersTwoClients(t *testing.T) {
	srv := etcdtest.StartServer(t)
	st, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := newEnvWith(t, etcdtest.Client(t, srv), st)
	b := newEnvWith(t, etcdtest.Client(t, srv), st)
	tbl := peopleTable(a, "race")
	tblB, err := b.cat.LoadTable(b.ctx, catalog.DefaultNamespace, "race")
	if err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for g := 0; g < writers; g++ {
		e, tb := a, tbl
		if g%2 == 1 {
			e, tb = b, tblB
		}
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				rec := writerRows(e, g, i)
				_, err := e.w.Upsert(e.ctx, tb, rec)
				rec.Release()
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatal(failures[0])
	}
	checkRaceOutcome(t, a, tbl, writers, rounds, writers*rounds)
}

// A delete by predicate that read a partition conflicts with a commit to
// that partition made while it ran; one to another partition does not.
func TestReadDependentWriteConflicts(t *testing.T) {
	cases := []struct {
		name          string
		concurrentDT  string
		wantConflict  bool
		wantRowsAfter []string
	}{
		{"same partition", "a", true, []string{"id=1,dt=a", "id=2,dt=a", "id=3,dt=b", "id=9,dt=a"}},
		{"other partition", "b", false, []string{"id=2,dt=a", "id=3,dt=b", "id=9,dt=b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, localStorage)
			tbl := peopleTable(e, "c")
			e.upsert(tbl, peopleSchema, `[{"id": 1, "score": 1, "dt": "a"}, {"id": 2, "score": 2, "dt": "a"}, {"id": 3, "score": 3, "dt": "b"}]`)
			other, err := New(e.w.cfg)
			if err != nil {
				t.Fatal(err)
			}
			once := sync.Once{}
			e.w.beforeCommit = func() {
				once.Do(func() {
					rec := e.record(peopleSchema, `[{"id": 9, "score": 0, "dt": "`+c.concurrentDT+`"}]`)
					defer rec.Release()
					if _, err := other.Upsert(e.ctx, tbl, rec); err != nil {
						t.Errorf("concurrent upsert: %v", err)
					}
				})
			}
			before := listFiles(t, e)
			_, _, err = e.w.Delete(e.ctx, tbl, mor.And(mor.Eq("dt", "a"), mor.Lt("score", 2)))
			e.w.beforeCommit = nil
			if c.wantConflict != errors.Is(err, ErrConflict) {
				t.Fatalf("err = %v, want conflict %v", err, c.wantConflict)
			}
			if err != nil && !c.wantConflict {
				t.Fatal(err)
			}
			equalRows(t, "rows", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "dt"}}), c.wantRowsAfter)
			if c.wantConflict {
				// The failed delete left no file behind: only the concurrent
				// upsert's file is new.
				after := listFiles(t, e)
				if len(after) != len(before)+1 {
					t.Fatalf("files: %d before, %d after a failed delete (want one new, from the upsert)", len(before), len(after))
				}
			}
		})
	}
}

func listFiles(t testing.TB, e *env) []string {
	objs, err := e.st.List(e.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		if strings.HasSuffix(o.Path, ".parquet") {
			out = append(out, o.Path)
		}
	}
	return out
}

// Compaction racing upserts: the upserts committed meanwhile stay live and
// win over the compacted data.
func TestCompactionRebasesOverUpserts(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "c")
	e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "old", "dt": "a"}, {"id": 2, "name": "old", "dt": "a"}]`)
	e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "mid", "dt": "a"}]`)
	other, err := New(e.w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	once := sync.Once{}
	e.w.beforeCommit = func() {
		once.Do(func() {
			rec := e.record(subSchema(peopleSchema, "id", "name", "dt"), `[{"id": 2, "name": "new", "dt": "a"}]`)
			defer rec.Release()
			if _, err := other.Upsert(e.ctx, tbl, rec); err != nil {
				t.Errorf("concurrent upsert: %v", err)
			}
		})
	}
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1}); err != nil {
		t.Fatal(err)
	}
	e.w.beforeCommit = nil
	equalRows(t, "rows", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "name"}}),
		[]string{"id=1,name=mid", "id=2,name=new"})
	// Two compactions of the same files: the second one conflicts.
	e.upsert(tbl, peopleSchema, `[{"id": 3, "name": "x", "dt": "a"}]`)
	e.w.beforeCommit = func() {
		e.w.beforeCommit = nil
		if _, err := other.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1}); err != nil {
			t.Errorf("concurrent compaction: %v", err)
		}
	}
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 1}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second compaction: err = %v, want conflict", err)
	}
	equalRows(t, "rows after compactions", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "name"}}),
		[]string{"id=1,name=mid", "id=2,name=new", "id=3,name=x"})
}

// Upserts racing a compaction loop on the same partition never fail:
// compaction rebases over them, they rebase over compaction. No row is lost
// or duplicated and versions stay gapless.
func TestUpsertersRacingCompactionLoop(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "race")
	compactor, err := New(e.w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 12
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				rec := writerRows(e, g, i)
				_, err := e.w.Upsert(e.ctx, tbl, rec)
				rec.Release()
				if err != nil {
					errs <- err
				}
			}
		}(g)
	}
	stop := make(chan struct{})
	compacted := make(chan int)
	go func() {
		n, conflicts := 0, 0
		defer func() { compacted <- n }()
		for {
			select {
			case <-stop:
				if conflicts > 0 {
					t.Errorf("%d compactions conflicted with upserts", conflicts)
				}
				return
			default:
			}
			cm, err := compactor.Compact(e.ctx, tbl, CompactOptions{MinFiles: 2})
			switch {
			case errors.Is(err, ErrConflict):
				conflicts++
			case err != nil:
				t.Errorf("compaction: %v", err)
				return
			case cm != nil:
				n++
			}
		}
	}()
	wg.Wait()
	close(stop)
	n := <-compacted
	close(errs)
	for err := range errs {
		t.Fatalf("upsert racing compaction: %v", err)
	}
	t.Logf("%d compactions committed", n)
	if n == 0 {
		t.Log("no compaction committed while the upserts ran")
	}
	checkRaceOutcome(t, e, tbl, writers, rounds, writers*rounds+n)
}
