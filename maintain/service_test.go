package maintain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var kvSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "dt", Type: arrow.BinaryTypes.String},
}, nil)

// node is one process's worth of the stack on a shared etcd and warehouse.
type node struct {
	cat *catalog.Catalog
	w   *txn.Writer
	svc *Service
	reg *prometheus.Registry
}

func newNode(t testing.TB, cli *clientv3.Client, st lsio.Storage, mod func(*Config)) *node {
	t.Helper()
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Client = cli
	ccfg.Manifests = txn.ManifestStore(st)
	cat, err := catalog.New(ctx, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{cat: cat, reg: prometheus.NewRegistry()}
	wcfg := txn.DefaultConfig()
	wcfg.Catalog, wcfg.Storage, wcfg.Logger = cat, st, slog.New(slog.DiscardHandler)
	wcfg.Throttle = func(ctx context.Context, tbl *catalog.Table, touched []txn.BucketRef) error {
		return n.svc.Throttle(ctx, tbl, touched)
	}
	if n.w, err = txn.New(wcfg); err != nil {
		t.Fatal(err)
	}
	// The service writes with its own writer on half the cores, as serve does.
	mw := wcfg
	mw.Throttle = nil
	mw.Parallelism = max(1, runtime.GOMAXPROCS(0)/2)
	cw, err := txn.New(mw)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Catalog, cfg.Writer, cfg.Etcd, cfg.Registerer = cat, cw, cli, n.reg
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.RetentionInterval = 50 * time.Millisecond
	cfg.OrphanInterval = time.Hour
	if mod != nil {
		mod(&cfg)
	}
	if n.svc, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	if err := n.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.svc.Close()
		_ = cat.Close()
	})
	return n
}

func rows(t testing.TB, keys []int64, val string, dt string) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, kvSchema)
	defer b.Release()
	for _, k := range keys {
		b.Field(0).(*array.Int64Builder).Append(k)
		b.Field(1).(*array.StringBuilder).Append(val)
		b.Field(2).(*array.StringBuilder).Append(dt)
	}
	return b.NewRecordBatch()
}

// read returns the table's rows at spec as "k=v" strings, sorted.
func read(t testing.TB, st lsio.Storage, cat *catalog.Catalog, id string, spec catalog.SnapshotSpec) ([]string, error) {
	ctx := context.Background()
	snap, err := cat.Snapshot(ctx, id, spec)
	if err != nil {
		return nil, err
	}
	rr, err := mor.Scan(ctx, st, snap, mor.ScanOptions{Columns: []string{"k", "v"}})
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var out []string
	for rr.Next() {
		rec := rr.RecordBatch()
		ks, vs := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			out = append(out, fmt.Sprintf("%d=%s", ks.Value(i), vs.Value(i)))
		}
	}
	sort.Strings(out)
	return out, rr.Err()
}

func modelRows(m map[int64]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%d=%s", k, v))
	}
	sort.Strings(out)
	return out
}

func maxRuns(t testing.TB, cat *catalog.Catalog, id string) int {
	snap, err := cat.Snapshot(context.Background(), id, catalog.SnapshotSpec{})
	if err != nil {
		t.Fatal(err)
	}
	most := 0
	for _, sizes := range runSizes(snap) {
		most = max(most, len(sizes))
	}
	return most
}

