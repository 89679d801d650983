package upsert

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
)

// TestSmokeSelective runs the selective mode at a tiny scale, MinIO and
// LanceDB included: every measure must be there for every system that
// runs it, lookups must have returned one row and IN-lists 100 (Run checks
// both), and the filtered scans of all systems must agree.
func TestSmokeSelective(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := DefaultConfig()
	cfg.Scale, cfg.Reps, cfg.Lookups, cfg.Selective = 0.001, 1, 20, true
	cfg.WorkDir = t.TempDir()
	cfg.LanceDBDir = filepath.Join("..", "lancedb")
	cfg.S3 = &S3Target{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: "smoke-selective"}
	if testing.Verbose() {
		cfg.Progress = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %s", p)
	}
	want := map[string][]string{
		MTotalWrite:   {SysLocal, SysMinIO, SysDuckNative, SysLanceDB},
		MFlightLookup: {SysFlight, SysFlightMinIO},
		MLookup:       {SysLocal, SysDuckNative, SysLanceDB},
		MInList:       {SysFlight, SysFlightMinIO, SysDuckNative, SysLanceDB},
		MFilter:       {SysFlight, SysFlightMinIO, SysLocal, SysDuckNative, SysLanceDB},
		MRange:        {SysFlight, SysFlightMinIO, SysLocal, SysDuckNative, SysLanceDB},
		MIndex:        {SysLanceDB},
	}
	for m, systems := range want {
		for _, s := range systems {
			r, ok := res.Get(m, s)
			if !ok {
				t.Errorf("no result for %s / %s", m, s)
				continue
			}
			if n := len(r.Seconds); n == 0 || (m == MFlightLookup || m == MLookup || m == MInList) && n != cfg.Lookups {
				t.Errorf("%s / %s: %d samples, want %d", m, s, n, cfg.Lookups)
			}
		}
	}
	// The full suite's other measures are not run.
	for _, m := range []string{MRead100, MSmallUpsertWrite, MCompact, MRead10} {
		for _, r := range res.Results {
			if r.Measure == m {
				t.Errorf("selective mode measured %s / %s", m, r.System)
			}
		}
	}
	// LanceDB's plans must read through the scalar indexes built for them.
	for _, m := range []string{MLookup, MInList, MFilter, MRange} {
		if r, ok := res.Get(m, SysLanceDB); ok && !strings.Contains(r.Note, "reads through the index") {
			t.Errorf("%s / LanceDB: %s", m, r.Note)
		}
	}
	for _, m := range []string{MFilter, MRange} {
		ref, _ := res.Get(m, SysDuckNative)
		if ref.Rows == 0 {
			t.Errorf("%s: DuckDB returned no rows", m)
		}
		for _, s := range want[m] {
			if r, ok := res.Get(m, s); ok && r.Rows != ref.Rows {
				t.Errorf("%s: %s returned %d rows, DuckDB %d", m, s, r.Rows, ref.Rows)
			}
		}
	}

	dir := t.TempDir()
	path, err := WriteReport(res, dir, "smoke-selective")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## Selective reads", "| point lookup over Flight SQL |", "| IN-list of 100 keys |", "| filtered scan city = 'Berlin' |",
		"point lookup over Flight SQL (local): p50 <= 1 ms"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if pngs, _ := filepath.Glob(filepath.Join(dir, "*.png")); len(pngs) != 0 {
		t.Errorf("selective report wrote charts: %v", pngs)
	}
}

func TestInLists(t *testing.T) {
	g := workload.New(1)
	for _, tc := range []struct {
		name string
		keys int64
	}{
		{"just enough keys", inListKeys},
		{"many keys", 1_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lists := drawInLists(g, rand.New(rand.NewPCG(1, 2)), 5, tc.keys)
			if len(lists) != 5 {
				t.Fatalf("%d lists, want 5", len(lists))
			}
			for i, l := range lists {
				seen := map[string]bool{}
				for _, k := range l {
					seen[k] = true
				}
				if len(l) != inListKeys || len(seen) != inListKeys {
					t.Errorf("list %d: %d keys, %d distinct, want %d", i, len(l), len(seen), inListKeys)
				}
			}
		})
	}
	if got := inListSQL([]string{"a", "b"}); got != "uuid IN ('a', 'b')" {
		t.Errorf("inListSQL = %q", got)
	}
}

func TestTimedLoop(t *testing.T) {
	items := make([]int, 30)
	for _, tc := range []struct {
		name    string
		budget  time.Duration
		rows    int64
		samples int
		fails   bool
	}{
		{"all within the budget", time.Hour, 1, 30, false},
		{"slow queries stop at twice the budget", time.Nanosecond, 1, 1, false},
		{"wrong row count", time.Hour, 2, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lat, err := timedLoop(items, tc.budget, 1, func(int) (int64, error) { return tc.rows, nil })
			if (err != nil) != tc.fails {
				t.Fatalf("err = %v, want failure %v", err, tc.fails)
			}
			if len(lat) != tc.samples {
				t.Errorf("%d samples, want %d", len(lat), tc.samples)
			}
		})
	}
}
