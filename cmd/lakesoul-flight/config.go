package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// Defaults of the serve sub-command.
const (
	defaultListen        = "127.0.0.1:32010"
	defaultDataDir       = "lakesoul-data"
	defaultEtcdPrefix    = "/lakesoul/"
	defaultMetricsListen = "127.0.0.1:9464"
)

// serveConfig is the configuration of the serve sub-command, filled from
// flags and the environment by parseServeConfig.
type serveConfig struct {
	Listen        string
	DataDir       string   // absolute
	EtcdEndpoints []string // empty: embedded etcd under DataDir/etcd
	EtcdPrefix    string
	// CatalogCache is the number of tables whose state the catalog keeps
	// in memory, fresh through an etcd watch; negative disables it.
	CatalogCache int
	Warehouse    string // URI; default file://DataDir/warehouse
	FileCacheMiB int64  // Parquet metadata cache; 0: none

	// Credentials of the external etcd cluster (etcdclient.go).
	EtcdCA, EtcdCert, EtcdKey string
	EtcdUser, EtcdPassword    string

	S3Endpoint, S3AccessKey, S3SecretKey, S3Region string
	S3Insecure                                     bool

	TLSCert, TLSKey, TLSClientCA string

	UsersFile      string
	User, Password string
	Secret         string // empty: generated (and persisted when embedded)
	TokenTTL       time.Duration
	InsecureNoAuth bool

	Compaction  bool          // run the maintenance service (compaction and retention) in this process
	OrphanGrace time.Duration // how old an unreferenced file must be before cleanup removes it

	MetricsListen   string // empty disables the metrics/health HTTP server
	LogLevel        slog.Level
	LogFormat       string // text or json
	ShutdownTimeout time.Duration

	// Advertise is the host:port clients reach this replica at, named as
	// the location of the endpoints of query plans; empty names none.
	Advertise string
}

// embedded reports whether the catalog runs in an embedded etcd.
func (c serveConfig) embedded() bool { return len(c.EtcdEndpoints) == 0 }

// tls reports whether the Flight listener uses TLS.
func (c serveConfig) tls() bool { return c.TLSCert != "" }

// authMode describes the authentication in force, for the start banner.
func (c serveConfig) authMode() string {
	switch {
	case c.UsersFile != "":
		return "users from " + c.UsersFile
	case c.User != "":
		return "single user " + c.User
	case c.TLSClientCA != "":
		return "client certificates (mTLS) only"
	default:
		return "disabled"
	}
}

// passwordAuth reports whether clients log in with a user and password.
func (c serveConfig) passwordAuth() bool { return c.UsersFile != "" || c.User != "" }

var serveGroups = []flagGroup{
	{"Network", []string{"listen", "tls-cert", "tls-key", "tls-client-ca", "metrics-listen"}},
	{"Storage", []string{"data-dir", "etcd-endpoints", "etcd-prefix", "catalog-cache", "warehouse",
		"s3-endpoint", "s3-access-key", "s3-secret-key", "s3-region", "s3-insecure"}},
	{"etcd client", etcdClientFlagNames},
	{"Authentication", []string{"users-file", "user", "password", "secret", "token-ttl", "insecure-no-auth"}},
	{"Maintenance", []string{"compaction", "orphan-grace"}},
	{"Operation", []string{"log-level", "log-format", "shutdown-timeout", "file-cache-mib"}},
	{"Replicas", []string{"advertise"}},
}

