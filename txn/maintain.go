package txn

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
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
		if files, err = w.writeRows(ctx, tbl, recs, kindAppend, false); err != nil {
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

// DropPartitions removes every file of the partitions for which drop
// returns true, in one commit (operation catalog.OpDelete, with
// Summary["dropped_partitions"] the JSON array of the partitions dropped,
// sorted). It returns nil when no live partition matches. It conflicts with
// any concurrent change to a partition it drops; other partitions never
// conflict. Partition retention (TTL) is built on it.
func (w *Writer) DropPartitions(ctx context.Context, tbl *catalog.Table, drop func(partition string) bool) (*catalog.Commit, error) {
	if drop == nil {
		return nil, fmt.Errorf("%w: DropPartitions needs a predicate", ErrInvalid)
	}
	tbl, head, err := w.fresh(ctx, tbl)
	if err != nil {
		return nil, err
	}
	snap, err := w.cfg.Catalog.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &head})
	if err != nil {
		return nil, err
	}
	dropped := map[string]bool{}
	var parts []string
	var removed []catalog.DataFile
	for _, f := range snap.Files {
		d, seen := dropped[f.Partition]
		if !seen {
			d = drop(f.Partition)
			dropped[f.Partition] = d
			if d {
				parts = append(parts, f.Partition)
			}
		}
		if d {
			removed = append(removed, f)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	slices.Sort(parts)
	list, _ := json.Marshal(parts)
	return w.commit(ctx, commitReq{
		tbl: tbl, op: catalog.OpDelete, readVersion: head, removed: removed,
		dependsOn: func(p string) bool { return dropped[p] },
		summary:   map[string]string{"dropped_partitions": string(list)},
	})
}

// Rollback commits a new version whose live files are those of the version
// spec selects (by Version or AsOf): the files live now but not then are
// removed and those live then but not now are added back, with their
// original Seq, so the new version reads exactly like the old one. History
// is kept: the commit's operation is catalog.OpRollback and
// Summary["rolled_back_to"] names the version. The table keeps its current
// schema (files of older schemas are read by field id).
//
// Rolling back to the head version, or to one whose live files are those
// of the head, commits nothing and returns nil. A version that never
// existed fails with the catalog's ErrNotFound, an expired one with
// catalog.ErrExpired, and nothing changes. Rollback conflicts with every
// concurrent commit (ErrConflict, retryable), like an overwrite of the
// whole table. It refuses, with an error wrapping lsio.ErrNotExist, when a
// file it would add back is missing from storage.
func (w *Writer) Rollback(ctx context.Context, tbl *catalog.Table, spec catalog.SnapshotSpec) (*catalog.Commit, error) {
	tbl, head, err := w.fresh(ctx, tbl)
	if err != nil {
		return nil, err
	}
	if spec.Version == nil && spec.AsOf == nil {
		return nil, nil // the latest version: nothing to roll back
	}
	target, err := w.cfg.Catalog.Snapshot(ctx, tbl.ID, spec)
	if err != nil {
		return nil, fmt.Errorf("txn: rollback of %s.%s: %w", tbl.Namespace, tbl.Name, err)
	}
	if target.Version >= head {
		return nil, nil
	}
	cur, err := w.cfg.Catalog.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &head})
	if err != nil {
		return nil, err
	}
	then := make(map[string]bool, len(target.Files))
	for _, f := range target.Files {
		then[f.Path] = true
	}
	now := make(map[string]bool, len(cur.Files))
	var removed, added []catalog.DataFile
	for _, f := range cur.Files {
		now[f.Path] = true
		if !then[f.Path] {
			removed = append(removed, f)
		}
	}
	for _, f := range target.Files {
		if !now[f.Path] {
			added = append(added, f)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return nil, nil // the live files are those of the target already
	}
	if err := w.checkExist(ctx, added); err != nil {
		return nil, fmt.Errorf("txn: rollback of %s.%s to version %d: %w", tbl.Namespace, tbl.Name, target.Version, err)
	}
	// An expiry may have removed the target since it was read, and will
	// delete the files only it used: look again after the files were seen.
	if oldest, err := w.cfg.Catalog.Oldest(ctx, tbl.ID); err != nil {
		return nil, err
	} else if oldest > target.Version {
		return nil, fmt.Errorf("txn: rollback of %s.%s: %w: version %d was expired while the rollback ran (the oldest is %d)",
			tbl.Namespace, tbl.Name, catalog.ErrExpired, target.Version, oldest)
	}
	return w.commit(ctx, commitReq{
		tbl: tbl, op: catalog.OpRollback, readVersion: head, added: added, removed: removed,
		exclusive: true, adopted: true,
		summary: map[string]string{"rolled_back_to": strconv.FormatInt(target.Version, 10)},
	})
}

// checkExist reports the first of files missing from storage.
func (w *Writer) checkExist(ctx context.Context, files []catalog.DataFile) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, max(w.cfg.Parallelism, 8))
	for _, f := range files {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := w.cfg.Storage.Stat(ctx, f.Path)
			if err == nil {
				return
			}
			if errors.Is(err, lsio.ErrNotExist) {
				err = fmt.Errorf("data file %s is gone: %w", f.Path, err)
			}
			mu.Lock()
			first = cmp.Or(first, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return first
}
