package txn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

// commitReq is a write whose files are stored and which now needs a version.
type commitReq struct {
	tbl         *catalog.Table
	op          catalog.Operation
	readVersion int64
	added       []catalog.DataFile
	removed     []catalog.DataFile
	// dependsOn, for operations that read the table (delete and update by
	// predicate, overwrite), reports whether a partition's concurrent
	// change invalidates what was read. nil for blind writes.
	dependsOn func(partition string) bool
	// exclusive makes any concurrent commit a conflict, compaction
	// included (rollback: its result must equal the version it restores).
	exclusive bool
	// adopted marks added files that belong to older versions (rollback
	// re-adds them): a failed commit must not remove them.
	adopted bool
	summary map[string]string
}

// commit adds the request as a new version, rebasing over concurrent
// commits as the conflict rules allow. On a failure that certainly left
// nothing committed (a conflict, bad input, a vanished table) it removes
// the request's files. When the outcome is unknown — the context ended or
// etcd failed while the transaction was in flight, so it may have been
// applied — the files stay: deleting them could break a committed version,
// and orphan cleanup removes them after its grace period if they were not.
func (w *Writer) commit(ctx context.Context, req commitReq) (*catalog.Commit, error) {
	cm, err := w.tryCommit(ctx, req)
	if err != nil {
		if !req.adopted && notCommitted(err) {
			w.removeFiles(context.WithoutCancel(ctx), req.added)
		}
		return nil, err
	}
	return cm, nil
}

// notCommitted reports whether a commit error means the transaction was
// certainly not applied.
func notCommitted(err error) bool {
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid) ||
		errors.Is(err, catalog.ErrVersionMismatch) || errors.Is(err, catalog.ErrInvalid) ||
		errors.Is(err, catalog.ErrNotFound)
}

// tryCommit queues the request behind the other commits of its table in
// this Writer and waits for its outcome (see commitQueue).
func (w *Writer) tryCommit(ctx context.Context, req commitReq) (*catalog.Commit, error) {
	if w.beforeCommit != nil {
		w.beforeCommit()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	summary := map[string]string{}
	for k, v := range req.summary {
		summary[k] = v
	}
	var rowsAdded, rowsRemoved int64
	for _, f := range req.added {
		rowsAdded += f.Rows
	}
	for _, f := range req.removed {
		rowsRemoved += f.Rows
	}
	summary["rows_added"] = strconv.FormatInt(rowsAdded, 10)
	summary["rows_removed"] = strconv.FormatInt(rowsRemoved, 10)
	req.summary = summary
	p := &pending{ctx: ctx, req: req, checked: req.readVersion, done: make(chan outcome, 1)}
	start := time.Now()
	w.enqueue(p)
	select {
	case o := <-p.done:
		w.metrics.committed(req.op, time.Since(start), o.attempts, o.err)
		if w.observeCommit != nil {
			w.observeCommit(time.Since(start), o.err)
		}
		return o.cm, o.err
	case <-ctx.Done():
		// The commit may still be in flight: its outcome is unknown.
		w.metrics.committed(req.op, time.Since(start), 0, ctx.Err())
		return nil, ctx.Err()
	}
}

// rebaseBlind decides, for a write whose view of the commits since version
// expected was cut short by an expiry, whether it may still commit. A blind
// write conflicts with nothing; any other write cannot check its rules and
// conflicts.
func (w *Writer) rebaseBlind(ctx context.Context, req commitReq, expected int64) error {
	if len(req.removed) > 0 || req.dependsOn != nil || req.exclusive {
		return conflictf(conflictExpired, "versions after %d were expired before this %s could check them", expected, req.op)
	}
	if _, err := w.cfg.Catalog.LoadTableByID(ctx, req.tbl.ID); err != nil {
		return err
	}
	return nil
}

// checkConflicts applies the conflict rules to the commits that won the
// race against req:
//   - a schema change (or a rename of the table) conflicts with nothing but
//     an exclusive request: files keep the schema id and the field ids they
//     were written with, and readers map them onto whatever schema they
//     read with (see package mor), so data written under an older schema
//     stays correct;
//   - a commit that removed a file req also removes conflicts;
//   - an exclusive request (rollback) conflicts with any commit;
//   - a compaction conflicts with a commit that put runs older than that
//     commit (rollback, compaction) into a (partition, bucket) it rewrites,
//     since its output takes the highest Seq of its inputs and would then
//     order wrongly against them; runs of new writes are newer than any
//     input and keep precedence;
//   - a request that read the table (dependsOn) conflicts with a commit,
//     other than compaction, that touched a partition it depends on.
//
// Blind writes rebase over everything.
func checkConflicts(req commitReq, others []catalog.Commit) error {
	removed := make(map[string]bool, len(req.removed))
	var rewritten map[BucketRef]bool
	if req.op == catalog.OpCompaction {
		rewritten = map[BucketRef]bool{}
	}
	for _, f := range req.removed {
		removed[f.Path] = true
		if rewritten != nil {
			rewritten[BucketRef{f.Partition, f.Bucket}] = true
		}
	}
	for _, c := range others {
		if c.Operation == catalog.OpSchemaChange && !req.exclusive {
			continue
		}
		for _, f := range c.Removed {
			if removed[f.Path] {
				return conflictf(conflictRemovedFile, "%s at version %d replaced file %s that this %s also replaces",
					c.Operation, c.Version, f.Path, req.op)
			}
		}
		if req.exclusive {
			return conflictf(conflictExclusive, "%s at version %d changed %s.%s after this %s read version %d",
				c.Operation, c.Version, req.tbl.Namespace, req.tbl.Name, req.op, req.readVersion)
		}
		for _, f := range c.Added {
			if rewritten[BucketRef{f.Partition, f.Bucket}] && f.Seq < c.Version {
				return conflictf(conflictOlderRuns, "%s at version %d put older runs into bucket %d%s, which this compaction rewrites",
					c.Operation, c.Version, f.Bucket, inPartition(f.Partition))
			}
		}
		if req.dependsOn == nil || c.Operation == catalog.OpCompaction {
			continue
		}
		for _, p := range c.Partitions() {
			if req.dependsOn(p) {
				where := "the table"
				if p != "" {
					where = "partition " + p
				}
				return conflictf(conflictPartition, "%s at version %d changed %s, which this %s read at version %d",
					c.Operation, c.Version, where, req.op, req.readVersion)
			}
		}
	}
	return nil
}

// inPartition names a partition for messages: "" when unpartitioned.
func inPartition(p string) string {
	if p == "" {
		return ""
	}
	return " of partition " + p
}

// conflictError is an ErrConflict of a known kind (see the conflict kinds
// in metrics.go).
type conflictError struct {
	kind string
	msg  string
}

func conflictf(kind, format string, args ...any) error {
	return &conflictError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func (e *conflictError) Error() string { return ErrConflict.Error() + ": " + e.msg }
func (e *conflictError) Unwrap() error { return ErrConflict }
