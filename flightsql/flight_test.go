package flightsql_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"

	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
)

// fillTable creates ns.t with 4 buckets and rows ids 0..n-1 over 2
// partitions.
func fillTable(t *testing.T, c *flightsql.Client, n int) {
	t.Helper()
	exec(t, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, dt VARCHAR, PRIMARY KEY (id)) PARTITIONED BY (dt) WITH (hash_bucket_num = 4)")
	var sb []byte
	sb = append(sb, "INSERT INTO t VALUES "...)
	for i := 0; i < n; i++ {
		if i > 0 {
			sb = append(sb, ", "...)
		}
		sb = append(sb, fmt.Sprintf("(%d, 'v%d', '%s')", i, i, []string{"a", "b"}[i%2])...)
	}
	exec(t, c, string(sb))
}

// TestEndpointsPinned: a plain scan gets one endpoint per (partition,
// bucket); a commit between GetFlightInfo and DoGet does not change what
// the tickets read; endpoints read concurrently give the whole table.
func TestEndpointsPinned(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	fillTable(t, c, 200)

	info, err := c.Execute(ctx, "SELECT id, v FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != 8 {
		t.Fatalf("%d endpoints, want 8 (2 partitions x 4 buckets)", len(info.Endpoint))
	}
	if info.Ordered {
		t.Fatal("a multi-endpoint result must not claim to be ordered")
	}
	exec(t, c, "DELETE FROM t WHERE id < 100")
	exec(t, c, "INSERT INTO t VALUES (1000, 'new', 'a')")

	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, len(info.Endpoint))
	for _, ep := range info.Endpoint {
		wg.Add(1)
		go func(tk *flight.Ticket) {
			defer wg.Done()
			r, err := c.DoGet(ctx, tk)
			if err != nil {
				errs <- err
				return
			}
			defer r.Release()
			for r.Next() {
				ids := r.RecordBatch().Column(0).(*array.Int64)
				mu.Lock()
				for i := 0; i < ids.Len(); i++ {
					if seen[ids.Value(i)] {
						errs <- fmt.Errorf("id %d read twice", ids.Value(i))
					}
					seen[ids.Value(i)] = true
				}
				mu.Unlock()
			}
			if err := r.Err(); err != nil {
				errs <- err
			}
		}(ep.Ticket)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != 200 || seen[1000] {
		t.Fatalf("read %d rows (new row seen: %v), want the 200 of the pinned snapshot", len(seen), seen[1000])
	}
	// A JDBC client gets few endpoints.
	jdbc := s.client(t, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUserAgent("JDBC Flight SQL Driver 18.1.0"))
	info, err = jdbc.Execute(ctx, "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != 1 {
		t.Fatalf("JDBC got %d endpoints, want 1", len(info.Endpoint))
	}
	_, rows := readAll(t, c, info)
	if len(rows) != 101 {
		t.Fatalf("read %d rows, want 101", len(rows))
	}
}

// TestForgedTicket: altered or foreign tickets are refused.
func TestForgedTicket(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	fillTable(t, c, 10)
	info, err := c.Execute(ctx, "SELECT * FROM t WHERE id = 3")
	if err != nil {
		t.Fatal(err)
	}
	var anyT anypb.Any
	if err := proto.Unmarshal(info.Endpoint[0].Ticket.Ticket, &anyT); err != nil {
		t.Fatal(err)
	}
	var tq pb.TicketStatementQuery
	if err := anyT.UnmarshalTo(&tq); err != nil {
		t.Fatal(err)
	}
	forge := func(h []byte) *flight.Ticket {
		b, err := flightsql.CreateStatementQueryTicket(h)
		if err != nil {
			t.Fatal(err)
		}
		return &flight.Ticket{Ticket: b}
	}
	h := append([]byte(nil), tq.StatementHandle...)
	// Change the pinned statement: id = 3 -> id > 0.
	altered := []byte(string(h[:len(h)-32]))
	for i := range altered {
		if altered[i] == '=' {
			altered[i] = '>'
		}
	}
	altered = append(altered, h[len(h)-32:]...)
	for name, tk := range map[string]*flight.Ticket{
		"altered":   forge(altered),
		"truncated": forge(h[:len(h)-1]),
		"garbage":   forge([]byte("not a ticket")),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := c.DoGet(ctx, tk)
			if err == nil {
				for r.Next() {
				}
				err = r.Err()
				r.Release()
			}
			wantCode(t, err, codes.PermissionDenied, "ticket")
		})
	}
	// A server with another secret refuses this one's tickets.
	other := startServer(t, serverOpts{cfg: func(c *lsflight.Config) { c.Secret = []byte("another secret of 32 bytes......") }})
	oc := other.client(t)
	r, err := oc.DoGet(ctx, info.Endpoint[0].Ticket)
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
		r.Release()
	}
	wantCode(t, err, codes.PermissionDenied, "signature")
}

