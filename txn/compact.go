package txn

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// CompactOptions select what compaction rewrites.
type CompactOptions struct {
	// MinFiles is the number of files a (partition, bucket) needs before it
	// is compacted (default 2). Buckets holding delete markers or files of
	// an older schema are always compacted.
	MinFiles int
	// Partitions limits compaction to these partitions (Hive-style paths as
	// in catalog.DataFile.Partition); nil means all. A non-nil empty list
	// selects nothing.
	Partitions []string
	// Bucket, when set, limits compaction to the (partition, bucket) pairs
	// for which it returns true.
	Bucket func(partition string, bucket int) bool
	// Runs, when set, picks the runs of a (partition, bucket) to merge: a
	// suffix of files (sorted oldest first) of at least two. Merging only
	// the newest runs leaves the older ones, the big base among them,
	// untouched; it is done only where it is exact (see partialMergeable)
	// and the whole bucket is merged otherwise.
	Runs func(partition string, bucket int, files []catalog.DataFile) []catalog.DataFile
}

// partialMergeable reports whether the newest runs of a bucket can be
// merged without the older ones: every file carries every column (a row
// of a partial-column upsert merged without its older version would read
// NULL in the columns it lacks) and no delete marker or CDC delete (it
// would be dropped, and the key resurrected from the older runs).
func partialMergeable(tbl *catalog.Table, files []catalog.DataFile) bool {
	if tbl.Properties[catalog.PropCDCColumn] != "" {
		return false
	}
	for _, f := range files {
		if f.Deletes || f.Columns != nil || f.SchemaID != tbl.SchemaID {
			return false
		}
	}
	return true
}

// CompactResult summarizes a compaction.
type CompactResult struct {
	// Commit is the compaction's version, nil when there was nothing to do.
	Commit *catalog.Commit
	// FilesRewritten counts the files the commit replaced.
	FilesRewritten int
	// BytesRead and BytesWritten are the sizes of the files replaced and of
	// the files that replace them.
	BytesRead, BytesWritten int64
	// Tasks counts the (partition, bucket) pairs rewritten.
	Tasks int
}

// Compact is CompactWithResult returning only the commit.
func (w *Writer) Compact(ctx context.Context, tbl *catalog.Table, opts CompactOptions) (*catalog.Commit, error) {
	res, err := w.CompactWithResult(ctx, tbl, opts)
	return res.Commit, err
}

