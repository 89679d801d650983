package flightsql_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestMaintenanceProcedures runs every maintenance procedure through the
// Flight SQL client and checks what it did: rows, versions, history and
// time travel.
func TestMaintenanceProcedures(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, `CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, dt DATE NOT NULL, PRIMARY KEY (id))
		PARTITIONED BY (dt) WITH (hash_bucket_num = 2, 'partition.ttl' = '30d')`)
	exec(t, c, "INSERT INTO t VALUES (1, 'a', DATE '2020-01-01'), (2, 'b', DATE '2999-01-01'), (3, 'c', DATE '2999-01-01')") // v1
	exec(t, c, "INSERT INTO t VALUES (2, 'B', DATE '2999-01-01')")                                                           // v2
	exec(t, c, "INSERT INTO t VALUES (3, 'C', DATE '2999-01-01'), (4, 'd', DATE '2999-01-01')")                              // v3
	exec(t, c, "DELETE FROM t WHERE id = 2")                                                                                 // v4

	// Rollback to version 2: a new version 5 equal to it; 4 still readable.
	wantRows(t, query(t, c, "CALL sys.rollback_to_version('t', 2)"), []any{int64(4), int64(5)})
	wantRows(t, query(t, c, "SELECT id, v FROM t ORDER BY id"), []any{int64(1), "a"}, []any{int64(2), "B"}, []any{int64(3), "c"})
	wantRows(t, query(t, c, "SELECT id, v FROM t FOR VERSION AS OF 4 ORDER BY id"), []any{int64(1), "a"}, []any{int64(3), "C"}, []any{int64(4), "d"})
	wantRows(t, query(t, c, `SELECT operation FROM "t$history" WHERE version = 5`), []any{"rollback"})

	// Compact one partition: its buckets become one file each.
	rows := query(t, c, "CALL sys.compact('t', 'dt=2999-01-01')")
	if len(rows) != 1 || rows[0][0].(int64) < 2 || rows[0][3] != int64(6) {
		t.Fatalf("compact: %v", rows)
	}
	wantRows(t, query(t, c, `SELECT partition, max_runs FROM "t$partitions" ORDER BY 1`),
		[]any{"dt=2020-01-01", int64(1)}, []any{"dt=2999-01-01", int64(1)})
	wantRows(t, query(t, c, "SELECT id, v FROM t ORDER BY id"), []any{int64(1), "a"}, []any{int64(2), "B"}, []any{int64(3), "c"})

	// Expire all but the newest 2 versions.
	rows = query(t, c, "CALL sys.expire_versions('t', older_than => TIMESTAMP '2999-01-01 00:00:00', retain_last => 2)")
	if len(rows) != 1 || rows[0][0] != int64(5) || rows[0][1] != int64(5) {
		t.Fatalf("expire: %v", rows)
	}
	_, err := c.Execute(ctx, "SELECT * FROM t FOR VERSION AS OF 3")
	wantCode(t, err, codes.NotFound, "oldest available is 5")
	wantRows(t, query(t, c, "SELECT id, v FROM t FOR VERSION AS OF 5 ORDER BY id"), []any{int64(1), "a"}, []any{int64(2), "B"}, []any{int64(3), "c"})
	wantRows(t, query(t, c, `SELECT min(version), count(*) FROM "t$history"`), []any{int64(5), int64(2)})

	// The 2020 partition is past its 30-day TTL.
	rows = query(t, c, "CALL sys.drop_expired_partitions('t')")
	if len(rows) != 1 || rows[0][0] != int64(1) || rows[0][1] != int64(7) {
		t.Fatalf("drop_expired_partitions: %v", rows)
	}
	wantRows(t, query(t, c, "SELECT id FROM t ORDER BY id"), []any{int64(2)}, []any{int64(3)})
	wantRows(t, query(t, c, "CALL sys.drop_expired_partitions('t')"), []any{int64(0), nil})

	// Maintenance properties the service could not use are refused.
	for _, bad := range []string{"'compaction.trigger_runs' = '1'", "'retention.versions' = '-1'", "'retention.age' = 'soon'", "'partition.ttl' = '0d'"} {
		_, err := c.ExecuteUpdate(ctx, "CREATE TABLE bad (id BIGINT NOT NULL, PRIMARY KEY (id)) WITH ("+bad+")")
		wantCode(t, err, codes.InvalidArgument, "maintain: invalid table property")
	}
	_, err = c.Execute(ctx, "SELECT * FROM bad")
	wantCode(t, err, codes.NotFound, "bad")

	// Nothing is an orphan yet, and nothing is old enough anyway.
	wantRows(t, query(t, c, "CALL sys.remove_orphan_files('t')"), []any{int64(0), int64(0)})
	wantRows(t, query(t, c, "SELECT id, v FROM t ORDER BY id"), []any{int64(2), "B"}, []any{int64(3), "c"})
}
