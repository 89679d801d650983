package flightsql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/marcboeker/go-duckdb"
)

// duckEngine runs the queries the native scan path does not (joins,
// aggregates, ORDER BY, functions) in an embedded, in-memory DuckDB that
// reads lakesoul tables through Arrow views over merge-on-read streams.
// It holds no data of its own.
type duckEngine struct {
	db  *sql.DB
	seq atomic.Int64
}

func newDuckEngine() (*duckEngine, error) {
	conn, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.Background(),
			fmt.Sprintf("SET threads TO %d; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET enable_external_access = false;", runtime.GOMAXPROCS(0)), nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("starting DuckDB: %w", err)
	}
	return &duckEngine{db: sql.OpenDB(conn)}, nil
}

func (d *duckEngine) Close() error { return d.db.Close() }

// duckView is a record stream DuckDB reads as a view.
type duckView struct {
	name string
	open func() (array.RecordReader, error)
	sch  *arrow.Schema
}

// viewName returns a fresh view name for one query.
func (d *duckEngine) viewName(i int) string {
	return fmt.Sprintf("__lakesoul_%d_%d", d.seq.Add(1), i)
}

// query runs a statement with views registered and returns its result,
// fully computed (DuckDB's Arrow interface materialises results).
func (d *duckEngine) query(ctx context.Context, q string, views []duckView, args []any) (array.RecordReader, error) {
	var out array.RecordReader
	err := d.withTables(ctx, views, func(_ driver.Conn, ar *duckdb.Arrow) error {
		rr, err := ar.QueryContext(ctx, q, args...)
		if err != nil {
			return invalidf("%s", cleanDuckError(err))
		}
		out = rr
		return nil
	})
	return out, err
}

// paramTypes prepares a statement and returns the types DuckDB infers for
// its parameters (nil where it cannot tell).
func (d *duckEngine) paramTypes(ctx context.Context, q string, views []duckView, n int) ([]arrow.DataType, error) {
	out := make([]arrow.DataType, n)
	err := d.withTables(ctx, views, func(dc driver.Conn, _ *duckdb.Arrow) error {
		st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, q)
		if err != nil {
			return invalidf("%s", cleanDuckError(err))
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return nil
		}
		for i := range out {
			if t, err := ds.ParamType(i + 1); err == nil {
				out[i] = duckToArrow(t)
			}
		}
		return nil
	})
	return out, err
}

// duckToArrow maps the DuckDB types parameters commonly take.
func duckToArrow(t duckdb.Type) arrow.DataType {
	switch t {
	case duckdb.TYPE_BOOLEAN:
		return arrow.FixedWidthTypes.Boolean
	case duckdb.TYPE_TINYINT:
		return arrow.PrimitiveTypes.Int8
	case duckdb.TYPE_SMALLINT:
		return arrow.PrimitiveTypes.Int16
	case duckdb.TYPE_INTEGER:
		return arrow.PrimitiveTypes.Int32
	case duckdb.TYPE_BIGINT, duckdb.TYPE_HUGEINT:
		return arrow.PrimitiveTypes.Int64
	case duckdb.TYPE_FLOAT:
		return arrow.PrimitiveTypes.Float32
	case duckdb.TYPE_DOUBLE, duckdb.TYPE_DECIMAL:
		return arrow.PrimitiveTypes.Float64
	case duckdb.TYPE_VARCHAR:
		return arrow.BinaryTypes.String
	case duckdb.TYPE_BLOB:
		return arrow.BinaryTypes.Binary
	case duckdb.TYPE_DATE:
		return arrow.FixedWidthTypes.Date32
	case duckdb.TYPE_TIMESTAMP:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case duckdb.TYPE_TIMESTAMP_TZ:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return nil
}

// withTables loads each view into a temporary table of a pooled DuckDB
// connection, runs fn, and drops the tables.
func (d *duckEngine) withTables(ctx context.Context, views []duckView, fn func(driver.Conn, *duckdb.Arrow) error) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(raw any) error {
		dc := raw.(driver.Conn)
		ar, err := duckdb.NewArrowFromConn(dc)
		if err != nil {
			return err
		}
		execer := dc.(driver.ExecerContext)
		run := func(stmt string) error {
			_, err := execer.ExecContext(ctx, stmt, nil)
			return err
		}
		var readers []*onceReader
		defer func() {
			for _, v := range views {
				_, _ = execer.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+quoteIdent(v.name), nil)
			}
			for _, r := range readers {
				r.close()
			}
		}()
		// DuckDB's C API Arrow scan asks its producer for projected and
		// filtered streams but cannot tell it which, so a stream read
		// through it directly yields misaligned columns. Each stream is
		// therefore copied whole (SELECT *: no projection, no filter)
		// into a temporary table the query then reads.
		for _, v := range views {
			r := &onceReader{schema: v.sch, open: v.open}
			r.refs.Store(1)
			readers = append(readers, r)
			raw := v.name + "_arrow"
			release, err := ar.RegisterView(r, raw)
			if err != nil {
				return fmt.Errorf("registering %s with DuckDB: %w", v.name, err)
			}
			err = run("CREATE TEMP TABLE " + quoteIdent(v.name) + " AS SELECT * FROM " + quoteIdent(raw))
			_ = run("DROP VIEW IF EXISTS " + quoteIdent(raw))
			release()
			if r.err != nil {
				return r.err
			}
			if err != nil {
				return fmt.Errorf("loading %s into DuckDB: %w", v.name, err)
			}
		}
		return fn(dc, ar)
	})
}

// cleanDuckError strips DuckDB's C API prefix from an error message.
func cleanDuckError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "duckdb_execute_prepared_arrow: ")
	return msg
}

// quoteIdent double-quotes an identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// onceReader opens its stream on first use and can be closed by its owner
// whether or not DuckDB released it, so no scan outlives a query.
type onceReader struct {
	schema *arrow.Schema
	open   func() (array.RecordReader, error)
	refs   atomic.Int64

	mu     sync.Mutex
	in     array.RecordReader
	err    error
	done   bool
	closed bool
}

func (r *onceReader) Schema() *arrow.Schema { return r.schema }

func (r *onceReader) Next() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.closed {
		return false
	}
	if r.in == nil {
		in, err := r.open()
		if err != nil {
			r.err, r.done = err, true
			return false
		}
		r.in = in
	}
	if !r.in.Next() {
		r.err = r.in.Err()
		r.done = true
		return false
	}
	return true
}

func (r *onceReader) RecordBatch() arrow.RecordBatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.in == nil || r.closed {
		return nil
	}
	return r.in.RecordBatch()
}

func (r *onceReader) Record() arrow.RecordBatch { return r.RecordBatch() }

func (r *onceReader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *onceReader) Retain() { r.refs.Add(1) }

// Release is DuckDB's; the stream itself is closed by close.
func (r *onceReader) Release() { r.refs.Add(-1) }

func (r *onceReader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if r.in != nil {
		r.in.Release()
	}
}