// CompactWithResult merges the files of each selected (partition, bucket)
// into one, with deleted keys dropped, so later reads need no merge. Files
// committed by others while it runs stay live and keep precedence. When
// there is nothing to compact it returns a zero result and no error.
func (w *Writer) CompactWithResult(ctx context.Context, tbl *catalog.Table, opts CompactOptions) (CompactResult, error) {
	if opts.MinFiles <= 0 {
		opts.MinFiles = 2
	}
	// The latest version may be expired between reading the head and
	// resolving it (a retention of one version expires it at the next
	// commit): read the head again.
	var snap *catalog.Snapshot
	for attempt := 1; ; attempt++ {
		fresh, head, err := w.fresh(ctx, tbl)
		if err != nil {
			return CompactResult{}, err
		}
		snap, err = w.cfg.Catalog.Snapshot(ctx, fresh.ID, catalog.SnapshotSpec{Version: &head})
		if err == nil {
			break
		}
		if !errors.Is(err, catalog.ErrExpired) || attempt == 5 {
			return CompactResult{}, err
		}
	}
	// Files are written with the schema the snapshot is read with, which
	// a schema change between the two reads above may have made newer.
	tbl = snap.Table
	plan, err := mor.NewPlan(snap, mor.ScanOptions{BatchSize: w.cfg.BatchSize, Allocator: w.cfg.Allocator})
	if err != nil {
		return CompactResult{}, err
	}
	var todo []mor.Task
	for _, t := range plan.Tasks {
		if opts.Partitions != nil && !slices.Contains(opts.Partitions, t.Partition) {
			continue
		}
		if opts.Bucket != nil && !opts.Bucket(t.Partition, t.Bucket) {
			continue
		}
		deletes := slices.ContainsFunc(t.Files, func(f catalog.DataFile) bool { return f.Deletes })
		schemaOld := slices.ContainsFunc(t.Files, func(f catalog.DataFile) bool { return f.SchemaID != tbl.SchemaID })
		if len(t.Files) >= opts.MinFiles || deletes || schemaOld {
			if opts.Runs != nil && len(t.Files) > 2 {
				sub := opts.Runs(t.Partition, t.Bucket, t.Files)
				if len(sub) >= 2 && len(sub) < len(t.Files) &&
					sub[0].Path == t.Files[len(t.Files)-len(sub)].Path && partialMergeable(tbl, sub) {
					t.Files = t.Files[len(t.Files)-len(sub):]
				}
			}
			todo = append(todo, t)
		}
	}
	if len(todo) == 0 {
		return CompactResult{}, nil
	}
	writeID := newWriteID()
	added := make([]catalog.DataFile, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, w.cfg.Parallelism)
	done := make(chan struct{})
	for i, t := range todo {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			added[i], errs[i] = w.compactTask(ctx, tbl, plan, writeID, t)
		}()
	}
	for range todo {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			w.removeFiles(context.WithoutCancel(ctx), added)
			return CompactResult{}, err
		}
	}
	res := CompactResult{Tasks: len(todo)}
	var removed, kept []catalog.DataFile
	for i, t := range todo {
		removed = append(removed, t.Files...)
		for _, f := range t.Files {
			res.BytesRead += f.Size
		}
		res.FilesRewritten += len(t.Files)
		switch f := added[i]; {
		case f.Path == "":
		case f.Rows == 0:
			// Every key was deleted: the empty file is not committed.
			w.removeFiles(context.WithoutCancel(ctx), []catalog.DataFile{f})
		default:
			kept = append(kept, f)
			res.BytesWritten += f.Size
		}
	}
	cm, err := w.commit(ctx, commitReq{
		tbl: tbl, op: catalog.OpCompaction, readVersion: snap.Version, added: kept, removed: removed,
		summary: map[string]string{"files_rewritten": fmt.Sprint(res.FilesRewritten), "tasks": fmt.Sprint(res.Tasks)},
	})
	if err != nil {
		return CompactResult{}, err
	}
	res.Commit = cm
	return res, nil
}

// compactTask streams the merged rows of one task into a single file whose
// Seq is the highest of the files it replaces.
func (w *Writer) compactTask(ctx context.Context, tbl *catalog.Table, plan *mor.Plan, writeID string, t mor.Task) (catalog.DataFile, error) {
	rr, err := plan.OpenTaskFull(ctx, w.cfg.Storage, t)
	if err != nil {
		return catalog.DataFile{}, err
	}
	defer rr.Release()
	var seq int64
	for _, f := range t.Files {
		seq = max(seq, f.Seq)
	}
	p := filePath(tbl, t.Partition, writeID, t.Bucket)
	opts := w.cfg.Write
	opts.KeyColumns = tbl.PrimaryKey
	opts.Rows = t.Rows()
	pw, err := lsio.NewParquetWriter(ctx, w.cfg.Storage, p, rr.Schema(), opts)
	if err != nil {
		return catalog.DataFile{}, err
	}
	var lo, hi []byte
	keyIdx := -1
	if len(tbl.PrimaryKey) > 0 {
		keyIdx = rr.Schema().FieldIndices(tbl.PrimaryKey[0])[0]
	}
	for rr.Next() {
		rec := rr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		if keyIdx >= 0 && keyenc.Supported(rec.Column(keyIdx).DataType()) {
			col := rec.Column(keyIdx)
			if lo == nil {
				lo, _ = keyenc.Append(nil, col, 0)
			}
			hi, _ = keyenc.Append(hi[:0], col, col.Len()-1)
		}
		if err := pw.Write(rec); err != nil {
			_ = pw.Abort()
			return catalog.DataFile{}, fmt.Errorf("write %s: %w", p, err)
		}
	}
	if err := rr.Err(); err != nil {
		_ = pw.Abort()
		return catalog.DataFile{}, err
	}
	stats, err := pw.Close()
	if err != nil {
		return catalog.DataFile{}, fmt.Errorf("write %s: %w", p, err)
	}
	return catalog.DataFile{
		Path: p, Partition: t.Partition, Bucket: t.Bucket, Seq: seq,
		Rows: stats.Rows, Size: stats.Size, SchemaID: tbl.SchemaID,
		KeyMin: lo, KeyMax: hi,
	}, nil
}
