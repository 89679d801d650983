package scaletest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
)

func TestMain(m *testing.M) {
	// The embedded etcd members' peer HTTP connections may outlive Close
	// by a moment.
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http.(*connReader).backgroundRead"))
}

// The shape of the run. Every write is one INSERT of rowsPerWrite rows,
// one commit; keys of writer w are (w+1)*keySpan + i, so writers never share
// a key with each other or with the seed rows, and a retried INSERT writes
// exactly the rows it wrote before.
const (
	replicas        = 3
	buckets         = 6
	seedRows        = 1200
	writers         = 6
	writesPerWriter = 30
	rowsPerWrite    = 20
	keySpan         = 1_000_000
	perInsert       = 300 // seed rows per INSERT

	user     = "scale"
	password = "scale-password"
	secret   = "scaletest-secret-shared-by-replicas"

	callTimeout = 20 * time.Second // one call, including a commit stalled by an etcd election
	maxAttempts = 50               // of one write before the test gives up
)

// TestScaleOut runs three lakesoul-flight replicas as processes over a
// three-member etcd cluster and one MinIO warehouse, and checks what a
// deployment behind a load balancer relies on: a plan from one replica is
// read from all of them, a token from one is honoured by the others, and
// writers that fail over lose no acknowledged write when a replica is
// killed and an etcd member stops mid-load.
func TestScaleOut(t *testing.T) {
	begin := time.Now()
	bin := buildServer(t)
	t.Logf("built the server in %s", time.Since(begin).Round(time.Millisecond))

	mio := miniotest.Start(t)
	bucket := mio.NewBucket(t)
	etcd := startEtcdCluster(t, 3)

	reps := make([]*replica, replicas)
	for i := range reps {
		compaction := "off"
		if i == 0 {
			compaction = "on" // one replica compacts, as in production
		}
		reps[i] = startReplica(t, bin, fmt.Sprintf("replica-%d", i+1), []string{
			"--etcd-endpoints", etcd.endpoints(),
			"--warehouse", "s3://" + bucket + "/warehouse",
			"--s3-endpoint", mio.Endpoint, "--s3-insecure", "--s3-access-key", mio.AccessKey,
			"--user", user, "--compaction", compaction,
		}, []string{
			"LAKESOUL_PASSWORD=" + password,
			"LAKESOUL_SECRET=" + secret,
			"LAKESOUL_S3_SECRET_KEY=" + mio.SecretKey,
		})
	}
	t.Logf("cluster up after %s: etcd %s, MinIO %s, replicas %s %s %s", time.Since(begin).Round(time.Millisecond),
		etcd.endpoints(), mio.Endpoint, reps[0].addr, reps[1].addr, reps[2].addr)

	cls := make([]*flightsql.Client, replicas)
	for i, r := range reps {
		c, err := flightsql.NewClient(r.addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		cls[i] = c
	}

	auth := checkTokens(t, cls)
	checkPlanAcrossReplicas(t, auth, cls, reps)
	ld := runLoad(t, auth, cls, reps, etcd)
	checkFinal(t, auth, cls, reps, ld)

	t.Logf("SUMMARY scale-out: %d replicas, 3 etcd members; %d rows written (%d seeded + %d under load), "+
		"%d writes acknowledged, %d retries (%s); recovery after replica SIGKILL: write %s (all writers %s), query %s; "+
		"after etcd leader stop: write %s (all writers %s), query %s; %d queries during load (%d retries); total %s",
		replicas, seedRows+ld.rows, seedRows, ld.rows, ld.acked, ld.retries, ld.retryCodes(),
		ms(ld.kills[0].firstWrite), ms(ld.kills[0].allWriters), ms(ld.kills[0].firstQuery),
		ms(ld.kills[1].firstWrite), ms(ld.kills[1].allWriters), ms(ld.kills[1].firstQuery),
		ld.queries, ld.queryRetries, time.Since(begin).Round(time.Millisecond))
}

// checkTokens logs in on replica 1 and returns the context carrying its
// bearer token, after checking that replica 3 refuses calls without it
// and accepts them with it.
func checkTokens(t *testing.T, cls []*flightsql.Client) context.Context {
	t.Helper()
	bg := context.Background()
	if _, err := cls[2].Execute(bg, "SELECT 1"); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("replica 3 without a token: %v, want Unauthenticated", err)
	}
	if _, err := cls[1].Client.AuthenticateBasicToken(bg, user, "wrong"); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("replica 2 with a wrong password: %v, want Unauthenticated", err)
	}
	auth, err := cls[0].Client.AuthenticateBasicToken(bg, user, password)
	if err != nil {
		t.Fatalf("log in on replica 1: %v", err)
	}
	info, err := cls[2].Execute(auth, "SELECT CAST(42 AS BIGINT) AS answer")
	if err != nil {
		t.Fatalf("replica 3 with replica 1's token: %v", err)
	}
	vals, err := readInt64(auth, cls[2], info.Endpoint[0].Ticket)
	if err != nil || len(vals) != 1 || vals[0] != 42 {
		t.Fatalf("replica 3 with replica 1's token read %v, %v; want [42]", vals, err)
	}
	return auth
}

