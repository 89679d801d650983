package etcdembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config configures an embedded etcd server.
type Config struct {
	// Dir is the data directory; required. It is created when missing and
	// reused (the member restarts with its data) when it already holds one.
	Dir string
	// ClientURL is the URL clients connect to, such as
	// "http://127.0.0.1:2379". Empty picks a free loopback port.
	ClientURL string
	// PeerURL is the raft peer URL. Empty picks a free loopback port.
	PeerURL string
	// Name is the member name; default "lakesoul".
	Name string
	// Logger receives etcd's log entries; nil writes them to stderr.
	Logger *slog.Logger
	// Verbose forwards etcd's entries from info level up; by default only
	// errors are forwarded.
	Verbose bool
	// StartTimeout bounds how long Start waits for the server to be ready;
	// default 30s.
	StartTimeout time.Duration
	// AutoCompaction is the retention of etcd's periodic revision
	// compaction; default one hour, negative disables compaction.
	AutoCompaction time.Duration
	// UnsafeNoFsync disables fsync. Only for tests: a crash loses data.
	UnsafeNoFsync bool
	// Fast shortens raft's tick and election timeouts, which is safe for a
	// single member and makes startup quicker. Meant for tests.
	Fast bool
}

// DefaultConfig returns the defaults, with Dir still to be set.
func DefaultConfig() Config {
	return Config{
		Name:           "lakesoul",
		StartTimeout:   30 * time.Second,
		AutoCompaction: time.Hour,
	}
}

// Validate reports whether the configuration can be used.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("etcdembed: Dir is required")
	}
	for _, u := range []struct{ name, val string }{{"ClientURL", c.ClientURL}, {"PeerURL", c.PeerURL}} {
		if u.val == "" {
			continue
		}
		if _, err := parseURL(u.val); err != nil {
			return fmt.Errorf("etcdembed: %s: %w", u.name, err)
		}
	}
	if c.StartTimeout < 0 {
		return errors.New("etcdembed: StartTimeout must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Name == "" {
		c.Name = d.Name
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = d.StartTimeout
	}
	if c.AutoCompaction == 0 {
		c.AutoCompaction = d.AutoCompaction
	}
	return c
}

func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: scheme must be http or https", s)
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return nil, fmt.Errorf("URL %q: %w", s, err)
	}
	return u, nil
}

// Server is a running embedded etcd server.
type Server struct {
	etcd      *embed.Etcd
	endpoints []string
	zlog      *zap.Logger
	closing   *atomic.Bool
	closeOnce sync.Once
}

// Start starts a server and waits until it serves requests, ctx is done or
// cfg.StartTimeout passes.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	level := zapcore.ErrorLevel
	if cfg.Verbose {
		level = zapcore.InfoLevel
	}
	closing := new(atomic.Bool)
	zlog, err := newZapLogger(cfg.Logger, level, closing)
	if err != nil {
		return nil, fmt.Errorf("etcdembed: logger: %w", err)
	}
	// Picked ports may be taken by someone else before etcd binds them:
	// retry with fresh ones. Binding happens before etcd writes its data
	// directory, so a retry starts from a clean state.
	attempts := 1
	if cfg.ClientURL == "" || cfg.PeerURL == "" {
		attempts = 5
	}
	for i := 0; ; i++ {
		s, err := start(ctx, cfg, zlog, closing)
		if err == nil {
			return s, nil
		}
		if i+1 >= attempts || !isAddrInUse(err) || ctx.Err() != nil {
			_ = zlog.Sync()
			return nil, err
		}
	}
}

func isAddrInUse(err error) bool {
	return err != nil && strings.Contains(err.Error(), "address already in use")
}

func start(ctx context.Context, cfg Config, zlog *zap.Logger, closing *atomic.Bool) (*Server, error) {
	clientURL, peerURL := cfg.ClientURL, cfg.PeerURL
	if clientURL == "" || peerURL == "" {
		ports, err := freePorts(2)
		if err != nil {
			return nil, err
		}
		if clientURL == "" {
			clientURL = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		}
		if peerURL == "" {
			peerURL = fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		}
	}
	cu, err := parseURL(clientURL)
	if err != nil {
		return nil, fmt.Errorf("etcdembed: %w", err)
	}
	pu, err := parseURL(peerURL)
	if err != nil {
		return nil, fmt.Errorf("etcdembed: %w", err)
	}

	ec := embed.NewConfig()
	ec.Name = cfg.Name
	ec.Dir = cfg.Dir
	ec.ListenClientUrls = []url.URL{*cu}
	ec.AdvertiseClientUrls = []url.URL{*cu}
	ec.ListenPeerUrls = []url.URL{*pu}
	ec.AdvertisePeerUrls = []url.URL{*pu}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zlog)
	ec.EnableGRPCGateway = false
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	if cfg.AutoCompaction > 0 {
		ec.AutoCompactionMode = "periodic"
		ec.AutoCompactionRetention = cfg.AutoCompaction.String()
	}
	if cfg.Fast {
		ec.TickMs = 10
		ec.ElectionMs = 100
	}

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("etcdembed: start: %w", err)
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcdembed: server failed while starting: %w", err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("etcdembed: server not ready after %s", cfg.StartTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("etcdembed: start: %w", ctx.Err())
	}
	return &Server{etcd: e, endpoints: []string{cu.String()}, zlog: zlog, closing: closing}, nil
}

// freePorts returns n distinct loopback TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("etcdembed: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Endpoints returns the client URLs of the server.
func (s *Server) Endpoints() []string {
	return append([]string(nil), s.endpoints...)
}

// Client returns a new client connected to the server. The caller closes it,
// before closing the server.
func (s *Server) Client() (*clientv3.Client, error) {
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   s.Endpoints(),
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcdembed: client: %w", err)
	}
	return c, nil
}

// Close stops the server and waits for it to finish. It is safe to call more
// than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		s.etcd.Close()
		_ = s.zlog.Sync()
	})
	return nil
}
