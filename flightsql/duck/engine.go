package duck

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/marcboeker/go-duckdb"
)

// ErrInvalid wraps the errors DuckDB raises for a statement: bad SQL, an
// unknown column or function, a failed cast.
var ErrInvalid = errors.New("duckdb")

// Engine is an embedded DuckDB.
type Engine struct {
	db  *sql.DB
	seq atomic.Int64
}

// New starts an in-memory DuckDB using every core, with external access
// and extension loading switched off.
func New() (*Engine, error) {
	conn, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.Background(),
			fmt.Sprintf("SET threads TO %d; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET enable_external_access = false;", runtime.GOMAXPROCS(0)), nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("starting DuckDB: %w", err)
	}
	return &Engine{db: sql.OpenDB(conn)}, nil
}

// Close shuts DuckDB down.
func (e *Engine) Close() error { return e.db.Close() }

// Table is a record stream a query reads under Name.
type Table struct {
	Name   string
	Schema *arrow.Schema
	// Open starts the stream; it is called at most once, when the query
	// loads the table.
	Open func() (array.RecordReader, error)
}

// TableName returns a fresh table name, unique in this engine.
func (e *Engine) TableName(i int) string {
	return fmt.Sprintf("__lakesoul_%d_%d", e.seq.Add(1), i)
}

// Query runs a statement with tables loaded and returns its result, fully
// computed (DuckDB's Arrow interface materialises results).
func (e *Engine) Query(ctx context.Context, q string, tables []Table, args []any) (array.RecordReader, error) {
	var out array.RecordReader
	err := e.withTables(ctx, tables, func(_ driver.Conn, ar *duckdb.Arrow) error {
		rr, err := ar.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrInvalid, cleanError(err))
		}
		out = rr
		return nil
	})
	return out, err
}

// Schema returns the result schema of a statement without reading rows:
// a query is wrapped in LIMIT 0 and its tables are given no rows.
func (e *Engine) Schema(ctx context.Context, q string, tables []Table, args []any) (*arrow.Schema, error) {
	empty := make([]Table, len(tables))
	for i, t := range tables {
		sch := t.Schema
		empty[i] = Table{Name: t.Name, Schema: sch, Open: func() (array.RecordReader, error) { return array.NewRecordReader(sch, nil) }}
	}
	if IsSelectLike(q) {
		q = "SELECT * FROM (" + q + "\n) AS __lakesoul_q LIMIT 0"
	}
	rr, err := e.Query(ctx, q, empty, args)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	return rr.Schema(), nil
}

// ParamTypes prepares a statement and returns the types DuckDB infers for
// its n parameters (nil where it cannot tell). The tables are given no
// rows.
func (e *Engine) ParamTypes(ctx context.Context, q string, tables []Table, n int) ([]arrow.DataType, error) {
	empty := make([]Table, len(tables))
	for i, t := range tables {
		sch := t.Schema
		empty[i] = Table{Name: t.Name, Schema: sch, Open: func() (array.RecordReader, error) { return array.NewRecordReader(sch, nil) }}
	}
	out := make([]arrow.DataType, n)
	err := e.withTables(ctx, empty, func(dc driver.Conn, _ *duckdb.Arrow) error {
		st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrInvalid, cleanError(err))
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return nil
		}
		for i := range out {
			if t, err := ds.ParamType(i + 1); err == nil {
				out[i] = arrowType(t)
			}
		}
		return nil
	})
	return out, err
}

// IsSelectLike reports whether a statement can be wrapped as a subquery.
func IsSelectLike(sql string) bool {
	f := strings.Fields(strings.TrimLeft(sql, "( \t\r\n"))
	if len(f) == 0 {
		return false
	}
	switch strings.ToUpper(f[0]) {
	case "SELECT", "WITH", "VALUES", "FROM", "TABLE":
		return true
	}
	return false
}

// arrowType maps the DuckDB types parameters commonly take.
func arrowType(t duckdb.Type) arrow.DataType {
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

// withTables loads each table into a temporary table of a pooled DuckDB
// connection, runs fn, and drops the tables.
func (e *Engine) withTables(ctx context.Context, tables []Table, fn func(driver.Conn, *duckdb.Arrow) error) error {
	conn, err := e.db.Conn(ctx)
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
			for _, t := range tables {
				_, _ = execer.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+Quote(t.Name), nil)
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
		for _, t := range tables {
			r := &onceReader{schema: t.Schema, open: t.Open}
			r.refs.Store(1)
			readers = append(readers, r)
			raw := t.Name + "_arrow"
			release, err := ar.RegisterView(r, raw)
			if err != nil {
				return fmt.Errorf("registering %s with DuckDB: %w", t.Name, err)
			}
			err = run("CREATE TEMP TABLE " + Quote(t.Name) + " AS SELECT * FROM " + Quote(raw))
			_ = run("DROP VIEW IF EXISTS " + Quote(raw))
			release()
			if r.err != nil {
				return r.err
			}
			if err != nil {
				return fmt.Errorf("loading %s into DuckDB: %w", t.Name, err)
			}
		}
		return fn(dc, ar)
	})
}

// cleanError strips DuckDB's C API prefix from an error message.
func cleanError(err error) string {
	return strings.TrimPrefix(err.Error(), "duckdb_execute_prepared_arrow: ")
}

// Quote double-quotes an identifier.
func Quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
