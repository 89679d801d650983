package txn

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// Write stores recs in the table: an upsert when it has a primary key, an
// append otherwise.
func (w *Writer) Write(ctx context.Context, tbl *catalog.Table, recs ...arrow.RecordBatch) (*catalog.Commit, error) {
	if len(tbl.PrimaryKey) > 0 {
		return w.Upsert(ctx, tbl, recs...)
	}
	return w.Append(ctx, tbl, recs...)
}

// Append adds rows to a table without primary key. Columns the input lacks
// are NULL (and must be nullable).
func (w *Writer) Append(ctx context.Context, tbl *catalog.Table, recs ...arrow.RecordBatch) (*catalog.Commit, error) {
	if len(tbl.PrimaryKey) > 0 {
		return nil, fmt.Errorf("%w: %s.%s has a primary key: upsert into it", ErrInvalid, tbl.Namespace, tbl.Name)
	}
	return w.blindWrite(ctx, tbl, catalog.OpAppend, kindAppend, recs)
}

// Upsert inserts or replaces rows by primary key. A batch that carries only
// some columns (besides the key and partition columns) updates just those
// columns and keeps the others (a new key gets NULL in them). Within one
// write, the last row of a key wins. Rows whose CDC change column (table
// property lakesoul_cdc_change_column) is "delete" delete their key.
func (w *Writer) Upsert(ctx context.Context, tbl *catalog.Table, recs ...arrow.RecordBatch) (*catalog.Commit, error) {
	if len(tbl.PrimaryKey) == 0 {
		return nil, fmt.Errorf("%w: %s.%s has no primary key: append to it", ErrInvalid, tbl.Namespace, tbl.Name)
	}
	return w.blindWrite(ctx, tbl, catalog.OpUpsert, kindUpsert, recs)
}

// DeleteKeys deletes the rows whose keys are in keys, a record with the
// primary-key and partition columns (other columns are ignored). Keys that do
// not exist are no-ops.
func (w *Writer) DeleteKeys(ctx context.Context, tbl *catalog.Table, keys ...arrow.RecordBatch) (*catalog.Commit, error) {
	if len(tbl.PrimaryKey) == 0 {
		return nil, fmt.Errorf("%w: %s.%s has no primary key: delete by predicate", ErrInvalid, tbl.Namespace, tbl.Name)
	}
	projected := make([]arrow.RecordBatch, 0, len(keys))
	defer func() {
		for _, r := range projected {
			r.Release()
		}
	}()
	keep := slices.Concat(tbl.PrimaryKey, tbl.PartitionBy)
	for _, r := range keys {
		p, err := projectByName(r, keep)
		if err != nil {
			return nil, err
		}
		projected = append(projected, p)
	}
	return w.blindWrite(ctx, tbl, catalog.OpDelete, kindDeleteKeys, projected)
}

// fresh reloads the table so a write never uses stale metadata, and returns
// it with the version the write starts from.
func (w *Writer) fresh(ctx context.Context, tbl *catalog.Table) (*catalog.Table, int64, error) {
	cur, err := w.cfg.Catalog.LoadTableByID(ctx, tbl.ID)
	if err != nil {
		return nil, 0, err
	}
	head, err := w.cfg.Catalog.Head(ctx, tbl.ID)
	if err != nil {
		return nil, 0, err
	}
	return cur, head, nil
}

// blindWrite runs appends, upserts and deletes by key: writes that do not
// depend on what the table holds, so concurrent commits never conflict.
func (w *Writer) blindWrite(ctx context.Context, tbl *catalog.Table, op catalog.Operation, kind writeKind, recs []arrow.RecordBatch) (*catalog.Commit, error) {
	tbl, head, err := w.fresh(ctx, tbl)
	if err != nil {
		return nil, err
	}
	files, err := w.writeRows(ctx, tbl, recs, kind, true)
	if err != nil {
		return nil, err
	}
	return w.commit(ctx, commitReq{tbl: tbl, op: op, readVersion: head, added: files})
}

