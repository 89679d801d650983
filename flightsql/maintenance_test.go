package flightsql_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
)

// TestFilesAndPartitions checks t$files and t$partitions after upserts, a
// delete and a compaction, at the latest and at past versions.
func TestFilesAndPartitions(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE SCHEMA ns")
	exec(t, c, `CREATE TABLE ns.t (id BIGINT NOT NULL, v VARCHAR, dt VARCHAR, PRIMARY KEY (id))
		PARTITIONED BY (dt) WITH (hash_bucket_num = 1)`)
	exec(t, c, "INSERT INTO ns.t VALUES (1, 'a', '2026-01-01'), (2, 'b', '2026-01-01'), (3, 'c', '2026-01-02')")
	exec(t, c, "INSERT INTO ns.t VALUES (1, 'a2', '2026-01-01'), (3, 'c2', '2026-01-02')")
	exec(t, c, "INSERT INTO ns.t VALUES (2, 'b3', '2026-01-01'), (3, 'c3', '2026-01-02')")
	exec(t, c, "DELETE FROM ns.t WHERE id = 2") // a delete marker file

	// One row per live file, numbered in merge order within its bucket.
	const p1, p2 = "dt=2026-01-01", "dt=2026-01-02"
	wantRows(t, query(t, c, `SELECT partition, bucket, run, seq, rows, has_deletes FROM ns."t$files" ORDER BY partition, run`),
		[]any{p1, int64(0), int64(1), int64(1), int64(2), false},
		[]any{p1, int64(0), int64(2), int64(2), int64(1), false},
		[]any{p1, int64(0), int64(3), int64(3), int64(1), false},
		[]any{p1, int64(0), int64(4), int64(4), int64(1), true},
		[]any{p2, int64(0), int64(1), int64(1), int64(1), false},
		[]any{p2, int64(0), int64(2), int64(2), int64(1), false},
		[]any{p2, int64(0), int64(3), int64(3), int64(1), false})
	// Paths, sizes and schema ids agree with the history.
	wantRows(t, query(t, c, `SELECT count(*) FROM ns."t$files" f JOIN ns."t$history" h ON f.seq = h.version AND f.schema_id = h.schema_id
		WHERE f.path LIKE '%/' || f.partition || '/part-%.parquet' AND f.bytes > 0`), []any{int64(7)})
	wantRows(t, query(t, c, `SELECT (SELECT sum(bytes) FROM ns."t$files") = (SELECT sum(bytes_added) - sum(bytes_removed) FROM ns."t$history")`), []any{true})
	// One row per partition, and the same totals as t$files.
	wantRows(t, query(t, c, `SELECT partition, files, rows, buckets, max_runs, last_updated_version FROM ns."t$partitions" ORDER BY partition`),
		[]any{p1, int64(4), int64(5), int64(1), int64(4), int64(4)},
		[]any{p2, int64(3), int64(3), int64(1), int64(3), int64(3)})
	sameTotals := `SELECT count(*) FROM ns."t$partitions" p JOIN (
			SELECT partition, count(*) AS files, sum(rows) AS rows, sum(bytes) AS bytes, count(DISTINCT bucket) AS buckets,
				max(run) AS max_runs, max(seq) AS last FROM ns."t$files" GROUP BY partition) f
		ON p.partition = f.partition AND p.files = f.files AND p.rows = f.rows AND p.bytes = f.bytes
			AND p.buckets = f.buckets AND p.max_runs = f.max_runs AND p.last_updated_version = f.last`
	wantRows(t, query(t, c, sameTotals), []any{int64(2)})

	// Time travel lists the files of the version named.
	wantRows(t, query(t, c, `SELECT partition, run, seq, rows FROM ns."t$files" FOR VERSION AS OF 1 ORDER BY partition`),
		[]any{p1, int64(1), int64(1), int64(2)}, []any{p2, int64(1), int64(1), int64(1)})
	wantRows(t, query(t, c, `SELECT partition, files, max_runs FROM ns."t$partitions" FOR VERSION AS OF 2 ORDER BY 1`),
		[]any{p1, int64(2), int64(2)}, []any{p2, int64(2), int64(2)})
	wantRows(t, query(t, c, `SELECT count(*) FROM ns."t$files" FOR VERSION AS OF 0`), []any{int64(0)})

	// EXPLAIN shows the listing and its version.
	text := explainText(t, c, `EXPLAIN SELECT * FROM ns."t$files" FOR VERSION AS OF 1`)
	for _, want := range []string{"read __lakesoul_r0: ns.t$files at version 1", "files: 2"} {
		if !strings.Contains(text, want) {
			t.Fatalf("EXPLAIN lacks %q:\n%s", want, text)
		}
	}

	// CALL sys.compact answers its row; reading the ticket again does not
	// compact again.
	bytesBefore := query(t, c, `SELECT CAST(sum(bytes) AS BIGINT) FROM ns."t$files"`)[0][0].(int64)
	info, err := c.Execute(ctx, "CALL sys.compact('ns.t')")
	if err != nil {
		t.Fatal(err)
	}
	sch, rows := readAll(t, c, info)
	if got := schemaNames(sch); got != "files_rewritten bytes_read bytes_written version" {
		t.Fatalf("result columns %s", got)
	}
	if len(rows) != 1 || rows[0][0] != int64(7) || rows[0][1] != bytesBefore || rows[0][2].(int64) <= 0 || rows[0][3] != int64(5) {
		t.Fatalf("compaction row %v (files held %v bytes)", rows, bytesBefore)
	}
	_, again := readAll(t, c, info)
	wantRows(t, again, rows...)
	wantRows(t, query(t, c, `SELECT version, operation, files_removed FROM ns."t$history" ORDER BY version DESC LIMIT 2`),
		[]any{int64(5), "compaction", int64(7)}, []any{int64(4), "delete", int64(0)})

	// Files and runs drop; the rows stay.
	wantRows(t, query(t, c, `SELECT partition, run, seq, rows, has_deletes FROM ns."t$files" ORDER BY partition`),
		[]any{p1, int64(1), int64(4), int64(1), false}, []any{p2, int64(1), int64(3), int64(1), false})
	wantRows(t, query(t, c, `SELECT partition, files, rows, buckets, max_runs, last_updated_version FROM ns."t$partitions" ORDER BY partition`),
		[]any{p1, int64(1), int64(1), int64(1), int64(1), int64(4)},
		[]any{p2, int64(1), int64(1), int64(1), int64(1), int64(3)})
	wantRows(t, query(t, c, sameTotals), []any{int64(2)})
	wantRows(t, query(t, c, "SELECT id, v, dt FROM ns.t ORDER BY id"), []any{int64(1), "a2", "2026-01-01"}, []any{int64(3), "c3", "2026-01-02"})
	wantRows(t, query(t, c, `SELECT count(*), max(run) FROM ns."t$files" FOR VERSION AS OF 4`), []any{int64(7), int64(4)})

	// Nothing left to compact: a row of zeros, no commit.
	wantRows(t, query(t, c, "CALL sys.compact('ns.t')"), []any{int64(0), int64(0), int64(0), nil})
	// Through ExecuteUpdate a call reports 1.
	if n := exec(t, c, "CALL lakesoul.sys.compact('ns.t')"); n != 1 {
		t.Fatalf("ExecuteUpdate(CALL) = %d, want 1", n)
	}
	wantRows(t, query(t, c, `SELECT max(version) FROM ns."t$history"`), []any{int64(5)})
	exec(t, c, "INSERT INTO ns.t VALUES (4, 'd', '2026-01-02')")
	setSchema(t, c, "ns")
	if n := exec(t, c, "CALL sys.compact('t')"); n != 1 {
		t.Fatalf("ExecuteUpdate(CALL) = %d, want 1", n)
	}
	wantRows(t, query(t, c, `SELECT version, operation FROM "t$history" ORDER BY version DESC LIMIT 1`), []any{int64(7), "compaction"})
	wantRows(t, query(t, c, `SELECT partition, files, rows FROM "t$partitions" ORDER BY 1`),
		[]any{p1, int64(1), int64(1)}, []any{p2, int64(1), int64(2)})

	// Metadata tables cannot be written.
	_, err = c.ExecuteUpdate(ctx, `INSERT INTO ns."t$files" (path) VALUES ('x')`)
	wantCode(t, err, codes.InvalidArgument, "metadata table")

	// An unpartitioned table without a key has one partition, NULL.
	exec(t, c, "CREATE TABLE ns.log (msg VARCHAR)")
	exec(t, c, "INSERT INTO ns.log VALUES ('a'), ('b')")
	exec(t, c, "INSERT INTO ns.log VALUES ('c')")
	wantRows(t, query(t, c, `SELECT partition, bucket, run, rows FROM ns."log$files" ORDER BY run`),
		[]any{nil, int64(0), int64(1), int64(2)}, []any{nil, int64(0), int64(2), int64(1)})
	wantRows(t, query(t, c, `SELECT partition, files, rows, buckets, max_runs, last_updated_version FROM ns."log$partitions"`),
		[]any{nil, int64(2), int64(3), int64(1), int64(2), int64(2)})
	_, err = c.Execute(ctx, `SELECT * FROM ns."nope$files"`)
	wantCode(t, err, codes.NotFound, "table ns.nope does not exist")
}

