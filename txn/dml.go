package txn

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// UpdateFunc computes new values for rows matched by an update. It gets a
// batch of matching rows with every table column and returns a batch with
// the same number of rows holding the new values of the columns it changes
// (any subset, by name). Key and partition columns cannot change.
type UpdateFunc func(ctx context.Context, rows arrow.RecordBatch) (arrow.RecordBatch, error)

// Delete removes the rows for which filter is true and reports how many
// were removed. On a table with a primary key it writes delete markers for
// the matching keys (merge-on-read); on one without, it rewrites the files
// holding matching rows (copy-on-write). Nothing is committed when no row
// matches.
func (w *Writer) Delete(ctx context.Context, tbl *catalog.Table, filter mor.Expr) (*catalog.Commit, int64, error) {
	return w.rewrite(ctx, tbl, filter, nil)
}

// Update replaces the rows for which filter is true with fn's values and
// reports how many rows changed. Nothing is committed when no row matches.
func (w *Writer) Update(ctx context.Context, tbl *catalog.Table, filter mor.Expr, fn UpdateFunc) (*catalog.Commit, int64, error) {
	if fn == nil {
		return nil, 0, fmt.Errorf("%w: update needs a function", ErrInvalid)
	}
	return w.rewrite(ctx, tbl, filter, fn)
}

// rewrite runs a delete (fn == nil) or an update by predicate.
func (w *Writer) rewrite(ctx context.Context, tbl *catalog.Table, filter mor.Expr, fn UpdateFunc) (*catalog.Commit, int64, error) {
	tbl, head, err := w.fresh(ctx, tbl)
	if err != nil {
		return nil, 0, err
	}
	snap, err := w.cfg.Catalog.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &head})
	if err != nil {
		return nil, 0, err
	}
	op := catalog.OpDelete
	if fn != nil {
		op = catalog.OpUpdate
	}
	opts := mor.ScanOptions{Filter: filter, BatchSize: w.cfg.BatchSize, Allocator: w.cfg.Allocator}
	if fn == nil && len(tbl.PrimaryKey) > 0 {
		opts.Columns = slices.Concat(tbl.PrimaryKey, withoutAll(tbl.PartitionBy, tbl.PrimaryKey))
	}
	plan, err := mor.NewPlan(snap, opts)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var specs []fileSpec
	var removed []catalog.DataFile
	var n int64
	if len(tbl.PrimaryKey) > 0 {
		specs, n, err = w.rewriteByKey(ctx, tbl, plan, fn)
	} else {
		specs, removed, n, err = w.copyOnWrite(ctx, snap, plan, filter, fn)
	}
	defer releaseSpecs(specs)
	if err != nil || n == 0 {
		return nil, 0, err
	}
	files, err := w.writeFiles(ctx, tbl, newWriteID(), specs)
	if err != nil {
		return nil, 0, err
	}
	cm, err := w.commit(ctx, commitReq{
		tbl: tbl, op: op, readVersion: head, added: files, removed: removed,
		dependsOn: func(part string) bool {
			ok, err := plan.PartitionMatches(part)
			return ok || err != nil // when unsure, conflict

		},
		summary: map[string]string{"predicate": exprString(filter), "rows_" + string(op) + "d": strconv.FormatInt(n, 10)},
	})
	if err != nil {
		return nil, 0, err
	}
	return cm, n, nil
}

func exprString(e mor.Expr) string {
	if e == nil {
		return "TRUE"
	}
	return e.String()
}

func withoutAll(cols, drop []string) []string {
	var out []string
	for _, c := range cols {
		if !slices.Contains(drop, c) {
			out = append(out, c)
		}
	}
	return out
}

