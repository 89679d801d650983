package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
)

// scriptedServer is a Flight SQL service with canned answers, to test the
// sql sub-command without depending on the real SQL engine: a query gets
// two endpoints with rows (1, 'a'), (2, NULL) and (3, '数据'); an update
// affects 3 rows; any statement containing "fail" is rejected. It records
// the statements it saw.
type scriptedServer struct {
	flightsql.BaseServer
	mu   sync.Mutex
	seen []string
}

var scriptedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func (s *scriptedServer) see(q string) error {
	s.mu.Lock()
	s.seen = append(s.seen, q)
	s.mu.Unlock()
	if strings.Contains(q, "fail") {
		return status.Errorf(codes.InvalidArgument, "cannot run %q", q)
	}
	return nil
}

func (s *scriptedServer) statements() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *scriptedServer) GetFlightInfoStatement(_ context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if err := s.see(cmd.GetQuery()); err != nil {
		return nil, err
	}
	info := &flight.FlightInfo{
		FlightDescriptor: desc,
		Schema:           flight.SerializeSchema(scriptedSchema, memory.DefaultAllocator),
		TotalRecords:     3,
		TotalBytes:       -1,
	}
	for _, part := range []string{"0", "1"} {
		tkt, err := flightsql.CreateStatementQueryTicket([]byte(part))
		if err != nil {
			return nil, err
		}
		info.Endpoint = append(info.Endpoint, &flight.FlightEndpoint{Ticket: &flight.Ticket{Ticket: tkt}})
	}
	return info, nil
}

func (s *scriptedServer) DoGetStatement(_ context.Context, tkt flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	ids := array.NewInt64Builder(memory.DefaultAllocator)
	defer ids.Release()
	names := array.NewStringBuilder(memory.DefaultAllocator)
	defer names.Release()
	if string(tkt.GetStatementHandle()) == "0" {
		ids.AppendValues([]int64{1, 2}, nil)
		names.AppendValues([]string{"a", ""}, []bool{true, false})
	} else {
		ids.Append(3)
		names.Append("数据")
	}
	idArr, nameArr := ids.NewArray(), names.NewArray()
	defer idArr.Release()
	defer nameArr.Release()
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: array.NewRecordBatch(scriptedSchema, []arrow.Array{idArr, nameArr}, int64(idArr.Len()))}
	close(ch)
	return scriptedSchema, ch, nil
}

func (s *scriptedServer) DoPutCommandStatementUpdate(_ context.Context, cmd flightsql.StatementUpdate) (int64, error) {
	if err := s.see(cmd.GetQuery()); err != nil {
		return 0, err
	}
	return 3, nil
}

