package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
)

// whoamiServer is a Flight SQL service whose catalog list is the calling
// user, as auth.UserFromContext reports it ("<none>" without one). It
// answers GetFlightInfo (unary) and DoGet (stream).
type whoamiServer struct {
	flightsql.BaseServer
}

func (s *whoamiServer) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return &flight.FlightInfo{
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: desc.Cmd}}},
		Schema:           flight.SerializeSchema(schema_ref.Catalogs, memory.DefaultAllocator),
		TotalRecords:     -1,
		TotalBytes:       -1,
	}, nil
}

func (s *whoamiServer) DoGetCatalogs(ctx context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	user, ok := auth.UserFromContext(ctx)
	if !ok {
		user = "<none>"
	}
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Append(user)
	col := b.NewArray()
	defer col.Release()
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: array.NewRecordBatch(schema_ref.Catalogs, []arrow.Array{col}, 1)}
	close(ch)
	return schema_ref.Catalogs, ch, nil
}

// countingUsers counts the password checks that reach the store.
type countingUsers struct {
	auth.UserStore
	n atomic.Int64
}

func (c *countingUsers) Verify(user, password string) bool {
	c.n.Add(1)
	return c.UserStore.Verify(user, password)
}

// startServer serves the whoami service and the gRPC health service behind
// a's interceptors on a loopback port and returns its address.
func startServer(t testing.TB, a *auth.Authenticator, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts,
		grpc.ChainUnaryInterceptor(a.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(a.StreamInterceptor()))
	g := grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(g, flightsql.NewFlightServer(&whoamiServer{}))
	healthpb.RegisterHealthServer(g, health.NewServer())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = g.Serve(lis)
	}()
	t.Cleanup(func() {
		g.Stop()
		<-done
	})
	return lis.Addr().String()
}

func newClient(t testing.TB, addr string, creds credentials.TransportCredentials, authHandler flight.ClientAuthHandler) *flightsql.Client {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	cl, err := flightsql.NewClient(addr, authHandler, nil, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func withAuthorization(ctx context.Context, value string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", value)
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// whoami runs GetCatalogs and its DoGet and returns the catalog name.
func whoami(ctx context.Context, cl *flightsql.Client, opts ...grpc.CallOption) (string, error) {
	info, err := cl.GetCatalogs(ctx, opts...)
	if err != nil {
		return "", err
	}
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		return "", err
	}
	defer rdr.Release()
	var names []string
	for rdr.Next() {
		col := rdr.RecordBatch().Column(0).(*array.String)
		for i := range col.Len() {
			names = append(names, col.Value(i))
		}
	}
	if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.Join(names, ","), nil
}

// rawHandshake calls Handshake with ctx's metadata, sends msgs, closes the
// send side and returns the response headers and payload.
func rawHandshake(ctx context.Context, cl *flightsql.Client, msgs ...*flight.HandshakeRequest) (metadata.MD, []byte, error) {
	var hdr metadata.MD
	stream, err := cl.Client.Handshake(ctx, grpc.Header(&hdr))
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			return nil, nil, err
		}
	}
	if err := stream.CloseSend(); err != nil {
		return nil, nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return hdr, nil, err
	}
	if _, err := stream.Recv(); err != io.EOF {
		return hdr, nil, errors.Join(errors.New("handshake sent more than one response"), err)
	}
	return hdr, resp.Payload, nil
}

func wantUnauthenticated(t *testing.T, err error, msg string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), msg) {
		t.Fatalf("got %v, want Unauthenticated mentioning %q", err, msg)
	}
}