// checkPlanAcrossReplicas writes the seed rows through replica 1, plans a
// scan on replica 2 and reads its endpoints from all three replicas.
func checkPlanAcrossReplicas(t *testing.T, auth context.Context, cls []*flightsql.Client, reps []*replica) {
	t.Helper()
	mustExec(t, auth, cls[0], fmt.Sprintf(
		"CREATE TABLE t (k BIGINT NOT NULL, w INT NOT NULL, v VARCHAR, PRIMARY KEY (k)) WITH (hash_bucket_num = %d)", buckets))
	for start := 0; start < seedRows; start += perInsert {
		var keys []int64
		for k := start; k < start+perInsert; k++ {
			keys = append(keys, int64(k))
		}
		if n := mustExec(t, auth, cls[0], insertSQL(-1, keys)); n != perInsert {
			t.Fatalf("seed INSERT affected %d rows, want %d", n, perInsert)
		}
	}

	info, err := cls[1].Execute(auth, "SELECT k, v FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != buckets || info.Ordered {
		t.Fatalf("plan on replica 2: %d endpoints (ordered %v), want %d unordered", len(info.Endpoint), info.Ordered, buckets)
	}
	seen := map[int64]int{}
	served := make([]int, replicas)
	for i, ep := range info.Endpoint {
		if len(ep.Location) != 1 || ep.Location[0].Uri != "grpc://"+reps[1].addr {
			t.Fatalf("endpoint %d locations %v, want [grpc://%s] (the planning replica)", i, ep.Location, reps[1].addr)
		}
		r := i % replicas // every replica serves some of replica 2's tickets
		keys, vals, err := readIntString(auth, cls[r], ep.Ticket)
		if err != nil {
			t.Fatalf("endpoint %d on replica %d: %v", i, r+1, err)
		}
		for j, k := range keys {
			seen[k]++
			if want := value(-1, k); vals[j] != want {
				t.Fatalf("key %d: v %q, want %q", k, vals[j], want)
			}
		}
		served[r] += len(keys)
	}
	for k := range int64(seedRows) {
		if seen[k] != 1 {
			t.Fatalf("key %d read %d times over the endpoints, want once", k, seen[k])
		}
	}
	if len(seen) != seedRows {
		t.Fatalf("read %d distinct keys, want %d", len(seen), seedRows)
	}
	for r, n := range served {
		if n == 0 {
			t.Fatalf("replica %d served no rows of the plan", r+1)
		}
	}
	t.Logf("plan of replica 2: %d endpoints read from replicas 1, 2, 3 (%v rows); %d rows exactly once", len(info.Endpoint), served, seedRows)
}

// kill is one failure injected during the load and what it cost.
type kill struct {
	what       string
	at         time.Time
	firstWrite time.Duration // until the first write started after the kill is acknowledged
	allWriters time.Duration // until every writer still writing had such a write acknowledged
	firstQuery time.Duration // until the first query started after the kill succeeds
}

// load is the outcome of runLoad.
type load struct {
	mu           sync.Mutex
	acked        int            // writes acknowledged
	ackedBy      [replicas]int  // writes acknowledged by each replica
	rows         int            // rows of acknowledged writes
	retries      int            // failed write attempts that were retried
	codes        map[string]int // failed attempts by gRPC code
	acks         [][]span       // per writer, the acknowledged attempts
	querySpans   []span         // successful queries
	queries      int
	queryRetries int
	kills        []kill
	ackedKeys    map[int64]bool
}

type span struct{ start, end time.Time }

