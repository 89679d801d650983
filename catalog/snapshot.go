package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// checkpointRecord is the value of a checkpoint key: the live files at a
// version, or only a pointer to the manifest holding them.
type checkpointRecord struct {
	Manifest  string     `json:"manifest,omitempty"`
	Version   int64      `json:"version"`
	Timestamp time.Time  `json:"timestamp"`
	SchemaID  int64      `json:"schema_id"`
	Files     []DataFile `json:"files,omitempty"`
}

// Snapshot resolves a snapshot of a table: the latest version, an exact
// version (ErrNotFound when it does not exist), or the newest version
// committed at or before a time (ErrNotFound when that is before version
// 0). A version below the oldest retained one (see ExpireVersions), or a
// time before that version's commit but not before the table's creation,
// fails with an error matching both ErrExpired and ErrNotFound.
//
// The returned Snapshot, its Table and its Files are shared with other
// callers and with the catalog's cache: they must not be modified.
func (c *Catalog) Snapshot(ctx context.Context, tableID string, spec SnapshotSpec) (*Snapshot, error) {
	var s *Snapshot
	err := c.withState(ctx, tableID, func(st *tableState) error {
		v, err := c.resolveVersion(ctx, st, spec)
		if err != nil {
			return err
		}
		s, err = c.snapshotAt(ctx, st, v)
		return err
	})
	if err != nil {
		return nil, notFoundIfDropped(ctx, c, tableID, err)
	}
	return s, nil
}

// maxAsOf is the latest time whose UnixNano is defined.
var maxAsOf = time.Unix(0, math.MaxInt64-1)

func (c *Catalog) resolveVersion(ctx context.Context, st *tableState, spec SnapshotSpec) (int64, error) {
	headV := st.head.Version
	switch {
	case spec.Version != nil && spec.AsOf != nil:
		return 0, invalid("a snapshot is selected by version or by time, not both")
	case spec.Version != nil:
		v := *spec.Version
		if v < 0 || v > headV {
			return 0, fmt.Errorf("%w: version %d does not exist (latest is %d)", ErrNotFound, v, headV)
		}
		if v < st.oldest.Version {
			return 0, expiredVersion(st, v)
		}
		return v, nil
	case spec.AsOf != nil:
		return c.versionAsOf(ctx, st, *spec.AsOf)
	default:
		return headV, nil
	}
}

// versionAsOf returns the newest version committed at or before t, looked
// up at the revision of st.
func (c *Catalog) versionAsOf(ctx context.Context, st *tableState, t time.Time) (int64, error) {
	id := st.rec.ID
	created := st.rec.CreatedAt // version 0's commit time
	notFound := func() error {
		if st.oldest.Version > 0 && !t.Before(created) {
			return expiredTime(st, t)
		}
		return fmt.Errorf("%w: table %s has no version at or before %s (version 0 was committed at %s)",
			ErrNotFound, id, t.UTC().Format(time.RFC3339Nano), created.UTC().Format(time.RFC3339Nano))
	}
	if t.Before(time.Unix(0, 0)) {
		return 0, notFound()
	}
	if t.After(maxAsOf) {
		t = maxAsOf
	}
	resp, err := c.cli.Get(ctx, c.tsPrefix(id),
		clientv3.WithRange(c.tsKey(id, t.UnixNano()+1)),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend),
		clientv3.WithLimit(1),
		clientv3.WithRev(st.rev))
	if err != nil {
		return 0, fmt.Errorf("catalog: table %s: look up time %s: %w", id, t, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, notFound()
	}
	v, err := strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("catalog: table %s: bad timestamp index entry %s: %w", id, resp.Kvs[0].Key, err)
	}
	if v < st.oldest.Version {
		return 0, expiredTime(st, t)
	}
	return v, nil
}

