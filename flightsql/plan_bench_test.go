package flightsql_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// BenchmarkScanEndpoints measures what a query engine pays to read a
// 16-endpoint scan: GetFlightInfo once, then a DoGet per endpoint. The
// table is small (16 buckets, 40 commits of 64 rows: 640 files) so that
// planning, not reading, dominates; ms/doget is the mean time from DoGet
// to the end of one endpoint's stream.
//
//	go test -run '^$' -bench ScanEndpoints -benchtime 20x ./flightsql/
func BenchmarkScanEndpoints(b *testing.B) {
	s := startServer(b, serverOpts{})
	c := s.client(b)
	exec(b, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 16)")
	for commit := 0; commit < 40; commit++ {
		var rows []string
		for i := 0; i < 64; i++ {
			rows = append(rows, fmt.Sprintf("(%d, 'v%d')", (commit*37+i*11)%1000, commit))
		}
		exec(b, c, "INSERT INTO t VALUES "+strings.Join(rows, ", "))
	}
	ctx := context.Background()
	var infoTime, getTime time.Duration
	var gets, ticketBytes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if os.Getenv("BENCH_PAUSE") != "" {
			time.Sleep(20 * time.Millisecond)
		}
		start := time.Now()
		info, err := c.Execute(ctx, "SELECT * FROM t")
		if err != nil {
			b.Fatal(err)
		}
		infoTime += time.Since(start)
		if len(info.Endpoint) != 16 {
			b.Fatalf("%d endpoints, want 16", len(info.Endpoint))
		}
		for _, ep := range info.Endpoint {
			ticketBytes += len(ep.Ticket.Ticket)
			start := time.Now()
			r, err := c.DoGet(ctx, ep.Ticket)
			if err != nil {
				b.Fatal(err)
			}
			for r.Next() {
			}
			if err := r.Err(); err != nil {
				b.Fatal(err)
			}
			r.Release()
			getTime += time.Since(start)
			gets++
		}
	}
	b.ReportMetric(float64(infoTime.Microseconds())/1000/float64(b.N), "ms/getflightinfo")
	b.ReportMetric(float64(getTime.Microseconds())/1000/float64(gets), "ms/doget")
	b.ReportMetric(float64(ticketBytes)/float64(gets), "bytes/ticket")
}
