package flightsql_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestAlterTable evolves a table through SQL and reads it at every step,
// natively and through DuckDB, at the latest version and by time travel.
func TestAlterTable(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, n INT, PRIMARY KEY (id)) WITH (hash_bucket_num = 2)")
	exec(t, c, "INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20)") // version 1

	exec(t, c, "ALTER TABLE t ADD COLUMN c BIGINT")                                 // 2
	exec(t, c, "INSERT INTO t (id, v, n, c) VALUES (3, 'c', 30, 300)")              // 3
	exec(t, c, "ALTER TABLE t ADD COLUMN d VARCHAR NOT NULL DEFAULT 'none'")        // 4
	exec(t, c, "INSERT INTO t (id, v, n, c, d) VALUES (2, 'b2', 21, 200, 'given')") // 5
	wantRows(t, query(t, c, "SELECT * FROM t ORDER BY id"),
		[]any{int64(1), "a", int64(10), nil, "none"},
		[]any{int64(2), "b2", int64(21), int64(200), "given"},
		[]any{int64(3), "c", int64(30), int64(300), "none"})

	// Rename, widen and drop in one statement: one version.
	exec(t, c, "ALTER TABLE t RENAME COLUMN v TO name, ALTER COLUMN n TYPE BIGINT, DROP COLUMN c") // 6
	wantRows(t, query(t, c, "SELECT id, name, n, d FROM t WHERE n > 15 ORDER BY id"),
		[]any{int64(2), "b2", int64(21), "given"},
		[]any{int64(3), "c", int64(30), "none"})
	wantRows(t, query(t, c, "SELECT name, CAST(sum(n) AS BIGINT) FROM t GROUP BY name ORDER BY name"), // DuckDB
		[]any{"a", int64(10)}, []any{"b2", int64(21)}, []any{"c", int64(30)})
	// A dropped name re-added is a new column: the old values stay hidden.
	exec(t, c, "ALTER TABLE t ADD COLUMN c VARCHAR") // 7
	wantRows(t, query(t, c, "SELECT id, c FROM t ORDER BY id"),
		[]any{int64(1), nil}, []any{int64(2), nil}, []any{int64(3), nil})
	exec(t, c, "INSERT INTO t (id, name, n, d, c) VALUES (4, 'd', 40, 'x', 'new')") // 8
	wantRows(t, query(t, c, "SELECT id, c FROM t WHERE c IS NOT NULL"), []any{int64(4), "new"})

	// Each version reads with its own schema.
	wantRows(t, query(t, c, "SELECT * FROM t FOR VERSION AS OF 1 ORDER BY id"),
		[]any{int64(1), "a", int64(10)}, []any{int64(2), "b", int64(20)})
	wantRows(t, query(t, c, "SELECT * FROM t FOR VERSION AS OF 5 ORDER BY id"),
		[]any{int64(1), "a", int64(10), nil, "none"},
		[]any{int64(2), "b2", int64(21), int64(200), "given"},
		[]any{int64(3), "c", int64(30), int64(300), "none"})
	wantRows(t, query(t, c, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position"),
		[]any{"id", "BIGINT"}, []any{"name", "VARCHAR"}, []any{"n", "BIGINT"}, []any{"d", "VARCHAR"}, []any{"c", "VARCHAR"})
	wantRows(t, query(t, c, `SELECT version, operation FROM "t$history" WHERE operation = 'schema_change' ORDER BY version`),
		[]any{int64(2), "schema_change"}, []any{int64(4), "schema_change"}, []any{int64(6), "schema_change"}, []any{int64(7), "schema_change"})

	// Bad changes are refused and commit nothing.
	for _, tc := range []struct {
		sql      string
		code     codes.Code
		contains string
	}{
		{"ALTER TABLE t DROP COLUMN id", codes.InvalidArgument, "primary key"},
		{"ALTER TABLE t RENAME COLUMN id TO key", codes.InvalidArgument, "primary key"},
		{"ALTER TABLE t ALTER COLUMN id TYPE INT", codes.InvalidArgument, "id"},
		{"ALTER TABLE t ALTER COLUMN n TYPE INT", codes.InvalidArgument, "widening"},
		{"ALTER TABLE t ALTER COLUMN name TYPE BIGINT", codes.InvalidArgument, "name"},
		{"ALTER TABLE t DROP COLUMN nope", codes.NotFound, "nope"},
		{"ALTER TABLE t ADD COLUMN x INT NOT NULL", codes.InvalidArgument, "default"},
		{"ALTER TABLE t ADD COLUMN x INT DEFAULT 'abc'", codes.InvalidArgument, "abc"},
		{"ALTER TABLE t ADD COLUMN name VARCHAR", codes.InvalidArgument, "name"},
		{"ALTER TABLE t ADD COLUMN x INT, DROP COLUMN nope", codes.NotFound, "nope"},
		{"ALTER TABLE nope ADD COLUMN x INT", codes.NotFound, "nope"},
		{"ALTER TABLE t UNSET TBLPROPERTIES ('nope')", codes.InvalidArgument, "nope"},
		{"ALTER TABLE t SET TBLPROPERTIES ('compaction.trigger_runs' = '-1')", codes.InvalidArgument, "compaction.trigger_runs"},
	} {
		_, err := c.ExecuteUpdate(ctx, tc.sql)
		wantCode(t, err, tc.code, tc.contains)
	}
	wantRows(t, query(t, c, `SELECT max(version) FROM "t$history"`), []any{int64(8)})
	wantRows(t, query(t, c, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't'"), []any{int64(5)})

	// IF [NOT] EXISTS make no-ops of what is already so.
	exec(t, c, "ALTER TABLE t ADD COLUMN IF NOT EXISTS c VARCHAR, DROP COLUMN IF EXISTS gone")
	exec(t, c, "ALTER TABLE IF EXISTS nope ADD COLUMN x INT")
	wantRows(t, query(t, c, `SELECT max(version) FROM "t$history"`), []any{int64(8)})

	// A statement prepared before a schema change is planned again.
	p, err := c.Prepare(ctx, "SELECT * FROM t WHERE id = 4")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	exec(t, c, "ALTER TABLE t ADD COLUMN e INT DEFAULT 7")
	info, err := p.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sch, rows := readAll(t, c, info)
	if sch.NumFields() != 6 || sch.Field(5).Name != "e" {
		t.Fatalf("prepared query after ADD COLUMN: schema %v", sch)
	}
	wantRows(t, rows, []any{int64(4), "d", int64(40), "x", "new", int64(7)})

	// Properties and the table's name.
	exec(t, c, "ALTER TABLE t SET TBLPROPERTIES ('compaction.trigger_runs' = '3', 'owner' = 'me')")
	exec(t, c, "ALTER TABLE t UNSET TBLPROPERTIES ('owner')")
	exec(t, c, "ALTER TABLE t RENAME TO u")
	wantRows(t, query(t, c, "SELECT count(*) FROM u"), []any{int64(4)})
	_, err = c.Execute(ctx, "SELECT * FROM t")
	wantCode(t, err, codes.NotFound, "t")
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, PRIMARY KEY (id))")
	_, err = c.ExecuteUpdate(ctx, "ALTER TABLE u RENAME TO t")
	wantCode(t, err, codes.AlreadyExists, "t")
}