// startScripted serves a scriptedServer behind authentication for user
// "u" with password "p".
func startScripted(t *testing.T) (*scriptedServer, string) {
	t.Helper()
	a, err := auth.New(auth.Config{Users: auth.SingleUser("u", "p"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(a.UnaryInterceptor()), grpc.ChainStreamInterceptor(a.StreamInterceptor()))
	srv := &scriptedServer{}
	flight.RegisterFlightServiceServer(g, flightsql.NewFlightServer(srv))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = g.Serve(lis)
	}()
	t.Cleanup(func() {
		g.Stop()
		<-done
	})
	return srv, lis.Addr().String()
}

const scriptedTable = "" +
	" id | name\n" +
	"----+------\n" +
	"  1 | a\n" +
	"  2 | NULL\n" +
	"  3 | 数据\n" +
	"(3 rows)\n"

func runSQL(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = mainArgs(ctxT(t), append([]string{"sql"}, args...), strings.NewReader(stdin), &out, &errOut,
		env(map[string]string{"LAKESOUL_USER": "u", "LAKESOUL_PASSWORD": "p"}))
	return code, out.String(), errOut.String()
}

func TestSQLExec(t *testing.T) {
	srv, addr := startScripted(t)
	code, out, errOut := runSQL(t, "", "--addr", addr, "-e", "select * from t; insert into t values (';'); -- done")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := scriptedTable + "OK, 3 rows affected\n"; out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if got := srv.statements(); len(got) != 2 || got[0] != "select * from t" || got[1] != "insert into t values (';')" {
		t.Fatalf("statements sent: %q", got)
	}

	// The first error stops -e, with the status message and code, exit 1.
	code, out, errOut = runSQL(t, "", "--addr", addr, "-e", "insert fail; select 1")
	if code != 1 || out != "" || errOut != "ERROR: cannot run \"insert fail\" (InvalidArgument)\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Wrong credentials fail at connect.
	code, _, errOut = runSQL(t, "", "--addr", addr, "--password", "wrong", "-e", "select 1")
	if code != 1 || !strings.Contains(errOut, "invalid user name or password (Unauthenticated)") {
		t.Fatalf("wrong password: exit %d, stderr %q", code, errOut)
	}
}

func TestSQLStdin(t *testing.T) {
	srv, addr := startScripted(t)
	// Statements span lines and end at ';'; the last needs none.
	code, out, errOut := runSQL(t, "select *\n  from t;\n\ninsert into t\nvalues (1);  select 2", "--addr", addr)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := scriptedTable + "OK, 3 rows affected\n" + scriptedTable; out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if got := srv.statements(); len(got) != 3 || got[0] != "select *\n  from t" {
		t.Fatalf("statements sent: %q", got)
	}

	// Piped statements stop at the first error.
	code, _, errOut = runSQL(t, "select fail;\nselect 1;\n", "--addr", addr)
	if code != 1 || !strings.Contains(errOut, "(InvalidArgument)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if got := srv.statements(); len(got) != 4 {
		t.Fatalf("statements after the error ran: %q", got)
	}
}

func TestSQLInteractive(t *testing.T) {
	_, addr := startScripted(t)
	s, err := connect(ctxT(t), sqlConfig{Addr: addr, User: "u", Password: "p"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var out, errOut strings.Builder
	s.out, s.err = &out, &errOut
	ok := s.readLoop(ctxT(t), strings.NewReader("select fail;\nselect\n* from t;\nquit\nselect 2;\n"), true)
	if !ok {
		t.Fatal("interactive loop reported failure")
	}
	// Errors do not end an interactive session; a continuation prompt
	// shows an unfinished statement; quit ends it.
	want := prompt + prompt + continuationPrompt + scriptedTable + prompt
	if out.String() != want {
		t.Fatalf("stdout:\n%q\nwant:\n%q", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "(InvalidArgument)") {
		t.Fatalf("stderr %q", errOut.String())
	}
}

func TestHashPassword(t *testing.T) {
	var out, errOut strings.Builder
	if code := mainArgs(ctxT(t), []string{"hash-password", "alice"}, strings.NewReader("s3cret\n"), &out, &errOut, env(nil)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	users, err := auth.ParseUsers(strings.NewReader(out.String()), "output")
	if err != nil {
		t.Fatal(err)
	}
	if !users.Verify("alice", "s3cret") {
		t.Fatalf("line %q does not verify", out.String())
	}
	if code := mainArgs(ctxT(t), []string{"hash-password"}, strings.NewReader(""), &out, &errOut, env(nil)); code != 2 {
		t.Fatalf("no user: exit %d", code)
	}
}

func TestMainArgs(t *testing.T) {
	var out, errOut strings.Builder
	if code := mainArgs(ctxT(t), []string{"version"}, nil, &out, &errOut, env(nil)); code != 0 || !strings.HasPrefix(out.String(), "lakesoul-flight ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := mainArgs(ctxT(t), []string{"frobnicate"}, nil, &out, &errOut, env(nil)); code != 2 || !strings.Contains(errOut.String(), "unknown sub-command") {
		t.Fatalf("unknown: %d %q", code, errOut.String())
	}
	out.Reset()
	if code := mainArgs(ctxT(t), []string{"--help"}, nil, &out, &errOut, env(nil)); code != 0 || !strings.Contains(out.String(), "LAKESOUL_LISTEN") {
		t.Fatalf("--help: %d %q", code, out.String())
	}
	out.Reset()
	if code := mainArgs(ctxT(t), []string{"sql", "--help"}, nil, &out, &errOut, env(nil)); code != 0 || !strings.Contains(out.String(), "LAKESOUL_ADDR") {
		t.Fatalf("sql --help: %d %q", code, out.String())
	}
	if code := mainArgs(ctxT(t), []string{"--listen", "0.0.0.0:1"}, nil, &out, &errOut, env(nil)); code != 2 || !strings.Contains(errOut.String(), "refusing") {
		t.Fatalf("public without auth: %d %q", code, errOut.String())
	}
}

// TestSQLSessionSchema: USE and SET schema hold for the statements after
// them in one run, DDL and queries alike, on a real server.
func TestSQLSessionSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short: starts embedded etcd")
	}
	r := startRun(t, testServeConfig(t, t.TempDir(), "--metrics-listen", "", "--user", "u", "--password", "p"))
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return runSQL(t, stdin, append([]string{"--addr", r.addr}, args...)...)
	}

	code, out, errOut := run("", "-e", "CREATE SCHEMA s; USE s; "+
		"CREATE TABLE t (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id)); "+
		"INSERT INTO t VALUES (1, 'a'), (2, 'b'); SELECT * FROM t ORDER BY id")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := "" +
		"OK, 0 rows affected\n" +
		"OK, 0 rows affected\n" +
		"OK, 0 rows affected\n" +
		"OK, 2 rows affected\n" +
		" id | v\n" +
		"----+---\n" +
		"  1 | a\n" +
		"  2 | b\n" +
		"(2 rows)\n"
	if out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}

	// The table is s.t; a new run starts in default, which has no t.
	code, out, errOut = run("", "-e", "SELECT count(*) AS n FROM s.t")
	if code != 0 || !strings.Contains(out, "\n 2\n") {
		t.Fatalf("s.t: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, q := range []string{`SELECT * FROM "default".t`, "SELECT * FROM t", "INSERT INTO t VALUES (3, 'c')"} {
		code, _, errOut = run("", "-e", q)
		if code != 1 || !strings.Contains(errOut, "(NotFound)") {
			t.Fatalf("%s: exit %d, stderr %q", q, code, errOut)
		}
	}

	// Statements on stdin: SET schema, then back to default; a USE that
	// fails leaves the session where it was.
	code, out, errOut = run("SET schema = 's';\nINSERT INTO t VALUES (3, 'c');\nUSE nope;\n")
	if code != 1 || !strings.Contains(errOut, "nope") {
		t.Fatalf("USE nope: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	s, err := connect(ctxT(t), sqlConfig{Addr: r.addr, User: "u", Password: "p"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var sout, serr strings.Builder
	s.out, s.err = &sout, &serr
	s.readLoop(ctxT(t), strings.NewReader("USE s;\nUSE nope;\nSELECT count(*) AS n FROM t;\nUSE default;\nSELECT count(*) AS n FROM t;\n"), true)
	if got := sout.String(); !strings.Contains(got, "\n 3\n") {
		t.Fatalf("count in s after a failed USE: stdout %q, stderr %q", got, serr.String())
	}
	if n := strings.Count(serr.String(), "ERROR"); n != 2 || !strings.Contains(serr.String(), "(NotFound)") {
		t.Fatalf("want errors for USE nope and t in default, stderr %q", serr.String())
	}
}

func TestSQLPlanLines(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	text := func(name string, vals []string, valid []bool) (*arrow.Schema, arrow.RecordBatch) {
		sch := arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(vals, valid)
		col := b.NewArray()
		defer col.Release()
		return sch, array.NewRecordBatch(sch, []arrow.Array{col}, int64(col.Len()))
	}
	render := func(sch *arrow.Schema, recs ...arrow.RecordBatch) string {
		tbl := newTextTable(sch)
		for _, rec := range recs {
			tbl.appendRecord(rec)
			rec.Release()
		}
		var b strings.Builder
		if err := tbl.write(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}

	// A plan: its lines, as they are, over several batches; NULL is an
	// empty line, a value with line breaks is several lines, and control
	// characters are escaped.
	sch, first := text("plan", []string{"Projection: id, v", "  Filter: id > 1"}, nil)
	_, second := text("plan", []string{"", "    Scan: s.t\n      files: 2\n", "\x1b[31m"}, []bool{false, true, true})
	want := "" +
		"Projection: id, v\n" +
		"  Filter: id > 1\n" +
		"\n" +
		"    Scan: s.t\n" +
		"      files: 2\n" +
		`\x1b[31m` + "\n"
	if got := render(sch, first, second); got != want {
		t.Fatalf("plan:\n%q\nwant:\n%q", got, want)
	}
	sch, rec := text("EXPLAIN", []string{"Scan: t"}, nil)
	if got := render(sch, rec); got != "Scan: t\n" {
		t.Fatalf("explain: %q", got)
	}

	// Anything else is a table: another name, or a plan column among
	// others.
	sch, rec = text("plans", []string{"Scan: t"}, nil)
	if got, want := render(sch, rec), " plans\n---------\n Scan: t\n(1 row)\n"; got != want {
		t.Fatalf("column plans:\n%q\nwant:\n%q", got, want)
	}
	two := arrow.NewSchema([]arrow.Field{
		{Name: "plan", Type: arrow.BinaryTypes.String},
		{Name: "cost", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	if isPlan(two) {
		t.Fatal("two columns taken for a plan")
	}
	num := arrow.NewSchema([]arrow.Field{{Name: "plan", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if isPlan(num) {
		t.Fatal("a numeric column taken for a plan")
	}
}

func TestUseSchema(t *testing.T) {
	for _, tc := range []struct {
		stmt, schema string
		ok           bool
	}{
		{"USE s", "s", true},
		{"-- switch\n  use Sales", "sales", true},
		{`USE "Sales"`, "Sales", true},
		{"SET schema = 'x'", "x", true},
		{"SET search_path TO y", "y", true},
		{"SELECT 1", "", false},
		{"UPDATE t SET v = 1", "", false},
		{"USE", "", false},
		{"us", "", false},
	} {
		if got, ok := useSchema(tc.stmt); got != tc.schema || ok != tc.ok {
			t.Errorf("%q: %q, %v; want %q, %v", tc.stmt, got, ok, tc.schema, tc.ok)
		}
	}
}
