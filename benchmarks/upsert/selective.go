package upsert

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// The selective mode (Config.Selective) builds the 10-upsert table on
// lakesoul-flight and the peers that can answer a selective query from a
// table of their own (DuckDB's native table, LanceDB), then times point
// lookups, IN-lists of inListKeys keys and two filtered scans on it.

// inListKeys is the number of distinct keys of an IN-list query.
const inListKeys = 100

// The range filter: requests is uniform in [0, 1,000,000), so it keeps
// about 5 % of the rows.
const (
	rangeLo = 100_000
	rangeHi = 149_999
)

// selectiveFilter is one filtered scan of the selective mode.
type selectiveFilter struct {
	measure string
	where   string   // SQL, for Flight SQL, DuckDB and LanceDB
	expr    mor.Expr // the same predicate for mor.Scan
}

func selectiveFilters() []selectiveFilter {
	return []selectiveFilter{
		{MFilter, fmt.Sprintf("city = '%s'", filterCity), mor.Eq("city", filterCity)},
		{MRange, fmt.Sprintf("requests BETWEEN %d AND %d", rangeLo, rangeHi),
			mor.And(mor.Ge("requests", int64(rangeLo)), mor.Le("requests", int64(rangeHi)))},
	}
}

// inListSQL is the IN-list predicate of keys.
func inListSQL(keys []string) string {
	var b strings.Builder
	b.WriteString("uuid IN (")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + k + "'")
	}
	b.WriteString(")")
	return b.String()
}

// selective runs every system of the selective mode.
func (r *run) selective(ctx context.Context, client *clientv3.Client) {
	cfg := r.cfg
	r.step(SysLocal, func() error {
		l, err := openLocal(ctx, cfg, client)
		if err != nil {
			return err
		}
		defer l.Close()
		return r.selectiveLakesoul(ctx, l, SysLocal, SysFlight, true)
	})
	if cfg.S3 != nil {
		r.step(SysMinIO, func() error {
			l, err := openS3(ctx, cfg, client)
			if err != nil {
				return err
			}
			defer l.Close()
			return r.selectiveLakesoul(ctx, l, SysMinIO, SysFlightMinIO, false)
		})
	}
	r.step(SysDuckNative, func() error { return r.selectiveDuck(ctx) })
	if cfg.LanceDBDir != "" {
		r.step(SysLanceDB, func() error { return r.selectiveLance(ctx) })
	}
	r.crossCheckFilter()
}

