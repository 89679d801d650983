package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// Sentinel errors.
var (
	// ErrConflict means a concurrent commit made this one impossible; nothing
	// was committed. The operation can be retried from the start.
	ErrConflict = errors.New("txn: conflict with a concurrent commit")
	// ErrInvalid means the input does not fit the table; nothing was written.
	ErrInvalid = errors.New("txn: invalid input")
)

// Config configures a Writer.
type Config struct {
	Catalog *catalog.Catalog // required
	Storage lsio.Storage     // required: the warehouse
	// Write options for Parquet files.
	Write lsio.WriteOptions
	// MaxAttempts bounds the etcd transactions a commit takes part in
	// while other processes (or Writers) keep winning the table's head.
	MaxAttempts int
	// Backoff is the first delay after a batch lost the head to another
	// process; it doubles up to MaxBackoff, with jitter. MaxBackoff stays
	// short: commits of one Writer never race each other (they are group
	// committed), so only processes compete, a whole batch at a time.
	Backoff, MaxBackoff time.Duration
	// Parallelism is the number of files written at once.
	Parallelism int
	// BatchSize is the number of rows per record when reading for updates,
	// deletes and compaction.
	BatchSize int
	Allocator memory.Allocator
	Logger    *slog.Logger
	// Throttle, when set, is called by Write, Upsert, Append and DeleteKeys
	// once the rows are split into (partition, bucket) groups and before any
	// file is written, with the groups the write touches (sorted). A non-nil
	// error fails the write with nothing written or committed; the write's
	// error wraps it. Table maintenance uses it to hold writers back while a
	// bucket has more sorted runs than reads should merge.
	Throttle func(ctx context.Context, tbl *catalog.Table, touched []BucketRef) error
	// Registerer, when set, registers the commit metrics (latency,
	// attempts, conflicts by kind, group commit sizes). Two Writers need
	// two Registerers (prometheus.WrapRegistererWith).
	Registerer prometheus.Registerer
}

// BucketRef names one (partition, bucket) of a table.
type BucketRef struct {
	Partition string // Hive-style, as in catalog.DataFile.Partition
	Bucket    int
}

// DefaultConfig returns a Config with defaults and no catalog or storage.
func DefaultConfig() Config {
	return Config{
		MaxAttempts: 100,
		Backoff:     time.Millisecond,
		MaxBackoff:  25 * time.Millisecond,
		Parallelism: runtime.GOMAXPROCS(0),
		BatchSize:   8192,
		Allocator:   memory.DefaultAllocator,
		Logger:      slog.Default(),
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Catalog == nil:
		return errors.New("txn: Config.Catalog is required")
	case c.Storage == nil:
		return errors.New("txn: Config.Storage is required")
	case c.MaxAttempts < 1:
		return fmt.Errorf("txn: MaxAttempts must be at least 1, got %d", c.MaxAttempts)
	case c.Parallelism < 1:
		return fmt.Errorf("txn: Parallelism must be at least 1, got %d", c.Parallelism)
	case c.BatchSize < 1:
		return fmt.Errorf("txn: BatchSize must be at least 1, got %d", c.BatchSize)
	case c.Allocator == nil:
		return errors.New("txn: Config.Allocator is required")
	case c.Logger == nil:
		return errors.New("txn: Config.Logger is required")
	}
	return nil
}

// Writer writes to the tables of one catalog and warehouse. It is safe for
// concurrent use.
type Writer struct {
	cfg     Config
	metrics *metrics
	// mu guards queues: the commits of each table waiting in this Writer
	// (see commitQueue).
	mu     sync.Mutex
	queues map[string]*commitQueue
	// beforeCommit, when set by tests, runs after the files of a write are
	// stored and before the commit.
	beforeCommit func()
	// observeCommit, when set by benchmarks, gets the time each commit
	// took from its files being stored to its outcome.
	observeCommit func(took time.Duration, err error)
	// afterExpire, when set by tests, runs right after Expire's catalog
	// commit, before any file is deleted.
	afterExpire func()
}

// New returns a Writer. Zero fields of cfg take their defaults.
func New(cfg Config) (*Writer, error) {
	def := DefaultConfig()
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = def.MaxAttempts
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = def.Backoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = def.MaxBackoff
	}
	if cfg.Parallelism == 0 {
		cfg.Parallelism = def.Parallelism
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = def.BatchSize
	}
	if cfg.Allocator == nil {
		cfg.Allocator = def.Allocator
	}
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("txn: register metrics: %w", err)
	}
	return &Writer{cfg: cfg, metrics: m}, nil
}

// ManifestStore adapts a Storage to the catalog's ManifestStore, so large
// commits and checkpoints are kept beside the data.
func ManifestStore(st lsio.Storage) catalog.ManifestStore { return manifestStore{st} }

type manifestStore struct{ st lsio.Storage }

func (m manifestStore) PutManifest(ctx context.Context, key string, data []byte) error {
	return m.st.Put(ctx, key, data)
}

func (m manifestStore) GetManifest(ctx context.Context, key string) ([]byte, error) {
	return m.st.Get(ctx, key)
}
