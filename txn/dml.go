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
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
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
	// Files are written with the schema the snapshot is read with, which
	// a schema change between the two reads above may have made newer.
	tbl = snap.Table
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
			arrowconv.ReleaseAll(recs)
			if err != nil {
				releaseSpecs(specs)
				return nil, 0, err
			}
			recs = updated
		}
		if arrowconv.CountRows(recs) == 0 {
			arrowconv.ReleaseAll(recs)
			continue
		}
		rec, err := arrowconv.ConcatRecords(w.cfg.Allocator, recs, nil)
		arrowconv.ReleaseAll(recs)
		if err != nil {
			releaseSpecs(specs)
			return nil, 0, err
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
		arrowconv.ReleaseAll(recs)
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
			arrowconv.ReleaseAll(out)
			return nil, err
		}
		merged, err := overlay(tbl, r, nv, w.cfg.Allocator)
		nv.Release()
		if err != nil {
			arrowconv.ReleaseAll(out)
			return nil, err
		}
		out = append(out, merged)
	}
	return out, nil
}

// overlay replaces the columns of rows by those of nv (same row count),
// cast to the table's types.
func overlay(tbl *catalog.Table, rows, nv arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
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
		if !arrowconv.Castable(f.Type, tf[0].Type) {
			return nil, fmt.Errorf("%w: column %q is %s in the table but the update gives %s", ErrInvalid, f.Name, tf[0].Type, f.Type)
		}
		c, err := arrowconv.CastColumn(mem, nv.Column(i), tf[0].Type)
		if err != nil {
			return nil, fmt.Errorf("%w: column %q: %w", ErrInvalid, f.Name, err)
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
					arrowconv.ReleaseAll(recs, keep)
					return fail(fmt.Errorf("%w: %v", ErrInvalid, err))
				}
				hit, miss, err := split(ctx, r, mask, w.cfg.Allocator)
				if err != nil {
					arrowconv.ReleaseAll(recs, keep)
					return fail(err)
				}
				matched += hit.NumRows()
				keep = append(keep, miss)
				if fn != nil && hit.NumRows() > 0 {
					up, err := w.applyUpdate(ctx, tbl, []arrow.RecordBatch{hit}, fn)
					if err != nil {
						hit.Release()
						arrowconv.ReleaseAll(recs, keep)
						return fail(err)
					}
					keep = append(keep, up...)
				}
				hit.Release()
			}
			arrowconv.ReleaseAll(recs)
			if matched == 0 {
				arrowconv.ReleaseAll(keep)
				continue
			}
			total += matched
			removed = append(removed, f)
			if arrowconv.CountRows(keep) == 0 {
				arrowconv.ReleaseAll(keep)
				continue
			}
			rec, err := arrowconv.ConcatRecords(w.cfg.Allocator, keep, nil)
			arrowconv.ReleaseAll(keep)
			if err != nil {
				return fail(err)
			}
			specs = append(specs, fileSpec{partition: f.Partition, bucket: f.Bucket, rec: rec})
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