// selectiveLakesoul writes the 10-upsert table (the base once) and times
// the selective reads over Flight SQL, recorded under flightSys, and, when
// inProcess is set, through mor.Scan under sys.
func (r *run) selectiveLakesoul(ctx context.Context, l *lakesoul, sys, flightSys string, inProcess bool) error {
	cfg, ds := r.cfg, r.ds
	tbl, base, ups, err := l.writeSeries(ctx, "bench10", ds.Base, ds.Up10, 1)
	if err != nil {
		return err
	}
	r.addWrites(sys, base, ups, ds.Up10, "")
	r.progress("%s: writes done", sys)
	if inProcess {
		if err := r.inProcessReads(ctx, l, tbl, sys); err != nil {
			return err
		}
	}
	srv, err := startFlight(l, cfg.Logger)
	if err != nil {
		return err
	}
	defer srv.Close()
	c, err := flightClient(srv.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return r.flightSelective(ctx, c, flightSys)
}

// inProcessReads times point lookups (mor.Eq) and the filtered scans
// through mor.Scan on the latest snapshot.
func (r *run) inProcessReads(ctx context.Context, l *lakesoul, tbl *catalog.Table, sys string) error {
	cfg, ds := r.cfg, r.ds
	snap, err := l.snapshot(ctx, tbl, -1)
	if err != nil {
		return err
	}
	lat, err := l.lookups(ctx, snap, ds.LookupKeys, cfg.LookupBudget)
	if err != nil {
		return err
	}
	r.res.add(Result{Measure: MLookup, System: sys, Seconds: lat, Rows: 1, Note: "mor.Scan with mor.Eq(\"uuid\", key) on a resolved snapshot"})
	r.progress("%s: %d in-process lookups, p50 %s", sys, len(lat), ms(quantile(lat, 0.5)))
	for _, f := range selectiveFilters() {
		secs, rows, _, err := l.timedScans(ctx, snap, f.expr, cfg.Reps, -1)
		if err != nil {
			return fmt.Errorf("%s: %w", f.measure, err)
		}
		r.addFilterRows(f.measure, sys, rows)
		r.res.add(Result{Measure: f.measure, System: sys, Seconds: secs, Rows: rows, Note: "mor.Scan with the predicate as its filter"})
		r.progress("%s: in-process %s %s", sys, f.measure, secs1(secs))
	}
	return nil
}

// flightSelective times the selective reads through arrow-go's Flight SQL
// client: each query is GetFlightInfo, then a DoGet of every endpoint
// (in parallel) read to the end, all timed.
func (r *run) flightSelective(ctx context.Context, c *flightsql.Client, sys string) error {
	cfg, ds := r.cfg, r.ds
	query := func(where string) (int64, error) {
		rows, _, _, err := flightRead(ctx, c, "SELECT * FROM bench10 WHERE "+where)
		return rows, err
	}
	lat, err := timedLoop(ds.LookupKeys, cfg.LookupBudget, 1, func(k string) (int64, error) {
		return query("uuid = '" + k + "'")
	})
	if err != nil {
		return fmt.Errorf("point lookups over Flight SQL: %w", err)
	}
	r.res.add(Result{Measure: MFlightLookup, System: sys, Seconds: lat, Rows: 1,
		Note: "SELECT * ... WHERE uuid = 'key': GetFlightInfo + DoGet of every endpoint on loopback"})
	r.progress("%s: %d lookups, p50 %s", sys, len(lat), ms(quantile(lat, 0.5)))
	lat, err = timedLoop(ds.InLists, cfg.LookupBudget, inListKeys, func(keys []string) (int64, error) {
		return query(inListSQL(keys))
	})
	if err != nil {
		return fmt.Errorf("IN-lists over Flight SQL: %w", err)
	}
	r.res.add(Result{Measure: MInList, System: sys, Seconds: lat, Rows: inListKeys,
		Note: "SELECT * ... WHERE uuid IN (100 keys): GetFlightInfo + DoGet of every endpoint"})
	r.progress("%s: %d IN-lists, p50 %s", sys, len(lat), ms(quantile(lat, 0.5)))
	for _, f := range selectiveFilters() {
		var secs []float64
		var rows, want int64 = 0, -1
		var endpoints int
		for range cfg.Reps {
			s, err := timeIt(func() error {
				var err error
				rows, _, endpoints, err = flightRead(ctx, c, "SELECT * FROM bench10 WHERE "+f.where)
				return err
			})
			if err != nil {
				return fmt.Errorf("%s: %w", f.measure, err)
			}
			if want >= 0 && rows != want {
				return fmt.Errorf("%s returned %d rows, then %d", f.measure, want, rows)
			}
			want = rows
			secs = append(secs, s)
		}
		r.addFilterRows(f.measure, sys, rows)
		r.res.add(Result{Measure: f.measure, System: sys, Seconds: secs, Rows: rows,
			Note: fmt.Sprintf("GetFlightInfo + %d parallel DoGet streams", endpoints)})
		r.progress("%s: %s %s", sys, f.measure, secs1(secs))
	}
	return nil
}

// selectiveDuck builds the DuckDB native table as the full suite does and
// times its lookups, IN-lists and filtered scans.
func (r *run) selectiveDuck(ctx context.Context) error {
	cfg, ds := r.cfg, r.ds
	d, err := openDuck(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	base, ups, err := d.nativeWrites(ctx, ds.Base, ds.Up10, 1)
	if err != nil {
		return err
	}
	r.addWrites(SysDuckNative, base, ups, ds.Up10, "in-memory table, PRIMARY KEY (uuid); each upsert staged, then INSERT OR REPLACE in the order of the rows it replaces")
	r.progress("%s: writes done", SysDuckNative)
	lat, err := d.lookups(ctx, ds.LookupKeys, cfg.LookupBudget)
	if err != nil {
		return err
	}
	r.res.add(Result{Measure: MLookup, System: SysDuckNative, Seconds: lat, Rows: 1, Note: "prepared SELECT ... WHERE uuid = ?"})
	lat, err = timedLoop(ds.InLists, cfg.LookupBudget, inListKeys, func(keys []string) (int64, error) {
		return d.query(ctx, "SELECT * FROM t WHERE "+inListSQL(keys))
	})
	if err != nil {
		return fmt.Errorf("IN-lists: %w", err)
	}
	r.res.add(Result{Measure: MInList, System: SysDuckNative, Seconds: lat, Rows: inListKeys, Note: "SELECT * ... WHERE uuid IN (100 literals) as Arrow"})
	r.progress("%s: %d IN-lists, p50 %s", SysDuckNative, len(lat), ms(quantile(lat, 0.5)))
	for _, f := range selectiveFilters() {
		secs, rows, err := r.duckReads(ctx, d, "SELECT * FROM t WHERE "+f.where, -1, cfg.Reps)
		if err != nil {
			return err
		}
		r.addFilterRows(f.measure, SysDuckNative, rows)
		r.res.add(Result{Measure: f.measure, System: SysDuckNative, Seconds: secs, Rows: rows, Note: "SELECT * ... WHERE as Arrow"})
	}
	return nil
}

// timedLoop runs fn on items in order until all are done or budget has
// passed (after at least minLookups), checks each returned want rows and
// returns the latencies in seconds. Queries so slow that minLookups of
// them do not fit stop at twice the budget, so a slow system cannot
// stretch a full-scale run by many minutes.
func timedLoop[T any](items []T, budget time.Duration, want int64, fn func(T) (int64, error)) ([]float64, error) {
	lat := make([]float64, 0, len(items))
	t0 := time.Now()
	for i, it := range items {
		if el := time.Since(t0); i >= minLookups && el > budget || i > 0 && el > 2*budget {
			break
		}
		var rows int64
		s, err := timeIt(func() error { var err error; rows, err = fn(it); return err })
		if err != nil {
			return nil, err
		}
		if rows != want {
			return nil, fmt.Errorf("query %d returned %d rows, want %d", i+1, rows, want)
		}
		lat = append(lat, s)
	}
	return lat, nil
}

// lanceIndexes are the scalar indexes LanceDB gets after the writes: a
// BTREE on the key, a BITMAP on the low-cardinality city and a BTREE on
// requests for the range.
var lanceIndexes = []lanceIndex{{"uuid", "btree"}, {"city", "bitmap"}, {"requests", "btree"}}

// selectiveLance builds the 10-upsert table in LanceDB as the full suite
// does, indexes it and runs the selective reads, all inside one node
// process, so process start-up is never timed.
func (r *run) selectiveLance(ctx context.Context) error {
	cfg, ds := r.cfg, r.ds
	ups := make([]string, len(ds.Up10))
	for i, s := range ds.Up10 {
		ups[i] = s.Path
	}
	sel := &lanceSelective{
		Indexes: lanceIndexes, Lookups: ds.LookupKeys, InLists: ds.InLists,
		Reps: cfg.Reps, BudgetSeconds: cfg.LookupBudget.Seconds(), MinCount: minLookups,
	}
	for _, f := range selectiveFilters() {
		sel.Filters = append(sel.Filters, lanceFilter{Name: f.measure, Where: f.where})
	}
	plan := lancePlan{
		URI:    filepath.Join(cfg.WorkDir, "lancedb"),
		Series: []lanceSeries{{Name: "u10", Base: ds.Base.Path, BaseReps: 1, Upserts: ups, Selective: sel}},
	}
	out, err := runLanceDB(ctx, cfg.Node, cfg.LanceDBDir, cfg.WorkDir, plan)
	if err != nil {
		return err
	}
	if len(out.Series) != 1 || out.Series[0].Selective == nil {
		return fmt.Errorf("LanceDB returned no selective reads")
	}
	u10, so := out.Series[0], out.Series[0].Selective
	r.addWrites(SysLanceDB, u10.Base, u10.Upserts, ds.Up10, "createTable, then mergeInsert(\"uuid\").whenMatchedUpdateAll().whenNotMatchedInsertAll()")
	var idx []string
	var idxSecs float64
	for _, ix := range so.Indexes {
		idx = append(idx, fmt.Sprintf("%s %s %s", strings.ToUpper(ix.Type), ix.Column, secs(ix.Seconds)))
		idxSecs += ix.Seconds
	}
	idxNote := "indexes built after the writes: " + strings.Join(idx, ", ")
	r.res.add(Result{Measure: MIndex, System: SysLanceDB, Seconds: []float64{idxSecs}, Rows: ds.Keys10, Note: "createIndex, one after the other: " + strings.Join(idx, ", ")})
	indexNote := func(kind string) string {
		if so.IndexUsed[kind] {
			return "; the plan reads through the index"
		}
		return "; the plan uses no index"
	}
	check := func(what string, t lanceTimings, want int64) error {
		if len(t.Seconds) == 0 || len(t.Rows) != len(t.Seconds) {
			return fmt.Errorf("LanceDB %s: %d samples, %d row counts", what, len(t.Seconds), len(t.Rows))
		}
		for i, n := range t.Rows {
			if want >= 0 && n != want {
				return fmt.Errorf("LanceDB %s %d returned %d rows, want %d", what, i+1, n, want)
			}
			want = n
		}
		return nil
	}
	if err := check("point lookup", so.Lookups, 1); err != nil {
		return err
	}
	r.res.add(Result{Measure: MLookup, System: SysLanceDB, Seconds: so.Lookups.Seconds, Rows: 1,
		Note: "query().where(\"uuid = 'key'\") streamed to the end" + indexNote("lookup") + "; " + idxNote})
	if err := check("IN-list", so.InLists, inListKeys); err != nil {
		return err
	}
	r.res.add(Result{Measure: MInList, System: SysLanceDB, Seconds: so.InLists.Seconds, Rows: inListKeys,
		Note: "query().where(\"uuid IN (...)\") streamed to the end" + indexNote("inList")})
	for _, f := range so.Filters {
		if err := check(f.Name, f.lanceTimings, -1); err != nil {
			return err
		}
		rows := f.Rows[0]
		r.addFilterRows(f.Name, SysLanceDB, rows)
		r.res.add(Result{Measure: f.Name, System: SysLanceDB, Seconds: f.Seconds, Rows: rows, Note: "query().where(...) streamed to the end" + indexNote(f.Name)})
	}
	return nil
}
