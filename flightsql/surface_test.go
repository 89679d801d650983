package flightsql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"

	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
)

// TestShowAndDescribe checks that the statements a SQL tool user types
// first answer from the catalog.
func TestShowAndDescribe(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE SCHEMA sales")
	exec(t, c, `CREATE TABLE sales.orders (id BIGINT NOT NULL, region VARCHAR NOT NULL, amount DECIMAL(10,2), note VARCHAR,
		PRIMARY KEY (id)) PARTITIONED BY (region) WITH (hash_bucket_num = 2, 'merge_op.amount' = 'sum')`)
	exec(t, c, "CREATE TABLE sales.log (at TIMESTAMP, msg VARCHAR)")
	exec(t, c, "CREATE VIEW sales.big AS SELECT id, amount FROM orders WHERE amount > 10")

	wantRows(t, query(t, c, "SHOW SCHEMAS"), []any{"default"}, []any{"sales"})
	wantRows(t, query(t, c, "SHOW DATABASES LIKE 'sa%'"), []any{"sales"})
	wantRows(t, query(t, c, "SHOW TABLES IN sales"),
		[]any{"big", "VIEW"}, []any{"log", "TABLE"}, []any{"orders", "TABLE"})
	wantRows(t, query(t, c, "SHOW TABLES"))
	wantRows(t, query(t, c, "SHOW TABLES FROM lakesoul.sales LIKE 'o%'"), []any{"orders", "TABLE"})

	// The key is NOT NULL and marked, the partition column marked.
	wantRows(t, query(t, c, "DESCRIBE sales.orders"),
		[]any{"id", "BIGINT", "NO", "PRI", nil, nil},
		[]any{"region", "VARCHAR", "NO", nil, nil, "partition key"},
		[]any{"amount", "DECIMAL(10,2)", "YES", nil, nil, nil},
		[]any{"note", "VARCHAR", "YES", nil, nil, nil})
	wantRows(t, query(t, c, "SHOW COLUMNS FROM big IN sales"),
		[]any{"id", "BIGINT", "YES", nil, nil, nil}, // a view's columns are as nullable as DuckDB says
		[]any{"amount", "DECIMAL(10,2)", "YES", nil, nil, nil})

	// SHOW CREATE TABLE gives DDL that makes an equal table.
	rows := query(t, c, "SHOW CREATE TABLE sales.orders")
	if len(rows) != 1 {
		t.Fatalf("SHOW CREATE TABLE: %v", rows)
	}
	ddl := rows[0][1].(string)
	exec(t, c, "CREATE SCHEMA copy")
	exec(t, c, strings.Replace(ddl, `"sales"."orders"`, `"copy"."orders"`, 1))
	if got, want := query(t, c, "DESCRIBE copy.orders"), query(t, c, "DESCRIBE sales.orders"); !equalRows(got, want) {
		t.Fatalf("the copy made from\n%s\ndescribes as %v, want %v", ddl, got, want)
	}
	wantRows(t, query(t, c, "SHOW CREATE TABLE copy.orders"), []any{"copy.orders", strings.Replace(ddl, `"sales"."orders"`, `"copy"."orders"`, 1)})
	view := query(t, c, "SHOW CREATE VIEW sales.big")
	if len(view) != 1 || !strings.Contains(view[0][1].(string), "SELECT id, amount FROM orders WHERE amount > 10") {
		t.Fatalf("SHOW CREATE VIEW: %v", view)
	}

	// information_schema answers from the catalog and joins in DuckDB.
	wantRows(t, query(t, c, `SELECT t.table_name, t.table_type, count(c.column_name)
		FROM information_schema.tables t JOIN information_schema.columns c
		ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE t.table_schema = 'sales' GROUP BY 1, 2 ORDER BY 1`),
		[]any{"big", "VIEW", int64(2)}, []any{"log", "BASE TABLE", int64(2)}, []any{"orders", "BASE TABLE", int64(4)})
	wantRows(t, query(t, c, `SELECT column_name, ordinal_position FROM information_schema.key_column_usage WHERE table_name = 'orders' AND table_schema = 'sales'`),
		[]any{"id", int64(1)})
	wantRows(t, query(t, c, `SELECT schema_name FROM information_schema.schemata ORDER BY 1`),
		[]any{"copy"}, []any{"default"}, []any{"information_schema"}, []any{"sales"})
	wantRows(t, query(t, c, `SELECT is_nullable, is_primary_key, is_partition_key FROM information_schema.columns WHERE table_schema = 'sales' AND table_name = 'orders' ORDER BY ordinal_position`),
		[]any{"NO", "YES", "NO"}, []any{"NO", "NO", "YES"}, []any{"YES", "NO", "NO"}, []any{"YES", "NO", "NO"})

	// Server functions.
	v := query(t, c, "SELECT version(), current_schema(), current_catalog()")
	if len(v) != 1 || !strings.HasPrefix(v[0][0].(string), "lakesoul-flight") || v[0][1] != "default" || v[0][2] != "lakesoul" {
		t.Fatalf("server functions: %v", v)
	}
	setSchema(t, c, "sales")
	wantRows(t, query(t, c, "SELECT current_schema()"), []any{"sales"})
	wantRows(t, query(t, c, "SHOW TABLES LIKE 'l%'"), []any{"log", "TABLE"})

	// Bad input: clear codes, nothing changed.
	for _, tc := range []struct {
		sql      string
		code     codes.Code
		contains string
	}{
		{"SHOW TABLES IN nowhere", codes.NotFound, "nowhere"},
		{"DESCRIBE sales.nothing", codes.NotFound, "nothing"},
		{"SHOW CREATE VIEW sales.orders", codes.InvalidArgument, "not a view"},
		{"SELECT * FROM information_schema.nope", codes.NotFound, "information_schema"},
		{"EXPLAIN ANALYZE SELECT * FROM sales.orders", codes.InvalidArgument, "not supported"},
	} {
		_, err := c.Execute(ctx, tc.sql)
		wantCode(t, err, tc.code, tc.contains)
	}
}