// snapshotAt builds the snapshot at version v (between st's oldest and head
// versions) from the nearest cached snapshot or checkpoint below it and
// the commits after, reading etcd at st's revision.
func (c *Catalog) snapshotAt(ctx context.Context, st *tableState, v int64) (*Snapshot, error) {
	id := st.rec.ID
	if v < st.oldest.Version {
		return nil, expiredVersion(st, v)
	}
	if s := c.snaps.get(id, v); s != nil {
		return c.withProperties(s, st.rec), nil
	}
	base := c.snaps.floor(id, v)
	if base != nil && base.Version < st.oldest.Version {
		// Cached before another catalog expired the commits after it.
		base = nil
	}
	k := c.cfg.CheckpointEvery
	if base == nil || k <= 0 || v-base.Version >= k {
		ck, err := c.latestCheckpoint(ctx, st, v)
		if err != nil {
			return nil, err
		}
		if ck != nil && (base == nil || ck.Version > base.Version) {
			base = ck
		}
	}

	var (
		files    map[string]DataFile
		from     int64
		ts       time.Time
		schemaID int64
	)
	if base != nil {
		files = make(map[string]DataFile, len(base.Files))
		for _, f := range base.Files {
			files[f.Path] = f
		}
		from, ts, schemaID = base.Version+1, base.Timestamp, base.Table.SchemaID
	} else {
		files = map[string]DataFile{}
	}
	err := c.readCommits(ctx, st.rev, id, from, v, func(cm *Commit) error {
		c.replayed.Add(1)
		for _, f := range cm.Removed {
			delete(files, f.Path)
		}
		for _, f := range cm.Added {
			files[f.Path] = f
		}
		ts, schemaID = cm.Timestamp, cm.SchemaID
		return nil
	})
	if err != nil {
		return nil, err
	}
	t, err := c.tableAtSchema(ctx, st.rec, schemaID)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Table: t, Version: v, Timestamp: ts, Files: sortedFiles(files)}
	c.snaps.put(s)
	return s, nil
}

// withProperties returns the cached snapshot s with the properties and the
// name of rec. Neither is versioned, so SetProperties or RenameTable may
// have changed them after s was cached; the refreshed snapshot replaces s
// in the cache.
func (c *Catalog) withProperties(s *Snapshot, rec *tableRecord) *Snapshot {
	if maps.Equal(s.Table.Properties, rec.Properties) && s.Table.Namespace == rec.Namespace && s.Table.Name == rec.Name {
		return s
	}
	t := *s.Table
	t.Properties, t.Namespace, t.Name = rec.Properties, rec.Namespace, rec.Name
	fresh := *s
	fresh.Table = &t
	c.snaps.put(&fresh)
	return &fresh
}

// tableAtSchema returns the table described by rec with schema schemaID.
func (c *Catalog) tableAtSchema(ctx context.Context, rec *tableRecord, schemaID int64) (*Table, error) {
	t, err := c.table(rec)
	if err != nil {
		return nil, err
	}
	if schemaID != rec.SchemaID {
		if t.Schema, err = c.Schema(ctx, rec.ID, schemaID); err != nil {
			return nil, err
		}
		t.SchemaID = schemaID
	}
	return t, nil
}

// applyCommit returns the snapshot following base after cm.
func applyCommit(base *Snapshot, cm *Commit) *Snapshot {
	return applyCommits(base, []*Commit{cm})
}

// applyCommits returns the snapshot following base after cms, consecutive
// commits. base.Files is sorted: the survivors keep their order and the
// added files, sorted, are merged in, so it costs linear time in the
// table's files however many commits there are.
func applyCommits(base *Snapshot, cms []*Commit) *Snapshot {
	gone := map[string]bool{}
	adds := map[string]DataFile{}
	for _, cm := range cms {
		for _, f := range cm.Removed {
			gone[f.Path] = true
			delete(adds, f.Path)
		}
		for _, f := range cm.Added {
			gone[f.Path] = true // replaces a live file of the same path, if any
			adds[f.Path] = f
		}
	}
	added := sortedFiles(adds)
	out := make([]DataFile, 0, len(base.Files)+len(added))
	for _, f := range base.Files {
		if gone[f.Path] {
			continue
		}
		for len(added) > 0 && compareFiles(added[0], f) < 0 {
			out = append(out, added[0])
			added = added[1:]
		}
		out = append(out, f)
	}
	out = append(out, added...)
	last := cms[len(cms)-1]
	return &Snapshot{Table: base.Table, Version: last.Version, Timestamp: last.Timestamp, Files: out}
}

