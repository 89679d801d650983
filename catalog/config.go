package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ManifestStore holds commit descriptions and checkpoints too large to be
// kept in etcd. Keys are paths relative to the warehouse root, under the
// table's directory. Objects are written once and never overwritten.
type ManifestStore interface {
	PutManifest(ctx context.Context, key string, data []byte) error
	GetManifest(ctx context.Context, key string) ([]byte, error)
}

// maxInlineLimit keeps a commit request well inside etcd's default request
// size limit (1.5 MiB), next to the other keys of the commit transaction.
const maxInlineLimit = 1 << 20

// Config configures a Catalog.
type Config struct {
	// Client is the etcd client; required. The Catalog does not close it.
	Client *clientv3.Client
	// Prefix is prepended to every key; default "/lakesoul/". It must end
	// with "/".
	Prefix string
	// Manifests stores commits and checkpoints larger than InlineLimit.
	// Without it, a commit whose encoding exceeds InlineLimit fails with
	// ErrInvalid and large checkpoints are skipped.
	Manifests ManifestStore
	// InlineLimit is the largest encoded commit or checkpoint kept in etcd;
	// default 512 KiB, at most 1 MiB.
	InlineLimit int
	// CheckpointEvery writes a checkpoint of the live file list every N
	// versions; default 32, negative disables checkpoints.
	CheckpointEvery int64
	// SnapshotCacheSize is the number of resolved snapshots kept in memory;
	// default 64, negative disables the cache.
	SnapshotCacheSize int
	// StateCacheSize is the number of tables (and, separately, of table
	// names) whose resolved state is kept in memory and kept fresh by an
	// etcd watch, so that reading a table's latest snapshot by name needs
	// no etcd round trip (see "Cached state" in the package
	// documentation); default 4096, negative disables the cache and every
	// read goes to etcd.
	StateCacheSize int
	// Registerer, when set, receives the cache's metrics.
	Registerer prometheus.Registerer
	// Logger receives warnings about best-effort work (checkpoints); default
	// discards.
	Logger *slog.Logger
	// Now is the clock used for timestamps; default time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults; Client must still be set.
func DefaultConfig() Config {
	return Config{
		Prefix:            "/lakesoul/",
		InlineLimit:       512 << 10,
		CheckpointEvery:   32,
		SnapshotCacheSize: 64,
		StateCacheSize:    4096,
		Logger:            slog.New(slog.DiscardHandler),
		Now:               time.Now,
	}
}

// withDefaults fills zero fields with their defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Prefix == "" {
		c.Prefix = d.Prefix
	}
	if c.InlineLimit == 0 {
		c.InlineLimit = d.InlineLimit
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = d.CheckpointEvery
	}
	if c.SnapshotCacheSize == 0 {
		c.SnapshotCacheSize = d.SnapshotCacheSize
	}
	if c.StateCacheSize == 0 {
		c.StateCacheSize = d.StateCacheSize
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	return c
}

// Validate reports whether the configuration can be used. Zero fields are
// valid: New replaces them with their defaults.
func (c Config) Validate() error {
	if c.Client == nil {
		return fmt.Errorf("%w: config: Client is required", ErrInvalid)
	}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		return fmt.Errorf("%w: config: Prefix %q must end with \"/\"", ErrInvalid, c.Prefix)
	}
	if c.InlineLimit < 0 || c.InlineLimit > maxInlineLimit {
		return fmt.Errorf("%w: config: InlineLimit %d must be between 1 and %d", ErrInvalid, c.InlineLimit, maxInlineLimit)
	}
	return nil
}