// writeRows conforms the input, cuts it into (partition, bucket) groups and
// writes each group as one file sorted by key (last row of a key kept). The
// groups are sorted, gathered and written by a pool of workers, each group
// start to finish, so no phase waits for another and memory is freed as
// files complete. On error the files already written are removed. When
// throttled, Config.Throttle sees the groups before anything is written.
func (w *Writer) writeRows(ctx context.Context, tbl *catalog.Table, recs []arrow.RecordBatch, kind writeKind, throttled bool) ([]catalog.DataFile, error) {
	mem := w.cfg.Allocator
	rec, err := conform(tbl, recs, kind, mem)
	if err != nil {
		return nil, err
	}
	defer func() { rec.Release() }() // rec may be replaced below
	if kind == kindDeleteKeys {
		marked, err := withDeleteMarker(rec, mem)
		if err != nil {
			return nil, err
		}
		rec.Release()
		rec = marked
	}
	if rec.NumRows() == 0 {
		return nil, nil
	}
	groups, err := splitRows(tbl, rec)
	if err != nil {
		return nil, err
	}
	if throttled && w.cfg.Throttle != nil {
		touched := make([]BucketRef, len(groups))
		for i, g := range groups {
			touched[i] = BucketRef{Partition: g.partition, Bucket: g.bucket}
		}
		if err := w.cfg.Throttle(ctx, tbl, touched); err != nil {
			return nil, fmt.Errorf("txn: write to %s.%s held back: %w", tbl.Namespace, tbl.Name, err)
		}
	}
	var keys []arrow.Array
	for _, k := range tbl.PrimaryKey {
		keys = append(keys, rec.Column(rec.Schema().FieldIndices(k)[0]))
	}
	partial := int(rec.NumCols()) < tbl.Schema.NumFields()
	cdc := -1
	if c := tbl.Properties[catalog.PropCDCColumn]; c != "" {
		if idx := rec.Schema().FieldIndices(c); len(idx) > 0 {
			cdc = idx[0]
		}
	}
	writeID := newWriteID()
	files := make([]catalog.DataFile, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	sem := make(chan struct{}, w.cfg.Parallelism)
	for i := range groups {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			g := groups[i]
			rows := g.rows
			if len(keys) > 0 {
				rows = sortDedupe(keys, rows)
			}
			r, err := take(ctx, rec, rows, mem)
			if err != nil {
				errs[i] = err
				return
			}
			defer r.Release()
			files[i], errs[i] = w.writeFile(ctx, tbl, writeID, fileSpec{
				partition: g.partition,
				bucket:    g.bucket,
				rec:       r,
				partial:   partial,
				deletes:   kind == kindDeleteKeys || (cdc >= 0 && hasDeleteRow(r.Column(cdc))),
			})
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			w.removeFiles(context.WithoutCancel(ctx), files)
			return nil, err
		}
	}
	return files, nil
}

func releaseSpecs(specs []fileSpec) {
	for _, s := range specs {
		if s.rec != nil {
			s.rec.Release()
		}
	}
}

// hasDeleteRow reports whether a CDC change column marks any row "delete".
func hasDeleteRow(col arrow.Array) bool {
	type valuer interface{ ValueStr(int) string }
	v, ok := col.(valuer)
	if !ok {
		return false
	}
	for i := 0; i < col.Len(); i++ {
		if col.IsValid(i) && v.ValueStr(i) == "delete" {
			return true
		}
	}
	return false
}

// withDeleteMarker appends the hidden delete-marker column, true on every row.
func withDeleteMarker(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	for i := int64(0); i < rec.NumRows(); i++ {
		b.Append(true)
	}
	marker := b.NewArray()
	defer marker.Release()
	fields := append(slices.Clone(rec.Schema().Fields()), arrow.Field{Name: mor.DeleteMarkerColumn, Type: arrow.FixedWidthTypes.Boolean})
	cols := append(slices.Clone(rec.Columns()), marker)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}

// projectByName keeps the named columns of rec, in the given order.
func projectByName(rec arrow.RecordBatch, names []string) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, 0, len(names))
	cols := make([]arrow.Array, 0, len(names))
	for _, n := range names {
		idx := rec.Schema().FieldIndices(n)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%w: the input lacks key column %q", ErrInvalid, n)
		}
		fields = append(fields, rec.Schema().Field(idx[0]))
		cols = append(cols, rec.Column(idx[0]))
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}
