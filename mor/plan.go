package mor

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/bucket"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/internal/partition"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// maxBucketCombinations bounds the equality combinations the planner hashes
// to prune buckets (IN lists on several key columns multiply).
const maxBucketCombinations = 4096

// ScanOptions describe a read of one snapshot.
type ScanOptions struct {
	// Columns to return, in order; nil means every column of the snapshot.
	Columns []string
	// Filter keeps rows for which it is true; nil keeps every row.
	Filter Expr
	// Limit stops the scan after this many rows; <= 0 means no limit.
	Limit int64
	// BatchSize is the number of rows per record (default 8192).
	BatchSize int
	// Parallelism is the number of tasks read at once by Scan
	// (default GOMAXPROCS).
	Parallelism int
	// Allocator for the records produced (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// WholeObjectBelow is passed to lsio.ReadOptions.
	WholeObjectBelow int64
	// Cache, when set, keeps the footers, bloom filters and page indexes
	// of the files read (lsio.ReadOptions.Cache).
	Cache *lsio.FileCache
	// IncludeDeleted, for maintenance jobs only, is unused by plain reads.
}

func (o *ScanOptions) setDefaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 8192
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
}

// Task is one independently readable unit of a plan: the live files of one
// (partition, bucket), sorted by Seq ascending.
type Task struct {
	Partition string
	Bucket    int
	Files     []catalog.DataFile
}

// Rows is an upper bound of the rows the task yields.
func (t Task) Rows() int64 {
	var n int64
	for _, f := range t.Files {
		n += f.Rows
	}
	return n
}

// Plan is a pruned read of a snapshot.
type Plan struct {
	Snapshot *catalog.Snapshot
	// Schema is the schema of the records the plan yields.
	Schema *arrow.Schema
	// Tasks in (partition, bucket) order (for PlanTasks, in the order given).
	Tasks []Task

	opts       ScanOptions
	readSchema *arrow.Schema // output columns plus filter columns, snapshot order
	keyConj    []Expr        // conjuncts on primary-key columns (or all, without key)
	mergeOps   map[string]MergeOp
	stats      PruneStats
}

// PruneStats counts what planning skipped.
type PruneStats struct {
	Partitions, PartitionsPruned int
	Buckets, BucketsPruned       int
	Files, FilesPruned           int
}

// Stats reports what the planner pruned.
func (p *Plan) Stats() PruneStats { return p.stats }

// NewPlan validates opts against the snapshot's schema and prunes its files
// into tasks.
func NewPlan(snap *catalog.Snapshot, opts ScanOptions) (*Plan, error) {
	if snap == nil || snap.Table == nil {
		return nil, errors.New("mor: NewPlan needs a snapshot of a table")
	}
	p, err := newPlan(snap, opts)
	if err != nil {
		return nil, err
	}
	if err := p.prune(); err != nil {
		return nil, err
	}
	return p, nil
}

// PlanTasks builds a plan over exactly the given tasks of version of tbl:
// tasks a previous NewPlan produced, typically carried to another process.
// opts are validated as NewPlan validates them, but nothing is pruned: each
// task's Files are read as given, in the given order (sorted by Seq). The
// plan's Snapshot has no Files and its Stats are zero.
func PlanTasks(tbl *catalog.Table, version int64, opts ScanOptions, tasks []Task) (*Plan, error) {
	if tbl == nil {
		return nil, errors.New("mor: PlanTasks needs a table")
	}
	p, err := newPlan(&catalog.Snapshot{Table: tbl, Version: version}, opts)
	if err != nil {
		return nil, err
	}
	p.Tasks = slices.Clone(tasks)
	return p, nil
}

