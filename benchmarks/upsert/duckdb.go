package upsert

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/marcboeker/go-duckdb"

	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
)

// duck is one in-memory DuckDB database used through a single connection,
// so Arrow views and tables live in the same session.
type duck struct {
	conn  *sql.Conn
	db    *sql.DB
	arrow *duckdb.Arrow
	views int
}

func openDuck(ctx context.Context) (*duck, error) {
	connector, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		_, err := ex.ExecContext(ctx, fmt.Sprintf("SET threads TO %d", cores()), nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	d := &duck{conn: conn, db: db}
	err = conn.Raw(func(dc any) error {
		var err error
		d.arrow, err = duckdb.NewArrowFromConn(dc.(driver.Conn))
		return err
	})
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

func (d *duck) Close() error {
	err := d.conn.Close()
	if e := d.db.Close(); err == nil {
		err = e
	}
	return err
}

func (d *duck) exec(ctx context.Context, q string, args ...any) error {
	_, err := d.conn.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("duckdb: %s: %w", firstLine(q), err)
	}
	return nil
}

// withView registers recs as an Arrow view for the duration of fn. DuckDB
// misaligns the columns of such a view when it projects or filters it, so
// fn must only ever read it with a plain SELECT *.
func (d *duck) withView(recs []arrow.RecordBatch, fn func(view string) error) error {
	rr, err := array.NewRecordReader(recs[0].Schema(), recs)
	if err != nil {
		return err
	}
	defer rr.Release()
	d.views++
	name := fmt.Sprintf("arrow_in_%d", d.views)
	release, err := d.arrow.RegisterView(rr, name)
	if err != nil {
		return err
	}
	defer release()
	return fn(name)
}

// query runs q and reads its Arrow result to the end.
func (d *duck) query(ctx context.Context, q string, args ...any) (int64, error) {
	rr, err := d.arrow.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("duckdb: %s: %w", firstLine(q), err)
	}
	defer rr.Release()
	rows, _, err := drain(rr)
	return rows, err
}

const duckColumns = `uuid VARCHAR PRIMARY KEY, ip VARCHAR, hostname VARCHAR, requests BIGINT,
	name VARCHAR, city VARCHAR, job VARCHAR, phonenum VARCHAR`

// nativeWrites creates a table with PRIMARY KEY (uuid), inserts the base
// (baseReps times, each into a fresh table) and applies every upsert with
// INSERT OR REPLACE. The table left is named t.
func (d *duck) nativeWrites(ctx context.Context, base step, ups []step, baseReps int) ([]float64, []float64, error) {
	var baseSecs, upSecs []float64
	recs, err := load(base)
	if err != nil {
		return nil, nil, err
	}
	defer workload.Release(recs)
	for range baseReps {
		if err := d.exec(ctx, "DROP TABLE IF EXISTS t"); err != nil {
			return nil, nil, err
		}
		secs, err := timeIt(func() error {
			if err := d.exec(ctx, "CREATE TABLE t ("+duckColumns+")"); err != nil {
				return err
			}
			return d.withView(recs, func(v string) error {
				return d.exec(ctx, "INSERT INTO t SELECT * FROM "+v)
			})
		})
		if err != nil {
			return nil, nil, fmt.Errorf("base insert: %w", err)
		}
		baseSecs = append(baseSecs, secs)
	}
	for i, u := range ups {
		recs, err := load(u)
		if err != nil {
			return nil, nil, err
		}
		// DuckDB applies the conflicting rows of INSERT OR REPLACE as
		// updates, and updates scattered over the whole table are about 10
		// times slower than updates in table order (measured: 2.0 s against
		// 0.19 s for 20,000 rows into 100,000). Stage the rows, then replace
		// them in the order of the rows they replace.
		secs, err := timeIt(func() error {
			err := d.withView(recs, func(v string) error {
				return d.exec(ctx, "CREATE OR REPLACE TEMP TABLE stage AS SELECT * FROM "+v)
			})
			if err != nil {
				return err
			}
			if err := d.exec(ctx, "INSERT OR REPLACE INTO t SELECT stage.* FROM stage LEFT JOIN t USING (uuid) ORDER BY t.rowid NULLS LAST"); err != nil {
				return err
			}
			return d.exec(ctx, "DROP TABLE stage")
		})
		workload.Release(recs)
		if err != nil {
			return nil, nil, fmt.Errorf("upsert %d: %w", i+1, err)
		}
		upSecs = append(upSecs, secs)
	}
	return baseSecs, upSecs, nil
}

