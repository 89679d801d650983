package flightsql_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/driver"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(miniotest.StopAfterRun(m),
		goleak.IgnoreAnyFunction("github.com/marcboeker/go-duckdb.(*Connector).Connect"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// server is a lakesoul-flight service on a real gRPC listener, over a real
// embedded etcd and a warehouse.
type server struct {
	addr string
	cat  *catalog.Catalog
	st   lsio.Storage
	srv  *lsflight.Server
	mem  *memory.CheckedAllocator
}

type serverOpts struct {
	storage lsio.Storage
	auth    *auth.Authenticator
	tls     credentials.TransportCredentials
	cfg     func(*lsflight.Config)
	// etcd, when set, is the etcd the server's catalog uses instead of a
	// new embedded one (servers sharing a catalog).
	etcd *clientv3.Client
	// access turns authentication on with the configured admin accessRoot
	// and the users created by SQL.
	access bool
}

// The configured admin of servers started with serverOpts.access.
const accessRoot, accessRootPassword = "root", "rootpw"

func startServer(t testing.TB, o serverOpts) *server {
	t.Helper()
	ctx := context.Background()
	st := o.storage
	if st == nil {
		l, err := lsio.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		st = l
	}
	ccfg := catalog.DefaultConfig()
	ccfg.Client = o.etcd
	if ccfg.Client == nil {
		ccfg.Client = etcdtest.Start(t)
	}
	ccfg.Manifests = txn.ManifestStore(st)
	cat, err := catalog.New(ctx, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	w, err := txn.New(txn.Config{Catalog: cat, Storage: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	cfg := lsflight.Config{Catalog: cat, Storage: st, Writer: w, Allocator: mem,
		Logger: slog.New(slog.DiscardHandler), Secret: []byte("0123456789abcdef0123456789abcdef")}
	if o.access {
		cfg.Admins = []string{accessRoot}
		cfg.PasswordCost = bcrypt.MinCost
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	srv, err := lsflight.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.access {
		o.auth, err = auth.New(auth.Config{Secret: cfg.Secret, CacheTTL: -1,
			Users: auth.Chain(auth.SingleUser(accessRoot, accessRootPassword), srv.UserStore())})
		if err != nil {
			t.Fatal(err)
		}
	}
	var opts []grpc.ServerOption
	if o.tls != nil {
		opts = append(opts, grpc.Creds(o.tls))
	}
	if o.auth != nil {
		opts = append(opts, grpc.ChainUnaryInterceptor(o.auth.UnaryInterceptor()), grpc.ChainStreamInterceptor(o.auth.StreamInterceptor()))
	}
	opts = append(opts, srv.ServerOptions()...)
	g := grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(g, srv.FlightService())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(func() {
		g.Stop()
		_ = srv.Close()
		mem.AssertSize(t, 0)
	})
	return &server{addr: lis.Addr().String(), cat: cat, st: st, srv: srv, mem: mem}
}

// client connects arrow-go's Flight SQL client, keeping session cookies.
func (s *server) client(t testing.TB, opts ...grpc.DialOption) *flightsql.Client {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	c, err := flightsql.NewClient(s.addr, nil, []flight.ClientMiddleware{flight.NewClientCookieMiddleware()}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// db opens the database/sql driver on the server.
func (s *server) db(t testing.TB) *sql.DB {
	t.Helper()
	cfg := driver.DriverConfig{Address: s.addr, Timeout: 30 * time.Second, Params: map[string]string{}}
	db, err := sql.Open("flightsql", cfg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// exec runs an update statement and fails the test on error.
func exec(t testing.TB, c *flightsql.Client, q string) int64 {
	t.Helper()
	n, err := c.ExecuteUpdate(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// readAll reads every endpoint of info, in order, into one table of rows.
func readAll(t testing.TB, c *flightsql.Client, info *flight.FlightInfo) (*arrow.Schema, [][]any) {
	t.Helper()
	ctx := context.Background()
	var sch *arrow.Schema
	var rows [][]any
	for _, ep := range info.Endpoint {
		r, err := c.DoGet(ctx, ep.Ticket)
		if err != nil {
			t.Fatalf("DoGet: %v", err)
		}
		sch = r.Schema()
		for r.Next() {
			rows = append(rows, recordRows(r.RecordBatch())...)
		}
		if err := r.Err(); err != nil {
			t.Fatalf("reading stream: %v", err)
		}
		r.Release()
	}
	return sch, rows
}

// query runs a query through GetFlightInfo and DoGet.
func query(t testing.TB, c *flightsql.Client, q string) [][]any {
	t.Helper()
	info, err := c.Execute(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	_, rows := readAll(t, c, info)
	return rows
}

// recordRows turns a record into rows of Go values.
func recordRows(rec arrow.RecordBatch) [][]any {
	out := make([][]any, rec.NumRows())
	for i := range out {
		row := make([]any, rec.NumCols())
		for c := range row {
			col := rec.Column(c)
			if col.IsNull(i) {
				continue
			}
			switch a := col.(type) {
			case *array.Int64:
				row[c] = a.Value(i)
			case *array.Int32:
				row[c] = int64(a.Value(i))
			case *array.Float64:
				row[c] = a.Value(i)
			case *array.String:
				row[c] = a.Value(i)
			case *array.Boolean:
				row[c] = a.Value(i)
			default:
				row[c] = a.ValueStr(i)
			}
		}
		out[i] = row
	}
	return out
}

// setSchema sets the session schema through SetSessionOptions and waits
// until the client sends the new session cookie. arrow-go's cookie
// middleware can drop the cookie of a DoAction: when the stream's context
// ends before the read of its end, the middleware sees a cancelled call
// and ignores the headers. Setting the option again is harmless.
func setSchema(t testing.TB, c *flightsql.Client, schema string) {
	t.Helper()
	ctx := context.Background()
	for range 20 {
		res, err := c.SetSessionOptions(ctx, &flight.SetSessionOptionsRequest{SessionOptions: map[string]*flight.SessionOptionValue{
			"schema": {OptionValue: &pb.SessionOptionValue_StringValue{StringValue: schema}},
		}})
		if err != nil || len(res.Errors) > 0 {
			t.Fatalf("SetSessionOptions(schema = %s): %v %v", schema, res, err)
		}
		opts, err := c.GetSessionOptions(ctx, &flight.GetSessionOptionsRequest{})
		if err != nil {
			t.Fatalf("GetSessionOptions: %v", err)
		}
		if opts.SessionOptions["schema"].GetStringValue() == schema {
			return
		}
	}
	t.Fatalf("the session schema never became %s", schema)
}