// rewriteByKey reads the matching rows of each task of a key table and
// produces one file per task: delete markers, or the updated rows.
func (w *Writer) rewriteByKey(ctx context.Context, tbl *catalog.Table, plan *mor.Plan, fn UpdateFunc) ([]fileSpec, int64, error) {
	var specs []fileSpec
	var total int64
	for _, t := range plan.Tasks {
		recs, err := w.readTask(ctx, plan, t)
		if err != nil {
			releaseSpecs(specs)
			return nil, 0, err
		}
		if fn != nil {
			updated, err := w.applyUpdate(ctx, tbl, recs, fn)
			releaseAll(recs)
			if err != nil {
				releaseSpecs(specs)
				return nil, 0, err
			}
			recs = updated
		}
		rec, err := concatRecords(recs, w.cfg.Allocator)
		releaseAll(recs)
		if err != nil {
			releaseSpecs(specs)
			return nil, 0, err
		}
		if rec == nil {
			continue
		}
		total += rec.NumRows()
		spec := fileSpec{partition: t.Partition, bucket: t.Bucket, rec: rec}
		if fn == nil {
			marked, err := withDeleteMarker(rec, w.cfg.Allocator)
			rec.Release()
			if err != nil {
				releaseSpecs(specs)
				return nil, 0, err
			}
			spec.rec, spec.deletes, spec.partial = marked, true, true
		}
		specs = append(specs, spec)
	}
	return specs, total, nil
}

// readTask collects the records of one task of a plan.
func (w *Writer) readTask(ctx context.Context, plan *mor.Plan, t mor.Task) ([]arrow.RecordBatch, error) {
	rr, err := plan.OpenTask(ctx, w.cfg.Storage, t)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var recs []arrow.RecordBatch
	for rr.Next() {
		r := rr.RecordBatch()
		r.Retain()
		recs = append(recs, r)
	}
	if err := rr.Err(); err != nil {
		releaseAll(recs)
		return nil, err
	}
	return recs, nil
}

// applyUpdate runs fn on each batch and overlays its columns on the rows,
// checking that keys and partitions stay as they were.
func (w *Writer) applyUpdate(ctx context.Context, tbl *catalog.Table, recs []arrow.RecordBatch, fn UpdateFunc) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for _, r := range recs {
		nv, err := fn(ctx, r)
		if err != nil {
			releaseAll(out)
			return nil, err
		}
		merged, err := overlay(ctx, tbl, r, nv, w.cfg.Allocator)
		nv.Release()
		if err != nil {
			releaseAll(out)
			return nil, err
		}
		out = append(out, merged)
	}
	return out, nil
}

// overlay replaces the columns of rows by those of nv (same row count),
// cast to the table's types.
func overlay(ctx context.Context, tbl *catalog.Table, rows, nv arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if nv.NumRows() != rows.NumRows() {
		return nil, fmt.Errorf("%w: update returned %d rows for %d", ErrInvalid, nv.NumRows(), rows.NumRows())
	}
	cols := slices.Clone(rows.Columns())
	var owned []arrow.Array
	defer func() {
		for _, c := range owned {
			c.Release()
		}
	}()
	for i, f := range nv.Schema().Fields() {
		idx := rows.Schema().FieldIndices(f.Name)
		tf, ok := tbl.Schema.FieldsByName(f.Name)
		if len(idx) == 0 || !ok {
			return nil, fmt.Errorf("%w: table %s.%s has no column %q", ErrInvalid, tbl.Namespace, tbl.Name, f.Name)
		}
		if !castable(f.Type, tf[0].Type) {
			return nil, fmt.Errorf("%w: column %q is %s in the table but the update gives %s", ErrInvalid, f.Name, tf[0].Type, f.Type)
		}
		c, err := castColumn(ctx, nv.Column(i), tf[0], mem)
		if err != nil {
			return nil, err
		}
		owned = append(owned, c)
		if !tf[0].Nullable && c.NullN() > 0 {
			return nil, fmt.Errorf("%w: update sets NOT NULL column %q to NULL", ErrInvalid, f.Name)
		}
		if slices.Contains(tbl.PrimaryKey, f.Name) || slices.Contains(tbl.PartitionBy, f.Name) {
			if !array.Equal(c, rows.Column(idx[0])) {
				return nil, fmt.Errorf("%w: update cannot change key or partition column %q; delete and insert instead", ErrInvalid, f.Name)
			}
		}
		cols[idx[0]] = c
	}
	return array.NewRecordBatch(rows.Schema(), cols, rows.NumRows()), nil
}