// TestCallErrors checks that a call with a bad argument fails with a clear
// code and a message naming the parameter, and changes nothing.
func TestCallErrors(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE SCHEMA ns")
	exec(t, c, "CREATE TABLE ns.t (id BIGINT NOT NULL, dt DATE NOT NULL, PRIMARY KEY (id)) PARTITIONED BY (dt) WITH (hash_bucket_num = 2)")
	exec(t, c, "INSERT INTO ns.t VALUES (1, DATE '2026-01-01'), (2, DATE '2026-01-02')")
	exec(t, c, "INSERT INTO ns.t VALUES (1, DATE '2026-01-01')")
	exec(t, c, "CREATE VIEW ns.v AS SELECT id FROM ns.t")
	history := query(t, c, `SELECT version, operation FROM ns."t$history" ORDER BY version`)
	files := query(t, c, `SELECT path FROM ns."t$files" ORDER BY path`)

	for _, tc := range []struct {
		sql      string
		code     codes.Code
		contains string
	}{
		{"CALL sys.compact('ns.nope')", codes.NotFound, "parameter table of sys.compact: catalog: not found: table ns.nope does not exist"},
		{"CALL sys.compact('nope.t')", codes.NotFound, "parameter table of sys.compact"},
		{"CALL sys.compact('ns.v')", codes.InvalidArgument, "ns.v is a view"},
		{`CALL sys.compact('ns."t$files"')`, codes.InvalidArgument, "is a metadata table"},
		{"CALL sys.compact('ns.t', 'region=eu')", codes.InvalidArgument, "parameter partition of sys.compact: 'region=eu' is not a partition of ns.t, which is partitioned by dt (write 'dt=...')"},
		{"CALL sys.compact('ns.t', 'dt=2026-13-01')", codes.InvalidArgument, "parameter partition of sys.compact: partition value '2026-13-01' does not fit column dt"},
		{"CALL sys.compact('ns.t', partition => 7)", codes.InvalidArgument, "parameter partition of sys.compact must be a partition"},
		{"CALL sys.compact('ns.t', part => 'dt=2026-01-01')", codes.InvalidArgument, `sys.compact has no parameter "part"`},
		{"CALL sys.compact()", codes.InvalidArgument, "sys.compact needs parameter table"},
		{"CALL sys.rollback_to_version('ns.t')", codes.InvalidArgument, "sys.rollback_to_version needs parameter version"},
		{"CALL sys.rollback_to_version('ns.t', '1')", codes.InvalidArgument, "parameter version of sys.rollback_to_version must be a version number (BIGINT), got the string '1'"},
		{"CALL sys.rollback_to_version('ns.t', -1)", codes.InvalidArgument, "parameter version of sys.rollback_to_version: must not be negative"},
		{"CALL sys.rollback_to_timestamp('ns.t', 'soon')", codes.InvalidArgument, "parameter timestamp of sys.rollback_to_timestamp: invalid timestamp 'soon'"},
		{"CALL sys.expire_versions('ns.t', retain_last => -2)", codes.InvalidArgument, "parameter retain_last of sys.expire_versions: must not be negative"},
		{"CALL sys.expire_versions('ns.t', older_than => 3)", codes.InvalidArgument, "parameter older_than of sys.expire_versions must be a timestamp"},
		{"CALL sys.expire_versions('ns.t', retain_last => 1, retain_last => 2)", codes.InvalidArgument, `argument "retain_last" is given twice`},
		{"CALL sys.remove_orphan_files(older_than => TIMESTAMP '2026-01-01')", codes.InvalidArgument, "sys.remove_orphan_files needs parameter table"},
		{"CALL sys.nope('ns.t')", codes.NotFound, "procedure sys.nope does not exist"},
		{"CALL ns.compact('ns.t')", codes.NotFound, "procedures are in schema sys"},
		// Bound correctly, but refused by the job: still nothing changes.
		{"CALL sys.rollback_to_version('ns.t', 99)", codes.NotFound, "version 99 does not exist"},
		{"CALL sys.rollback_to_timestamp('ns.t', TIMESTAMP '2000-01-01 00:00:00')", codes.NotFound, "no version at or before"},
		{"CALL sys.remove_orphan_files('ns.t', older_than => TIMESTAMP '2999-01-01 00:00:00')", codes.InvalidArgument, "commit in flight"},
		{"CALL sys.drop_expired_partitions('ns.t')", codes.InvalidArgument, "partition.ttl"},
	} {
		_, err := c.Execute(ctx, tc.sql)
		wantCode(t, err, tc.code, tc.contains)
		_, err = c.ExecuteUpdate(ctx, tc.sql)
		wantCode(t, err, tc.code, tc.contains)
	}
	// A statement with parameters must be prepared.
	_, err := c.Execute(ctx, "CALL sys.compact(?)")
	wantCode(t, err, codes.InvalidArgument, "prepare it")
	// Describing a call checks its arguments without running it.
	_, err = c.Prepare(ctx, "CALL sys.compact('ns.nope')")
	wantCode(t, err, codes.NotFound, "parameter table")

	wantRows(t, query(t, c, `SELECT version, operation FROM ns."t$history" ORDER BY version`), history...)
	wantRows(t, query(t, c, `SELECT path FROM ns."t$files" ORDER BY path`), files...)
}