// lookups looks keys up in table t through a prepared statement, until all
// are done or budget has passed.
func (d *duck) lookups(ctx context.Context, keys []string, budget time.Duration) ([]float64, error) {
	st, err := d.conn.PrepareContext(ctx, "SELECT * FROM t WHERE uuid = ?")
	if err != nil {
		return nil, err
	}
	defer st.Close()
	lat := make([]float64, 0, len(keys))
	var c [8]sql.NullString
	dest := make([]any, len(c))
	for i := range c {
		dest[i] = &c[i]
	}
	t0 := time.Now()
	for i, k := range keys {
		if i >= minLookups && time.Since(t0) > budget {
			break
		}
		s, err := timeIt(func() error { return st.QueryRowContext(ctx, k).Scan(dest...) })
		if err != nil {
			return nil, fmt.Errorf("lookup %s: %w", k, err)
		}
		lat = append(lat, s)
	}
	return lat, nil
}

// parquetWrites writes each write as one Parquet file with a seq column
// (0 for the base, i for upsert i) through DuckDB's COPY, zstd-compressed
// like lakesoul-flight's files. It returns the files and times.
func (d *duck) parquetWrites(ctx context.Context, dir string, prefix string, base step, ups []step, baseReps int) ([]string, []float64, []float64, error) {
	var files []string
	var baseSecs, upSecs []float64
	write := func(s step, seq int) (float64, error) {
		recs, err := load(s)
		if err != nil {
			return 0, err
		}
		withSeq, err := addSeq(recs, int64(seq))
		workload.Release(recs)
		if err != nil {
			return 0, err
		}
		defer workload.Release(withSeq)
		path := filepath.Join(dir, fmt.Sprintf("%s-%03d.parquet", prefix, seq))
		secs, err := timeIt(func() error {
			return d.withView(withSeq, func(v string) error {
				return d.exec(ctx, fmt.Sprintf("COPY (SELECT * FROM %s) TO '%s' (FORMAT parquet, COMPRESSION zstd)", v, path))
			})
		})
		if err == nil && (len(files) == 0 || files[len(files)-1] != path) {
			files = append(files, path)
		}
		return secs, err
	}
	for range baseReps {
		secs, err := write(base, 0)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("base: %w", err)
		}
		baseSecs = append(baseSecs, secs)
	}
	for i, u := range ups {
		secs, err := write(u, i+1)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("upsert %d: %w", i+1, err)
		}
		upSecs = append(upSecs, secs)
	}
	return files, baseSecs, upSecs, nil
}

// mergedQuery is the hand-written merge of Parquet files: the newest row of
// each key. filter, when not empty, applies after the merge.
func mergedQuery(files []string, filter string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + f + "'"
	}
	q := fmt.Sprintf("SELECT * EXCLUDE (seq) FROM read_parquet([%s]) QUALIFY row_number() OVER (PARTITION BY uuid ORDER BY seq DESC) = 1",
		strings.Join(quoted, ", "))
	if filter != "" {
		q = "SELECT * FROM (" + q + ") WHERE " + filter
	}
	return q
}

// addSeq appends an int64 column seq holding v to every record.
func addSeq(recs []arrow.RecordBatch, v int64) ([]arrow.RecordBatch, error) {
	fields := append(recs[0].Schema().Fields(), arrow.Field{Name: "seq", Type: arrow.PrimitiveTypes.Int64})
	schema := arrow.NewSchema(fields, nil)
	out := make([]arrow.RecordBatch, 0, len(recs))
	for _, r := range recs {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		b.Reserve(int(r.NumRows()))
		for range r.NumRows() {
			b.UnsafeAppend(v)
		}
		seq := b.NewArray()
		b.Release()
		cols := append(append([]arrow.Array{}, r.Columns()...), seq)
		out = append(out, array.NewRecordBatch(schema, cols, r.NumRows()))
		seq.Release()
	}
	return out, nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 120 {
		q = q[:120] + "..."
	}
	return q
}
