package upsert

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// lakesoulS3 runs the 10-upsert series on MinIO: writes, the merged read
// and point lookups.
func (r *run) lakesoulS3(ctx context.Context, client *clientv3.Client) error {
	cfg, ds := r.cfg, r.ds
	l, err := openS3(ctx, cfg, client)
	if err != nil {
		return err
	}
	defer l.Close()
	tbl, base, ups, err := l.writeSeries(ctx, "bench10", ds.Base, ds.Up10, cfg.Reps)
	if err != nil {
		return err
	}
	r.addWrites(SysMinIO, base, ups, ds.Up10, "")
	snap, err := l.snapshot(ctx, tbl, -1)
	if err != nil {
		return err
	}
	secs, rows, _, err := l.timedScans(ctx, snap, nil, cfg.Reps, ds.Keys10)
	if err != nil {
		return fmt.Errorf("read after 10 upserts: %w", err)
	}
	r.addRead(MRead10, SysMinIO, secs, rows, "")
	lat, err := l.lookups(ctx, snap, ds.LookupKeys, cfg.LookupBudget)
	if err != nil {
		return err
	}
	r.res.add(Result{Measure: MLookup, System: SysMinIO, Seconds: lat, Rows: 1, Note: "each lookup reads one bucket's files through S3 range requests"})
	return nil
}

