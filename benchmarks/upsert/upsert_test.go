package upsert

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
)

// TestSmoke runs the whole suite at a tiny scale: every system, MinIO and
// LanceDB included, must produce its results, and every full read must
// return the rows the generator wrote.
func TestSmoke(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := DefaultConfig()
	cfg.Scale, cfg.Reps, cfg.Lookups = 0.001, 1, 20
	cfg.WorkDir = t.TempDir()
	cfg.LanceDBDir = filepath.Join("..", "lancedb")
	cfg.S3 = &S3Target{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: "smoke"}
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
		MBaseWrite:        {SysLocal, SysMinIO, SysDuckNative, SysDuckParquet, SysIceberg, SysLanceDB},
		MUpsertWrite:      {SysLocal, SysMinIO, SysDuckNative, SysDuckParquet, SysIceberg, SysLanceDB},
		MSmallUpsertWrite: {SysLocal, SysDuckParquet, SysIceberg, SysLanceDB},
		MRead10:           {SysLocal, SysMinIO, SysDuckNative, SysDuckParquet, SysIceberg, SysLanceDB},
		MRead100:          {SysLocal, SysDuckParquet, SysIceberg, SysLanceDB},
		MCompact:          {SysLocal},
		MCompacted:        {SysLocal, SysPqarrow},
		MLookup:           {SysLocal, SysMinIO, SysDuckNative},
		MFilter:           {SysLocal, SysDuckNative, SysDuckParquet, SysIceberg},
		MFlight:           {SysFlight},
	}
	for m, systems := range want {
		for _, s := range systems {
			r, ok := res.Get(m, s)
			if !ok {
				t.Errorf("no result for %s / %s", m, s)
				continue
			}
			if len(r.Seconds) == 0 {
				t.Errorf("%s / %s: no samples", m, s)
			}
			if (m == MRead10 || m == MFlight || m == MCompacted) && r.Rows != res.Keys10 {
				t.Errorf("%s / %s: %d rows, lakesoul-flight's table holds %d", m, s, r.Rows, res.Keys10)
			}
		}
	}
	lakesoul100, _ := res.Get(MRead100, SysLocal)
	for _, s := range []string{SysDuckParquet, SysIceberg, SysLanceDB} {
		if r, ok := res.Get(MRead100, s); ok && r.Rows != lakesoul100.Rows {
			t.Errorf("read after 100 upserts: %s returned %d rows, lakesoul-flight %d", s, r.Rows, lakesoul100.Rows)
		}
	}
	// One point per checkpoint for lakesoul-flight, DuckDB over Parquet,
	// Iceberg and LanceDB, each checked against the keys written so far.
	if n := len(res.Line); n != 4*len(checkpoints) {
		t.Errorf("read-after-N-upserts line has %d points, want %d", n, 4*len(checkpoints))
	}
	want100 := map[int]int64{}
	for _, pt := range res.Line {
		if pt.System == SysLocal {
			want100[pt.Upserts] = pt.Rows
		}
	}
	for _, pt := range res.Line {
		if pt.Rows != want100[pt.Upserts] {
			t.Errorf("read after %d small upserts: %s returned %d rows, lakesoul-flight %d", pt.Upserts, pt.System, pt.Rows, want100[pt.Upserts])
		}
	}
	// The filtered scans of every system must agree (old versions must
	// not leak through a filter); Run reports a disagreement as a problem,
	// and every system that filters must have taken part.
	for _, s := range want[MFilter] {
		if r, ok := res.Get(MFilter, s); ok && r.Rows == 0 {
			t.Errorf("%s: filtered scan returned no rows", s)
		}
	}

	dir := t.TempDir()
	path, err := WriteReport(res, dir, "smoke")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, filepath.Join(dir, "smoke-write.png"), filepath.Join(dir, "smoke-read.png"), filepath.Join(dir, "smoke-upserts.png")} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
}

func TestLanceDBMissingFails(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WorkDir, cfg.LanceDBDir = t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg.LanceDBDir, "bench.mjs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg)
	if err == nil || !errors.Is(err, ErrLanceDBMissing) {
		t.Fatalf("Run without node_modules: %v, want ErrLanceDBMissing", err)
	}
}
