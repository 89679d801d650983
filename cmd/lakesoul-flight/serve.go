package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdembed"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/maintain"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// etcdTimeout bounds connecting to an external etcd at start.
const etcdTimeout = 15 * time.Second

// runEnv is what run needs from the process besides its configuration.
type runEnv struct {
	Stdout io.Writer    // the start banner
	Logger *slog.Logger // everything else
	// Ready, when set, is called once the server accepts calls, with the
	// bound Flight and metrics addresses (metrics "" when disabled).
	Ready func(flightAddr, metricsAddr string)
	// EtcdConfig, when set, adjusts the embedded etcd's configuration
	// (tests make it fast and skip fsync).
	EtcdConfig func(*etcdembed.Config)
	// CompactOnly runs table maintenance without the Flight SQL service
	// (the compact sub-command).
	CompactOnly bool
	// Maintain, when set, adjusts the maintenance service's configuration.
	Maintain func(*maintain.Config)
}

// closers runs cleanup functions in reverse order of registration.
type closers struct {
	lg  *slog.Logger
	fns []namedCloser
}

type namedCloser struct {
	name string
	fn   func() error
}

func (c *closers) add(name string, fn func() error) { c.fns = append(c.fns, namedCloser{name, fn}) }

func (c *closers) closeAll() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		if err := c.fns[i].fn(); err != nil {
			c.lg.Warn("shutdown: close failed", "component", c.fns[i].name, "error", err)
		}
	}
	c.fns = nil
}

// run starts the server, serves until ctx is done, then shuts down
// gracefully. It returns nil after a clean shutdown.
func run(ctx context.Context, cfg serveConfig, env runEnv) error {
	lg := env.Logger
	if lg == nil {
		lg = slog.Default()
	}
	cl := &closers{lg: lg}
	defer cl.closeAll()

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)

	cli, err := openEtcd(ctx, cfg, env, lg, cl, reg)
	if err != nil {
		return err
	}
	secret, err := resolveSecret(cfg, lg)
	if err != nil {
		return err
	}
	st, err := lsio.OpenURI(ctx, cfg.Warehouse, lsio.S3Config{
		Endpoint:  cfg.S3Endpoint,
		Region:    cfg.S3Region,
		AccessKey: cfg.S3AccessKey,
		SecretKey: cfg.S3SecretKey,
		Insecure:  cfg.S3Insecure,
	})
	if err != nil {
		return fmt.Errorf("warehouse %s: %w", cfg.Warehouse, err)
	}

	ccfg := catalog.DefaultConfig()
	ccfg.Client = cli
	ccfg.Prefix = cfg.EtcdPrefix
	ccfg.StateCacheSize = cfg.CatalogCache
	ccfg.Registerer = reg
	ccfg.Manifests = txn.ManifestStore(st)
	ccfg.Logger = lg.With("component", "catalog")
	cat, err := catalog.New(ctx, ccfg)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	cl.add("catalog", cat.Close)

	// The writer makes writes wait while a bucket has too many runs; the
	// maintenance service, created right after, decides.
	var svc *maintain.Service
	wcfg := txn.DefaultConfig()
	wcfg.Catalog = cat
	wcfg.Storage = st
	wcfg.Logger = lg.With("component", "txn")
	wcfg.Registerer = prometheus.WrapRegistererWith(prometheus.Labels{"writer": "serve"}, reg)
	wcfg.Throttle = func(ctx context.Context, tbl *catalog.Table, touched []txn.BucketRef) error {
		return svc.Throttle(ctx, tbl, touched)
	}
	writer, err := txn.New(wcfg)
	if err != nil {
		return fmt.Errorf("writer: %w", err)
	}
	// Maintenance writes with its own writer on half the cores, so that
	// compaction leaves room for the writes and reads it serves.
	mw := wcfg
	mw.Throttle = nil
	mw.Parallelism = max(1, runtime.GOMAXPROCS(0)/2)
	mw.Logger = lg.With("component", "maintain")
	mw.Registerer = prometheus.WrapRegistererWith(prometheus.Labels{"writer": "maintain"}, reg)
	mwriter, err := txn.New(mw)
	if err != nil {
		return fmt.Errorf("maintenance writer: %w", err)
	}
	mcfg := maintain.DefaultConfig()
	mcfg.Catalog, mcfg.Writer, mcfg.Etcd = cat, mwriter, cli
	mcfg.LockPrefix = cfg.EtcdPrefix + "maintain/"
	mcfg.Compaction, mcfg.Retention = cfg.Compaction, cfg.Compaction
	mcfg.OrphanGrace = cfg.OrphanGrace
	mcfg.Logger = lg.With("component", "maintain")
	mcfg.Registerer = reg
	if env.Maintain != nil {
		env.Maintain(&mcfg)
	}
	if svc, err = maintain.New(mcfg); err != nil {
		return fmt.Errorf("maintenance: %w", err)
	}
	if err := svc.Start(ctx); err != nil {
		return fmt.Errorf("maintenance: %w", err)
	}
	cl.add("maintenance", svc.Close)
	if env.CompactOnly {
		return runCompactOnly(ctx, cfg, env, lg, cl, cli, reg)
	}

	fcfg := flightsql.DefaultConfig()
	fcfg.Catalog = cat
	fcfg.Storage = st
	fcfg.Writer = writer
	fcfg.Secret = secret
	fcfg.Logger = lg.With("component", "flightsql")
	fcfg.Registerer = reg
	fcfg.FileCacheBytes = cfg.FileCacheMiB << 20
	if cfg.FileCacheMiB == 0 {
		fcfg.FileCacheBytes = -1
	}
	fcfg.Version = versionString()
	fcfg.Location = endpointLocation(cfg)
	cfgUsers, err := configUsers(cfg)
	if err != nil {
		return err
	}
	fcfg.Admins = auth.Names(cfgUsers)
	srv, err := flightsql.New(fcfg)
	if err != nil {
		return fmt.Errorf("flight sql service: %w", err)
	}
	cl.add("flight sql service", srv.Close)

	authn, err := newAuthenticator(cfg, secret, lg, reg, cfgUsers, srv.UserStore())
	if err != nil {
		return err
	}
	opts, err := grpcOptions(cfg, authn, lg)
	if err != nil {
		return err
	}
	g := grpc.NewServer(append(opts, srv.ServerOptions()...)...)
	flight.RegisterFlightServiceServer(g, srv.FlightService())
	hs := health.NewServer()
	healthpb.RegisterHealthServer(g, hs)

	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var stopping atomic.Bool
	metricsAddr := ""
	if cfg.MetricsListen != "" {
		mlis, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			_ = lis.Close()
			return fmt.Errorf("metrics listen: %w", err)
		}
		metricsAddr = mlis.Addr().String()
		shutdown := startHTTP(mlis, opsHandler(reg, cli, cfg.EtcdPrefix, &stopping))
		cl.add("metrics server", func() error { return shutdown(5 * time.Second) })
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- g.Serve(lis) }()
	printBanner(env.Stdout, cfg, lis.Addr(), metricsAddr)
	lg.Info("serving Arrow Flight SQL", "addr", lis.Addr().String(), "auth", cfg.authMode(), "tls", cfg.tls(),
		"warehouse", st.URI(), "version", versionString())
	if env.Ready != nil {
		env.Ready(lis.Addr().String(), metricsAddr)
	}

	select {
	case err := <-serveErr:
		g.Stop()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	lg.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	stopping.Store(true)
	hs.Shutdown()
	gracefulStop(g, cfg.ShutdownTimeout, lg)
	if err := <-serveErr; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		lg.Warn("serve ended with an error", "error", err)
	}
	cl.closeAll()
	lg.Info("stopped")
	return nil
}