func equalRows(a, b [][]any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// TestViews checks stored views: expansion, listing, errors.
func TestViews(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v DOUBLE, PRIMARY KEY (id))")
	exec(t, c, "INSERT INTO t VALUES (1, 5), (2, 15), (3, 25)")
	exec(t, c, "CREATE VIEW big (k, amount) AS SELECT id, v FROM t WHERE v > 10")
	exec(t, c, "CREATE VIEW bigger AS SELECT k FROM big WHERE amount > 20")
	wantRows(t, query(t, c, "SELECT k, amount FROM big ORDER BY k"), []any{int64(2), 15.0}, []any{int64(3), 25.0})
	wantRows(t, query(t, c, "SELECT * FROM bigger"), []any{int64(3)})
	// A view reads the latest version.
	exec(t, c, "INSERT INTO t VALUES (4, 30)")
	wantRows(t, query(t, c, "SELECT count(*) FROM bigger"), []any{int64(2)})

	// GetTables lists it as a VIEW with its result columns.
	tables, err := c.GetTables(ctx, &flightsql.GetTablesOpts{IncludeSchema: true, TableTypes: []string{"VIEW"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.DoGet(ctx, tables.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			names = append(names, rec.Column(2).(*array.String).Value(i)+":"+rec.Column(3).(*array.String).Value(i))
			sch, err := flight.DeserializeSchema(rec.Column(4).(*array.Binary).Value(i), memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Column(2).(*array.String).Value(i) == "big" && (sch.NumFields() != 2 || sch.Field(0).Name != "k") {
				t.Fatalf("view schema %s", sch)
			}
		}
	}
	r.Release()
	if strings.Join(names, ",") != "big:VIEW,bigger:VIEW" {
		t.Fatalf("views listed: %v", names)
	}

	for _, tc := range []struct {
		sql      string
		code     codes.Code
		contains string
	}{
		{"CREATE VIEW t AS SELECT 1", codes.AlreadyExists, "table"},
		{"CREATE TABLE big (x INT)", codes.AlreadyExists, "view"},
		{"CREATE VIEW big AS SELECT 1", codes.AlreadyExists, "exists"},
		{"CREATE VIEW bad AS SELECT nope FROM t", codes.InvalidArgument, "nope"},
		{"CREATE VIEW bad (a, b) AS SELECT id FROM t", codes.InvalidArgument, "columns"},
		{"CREATE VIEW bad AS SELECT * FROM missing", codes.NotFound, "missing"},
		{"DROP VIEW nothing", codes.NotFound, "nothing"},
		{"SELECT * FROM big FOR VERSION AS OF 1", codes.InvalidArgument, "view"},
		{"INSERT INTO big VALUES (1, 2)", codes.NotFound, "big"},
	} {
		_, err := c.ExecuteUpdate(ctx, tc.sql)
		if strings.HasPrefix(tc.sql, "SELECT") {
			_, err = c.Execute(ctx, tc.sql)
		}
		wantCode(t, err, tc.code, tc.contains)
	}
	wantRows(t, query(t, c, "SHOW TABLES"), []any{"big", "VIEW"}, []any{"bigger", "VIEW"}, []any{"t", "TABLE"})

	exec(t, c, "CREATE OR REPLACE VIEW big AS SELECT id AS k, v AS amount FROM t WHERE v > 20")
	wantRows(t, query(t, c, "SELECT count(*) FROM bigger"), []any{int64(2)})
	exec(t, c, "DROP VIEW bigger")
	exec(t, c, "DROP VIEW IF EXISTS bigger")
	wantRows(t, query(t, c, "SHOW TABLES"), []any{"big", "VIEW"}, []any{"t", "TABLE"})
	exec(t, c, "CREATE SCHEMA v2")
	exec(t, c, "CREATE VIEW v2.w AS SELECT 1 AS one")
	exec(t, c, "DROP SCHEMA v2 CASCADE")
}

// TestTruncateAndExplain checks TRUNCATE (one commit) and EXPLAIN's rows.
func TestTruncateAndExplain(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 4)")
	exec(t, c, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	exec(t, c, "INSERT INTO t VALUES (2, 'B')")

	plan := query(t, c, "EXPLAIN SELECT v FROM t WHERE id = 2")
	var lines []string
	for _, r := range plan {
		lines = append(lines, r[0].(string))
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"native scan of default.t at version 2", "filter below the merge: id = 2", "buckets: 1 of 3", "row groups: 2 of 2", "endpoints: 1"} {
		if !strings.Contains(text, want) {
			t.Fatalf("EXPLAIN lacks %q:\n%s", want, text)
		}
	}
	plan = query(t, c, "EXPLAIN SELECT count(*) FROM t WHERE v <> 'x'")
	if !strings.HasPrefix(plan[0][0].(string), "duckdb query") {
		t.Fatalf("EXPLAIN of an aggregate: %v", plan)
	}

	exec(t, c, "TRUNCATE TABLE t")
	wantRows(t, query(t, c, "SELECT count(*) FROM t"), []any{int64(0)})
	wantRows(t, query(t, c, `SELECT version, operation FROM "t$history" ORDER BY version DESC LIMIT 1`), []any{int64(3), "overwrite"})
	wantRows(t, query(t, c, "SELECT count(*) FROM t FOR VERSION AS OF 2"), []any{int64(3)})
	_, err := c.ExecuteUpdate(context.Background(), "TRUNCATE nothing")
	wantCode(t, err, codes.NotFound, "nothing")
}

// TestNullParameterTypes: parameter types come from the bound Arrow types,
// so a NULL in one row does not change the result schema.
func TestNullParameterTypes(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	p, err := c.Prepare(ctx, "SELECT ?, ?")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 0, 3}, []bool{true, false, true})
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"x", "y", ""}, []bool{true, true, false})
	rec := b.NewRecordBatch()
	b.Release()
	p.SetParameters(rec)
	rec.Release()
	info, err := p.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, rows := readAll(t, c, info)
	if !arrow.TypeEqual(got.Field(0).Type, arrow.PrimitiveTypes.Int64) || !arrow.TypeEqual(got.Field(1).Type, arrow.BinaryTypes.String) {
		t.Fatalf("result schema %s", got)
	}
	wantRows(t, rows, []any{int64(1), "x"}, []any{nil, "y"}, []any{int64(3), nil})

	// Too few parameters bound is an error.
	p2, err := c.Prepare(ctx, "SELECT ?, ?, ?")
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close(ctx)
	b = array.NewRecordBuilder(memory.DefaultAllocator, sch)
	b.Field(0).(*array.Int64Builder).Append(1)
	b.Field(1).(*array.StringBuilder).Append("x")
	rec = b.NewRecordBatch()
	b.Release()
	p2.SetParameters(rec)
	rec.Release()
	_, err = p2.Execute(ctx)
	wantCode(t, err, codes.InvalidArgument, "parameters")
}

