package flightsql_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// countingStorage counts the reads of a storage.
type countingStorage struct {
	lsio.Storage
	reads atomic.Int64
}

func (s *countingStorage) Open(ctx context.Context, path string) (lsio.Object, error) {
	s.reads.Add(1)
	return s.Storage.Open(ctx, path)
}

func (s *countingStorage) Get(ctx context.Context, path string) ([]byte, error) {
	s.reads.Add(1)
	return s.Storage.Get(ctx, path)
}

func (s *countingStorage) Stat(ctx context.Context, path string) (lsio.ObjectInfo, error) {
	s.reads.Add(1)
	return s.Storage.Stat(ctx, path)
}

func (s *countingStorage) List(ctx context.Context, prefix string) ([]lsio.ObjectInfo, error) {
	s.reads.Add(1)
	return s.Storage.List(ctx, prefix)
}

// pointServer starts a server with a 4-bucket keyed table pt of 20 commits
// of 50 rows.
func pointServer(t testing.TB) (*server, *countingStorage) {
	l, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &countingStorage{Storage: l}
	s := startServer(t, serverOpts{storage: st})
	c := s.client(t)
	exec(t, c, "CREATE TABLE pt (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 4)")
	for commit := range 20 {
		var rows []string
		for i := range 50 {
			rows = append(rows, fmt.Sprintf("(%d, 'v%d')", commit*50+i, commit))
		}
		exec(t, c, "INSERT INTO pt VALUES "+strings.Join(rows, ", "))
	}
	return s, st
}

// TestPointLookupPlan: planning a point lookup by key reads no storage and
// yields exactly one endpoint (the key's bucket), whose ticket answers
// the row.
func TestPointLookupPlan(t *testing.T) {
	s, st := pointServer(t)
	c := s.client(t)
	ctx := context.Background()
	for _, id := range []int{0, 7, 512, 999} {
		before := st.reads.Load()
		info, err := c.Execute(ctx, fmt.Sprintf("SELECT * FROM pt WHERE id = %d", id))
		if err != nil {
			t.Fatal(err)
		}
		if n := st.reads.Load() - before; n != 0 {
			t.Errorf("id %d: GetFlightInfo made %d storage reads", id, n)
		}
		if len(info.Endpoint) != 1 {
			t.Fatalf("id %d: %d endpoints, want 1", id, len(info.Endpoint))
		}
		rd, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
		if err != nil {
			t.Fatal(err)
		}
		var rows int64
		for rd.Next() {
			rows += rd.RecordBatch().NumRows()
		}
		if err := rd.Err(); err != nil {
			t.Fatal(err)
		}
		rd.Release()
		if rows != 1 {
			t.Fatalf("id %d: %d rows", id, rows)
		}
	}
}

// BenchmarkPointFlightInfo measures GetFlightInfo alone for a point lookup
// by key, on loopback: parsing, resolving the table (the catalog cache),
// planning and sealing the ticket.
//
//	go test -run '^$' -bench PointFlightInfo -benchtime 2000x ./flightsql/
func BenchmarkPointFlightInfo(b *testing.B) {
	s, _ := pointServer(b)
	c := s.client(b)
	ctx := context.Background()
	var ticketBytes int
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		info, err := c.Execute(ctx, fmt.Sprintf("SELECT * FROM pt WHERE id = %d", i%1000))
		if err != nil {
			b.Fatal(err)
		}
		if len(info.Endpoint) != 1 {
			b.Fatalf("%d endpoints, want 1", len(info.Endpoint))
		}
		ticketBytes += len(info.Endpoint[0].Ticket.Ticket)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/getflightinfo")
	b.ReportMetric(float64(ticketBytes)/float64(b.N), "bytes/ticket")
}