// newPlan validates opts against the snapshot's schema and derives what
// every read of the plan needs, leaving Tasks empty.
func newPlan(snap *catalog.Snapshot, opts ScanOptions) (*Plan, error) {
	opts.setDefaults()
	tbl := snap.Table
	schema := tbl.Schema
	cols := opts.Columns
	if cols == nil {
		cols = make([]string, schema.NumFields())
		for i, f := range schema.Fields() {
			cols[i] = f.Name
		}
	}
	outFields := make([]arrow.Field, 0, len(cols))
	seen := map[string]bool{}
	for _, c := range cols {
		f, err := fieldOf(schema, c)
		if err != nil {
			return nil, fmt.Errorf("%w: table %s.%s has no column %q", ErrInvalidFilter, tbl.Namespace, tbl.Name, c)
		}
		if seen[c] {
			return nil, fmt.Errorf("%w: column %q selected twice", ErrInvalidFilter, c)
		}
		seen[c] = true
		outFields = append(outFields, f)
	}
	if err := ValidateExpr(opts.Filter, schema); err != nil {
		return nil, err
	}
	need := neededColumns(cols, opts.Filter)
	var readFields []arrow.Field
	for _, f := range schema.Fields() {
		if need[f.Name] {
			readFields = append(readFields, f)
		}
	}
	ops, err := MergeOpsOf(tbl)
	if err != nil {
		return nil, err
	}
	return &Plan{
		Snapshot:   snap,
		Schema:     arrow.NewSchema(outFields, nil),
		opts:       opts,
		readSchema: arrow.NewSchema(readFields, nil),
		mergeOps:   ops,
		keyConj:    pushableConjuncts(opts.Filter, tbl),
	}, nil
}

// MergeOpsOf reads the per-column merge operators from table properties.
func MergeOpsOf(tbl *catalog.Table) (map[string]MergeOp, error) {
	ops := map[string]MergeOp{}
	for k, v := range tbl.Properties {
		if len(k) > len(catalog.PropMergeOpPrefix) && k[:len(catalog.PropMergeOpPrefix)] == catalog.PropMergeOpPrefix {
			op, err := ParseMergeOp(v)
			if err != nil {
				return nil, err
			}
			ops[k[len(catalog.PropMergeOpPrefix):]] = op
		}
	}
	return ops, nil
}

// pushableConjuncts returns the conjuncts that may be used below the merge:
// those reading only primary-key columns. Tables without a primary key have
// no merge, so every conjunct qualifies.
func pushableConjuncts(filter Expr, tbl *catalog.Table) []Expr {
	var out []Expr
	for _, c := range Conjuncts(filter) {
		if pushable(c, tbl) {
			out = append(out, c)
		}
	}
	return out
}

// pushable reports whether conjunct c may be used below the merge.
func pushable(c Expr, tbl *catalog.Table) bool {
	return len(tbl.PrimaryKey) == 0 || allIn(Columns(c), tbl.PrimaryKey)
}

func allIn(cols, set []string) bool {
	for _, c := range cols {
		if !slices.Contains(set, c) {
			return false
		}
	}
	return true
}

// prune groups the snapshot's files into tasks, dropping what the filter
// rules out.
func (p *Plan) prune() error {
	keepPart, err := p.partitionFilter()
	if err != nil {
		return err
	}
	buckets, err := p.bucketSet()
	if err != nil {
		return err
	}
	var cur *Task
	lastPart := "\x00"
	for _, f := range p.Snapshot.Files {
		if f.Partition != lastPart {
			p.stats.Partitions++
			if !keepPart(f.Partition) {
				p.stats.PartitionsPruned++
			}
			lastPart = f.Partition
		}
		if cur == nil || cur.Partition != f.Partition || cur.Bucket != f.Bucket {
			p.stats.Buckets++
			if keepPart(f.Partition) && buckets != nil && !buckets[f.Bucket] {
				p.stats.BucketsPruned++
			}
			p.Tasks = append(p.Tasks, Task{Partition: f.Partition, Bucket: f.Bucket})
			cur = &p.Tasks[len(p.Tasks)-1]
		}
		p.stats.Files++
		if !keepPart(f.Partition) || (buckets != nil && !buckets[f.Bucket]) || !p.fileMayMatch(f) {
			p.stats.FilesPruned++
			continue
		}
		cur.Files = append(cur.Files, f)
	}
	// Drop emptied tasks, keep Seq order inside each.
	tasks := p.Tasks[:0]
	for _, t := range p.Tasks {
		if len(t.Files) > 0 {
			slices.SortStableFunc(t.Files, func(a, b catalog.DataFile) int { return compareInt64(a.Seq, b.Seq) })
			tasks = append(tasks, t)
		}
	}
	p.Tasks = tasks
	return nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// partitionFilter evaluates the conjuncts that read only partition columns
// on the snapshot's distinct partitions.
func (p *Plan) partitionFilter() (func(string) bool, error) {
	tbl := p.Snapshot.Table
	all := func(string) bool { return true }
	if len(tbl.PartitionBy) == 0 {
		return all, nil
	}
	var conj []Expr
	for _, c := range Conjuncts(p.opts.Filter) {
		if allIn(Columns(c), tbl.PartitionBy) {
			conj = append(conj, c)
		}
	}
	if len(conj) == 0 {
		return all, nil
	}
	var parts []string
	for _, f := range p.Snapshot.Files {
		if len(parts) == 0 || parts[len(parts)-1] != f.Partition {
			parts = append(parts, f.Partition)
		}
	}
	rec, err := partitionRecord(tbl, parts)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	ok, err := Matches(And(conj...), rec)
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(parts))
	for i, part := range parts {
		keep[part] = ok[i]
	}
	return func(part string) bool { return keep[part] }, nil
}