// TestTicketsCarryTheirPlan: a scan ticket holds the table definition and
// files of its pinned version, so it is served without planning again —
// even after the table was dropped.
func TestTicketsCarryTheirPlan(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 4)")
	exec(t, c, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')")
	info, err := c.Execute(context.Background(), "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, c, "INSERT INTO t VALUES (5, 'e')")
	exec(t, c, "DROP TABLE t")
	_, rows := readAll(t, c, info)
	wantRows(t, sortRows(rows), []any{int64(1), "a"}, []any{int64(2), "b"}, []any{int64(3), "c"}, []any{int64(4), "d"})
}

// TestTicketsWithoutFiles: an endpoint with more files than a ticket lists
// is planned again from its pinned snapshot and reads the same rows.
func TestTicketsWithoutFiles(t *testing.T) {
	s := startServer(t, serverOpts{cfg: func(c *lsflight.Config) { c.TicketMaxFiles = 1 }})
	c := s.client(t)
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 2)")
	exec(t, c, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')")
	exec(t, c, "INSERT INTO t VALUES (2, 'B'), (5, 'e')")
	info, err := c.Execute(context.Background(), "SELECT * FROM t WHERE id >= 2")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, c, "INSERT INTO t VALUES (3, 'C')")
	_, rows := readAll(t, c, info)
	wantRows(t, sortRows(rows), []any{int64(2), "B"}, []any{int64(3), "c"}, []any{int64(4), "d"}, []any{int64(5), "e"})
}
