package upsert

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdembed"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// filterCity is the non-key predicate of the filtered scan.
const filterCity = "Berlin"

// workState are the directories under WorkDir that hold the catalog,
// warehouses and databases of a run.
var workState = []string{"etcd", "warehouse", "duckdb-parquet", "iceberg", "lancedb"}

// run is the state of one Run.
type run struct {
	cfg Config
	ds  *dataset
	res *Results
	// filterRows is the row count of each filtered scan (by measure) per
	// system, checked against each other at the end.
	filterRows map[string]map[string]int64
}

// addFilterRows records the rows a system's filtered scan returned.
func (r *run) addFilterRows(measure, system string, rows int64) {
	if r.filterRows[measure] == nil {
		r.filterRows[measure] = map[string]int64{}
	}
	r.filterRows[measure][system] = rows
}

// Run generates the workload, runs every system on it and returns the
// measurements. A system that fails is recorded in Results.Problems and
// the run goes on with the others.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.LanceDBDir != "" {
		if err := checkLanceDB(cfg.LanceDBDir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, err
	}
	// A work directory kept from an earlier run starts over: its catalog
	// would still name the tables this run creates.
	for _, d := range workState {
		if err := os.RemoveAll(filepath.Join(cfg.WorkDir, d)); err != nil {
			return nil, err
		}
	}
	r := &run{cfg: cfg, res: &Results{Config: cfg, Started: time.Now()}, filterRows: map[string]map[string]int64{}}
	t0 := time.Now()
	ds, err := generate(ctx, cfg, filepath.Join(cfg.WorkDir, "data"))
	if err != nil {
		return nil, fmt.Errorf("upsert: generating the workload: %w", err)
	}
	r.ds, r.res.Keys10 = ds, ds.Keys10
	if cfg.Selective {
		r.progress("generated the workload: %d base rows, upserts of %d rows (%s)", ds.Base.Rows, ds.Up10[0].Rows, since(t0))
	} else {
		r.progress("generated the workload: %d base rows, upserts of %d and %d rows (%s)", ds.Base.Rows, ds.Up10[0].Rows, ds.Up100[0].Rows, since(t0))
	}

	etcd, err := etcdembed.Start(ctx, etcdembed.Config{Dir: filepath.Join(cfg.WorkDir, "etcd"), Fast: true, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("upsert: starting etcd: %w", err)
	}
	defer etcd.Close()
	client, err := etcd.Client()
	if err != nil {
		return nil, err
	}
	defer client.Close()

	if cfg.Selective {
		r.selective(ctx, client)
		r.res.Duration = time.Since(r.res.Started)
		return r.res, nil
	}
	r.step("lakesoul-flight (local)", func() error {
		l, err := openLocal(ctx, cfg, client)
		if err != nil {
			return err
		}
		defer l.Close()
		return r.lakesoulLocal(ctx, l)
	})
	if cfg.S3 != nil {
		r.step("lakesoul-flight (MinIO)", func() error { return r.lakesoulS3(ctx, client) })
	}
	r.step("DuckDB native table", func() error { return r.duckNative(ctx) })
	r.step("DuckDB over Parquet", func() error { return r.duckParquet(ctx) })
	if cfg.LanceDBDir != "" {
		r.step("LanceDB", func() error { return r.lanceDB(ctx) })
	}
	// Iceberg runs last: it is the longest part of a full-scale run, and
	// the partial report saved after every system keeps what ran before.
	if !cfg.SkipIceberg {
		r.step(SysIceberg, func() error { return r.iceberg(ctx) })
	}
	r.crossCheckFilter()
	r.res.Duration = time.Since(r.res.Started)
	return r.res, nil
}