// runCompactOnly serves /metrics and /healthz while the maintenance
// service works, until ctx is done.
func runCompactOnly(ctx context.Context, cfg serveConfig, env runEnv, lg *slog.Logger, cl *closers, cli *clientv3.Client, reg *prometheus.Registry) error {
	var stopping atomic.Bool
	metricsAddr := ""
	if cfg.MetricsListen != "" {
		mlis, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("metrics listen: %w", err)
		}
		metricsAddr = mlis.Addr().String()
		shutdown := startHTTP(mlis, opsHandler(reg, cli, cfg.EtcdPrefix, &stopping))
		cl.add("metrics server", func() error { return shutdown(5 * time.Second) })
	}
	lg.Info("running table maintenance", "metrics", metricsAddr, "version", versionString())
	if env.Ready != nil {
		env.Ready("", metricsAddr)
	}
	<-ctx.Done()
	lg.Info("shutting down")
	stopping.Store(true)
	cl.closeAll()
	lg.Info("stopped")
	return nil
}

// gracefulStop stops accepting calls and waits for those in flight, for at
// most timeout; then it cancels the rest.
func gracefulStop(g *grpc.Server, timeout time.Duration, lg *slog.Logger) {
	done := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		lg.Warn("calls still running after the shutdown timeout; cancelling them")
		g.Stop()
		<-done
	}
}

