package txn

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
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

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnvEtcd+"="+strings.Join(srv.Endpoints(), ","), crashEnvDir+"="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != crashExitCode {
		t.Fatalf("child writer: err %v, output:\n%s", err, out)
	}

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