// partitionRecord builds a record with one row per partition and one typed
// column per partition column.
func partitionRecord(tbl *catalog.Table, parts []string) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, len(tbl.PartitionBy))
	for i, name := range tbl.PartitionBy {
		f, err := fieldOf(tbl.Schema, name)
		if err != nil {
			return nil, err
		}
		f.Nullable = true
		fields[i] = f
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, part := range parts {
		vals, err := partition.Parse(part, tbl.PartitionBy)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			if v.Null {
				b.Field(i).AppendNull()
			} else if err := b.Field(i).AppendValueFromString(v.Text); err != nil {
				return nil, fmt.Errorf("partition %q: %w", part, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

// bucketSet returns the buckets that can hold matching keys, or nil when
// the filter does not pin every primary-key column to a few values.
func (p *Plan) bucketSet() (map[int]bool, error) {
	tbl := p.Snapshot.Table
	if len(tbl.PrimaryKey) == 0 || tbl.HashBucketNum <= 1 {
		return nil, nil
	}
	types := make([]arrow.DataType, len(tbl.PrimaryKey))
	choices := make([][]any, len(tbl.PrimaryKey))
	combos := 1
	for i, k := range tbl.PrimaryKey {
		f, _ := fieldOf(tbl.Schema, k)
		types[i] = f.Type
		vals := equalityValues(p.keyConj, k)
		if vals == nil {
			return nil, nil
		}
		for _, v := range vals {
			bv, ok := bucketLiteral(f.Type, v)
			if !ok {
				return nil, nil
			}
			choices[i] = append(choices[i], bv)
		}
		combos *= len(choices[i])
		if combos > maxBucketCombinations {
			return nil, nil
		}
	}
	set := map[int]bool{}
	combo := make([]any, len(types))
	var walk func(int) error
	walk = func(i int) error {
		if i == len(types) {
			b, err := bucket.Value(types, combo, tbl.HashBucketNum)
			if err != nil {
				return err
			}
			set[b] = true
			return nil
		}
		for _, v := range choices[i] {
			combo[i] = v
			if err := walk(i + 1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(0); err != nil {
		return nil, nil // not hashable as given: read every bucket
	}
	return set, nil
}

// equalityValues returns the values column must equal according to an
// Eq or IN conjunct, or nil if there is none. An empty non-nil slice means
// no value can match.
func equalityValues(conj []Expr, column string) []any {
	for _, c := range conj {
		switch x := c.(type) {
		case *Cmp:
			if x.Column == column && x.Op == OpEq && x.Value != nil {
				return []any{x.Value}
			}
		case *InList:
			if x.Column == column {
				out := []any{}
				for _, v := range x.Values {
					if v != nil {
						out = append(out, v)
					}
				}
				return out
			}
		}
	}
	return nil
}

// bucketLiteral converts a user literal to the Go value bucket.Value
// expects for a column of type t.
func bucketLiteral(t arrow.DataType, v any) (any, bool) {
	norm, err := normalizeLiteral(t, v)
	if err != nil {
		return nil, false
	}
	switch t.ID() {
	case arrow.DATE32:
		return time.Unix(norm.(int64)*86400, 0).UTC(), true
	case arrow.TIMESTAMP:
		unit := t.(*arrow.TimestampType).Unit
		return unitToTime(norm.(int64), unit), true
	case arrow.STRING, arrow.LARGE_STRING:
		return norm, true
	case arrow.BINARY, arrow.LARGE_BINARY:
		return []byte(norm.(string)), true
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return norm, true
	}
	return norm, true
}

func unitToTime(v int64, unit arrow.TimeUnit) time.Time {
	switch unit {
	case arrow.Second:
		return time.Unix(v, 0).UTC()
	case arrow.Millisecond:
		return time.UnixMilli(v).UTC()
	case arrow.Microsecond:
		return time.UnixMicro(v).UTC()
	default:
		return time.Unix(0, v).UTC()
	}
}

// fileMayMatch checks the file's first-key-column bounds against the
// conjuncts on that column.
func (p *Plan) fileMayMatch(f catalog.DataFile) bool {
	tbl := p.Snapshot.Table
	if len(tbl.PrimaryKey) == 0 || len(f.KeyMin) == 0 || len(f.KeyMax) == 0 {
		return true
	}
	first := tbl.PrimaryKey[0]
	fld, _ := fieldOf(tbl.Schema, first)
	enc := func(v any) ([]byte, bool) {
		bv, ok := bucketLiteral(fld.Type, v)
		if !ok {
			return nil, false
		}
		b, err := keyenc.AppendValue(nil, fld.Type, bv)
		return b, err == nil
	}
	return rangeMayMatch(p.keyConj, first, func(v any) (int, int, bool) {
		b, ok := enc(v)
		if !ok {
			return 0, 0, false
		}
		return bytes.Compare(f.KeyMin, b), bytes.Compare(f.KeyMax, b), true
	}, false)
}

// rangeMayMatch reports whether any value in [min, max] of column can
// satisfy every conjunct on it. bounds(v) returns compare(min, v) and
// compare(max, v); hasNulls tells whether NULLs may be present.
func rangeMayMatch(conj []Expr, column string, bounds func(v any) (int, int, bool), hasNulls bool) bool {
	for _, c := range conj {
		switch x := c.(type) {
		case *Cmp:
			if x.Column != column || x.Value == nil {
				continue
			}
			lo, hi, ok := bounds(x.Value)
			if !ok {
				continue
			}
			switch x.Op {
			case OpEq:
				if lo > 0 || hi < 0 {
					return false
				}
			case OpLt:
				if lo >= 0 {
					return false
				}
			case OpLe:
				if lo > 0 {
					return false
				}
			case OpGt:
				if hi <= 0 {
					return false
				}
			case OpGe:
				if hi < 0 {
					return false
				}
			case OpNe:
				if lo == 0 && hi == 0 {
					return false
				}
			}
		case *InList:
			if x.Column != column {
				continue
			}
			any := false
			for _, v := range x.Values {
				if v == nil {
					continue
				}
				lo, hi, ok := bounds(v)
				if !ok || (lo <= 0 && hi >= 0) {
					any = true
					break
				}
			}
			if !any {
				return false
			}
		case *Null:
			if x.Column == column && !x.Negate && !hasNulls {
				return false
			}
		}
	}
	return true
}

// rowGroupMayMatch checks one row group's statistics against the pushable
// conjuncts.
func (p *Plan) rowGroupMayMatch(pf *lsio.ParquetFile, rg int) bool {
	for _, c := range p.keyConj {
		for _, col := range Columns(c) {
			st, ok := pf.ColumnStats(rg, col)
			if !ok {
				continue
			}
			fld, err := fieldOf(p.Snapshot.Table.Schema, col)
			if err != nil {
				continue
			}
			if !statsMayMatch([]Expr{c}, col, fld.Type, st) {
				return false
			}
		}
	}
	return true
}

// PartitionMatches reports whether rows of the given partition (existing in
// the snapshot or not) can satisfy the filter's conjuncts on partition
// columns. Writers that read the table use it to decide which concurrent
// changes conflict with what they read.
func (p *Plan) PartitionMatches(part string) (bool, error) {
	tbl := p.Snapshot.Table
	var conj []Expr
	for _, c := range Conjuncts(p.opts.Filter) {
		if len(tbl.PartitionBy) > 0 && allIn(Columns(c), tbl.PartitionBy) {
			conj = append(conj, c)
		}
	}
	if len(conj) == 0 {
		return true, nil
	}
	rec, err := partitionRecord(tbl, []string{part})
	if err != nil {
		return false, err
	}
	defer rec.Release()
	ok, err := Matches(And(conj...), rec)
	if err != nil {
		return false, err
	}
	return ok[0], nil
}

// neededColumns is the set of columns a read must decode: those selected
// and those the filter names.
func neededColumns(cols []string, filter Expr) map[string]bool {
	need := make(map[string]bool, len(cols))
	for _, c := range cols {
		need[c] = true
	}
	for _, c := range Columns(filter) {
		need[c] = true
	}
	return need
}