// TestWritersRaceCompaction: four writers upsert one partition while the
// service compacts with a trigger of 2. No write fails, no row is lost or
// duplicated, versions are gapless, and runs stay bounded.
func TestWritersRaceCompaction(t *testing.T) {
	cli := etcdtest.Start(t)
	st, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := newNode(t, cli, st, nil)
	ctx := context.Background()
	tbl, err := n.cat.CreateTable(ctx, catalog.TableSpec{Namespace: "default", Name: "t", Schema: kvSchema,
		PrimaryKey: []string{"k"}, PartitionBy: []string{"dt"}, HashBucketNum: 2,
		Properties: map[string]string{PropTriggerRuns: "2", PropMaxRuns: "6"}})
	if err != nil {
		t.Fatal(err)
	}
	const writers, commits = 4, 15
	var mu sync.Mutex
	model := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, writers*commits)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range commits {
				keys := []int64{int64(w*1000 + c), int64(w*1000 + c + 500), int64(w)} // int64(w) is rewritten every time
				val := fmt.Sprintf("w%dc%d", w, c)
				rec := rows(t, keys, val, "2026-01-01")
				mu.Lock() // model and commit order agree per key: each writer owns its keys
				_, err := n.w.Upsert(ctx, tbl, rec)
				if err == nil {
					for _, k := range keys {
						model[k] = val
					}
				}
				mu.Unlock()
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
		t.Fatalf("an upsert failed: %v", err)
	}
	// Wait for the compactor to settle, then compare.
	deadline := time.Now().Add(30 * time.Second)
	for maxRuns(t, n.cat, tbl.ID) >= 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got, err := read(t, st, n.cat, tbl.ID, catalog.SnapshotSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if want := modelRows(model); !slices.Equal(got, want) {
		t.Fatalf("rows differ from the model:\n got %v\nwant %v", got, want)
	}
	hist, err := n.cat.Commits(ctx, tbl.ID, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	compactions := 0
	for i, c := range hist {
		if c.Version != int64(i) {
			t.Fatalf("version %d at position %d: history has a gap", c.Version, i)
		}
		if c.Operation == catalog.OpCompaction {
			compactions++
		}
	}
	if compactions == 0 {
		t.Fatal("the service never compacted")
	}
	if r := maxRuns(t, n.cat, tbl.ID); r >= 2 {
		t.Fatalf("%d runs left in a bucket after the compactor settled", r)
	}
	if testutil.ToFloat64(n.svc.m.compactions.WithLabelValues("ok")) < 1 {
		t.Fatal("no compaction counted")
	}
	t.Logf("%d upserts, %d compactions", writers*commits, compactions)
}

// TestModelWithMaintenance: a seeded random sequence of upserts and key
// deletes while the service compacts (trigger 2) and expires (keep the
// newest 4 versions) in the background. After every operation the latest
// read equals the model; time travel inside the retained window equals the
// model of that version; before it, reads fail with ErrExpired.
func TestModelWithMaintenance(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LAKESOUL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (LAKESOUL_SEED=%d reproduces)", seed, seed)
	r := rand.New(rand.NewPCG(seed, seed))
	cli := etcdtest.Start(t)
	st, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := newNode(t, cli, st, func(c *Config) { c.RetentionInterval = 20 * time.Millisecond })
	ctx := context.Background()
	tbl, err := n.cat.CreateTable(ctx, catalog.TableSpec{Namespace: "default", Name: "m", Schema: kvSchema,
		PrimaryKey: []string{"k"}, PartitionBy: []string{"dt"}, HashBucketNum: 3,
		Properties: map[string]string{PropTriggerRuns: "2", PropRetainVersions: "4"}})
	if err != nil {
		t.Fatal(err)
	}
	model := map[int64]string{}
	// states[v] is the model after the write that made version v; versions
	// the service adds (compactions) keep the state of the one before.
	states := map[int64][]string{0: nil}
	ops := 60
	if testing.Short() {
		ops = 25
	}
	for op := range ops {
		var cm *catalog.Commit
		if r.IntN(5) == 0 && len(model) > 0 {
			var keys []int64
			for k := range model {
				if r.IntN(3) == 0 {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				continue
			}
			slices.Sort(keys)
			b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(kvSchema.Fields()[:1], nil))
			dts := array.NewStringBuilder(memory.DefaultAllocator)
			for _, k := range keys {
				b.Field(0).(*array.Int64Builder).Append(k)
				dts.Append("d")
			}
			keyRec := b.NewRecordBatch()
			dt := dts.NewArray()
			rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{kvSchema.Field(0), kvSchema.Field(2)}, nil), []arrow.Array{keyRec.Column(0), dt}, int64(len(keys)))
			cm, err = n.w.DeleteKeys(ctx, tbl, rec)
			rec.Release()
			keyRec.Release()
			dt.Release()
			b.Release()
			dts.Release()
			if err != nil {
				t.Fatalf("op %d: delete: %v", op, err)
			}
			for _, k := range keys {
				delete(model, k)
			}
		} else {
			var keys []int64
			for range 1 + r.IntN(8) {
				keys = append(keys, int64(r.IntN(40)))
			}
			val := fmt.Sprintf("o%d", op)
			rec := rows(t, keys, val, "d")
			cm, err = n.w.Upsert(ctx, tbl, rec)
			rec.Release()
			if err != nil {
				t.Fatalf("op %d: upsert: %v", op, err)
			}
			for _, k := range keys {
				model[k] = val
			}
		}
		states[cm.Version] = modelRows(model)
		got, err := read(t, st, n.cat, tbl.ID, catalog.SnapshotSpec{})
		if err != nil {
			t.Fatalf("op %d: read: %v", op, err)
		}
		if want := modelRows(model); !slices.Equal(got, want) {
			t.Fatalf("op %d (seed %d): latest read differs:\n got %v\nwant %v", op, seed, got, want)
		}
	}
	// Time travel: every version is retained (equal to its model state)
	// or expired (ErrExpired), and the newest 4 are retained. The service
	// stops first, so that the head does not move while it is checked.
	if err := n.svc.Close(); err != nil {
		t.Fatal(err)
	}
	head, err := n.cat.Head(ctx, tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string(nil)
	expired := 0
	for v := int64(0); v <= head; v++ {
		if s, ok := states[v]; ok {
			want = s
		}
		got, err := read(t, st, n.cat, tbl.ID, catalog.SnapshotSpec{Version: &v})
		switch {
		case errors.Is(err, catalog.ErrExpired):
			expired++
			if v > head-4 {
				t.Fatalf("version %d of %d expired, but the newest 4 are retained", v, head)
			}
		case err != nil:
			t.Fatalf("version %d: %v", v, err)
		case !slices.Equal(got, want):
			t.Fatalf("version %d (seed %d) differs:\n got %v\nwant %v", v, seed, got, want)
		}
	}
	t.Logf("%d versions, %d expired, %d compactions counted", head+1, expired, int(testutil.ToFloat64(n.svc.m.compactions.WithLabelValues("ok"))))
}

