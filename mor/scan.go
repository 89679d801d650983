package mor

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// OpenTask returns a streaming reader of one task's rows, merged, filtered,
// projected to p.Schema and limited to the plan's limit.
func (p *Plan) OpenTask(ctx context.Context, st lsio.Storage, t Task) (array.RecordReader, error) {
	if late, ok, err := p.openLate(ctx, st, t); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return p.finish(ctx, late), nil
	}
	merged, err := p.openMerged(ctx, st, t, p.readSchema, p.keyConj)
	if err != nil {
		return nil, err
	}
	return p.finish(ctx, merged), nil
}

// OpenTaskFull returns the merged rows of a task with every column of the
// snapshot's schema and no filter: what compaction rewrites.
func (p *Plan) OpenTaskFull(ctx context.Context, st lsio.Storage, t Task) (array.RecordReader, error) {
	return p.openMerged(ctx, st, t, p.Snapshot.Table.Schema, nil)
}

// openMerged opens the files of t and merges them (or concatenates them for
// tables without a primary key), yielding the columns of schema. keyFilter
// holds conjuncts on primary-key columns only: they keep or drop every
// version of a key alike, so they are applied to each run before the merge
// and a key lookup merges only the rows of its key.
func (p *Plan) openMerged(ctx context.Context, st lsio.Storage, t Task, schema *arrow.Schema, keyFilter []Expr) (array.RecordReader, error) {
	tbl := p.Snapshot.Table
	ropts := lsio.ReadOptions{BatchSize: int64(p.opts.BatchSize), Allocator: p.opts.Allocator, WholeObjectBelow: p.opts.WholeObjectBelow, Cache: p.opts.Cache}
	if len(tbl.PrimaryKey) == 0 {
		return p.openConcat(ctx, st, t, schema, ropts), nil
	}
	cdc := tbl.Properties[catalog.PropCDCColumn]
	var runs []Run
	fail := func(err error) (array.RecordReader, error) {
		for _, r := range runs {
			r.Reader.Release()
		}
		return nil, err
	}
	for _, f := range t.Files {
		run, ok, err := p.openRun(ctx, st, f, schema, keyFilter, ropts)
		if err != nil {
			return fail(err)
		}
		if ok {
			runs = append(runs, run)
		}
	}
	outFields := make([]arrow.Field, schema.NumFields())
	for i, f := range schema.Fields() {
		f.Nullable = f.Nullable || !slices.Contains(tbl.PrimaryKey, f.Name)
		outFields[i] = f
	}
	return NewMergeReader(ctx, runs, MergeOptions{
		PrimaryKey: tbl.PrimaryKey,
		Schema:     arrow.NewSchema(outFields, nil),
		MergeOps:   p.mergeOps,
		CDCColumn:  cdc,
		BatchSize:  p.opts.BatchSize,
		Allocator:  p.opts.Allocator,
	})
}