// copyOnWrite rewrites the files of a table without key that hold matching
// rows: without them (delete) or with them updated.
func (w *Writer) copyOnWrite(ctx context.Context, snap *catalog.Snapshot, plan *mor.Plan, filter mor.Expr, fn UpdateFunc) ([]fileSpec, []catalog.DataFile, int64, error) {
	tbl := snap.Table
	full, err := mor.NewPlan(snap, mor.ScanOptions{BatchSize: w.cfg.BatchSize, Allocator: w.cfg.Allocator})
	if err != nil {
		return nil, nil, 0, err
	}
	var specs []fileSpec
	var removed []catalog.DataFile
	var total int64
	fail := func(err error) ([]fileSpec, []catalog.DataFile, int64, error) {
		releaseSpecs(specs)
		return nil, nil, 0, err
	}
	for _, t := range plan.Tasks {
		for _, f := range t.Files {
			recs, err := w.readTask(ctx, full, mor.Task{Partition: t.Partition, Bucket: t.Bucket, Files: []catalog.DataFile{f}})
			if err != nil {
				return fail(err)
			}
			var keep []arrow.RecordBatch
			var matched int64
			for _, r := range recs {
				mask, err := mor.Matches(filter, r)
				if err != nil {
					releaseAll(recs, keep)
					return fail(fmt.Errorf("%w: %v", ErrInvalid, err))
				}
				hit, miss, err := split(ctx, r, mask, w.cfg.Allocator)
				if err != nil {
					releaseAll(recs, keep)
					return fail(err)
				}
				matched += hit.NumRows()
				keep = append(keep, miss)
				if fn != nil && hit.NumRows() > 0 {
					up, err := w.applyUpdate(ctx, tbl, []arrow.RecordBatch{hit}, fn)
					if err != nil {
						hit.Release()
						releaseAll(recs, keep)
						return fail(err)
					}
					keep = append(keep, up...)
				}
				hit.Release()
			}
			releaseAll(recs)
			if matched == 0 {
				releaseAll(keep)
				continue
			}
			total += matched
			removed = append(removed, f)
			rec, err := concatRecords(keep, w.cfg.Allocator)
			releaseAll(keep)
			if err != nil {
				return fail(err)
			}
			if rec != nil {
				specs = append(specs, fileSpec{partition: f.Partition, bucket: f.Bucket, rec: rec})
			}
		}
	}
	return specs, removed, total, nil
}

// split divides rec into the rows where mask is true and the others.
func split(ctx context.Context, rec arrow.RecordBatch, mask []bool, mem memory.Allocator) (hit, miss arrow.RecordBatch, err error) {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.AppendValues(mask, nil)
	m := b.NewBooleanArray()
	defer m.Release()
	inv := make([]bool, len(mask))
	for i, v := range mask {
		inv[i] = !v
	}
	b.AppendValues(inv, nil)
	im := b.NewBooleanArray()
	defer im.Release()
	ctx = compute.WithAllocator(ctx, mem)
	hit, err = compute.FilterRecordBatch(ctx, rec, m, compute.DefaultFilterOptions())
	if err != nil {
		return nil, nil, err
	}
	miss, err = compute.FilterRecordBatch(ctx, rec, im, compute.DefaultFilterOptions())
	if err != nil {
		hit.Release()
		return nil, nil, err
	}
	return hit, miss, nil
}

// concatRecords joins records of one schema; nil when they hold no rows.
func concatRecords(recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	if rows == 0 {
		return nil, nil
	}
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	schema := recs[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	for i := range cols {
		parts := make([]arrow.Array, len(recs))
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, err
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(schema, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

func releaseAll(lists ...[]arrow.RecordBatch) {
	for _, l := range lists {
		for _, r := range l {
			r.Release()
		}
	}
}
