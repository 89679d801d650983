package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// CleanupResult counts what a cleanup deleted from storage.
type CleanupResult struct {
	FilesDeleted int
	BytesDeleted int64
}

// manifestDir is where the catalog keeps a table's manifests (see the
// catalog's package documentation).
const manifestDir = "/_manifests/"

// references is what the retained versions of a table need from storage.
type references struct {
	oldest, head int64
	// files holds the data files of the snapshot at the oldest retained
	// version and every file a later commit added (a rollback may add back
	// a file an earlier commit removed).
	files map[string]bool
	// commits are the retained commits (the oldest version's included), by
	// version, to recognize the manifests they are stored in.
	commits map[int64]*catalog.Commit
}

// retained reads what the retained versions of tbl reference. It reads
// the retained commits first and then the snapshot at the oldest of them,
// and starts over if an expiry removed that version in between, so the
// result always covers every version retained when it returns.
func (w *Writer) retained(ctx context.Context, tbl *catalog.Table) (*references, error) {
	cat := w.cfg.Catalog
	for attempt := 1; ; attempt++ {
		commits, err := cat.Commits(ctx, tbl.ID, 0, -1)
		if err != nil {
			return nil, err
		}
		if len(commits) == 0 {
			return nil, fmt.Errorf("txn: table %s.%s has no retained version", tbl.Namespace, tbl.Name)
		}
		oldest := commits[0].Version
		base, err := cat.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &oldest})
		if errors.Is(err, catalog.ErrExpired) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		refs := &references{oldest: oldest, files: make(map[string]bool, len(base.Files)), commits: make(map[int64]*catalog.Commit, len(commits))}
		for _, f := range base.Files {
			refs.files[f.Path] = true
		}
		for i := range commits {
			c := &commits[i]
			refs.commits[c.Version] = c
			refs.head = c.Version
			for _, f := range c.Added {
				refs.files[f.Path] = true
			}
		}
		return refs, nil
	}
}

// Orphans lists the data files under the table's directory that no
// retained version references and that are older than olderThan: what a
// writer that died before committing leaves behind, and what an expiry
// interrupted before its deletes left. Referenced are the files live at the
// oldest retained version and those any later commit added. Manifests are
// not listed (RemoveOrphans handles them).
func Orphans(ctx context.Context, cat *catalog.Catalog, st lsio.Storage, tbl *catalog.Table, olderThan time.Time) ([]lsio.ObjectInfo, error) {
	w := &Writer{cfg: Config{Catalog: cat, Storage: st}}
	files, _, err := w.orphans(ctx, tbl, olderThan)
	return files, err
}

// orphans lists the orphan data files and manifests of tbl older than
// olderThan. Listing storage before reading the catalog means a file
// committed meanwhile is seen as referenced; one written meanwhile is too
// young to be listed.
func (w *Writer) orphans(ctx context.Context, tbl *catalog.Table, olderThan time.Time) (files, manifests []lsio.ObjectInfo, err error) {
	objs, err := w.cfg.Storage.List(ctx, tbl.Path+"/")
	if err != nil {
		return nil, nil, err
	}
	refs, err := w.retained(ctx, tbl)
	if err != nil {
		return nil, nil, err
	}
	var manifestObjs []lsio.ObjectInfo
	for _, o := range objs {
		if !o.ModTime.Before(olderThan) {
			continue
		}
		if strings.HasPrefix(o.Path, tbl.Path+manifestDir) {
			manifestObjs = append(manifestObjs, o)
			continue
		}
		if !refs.files[o.Path] {
			files = append(files, o)
		}
	}
	manifests, err = w.orphanManifests(ctx, tbl, refs, manifestObjs)
	if err != nil {
		return nil, nil, err
	}
	return files, manifests, nil
}

