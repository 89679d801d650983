package maintain

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// Config configures a Service.
type Config struct {
	Catalog *catalog.Catalog // required
	Writer  *txn.Writer      // required: runs the jobs
	Etcd    *clientv3.Client // required: locks, under LockPrefix
	// LockPrefix is where the service's etcd locks live.
	LockPrefix string

	// Compaction runs compactions; off, the service still makes writers
	// wait (Throttle) for compactions another process runs.
	Compaction bool
	// Retention runs expiry, partition TTL and orphan cleanup.
	Retention bool

	// StallTimeout bounds how long Throttle makes a writer wait.
	StallTimeout time.Duration
	// RetentionInterval is how often retention properties are applied.
	RetentionInterval time.Duration
	// OrphanInterval is how often orphan files are looked for; OrphanGrace
	// is how old an unreferenced file must be to be removed.
	OrphanInterval, OrphanGrace time.Duration
	// LockTTL is the lease of the service's locks: how long a crashed
	// process keeps others from its buckets.
	LockTTL time.Duration
	// Workers is the number of tables compacted at once.
	Workers int

	Logger     *slog.Logger
	Registerer prometheus.Registerer // optional
}

// DefaultConfig returns the defaults, with no catalog, writer or etcd.
func DefaultConfig() Config {
	return Config{
		LockPrefix:        "/lakesoul/maintain/",
		Compaction:        true,
		Retention:         true,
		StallTimeout:      2 * time.Second,
		RetentionInterval: time.Minute,
		OrphanInterval:    time.Hour,
		OrphanGrace:       24 * time.Hour,
		LockTTL:           10 * time.Second,
		Workers:           1,
		Logger:            slog.Default(),
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Catalog == nil:
		return errors.New("maintain: Config.Catalog is required")
	case c.Writer == nil:
		return errors.New("maintain: Config.Writer is required")
	case c.Etcd == nil:
		return errors.New("maintain: Config.Etcd is required")
	case c.StallTimeout < 0, c.RetentionInterval < 0, c.OrphanInterval < 0, c.OrphanGrace < 0, c.LockTTL < 0, c.Workers < 0:
		return errors.New("maintain: durations and Workers must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.LockPrefix == "" {
		c.LockPrefix = d.LockPrefix
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = d.StallTimeout
	}
	if c.RetentionInterval == 0 {
		c.RetentionInterval = d.RetentionInterval
	}
	if c.OrphanInterval == 0 {
		c.OrphanInterval = d.OrphanInterval
	}
	if c.OrphanGrace == 0 {
		c.OrphanGrace = d.OrphanGrace
	}
	if c.LockTTL == 0 {
		c.LockTTL = d.LockTTL
	}
	if c.Workers == 0 {
		c.Workers = d.Workers
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	return c
}
