package mor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// Change reads return the net changes of a table between two versions:
// for every key whose row differs between the versions, the row that left
// (delete, update_before) and the row that came (insert, update_after),
// with the three columns below appended to the table's columns.
const (
	ChangeTypeColumn      = "_change_type"
	CommitVersionColumn   = "_commit_version"
	CommitTimestampColumn = "_commit_timestamp"

	ChangeInsert       = "insert"
	ChangeUpdateBefore = "update_before"
	ChangeUpdateAfter  = "update_after"
	ChangeDelete       = "delete"
)

// ErrInvalidRange reports a change read between snapshots that do not
// bound a range of one table's history.
var ErrInvalidRange = errors.New("mor: invalid change range")

// changeFields are the columns every change record ends with.
var changeFields = []arrow.Field{
	{Name: ChangeTypeColumn, Type: arrow.BinaryTypes.String},
	{Name: CommitVersionColumn, Type: arrow.PrimitiveTypes.Int64},
	{Name: CommitTimestampColumn, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
}

// ChangeOptions describe a change read.
type ChangeOptions struct {
	// Columns are the table columns to return, in order; nil means every
	// column of the table at the newer version. The three change columns
	// are always appended.
	Columns []string
	// Filter keeps the change rows for which it is true; it may name table
	// columns and the change columns. Its conjuncts on primary-key columns
	// are also used below the merge, and those on partition columns and the
	// whole key prune partitions and buckets.
	Filter Expr
	// BatchSize is the number of rows per record (default 8192).
	BatchSize int
	// Allocator for the records produced (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// Cache is passed to lsio.ReadOptions.
	Cache *lsio.FileCache
}

// TouchedFile is a file added or removed by a row-changing commit in the
// range, with the last such commit (a file removed and added back appears
// once).
type TouchedFile struct {
	File      catalog.DataFile `json:"file"`
	Version   int64            `json:"version"`
	Timestamp time.Time        `json:"ts"`
}

// ChangeTask is one (partition, bucket) with changes. It is plain data, so
// it can be carried to another process (PlanChangeTasks).
//
// For a table with a primary key, Before and After are the live files of
// the bucket at the older and the newer version, in Seq order. For a table
// without one, rows have no identity and nothing is merged: After lists
// the files whose rows were added in the range and Before those whose rows
// were removed, a file added and removed in the range cancelling out (a
// file listed twice contributes its rows twice).
type ChangeTask struct {
	Partition string             `json:"partition,omitempty"`
	Bucket    int                `json:"bucket"`
	Before    []catalog.DataFile `json:"before,omitempty"`
	After     []catalog.DataFile `json:"after,omitempty"`
	Touched   []TouchedFile      `json:"touched"`
}

// ChangePlan is a planned change read of one table between two versions.
type ChangePlan struct {
	table    *catalog.Table
	from, to int64
	opts     ChangeOptions
	tasks    []ChangeTask

	schema     *arrow.Schema // output: selected columns, then the change columns
	merge      *arrow.Schema // every table column, as merged rows carry them
	readSchema *arrow.Schema // the merge columns the output or the filter needs, then the change columns
	readCols   []int         // per table column of readSchema, its index in merge
	outIdx     []int         // per output column, its index in readSchema
	base       *Plan         // opens runs with the filter's conjuncts that may go below the merge
}

// NewChangePlan plans the changes of a table between two of its
// snapshots: from.Version <= to.Version, and commits are the table's
// commits in (from.Version, to.Version] as catalog.(*Catalog).Commits
// returns them. Every commit but compactions counts: the files it added
// and removed name the keys it may have changed. There is one task per
// (partition, bucket) touched, after pruning by the filter. Columns and
// Filter are validated against the schema of to; rows are read with that
// schema whatever schema their files were written with.
func NewChangePlan(from, to *catalog.Snapshot, commits []catalog.Commit, opts ChangeOptions) (*ChangePlan, error) {
	if from == nil || to == nil || from.Table == nil || to.Table == nil {
		return nil, fmt.Errorf("%w: NewChangePlan needs two snapshots of a table", ErrInvalidRange)
	}
	if from.Table.ID != to.Table.ID {
		return nil, fmt.Errorf("%w: snapshots of tables %s and %s", ErrInvalidRange, from.Table.ID, to.Table.ID)
	}
	if from.Version > to.Version {
		return nil, fmt.Errorf("%w: from version %d is after to version %d", ErrInvalidRange, from.Version, to.Version)
	}
	p, err := newChangePlan(to.Table, from.Version, to.Version, opts)
	if err != nil {
		return nil, err
	}
	if err := p.planTasks(from, to, commits); err != nil {
		return nil, err
	}
	return p, nil
}

// PlanChangeTasks rebuilds, typically in another process, a change plan
// over tasks a NewChangePlan chose: tbl is the table at version to. The
// options are validated as NewChangePlan validates them; nothing is
// pruned.
func PlanChangeTasks(tbl *catalog.Table, from, to int64, opts ChangeOptions, tasks []ChangeTask) (*ChangePlan, error) {
	if tbl == nil {
		return nil, fmt.Errorf("%w: PlanChangeTasks needs a table", ErrInvalidRange)
	}
	if from > to {
		return nil, fmt.Errorf("%w: from version %d is after to version %d", ErrInvalidRange, from, to)
	}
	p, err := newChangePlan(tbl, from, to, opts)
	if err != nil {
		return nil, err
	}
	p.tasks = slices.Clone(tasks)
	return p, nil
}

// newChangePlan validates opts against tbl and derives the schemas of a
// change read, leaving the tasks empty.
func newChangePlan(tbl *catalog.Table, from, to int64, opts ChangeOptions) (*ChangePlan, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 8192
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	schema := tbl.Schema
	for _, f := range changeFields {
		if schema.HasField(f.Name) {
			return nil, fmt.Errorf("%w: table %s.%s has a column %q, the name of a change column",
				ErrInvalidFilter, tbl.Namespace, tbl.Name, f.Name)
		}
	}
	cols := opts.Columns
	if cols == nil {
		cols = make([]string, schema.NumFields())
		for i, f := range schema.Fields() {
			cols[i] = f.Name
		}
	}
	outFields := make([]arrow.Field, 0, len(cols)+len(changeFields))
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
	outFields = append(outFields, changeFields...)

	mergeFields := make([]arrow.Field, schema.NumFields())
	for i, f := range schema.Fields() {
		f.Nullable = f.Nullable || !slices.Contains(tbl.PrimaryKey, f.Name)
		mergeFields[i] = f
	}
	merge := arrow.NewSchema(mergeFields, nil)
	full := arrow.NewSchema(slices.Concat(mergeFields, changeFields), nil)
	if err := ValidateExpr(opts.Filter, full); err != nil {
		return nil, err
	}

	need := neededColumns(cols, opts.Filter)
	var readFields []arrow.Field
	var readCols []int
	for i, f := range mergeFields {
		if need[f.Name] {
			readFields = append(readFields, f)
			readCols = append(readCols, i)
		}
	}
	readSchema := arrow.NewSchema(append(readFields, changeFields...), nil)
	out := arrow.NewSchema(outFields, nil)
	outIdx := make([]int, out.NumFields())
	for i, f := range out.Fields() {
		outIdx[i] = readSchema.FieldIndices(f.Name)[0]
	}

	// The conjuncts on table columns only prune partitions and buckets and
	// go below the merge where the plan of a snapshot would use them.
	var tableConj []Expr
	for _, c := range Conjuncts(opts.Filter) {
		if allTableColumns(Columns(c), schema) {
			tableConj = append(tableConj, c)
		}
	}
	var baseFilter Expr
	if len(tableConj) > 0 {
		baseFilter = And(tableConj...)
	}
	base, err := newPlan(&catalog.Snapshot{Table: tbl, Version: to}, ScanOptions{
		Filter: baseFilter, BatchSize: opts.BatchSize, Allocator: opts.Allocator,
	})
	if err != nil {
		return nil, err
	}
	return &ChangePlan{
		table: tbl, from: from, to: to, opts: opts,
		schema: out, merge: merge, readSchema: readSchema, readCols: readCols, outIdx: outIdx,
		base: base,
	}, nil
}

func allTableColumns(cols []string, schema *arrow.Schema) bool {
	for _, c := range cols {
		if !schema.HasField(c) {
			return false
		}
	}
	return true
}

// planTasks groups the files the commits in (from, to] touched by
// (partition, bucket), dropping what the filter rules out.
func (p *ChangePlan) planTasks(from, to *catalog.Snapshot, commits []catalog.Commit) error {
	keepPart := func(string) bool { return true }
	var ferr error
	if len(p.table.PartitionBy) > 0 && p.base.opts.Filter != nil {
		memo := map[string]bool{}
		keepPart = func(part string) bool {
			ok, seen := memo[part]
			if !seen {
				var err error
				if ok, err = p.base.PartitionMatches(part); err != nil {
					ferr = cmp.Or(ferr, err)
				}
				memo[part] = ok
			}
			return ok
		}
	}
	buckets, err := p.base.bucketSet()
	if err != nil {
		return err
	}
	type group struct {
		part   string
		bucket int
	}
	touched := map[group]map[string]TouchedFile{}
	net := map[string]int{} // tables without primary key: added minus removed
	for _, cm := range commits {
		if cm.Version <= from.Version || cm.Version > to.Version || cm.Operation == catalog.OpCompaction {
			continue
		}
		for i, list := range [][]catalog.DataFile{cm.Removed, cm.Added} {
			sign := 2*i - 1 // removed -1, added +1
			for _, f := range list {
				if !keepPart(f.Partition) || (buckets != nil && !buckets[f.Bucket]) {
					continue
				}
				g := group{f.Partition, f.Bucket}
				m := touched[g]
				if m == nil {
					m = map[string]TouchedFile{}
					touched[g] = m
				}
				if old, ok := m[f.Path]; !ok || cm.Version >= old.Version {
					m[f.Path] = TouchedFile{File: f, Version: cm.Version, Timestamp: cm.Timestamp}
				}
				net[f.Path] += sign
			}
		}
	}
	if ferr != nil {
		return ferr
	}
	groups := make([]group, 0, len(touched))
	for g := range touched {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b group) int {
		return cmp.Or(cmp.Compare(a.part, b.part), cmp.Compare(a.bucket, b.bucket))
	})
	live := func(files []catalog.DataFile) map[group][]catalog.DataFile {
		out := map[group][]catalog.DataFile{}
		for _, f := range files {
			g := group{f.Partition, f.Bucket}
			if _, ok := touched[g]; ok {
				out[g] = append(out[g], f)
			}
		}
		for _, fs := range out {
			slices.SortStableFunc(fs, func(a, b catalog.DataFile) int { return cmp.Compare(a.Seq, b.Seq) })
		}
		return out
	}
	keyed := len(p.table.PrimaryKey) > 0
	var before, after map[group][]catalog.DataFile
	if keyed {
		before, after = live(from.Files), live(to.Files)
	}
	for _, g := range groups {
		t := ChangeTask{Partition: g.part, Bucket: g.bucket}
		for _, tf := range touched[g] {
			if keyed {
				t.Touched = append(t.Touched, tf)
				continue
			}
			n := net[tf.File.Path]
			for ; n > 0; n-- {
				t.After = append(t.After, tf.File)
			}
			for ; n < 0; n++ {
				t.Before = append(t.Before, tf.File)
			}
			if net[tf.File.Path] != 0 {
				t.Touched = append(t.Touched, tf)
			}
		}
		if len(t.Touched) == 0 {
			continue
		}
		slices.SortFunc(t.Touched, func(a, b TouchedFile) int {
			return cmp.Or(cmp.Compare(a.Version, b.Version), cmp.Compare(a.File.Path, b.File.Path))
		})
		if keyed {
			t.Before, t.After = before[g], after[g]
		} else {
			bySeq := func(a, b catalog.DataFile) int { return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Path, b.Path)) }
			slices.SortFunc(t.Before, bySeq)
			slices.SortFunc(t.After, bySeq)
		}
		p.tasks = append(p.tasks, t)
	}
	return nil
}

