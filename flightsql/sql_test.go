package flightsql_test

import (
	"context"

	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func wantRows(t *testing.T, got [][]any, want ...[]any) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %v\nwant %v", got, want)
	}
}

func sortRows(rows [][]any) [][]any {
	sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
	return rows
}

func wantCode(t *testing.T, err error, code codes.Code, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error, got none", code)
	}
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("want code %s, got %s: %v", code, st.Code(), err)
	}
	if !strings.Contains(strings.ToLower(st.Message()), strings.ToLower(contains)) {
		t.Fatalf("want message containing %q, got %q", contains, st.Message())
	}
}

// TestSQL walks the statements the README documents, through the Flight SQL
// client: DDL, upserts, partial upserts, native scans, DuckDB queries,
// UPDATE, DELETE, time travel and history.
func TestSQL(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()

	exec(t, c, "CREATE SCHEMA IF NOT EXISTS ns")
	exec(t, c, "CREATE SCHEMA IF NOT EXISTS ns")
	exec(t, c, `CREATE TABLE ns.t (
		id BIGINT NOT NULL, name VARCHAR, score DOUBLE, dt VARCHAR,
		PRIMARY KEY (id)
	) PARTITIONED BY (dt) WITH (hash_bucket_num = 4)`)
	if n := exec(t, c, "INSERT INTO ns.t VALUES (1, 'a', 1.5, '2026-01-01'), (2, 'b', 2.5, '2026-01-01'), (3, 'c', 3.5, '2026-01-02')"); n != 3 {
		t.Fatalf("inserted %d rows, want 3", n)
	}
	v1 := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	// Partial upsert keeps name.
	exec(t, c, "INSERT INTO ns.t (id, score, dt) VALUES (1, 9.5, '2026-01-01')")

	wantRows(t, query(t, c, "SELECT id, name, score FROM ns.t WHERE id = 1"), []any{int64(1), "a", 9.5})
	wantRows(t, sortRows(query(t, c, "SELECT * FROM ns.t")),
		[]any{int64(1), "a", 9.5, "2026-01-01"}, []any{int64(2), "b", 2.5, "2026-01-01"}, []any{int64(3), "c", 3.5, "2026-01-02"})
	// A non-key predicate sees only the newest value of a row.
	wantRows(t, query(t, c, "SELECT id FROM ns.t WHERE score < 2"))
	wantRows(t, query(t, c, "SELECT count(*) FROM ns.t WHERE score < 2 AND id >= 1"), []any{int64(0)})
	// DuckDB: aggregates, ORDER BY, functions.
	wantRows(t, query(t, c, "SELECT dt, count(*) AS n, sum(score) AS s FROM ns.t GROUP BY dt ORDER BY dt"),
		[]any{"2026-01-01", int64(2), 12.0}, []any{"2026-01-02", int64(1), 3.5})
	wantRows(t, query(t, c, "SELECT upper(name) FROM ns.t WHERE id IN (SELECT id FROM ns.t WHERE score > 3) ORDER BY 1"),
		[]any{"A"}, []any{"C"})

	// Table-qualified columns in joins, and DuckDB cannot read files.
	wantRows(t, query(t, c, "SELECT t.id, t.name FROM ns.t JOIN ns.t AS u ON t.id = u.id WHERE u.score > 3 ORDER BY t.id"),
		[]any{int64(1), "a"}, []any{int64(3), "c"})
	_, err := c.Execute(ctx, "SELECT * FROM read_csv('/etc/passwd')")
	wantCode(t, err, codes.InvalidArgument, "")

	// UPDATE with an expression, DELETE by predicate.
	if n := exec(t, c, "UPDATE ns.t SET score = score + 1 WHERE id = 2"); n != 1 {
		t.Fatalf("updated %d rows, want 1", n)
	}
	wantRows(t, query(t, c, "SELECT score FROM ns.t WHERE id = 2"), []any{3.5})
	if n := exec(t, c, "DELETE FROM ns.t WHERE dt = '2026-01-02'"); n != 1 {
		t.Fatalf("deleted %d rows, want 1", n)
	}
	wantRows(t, sortRows(query(t, c, "SELECT id FROM ns.t")), []any{int64(1)}, []any{int64(2)})

	// Time travel: version 1 is the first insert.
	wantRows(t, sortRows(query(t, c, "SELECT id, score FROM ns.t FOR VERSION AS OF 1")),
		[]any{int64(1), 1.5}, []any{int64(2), 2.5}, []any{int64(3), 3.5})
	wantRows(t, sortRows(query(t, c, fmt.Sprintf("SELECT id, score FROM ns.t FOR TIMESTAMP AS OF '%s' WHERE id < 3", v1.Format("2006-01-02 15:04:05.999999")))),
		[]any{int64(1), 1.5}, []any{int64(2), 2.5})
	// And through DuckDB, joining two versions.
	wantRows(t, query(t, c, "SELECT a.id, a.score - b.score FROM ns.t a JOIN ns.t FOR VERSION AS OF 1 b ON a.id = b.id WHERE a.id = 1"),
		[]any{int64(1), 8.0})

	// History: newest first.
	hist := query(t, c, `SELECT version, operation FROM ns."t$history"`)
	wantRows(t, hist, []any{int64(4), "delete"}, []any{int64(3), "update"}, []any{int64(2), "upsert"}, []any{int64(1), "upsert"}, []any{int64(0), "create"})

	// Session schema: unqualified names.
	setSchema(t, c, "ns")
	wantRows(t, query(t, c, "SELECT count(*) FROM t"), []any{int64(2)})

	// CREATE TABLE AS SELECT.
	if n := exec(t, c, "CREATE TABLE ns.top WITH (primary_key = 'id', hash_bucket_num = 2) AS SELECT id, score * 2 AS s FROM t WHERE id < 10"); n != 2 {
		t.Fatalf("CTAS wrote %d rows, want 2", n)
	}
	wantRows(t, sortRows(query(t, c, "SELECT * FROM ns.top")), []any{int64(1), 19.0}, []any{int64(2), 7.0})

	exec(t, c, "DROP TABLE ns.t")
	exec(t, c, "DROP TABLE IF EXISTS ns.t")
	_, err = c.Execute(ctx, "SELECT * FROM ns.t")
	wantCode(t, err, codes.NotFound, "not found")
}