// openEtcd starts the embedded etcd or connects to the external cluster and
// registers their cleanup.
func openEtcd(ctx context.Context, cfg serveConfig, env runEnv, lg *slog.Logger, cl *closers, reg prometheus.Registerer) (*clientv3.Client, error) {
	if cfg.embedded() {
		ecfg := etcdembed.DefaultConfig()
		ecfg.Dir = filepath.Join(cfg.DataDir, "etcd")
		ecfg.Logger = lg.With("component", "etcd")
		if env.EtcdConfig != nil {
			env.EtcdConfig(&ecfg)
		}
		// Two servers on one directory would both wait in etcd for its
		// database lock: refuse at once instead.
		lock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		cl.add("data directory lock", lock.Close)
		es, err := etcdembed.Start(ctx, ecfg)
		if err != nil {
			return nil, fmt.Errorf("embedded etcd in %s: %w", ecfg.Dir, err)
		}
		cl.add("embedded etcd", es.Close)
		cli, err := es.Client()
		if err != nil {
			return nil, fmt.Errorf("embedded etcd client: %w", err)
		}
		cl.add("etcd client", cli.Close)
		return cli, nil
	}
	ccfg, err := etcdClientConfig(cfg)
	if err != nil {
		return nil, err
	}
	em, err := newEtcdMetrics(reg)
	if err != nil {
		return nil, err
	}
	ccfg.DialOptions = append(ccfg.DialOptions, em.dialOption())
	cli, err := clientv3.New(ccfg)
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", strings.Join(cfg.EtcdEndpoints, ","), err)
	}
	cl.add("etcd client", cli.Close)
	pctx, cancel := context.WithTimeout(ctx, etcdTimeout)
	defer cancel()
	if _, err := cli.Get(pctx, cfg.EtcdPrefix, clientv3.WithCountOnly(), clientv3.WithLimit(1)); err != nil {
		return nil, fmt.Errorf("etcd %s does not answer: %w", strings.Join(cfg.EtcdEndpoints, ","), err)
	}
	return cli, nil
}

// configUsers returns the users of the configuration (the users file or
// the single user), nil for none.
func configUsers(cfg serveConfig) (auth.UserStore, error) {
	switch {
	case cfg.UsersFile != "":
		return auth.LoadUsersFile(cfg.UsersFile)
	case cfg.User != "":
		return auth.SingleUser(cfg.User, cfg.Password), nil
	}
	return nil, nil
}

// newAuthenticator builds the authenticator the configuration asks for.
// With users configured, the users created by SQL (sqlUsers) log in too;
// without, authentication is off.
func newAuthenticator(cfg serveConfig, secret []byte, lg *slog.Logger, reg prometheus.Registerer, cfgUsers, sqlUsers auth.UserStore) (*auth.Authenticator, error) {
	acfg := auth.DefaultConfig()
	acfg.Secret = secret
	acfg.TokenTTL = cfg.TokenTTL
	acfg.Logger = lg.With("component", "auth")
	acfg.Registerer = reg
	if cfgUsers != nil {
		acfg.Users = auth.Chain(cfgUsers, sqlUsers)
	}
	return auth.New(acfg)
}

// grpcOptions are the server options of the Flight listener: TLS, panic
// recovery, the authentication interceptors (outside the service's own),
// keepalive policy.
func grpcOptions(cfg serveConfig, a *auth.Authenticator, lg *slog.Logger) ([]grpc.ServerOption, error) {
	var opts []grpc.ServerOption
	if cfg.tls() {
		tc, err := auth.TLSConfig(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	return append(opts,
		grpc.ChainUnaryInterceptor(recoverUnary(lg), a.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(recoverStream(lg), a.StreamInterceptor()),
		// Drivers may ping idle connections; do not answer with GOAWAY.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	), nil
}

// advertisedAddr is the address clients should use: the bound port, and the
// listen host unless that is a wildcard, which clients cannot dial; then the
// machine's host name.
func advertisedAddr(listen string, bound net.Addr) string {
	host, _, _ := net.SplitHostPort(listen)
	_, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return bound.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}

// connectionURLs returns the JDBC URL and the ADBC URI for addr.
func connectionURLs(cfg serveConfig, addr string) (jdbc, adbc string) {
	jdbc = fmt.Sprintf("jdbc:arrow-flight-sql://%s?useEncryption=%t", addr, cfg.tls())
	if cfg.passwordAuth() {
		user := cfg.User
		if user == "" {
			user = "<user>"
		}
		jdbc += "&user=" + user + "&password=<password>"
	}
	scheme := "grpc"
	if cfg.tls() {
		scheme = "grpc+tls"
	}
	return jdbc, scheme + "://" + addr
}

func printBanner(w io.Writer, cfg serveConfig, bound net.Addr, metricsAddr string) {
	if w == nil {
		return
	}
	addr := advertisedAddr(cfg.Listen, bound)
	if cfg.Advertise != "" {
		addr = cfg.Advertise
	}
	jdbc, adbc := connectionURLs(cfg, addr)
	catalogDesc := "embedded etcd in " + filepath.Join(cfg.DataDir, "etcd")
	if !cfg.embedded() {
		catalogDesc = "etcd " + strings.Join(cfg.EtcdEndpoints, ",") + " prefix " + cfg.EtcdPrefix
	}
	fmt.Fprintf(w, "lakesoul-flight %s: Arrow Flight SQL on %s\n", versionString(), addr)
	fmt.Fprintf(w, "  JDBC URL:  %s\n", jdbc)
	fmt.Fprintf(w, "  ADBC URI:  %s\n", adbc)
	fmt.Fprintf(w, "  auth:      %s\n", cfg.authMode())
	fmt.Fprintf(w, "  catalog:   %s\n", catalogDesc)
	fmt.Fprintf(w, "  warehouse: %s\n", cfg.Warehouse)
	if metricsAddr != "" {
		fmt.Fprintf(w, "  metrics:   http://%s/metrics  health: http://%s/healthz\n", metricsAddr, metricsAddr)
	}
}