func (r *run) progress(format string, args ...any) {
	fmt.Fprintf(r.cfg.Progress, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// step runs one system and records its failure as a problem.
func (r *run) step(name string, fn func() error) {
	t0 := time.Now()
	r.progress("%s: start", name)
	if err := fn(); err != nil {
		r.res.Problems = append(r.res.Problems, fmt.Sprintf("%s: %v", name, err))
		r.progress("%s: FAILED: %v", name, err)
		if r.cfg.AfterSystem != nil {
			r.cfg.AfterSystem(r.res)
		}
		return
	}
	r.progress("%s: done (%s)", name, since(t0))
	if r.cfg.AfterSystem != nil {
		r.res.Duration = time.Since(r.res.Started)
		r.cfg.AfterSystem(r.res)
	}
}

// profiled runs fn under a CPU profile written to ProfileDir/name.pprof
// when ProfileDir is set.
func (r *run) profiled(name string, fn func() error) error {
	if r.cfg.ProfileDir == "" {
		return fn()
	}
	if err := os.MkdirAll(r.cfg.ProfileDir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(r.cfg.ProfileDir, name+".pprof"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return fn()
}

// addWrites records the base and upsert times of a system.
func (r *run) addWrites(system string, base, ups []float64, upSteps []step, note string) {
	r.res.add(Result{Measure: MBaseWrite, System: system, Seconds: base, Rows: r.ds.Base.Rows, Bytes: r.ds.Base.Bytes, Note: note})
	var rows, bytes int64
	for _, s := range upSteps {
		rows += s.Rows
		bytes += s.Bytes
	}
	n := int64(len(upSteps))
	r.res.add(Result{Measure: MUpsertWrite, System: system, Seconds: ups, Rows: rows / n, Bytes: bytes / n, Note: note})
	total := quantile(base, 0.5)
	for _, s := range ups {
		total += s
	}
	r.res.add(Result{Measure: MTotalWrite, System: system, Seconds: []float64{total},
		Rows: r.ds.Base.Rows + rows, Bytes: r.ds.Base.Bytes + bytes, Note: note})
}

// addRead records a full read; every system's rates use the Arrow size of
// the table as lakesoul-flight returns it.
func (r *run) addRead(measure, system string, secs []float64, rows int64, note string) {
	bytes := r.res.ReadBytes
	if measure == MRead100 {
		bytes = r.res.ReadBytes100
	}
	r.res.add(Result{Measure: measure, System: system, Seconds: secs, Rows: rows, Bytes: bytes, Note: note})
}

func (r *run) checkRows(what string, got, want int64) error {
	if got != want {
		return fmt.Errorf("%s returned %d rows, want %d (the number of distinct keys written)", what, got, want)
	}
	return nil
}

func (r *run) lakesoulLocal(ctx context.Context, l *lakesoul) error {
	cfg, ds := r.cfg, r.ds
	var tbl *catalog.Table
	err := r.profiled("lakesoul-write", func() error {
		var base, ups []float64
		var err error
		tbl, base, ups, err = l.writeSeries(ctx, "bench10", ds.Base, ds.Up10, cfg.Reps)
		if err == nil {
			r.addWrites(SysLocal, base, ups, ds.Up10, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	r.progress("lakesoul-flight (local): writes done")
	snap, err := l.snapshot(ctx, tbl, -1)
	if err != nil {
		return err
	}
	var secs []float64
	var rows int64
	err = r.profiled("lakesoul-read10", func() error {
		var err error
		secs, rows, r.res.ReadBytes, err = l.timedScans(ctx, snap, nil, cfg.Reps, ds.Keys10)
		return err
	})
	if err != nil {
		return fmt.Errorf("read after 10 upserts: %w", err)
	}
	r.addRead(MRead10, SysLocal, secs, rows, "")
	r.progress("lakesoul-flight (local): read after 10 upserts %s", secs1(secs))

	var lat []float64
	err = r.profiled("lakesoul-lookup", func() error {
		var err error
		lat, err = l.lookups(ctx, snap, ds.LookupKeys, cfg.LookupBudget)
		return err
	})
	if err != nil {
		return err
	}
	r.res.add(Result{Measure: MLookup, System: SysLocal, Seconds: lat, Rows: 1, Note: "mor.Scan with mor.Eq(\"uuid\", key) on a resolved snapshot"})
	fsecs, frows, _, err := l.timedScans(ctx, snap, mor.Eq("city", filterCity), cfg.Reps, -1)
	if err != nil {
		return fmt.Errorf("filtered scan: %w", err)
	}
	r.addFilterRows(MFilter, SysLocal, frows)
	r.res.add(Result{Measure: MFilter, System: SysLocal, Seconds: fsecs, Rows: frows, Note: "predicate applied after the merge"})
	r.progress("lakesoul-flight (local): %d lookups, filtered scan %s", len(lat), secs1(fsecs))

	if err := r.flight(ctx, l); err != nil {
		return fmt.Errorf("Flight SQL: %w", err)
	}
	r.progress("lakesoul-flight (local): Flight SQL done")
	if err := r.lakesoulSmall(ctx, l); err != nil {
		return err
	}

	csecs, err := l.compact(ctx, tbl)
	if err != nil {
		return fmt.Errorf("compaction: %w", err)
	}
	r.res.add(Result{Measure: MCompact, System: SysLocal, Seconds: []float64{csecs}, Rows: ds.Keys10, Bytes: r.res.ReadBytes,
		Note: "txn Compact of the 10-upsert table into one file per bucket"})
	csnap, err := l.snapshot(ctx, tbl, -1)
	if err != nil {
		return err
	}
	secs, rows, _, err = l.timedScans(ctx, csnap, nil, cfg.Reps, ds.Keys10)
	if err != nil {
		return fmt.Errorf("compacted read: %w", err)
	}
	r.addRead(MCompacted, SysLocal, secs, rows, "mor.Scan, one file per bucket: no merge")
	var psecs []float64
	for range cfg.Reps {
		var n int64
		s, err := timeIt(func() error { var err error; n, err = l.plainScan(ctx, csnap); return err })
		if err != nil {
			return fmt.Errorf("pqarrow scan: %w", err)
		}
		if err := r.checkRows("pqarrow scan of the compacted files", n, ds.Keys10); err != nil {
			return err
		}
		psecs = append(psecs, s)
	}
	r.addRead(MCompacted, SysPqarrow, psecs, ds.Keys10, "the compacted files read with pqarrow, one goroutine per file: the floor")
	return nil
}

// lakesoulSmall writes the 100-small-upsert series and reads it at the
// checkpoints by version (time travel).
func (r *run) lakesoulSmall(ctx context.Context, l *lakesoul) error {
	ds := r.ds
	tbl, _, ups, err := l.writeSeries(ctx, "bench100", ds.Base, ds.Up100, 1)
	if err != nil {
		return fmt.Errorf("100-upsert series: %w", err)
	}
	r.addSmallUpserts(SysLocal, ups, "")
	for _, k := range checkpoints {
		snap, err := l.snapshot(ctx, tbl, int64(1+k))
		if err != nil {
			return err
		}
		var secs []float64
		var n, b int64
		fn := func() error {
			var err error
			secs, n, b, err = l.timedScans(ctx, snap, nil, r.cfg.seriesReps(k), ds.Keys100At[k])
			return err
		}
		if k == smallUpserts {
			err = r.profiled("lakesoul-read100", fn)
		} else {
			err = fn()
		}
		if err != nil {
			return fmt.Errorf("read after %d small upserts: %w", k, err)
		}
		r.res.Line = append(r.res.Line, Point{System: SysLocal, Upserts: k, Seconds: quantile(secs, 0.5), Rows: n})
		r.progress("lakesoul-flight (local): read after %d small upserts %s", k, secs1(secs))
		if k == smallUpserts {
			r.res.ReadBytes100 = b
			r.addRead(MRead100, SysLocal, secs, n, "")
		}
	}
	return nil
}

func (r *run) flight(ctx context.Context, l *lakesoul) error {
	srv, err := startFlight(l, r.cfg.Logger)
	if err != nil {
		return err
	}
	defer srv.Close()
	c, err := flightClient(srv.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	var secs []float64
	var rows int64
	var endpoints int
	for range r.cfg.Reps {
		s, err := timeIt(func() error {
			var err error
			rows, _, endpoints, err = flightRead(ctx, c, "SELECT * FROM bench10")
			return err
		})
		if err != nil {
			return err
		}
		if err := r.checkRows("Flight SQL read", rows, r.ds.Keys10); err != nil {
			return err
		}
		secs = append(secs, s)
	}
	r.addRead(MFlight, SysFlight, secs, rows, fmt.Sprintf("GetFlightInfo + %d parallel DoGet streams on loopback", endpoints))
	return nil
}

// secs1 formats the median of samples for progress lines.
func secs1(xs []float64) string { return secs(quantile(xs, 0.5)) }

// addSmallUpserts records the small-upsert write times of sys, with the
// mean rows and bytes of the 100 small upserts.
func (r *run) addSmallUpserts(sys string, secs []float64, note string) {
	var rows, bytes int64
	for _, s := range r.ds.Up100 {
		rows += s.Rows
		bytes += s.Bytes
	}
	r.res.add(Result{Measure: MSmallUpsertWrite, System: sys, Seconds: secs, Rows: rows / smallUpserts, Bytes: bytes / smallUpserts, Note: note})
}