// TestBadInput: every bad statement is a clear error and changes nothing.
func TestBadInput(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id))")
	exec(t, c, "INSERT INTO t VALUES (1, 'x')")

	cases := []struct {
		sql      string
		code     codes.Code
		contains string
	}{
		{"SELEC 1", codes.InvalidArgument, "line 1"},
		{"CREATE TABLE t (id BIGINT)", codes.AlreadyExists, "exists"},
		{"CREATE TABLE u (id VARCHA)", codes.InvalidArgument, "unknown type"},
		{"CREATE TABLE u (id BIGINT, PRIMARY KEY (nope))", codes.InvalidArgument, "nope"},
		{"CREATE TABLE u (id BIGINT NOT NULL, PRIMARY KEY (id)) WITH (hash_bucket_num = 0)", codes.InvalidArgument, "hash_bucket_num"},
		{`CREATE TABLE "a/b" (id BIGINT)`, codes.InvalidArgument, ""},
		{"INSERT INTO t VALUES (NULL, 'x')", codes.InvalidArgument, "null"},
		{"INSERT INTO t VALUES ('abc', 'x')", codes.InvalidArgument, "abc"},
		{"INSERT INTO t (v) VALUES ('x')", codes.InvalidArgument, "primary key"},
		{"INSERT INTO t (id, nope) VALUES (1, 2)", codes.InvalidArgument, "nope"},
		{"INSERT INTO missing VALUES (1)", codes.NotFound, "missing"},
		{"INSERT INTO nons.t VALUES (1, 'x')", codes.NotFound, ""},
		{"UPDATE t SET id = 2 WHERE id = 1", codes.InvalidArgument, "primary key"},
		{"DROP SCHEMA nope", codes.NotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			_, err := c.ExecuteUpdate(ctx, tc.sql)
			wantCode(t, err, tc.code, tc.contains)
		})
	}
	_, err := c.Execute(ctx, "SELECT nope FROM t")
	wantCode(t, err, codes.InvalidArgument, "nope")
	_, err = c.Execute(ctx, "SELECT * FROM t WHERE")
	wantCode(t, err, codes.InvalidArgument, "syntax error")
	// Nothing changed: one row, one commit after creation.
	wantRows(t, query(t, c, "SELECT * FROM t"), []any{int64(1), "x"})
	wantRows(t, query(t, c, `SELECT count(*) FROM "t$history"`), []any{int64(2)})
}