// duckNative runs the native DuckDB table: writes, full scan, lookups and
// the filtered scan.
func (r *run) duckNative(ctx context.Context) error {
	cfg, ds := r.cfg, r.ds
	d, err := openDuck(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	base, ups, err := d.nativeWrites(ctx, ds.Base, ds.Up10, cfg.Reps)
	if err != nil {
		return err
	}
	r.addWrites(SysDuckNative, base, ups, ds.Up10, "in-memory table, PRIMARY KEY (uuid); each upsert staged, then INSERT OR REPLACE in the order of the rows it replaces")
	secs, rows, err := r.duckReads(ctx, d, "SELECT * FROM t", ds.Keys10, cfg.Reps)
	if err != nil {
		return err
	}
	r.addRead(MRead10, SysDuckNative, secs, rows, "SELECT * as Arrow")
	lat, err := d.lookups(ctx, ds.LookupKeys, cfg.LookupBudget)
	if err != nil {
		return err
	}
	r.res.add(Result{Measure: MLookup, System: SysDuckNative, Seconds: lat, Rows: 1, Note: "prepared SELECT ... WHERE uuid = ?"})
	secs, rows, err = r.duckReads(ctx, d, fmt.Sprintf("SELECT * FROM t WHERE city = '%s'", filterCity), -1, cfg.Reps)
	if err != nil {
		return err
	}
	r.addFilterRows(MFilter, SysDuckNative, rows)
	r.res.add(Result{Measure: MFilter, System: SysDuckNative, Seconds: secs, Rows: rows})
	return nil
}

// duckReads runs q reps times as an Arrow query and checks the rows.
func (r *run) duckReads(ctx context.Context, d *duck, q string, want int64, reps int) ([]float64, int64, error) {
	var secs []float64
	var rows int64
	for range reps {
		s, err := timeIt(func() error { var err error; rows, err = d.query(ctx, q); return err })
		if err != nil {
			return nil, 0, err
		}
		if want >= 0 {
			if err := r.checkRows("DuckDB: "+firstLine(q), rows, want); err != nil {
				return nil, 0, err
			}
		}
		want = rows
		secs = append(secs, s)
	}
	return secs, rows, nil
}

// duckParquet runs DuckDB over one Parquet file per write, merged by hand.
func (r *run) duckParquet(ctx context.Context) error {
	cfg, ds := r.cfg, r.ds
	dir := filepath.Join(cfg.WorkDir, "duckdb-parquet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d, err := openDuck(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	files, base, ups, err := d.parquetWrites(ctx, dir, "w10", ds.Base, ds.Up10, cfg.Reps)
	if err != nil {
		return err
	}
	const note = "one zstd Parquet file per write with a seq column (COPY); newest row per key by row_number() at read time"
	r.addWrites(SysDuckParquet, base, ups, ds.Up10, note)
	secs, rows, err := r.duckReads(ctx, d, mergedQuery(files, ""), ds.Keys10, cfg.Reps)
	if err != nil {
		return err
	}
	r.addRead(MRead10, SysDuckParquet, secs, rows, "read_parquet(11 files) QUALIFY row_number() OVER (PARTITION BY uuid ORDER BY seq DESC) = 1")
	secs, rows, err = r.duckReads(ctx, d, mergedQuery(files, fmt.Sprintf("city = '%s'", filterCity)), -1, cfg.Reps)
	if err != nil {
		return err
	}
	r.addFilterRows(MFilter, SysDuckParquet, rows)
	r.res.add(Result{Measure: MFilter, System: SysDuckParquet, Seconds: secs, Rows: rows, Note: "filter applied after the merge"})

	small, _, sups, err := d.parquetWrites(ctx, dir, "w100", ds.Base, ds.Up100, 0)
	if err != nil {
		return fmt.Errorf("100-upsert series: %w", err)
	}
	r.res.add(Result{Measure: MSmallUpsertWrite, System: SysDuckParquet, Seconds: sups, Rows: ds.Up100[0].Rows, Bytes: ds.Up100[0].Bytes, Note: note})
	small = append([]string{files[0]}, small...)
	for _, k := range checkpoints {
		secs, rows, err := r.duckReads(ctx, d, mergedQuery(small[:k+1], ""), ds.Keys100At[k], cfg.seriesReps(k))
		if err != nil {
			return fmt.Errorf("read after %d small upserts: %w", k, err)
		}
		r.res.Line = append(r.res.Line, Point{System: SysDuckParquet, Upserts: k, Seconds: quantile(secs, 0.5), Rows: rows})
		if k == smallUpserts {
			r.addRead(MRead100, SysDuckParquet, secs, rows, "read_parquet(101 files), merged by row_number()")
		}
	}
	return nil
}

// iceberg runs Apache Iceberg through iceberg-go on a local Hadoop-style
// warehouse: both series, the merged reads and the filtered scan.
func (r *run) iceberg(ctx context.Context) error {
	cfg, ds := r.cfg, r.ds
	p, err := openIceberg(ctx, filepath.Join(cfg.WorkDir, "iceberg"))
	if err != nil {
		return err
	}
	defer p.Close()
	const note = "format v2, bucket[4](uuid); base: Append; each upsert one RowDelta snapshot: its rows as data files + equality deletes on uuid of all its keys"
	s10, base, ups, err := p.writeSeries(ctx, "bench10", ds.Base, ds.Up10, cfg.Reps)
	if err != nil {
		return err
	}
	r.addWrites(SysIceberg, base, ups, ds.Up10, note)
	r.progress("%s: writes done", SysIceberg)
	secs, rows, calls, err := icebergScans(ctx, s10.tbl, 0, nil, cfg.Reps, ds.Keys10)
	if err != nil {
		return fmt.Errorf("read after 10 upserts: %w", err)
	}
	r.addRead(MRead10, SysIceberg, secs, rows, "merge-on-read scan: PlanFiles, then "+readTasksNote(calls))
	r.progress("%s: read after 10 upserts %s (%d ReadTasks calls)", SysIceberg, secs1(secs), calls)
	fsecs, frows, calls, err := icebergScans(ctx, s10.tbl, 0, iceberg.EqualTo(iceberg.Reference("city"), filterCity), cfg.Reps, -1)
	if err != nil {
		return fmt.Errorf("filtered scan: %w", err)
	}
	r.addFilterRows(MFilter, SysIceberg, frows)
	r.res.add(Result{Measure: MFilter, System: SysIceberg, Seconds: fsecs, Rows: frows,
		Note: "row filter city = 'Berlin' on the data files' rows, equality deletes drop a key's older rows whatever their city; " + readTasksNote(calls)})
	r.progress("%s: filtered scan %s", SysIceberg, secs1(fsecs))

	s100, _, sups, err := p.writeSeries(ctx, "bench100", ds.Base, ds.Up100, 1)
	if err != nil {
		return fmt.Errorf("100-upsert series: %w", err)
	}
	r.addSmallUpserts(SysIceberg, sups, note)
	for _, k := range checkpoints {
		secs, rows, calls, err := icebergScans(ctx, s100.tbl, s100.snaps[k], nil, cfg.seriesReps(k), ds.Keys100At[k])
		if err != nil {
			return fmt.Errorf("read after %d small upserts: %w", k, err)
		}
		r.res.Line = append(r.res.Line, Point{System: SysIceberg, Upserts: k, Seconds: quantile(secs, 0.5), Rows: rows})
		r.progress("%s: read after %d small upserts %s (%d ReadTasks calls)", SysIceberg, k, secs1(secs), calls)
		if k == smallUpserts {
			r.addRead(MRead100, SysIceberg, secs, rows, "snapshot 101 by WithSnapshotID: PlanFiles, then "+readTasksNote(calls))
		}
	}
	return nil
}

// readTasksNote describes how an Iceberg scan was read (see icebergScan).
func readTasksNote(calls int) string {
	if calls == 1 {
		return "one Scan.ReadTasks of all tasks (what ToArrowRecords does)"
	}
	return fmt.Sprintf("Scan.ReadTasks in %d groups of tasks, bucket by bucket, so iceberg-go's merged equality delete sets stay under %d Mi keys", calls, icebergDeleteKeyBudget>>20)
}

// lanceDB runs both series in LanceDB through node.
func (r *run) lanceDB(ctx context.Context) error {
	cfg, ds := r.cfg, r.ds
	paths := func(steps []step) []string {
		out := make([]string, len(steps))
		for i, s := range steps {
			out[i] = s.Path
		}
		return out
	}
	plan := lancePlan{
		URI: filepath.Join(cfg.WorkDir, "lancedb"),
		Series: []lanceSeries{
			{Name: "u10", Base: ds.Base.Path, BaseReps: cfg.Reps, Upserts: paths(ds.Up10), ReadAfter: []int{upserts}, ReadReps: cfg.Reps},
			{Name: "u100", Base: ds.Base.Path, BaseReps: 1, Upserts: paths(ds.Up100), ReadAfter: checkpoints, ReadReps: 1, ReadRepsAt: map[int]int{smallUpserts: cfg.Reps}},
		},
	}
	out, err := runLanceDB(ctx, cfg.Node, cfg.LanceDBDir, cfg.WorkDir, plan)
	if err != nil {
		return err
	}
	if len(out.Series) != 2 {
		return fmt.Errorf("LanceDB returned %d series, want 2", len(out.Series))
	}
	const note = "createTable, then mergeInsert(\"uuid\").whenMatchedUpdateAll().whenNotMatchedInsertAll()"
	u10, u100 := out.Series[0], out.Series[1]
	r.addWrites(SysLanceDB, u10.Base, u10.Upserts, ds.Up10, note)
	for _, rd := range u10.Reads {
		if err := r.checkRows("LanceDB read after 10 upserts", rd.Rows, ds.Keys10); err != nil {
			return err
		}
		r.addRead(MRead10, SysLanceDB, rd.Seconds, rd.Rows, "query() streamed to the end")
	}
	r.res.add(Result{Measure: MSmallUpsertWrite, System: SysLanceDB, Seconds: u100.Upserts, Rows: ds.Up100[0].Rows, Bytes: ds.Up100[0].Bytes, Note: note})
	for _, rd := range u100.Reads {
		if err := r.checkRows(fmt.Sprintf("LanceDB read after %d small upserts", rd.Upserts), rd.Rows, ds.Keys100At[rd.Upserts]); err != nil {
			return err
		}
		r.res.Line = append(r.res.Line, Point{System: SysLanceDB, Upserts: rd.Upserts, Seconds: quantile(rd.Seconds, 0.5), Rows: rd.Rows})
		if rd.Upserts == smallUpserts {
			r.addRead(MRead100, SysLanceDB, rd.Seconds, rd.Rows, "")
		}
	}
	return nil
}

// crossCheckFilter records a problem when the systems' filtered scans
// disagree: a filter applied before the merge lets old versions leak.
func (r *run) crossCheckFilter() {
	for _, m := range slices.Sorted(maps.Keys(r.filterRows)) {
		bySystem := r.filterRows[m]
		var parts []string
		counts := map[int64]bool{}
		for _, n := range slices.Sorted(maps.Keys(bySystem)) {
			counts[bySystem[n]] = true
			parts = append(parts, fmt.Sprintf("%s %d", n, bySystem[n]))
		}
		if len(counts) > 1 {
			r.res.Problems = append(r.res.Problems, m+": systems disagree: "+strings.Join(parts, ", "))
		}
	}
}