func (l *load) retryCodes() string {
	var parts []string
	for c, n := range l.codes {
		parts = append(parts, fmt.Sprintf("%s %d", c, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// runLoad runs the writers against all replicas at once and, as the load
// passes a third and two thirds of its writes, kills replica 3 with SIGKILL
// and stops the etcd leader. A reader queries the replicas in turn all
// along.
func runLoad(t *testing.T, auth context.Context, cls []*flightsql.Client, reps []*replica, etcd *etcdCluster) *load {
	t.Helper()
	ld := &load{codes: map[string]int{}, acks: make([][]span, writers), ackedKeys: map[int64]bool{}}
	var dead [replicas]bool // replicas killed so far, for error messages
	var deadMu sync.Mutex
	isDead := func(r int) bool { deadMu.Lock(); defer deadMu.Unlock(); return dead[r] }

	ctx, cancel := context.WithCancel(auth)
	defer cancel()
	errc := make(chan error, writers+1)
	var wg sync.WaitGroup
	begin := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := write(ctx, ld, cls, w); err != nil {
				errc <- fmt.Errorf("writer %d: %w", w, err)
				cancel()
			}
		}()
	}
	readerDone := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() {
		defer close(readerDone)
		readerErr <- read(ctx, ld, cls, isDead)
	}()
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	total := writers * writesPerWriter
	acked := func() int { ld.mu.Lock(); defer ld.mu.Unlock(); return ld.acked }
	waitAcked := func(n int) bool {
		for acked() < n {
			select {
			case <-writersDone:
				return false
			case <-time.After(5 * time.Millisecond):
			}
		}
		return true
	}
	if waitAcked(total / 3) {
		at := time.Now()
		if err := reps[2].kill(); err != nil {
			t.Errorf("kill replica 3: %v", err)
		}
		deadMu.Lock()
		dead[2] = true
		deadMu.Unlock()
		ld.mu.Lock()
		ld.kills = append(ld.kills, kill{what: "SIGKILL replica 3", at: at})
		ld.mu.Unlock()
		t.Logf("%s after %d acknowledged writes", "SIGKILL replica 3", acked())
	}
	if waitAcked(2 * total / 3) {
		leader := etcd.leader()
		if leader < 0 {
			leader = 0
		}
		at := time.Now()
		etcd.close(leader)
		ld.mu.Lock()
		ld.kills = append(ld.kills, kill{what: fmt.Sprintf("stop etcd leader m%d", leader), at: at})
		ld.mu.Unlock()
		t.Logf("stopped etcd leader m%d after %d acknowledged writes (Close took %s)", leader, acked(), time.Since(at).Round(time.Millisecond))
	}
	<-writersDone
	cancel()
	<-readerDone
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if err := <-readerErr; err != nil {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	elapsed := time.Since(begin)
	if len(ld.kills) != 2 {
		t.Fatalf("the load ended before both failures were injected (%d)", len(ld.kills))
	}
	if ld.acked != total || ld.rows != total*rowsPerWrite || len(ld.ackedKeys) != ld.rows {
		t.Fatalf("%d writes acknowledged (%d rows, %d keys), want %d (%d rows)", ld.acked, ld.rows, len(ld.ackedKeys), total, total*rowsPerWrite)
	}
	for i := range ld.kills {
		k := &ld.kills[i]
		k.firstWrite, k.allWriters, k.firstQuery = -1, 0, -1
		for w := range writers {
			first := firstAfter(ld.acks[w], k.at)
			if first < 0 {
				continue // this writer had finished
			}
			if k.firstWrite < 0 || first < k.firstWrite {
				k.firstWrite = first
			}
			k.allWriters = max(k.allWriters, first)
		}
		k.firstQuery = firstAfter(ld.querySpans, k.at)
		if k.firstWrite < 0 {
			t.Fatalf("no write started after %q was acknowledged", k.what)
		}
		if k.firstQuery < 0 {
			t.Fatalf("no query started after %q succeeded", k.what)
		}
		t.Logf("recovery after %s: first acknowledged write %s, every writer %s, first query %s",
			k.what, k.firstWrite.Round(time.Millisecond), k.allWriters.Round(time.Millisecond), k.firstQuery.Round(time.Millisecond))
	}
	var lat []time.Duration
	for _, spans := range ld.acks {
		for _, s := range spans {
			lat = append(lat, s.end.Sub(s.start))
		}
	}
	slices.Sort(lat)
	t.Logf("load: %d writers, %d writes of %d rows acknowledged in %s (%.1f writes/s; by replica %v; latency median %s, max %s), "+
		"%d retries (%s), %d queries, %d query retries",
		writers, ld.acked, rowsPerWrite, elapsed.Round(time.Millisecond), float64(ld.acked)/elapsed.Seconds(), ld.ackedBy,
		lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond),
		ld.retries, ld.retryCodes(), ld.queries, ld.queryRetries)
	return ld
}

// firstAfter returns how long after at the first span that started after at
// ended, or -1 if none did.
func firstAfter(spans []span, at time.Time) time.Duration {
	best := time.Duration(-1)
	for _, s := range spans {
		if s.start.After(at) && (best < 0 || s.end.Sub(at) < best) {
			best = s.end.Sub(at)
		}
	}
	return best
}

// write runs writer w: writesPerWriter INSERTs, starting on replica w mod 3
// and moving to the next replica whenever a call fails with a transport
// error, until each INSERT is acknowledged.
func write(ctx context.Context, ld *load, cls []*flightsql.Client, w int) error {
	cur := w % replicas
	for b := range writesPerWriter {
		keys := make([]int64, rowsPerWrite)
		for i := range keys {
			keys[i] = int64(w+1)*keySpan + int64(b*rowsPerWrite+i)
		}
		q := insertSQL(w, keys)
		for attempt := 1; ; attempt++ {
			start := time.Now()
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			n, err := cls[cur].ExecuteUpdate(cctx, q)
			cancel()
			if err == nil {
				if n != rowsPerWrite {
					return fmt.Errorf("INSERT affected %d rows, want %d", n, rowsPerWrite)
				}
				ld.mu.Lock()
				ld.acked++
				ld.ackedBy[cur]++
				ld.rows += rowsPerWrite
				for _, k := range keys {
					ld.ackedKeys[k] = true
				}
				ld.acks[w] = append(ld.acks[w], span{start, time.Now()})
				ld.mu.Unlock()
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !retryable(err) {
				return fmt.Errorf("write %d on replica %d: %w", b, cur+1, err)
			}
			if attempt == maxAttempts {
				return fmt.Errorf("write %d: gave up after %d attempts: %w", b, attempt, err)
			}
			ld.mu.Lock()
			ld.retries++
			ld.codes[status.Code(err).String()]++
			ld.mu.Unlock()
			cur = (cur + 1) % replicas
			time.Sleep(backoff(attempt))
		}
	}
	return nil
}

// read queries the replicas in turn (skipping none: a dead one fails and
// the query moves on) until ctx ends. Each successful count of rows must
// include every write acknowledged before the query started and never
// shrink.
func read(ctx context.Context, ld *load, cls []*flightsql.Client, isDead func(int) bool) error {
	cur, last, attempt := 0, 0, 0
	for ctx.Err() == nil {
		ld.mu.Lock()
		ackedRows := ld.rows
		ld.mu.Unlock()
		start := time.Now()
		n, err := countRows(ctx, cls[cur])
		switch {
		case err == nil:
			attempt = 0
			if n < seedRows+ackedRows || n < last {
				return fmt.Errorf("replica %d counted %d rows; %d were acknowledged before the query and %d counted before", cur+1, n, seedRows+ackedRows, last)
			}
			last = n
			ld.mu.Lock()
			ld.queries++
			ld.querySpans = append(ld.querySpans, span{start, time.Now()})
			ld.mu.Unlock()
		case ctx.Err() != nil:
			return nil
		case retryable(err):
			attempt++
			ld.mu.Lock()
			ld.queryRetries++
			ld.mu.Unlock()
			if attempt == maxAttempts {
				return fmt.Errorf("queries failed %d times in a row: %w", attempt, err)
			}
			time.Sleep(backoff(attempt))
		default:
			return fmt.Errorf("query on replica %d (dead %v): %w", cur+1, isDead(cur), err)
		}
		cur = (cur + 1) % replicas
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// countRows plans a scan of t on c and reads every endpoint where its
// location says, which is c's replica.
func countRows(ctx context.Context, c *flightsql.Client) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	info, err := c.Execute(cctx, "SELECT k FROM t")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ep := range info.Endpoint {
		ks, err := readInt64(cctx, c, ep.Ticket)
		if err != nil {
			return 0, err
		}
		n += len(ks)
	}
	return n, nil
}

// retryable reports whether a failed call may be sent again, to another
// replica: the server could not be reached or did not answer in time.
// Every other error is a failure of the test.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

func backoff(attempt int) time.Duration {
	return min(time.Duration(attempt)*25*time.Millisecond, 500*time.Millisecond)
}

// checkFinal reads the table from the surviving replicas and checks every
// acknowledged key once with its value, nothing else, a gapless history and
// healthy survivors.
func checkFinal(t *testing.T, auth context.Context, cls []*flightsql.Client, reps []*replica, ld *load) {
	t.Helper()
	survivors := []int{0, 1}
	info, err := cls[0].Execute(auth, "SELECT k, v FROM t")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for i, ep := range info.Endpoint {
		r := survivors[i%len(survivors)]
		keys, vals, err := readIntString(auth, cls[r], ep.Ticket)
		if err != nil {
			t.Fatalf("final read, endpoint %d on replica %d: %v", i, r+1, err)
		}
		for j, k := range keys {
			seen[k]++
			w := int(k/keySpan) - 1 // -1: a seed row
			if want := value(w, k); vals[j] != want {
				t.Fatalf("key %d: v %q, want %q", k, vals[j], want)
			}
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("key %d read %d times, want once", k, n)
		}
		if k >= seedRows && !ld.ackedKeys[k] {
			t.Fatalf("key %d was never written", k)
		}
	}
	for k := range ld.ackedKeys {
		if seen[k] != 1 {
			t.Fatalf("acknowledged key %d read %d times, want once", k, seen[k])
		}
	}
	if want := seedRows + ld.rows; len(seen) != want {
		t.Fatalf("final read: %d rows, want %d", len(seen), want)
	}

	// The history is gapless: versions 0..head, each once.
	hinfo, err := cls[1].Execute(auth, `SELECT version, operation FROM "t$history"`)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	ops := map[string]int{}
	for _, ep := range hinfo.Endpoint {
		vs, names, err := readIntString(auth, cls[1], ep.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, vs...)
		for _, op := range names {
			ops[op]++
		}
	}
	slices.Sort(versions)
	for i, v := range versions {
		if v != int64(i) {
			t.Fatalf("t$history: versions %v...: version %d missing or repeated", versions[:min(len(versions), i+2)], i)
		}
	}
	// Each acknowledged INSERT committed once; a retried one whose first
	// attempt committed before its answer was lost committed twice.
	writes := seedRows/perInsert + ld.acked
	if ops["upsert"] < writes || ops["upsert"] > writes+ld.retries {
		t.Fatalf("t$history has %d upserts, want %d acknowledged writes plus at most %d retried ones (operations %v)",
			ops["upsert"], writes, ld.retries, ops)
	}
	t.Logf("final: %d rows, each once; t$history versions 0..%d gapless (%v)", len(seen), versions[len(versions)-1], ops)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range survivors {
		if err := reps[r].healthy(ctx); err != nil {
			t.Fatalf("replica %d /healthz: %v", r+1, err)
		}
	}
}

// insertSQL is the INSERT of keys by writer w (-1: the seed rows).
func insertSQL(w int, keys []int64) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO t VALUES ")
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, %d, '%s')", k, w, value(w, k))
	}
	return sb.String()
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func value(w int, k int64) string { return fmt.Sprintf("w%d-k%d", w, k) }

func mustExec(t *testing.T, ctx context.Context, c *flightsql.Client, q string) int64 {
	t.Helper()
	n, err := c.ExecuteUpdate(ctx, q)
	if err != nil {
		t.Fatalf("%.80s: %v", q, err)
	}
	return n
}

// readIntString reads a ticket whose first two columns are a BIGINT and a
// VARCHAR.
func readIntString(ctx context.Context, c *flightsql.Client, tk *flight.Ticket) ([]int64, []string, error) {
	r, err := c.DoGet(ctx, tk)
	if err != nil {
		return nil, nil, err
	}
	defer r.Release()
	var ints []int64
	var strs []string
	for r.Next() {
		rec := r.RecordBatch()
		a, ok := rec.Column(0).(*array.Int64)
		b, ok2 := rec.Column(1).(*array.String)
		if !ok || !ok2 {
			return nil, nil, fmt.Errorf("columns %s, %s; want int64, utf8", rec.Column(0).DataType(), rec.Column(1).DataType())
		}
		for i := range a.Len() {
			ints = append(ints, a.Value(i))
			strs = append(strs, b.Value(i))
		}
	}
	if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	return ints, strs, nil
}

// readInt64 reads a ticket whose first column is a BIGINT.
func readInt64(ctx context.Context, c *flightsql.Client, tk *flight.Ticket) ([]int64, error) {
	r, err := c.DoGet(ctx, tk)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	var out []int64
	for r.Next() {
		a, ok := r.RecordBatch().Column(0).(*array.Int64)
		if !ok {
			return nil, fmt.Errorf("column %s, want int64", r.RecordBatch().Column(0).DataType())
		}
		out = append(out, a.Int64Values()...)
	}
	if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return out, nil
}
