package flightsql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkFollowLatency measures a change stream's latency: a follow
// stream is open while one writer commits small upserts one after another
// through Flight SQL; for each commit it reports the time from the write's
// acknowledgement (and from its start) to the arrival of that version's
// first batch at the client. Loopback, embedded etcd, local warehouse.
//
//	go test -run '^$' -bench FollowLatency -benchtime 200x ./flightsql/
func BenchmarkFollowLatency(b *testing.B) {
	s := startServer(b, serverOpts{})
	c := s.client(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exec(b, c, "CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 4)")
	exec(b, c, "INSERT INTO t VALUES (0, 'x')") // version 1
	info, err := c.Execute(ctx, "SELECT * FROM table_changes('t', 1, follow => true)")
	if err != nil {
		b.Fatal(err)
	}
	r, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Release()
	arrived := make(chan int64, 1024) // versions, as their first batch arrives
	go func() {
		seen := int64(1)
		for r.Next() {
			var m struct{ Version int64 }
			if json.Unmarshal(r.LatestAppMetadata(), &m) == nil && m.Version > seen {
				seen = m.Version
				arrived <- m.Version
			}
		}
		close(arrived)
	}()
	var fromAck, fromStart []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := c.ExecuteUpdate(ctx, fmt.Sprintf("INSERT INTO t VALUES (%d, 'v%d')", i+1, i)); err != nil {
			b.Fatal(err)
		}
		ack := time.Now()
		v, ok := <-arrived
		if !ok || v != int64(i+2) {
			b.Fatalf("stream: got version %d (open %v), want %d", v, ok, i+2)
		}
		now := time.Now()
		fromAck = append(fromAck, max(0, now.Sub(ack)))
		fromStart = append(fromStart, now.Sub(start))
	}
	b.StopTimer()
	q := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(fromAck, 0.5), "ack-p50-ms")
	b.ReportMetric(q(fromAck, 0.99), "ack-p99-ms")
	b.ReportMetric(q(fromStart, 0.5), "start-p50-ms")
	b.ReportMetric(q(fromStart, 0.99), "start-p99-ms")
}