// TestReplicasShareTheWork: two services on one etcd compact one table;
// the result is right and each bucket's lock keeps them from duplicating
// a compaction.
func TestReplicasShareTheWork(t *testing.T) {
	cli := etcdtest.Start(t)
	st, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := newNode(t, cli, st, nil)
	b := newNode(t, cli, st, nil)
	ctx := context.Background()
	tbl, err := a.cat.CreateTable(ctx, catalog.TableSpec{Namespace: "default", Name: "r", Schema: kvSchema,
		PrimaryKey: []string{"k"}, PartitionBy: []string{"dt"}, HashBucketNum: 4,
		Properties: map[string]string{PropTriggerRuns: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	model := map[int64]string{}
	for c := range 20 {
		w := a.w
		if c%2 == 1 {
			w = b.w
		}
		keys := []int64{int64(c), int64(c + 100), int64(c % 5)}
		rec := rows(t, keys, fmt.Sprint(c), "x")
		if _, err := w.Upsert(ctx, tbl, rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		for _, k := range keys {
			model[k] = fmt.Sprint(c)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for maxRuns(t, a.cat, tbl.ID) >= 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got, err := read(t, st, a.cat, tbl.ID, catalog.SnapshotSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if want := modelRows(model); !slices.Equal(got, want) {
		t.Fatalf("rows differ:\n got %v\nwant %v", got, want)
	}
	okA := testutil.ToFloat64(a.svc.m.compactions.WithLabelValues("ok"))
	okB := testutil.ToFloat64(b.svc.m.compactions.WithLabelValues("ok"))
	if okA+okB == 0 {
		t.Fatal("no replica compacted")
	}
	t.Logf("compactions: %v on one replica, %v on the other", okA, okB)
}

// TestThrottle: a write to a bucket at compaction.max_runs waits for a
// compaction while a compactor runs somewhere, and does not wait when none
// does; it never fails because of compaction.
func TestThrottle(t *testing.T) {
	cli := etcdtest.Start(t)
	st, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// No compactor anywhere: writes do not wait, runs pile up.
	n := newNode(t, cli, st, func(c *Config) { c.Compaction = false; c.StallTimeout = time.Second })
	ctx := context.Background()
	tbl, err := n.cat.CreateTable(ctx, catalog.TableSpec{Namespace: "default", Name: "s", Schema: kvSchema,
		PrimaryKey: []string{"k"}, HashBucketNum: 1,
		Properties: map[string]string{PropTriggerRuns: "2", PropMaxRuns: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	write := func(k int64) time.Duration {
		rec := rows(t, []int64{k}, "v", "x")
		defer rec.Release()
		start := time.Now()
		if _, err := n.w.Upsert(ctx, tbl, rec); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	for k := range int64(5) {
		if d := write(k); d > 500*time.Millisecond {
			t.Fatalf("write %d waited %v with no compactor running", k, d)
		}
	}
	if got := testutil.ToFloat64(n.svc.m.stalls); got != 0 {
		t.Fatalf("%v stalls with no compactor running", got)
	}
	if r := maxRuns(t, n.cat, tbl.ID); r != 5 {
		t.Fatalf("%d runs, want 5", r)
	}
	// A compactor in another process: writes over max_runs wait for its
	// commits, and the table stays compact.
	other := newNode(t, cli, st, nil)
	_ = other
	for k := range int64(8) {
		write(100 + k)
	}
	deadline := time.Now().Add(30 * time.Second)
	for maxRuns(t, n.cat, tbl.ID) >= 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if r := maxRuns(t, n.cat, tbl.ID); r >= 2 {
		t.Fatalf("%d runs after the other process's compactor ran", r)
	}
	got, err := read(t, st, n.cat, tbl.ID, catalog.SnapshotSpec{})
	if err != nil || len(got) != 13 {
		t.Fatalf("%d rows (%v), want 13", len(got), err)
	}
}

func TestPolicy(t *testing.T) {
	for _, tc := range []struct {
		props map[string]string
		want  Policy
		err   bool
	}{
		{nil, Policy{Compaction: true, TriggerRuns: 5, SizeRatio: 0.5, MaxRuns: 10}, false},
		{map[string]string{PropTriggerRuns: "2", PropMaxRuns: "3", PropRetainVersions: "10", PropRetainAge: "7d", PropPartitionTTL: "36h"},
			Policy{Compaction: true, TriggerRuns: 2, SizeRatio: 0.5, MaxRuns: 3, RetainVersions: 10, RetainAge: 7 * 24 * time.Hour, PartitionTTL: 36 * time.Hour}, false},
		{map[string]string{PropSizeRatio: "0"}, Policy{Compaction: true, TriggerRuns: 5, MaxRuns: 10}, false},
		{map[string]string{PropSizeRatio: "-1"}, Policy{}, true},
		{map[string]string{PropCompactionEnabled: "false"}, Policy{TriggerRuns: 5, SizeRatio: 0.5, MaxRuns: 10}, false},
		{map[string]string{PropTriggerRuns: "1"}, Policy{}, true},
		{map[string]string{PropTriggerRuns: "x"}, Policy{}, true},
		{map[string]string{PropMaxRuns: "3"}, Policy{}, true},
		{map[string]string{PropRetainVersions: "-1"}, Policy{}, true},
		{map[string]string{PropRetainAge: "soon"}, Policy{}, true},
		{map[string]string{PropPartitionTTL: "-5d"}, Policy{}, true},
		{map[string]string{PropCompactionEnabled: "maybe"}, Policy{}, true},
	} {
		tbl := &catalog.Table{Namespace: "n", Name: "t", PrimaryKey: []string{"k"}, Properties: tc.props}
		got, err := PolicyOf(tbl)
		if tc.err {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v: want ErrInvalid, got %v", tc.props, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: got %+v, %v; want %+v", tc.props, got, err, tc.want)
		}
	}
}

func TestDue(t *testing.T) {
	p := Policy{Compaction: true, TriggerRuns: 5, SizeRatio: 0.5, MaxRuns: 10} // soft cap 8
	for _, tc := range []struct {
		sizes []int64
		want  bool
	}{
		{[]int64{100}, false},
		{[]int64{100, 100, 100, 100}, false},                         // under the trigger
		{[]int64{100, 20, 20, 20, 20}, true},                         // 80 >= 50
		{[]int64{1000, 20, 20, 20, 20}, false},                       // 80 < 500: not worth it yet
		{[]int64{1000, 20, 20, 20, 20, 20, 20, 20}, true},            // the soft cap
		{[]int64{1000, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, true}, // past it
	} {
		if got := p.Due(tc.sizes); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.sizes, got, tc.want)
		}
	}
}

func TestPick(t *testing.T) {
	p := Policy{TriggerRuns: 5, SizeRatio: 0.5, MaxRuns: 10}
	for _, tc := range []struct {
		sizes []int64
		want  int
	}{
		{[]int64{100, 20}, 2},
		{[]int64{100, 20, 20, 20}, 4},              // 60 >= 50: the whole bucket
		{[]int64{1000, 10, 10, 10, 10}, 4},         // small runs merge among themselves
		{[]int64{1000, 100, 10, 10, 10}, 3},        // 100 > 2·30: it waits
		{[]int64{1000, 40, 10, 10, 10}, 4},         // 40 <= 2·30
		{[]int64{1000, 300, 10}, 3},                // one newest run alone: the whole bucket
		{[]int64{1000, 50, 25, 12, 6, 3, 1, 1}, 7}, // tiers join up to the base
	} {
		if got := p.Pick(tc.sizes); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.sizes, got, tc.want)
		}
	}
}

func TestPartitionTTL(t *testing.T) {
	tbl := &catalog.Table{PartitionBy: []string{"dt", "region"}}
	cut := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for part, want := range map[string]bool{
		"dt=2026-05-31/region=eu": true,
		"dt=2026-06-01/region=eu": false,
		"dt=2026-06-02/region=eu": false,
		"dt=not-a-date/region=eu": false,
		"dt=20260101/region=eu":   true,
	} {
		if got := PartitionBefore(tbl, part, cut); got != want {
			t.Errorf("%s: %v, want %v", part, got, want)
		}
	}
}
