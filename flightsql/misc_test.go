package flightsql_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// TestQueryShapes: the small things clients send.
func TestQueryShapes(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	fillTable(t, c, 40)

	wantRows(t, query(t, c, "SELECT 42"), []any{int64(42)})
	_, err := c.Execute(ctx, "SELECT * FROM t WHERE id = ?")
	wantCode(t, err, codes.InvalidArgument, "prepare it")
	// LIMIT over several buckets is one endpoint and exact.
	info, err := c.Execute(ctx, "SELECT id FROM t LIMIT 5")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != 1 {
		t.Fatalf("%d endpoints for a LIMIT query", len(info.Endpoint))
	}
	if _, rows := readAll(t, c, info); len(rows) != 5 {
		t.Fatalf("%d rows, want 5", len(rows))
	}
	// GetSchema without executing.
	sr, err := c.GetExecuteSchema(ctx, "SELECT id, v FROM t")
	if err != nil {
		t.Fatal(err)
	}
	sch, err := flight.DeserializeSchema(sr.Schema, memory.DefaultAllocator)
	if err != nil || sch.NumFields() != 2 || sch.Field(1).Name != "v" {
		t.Fatalf("schema %v, %v", sch, err)
	}
	sr, err = c.GetExecuteSchema(ctx, "SELECT dt, count(*) AS n FROM t GROUP BY dt")
	if err != nil {
		t.Fatal(err)
	}
	if sch, _ = flight.DeserializeSchema(sr.Schema, memory.DefaultAllocator); sch.Field(1).Name != "n" {
		t.Fatalf("schema %v", sch)
	}
	// PollFlightInfo answers complete at once.
	pi, err := c.ExecutePoll(ctx, "SELECT count(*) FROM t", nil)
	if err != nil {
		t.Fatal(err)
	}
	if pi.GetFlightDescriptor() != nil || pi.GetInfo() == nil {
		t.Fatalf("poll info %v", pi)
	}
	_, rows := readAll(t, c, pi.GetInfo())
	wantRows(t, rows, []any{int64(40)})
	// Non-key predicates, IN, BETWEEN, IS NULL on the native path.
	wantRows(t, sortRows(query(t, c, "SELECT id FROM t WHERE id BETWEEN 3 AND 5 AND v IS NOT NULL AND dt IN ('a', 'b')")),
		[]any{int64(3)}, []any{int64(4)}, []any{int64(5)})
	// DDL through GetFlightInfo (as some ADBC clients send it) runs and
	// answers an empty result.
	info, err = c.Execute(ctx, "CREATE TABLE viaquery (a BIGINT)")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != 0 {
		t.Fatalf("%d endpoints for DDL", len(info.Endpoint))
	}
	wantRows(t, query(t, c, "SELECT count(*) FROM viaquery"), []any{int64(0)})
}

// TestCancelledStream: a client that stops reading does not leave the scan
// running (goleak verifies at the end). The server allocates from the Go
// allocator here: arrow-go's Parquet reader drops the references of the
// batch it was decoding when its read is cancelled, which only a checked
// allocator notices (the garbage collector reclaims that memory).
func TestCancelledStream(t *testing.T) {
	// Batches of 16 rows, not joined, so the stream is cancelled with most
	// of it unsent.
	s := startServer(t, serverOpts{cfg: func(c *lsflight.Config) { c.BatchRows, c.CoalesceRows, c.Allocator = 16, 1, memory.NewGoAllocator() }})
	c := s.client(t)
	fillTable(t, c, 2000)
	info, err := c.Execute(context.Background(), "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range info.Endpoint {
		ctx, cancel := context.WithCancel(context.Background())
		r, err := c.DoGet(ctx, ep.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Next() {
			t.Fatalf("no batch: %v", r.Err())
		}
		cancel()
		for r.Next() {
		}
		r.Release()
	}
}

// TestConcurrentWriters: several clients upserting into one table at once
// all succeed (upserts rebase), and every row is there.
func TestConcurrentWriters(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, w BIGINT, PRIMARY KEY (id)) WITH (hash_bucket_num = 2)")
	const writers, each = 4, 10
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		go func(w int) {
			wc := s.client(t)
			for i := 0; i < each; i++ {
				if _, err := wc.ExecuteUpdate(context.Background(), fmt.Sprintf("INSERT INTO t VALUES (%d, %d)", w*each+i, w)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < writers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	wantRows(t, query(t, c, "SELECT count(*), count(DISTINCT id) FROM t"), []any{int64(writers * each), int64(writers * each)})
	wantRows(t, query(t, c, `SELECT count(*), max(version) FROM "t$history"`), []any{int64(writers*each + 1), int64(writers * each)})
}

// TestErrorCodes pins the mapping of store errors to gRPC codes.
func TestErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code codes.Code
	}{
		{fmt.Errorf("commit: %w", txn.ErrConflict), codes.Aborted},
		{fmt.Errorf("load: %w", catalog.ErrNotFound), codes.NotFound},
		{fmt.Errorf("create: %w", catalog.ErrAlreadyExists), codes.AlreadyExists},
		{fmt.Errorf("write: %w", txn.ErrInvalid), codes.InvalidArgument},
		{fmt.Errorf("x: %w", lsflight.ErrTicket), codes.PermissionDenied},
		{errors.New("disk on fire"), codes.Internal},
		// etcd electing a leader: retry, perhaps on another replica.
		{fmt.Errorf("catalog: read table x: %w", rpctypes.ErrLeaderChanged), codes.Unavailable},
		{fmt.Errorf("commit: %w", rpctypes.ErrTimeoutDueToLeaderFail), codes.Unavailable},
	} {
		if got := status.Code(lsflight.StatusOf(tc.err)); got != tc.code {
			t.Errorf("%v: code %s, want %s", tc.err, got, tc.code)
		}
	}
}

// TestSmallBatchesCoalesce: a table written by several tiny commits reads
// back as one batch, not one per file.
func TestSmallBatchesCoalesce(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	sch := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	opts := ingestOpts("tiny", flightsql.TableDefinitionOptionsTableNotExistOptionCreate, flightsql.TableDefinitionOptionsTableExistsOptionAppend, nil)
	for i, name := range []string{"a", "b"} {
		if n, err := c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{int64(i)}, []string{name}), opts); err != nil || n != 1 {
			t.Fatalf("ingest %d: %d, %v", i, n, err)
		}
	}
	exec(t, c, "INSERT INTO tiny VALUES (2, 'c')")

	info, err := c.Execute(ctx, "SELECT * FROM tiny")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != 1 {
		t.Fatalf("%d endpoints", len(info.Endpoint))
	}
	r, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	var batches, rows int64
	for r.Next() {
		batches++
		rows += r.RecordBatch().NumRows()
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if batches != 1 || rows != 3 {
		t.Fatalf("%d rows in %d batches, want 3 in 1", rows, batches)
	}
	wantRows(t, sortRows(query(t, c, "SELECT id, name FROM tiny")), []any{int64(0), "a"}, []any{int64(1), "b"}, []any{int64(2), "c"})
}