// orphanManifests picks, among the table's manifests old enough to go, the
// ones no retained commit or checkpoint can reference. The catalog names
// them commit-<version>-<random>.json and checkpoint-<version>-<random>.json.
//
//   - A commit manifest of a version below the oldest retained one belongs
//     to an expired commit; one above the head, to a commit that lost its
//     race. One of a retained version is referenced only if it holds that
//     version's commit (a manifest of a lost race for the same version
//     holds another commit, with other files or another timestamp).
//   - Once versions were expired, the catalog keeps a checkpoint at the
//     oldest retained version and none below it: a checkpoint manifest of a
//     lower version is no longer referenced. Other checkpoint manifests are
//     kept (the catalog does not say which one of a version it committed).
//
// Anything not recognized is kept.
func (w *Writer) orphanManifests(ctx context.Context, tbl *catalog.Table, refs *references, objs []lsio.ObjectInfo) ([]lsio.ObjectInfo, error) {
	type entry struct {
		obj     lsio.ObjectInfo
		kind    string
		version int64
	}
	var entries []entry
	for _, o := range objs {
		kind, v, ok := parseManifestName(strings.TrimPrefix(o.Path, tbl.Path+manifestDir))
		if ok {
			entries = append(entries, entry{o, kind, v})
		}
	}
	var out []lsio.ObjectInfo
	for _, e := range entries {
		switch e.kind {
		case "checkpoint":
			if e.version < refs.oldest {
				out = append(out, e.obj)
			}
		case "commit":
			switch c := refs.commits[e.version]; {
			case e.version < refs.oldest || e.version > refs.head:
				out = append(out, e.obj)
			case c == nil:
				// Not read (cannot happen for a retained version): keep.
			default:
				holds, err := w.manifestHolds(ctx, e.obj.Path, c)
				if err != nil {
					return nil, err
				}
				if !holds {
					out = append(out, e.obj)
				}
			}
		}
	}
	return out, nil
}

// parseManifestName splits "<kind>-<version>-<random>.json".
func parseManifestName(name string) (kind string, version int64, ok bool) {
	if strings.Contains(name, "/") || !strings.HasSuffix(name, ".json") {
		return "", 0, false
	}
	parts := strings.Split(strings.TrimSuffix(name, ".json"), "-")
	if len(parts) != 3 || (parts[0] != "commit" && parts[0] != "checkpoint") {
		return "", 0, false
	}
	v, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || v < 0 {
		return "", 0, false
	}
	return parts[0], v, true
}

// manifestHolds reports whether the commit manifest at path holds cm. A
// manifest that cannot be decoded is treated as holding it (kept).
func (w *Writer) manifestHolds(ctx context.Context, path string, cm *catalog.Commit) (bool, error) {
	b, err := w.cfg.Storage.Get(ctx, path)
	if errors.Is(err, lsio.ErrNotExist) {
		return true, nil // gone already; nothing to delete
	}
	if err != nil {
		return false, err
	}
	var got catalog.Commit
	if json.Unmarshal(b, &got) != nil {
		return true, nil
	}
	return got.Version == cm.Version && got.Timestamp.Equal(cm.Timestamp) && got.Operation == cm.Operation &&
		samePaths(got.Added, cm.Added) && samePaths(got.Removed, cm.Removed), nil
}

func samePaths(a, b []catalog.DataFile) bool {
	return slices.EqualFunc(a, b, func(x, y catalog.DataFile) bool { return x.Path == y.Path })
}

// RemoveOrphans deletes the files under the table's directory that no
// retained version needs and that are older than olderThan: data files no
// retained version references (see Orphans) and manifests no retained
// commit or checkpoint references. The grace period olderThan protects
// writes in flight, whose files exist before their commit; it should be
// longer than any write takes. It is measured from each file's creation,
// so a manifest of a version expired a moment ago goes at once: a reader
// that resolved the table before that expiry and still reads its history
// may then fail and has to resolve it again. Deletion goes on past errors,
// which are returned joined with what was deleted.
func (w *Writer) RemoveOrphans(ctx context.Context, tbl *catalog.Table, olderThan time.Time) (CleanupResult, error) {
	files, manifests, err := w.orphans(ctx, tbl, olderThan)
	if err != nil {
		return CleanupResult{}, err
	}
	res, err := w.deleteObjects(ctx, append(files, manifests...))
	if res.FilesDeleted > 0 {
		w.cfg.Logger.Info("removed orphan files", "table", tbl.Namespace+"."+tbl.Name,
			"files", res.FilesDeleted, "bytes", res.BytesDeleted)
	}
	return res, err
}