// TestPreparedCall checks CALL as a prepared statement: described without
// running, parameters typed by the procedure, run once per execution.
func TestPreparedCall(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 2)")
	exec(t, c, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	exec(t, c, "INSERT INTO t VALUES (1, 'A'), (2, 'B'), (3, 'C')")

	p, err := c.Prepare(ctx, "CALL sys.rollback_to_version(?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	if ps := p.ParameterSchema(); ps.NumFields() != 2 || !arrow.TypeEqual(ps.Field(0).Type, arrow.BinaryTypes.String) || !arrow.TypeEqual(ps.Field(1).Type, arrow.PrimitiveTypes.Int64) {
		t.Fatalf("parameter schema %s", ps)
	}
	_ = p.Close(ctx)

	p, err = c.Prepare(ctx, "CALL sys.compact(?)")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close(ctx) }()
	if u, ok := p.IsUpdate(); ok && u {
		t.Fatal("a CALL must be prepared as a query: it answers a row")
	}
	if got := schemaNames(p.DatasetSchema()); got != "files_rewritten bytes_read bytes_written version" {
		t.Fatalf("dataset schema %s", got)
	}
	// Preparing ran nothing.
	wantRows(t, query(t, c, `SELECT count(*) FROM "t$history"`), []any{int64(3)})
	b := array.NewRecordBuilder(memory.DefaultAllocator, p.ParameterSchema())
	b.Field(0).(*array.StringBuilder).Append("default.t")
	rec := b.NewRecordBatch()
	b.Release()
	p.SetParameters(rec)
	info, err := p.Execute(ctx)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readAll(t, c, info)
	if len(rows) != 1 || rows[0][3] != int64(3) {
		t.Fatalf("compaction row %v", rows)
	}
	wantRows(t, query(t, c, `SELECT operation FROM "t$history" WHERE version = 3`), []any{"compaction"})
	wantRows(t, query(t, c, `SELECT count(*), max(run) FROM "t$files"`), []any{int64(2), int64(1)})
	wantRows(t, query(t, c, "SELECT id, v FROM t ORDER BY id"), []any{int64(1), "A"}, []any{int64(2), "B"}, []any{int64(3), "C"})

	// database/sql prepares every statement: the row comes back, NULL
	// version and all, when there is nothing to compact.
	var files, read, written int64
	var version sql.NullInt64
	if err := s.db(t).QueryRowContext(ctx, "CALL sys.compact('t')").Scan(&files, &read, &written, &version); err != nil {
		t.Fatal(err)
	}
	if files != 0 || read != 0 || written != 0 || version.Valid {
		t.Fatalf("compacting a compacted table: %d %d %d %v", files, read, written, version)
	}
	wantRows(t, query(t, c, `SELECT count(*) FROM "t$history"`), []any{int64(4)})
}

// explainText runs EXPLAIN and joins its lines.
func explainText(t *testing.T, c *flightsql.Client, sql string) string {
	t.Helper()
	var lines []string
	for _, r := range query(t, c, sql) {
		lines = append(lines, r[0].(string))
	}
	return strings.Join(lines, "\n")
}

// schemaNames lists a schema's column names, space separated.
func schemaNames(sch *arrow.Schema) string {
	if sch == nil {
		return "<nil>"
	}
	names := make([]string, sch.NumFields())
	for i, f := range sch.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, " ")
}