func TestBasicHandshake(t *testing.T) {
	a := newAuth(t, auth.Config{Secret: secretA, Users: auth.SingleUser("alice", "pw")})
	cl := newClient(t, startServer(t, a), nil, nil)
	ctx := ctxT(t)

	// What the JDBC driver does: Basic header, one empty message, bearer
	// from the response headers.
	hdr, payload, err := rawHandshake(withAuthorization(ctx, basic("alice", "pw")), cl, &flight.HandshakeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := hdr.Get("authorization")
	if len(got) != 1 || got[0] != "Bearer "+string(payload) {
		t.Fatalf("authorization header %q, payload %q", got, payload)
	}
	if user, err := a.Verify(string(payload)); err != nil || user != "alice" {
		t.Fatalf("token verifies as %q, %v", user, err)
	}
	if user, err := whoami(withAuthorization(ctx, got[0]), cl); err != nil || user != "alice" {
		t.Fatalf("call with the bearer token: %q, %v", user, err)
	}

	// What ADBC does: arrow-go's AuthenticateBasicToken (unpadded base64,
	// no message) needs the header on the response.
	authCtx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if user, err := whoami(authCtx, cl); err != nil || user != "alice" {
		t.Fatalf("after AuthenticateBasicToken: %q, %v", user, err)
	}
}

func TestRejected(t *testing.T) {
	clk := newFakeClock()
	a := newAuth(t, auth.Config{Secret: secretA, Users: auth.SingleUser("alice", "pw"), TokenTTL: time.Hour, Now: clk.Now})
	cl := newClient(t, startServer(t, a), nil, nil)
	ctx := ctxT(t)

	_, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "wrong")
	wantUnauthenticated(t, err, "invalid user name or password")
	_, err = cl.Client.AuthenticateBasicToken(ctx, "mallory", "pw")
	wantUnauthenticated(t, err, "invalid user name or password")
	_, err = whoami(withAuthorization(ctx, basic("alice", "wrong")), cl)
	wantUnauthenticated(t, err, "invalid user name or password")

	_, err = whoami(ctx, cl)
	wantUnauthenticated(t, err, "no credentials")
	_, _, err = rawHandshake(ctx, cl)
	wantUnauthenticated(t, err, "no credentials")
	// DoGet is a stream: the stream interceptor rejects it too.
	rdr, err := cl.DoGet(ctx, &flight.Ticket{Ticket: []byte("x")})
	if err == nil {
		rdr.Release()
	}
	wantUnauthenticated(t, err, "no credentials")

	for _, h := range []string{"Basic !!!", "Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")), "Digest abc", "Bearer "} {
		_, err = whoami(withAuthorization(ctx, h), cl)
		wantUnauthenticated(t, err, "malformed authorization header")
	}

	tok, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	tampered := tok[:len(tok)-4] + strings.Map(func(r rune) rune { return r ^ 1 }, tok[len(tok)-4:])
	_, err = whoami(withAuthorization(ctx, "Bearer "+tampered), cl)
	wantUnauthenticated(t, err, "invalid token")
	_, _, err = rawHandshake(withAuthorization(ctx, "Bearer "+tampered), cl)
	wantUnauthenticated(t, err, "invalid token")

	clk.Advance(time.Hour + time.Second)
	_, err = whoami(withAuthorization(ctx, "Bearer "+tok), cl)
	wantUnauthenticated(t, err, "token expired")
	_, _, err = rawHandshake(withAuthorization(ctx, "Bearer "+tok), cl)
	wantUnauthenticated(t, err, "token expired")
}

func TestSharedSecret(t *testing.T) {
	users := auth.SingleUser("alice", "pw")
	issuer := newAuth(t, auth.Config{Secret: secretA, Users: users})
	replica := newAuth(t, auth.Config{Secret: secretA, Users: users})
	stranger := newAuth(t, auth.Config{Secret: secretB, Users: users})
	tok, err := issuer.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	ctx := withAuthorization(ctxT(t), "Bearer "+tok)
	if user, err := whoami(ctx, newClient(t, startServer(t, replica), nil, nil)); err != nil || user != "alice" {
		t.Fatalf("replica: %q, %v", user, err)
	}
	_, err = whoami(ctx, newClient(t, startServer(t, stranger), nil, nil))
	wantUnauthenticated(t, err, "invalid token")
}