// deleteObjects deletes objects in parallel, going on past failures.
func (w *Writer) deleteObjects(ctx context.Context, objs []lsio.ObjectInfo) (CleanupResult, error) {
	var (
		mu   sync.Mutex
		res  CleanupResult
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, max(w.cfg.Parallelism, 8))
	for _, o := range objs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := w.cfg.Storage.Delete(ctx, o.Path)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if len(errs) < 10 {
					errs = append(errs, fmt.Errorf("delete %s: %w", o.Path, err))
				}
				return
			}
			res.FilesDeleted++
			res.BytesDeleted += o.Size
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// ExpireOptions select the versions Expire removes.
type ExpireOptions struct {
	// OlderThan expires the versions committed before it; zero sets no age
	// limit (only RetainLast bounds what is kept).
	OlderThan time.Time
	// RetainLast keeps at least this many newest versions, whatever their
	// age (>= 1; 0 means 1). The head version is never expired.
	RetainLast int
}

// ExpireResult summarizes an expiry.
type ExpireResult struct {
	// VersionsRemoved counts the versions removed from the history.
	VersionsRemoved int64
	// Oldest is the oldest version that can be read afterwards.
	Oldest int64
	// FilesDeleted and BytesDeleted count the data files deleted: those
	// that only removed versions used.
	FilesDeleted int
	BytesDeleted int64
}

// Expire removes the old versions opts selects from the table's history
// (catalog.ExpireVersions), then deletes the data files that only the
// removed versions used. The catalog commits first, so a failure or crash
// before the deletes finish leaves only orphans, which RemoveOrphans
// deletes later; it never leaves a retained version without its files.
// A file is kept while a retained version references it (see Orphans),
// including one an older commit removed and a rollback added back.
// Manifests of removed versions are left to RemoveOrphans (readers that
// resolved an older revision may still read them). Reading a removed
// version fails with an error matching catalog.ErrExpired.
//
// A negative RetainLast is ErrInvalid. When nothing is old enough, Expire
// changes nothing and reports the current oldest version.
//
// A Rollback to a version that a concurrent Expire removes may commit
// after Expire decided which files to delete; Rollback refuses once it
// sees the version expired or its files gone, but the two should not be
// run against one table at once.
func (w *Writer) Expire(ctx context.Context, tbl *catalog.Table, opts ExpireOptions) (ExpireResult, error) {
	if opts.RetainLast < 0 {
		return ExpireResult{}, fmt.Errorf("%w: RetainLast must not be negative, got %d", ErrInvalid, opts.RetainLast)
	}
	cat := w.cfg.Catalog
	tbl, head, err := w.fresh(ctx, tbl)
	if err != nil {
		return ExpireResult{}, err
	}
	oldest, err := cat.Oldest(ctx, tbl.ID)
	if err != nil {
		return ExpireResult{}, err
	}
	keepFrom := head - int64(max(opts.RetainLast, 1)) + 1
	if !opts.OlderThan.IsZero() {
		// The newest version committed before OlderThan is the last to go.
		before := opts.OlderThan.Add(-time.Nanosecond)
		s, err := cat.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{AsOf: &before})
		switch {
		case errors.Is(err, catalog.ErrNotFound): // includes ErrExpired
			keepFrom = 0
		case err != nil:
			return ExpireResult{}, err
		default:
			keepFrom = min(keepFrom, s.Version+1)
		}
	}
	if keepFrom <= oldest {
		return ExpireResult{Oldest: oldest}, nil
	}
	// What the versions about to go reference, read while they exist.
	base, err := cat.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &oldest})
	if err != nil && !errors.Is(err, catalog.ErrExpired) {
		return ExpireResult{}, err
	}
	removed, err := cat.ExpireVersions(ctx, tbl.ID, keepFrom)
	if err != nil {
		return ExpireResult{}, err
	}
	res := ExpireResult{VersionsRemoved: int64(len(removed)), Oldest: keepFrom}
	if w.afterExpire != nil {
		w.afterExpire()
	}
	// Candidates: every file a removed version may have used. A file live
	// at the first removed version, or added or removed by a removed
	// commit, or removed by the commit at keepFrom (live just below it).
	candidates := map[string]int64{}
	if base != nil {
		for _, f := range base.Files {
			candidates[f.Path] = f.Size
		}
	}
	for _, c := range removed {
		for _, list := range [][]catalog.DataFile{c.Added, c.Removed} {
			for _, f := range list {
				candidates[f.Path] = f.Size
			}
		}
	}
	// What the retained versions reference, read after the catalog commit
	// so that commits made meanwhile count.
	refs, err := w.retained(ctx, tbl)
	if err != nil {
		return res, fmt.Errorf("txn: versions below %d of %s.%s expired, their files not deleted yet (orphans now): %w",
			keepFrom, tbl.Namespace, tbl.Name, err)
	}
	res.Oldest = refs.oldest
	if c := refs.commits[keepFrom]; c != nil {
		for _, f := range c.Removed {
			candidates[f.Path] = f.Size
		}
	}
	var doomed []lsio.ObjectInfo
	for p, size := range candidates {
		if !refs.files[p] {
			doomed = append(doomed, lsio.ObjectInfo{Path: p, Size: size})
		}
	}
	slices.SortFunc(doomed, func(a, b lsio.ObjectInfo) int { return strings.Compare(a.Path, b.Path) })
	del, err := w.deleteObjects(ctx, doomed)
	res.FilesDeleted, res.BytesDeleted = del.FilesDeleted, del.BytesDeleted
	if err != nil {
		return res, fmt.Errorf("txn: versions below %d of %s.%s expired, some of their files not deleted (orphans now): %w",
			keepFrom, tbl.Namespace, tbl.Name, err)
	}
	w.cfg.Logger.Info("expired versions", "table", tbl.Namespace+"."+tbl.Name, "versions", res.VersionsRemoved,
		"oldest", res.Oldest, "files", res.FilesDeleted, "bytes", res.BytesDeleted)
	return res, nil
}