// TestPrepared follows the JDBC call sequence: every statement prepared,
// queries through GetFlightInfo/DoGet, updates through DoPut, a batch of
// parameter rows as one commit, parameters in queries.
func TestPrepared(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	mem := memory.NewGoAllocator()

	// DDL prepared: no dataset schema, is_update.
	p, err := c.Prepare(ctx, "CREATE TABLE t (id BIGINT NOT NULL, name VARCHAR, score DOUBLE, PRIMARY KEY (id)) WITH (hash_bucket_num = 2)")
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := p.IsUpdate(); !ok || !u {
		t.Fatal("DDL must be prepared as an update")
	}
	if len(p.Handle()) == 0 {
		t.Fatal("empty handle")
	}
	if _, err := p.ExecuteUpdate(ctx); err != nil {
		t.Fatal(err)
	}
	_ = p.Close(ctx)

	// A batch of parameter rows: one commit.
	p, err = c.Prepare(ctx, "INSERT INTO t VALUES (?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	ps := p.ParameterSchema()
	if ps.NumFields() != 3 || !arrow.TypeEqual(ps.Field(0).Type, arrow.PrimitiveTypes.Int64) || !arrow.TypeEqual(ps.Field(2).Type, arrow.PrimitiveTypes.Float64) {
		t.Fatalf("parameter schema %s", ps)
	}
	b := array.NewRecordBuilder(mem, ps)
	for i := 0; i < 100; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("n%d", i))
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 2)
	}
	rec := b.NewRecordBatch()
	b.Release()
	p.SetParameters(rec)
	n, err := p.ExecuteUpdate(ctx)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("inserted %d rows, want 100", n)
	}
	_ = p.Close(ctx)
	wantRows(t, query(t, c, `SELECT count(*) FROM "t$history"`), []any{int64(2)})

	// A prepared query has its dataset schema before execution.
	p, err = c.Prepare(ctx, "SELECT id, name FROM t WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := p.IsUpdate(); ok && u {
		t.Fatal("a query must not be prepared as an update")
	}
	if ds := p.DatasetSchema(); ds == nil || ds.NumFields() != 2 {
		t.Fatalf("dataset schema %v", p.DatasetSchema())
	}
	pbld := array.NewRecordBuilder(mem, p.ParameterSchema())
	pbld.Field(0).(*array.Int64Builder).Append(42)
	prec := pbld.NewRecordBatch()
	pbld.Release()
	p.SetParameters(prec)
	info, err := p.Execute(ctx)
	prec.Release()
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readAll(t, c, info)
	wantRows(t, rows, []any{int64(42), "n42"})
	_ = p.Close(ctx)

	// SELECT ?, ? with three parameter rows gives three rows (DuckDB path).
	p, err = c.Prepare(ctx, "SELECT ? + 1 AS a, ? AS b")
	if err != nil {
		t.Fatal(err)
	}
	sch := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.BinaryTypes.String}}, nil)
	pbld = array.NewRecordBuilder(mem, sch)
	pbld.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	pbld.Field(1).(*array.StringBuilder).AppendValues([]string{"x", "y", "z"}, nil)
	prec = pbld.NewRecordBatch()
	pbld.Release()
	p.SetParameters(prec)
	info, err = p.Execute(ctx)
	prec.Release()
	if err != nil {
		t.Fatal(err)
	}
	_, rows = readAll(t, c, info)
	wantRows(t, rows, []any{int64(2), "x"}, []any{int64(3), "y"}, []any{int64(4), "z"})
	_ = p.Close(ctx)

	// A batch of DELETE parameter rows is one commit too.
	p, err = c.Prepare(ctx, "DELETE FROM t WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	pbld = array.NewRecordBuilder(mem, p.ParameterSchema())
	pbld.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	prec = pbld.NewRecordBatch()
	pbld.Release()
	p.SetParameters(prec)
	n, err = p.ExecuteUpdate(ctx)
	prec.Release()
	if err != nil || n != 3 {
		t.Fatalf("deleted %d rows (%v), want 3", n, err)
	}
	_ = p.Close(ctx)
	wantRows(t, query(t, c, `SELECT count(*) FROM "t$history"`), []any{int64(3)})

	// A parameter count mismatch is an error.
	p, err = c.Prepare(ctx, "SELECT * FROM t WHERE id = ? AND name = ?")
	if err != nil {
		t.Fatal(err)
	}
	one := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	pbld = array.NewRecordBuilder(mem, one)
	pbld.Field(0).(*array.Int64Builder).Append(1)
	prec = pbld.NewRecordBatch()
	pbld.Release()
	p.SetParameters(prec)
	_, err = p.Execute(ctx)
	prec.Release()
	wantCode(t, err, codes.InvalidArgument, "parameters")
	_ = p.Close(ctx)
}

// TestDatabaseSQL uses arrow-go's database/sql driver.
func TestDatabaseSQL(t *testing.T) {
	s := startServer(t, serverOpts{})
	db := s.db(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE kv (k VARCHAR NOT NULL, v BIGINT, PRIMARY KEY (k))"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := db.ExecContext(ctx, "INSERT INTO kv VALUES (?, ?)", fmt.Sprintf("k%d", i), int64(i*10)); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.QueryContext(ctx, "SELECT k, v FROM kv WHERE v >= ? ORDER BY k", int64(10))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", k, v))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if fmt.Sprint(got) != "[k1=10 k2=20]" {
		t.Fatalf("got %v", got)
	}
}

// TestExpiry: tickets and prepared statement handles expire.
func TestExpiry(t *testing.T) {
	s := startServer(t, serverOpts{cfg: func(c *lsflight.Config) { c.TicketTTL, c.PreparedTTL = 50*time.Millisecond, 50*time.Millisecond }})
	c := s.client(t)
	ctx := context.Background()
	fillTable(t, c, 3)
	info, err := c.Execute(ctx, "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	r, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
		r.Release()
	}
	wantCode(t, err, codes.PermissionDenied, "expired")
	p, err := c.Prepare(ctx, "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	_, err = p.Execute(ctx)
	wantCode(t, err, codes.PermissionDenied, "expired")
}
