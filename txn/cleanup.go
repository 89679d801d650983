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
	// commits are the retained commits after the oldest version, by
	// version, to recognize the manifests they were stored in.
	commits map[int64]*catalog.Commit
}

// retained reads what the retained versions of tbl reference.
func (w *Writer) retained(ctx context.Context, tbl *catalog.Table) (*references, error) {
	cat := w.cfg.Catalog
	oldest, err := w.oldest(ctx, tbl)
	if err != nil {
		return nil, err
	}
	base, err := cat.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{Version: &oldest})
	if err != nil {
		return nil, err
	}
	commits, err := cat.Commits(ctx, tbl.ID, oldest, -1)
	if err != nil {
		return nil, err
	}
	refs := &references{oldest: oldest, head: oldest, files: make(map[string]bool, len(base.Files)), commits: map[int64]*catalog.Commit{}}
	for _, f := range base.Files {
		refs.files[f.Path] = true
	}
	for i := range commits {
		c := &commits[i]
		refs.commits[c.Version] = c
		refs.head = max(refs.head, c.Version)
		for _, f := range c.Added {
			refs.files[f.Path] = true
		}
	}
	return refs, nil
}

// oldest returns the oldest version of tbl that can still be read.
func (w *Writer) oldest(ctx context.Context, tbl *catalog.Table) (int64, error) {
	return 0, nil
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
//   - A checkpoint may serve the oldest retained version from below it, so
//     checkpoint manifests are kept from the newest one at or below the
//     oldest retained version on; older ones serve only expired versions.
//
// Anything not recognized is kept.
func (w *Writer) orphanManifests(ctx context.Context, tbl *catalog.Table, refs *references, objs []lsio.ObjectInfo) ([]lsio.ObjectInfo, error) {
	type entry struct {
		obj     lsio.ObjectInfo
		kind    string
		version int64
	}
	var entries []entry
	ckptFloor := int64(-1) // newest checkpoint manifest at or below oldest
	for _, o := range objs {
		kind, v, ok := parseManifestName(strings.TrimPrefix(o.Path, tbl.Path+manifestDir))
		if !ok {
			continue
		}
		if kind == "checkpoint" && v <= refs.oldest {
			ckptFloor = max(ckptFloor, v)
		}
		entries = append(entries, entry{o, kind, v})
	}
	var out []lsio.ObjectInfo
	for _, e := range entries {
		switch e.kind {
		case "checkpoint":
			if e.version < ckptFloor {
				out = append(out, e.obj)
			}
		case "commit":
			switch c := refs.commits[e.version]; {
			case e.version < refs.oldest || e.version > refs.head:
				out = append(out, e.obj)
			case c == nil:
				// The oldest version's own commit may be gone (expired
				// versions keep their snapshot, not their commit): keep.
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
// longer than any write takes. Deletion goes on past errors, which are
// returned joined with what was deleted.
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
