package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// killLedger records what the clients of the kill test asked for and what
// the server acknowledged. Every write statement inserts the rows of one
// statement id s: ids s*1000 .. s*1000+n-1, each row carrying s and n, so a
// statement's rows are checkable as all there or none. UPDATEs add one to v
// on every row of one acknowledged statement.
type killLedger struct {
	mu       sync.Mutex
	next     int64
	rows     map[int64]int64 // statement id -> rows it writes (attempted)
	acked    map[int64]bool  // statement ids whose write was acknowledged
	ackedIDs []int64
	updTried map[int64]int // statement id -> UPDATEs sent
	updAcked map[int64]int // statement id -> UPDATEs acknowledged
	ops      map[string]int
}

func newKillLedger() *killLedger {
	return &killLedger{rows: map[int64]int64{}, acked: map[int64]bool{}, updTried: map[int64]int{}, updAcked: map[int64]int{}, ops: map[string]int{}}
}

// begin allocates a statement id writing n rows.
func (l *killLedger) begin(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	l.rows[l.next] = n
	return l.next
}

func (l *killLedger) ack(s int64, op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[s] = true
	l.ackedIDs = append(l.ackedIDs, s)
	l.ops[op]++
}

// pickUpdate chooses an acknowledged statement to update, 0 if none.
func (l *killLedger) pickUpdate(rng *rand.Rand) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ackedIDs) == 0 {
		return 0
	}
	s := l.ackedIDs[rng.IntN(len(l.ackedIDs))]
	l.updTried[s]++
	return s
}

func (l *killLedger) ackUpdate(s int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.updAcked[s]++
	l.ops["update"]++
}

func (l *killLedger) count(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops[op]++
}

var killSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "stmt", Type: arrow.PrimitiveTypes.Int64},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// TestKillNine kills the server with SIGKILL at random moments while
// clients ingest, insert, update and compact, restarts it on the same data
// directory, and checks after every restart that no acknowledged write is
// lost, no statement is partly visible, and the version history has no gap.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary and kills it several times; skipped under -short")
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	const cycles = 5
	dir := t.TempDir()
	addr := freeAddr(t)
	ledger := newKillLedger()
	serverArgs := []string{"--log-level", "warn"}

	p := startProc(t, dir, addr, serverArgs...)
	p.waitAddr(t, 60*time.Second)
	cl := killClient(t, addr)
	ctx := ctxFor(t, 5*time.Minute)
	if _, err := cl.ExecuteUpdate(ctx, `CREATE TABLE k (id BIGINT NOT NULL, stmt BIGINT NOT NULL, n BIGINT NOT NULL, v BIGINT NOT NULL,
		PRIMARY KEY (id)) WITH (hash_bucket_num = 2, 'compaction.trigger_runs' = '3')`); err != nil {
		t.Fatal(err)
	}
	_ = cl.Close()

	var restarts []time.Duration
	for c := range cycles {
		cl := killClient(t, addr)
		wctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for w, work := range []func(context.Context, *flightsql.Client, *rand.Rand){
			ledger.ingestLoop, ledger.insertLoop, ledger.updateLoop, ledger.compactLoop,
		} {
			wg.Add(1)
			wr := rand.New(rand.NewPCG(uint64(seed), uint64(c*10+w+1)))
			go func() {
				defer wg.Done()
				work(wctx, cl, wr)
			}()
		}
		runFor := time.Duration(500+rng.IntN(2000)) * time.Millisecond
		time.Sleep(runFor)
		p.kill()
		stop()
		wg.Wait()
		_ = cl.Close()
		t.Logf("cycle %d: killed after %s", c+1, runFor)

		start := time.Now()
		p = startProc(t, dir, addr, serverArgs...)
		p.waitAddr(t, 60*time.Second)
		restarts = append(restarts, time.Since(start))
		cl = killClient(t, addr)
		ledger.verify(t, ctx, cl)
		_ = cl.Close()
	}
	p.signal(syscall.SIGTERM)
	if code := p.waitExit(t, 30*time.Second); code != 0 {
		t.Fatalf("final SIGTERM: exit status %d\n%s", code, p.stderr.String())
	}
	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	t.Logf("%d kill cycles; acknowledged: %d ingests, %d inserts, %d updates, %d compactions (%d write statements sent); restart to serving: %v",
		cycles, ledger.ops["ingest"], ledger.ops["insert"], ledger.ops["update"], ledger.ops["compact"], ledger.next, restarts)
	if ledger.ops["ingest"] == 0 || ledger.ops["insert"] == 0 {
		t.Fatalf("too little acknowledged work to prove anything: %v", ledger.ops)
	}
}

func killClient(t *testing.T, addr string) *flightsql.Client {
	t.Helper()
	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// pause waits d or until ctx ends; false when ctx ended.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (l *killLedger) ingestLoop(ctx context.Context, cl *flightsql.Client, rng *rand.Rand) {
	for ctx.Err() == nil {
		n := int64(1 + rng.IntN(40))
		s := l.begin(n)
		bld := array.NewRecordBuilder(memory.DefaultAllocator, killSchema)
		for i := range n {
			bld.Field(0).(*array.Int64Builder).Append(s*1000 + i)
			bld.Field(1).(*array.Int64Builder).Append(s)
			bld.Field(2).(*array.Int64Builder).Append(n)
			bld.Field(3).(*array.Int64Builder).Append(0)
		}
		rec := bld.NewRecordBatch()
		bld.Release()
		rdr, _ := array.NewRecordReader(killSchema, []arrow.RecordBatch{rec})
		rec.Release()
		got, err := cl.ExecuteIngest(ctx, rdr, &flightsql.ExecuteIngestOpts{Table: "k",
			TableDefinitionOptions: &flightsql.TableDefinitionOptions{
				IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail,
				IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionAppend}})
		rdr.Release()
		if err == nil && got == n {
			l.ack(s, "ingest")
		} else if !pause(ctx, 50*time.Millisecond) {
			return
		}
	}
}