// PurgeDroppedTables deletes every file under the directories of the
// tables dropped before olderThan and then forgets them in the catalog
// (catalog.ForgetDroppedTable). A table whose files could not all be
// deleted is kept for the next run; errors are returned joined with what
// was deleted.
func (w *Writer) PurgeDroppedTables(ctx context.Context, olderThan time.Time) (CleanupResult, error) {
	cat := w.cfg.Catalog
	dropped, err := cat.DroppedTables(ctx)
	if err != nil {
		return CleanupResult{}, err
	}
	var res CleanupResult
	var errs []error
	for _, d := range dropped {
		if !d.DroppedAt.Before(olderThan) {
			continue
		}
		if d.Path == "" || strings.HasPrefix(d.Path, "/") || strings.Contains(d.Path, "..") {
			errs = append(errs, fmt.Errorf("txn: dropped table %s.%s (id %s) has an unusable path %q", d.Namespace, d.Name, d.ID, d.Path))
			continue
		}
		objs, err := w.cfg.Storage.List(ctx, d.Path+"/")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		del, err := w.deleteObjects(ctx, objs)
		res.FilesDeleted += del.FilesDeleted
		res.BytesDeleted += del.BytesDeleted
		if err != nil {
			errs = append(errs, fmt.Errorf("txn: purge dropped table %s.%s (id %s): %w", d.Namespace, d.Name, d.ID, err))
			continue
		}
		if err := cat.ForgetDroppedTable(ctx, d.ID); err != nil && !errors.Is(err, catalog.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		w.cfg.Logger.Info("purged dropped table", "table", d.Namespace+"."+d.Name, "id", d.ID, "files", del.FilesDeleted)
	}
	return res, errors.Join(errs...)
}
