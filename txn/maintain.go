package txn

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// OverwriteOptions select what an overwrite replaces.
type OverwriteOptions struct {
	// Partitions replaces only the partitions the input has rows for
	// (dynamic partition overwrite) instead of the whole table.
	Partitions bool
}

// Overwrite replaces the table's rows (or, with opts.Partitions, those of
// the partitions present in recs) by recs, in one commit. With no records
// and without opts.Partitions it empties the table. It conflicts with any
// concurrent change to a partition it replaces.
func (w *Writer) Overwrite(ctx context.Context, tbl *catalog.Table, opts OverwriteOptions, recs ...arrow.RecordBatch) (*catalog.Commit, error) {
	tbl, head, err := w.fresh(ctx, tbl)
	if err != nil {
		return nil, err
	}
	snap, err := w.cfg.Catalog.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &head})
	if err != nil {
		return nil, err
	}
	var files []catalog.DataFile
	if len(recs) > 0 { // without records the table is emptied (TRUNCATE)
		if files, err = w.writeRows(ctx, tbl, recs, kindAppend); err != nil {
			return nil, err
		}
	}
	written := map[string]bool{}
	for _, f := range files {
		written[f.Partition] = true
	}
	var removed []catalog.DataFile
	for _, f := range snap.Files {
		if !opts.Partitions || written[f.Partition] {
			removed = append(removed, f)
		}
	}
	depends := func(string) bool { return true }
	if opts.Partitions {
		depends = func(p string) bool { return written[p] }
	}
	return w.commit(ctx, commitReq{tbl: tbl, op: catalog.OpOverwrite, readVersion: head, added: files, removed: removed, dependsOn: depends})
}

// CompactOptions select what compaction rewrites.
type CompactOptions struct {
	// MinFiles is the number of files a (partition, bucket) needs before it
	// is compacted (default 2). Buckets holding delete markers are always
	// compacted.
	MinFiles int
}

// Compact merges the files of each (partition, bucket) into one, with
// deleted keys dropped, so later reads need no merge. Files committed by
// others while it runs stay live and keep precedence. It returns nil when
// there is nothing to compact.
func (w *Writer) Compact(ctx context.Context, tbl *catalog.Table, opts CompactOptions) (*catalog.Commit, error) {
	if opts.MinFiles <= 0 {
		opts.MinFiles = 2
	}
	tbl, head, err := w.fresh(ctx, tbl)
	if err != nil {
		return nil, err
	}
	snap, err := w.cfg.Catalog.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &head})
	if err != nil {
		return nil, err
	}
	plan, err := mor.NewPlan(snap, mor.ScanOptions{BatchSize: w.cfg.BatchSize, Allocator: w.cfg.Allocator})
	if err != nil {
		return nil, err
	}
	var todo []mor.Task
	for _, t := range plan.Tasks {
		deletes := slices.ContainsFunc(t.Files, func(f catalog.DataFile) bool { return f.Deletes })
		schemaOld := slices.ContainsFunc(t.Files, func(f catalog.DataFile) bool { return f.SchemaID != tbl.SchemaID })
		if len(t.Files) >= opts.MinFiles || deletes || schemaOld {
			todo = append(todo, t)
		}
	}
	if len(todo) == 0 {
		return nil, nil
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
	var removed, kept []catalog.DataFile
	for i, t := range todo {
		removed = append(removed, t.Files...)
		if added[i].Path != "" && added[i].Rows > 0 {
			kept = append(kept, added[i])
		}
	}
	for _, err := range errs {
		if err != nil {
			w.removeFiles(context.WithoutCancel(ctx), added)
			return nil, err
		}
	}
	// Files that came out empty (every key deleted) are not committed.
	for _, f := range added {
		if f.Path != "" && f.Rows == 0 {
			w.removeFiles(context.WithoutCancel(ctx), []catalog.DataFile{f})
		}
	}
	return w.commit(ctx, commitReq{tbl: tbl, op: catalog.OpCompaction, readVersion: head, added: kept, removed: removed})
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
	pw, err := lsio.NewParquetWriter(ctx, w.cfg.Storage, p, rr.Schema(), w.cfg.Write)
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

// Orphans lists the data files under the table's directory that no commit
// of its history references and that are older than olderThan: what a
// writer that died before committing leaves behind. Catalog manifests are
// not data files and are never listed.
func Orphans(ctx context.Context, cat *catalog.Catalog, st lsio.Storage, tbl *catalog.Table, olderThan time.Time) ([]lsio.ObjectInfo, error) {
	commits, err := cat.Commits(ctx, tbl.ID, 0, -1)
	if err != nil {
		return nil, err
	}
	referenced := map[string]bool{}
	for _, c := range commits {
		for _, f := range c.Added {
			referenced[f.Path] = true
		}
	}
	objs, err := st.List(ctx, tbl.Path+"/")
	if err != nil {
		return nil, err
	}
	var out []lsio.ObjectInfo
	for _, o := range objs {
		if referenced[o.Path] || strings.Contains(o.Path, "/_manifests/") || !o.ModTime.Before(olderThan) {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}