// openRun opens one file of a primary-key table as a run of the merge: the
// key, delete-marker and CDC columns and those of schema the file holds
// (matched by field id, see project), named and typed as schema (or the
// table's schema) says, with keyFilter applied to its rows. A column the
// file lacks is left out of the run, or carries its default when the file
// holds whole rows written before the column was added. ok is false when
// no row group of the file can match.
func (p *Plan) openRun(ctx context.Context, st lsio.Storage, f catalog.DataFile, schema *arrow.Schema, keyFilter []Expr, ropts lsio.ReadOptions) (_ Run, ok bool, _ error) {
	tbl := p.Snapshot.Table
	cdc := tbl.Properties[catalog.PropCDCColumn]
	point := pointFilter(keyFilter)
	if point {
		ropts.WholeObjectBelow = -1 // a lookup reads a few pages, never whole objects
	}
	pf, err := lsio.OpenParquet(ctx, st, f.Path, ropts)
	if err != nil {
		return Run{}, false, fmt.Errorf("open %s: %w", f.Path, err)
	}
	rgs := p.rowGroups(pf)
	var loc map[int][]lsio.RowRange
	if len(rgs) > 0 && point {
		if loc, err = p.locateKeys(ctx, pf, rgs, keyFilter); err != nil {
			pf.Close()
			return Run{}, false, fmt.Errorf("read %s: %w", f.Path, err)
		}
		if len(loc) == 0 {
			rgs = nil
		}
	}
	if len(rgs) == 0 {
		pf.Close()
		return Run{}, false, nil
	}
	wanted := slices.Clone(schema.Fields())
	for _, tf := range tbl.Schema.Fields() {
		if (slices.Contains(tbl.PrimaryKey, tf.Name) || tf.Name == cdc) && !schema.HasField(tf.Name) {
			wanted = append(wanted, tf)
		}
	}
	proj := project(pf.Schema(), f, wanted, []string{DeleteMarkerColumn}, false)
	var rr array.RecordReader
	if loc != nil {
		rr, err = readLocated(ctx, pf, proj.read, loc, p.opts.Allocator)
	} else {
		rr, err = pf.Read(ctx, proj.read, rgs)
	}
	if err != nil {
		pf.Close()
		return Run{}, false, fmt.Errorf("read %s: %w", f.Path, err)
	}
	run := closeWith(projectReader(rr, proj, p.opts.Allocator), pf.Close)
	if len(keyFilter) > 0 && loc == nil {
		run = filterReader(ctx, run, And(keyFilter...), p.opts.Allocator)
	}
	return Run{Reader: run, Seq: f.Seq}, true, nil
}

func (p *Plan) rowGroups(pf *lsio.ParquetFile) []int {
	n := pf.NumRowGroups()
	rgs := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if len(p.keyConj) == 0 || p.rowGroupMayMatch(pf, i) {
			rgs = append(rgs, i)
		}
	}
	return rgs
}

// openConcat reads the files of a task without a primary key one after
// another, in Seq order, mapping file columns by field id (see project) and
// filling columns a file lacks with their default (files written before the
// column was added) or NULL.
func (p *Plan) openConcat(ctx context.Context, st lsio.Storage, t Task, schema *arrow.Schema, ropts lsio.ReadOptions) array.RecordReader {
	files := t.Files
	var cur array.RecordReader
	closeCur := func() {
		if cur != nil {
			cur.Release()
			cur = nil
		}
	}
	next := func() (arrow.RecordBatch, error) {
		for {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if cur != nil {
				if cur.Next() {
					rec := cur.RecordBatch()
					rec.Retain()
					return rec, nil
				}
				err := cur.Err()
				closeCur()
				if err != nil {
					return nil, err
				}
			}
			if len(files) == 0 {
				return nil, nil
			}
			f := files[0]
			files = files[1:]
			pf, err := lsio.OpenParquet(ctx, st, f.Path, ropts)
			if err != nil {
				return nil, fmt.Errorf("open %s: %w", f.Path, err)
			}
			rgs := p.rowGroups(pf)
			proj := project(pf.Schema(), f, schema.Fields(), nil, true)
			rr, err := pf.Read(ctx, proj.read, rgs)
			if err != nil {
				pf.Close()
				return nil, fmt.Errorf("read %s: %w", f.Path, err)
			}
			cur = closeWith(projectReader(rr, proj, p.opts.Allocator), pf.Close)
		}
	}
	return newIterReader(schema, next, closeCur)
}

