package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ExpireVersions removes the versions of a table older than keepFrom from
// its history, so that the oldest readable version becomes keepFrom, and
// returns the removed commits, ascending by version, as they were before
// the removal: with them and the snapshot at keepFrom, the caller can work
// out which data files only the removed versions used.
//
// It first makes sure a checkpoint exists at keepFrom (writing one if
// needed, even when Config.CheckpointEvery disables checkpoints), so that
// every retained version can still be resolved. Then one transaction
// deletes the commit and timestamp keys of the removed versions and every
// checkpoint below keepFrom, and records keepFrom as the table's oldest
// version. The transaction compares that the table exists, that the oldest
// version did not move since it was read (so concurrent expiries each
// return the commits they removed, never the same twice) and that the
// checkpoint at keepFrom exists; it writes no key a commit writes, so
// concurrent commits proceed undisturbed. Schemas are kept, and so are the
// manifests of the removed commits and checkpoints: see doc.go.
//
// keepFrom must be in [1, head]; otherwise the call fails with ErrInvalid.
// A keepFrom at or below the current oldest version changes nothing and
// returns no commits.
func (c *Catalog) ExpireVersions(ctx context.Context, tableID string, keepFrom int64) ([]Commit, error) {
	for {
		st, err := c.readState(ctx, tableID)
		if err != nil {
			return nil, err
		}
		if headV := st.head.Version; keepFrom <= 0 || keepFrom > headV {
			return nil, invalid("expire versions of table %s: the first version to keep, %d, is outside [1, %d] (the head)",
				tableID, keepFrom, headV)
		}
		if keepFrom <= st.oldest.Version {
			return nil, nil
		}
		removed, done, err := c.expire(ctx, st, keepFrom)
		if err != nil || done {
			return removed, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// expire makes one attempt of ExpireVersions at the state st. done is false
// when the attempt lost a race that a new attempt may win.
func (c *Catalog) expire(ctx context.Context, st *tableState, keepFrom int64) (_ []Commit, done bool, _ error) {
	id := st.rec.ID
	s, err := c.snapshotAt(ctx, st, keepFrom)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: expire versions of table %s: %w", id, err)
	}
	ck, err := c.cli.Get(ctx, c.ckptKey(id, keepFrom), clientv3.WithCountOnly(), clientv3.WithRev(st.rev))
	if err != nil {
		return nil, false, fmt.Errorf("catalog: expire versions of table %s: %w", id, err)
	}
	if ck.Count == 0 {
		err := c.writeCheckpoint(ctx, st.rec.Path, s)
		if errors.Is(err, errCheckpointGone) {
			return nil, false, nil // dropped or expired meanwhile: look again
		}
		if err != nil {
			return nil, false, fmt.Errorf("catalog: expire versions of table %s: checkpoint at version %d: %w", id, keepFrom, err)
		}
	}
	var removed []Commit
	err = c.readCommits(ctx, st.rev, id, st.oldest.Version, keepFrom-1, func(cm *Commit) error {
		removed = append(removed, *cm)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("catalog: expire versions of table %s: %w", id, err)
	}

	// Commit timestamps strictly increase with the version, so the
	// timestamp keys of the removed versions are exactly those below the
	// timestamp of keepFrom.
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.CreateRevision(c.metaKey(id)), ">", 0),
			clientv3.Compare(clientv3.ModRevision(c.oldestKey(id)), "=", st.oldestRev),
			clientv3.Compare(clientv3.CreateRevision(c.ckptKey(id, keepFrom)), ">", 0),
		).
		Then(
			clientv3.OpDelete(c.commitPrefix(id), clientv3.WithRange(c.commitKey(id, keepFrom))),
			clientv3.OpDelete(c.tsPrefix(id), clientv3.WithRange(c.tsKey(id, s.Timestamp.UnixNano()))),
			clientv3.OpDelete(c.ckptPrefix(id), clientv3.WithRange(c.ckptKey(id, keepFrom))),
			clientv3.OpPut(c.oldestKey(id), encodeHead(keepFrom, s.Timestamp)),
		).
		Commit()
	if err != nil {
		return nil, false, fmt.Errorf("catalog: expire versions of table %s: %w", id, err)
	}
	if !resp.Succeeded {
		return nil, false, nil
	}
	c.snaps.dropBelow(id, keepFrom)
	return removed, true, nil
}

// Oldest returns the oldest version of a table that can still be read: 0
// until ExpireVersions removed versions.
func (c *Catalog) Oldest(ctx context.Context, tableID string) (int64, error) {
	if !isTableID(tableID) {
		return 0, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, tableID)
	}
	resp, err := c.txn(ctx).Then(
		clientv3.OpGet(c.headKey(tableID), clientv3.WithCountOnly()),
		clientv3.OpGet(c.oldestKey(tableID)),
	).Commit()
	if err != nil {
		return 0, fmt.Errorf("catalog: oldest version of table %s: %w", tableID, err)
	}
	if resp.Responses[0].GetResponseRange().Count == 0 {
		return 0, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, tableID)
	}
	kvs := resp.Responses[1].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return 0, nil
	}
	var o head
	if err := json.Unmarshal(kvs[0].Value, &o); err != nil {
		return 0, fmt.Errorf("catalog: table %s: decode oldest version: %w", tableID, err)
	}
	return o.Version, nil
}

// expiredError is the error for a version removed by ExpireVersions. It
// matches ErrExpired and ErrNotFound.
type expiredError struct{ msg string }

func (e *expiredError) Error() string { return e.msg }

func (e *expiredError) Is(target error) bool { return target == ErrExpired || target == ErrNotFound }

// expiredVersion is the error for version v of the table of st, below its
// oldest version.
func expiredVersion(st *tableState, v int64) error {
	return &expiredError{fmt.Sprintf("%v: version %d of table %s was expired; %s",
		ErrExpired, v, describeTable(st.rec), oldestAvailable(st))}
}

// expiredTime is the error for the version of the table of st as of t,
// before its oldest version.
func expiredTime(st *tableState, t time.Time) error {
	return &expiredError{fmt.Sprintf("%v: the version of table %s as of %s was expired; %s",
		ErrExpired, describeTable(st.rec), t.UTC().Format(time.RFC3339Nano), oldestAvailable(st))}
}

func describeTable(rec *tableRecord) string {
	return fmt.Sprintf("%s.%s (id %s)", rec.Namespace, rec.Name, rec.ID)
}

func oldestAvailable(st *tableState) string {
	return fmt.Sprintf("the oldest available is %d (committed at %s)",
		st.oldest.Version, time.Unix(0, st.oldest.TS).UTC().Format(time.RFC3339Nano))
}