// compareFiles orders files by (Partition, Bucket, Seq, Path).
func compareFiles(a, b DataFile) int {
	return cmp.Or(
		cmp.Compare(a.Partition, b.Partition),
		cmp.Compare(a.Bucket, b.Bucket),
		cmp.Compare(a.Seq, b.Seq),
		cmp.Compare(a.Path, b.Path),
	)
}

// sortedFiles returns the files ordered by (Partition, Bucket, Seq, Path).
func sortedFiles(m map[string]DataFile) []DataFile {
	out := make([]DataFile, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	slices.SortFunc(out, compareFiles)
	return out
}

// latestCheckpoint returns the newest checkpoint at or below v as a
// snapshot (with the table at the checkpoint's schema), or nil.
func (c *Catalog) latestCheckpoint(ctx context.Context, st *tableState, v int64) (*Snapshot, error) {
	id := st.rec.ID
	resp, err := c.cli.Get(ctx, c.ckptPrefix(id),
		clientv3.WithRange(c.ckptKey(id, v+1)),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend),
		clientv3.WithLimit(1),
		clientv3.WithRev(st.rev))
	if err != nil {
		return nil, fmt.Errorf("catalog: table %s: read checkpoint: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	var ck checkpointRecord
	if err := json.Unmarshal(resp.Kvs[0].Value, &ck); err != nil {
		return nil, fmt.Errorf("catalog: table %s: decode checkpoint: %w", id, err)
	}
	if ck.Manifest != "" {
		b, err := c.getManifest(ctx, ck.Manifest)
		if err != nil {
			return nil, err
		}
		version := ck.Version
		ck = checkpointRecord{}
		if err := json.Unmarshal(b, &ck); err != nil {
			return nil, fmt.Errorf("catalog: table %s: decode checkpoint manifest: %w", id, err)
		}
		if ck.Version != version {
			return nil, fmt.Errorf("catalog: table %s: checkpoint manifest holds version %d, expected %d", id, ck.Version, version)
		}
	}
	t, err := c.tableAtSchema(ctx, st.rec, ck.SchemaID)
	if err != nil {
		return nil, err
	}
	return &Snapshot{Table: t, Version: ck.Version, Timestamp: ck.Timestamp, Files: ck.Files}, nil
}

// checkpoint stores s as a checkpoint. It is best effort: failures are
// logged, since a missing checkpoint only makes snapshots slower to build.
func (c *Catalog) checkpoint(ctx context.Context, tablePath string, s *Snapshot) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	id := s.Table.ID
	if err := c.writeCheckpoint(ctx, tablePath, s); err != nil && !errors.Is(err, errCheckpointGone) {
		c.log.Warn("catalog: checkpoint not written", "table", id, "version", s.Version, "err", err)
	}
}

func (c *Catalog) writeCheckpoint(ctx context.Context, tablePath string, s *Snapshot) error {
	id := s.Table.ID
	ck := checkpointRecord{Version: s.Version, Timestamp: s.Timestamp, SchemaID: s.Table.SchemaID, Files: s.Files}
	b, err := json.Marshal(&ck)
	if err != nil {
		return err
	}
	if len(b) > c.cfg.InlineLimit {
		if c.cfg.Manifests == nil {
			return fmt.Errorf("checkpoint is %d bytes, more than the inline limit of %d, and no manifest store is configured", len(b), c.cfg.InlineLimit)
		}
		key, err := c.putManifest(ctx, tablePath, fmt.Sprintf("checkpoint-%d", s.Version), b)
		if err != nil {
			return err
		}
		if b, err = json.Marshal(checkpointRecord{Manifest: key, Version: s.Version}); err != nil {
			return err
		}
	}
	// Only while the table exists (a dropped table must leave no keys) and
	// the version was not expired (no checkpoint below the oldest version).
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.CreateRevision(c.metaKey(id)), ">", 0),
			clientv3.Compare(clientv3.CreateRevision(c.commitKey(id, s.Version)), ">", 0),
		).
		Then(clientv3.OpPut(c.ckptKey(id, s.Version), string(b))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return errCheckpointGone
	}
	return nil
}

// errCheckpointGone reports a checkpoint not written because its table was
// dropped or its version expired meanwhile.
var errCheckpointGone = errors.New("the table was dropped or the version expired")