func (l *killLedger) insertLoop(ctx context.Context, cl *flightsql.Client, rng *rand.Rand) {
	for ctx.Err() == nil {
		n := int64(1 + rng.IntN(20))
		s := l.begin(n)
		var sb strings.Builder
		sb.WriteString("INSERT INTO k (id, stmt, n, v) VALUES ")
		for i := range n {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, %d, 0)", s*1000+i, s, n)
		}
		got, err := cl.ExecuteUpdate(ctx, sb.String())
		if err == nil && got == n {
			l.ack(s, "insert")
		} else if !pause(ctx, 50*time.Millisecond) {
			return
		}
	}
}

func (l *killLedger) updateLoop(ctx context.Context, cl *flightsql.Client, rng *rand.Rand) {
	for ctx.Err() == nil {
		s := l.pickUpdate(rng)
		if s == 0 {
			if !pause(ctx, 20*time.Millisecond) {
				return
			}
			continue
		}
		if _, err := cl.ExecuteUpdate(ctx, fmt.Sprintf("UPDATE k SET v = v + 1 WHERE stmt = %d", s)); err == nil {
			l.ackUpdate(s)
		} else if !pause(ctx, 50*time.Millisecond) {
			return
		}
	}
}

func (l *killLedger) compactLoop(ctx context.Context, cl *flightsql.Client, rng *rand.Rand) {
	for pause(ctx, time.Duration(100+rng.IntN(300))*time.Millisecond) {
		if _, err := cl.ExecuteUpdate(ctx, "CALL sys.compact('k')"); err == nil {
			l.count("compact")
		}
	}
}

// queryInt64s runs a query and returns its int64 columns, row by row.
func queryInt64s(t *testing.T, ctx context.Context, cl *flightsql.Client, q string) [][]int64 {
	t.Helper()
	info, err := cl.Execute(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out [][]int64
	for _, ep := range info.Endpoint {
		rd, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			t.Fatalf("%s: DoGet: %v", q, err)
		}
		for rd.Next() {
			rec := rd.RecordBatch()
			for i := range int(rec.NumRows()) {
				row := make([]int64, rec.NumCols())
				for c := range row {
					row[c] = rec.Column(c).(*array.Int64).Value(i)
				}
				out = append(out, row)
			}
		}
		err = rd.Err()
		rd.Release()
		if err != nil {
			t.Fatalf("%s: reading: %v", q, err)
		}
	}
	return out
}

// verify checks the table against the ledger: every acknowledged statement
// complete, every visible statement complete and known, its rows updated
// alike and no more often than UPDATEs were sent nor less often than they
// were acknowledged; the history holds each version from 0 to the head
// exactly once.
func (l *killLedger) verify(t *testing.T, ctx context.Context, cl *flightsql.Client) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	type stmtRows struct {
		n    int64
		ids  map[int64]bool
		vals map[int64]bool
	}
	seen := map[int64]*stmtRows{}
	total := int64(0)
	for _, r := range queryInt64s(t, ctx, cl, "SELECT id, stmt, n, v FROM k") {
		id, s, n, v := r[0], r[1], r[2], r[3]
		want, ok := l.rows[s]
		if !ok || n != want || id < s*1000 || id >= s*1000+n {
			t.Fatalf("row %v was never written", r)
		}
		st := seen[s]
		if st == nil {
			st = &stmtRows{n: n, ids: map[int64]bool{}, vals: map[int64]bool{}}
			seen[s] = st
		}
		if st.ids[id] {
			t.Fatalf("row id %d appears twice", id)
		}
		st.ids[id] = true
		st.vals[v] = true
		total++
	}
	for s := range l.acked {
		if seen[s] == nil {
			t.Fatalf("acknowledged statement %d (%d rows) is lost", s, l.rows[s])
		}
	}
	for s, st := range seen {
		if int64(len(st.ids)) != st.n {
			t.Fatalf("statement %d is partly visible: %d of %d rows (acknowledged %t)", s, len(st.ids), st.n, l.acked[s])
		}
		if len(st.vals) != 1 {
			t.Fatalf("statement %d: an UPDATE is partly visible: v values %v", s, st.vals)
		}
		for v := range st.vals {
			if v < int64(l.updAcked[s]) || v > int64(l.updTried[s]) {
				t.Fatalf("statement %d: v = %d, but %d UPDATEs were acknowledged and %d sent", s, v, l.updAcked[s], l.updTried[s])
			}
		}
	}
	var versions []int64
	for _, r := range queryInt64s(t, ctx, cl, `SELECT version FROM "k$history"`) {
		versions = append(versions, r[0])
	}
	slices.Sort(versions)
	for i, v := range versions {
		if v != int64(i) {
			t.Fatalf("history is not versions 0..%d once each: %v", len(versions)-1, versions)
		}
	}
	if n := queryInt64s(t, ctx, cl, "SELECT count(*) FROM k"); len(n) != 1 || n[0][0] != total {
		t.Fatalf("count(*) = %v, the scan read %d rows", n, total)
	}
}
