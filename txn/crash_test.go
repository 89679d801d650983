package txn

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// The crash test runs this test binary again as a writer that dies after
// storing its files and before committing them.
const (
	crashEnvEtcd  = "LAKESOUL_CRASH_ETCD"
	crashEnvDir   = "LAKESOUL_CRASH_DIR"
	crashEnvOp    = "LAKESOUL_CRASH_OP" // "compact", or an upsert
	crashExitCode = 3
)

// crashChild runs the dying writer when the environment asks for it. It
// never returns in that case.
func crashChild() bool {
	endpoints := os.Getenv(crashEnvEtcd)
	if endpoints == "" {
		return false
	}
	fail := func(err error) {
		os.Stderr.WriteString("crash child: " + err.Error() + "\n")
		os.Exit(1)
	}
	ctx := context.Background()
	client, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(endpoints, ","), DialTimeout: 10 * time.Second})
	if err != nil {
		fail(err)
	}
	st, err := lsio.NewLocal(os.Getenv(crashEnvDir))
	if err != nil {
		fail(err)
	}
	ccfg := catalog.DefaultConfig()
	ccfg.Client = client
	cat, err := catalog.New(ctx, ccfg)
	if err != nil {
		fail(err)
	}
	tbl, err := cat.LoadTable(ctx, catalog.DefaultNamespace, "crash")
	if err != nil {
		fail(err)
	}
	cfg := DefaultConfig()
	cfg.Catalog, cfg.Storage, cfg.Logger = cat, st, slog.New(slog.DiscardHandler)
	w, err := New(cfg)
	if err != nil {
		fail(err)
	}
	// Die the hard way, as a killed process would: no deferred cleanup runs.
	w.beforeCommit = func() { os.Exit(crashExitCode) }
	if os.Getenv(crashEnvOp) == "compact" {
		_, err := w.Compact(ctx, tbl, CompactOptions{MinFiles: 1})
		fail(errors.Join(errors.New("compaction returned instead of dying"), err))
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, peopleSchema,
		strings.NewReader(`[{"id": 5, "name": "ghost", "dt": "a"}, {"id": 6, "name": "ghost", "dt": "b"}]`))
	if err != nil {
		fail(err)
	}
	_, err = w.Upsert(ctx, tbl, rec)
	fail(errors.Join(errors.New("upsert returned instead of dying"), err))
	return true
}

func TestCrashBeforeCommitLeavesOnlyOrphans(t *testing.T) {
	srv := etcdtest.StartServer(t)
	dir := t.TempDir()
	st, err := lsio.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, etcdtest.Client(t, srv), st)
	tbl := peopleTable(e, "crash")
	e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "real", "dt": "a"}]`)
	committed := listFiles(t, e)

	runCrashChild(t, srv.Endpoints(), dir, "upsert")

	if head, err := e.cat.Head(e.ctx, tbl.ID); err != nil || head != 1 {
		t.Fatalf("head = %d (%v), want 1: the dead writer must not have committed", head, err)
	}
	equalRows(t, "rows", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "name"}}), []string{"id=1,name=real"})
	all := listFiles(t, e)
	if len(all) != len(committed)+2 {
		t.Fatalf("files: %d committed, %d now; the dead writer should have left 2", len(committed), len(all))
	}
	orphans, err := Orphans(e.ctx, e.cat, e.st, tbl, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(orphans) != 2 {
		t.Fatalf("orphans = %v, want the dead writer's 2 files", orphans)
	}
	for _, o := range orphans {
		for _, c := range committed {
			if o.Path == c {
				t.Fatalf("committed file %s listed as orphan", c)
			}
		}
	}
	// Within the grace period nothing is an orphan yet.
	if young, err := Orphans(e.ctx, e.cat, e.st, tbl, time.Now().Add(-time.Hour)); err != nil || len(young) != 0 {
		t.Fatalf("orphans older than an hour: %v %v", young, err)
	}
}

// runCrashChild runs a writer process that dies right before committing op.
func runCrashChild(t *testing.T, endpoints []string, dir, op string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnvEtcd+"="+strings.Join(endpoints, ","), crashEnvDir+"="+dir, crashEnvOp+"="+op)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != crashExitCode {
		t.Fatalf("child writer: err %v, output:\n%s", err, out)
	}
}

// A compaction that wrote its files and died before committing leaves
// nothing visible; RemoveOrphans removes its files, but only once they are
// past the grace period.
func TestCrashedCompactionLeavesOrphans(t *testing.T) {
	srv := etcdtest.StartServer(t)
	dir := t.TempDir()
	st, err := lsio.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, etcdtest.Client(t, srv), st)
	tbl := peopleTable(e, "crash")
	e.upsert(tbl, peopleSchema, peopleRows(0, 20, "one", "a", "b"))
	e.upsert(tbl, peopleSchema, peopleRows(10, 20, "two", "a", "b"))
	want := e.readAll(tbl, latest())
	committed := listFiles(t, e)

	runCrashChild(t, srv.Endpoints(), dir, "compact")

	if head := e.head(tbl); head != 2 {
		t.Fatalf("head = %d, want 2: the dead compaction must not have committed", head)
	}
	equalRows(t, "rows", e.readAll(tbl, latest()), want)
	leftover := len(listFiles(t, e)) - len(committed)
	if leftover == 0 {
		t.Fatal("the dead compaction left no file")
	}
	// Within the grace period nothing goes.
	res, err := e.w.RemoveOrphans(e.ctx, tbl, time.Now().Add(-time.Hour))
	if err != nil || res.FilesDeleted != 0 {
		t.Fatalf("orphans older than an hour: %+v %v", res, err)
	}
	res, err = e.w.RemoveOrphans(e.ctx, tbl, farFuture())
	if err != nil || res.FilesDeleted != leftover || res.BytesDeleted <= 0 {
		t.Fatalf("remove orphans: %+v %v, want the %d files of the dead compaction", res, err, leftover)
	}
	if got := listFiles(t, e); !slices.Equal(got, committed) {
		t.Fatalf("files after cleanup %v, want the committed %v", got, committed)
	}
	for v := int64(1); v <= 2; v++ {
		e.readAll(tbl, atVersion(v))
	}
	equalRows(t, "rows after cleanup", e.readAll(tbl, latest()), want)
}