// parseServeConfig parses the flags of the serve sub-command, then fills
// flags not given from the LAKESOUL_* environment, then checks the result.
// Help goes to out; flag.ErrHelp is returned for -h/--help.
func parseServeConfig(args []string, getenv func(string) string, out io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("lakesoul-flight serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var etcdEndpoints, logLevel, compaction string
	fs.StringVar(&c.Listen, "listen", defaultListen, "`host:port` of the Flight SQL listener")
	fs.StringVar(&c.DataDir, "data-dir", defaultDataDir, "`dir`ectory of the embedded etcd, the default warehouse and the generated secret")
	fs.StringVar(&etcdEndpoints, "etcd-endpoints", "", "comma-separated `URLs` of an external etcd cluster, instead of the embedded one")
	fs.StringVar(&c.EtcdPrefix, "etcd-prefix", defaultEtcdPrefix, "`prefix` of the catalog's etcd keys")
	fs.IntVar(&c.CatalogCache, "catalog-cache", -1, "`tables` whose names, heads and metadata the catalog keeps in memory, fresh through an etcd watch, so that planning a query reads no etcd; other replicas' commits then show up only as the watch delivers them, so it is off by default (-1); turn it on for a single server")
	fs.StringVar(&c.Warehouse, "warehouse", "", "`URI` of the table files: file:///path or s3://bucket/prefix (default file://<data-dir>/warehouse)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", "", "S3 `host:port` (or http(s)://host:port), for s3:// warehouses")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", "", "S3 access `key`")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", "", "S3 secret `key` (prefer the environment variable)")
	fs.StringVar(&c.S3Region, "s3-region", "", "S3 `region` (default us-east-1)")
	fs.BoolVar(&c.S3Insecure, "s3-insecure", false, "talk plain HTTP to S3")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate `file`: serve TLS (with --tls-key)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key `file` of --tls-cert")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", "", "PEM CA `file`: require client certificates signed by it (mutual TLS)")
	fs.StringVar(&c.UsersFile, "users-file", "", "`file` of user:bcrypt-hash lines (htpasswd -nB user; or lakesoul-flight hash-password user)")
	fs.StringVar(&c.User, "user", "", "the one user `name` allowed in (with --password)")
	fs.StringVar(&c.Password, "password", "", "`password` of --user (prefer the environment variable)")
	fs.StringVar(&c.Secret, "secret", "", "`key` signing tokens and tickets, at least 16 bytes, shared by replicas (prefer the environment variable; default generated, kept in <data-dir>/secret with embedded etcd)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", 12*time.Hour, "lifetime of bearer tokens")
	fs.BoolVar(&c.InsecureNoAuth, "insecure-no-auth", false, "allow listening on a non-loopback address without authentication")
	fs.StringVar(&compaction, "compaction", "on", "`on` or off: compact, expire and clean tables in this process (off: another process runs `lakesoul-flight compact`)")
	fs.DurationVar(&c.OrphanGrace, "orphan-grace", 24*time.Hour, "how old a file no version references must be before cleanup deletes it (protects commits in flight)")
	fs.StringVar(&c.MetricsListen, "metrics-listen", defaultMetricsListen, "`host:port` serving /metrics and /healthz over HTTP; empty disables")
	fs.StringVar(&logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log `format`: text or json")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight calls may run after SIGINT/SIGTERM")
	fs.Int64Var(&c.FileCacheMiB, "file-cache-mib", lsio.DefaultFileCacheBytes>>20, "`MiB` of parsed Parquet footers, bloom filters and page indexes kept in memory (0 disables the cache)")
	etcdClientFlags(fs, &c)
	fs.StringVar(&c.Advertise, "advertise", "", "`host:port` clients reach this replica at: query plans name it as the location of their endpoints (default none: clients read endpoints from the server they asked)")
	fs.Usage = func() { serveUsage(out, fs) }

	if err := fs.Parse(args); err != nil {
		return c, err // Parse has printed the usage for -h and --help
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := applyEnv(fs, getenv); err != nil {
		return c, err
	}
	c.EtcdEndpoints = splitList(etcdEndpoints)
	switch strings.ToLower(compaction) {
	case "on", "true", "1":
		c.Compaction = true
	case "off", "false", "0":
		c.Compaction = false
	default:
		return c, fmt.Errorf("--compaction %q: want on or off", compaction)
	}
	if c.FileCacheMiB < 0 {
		return c, fmt.Errorf("--file-cache-mib %d must not be negative", c.FileCacheMiB)
	}
	if c.OrphanGrace <= 0 {
		return c, fmt.Errorf("--orphan-grace %v must be positive", c.OrphanGrace)
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("--log-level: %q is not debug, info, warn or error", logLevel)
	}
	if err := c.finish(); err != nil {
		return c, err
	}
	if err := checkAdvertise(c.Advertise); err != nil {
		return c, err
	}
	return c, nil
}

func serveUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage: lakesoul-flight [serve] [flags]

Serves LakeSoul tables over Arrow Flight SQL. With no flags: embedded etcd and
a local warehouse under ./lakesoul-data, listening on 127.0.0.1:32010.

Other sub-commands: sql (a client; lakesoul-flight sql --help),
compact (table maintenance alone, same flags: the production shape is
stateless query replicas with --compaction=off plus one or more compact
processes), maintain (one maintenance procedure; lakesoul-flight maintain
--help), hash-password USER, version.

Every flag can also be set through the environment variable shown; a flag
given on the command line wins over the variable, the variable over the
default. Pass secrets (LAKESOUL_PASSWORD, LAKESOUL_SECRET,
LAKESOUL_S3_SECRET_KEY, LAKESOUL_ETCD_PASSWORD) through the environment:
flags show up in ps.
`)
	printFlags(w, fs, serveGroups)
}

// finish resolves defaults that depend on other fields and rejects
// contradictions.
func (c *serveConfig) finish() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen %q: want host:port: %v", c.Listen, err)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			return fmt.Errorf("--metrics-listen %q: want host:port: %v", c.MetricsListen, err)
		}
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	dir, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	c.DataDir = dir
	if c.Warehouse == "" {
		c.Warehouse = (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "warehouse"))}).String()
	}
	if !strings.HasSuffix(c.EtcdPrefix, "/") {
		return fmt.Errorf("--etcd-prefix %q must end with /", c.EtcdPrefix)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if c.TokenTTL <= 0 {
		return fmt.Errorf("--token-ttl %v must be positive", c.TokenTTL)
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("--shutdown-timeout %v must not be negative", c.ShutdownTimeout)
	}
	if err := c.finishEtcdClient(); err != nil {
		return err
	}
	if c.Secret != "" && len(c.Secret) < auth.MinSecretLen {
		return fmt.Errorf("--secret must be at least %d bytes, got %d", auth.MinSecretLen, len(c.Secret))
	}

	switch {
	case c.TLSCert != "" && c.TLSKey == "":
		return errors.New("--tls-cert needs --tls-key")
	case c.TLSKey != "" && c.TLSCert == "":
		return errors.New("--tls-key needs --tls-cert")
	case c.TLSClientCA != "" && c.TLSCert == "":
		return errors.New("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key")
	}

	switch {
	case c.UsersFile != "" && c.User != "":
		return errors.New("--users-file and --user exclude each other")
	case c.User != "" && c.Password == "":
		return errors.New("--user needs a password: --password or LAKESOUL_PASSWORD")
	case c.User == "" && c.Password != "" && c.UsersFile == "":
		return errors.New("--password (or LAKESOUL_PASSWORD) is set but --user is not")
	case c.InsecureNoAuth && (c.passwordAuth() || c.TLSClientCA != ""):
		return errors.New("--insecure-no-auth contradicts the authentication that is configured")
	}
	if c.UsersFile != "" {
		c.Password = "" // LAKESOUL_PASSWORD may be set for the sql client
	}
	authenticated := c.passwordAuth() || c.TLSClientCA != ""
	if !authenticated && !c.InsecureNoAuth && !isLoopback(c.Listen) {
		return fmt.Errorf("refusing to listen on %s without authentication: anyone who can reach it could read and change every table. "+
			"Configure --users-file, or --user with --password (LAKESOUL_PASSWORD), or --tls-client-ca; "+
			"or pass --insecure-no-auth if the network is trusted", c.Listen)
	}
	return nil
}

// isLoopback reports whether the host of addr only accepts local
// connections. An empty host, an unspecified address and any name other
// than localhost count as reachable from elsewhere.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