// finish applies the filter, projects to the plan's output schema and
// applies the limit.
func (p *Plan) finish(ctx context.Context, in array.RecordReader) array.RecordReader {
	filter := p.opts.Filter
	remaining := p.opts.Limit
	out := p.Schema
	idx := make([]int, out.NumFields())
	for i, f := range out.Fields() {
		idx[i] = in.Schema().FieldIndices(f.Name)[0]
	}
	next := func() (arrow.RecordBatch, error) {
		for {
			if p.opts.Limit > 0 && remaining <= 0 {
				return nil, nil
			}
			if !in.Next() {
				return nil, in.Err()
			}
			rec := in.RecordBatch()
			rec.Retain()
			if filter != nil {
				filtered, err := filterRecord(ctx, rec, filter, p.opts.Allocator)
				rec.Release()
				if err != nil {
					return nil, err
				}
				rec = filtered
			}
			if rec.NumRows() == 0 {
				rec.Release()
				continue
			}
			cols := make([]arrow.Array, len(idx))
			for i, j := range idx {
				cols[i] = rec.Column(j)
			}
			n := rec.NumRows()
			if p.opts.Limit > 0 && n > remaining {
				n = remaining
			}
			proj := array.NewRecordBatch(out, cols, rec.NumRows())
			rec.Release()
			if n < proj.NumRows() {
				sliced := proj.NewSlice(0, n)
				proj.Release()
				proj = sliced
			}
			remaining -= n
			return proj, nil
		}
	}
	return newIterReader(out, next, in.Release)
}

// pointFilter reports whether conjuncts name single keys (equality or IN),
// so that few rows match and locating them first (see locateKeys) is
// worth it.
func pointFilter(conj []Expr) bool {
	for _, c := range conj {
		switch e := c.(type) {
		case *Cmp:
			if e.Op == OpEq {
				return true
			}
		case *InList:
			return true
		}
	}
	return false
}

// filterReader keeps the rows of in for which e is true, skipping records
// left empty.
func filterReader(ctx context.Context, in array.RecordReader, e Expr, mem memory.Allocator) array.RecordReader {
	return newIterReader(in.Schema(), func() (arrow.RecordBatch, error) {
		for in.Next() {
			out, err := filterRecord(ctx, in.RecordBatch(), e, mem)
			if err != nil {
				return nil, err
			}
			if out.NumRows() > 0 {
				return out, nil
			}
			out.Release()
		}
		return nil, in.Err()
	}, in.Release)
}

// filterRecord keeps the rows of rec for which e is true.
func filterRecord(ctx context.Context, rec arrow.RecordBatch, e Expr, mem memory.Allocator) (arrow.RecordBatch, error) {
	ok, err := Matches(e, rec)
	if err != nil {
		return nil, err
	}
	kept := 0
	for _, b := range ok {
		if b {
			kept++
		}
	}
	if kept == len(ok) {
		rec.Retain()
		return rec, nil
	}
	bb := array.NewBooleanBuilder(mem)
	defer bb.Release()
	bb.AppendValues(ok, nil)
	mask := bb.NewBooleanArray()
	defer mask.Release()
	return compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, mask, compute.DefaultFilterOptions())
}

// closeWith returns a reader that also calls fn when released.
func closeWith(in array.RecordReader, fn func() error) array.RecordReader {
	return newIterReader(in.Schema(), func() (arrow.RecordBatch, error) {
		if !in.Next() {
			return nil, in.Err()
		}
		rec := in.RecordBatch()
		rec.Retain()
		return rec, nil
	}, func() {
		in.Release()
		_ = fn()
	})
}

// Scan reads a whole plan with Parallelism tasks in flight. Records are
// returned as the tasks produce them: each task's records keep their order
// (sorted by primary key within a bucket), records of different tasks
// interleave. The plan's limit applies across tasks. Releasing the reader
// early cancels the remaining work.
func (p *Plan) Scan(ctx context.Context, st lsio.Storage) array.RecordReader {
	return scanTasks(ctx, p.Schema, len(p.Tasks), p.opts.Parallelism, p.opts.Limit, func(ctx context.Context, i int) (array.RecordReader, error) {
		return p.OpenTask(ctx, st, p.Tasks[i])
	})
}

// Scan plans and reads a snapshot in one call.
func Scan(ctx context.Context, st lsio.Storage, snap *catalog.Snapshot, opts ScanOptions) (array.RecordReader, error) {
	p, err := NewPlan(snap, opts)
	if err != nil {
		return nil, err
	}
	return p.Scan(ctx, st), nil
}
