package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth/authtest"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdembed"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a server started by startRun.
type running struct {
	addr, metrics string
	stdout        *syncBuffer
	stop          func() error
}

// testServeConfig parses serve flags for a test: loopback listeners on free
// ports and the given data directory, plus args.
func testServeConfig(t *testing.T, dataDir string, args ...string) serveConfig {
	t.Helper()
	base := []string{"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", dataDir, "--shutdown-timeout", "5s"}
	cfg, err := parseServeConfig(append(base, args...), env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startRun runs the server in the background until the returned stop is
// called (or the test ends) and waits until it serves.
func startRun(t *testing.T, cfg serveConfig) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, runEnv{
			Stdout: r.stdout,
			Logger: newLogger(t.Output(), cfg.LogLevel, cfg.LogFormat),
			Ready: func(addr, metrics string) {
				r.addr, r.metrics = addr, metrics
				close(ready)
			},
			EtcdConfig: func(c *etcdembed.Config) { c.Fast, c.UnsafeNoFsync = true, true },
		})
	}()
	var once sync.Once
	var stopErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("server did not stop within 30s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = r.stop() })
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start within 60s")
	}
	return r
}

func flightClient(t *testing.T, addr string, opts ...grpc.DialOption) *flightsql.Client {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	cl, err := flightsql.NewClient(addr, nil, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// checkCatalogs calls GetCatalogs, which must pass authentication, and
// reads its endpoints. The service may not implement it yet.
func checkCatalogs(t *testing.T, ctx context.Context, cl *flightsql.Client) {
	t.Helper()
	info, err := cl.GetCatalogs(ctx)
	if status.Code(err) == codes.Unimplemented {
		return
	}
	if err != nil {
		t.Fatalf("GetCatalogs: %v", err)
	}
	for _, ep := range info.Endpoint {
		rdr, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			t.Fatalf("DoGet catalogs: %v", err)
		}
		for rdr.Next() {
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			t.Fatalf("reading catalogs: %v", err)
		}
	}
}

func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short: starts embedded etcd")
	}
	dataDir := t.TempDir()
	cfg := testServeConfig(t, dataDir, "--user", "admin", "--password", "pw")
	r := startRun(t, cfg)
	ctx := ctxT(t)

	banner := r.stdout.String()
	for _, want := range []string{
		"Arrow Flight SQL on " + r.addr,
		"jdbc:arrow-flight-sql://" + r.addr + "?useEncryption=false&user=admin&password=<password>",
		"grpc://" + r.addr,
		"single user admin",
		"file://" + filepath.ToSlash(filepath.Join(dataDir, "warehouse")),
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, "pw") {
		t.Errorf("banner shows the password:\n%s", banner)
	}

	cl := flightClient(t, r.addr)
	authCtx, err := cl.Client.AuthenticateBasicToken(ctx, "admin", "pw")
	if err != nil {
		t.Fatal(err)
	}
	checkCatalogs(t, authCtx, cl)
	if _, err := cl.GetCatalogs(ctx); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("GetCatalogs without credentials: %v", err)
	}
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "admin", "nope"); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("wrong password: %v", err)
	}

	// The gRPC health service needs no credentials.
	conn, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v, %v", h, err)
	}

	if code, body := httpGet(t, "http://"+r.metrics+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	code, body := httpGet(t, "http://"+r.metrics+"/metrics")
	for _, want := range []string{"go_goroutines", "process_", `lakesoul_flight_auth_attempts_total{kind="basic",result="denied"} 1`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}

	// The generated secret is kept, private, and survives a restart: a
	// token from before still works.
	secretPath := filepath.Join(dataDir, "secret")
	fi, err := os.Stat(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", fi.Mode().Perm())
	}
	if err := r.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !strings.Contains(banner, "metrics:") {
		t.Errorf("banner lacks the metrics address")
	}

	r2 := startRun(t, cfg)
	cl2 := flightClient(t, r2.addr)
	checkCatalogs(t, authCtx, cl2) // authCtx carries the token of the first run
	if err := r2.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestServeNoAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short: starts embedded etcd")
	}
	r := startRun(t, testServeConfig(t, t.TempDir(), "--metrics-listen", ""))
	if r.metrics != "" || strings.Contains(r.stdout.String(), "metrics:") {
		t.Fatalf("metrics served although disabled: %q", r.metrics)
	}
	if banner := r.stdout.String(); strings.Contains(banner, "user=") || !strings.Contains(banner, "auth:      disabled") {
		t.Fatalf("banner:\n%s", banner)
	}
	ctx := ctxT(t)
	cl := flightClient(t, r.addr)
	// Drivers always handshake; it succeeds without credentials.
	authCtx, err := cl.Client.AuthenticateBasicToken(ctx, "anyone", "anything")
	if err != nil {
		t.Fatal(err)
	}
	checkCatalogs(t, authCtx, cl)
	checkCatalogs(t, ctx, cl)
}

func TestServeMutualTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short: starts embedded etcd")
	}
	certs := authtest.WriteCerts(t)
	r := startRun(t, testServeConfig(t, t.TempDir(), "--metrics-listen", "",
		"--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey, "--tls-client-ca", certs.CA,
		"--user", "admin", "--password", "pw"))
	banner := r.stdout.String()
	for _, want := range []string{"?useEncryption=true&user=admin", "grpc+tls://" + r.addr} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	ctx := ctxT(t)
	base := sqlConfig{Addr: r.addr, User: "admin", Password: "pw", TLS: true, TLSCA: certs.CA}

	// The sql client's connection: TLS, client certificate, Basic handshake.
	withCert := base
	withCert.TLSClientCert, withCert.TLSClientKey = certs.ClientCert, certs.ClientKey
	s, err := connect(ctx, withCert, io.Discard, io.Discard)
	if err != nil {
		t.Fatalf("connect with a client certificate: %v", err)
	}
	checkCatalogs(t, s.callCtx(ctx), s.cl)
	s.close()

	if s, err := connect(ctx, base, io.Discard, io.Discard); err == nil {
		s.close()
		t.Fatal("connected without a client certificate")
	}
	insecureCfg := sqlConfig{Addr: r.addr, User: "admin", Password: "pw"}
	if s, err := connect(ctx, insecureCfg, io.Discard, io.Discard); err == nil {
		s.close()
		t.Fatal("connected without TLS")
	}
}

func TestServeStartupErrors(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("admin:plaintext\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testServeConfig(t, dir, "--users-file", users, "--metrics-listen", "")
	err := run(ctxT(t), cfg, runEnv{Logger: newLogger(t.Output(), 0, "text"),
		EtcdConfig: func(c *etcdembed.Config) { c.Fast, c.UnsafeNoFsync = true, true }})
	if err == nil || !strings.Contains(err.Error(), "hash is not bcrypt") {
		t.Fatalf("bad users file: %v", err)
	}
}
