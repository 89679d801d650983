package flightsql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestTableChanges reads the net changes of version ranges: natively (one
// endpoint per bucket), through DuckDB, by timestamp, with filters, and
// checks the errors of bad ranges.
func TestTableChanges(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 2)")
	exec(t, c, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')") // 1
	exec(t, c, "INSERT INTO t VALUES (2, 'b2'), (4, 'd')")          // 2
	exec(t, c, "DELETE FROM t WHERE id = 3")                        // 3
	exec(t, c, "CALL sys.compact('t')")                             // 4
	exec(t, c, "INSERT INTO t VALUES (1, 'a')")                     // 5: the same row again

	const cols = "id, v, _change_type, _commit_version FROM "
	const order = " ORDER BY id, _change_type DESC"
	wantRows(t, query(t, c, "SELECT "+cols+"table_changes('t', 1, 3)"+order),
		[]any{int64(2), "b", "update_before", int64(2)},
		[]any{int64(2), "b2", "update_after", int64(2)},
		[]any{int64(3), "c", "delete", int64(3)},
		[]any{int64(4), "d", "insert", int64(2)})
	// From the empty table: inserts only, each at the last version touching it.
	wantRows(t, query(t, c, "SELECT "+cols+"table_changes('t', 0)"+order),
		[]any{int64(1), "a", "insert", int64(5)},
		[]any{int64(2), "b2", "insert", int64(2)},
		[]any{int64(4), "d", "insert", int64(2)})
	// A compaction and a rewrite of the same row change nothing.
	wantRows(t, query(t, c, "SELECT * FROM table_changes('t', 3, 5)"))
	wantRows(t, query(t, c, "SELECT * FROM table_changes('t', 5)"))

	// A plain read has one endpoint per bucket with changes.
	info, err := c.Execute(ctx, "SELECT * FROM table_changes('t', 1, 3)")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != 2 {
		t.Errorf("native change read: %d endpoints, want 2 (one per bucket)", len(info.Endpoint))
	}
	sch, rows := readAll(t, c, info)
	if len(rows) != 4 || sch.NumFields() != 5 || sch.Field(4).Name != "_commit_timestamp" {
		t.Errorf("native change read: schema %v, %d rows", sch, len(rows))
	}
	// Filters, natively and in DuckDB; aggregates and joins in DuckDB.
	wantRows(t, query(t, c, "SELECT id FROM table_changes('t', 1, 3) WHERE _change_type = 'delete'"), []any{int64(3)})
	wantRows(t, query(t, c, "SELECT id, v FROM table_changes('t', 1, 3) WHERE id > 3 OR v LIKE 'b%' ORDER BY v"),
		[]any{int64(2), "b"}, []any{int64(2), "b2"}, []any{int64(4), "d"})
	wantRows(t, query(t, c, "SELECT _change_type, count(*) FROM table_changes('t', 1) GROUP BY 1 ORDER BY 1"),
		[]any{"delete", int64(1)}, []any{"insert", int64(1)}, []any{"update_after", int64(1)}, []any{"update_before", int64(1)})
	wantRows(t, query(t, c, "SELECT c.id, t.v FROM table_changes('t', 1, 2) c JOIN t USING (id) WHERE c._change_type = 'insert'"),
		[]any{int64(4), "d"})
	wantRows(t, query(t, c, "SELECT count(*) FROM table_changes('t', 1, 3) LIMIT 1"), []any{int64(4)})

	// Timestamp bounds name the version current at that instant.
	us := query(t, c, `SELECT epoch_us(timestamp) FROM "t$history" WHERE version = 1`)[0][0].(int64)
	ts := time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.999999")
	wantRows(t, query(t, c, fmt.Sprintf("SELECT id FROM table_changes('t', '%s', 2) WHERE _change_type = 'insert'", ts)), []any{int64(4)})

	for _, tc := range []struct {
		sql      string
		code     codes.Code
		contains string
	}{
		{"SELECT * FROM table_changes('t', 1, 9)", codes.InvalidArgument, "beyond the latest version 5"},
		{"SELECT * FROM table_changes('t', 7)", codes.InvalidArgument, "beyond the latest version 5"},
		{"SELECT * FROM table_changes('t', 3, 1)", codes.InvalidArgument, "reversed"},
		{"SELECT * FROM table_changes('nope', 1)", codes.NotFound, "nope"},
		{"SELECT nope FROM table_changes('t', 1)", codes.InvalidArgument, "nope"},
		{"SELECT * FROM table_changes('t', '1999-01-01')", codes.NotFound, ""},
		{"SELECT * FROM table_changes('t', 'soon')", codes.InvalidArgument, "soon"},
		{"SELECT count(*) FROM table_changes('t', 1, follow => true)", codes.InvalidArgument, "follow"},
	} {
		_, err := c.Execute(ctx, tc.sql)
		wantCode(t, err, tc.code, tc.contains)
	}
	// Changes from before the retention window name the oldest version.
	exec(t, c, "CALL sys.expire_versions('t', older_than => '2100-01-01', retain_last => 2)")
	_, err = c.Execute(ctx, "SELECT * FROM table_changes('t', 1)")
	wantCode(t, err, codes.NotFound, "4")
	wantRows(t, query(t, c, "SELECT * FROM table_changes('t', 4)"))
}

// change is one change row of a stream.
type change struct {
	id      int64
	kind    string
	version int64
}

// TestFollowChanges follows a table while 4 writers commit to it: every
// acknowledged write arrives exactly once and in version order, also for
// a consumer that disconnects and resumes from the last complete version.
func TestFollowChanges(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, w BIGINT, PRIMARY KEY (id)) WITH (hash_bucket_num = 4)")
	exec(t, c, "INSERT INTO t VALUES (0, 0)") // 1

	const writers, each = 4, 15
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				id := int64(1 + w*each + i)
				if _, err := c.ExecuteUpdate(ctx, fmt.Sprintf("INSERT INTO t VALUES (%d, %d)", id, w)); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	last := int64(1 + writers*each) // the head once every writer is done

	// The first consumer stops after some complete version; the second
	// resumes from there.
	got := map[int64]change{}
	var order []change
	take := func(from int64, stopAfter int) int64 {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		info, err := c.Execute(sctx, fmt.Sprintf("SELECT id, _change_type, _commit_version FROM table_changes('t', %d, follow => true)", from))
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Endpoint) != 1 {
			t.Fatalf("follow: %d endpoints", len(info.Endpoint))
		}
		r, err := c.DoGet(sctx, info.Endpoint[0].Ticket)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		done := from
		var pending []change
		for r.Next() {
			var meta struct {
				Version  int64 `json:"version"`
				Complete bool  `json:"complete"`
			}
			if err := json.Unmarshal(r.LatestAppMetadata(), &meta); err != nil {
				t.Fatalf("app metadata %q: %v", r.LatestAppMetadata(), err)
			}
			for _, row := range recordRows(r.RecordBatch()) {
				ch := change{row[0].(int64), row[1].(string), row[2].(int64)}
				if ch.version != meta.Version {
					t.Fatalf("row of version %d in a batch of version %d", ch.version, meta.Version)
				}
				pending = append(pending, ch)
			}
			if meta.Complete {
				if meta.Version < done {
					t.Fatalf("version %d completed after %d", meta.Version, done)
				}
				for _, ch := range pending { // only what a consumer commits
					if prev, dup := got[ch.id]; dup {
						t.Fatalf("key %d twice: %v and %v", ch.id, prev, ch)
					}
					got[ch.id] = ch
					order = append(order, ch)
				}
				pending, done = nil, meta.Version
				if done >= int64(stopAfter) {
					return done
				}
			}
		}
		t.Fatalf("stream ended after version %d: %v", done, r.Err())
		return done
	}
	close(start)
	resume := take(1, 20)
	if resume < 20 {
		t.Fatalf("first consumer stopped at %d", resume)
	}
	deadline := time.AfterFunc(time.Minute, func() { t.Errorf("follow: no version %d within a minute", last) })
	defer deadline.Stop()
	take(resume, int(last))
	wg.Wait()

	if len(got) != writers*each {
		t.Fatalf("got %d changes, want %d", len(got), writers*each)
	}
	for id := int64(1); id <= last-1; id++ {
		if ch, ok := got[id]; !ok || ch.kind != "insert" {
			t.Fatalf("key %d: %v, want one insert", id, ch)
		}
	}
	if !sort.SliceIsSorted(order, func(i, j int) bool { return order[i].version < order[j].version }) {
		t.Fatalf("changes out of version order")
	}
}
