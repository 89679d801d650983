package flightsql

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// MaxMessageSize is the gRPC message size the server accepts and sends.
// Record batches it streams stay well below it.
const MaxMessageSize = 64 << 20

// Config configures a Server.
type Config struct {
	Catalog *catalog.Catalog // required
	Storage lsio.Storage     // required: the warehouse
	Writer  *txn.Writer      // required: writes to Catalog and Storage

	// Secret signs tickets and prepared-statement handles with HMAC-SHA256.
	// Replicas that serve the same clients must share it. When empty, New
	// draws a random one, which suits a single server.
	Secret []byte
	// TicketTTL bounds how long a ticket from GetFlightInfo may be redeemed.
	TicketTTL time.Duration
	// PreparedTTL is how long an unused prepared statement handle lives.
	PreparedTTL time.Duration
	// MaxEndpoints caps the endpoints of one FlightInfo; buckets beyond it
	// are grouped into shared endpoints.
	MaxEndpoints int
	// JDBCEndpoints caps the endpoints for the Arrow JDBC driver, which
	// opens every endpoint at once.
	JDBCEndpoints int
	// TicketMaxFiles bounds the data files a scan ticket lists (about 150
	// bytes each); an endpoint with more carries only its (partition,
	// bucket) tasks and is planned again from its pinned snapshot when it
	// is read.
	TicketMaxFiles int
	// BatchRows is the number of rows per streamed record batch.
	BatchRows int
	// CoalesceRows is the size, in rows, up to which consecutive small
	// batches of a result are joined before they are sent (at least
	// BatchRows; 1 joins nothing smaller than BatchRows).
	CoalesceRows int
	// DefaultSchema is the schema unqualified names resolve in when the
	// session sets none.
	DefaultSchema string
	// Version is reported through SqlInfo.
	Version string
	// Location, when set, is the URI (grpc://host:port or
	// grpc+tls://host:port) that every endpoint of a query's FlightInfo
	// names as where its ticket may be redeemed: the address clients reach
	// this server at. Empty leaves endpoints without a location, which
	// clients read as "the server you asked". Tickets are self-contained, so
	// any replica sharing Secret serves them either way.
	Location string

	// Admins are the users of the server's own configuration (the users
	// file, or the single user of the flags). They hold the admin role:
	// every privilege, and managing users, roles and grants. Other users
	// are created by SQL and hold what is granted to them. With
	// authentication on and no admin here, only SQL users granted the
	// admin role can manage anything.
	Admins []string
	// PasswordCost is the bcrypt cost of the password hashes CREATE USER
	// and ALTER USER store; default bcrypt.DefaultCost.
	PasswordCost int

	// FileCacheBytes bounds the cache of Parquet footers, bloom filters and
	// page indexes that reads share (default lsio.DefaultFileCacheBytes;
	// negative: no cache).
	FileCacheBytes int64

	Allocator  memory.Allocator
	Logger     *slog.Logger
	Registerer prometheus.Registerer // optional
}

// DefaultConfig returns a Config with defaults and no catalog, storage or
// writer.
func DefaultConfig() Config {
	return Config{
		TicketTTL:      24 * time.Hour,
		PreparedTTL:    time.Hour,
		MaxEndpoints:   256,
		JDBCEndpoints:  1,
		BatchRows:      64 * 1024,
		TicketMaxFiles: 4096,
		DefaultSchema:  catalog.DefaultNamespace,
		Version:        "dev",
		Allocator:      memory.DefaultAllocator,
		Logger:         slog.Default(),
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.TicketTTL == 0 {
		c.TicketTTL = d.TicketTTL
	}
	if c.PreparedTTL == 0 {
		c.PreparedTTL = d.PreparedTTL
	}
	if c.CoalesceRows == 0 {
		c.CoalesceRows = d.CoalesceRows
	}
	if c.TicketMaxFiles == 0 {
		c.TicketMaxFiles = d.TicketMaxFiles
	}
	if c.MaxEndpoints == 0 {
		c.MaxEndpoints = d.MaxEndpoints
	}
	if c.JDBCEndpoints == 0 {
		c.JDBCEndpoints = d.JDBCEndpoints
	}
	if c.BatchRows == 0 {
		c.BatchRows = d.BatchRows
	}
	if c.FileCacheBytes == 0 {
		c.FileCacheBytes = lsio.DefaultFileCacheBytes
	}
	if c.DefaultSchema == "" {
		c.DefaultSchema = d.DefaultSchema
	}
	if c.Version == "" {
		c.Version = d.Version
	}
	if c.PasswordCost == 0 {
		c.PasswordCost = bcrypt.DefaultCost
	}
	if c.Allocator == nil {
		c.Allocator = d.Allocator
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if len(c.Secret) == 0 {
		c.Secret = make([]byte, 32)
		_, _ = rand.Read(c.Secret)
	}
	return c
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Catalog == nil:
		return errors.New("flightsql: Config.Catalog is required")
	case c.Storage == nil:
		return errors.New("flightsql: Config.Storage is required")
	case c.Writer == nil:
		return errors.New("flightsql: Config.Writer is required")
	case len(c.Secret) > 0 && len(c.Secret) < 16:
		return fmt.Errorf("flightsql: Secret must be at least 16 bytes, got %d", len(c.Secret))
	case c.TicketTTL < 0 || c.PreparedTTL < 0:
		return errors.New("flightsql: TTLs must not be negative")
	case c.MaxEndpoints < 0 || c.JDBCEndpoints < 0:
		return errors.New("flightsql: endpoint caps must not be negative")
	case c.PasswordCost != 0 && (c.PasswordCost < bcrypt.MinCost || c.PasswordCost > bcrypt.MaxCost):
		return fmt.Errorf("flightsql: PasswordCost must be between %d and %d", bcrypt.MinCost, bcrypt.MaxCost)
	case c.BatchRows < 0:
		return errors.New("flightsql: BatchRows must not be negative")
	}
	if c.Location != "" {
		if err := validateLocation(c.Location); err != nil {
			return fmt.Errorf("flightsql: Location: %w", err)
		}
	}
	return nil
}

// validateLocation accepts the URI of a Flight service that clients can
// dial: a grpc scheme and a host:port whose host is not a wildcard address.
func validateLocation(loc string) error {
	u, err := url.Parse(loc)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "grpc", "grpc+tcp", "grpc+tls":
	default:
		return fmt.Errorf("%q: scheme must be grpc, grpc+tcp or grpc+tls", loc)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return fmt.Errorf("%q: want host:port: %v", loc, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return fmt.Errorf("%q: port %q is not a port number", loc, port)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("%q: host %q is not an address clients can dial", loc, host)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q: only scheme://host:port is allowed", loc)
	}
	return nil
}
