package upsert

import (
	"slices"
	"time"
)

// System names as they appear in the report.
const (
	SysLocal       = "lakesoul-flight (local)"
	SysMinIO       = "lakesoul-flight (MinIO)"
	SysFlight      = "lakesoul-flight (Flight SQL)"
	SysFlightMinIO = "lakesoul-flight (Flight SQL, MinIO)"
	SysDuckNative  = "DuckDB native table"
	SysDuckParquet = "DuckDB over Parquet"
	SysLanceDB     = "LanceDB"
	SysIceberg     = "Iceberg (iceberg-go, MOR)"
	SysPqarrow     = "arrow-go pqarrow plain scan"
)

// Measure names: one report table each.
const (
	MBaseWrite        = "base write"
	MUpsertWrite      = "upsert write (each of 10)"
	MTotalWrite       = "total write (base + 10 upserts)"
	MSmallUpsertWrite = "small upsert write (each of 100)"
	MRead10           = "full read after 10 upserts"
	MRead100          = "full read after 100 small upserts"
	MCompact          = "compaction"
	MCompacted        = "read after compaction"
	MLookup           = "point lookup by primary key"
	MFilter           = "filtered scan (city = 'Berlin')"
	MFlight           = "full read over Flight SQL"

	// Measures of the selective mode (Config.Selective).
	MFlightLookup = "point lookup over Flight SQL"
	MInList       = "IN-list of 100 keys"
	MRange        = "filtered scan (requests BETWEEN 100000 AND 149999)"
	MIndex        = "index creation"
)

// Result is the samples of one measure of one system.
type Result struct {
	Measure string
	System  string
	// Seconds are the timed samples.
	Seconds []float64
	// Rows and Bytes are what one sample writes or reads: rows, and the
	// Arrow buffer size of those rows.
	Rows  int64
	Bytes int64
	Note  string
}

// Median, Min and Max of the samples, in seconds.
func (r Result) Median() float64 { return quantile(r.Seconds, 0.5) }
func (r Result) Min() float64    { return slices.Min(r.Seconds) }
func (r Result) Max() float64    { return slices.Max(r.Seconds) }

// Point is one read time of the read-time-against-upserts line.
type Point struct {
	System  string
	Upserts int
	Seconds float64 // median
	Rows    int64
}

// Results is everything one run measured.
type Results struct {
	Config   Config
	Started  time.Time
	Duration time.Duration
	Machine  string
	Results  []Result
	Line     []Point
	// Keys10 is the number of rows of the table after the 10 upserts.
	Keys10 int64
	// ReadBytes is the Arrow size of that table as lakesoul-flight returns
	// it: the size every system's read rates use.
	ReadBytes int64
	// ReadBytes100 is the same after the 100 small upserts.
	ReadBytes100 int64
	// Problems are the failures and cross-check mismatches of the run;
	// a clean run has none.
	Problems []string
	// Profiles are the top entries of the CPU profiles taken during the
	// run (Config.ProfileDir), by step; filled in by the caller.
	Profiles map[string]string
}

func (rs *Results) add(r Result) { rs.Results = append(rs.Results, r) }

// Get returns the result of a system for a measure.
func (rs *Results) Get(measure, system string) (Result, bool) {
	for _, r := range rs.Results {
		if r.Measure == measure && r.System == system {
			return r, true
		}
	}
	return Result{}, false
}

// quantile of xs by linear interpolation between closest ranks.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	frac := pos - float64(lo)
	return s[lo]*(1-frac) + s[lo+1]*frac
}

// timeIt runs fn and returns its duration in seconds.
func timeIt(fn func() error) (float64, error) {
	t0 := time.Now()
	err := fn()
	return time.Since(t0).Seconds(), err
}