func TestBearerHandshake(t *testing.T) {
	a := newAuth(t, auth.Config{Secret: secretA, Users: auth.SingleUser("alice", "pw")})
	cl := newClient(t, startServer(t, a), nil, nil)
	tok, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	// The JDBC driver with token=: Bearer on Handshake and on every call.
	hdr, payload, err := rawHandshake(withAuthorization(ctxT(t), "Bearer "+tok), cl, &flight.HandshakeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := hdr.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+tok || string(payload) != tok {
		t.Fatalf("header %q, payload %q; want the same token back", got, payload)
	}
}

func TestPayloadHandshake(t *testing.T) {
	a := newAuth(t, auth.Config{Secret: secretA, Users: auth.SingleUser("alice", "pw")})
	addr := startServer(t, a)
	ctx := ctxT(t)

	// A raw classic handshake: the BasicAuth message, answered before the
	// client closes its side.
	cl := newClient(t, addr, nil, nil)
	stream, err := cl.Client.Handshake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := proto.Marshal(&flight.BasicAuth{Username: "alice", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&flight.HandshakeRequest{Payload: payload}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if user, err := a.Verify(string(resp.Payload)); err != nil || user != "alice" {
		t.Fatalf("payload token: %q, %v", user, err)
	}
	hdr, err := stream.Header()
	if err != nil || len(hdr.Get("authorization")) != 1 {
		t.Fatalf("header %v, %v", hdr, err)
	}
	_ = stream.CloseSend()

	// arrow-go's ClientAuthHandler: the token then travels as auth-token-bin.
	h := &basicAuthHandler{user: "alice", pass: "pw"}
	cl2 := newClient(t, addr, nil, h)
	if err := cl2.Client.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	if user, err := whoami(ctx, cl2); err != nil || user != "alice" {
		t.Fatalf("auth-token-bin call: %q, %v", user, err)
	}

	bad := &basicAuthHandler{user: "alice", pass: "nope"}
	wantUnauthenticated(t, newClient(t, addr, nil, bad).Client.Authenticate(ctx), "invalid user name or password")
	_, _, err = rawHandshake(ctx, cl, &flight.HandshakeRequest{Payload: []byte{0xff, 0xff}})
	wantUnauthenticated(t, err, "malformed handshake payload")
}

// basicAuthHandler is a classic Flight client auth handler: it sends a
// BasicAuth message and keeps the token the server answers with.
type basicAuthHandler struct {
	user, pass string
	token      []byte
}

func (h *basicAuthHandler) Authenticate(_ context.Context, c flight.AuthConn) error {
	b, err := proto.Marshal(&flight.BasicAuth{Username: h.user, Password: h.pass})
	if err != nil {
		return err
	}
	if err := c.Send(b); err != nil {
		return err
	}
	h.token, err = c.Read()
	return err
}

func (h *basicAuthHandler) GetToken(context.Context) (string, error) { return string(h.token), nil }

func TestBasicOnEveryCall(t *testing.T) {
	users := &countingUsers{UserStore: auth.SingleUser("alice", "pw")}
	clk := newFakeClock()
	a := newAuth(t, auth.Config{Secret: secretA, Users: users, CacheTTL: time.Minute, Now: clk.Now})
	cl := newClient(t, startServer(t, a), nil, nil)
	ctx := withAuthorization(ctxT(t), basic("alice", "pw"))
	for i := range 5 {
		var hdr metadata.MD
		user, err := whoami(ctx, cl, grpc.Header(&hdr))
		if err != nil || user != "alice" {
			t.Fatalf("call %d: %q, %v", i, user, err)
		}
		// The response offers a bearer token to switch to.
		got := hdr.Get("authorization")
		if len(got) != 1 || !strings.HasPrefix(got[0], "Bearer ") {
			t.Fatalf("call %d: authorization header %q", i, got)
		}
		if u, err := a.Verify(strings.TrimPrefix(got[0], "Bearer ")); err != nil || u != "alice" {
			t.Fatalf("call %d: offered token: %q, %v", i, u, err)
		}
	}
	// Ten authenticated calls (GetFlightInfo and DoGet, five times), one
	// password check: the rest came from the cache.
	if n := users.n.Load(); n != 1 {
		t.Fatalf("%d password checks reached the store, want 1", n)
	}
	// A cached entry expires; failures are never cached.
	clk.Advance(time.Minute)
	if _, err := whoami(ctx, cl); err != nil {
		t.Fatal(err)
	}
	if n := users.n.Load(); n != 2 {
		t.Fatalf("after the cache TTL: %d password checks, want 2", n)
	}
	for range 2 {
		_, err := whoami(withAuthorization(ctxT(t), basic("alice", "other")), cl)
		wantUnauthenticated(t, err, "invalid user name or password")
	}
	if n := users.n.Load(); n != 4 {
		t.Fatalf("after two failures: %d password checks, want 4", n)
	}
}

func TestDisabled(t *testing.T) {
	a := newAuth(t, auth.Config{Secret: secretA})
	if a.Enabled() {
		t.Fatal("authentication enabled without users")
	}
	cl := newClient(t, startServer(t, a), nil, nil)
	ctx := ctxT(t)
	for name, hctx := range map[string]context.Context{
		"no credentials": ctx,
		"any password":   withAuthorization(ctx, basic("bob", "whatever")),
		"garbage":        withAuthorization(ctx, "Digest x"),
	} {
		hdr, payload, err := rawHandshake(hctx, cl)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := hdr.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+string(payload) {
			t.Fatalf("%s: header %q payload %q", name, got, payload)
		}
		if user, err := a.Verify(string(payload)); err != nil || user != auth.AnonymousUser {
			t.Fatalf("%s: token for %q, %v", name, user, err)
		}
	}
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "x", "y"); err != nil {
		t.Fatalf("AuthenticateBasicToken: %v", err)
	}
	if user, err := whoami(ctx, cl); err != nil || user != "<none>" {
		t.Fatalf("unauthenticated call: %q, %v", user, err)
	}
}

func TestHealthWithoutCredentials(t *testing.T) {
	a := newAuth(t, auth.Config{Secret: secretA, Users: auth.SingleUser("alice", "pw")})
	conn, err := grpc.NewClient(startServer(t, a), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctxT(t), &healthpb.HealthCheckRequest{})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health check: %v, %v", resp, err)
	}
}
