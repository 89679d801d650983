package catalog

import (
	"context"
	"fmt"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// MaxBatch is the most commits CommitBatch takes at once. Each commit
// costs two operations of the etcd transaction (its commit key and its
// timestamp index entry), and the head one more; etcd allows 128 by
// default.
const MaxBatch = 48

// pointerReserve is the room kept in a batch's request for each commit
// after the one being encoded: enough for a manifest pointer and its keys.
const pointerReserve = 512

// BatchError is the error of a batch that one of its commits made invalid:
// nothing of the batch was committed. Err matches ErrInvalid.
type BatchError struct {
	Index int // of the invalid commit in the batch
	Err   error
}

func (e *BatchError) Error() string { return fmt.Sprintf("batch commit %d: %v", e.Index, e.Err) }
func (e *BatchError) Unwrap() error { return e.Err }

// CommitBatch adds consecutive versions to a table in one etcd transaction
// that compares the table's head once: cms[i] becomes version head+1+i,
// all of them or none. cms[0].Version must be the head version plus one,
// or the call fails with ErrVersionMismatch, as it does when another
// commit wins the race; the others must follow it without a gap.
//
// Each commit is checked and completed exactly as Commit would if they
// were committed one after another: its Timestamp is strictly after the
// previous commit's, removed files must be live at the version before it
// (so a commit may remove a file an earlier commit of the batch added),
// added files get their Seq, its read version may be any version before
// it. A malformed commit fails the whole batch with a *BatchError naming
// it. Commits that would make the etcd request too large are written as
// manifests, as a single commit above Config.InlineLimit is. Snapshots
// and checkpoints follow each version (the snapshot cache keeps the last).
//
// At most MaxBatch commits; the stored commits are returned in order.
func (c *Catalog) CommitBatch(ctx context.Context, tableID string, cms []Commit) ([]*Commit, error) {
	if len(cms) == 0 || len(cms) > MaxBatch {
		return nil, invalid("table %s: a batch holds 1 to %d commits, got %d", tableID, MaxBatch, len(cms))
	}
	st, err := c.readState(ctx, tableID)
	if err != nil {
		return nil, err
	}
	headV := st.head.Version
	if cms[0].Version != headV+1 {
		return nil, fmt.Errorf("%w: table %s: commit has version %d, expected %d (head is %d)",
			ErrVersionMismatch, tableID, cms[0].Version, headV+1, headV)
	}
	base, err := c.snapshotAt(ctx, st, headV)
	if err != nil {
		return nil, err
	}
	out := make([]*Commit, len(cms))
	prevTS := st.head.TS
	live := make(map[string]bool, len(base.Files))
	for _, f := range base.Files {
		live[f.Path] = true
	}
	for i, cm := range cms {
		v := headV + 1 + int64(i)
		if err := checkBatchMember(tableID, cm, v); err != nil {
			return nil, &BatchError{Index: i, Err: err}
		}
		o := cm
		o.Added = slices.Clone(cm.Added)
		o.Removed = slices.Clone(cm.Removed)
		o.Timestamp = c.nextTimestamp(prevTS)
		o.SchemaID = st.rec.SchemaID
		if err := checkFiles(st.rec, live, v-1, &o); err != nil {
			return nil, &BatchError{Index: i, Err: fmt.Errorf("table %s: %w", tableID, err)}
		}
		prevTS = o.Timestamp.UnixNano()
		for _, f := range o.Removed {
			delete(live, f.Path)
		}
		for _, f := range o.Added {
			live[f.Path] = true
		}
		out[i] = &o
	}

	// One request must stay inside etcd's limit: once the commits encoded
	// so far leave too little room, the next go to manifests.
	budget := maxInlineLimit
	if c.cfg.Manifests == nil {
		budget = len(cms) * c.cfg.InlineLimit
	}
	ops := make([]clientv3.Op, 0, 2*len(cms)+1)
	for i, o := range out {
		limit := min(c.cfg.InlineLimit, budget-(len(out)-1-i)*pointerReserve)
		value, err := c.encodeCommit(ctx, st.rec.Path, o, limit)
		if err != nil {
			return nil, &BatchError{Index: i, Err: err}
		}
		budget -= len(value)
		ops = append(ops,
			clientv3.OpPut(c.commitKey(tableID, o.Version), value),
			clientv3.OpPut(c.tsKey(tableID, o.Timestamp.UnixNano()), fmt.Sprint(o.Version)))
	}
	last := out[len(out)-1]
	ops = append(ops, clientv3.OpPut(c.headKey(tableID), encodeHead(last.Version, last.Timestamp)))
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.Value(c.headKey(tableID)), "=", string(st.headRaw)),
			clientv3.Compare(clientv3.CreateRevision(c.metaKey(tableID)), ">", 0),
		).
		Then(ops...).
		Else(clientv3.OpGet(c.headKey(tableID))).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("catalog: commit versions %d to %d of table %s: %w", out[0].Version, last.Version, tableID, err)
	}
	if !resp.Succeeded {
		return nil, c.lostRace(tableID, out[0].Version, resp.Responses[0].GetResponseRange().Kvs)
	}
	// The snapshot of the new head is cached; those of the versions before
	// it in the batch are built only for a checkpoint; a reader of one
	// rebuilds it from an earlier snapshot and the commits after.
	if k := c.cfg.CheckpointEvery; k > 0 {
		for i, o := range out {
			if o.Version%k == 0 {
				s := applyCommits(base, out[:i+1])
				c.snaps.put(s)
				c.checkpoint(ctx, st.rec.Path, s)
			}
		}
	}
	c.snaps.put(applyCommits(base, out))
	return out, nil
}

// checkBatchMember checks what Commit checks of cm before its files, cm
// being meant as version v.
func checkBatchMember(tableID string, cm Commit, v int64) error {
	if cm.Version != v {
		return invalid("table %s: commit has version %d where the batch needs %d", tableID, cm.Version, v)
	}
	switch cm.Operation {
	case "":
		return invalid("table %s: commit %d has no operation", tableID, cm.Version)
	case OpCreate:
		return invalid("table %s: only CreateTable records a %q commit", tableID, cm.Operation)
	case OpSchemaChange:
		return invalid("table %s: schema changes are committed through AlterSchema or EvolveSchema", tableID)
	}
	if cm.ReadVersion < -1 || cm.ReadVersion >= v {
		return invalid("table %s: read version %d is outside [-1, %d]", tableID, cm.ReadVersion, v-1)
	}
	return nil
}
