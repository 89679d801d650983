package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"

	"github.com/lakesoul-io/lakesoul-flight/internal/etcdembed"
)

// maxRunsOf reads the most files in one bucket of a table from t$partitions.
func maxRunsOf(t *testing.T, cl *flightsql.Client, table string) int64 {
	t.Helper()
	ctx := ctxT(t)
	info, err := cl.Execute(ctx, fmt.Sprintf(`SELECT coalesce(max(max_runs), 0) FROM "%s$partitions"`, table))
	if err != nil {
		t.Fatal(err)
	}
	r, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	var n int64
	for r.Next() {
		n = r.RecordBatch().Column(0).(*array.Int64).Value(0)
	}
	return n
}

func waitRuns(t *testing.T, cl *flightsql.Client, table string, atMost int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for maxRunsOf(t, cl, table) > atMost {
		if time.Now().After(deadline) {
			t.Fatalf("%s still has more than %d runs in a bucket", table, atMost)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeMaintains: serve compacts on its own; with --compaction=off it
// does not, and the compact sub-command on the same data then does.
func TestServeMaintains(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server three times; skipped under -short")
	}
	dir := t.TempDir()
	r := startRun(t, testServeConfig(t, dir))
	cl := flightClient(t, r.addr)
	ctx := ctxT(t)
	if _, err := cl.ExecuteUpdate(ctx, `CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id))
		WITH (hash_bucket_num = 1, 'compaction.trigger_runs' = '2')`); err != nil {
		t.Fatal(err)
	}
	insert := func(cl *flightsql.Client, n int) {
		for i := range n {
			if _, err := cl.ExecuteUpdate(ctx, fmt.Sprintf("INSERT INTO t VALUES (%d, 'x'), (100, 'v%d')", i, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	insert(cl, 6)
	waitRuns(t, cl, "t", 1)
	_, body := httpGet(t, "http://"+r.metrics+"/metrics")
	if !strings.Contains(body, `lakesoul_maintain_compactions_total{result="ok"}`) {
		t.Fatal("/metrics has no compaction count")
	}
	for _, want := range []string{`lakesoul_txn_commit_seconds_count{op="upsert",result="ok",writer="serve"}`,
		`lakesoul_txn_commit_batch_size_count{writer="serve"}`, `lakesoul_txn_commit_attempts_count{writer="maintain"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	// Compaction off: runs pile up.
	r = startRun(t, testServeConfig(t, dir, "--compaction=off"))
	cl = flightClient(t, r.addr)
	insert(cl, 3)
	time.Sleep(300 * time.Millisecond)
	if got := maxRunsOf(t, cl, "t"); got < 4 {
		t.Fatalf("%d runs with compaction off, want at least 4", got)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	// The compact sub-command works through the backlog on start.
	cctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	ready := make(chan struct{})
	var metricsAddr string
	go func() {
		defer wg.Done()
		cfg := testServeConfig(t, dir)
		if err := run(cctx, cfg, runEnv{Stdout: &syncBuffer{}, Logger: newLogger(t.Output(), cfg.LogLevel, cfg.LogFormat), CompactOnly: true,
			Ready:      func(_, m string) { metricsAddr = m; close(ready) },
			EtcdConfig: func(c *etcdembed.Config) { c.Fast, c.UnsafeNoFsync = true, true }}); err != nil {
			t.Errorf("compact: %v", err)
		}
	}()
	<-ready
	// The backlog is one compaction: wait for it on /metrics.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := httpGet(t, "http://"+metricsAddr+"/metrics")
		if strings.Contains(body, `lakesoul_maintain_compactions_total{result="ok"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the compact sub-command did not compact within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	r = startRun(t, testServeConfig(t, dir, "--compaction=off"))
	cl = flightClient(t, r.addr)
	waitRuns(t, cl, "t", 1)
	info, err := cl.Execute(ctx, "SELECT count(*) FROM t")
	if err != nil {
		t.Fatal(err)
	}
	rd, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rd.Next()
	if n := rd.RecordBatch().Column(0).(*array.Int64).Value(0); n != 7 {
		t.Fatalf("%d rows, want 7", n)
	}
}

func TestMaintainCall(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		err  string
	}{
		{[]string{"compact", "ns.t"}, "CALL sys.compact('ns.t')", ""},
		{[]string{"compact", "ns.t", "dt=2026-01-01"}, "CALL sys.compact('ns.t', 'dt=2026-01-01')", ""},
		{[]string{"rollback-to-version", "ns.t", "5"}, "CALL sys.rollback_to_version('ns.t', 5)", ""},
		{[]string{"expire_versions", "t", "retain-last=10", "older_than=2026-11-01 00:00:00"},
			"CALL sys.expire_versions('t', retain_last => 10, older_than => '2026-11-01 00:00:00')", ""},
		{[]string{"compact", "it's"}, "CALL sys.compact('it''s')", ""},
		{[]string{"compact"}, "", "want a procedure and a table"},
		{[]string{"vacuum", "t"}, "", `unknown procedure "vacuum"`},
	} {
		got, err := maintainCall(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}

// TestMaintainCommand runs the maintain sub-command against a server.
func TestMaintainCommand(t *testing.T) {
	r := startRun(t, testServeConfig(t, t.TempDir(), "--compaction=off"))
	cl := flightClient(t, r.addr)
	ctx := ctxT(t)
	for _, q := range []string{"CREATE TABLE t (id BIGINT NOT NULL, PRIMARY KEY (id)) WITH (hash_bucket_num = 1)",
		"INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (1)"} {
		if _, err := cl.ExecuteUpdate(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut syncBuffer
	if code := mainArgs(ctx, []string{"maintain", "--addr", r.addr, "compact", "default.t"}, nil, &out, &errOut, env(nil)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "files_rewritten") || !strings.Contains(out.String(), " 3 ") {
		t.Fatalf("output:\n%s", out.String())
	}
	if got := maxRunsOf(t, cl, "t"); got != 1 {
		t.Fatalf("%d runs after maintain compact", got)
	}
	errOut = syncBuffer{}
	if code := mainArgs(ctx, []string{"maintain", "--addr", r.addr, "rollback-to-version", "t", "99"}, nil, &out, &errOut, env(nil)); code != 1 ||
		!strings.Contains(errOut.String(), "NotFound") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
