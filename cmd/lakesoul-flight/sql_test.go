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
