package upsert

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"time"
)

// Published sizes of LakeSoul's upsert benchmark, at scale 1.
const (
	fullBaseRows   = 10_000_000
	fullUpsertRows = 2_000_000
	upserts        = 10  // upserts of fullUpsertRows
	smallUpserts   = 100 // upserts of fullUpsertRows/10: the same total size
	buckets        = 4
	updateFraction = 0.5
)

// Checkpoints of the small-upsert series at which full reads are timed:
// the read-time-against-upserts line of the report.
var checkpoints = []int{1, 2, 5, 10, 20, 50, 100}

// seriesReps is how many times the read after k small upserts is timed: the
// last checkpoint, which the tables report, Reps times; the others, which
// only draw the line of the chart, once.
func (c Config) seriesReps(k int) int {
	if k == smallUpserts {
		return c.Reps
	}
	return 1
}

// S3Target is an S3-compatible service (MinIO) the suite writes a
// warehouse to. The bucket is created when missing.
type S3Target struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
	Bucket    string
}

// Config configures a run.
type Config struct {
	// Scale multiplies every row count of the published workload
	// (10,000,000 base rows, upserts of 2,000,000); 1 is full scale.
	Scale float64
	// Seed of the workload generator.
	Seed uint64
	// Reps is the number of times each base write and each read is timed;
	// the report shows the median. Every upsert is one sample.
	Reps int
	// Lookups is the number of point lookups by primary key per system
	// (in the selective mode also the number of IN-lists of 100 keys); a
	// system stops early once LookupBudget has passed (after at least 20).
	Lookups      int
	LookupBudget time.Duration
	// WorkDir holds the generated data, warehouses and databases; required.
	WorkDir string
	// S3, when set, adds lakesoul-flight on that S3 service.
	S3 *S3Target
	// LanceDBDir is the directory of bench.mjs with its node_modules
	// installed (`make deps`); empty skips LanceDB.
	LanceDBDir string
	// SkipIceberg leaves out Apache Iceberg (iceberg-go), the longest part
	// of a full-scale run.
	SkipIceberg bool
	// Selective runs only the selective-reads mode (selective.go): the
	// 10-upsert table on lakesoul-flight (local and S3), the DuckDB native
	// table and LanceDB, then point lookups, IN-lists and filtered scans.
	// DuckDB over Parquet, Iceberg, the 100-upsert series and compaction
	// are left out, and every base is written once.
	Selective bool
	// ProfileDir, when set, receives CPU profiles of lakesoul-flight's
	// write and read steps (go tool pprof -top FILE).
	ProfileDir string
	// Node is the node binary (default "node").
	Node string
	// Batch is the number of rows per generated record batch.
	Batch int
	// AfterSystem, when set, is called with the results so far after each
	// system has run, so a long run can save partial reports.
	AfterSystem func(*Results)
	// Progress receives one line per finished step; nil discards.
	Progress io.Writer
	// Logger receives the servers' logs; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns full scale, seed 1, 3 repetitions and 1000 lookups;
// WorkDir must still be set.
func DefaultConfig() Config {
	return Config{Scale: 1, Seed: 1, Reps: 3, Lookups: 1000, LookupBudget: time.Minute, Node: "node", Batch: 65536}
}

// Validate reports a configuration that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Scale <= 0 || c.Scale > 10:
		return fmt.Errorf("upsert: Scale must be in (0, 10], got %g", c.Scale)
	case c.Reps < 1:
		return fmt.Errorf("upsert: Reps must be at least 1, got %d", c.Reps)
	case c.Lookups < 1:
		return fmt.Errorf("upsert: Lookups must be at least 1, got %d", c.Lookups)
	case c.WorkDir == "":
		return errors.New("upsert: WorkDir is required")
	case c.Batch < 1:
		return fmt.Errorf("upsert: Batch must be at least 1, got %d", c.Batch)
	case c.baseRows() < 100:
		return fmt.Errorf("upsert: scale %g leaves fewer than 100 base rows", c.Scale)
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Node == "" {
		c.Node = d.Node
	}
	if c.Batch == 0 {
		c.Batch = d.Batch
	}
	if c.LookupBudget == 0 {
		c.LookupBudget = d.LookupBudget
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) baseRows() int   { return int(math.Round(fullBaseRows * c.Scale)) }
func (c Config) upsertRows() int { return int(math.Round(fullUpsertRows * c.Scale)) }
func (c Config) smallRows() int  { return max(1, c.upsertRows()/10) }

// cores is the parallelism the per-core figures divide by.
func cores() int { return runtime.GOMAXPROCS(0) }