// Tasks returns the plan's tasks in (partition, bucket) order (for
// PlanChangeTasks, in the order given).
func (p *ChangePlan) Tasks() []ChangeTask { return p.tasks }

// Schema is the schema of the records the plan yields: the selected table
// columns, then ChangeTypeColumn, CommitVersionColumn and
// CommitTimestampColumn.
func (p *ChangePlan) Schema() *arrow.Schema { return p.schema }

// OpenTask returns a streaming reader of one task's change rows, in key
// order, an update_before row right before its update_after row.
func (p *ChangePlan) OpenTask(ctx context.Context, st lsio.Storage, t ChangeTask) (array.RecordReader, error) {
	if len(p.table.PrimaryKey) == 0 {
		return p.openUnkeyed(ctx, st, t), nil
	}
	return p.openKeyed(ctx, st, t)
}

// Scan reads every task of the plan, GOMAXPROCS tasks at a time. Each
// task's records keep their order; records of different tasks interleave.
// Releasing the reader early cancels the remaining work.
func (p *ChangePlan) Scan(ctx context.Context, st lsio.Storage) array.RecordReader {
	return scanTasks(ctx, p.schema, len(p.tasks), runtime.GOMAXPROCS(0), 0, func(ctx context.Context, i int) (array.RecordReader, error) {
		return p.OpenTask(ctx, st, p.tasks[i])
	})
}

// Changes plans and reads the changes between two snapshots in one call
// (see NewChangePlan).
func Changes(ctx context.Context, st lsio.Storage, from, to *catalog.Snapshot, commits []catalog.Commit, opts ChangeOptions) (array.RecordReader, error) {
	p, err := NewChangePlan(from, to, commits, opts)
	if err != nil {
		return nil, err
	}
	return p.Scan(ctx, st), nil
}
