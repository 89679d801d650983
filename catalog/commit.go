package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

// storedCommit is the value of a commit key: the commit itself, or only a
// pointer to the manifest holding it.
type storedCommit struct {
	Manifest string `json:"manifest,omitempty"`
	Commit
}

// manifestPointer is stored instead of an object too large for etcd.
type manifestPointer struct {
	Manifest string `json:"manifest"`
	Version  int64  `json:"version"`
}

// Head returns the current version of a table.
func (c *Catalog) Head(ctx context.Context, tableID string) (int64, error) {
	if !isTableID(tableID) {
		return 0, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, tableID)
	}
	if c.state != nil {
		st, err := c.cachedState(ctx, tableID)
		if err != nil {
			return 0, err
		}
		return st.head.Version, nil
	}
	resp, err := c.cli.Get(ctx, c.headKey(tableID))
	if err != nil {
		return 0, fmt.Errorf("catalog: head of table %s: %w", tableID, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, tableID)
	}
	var h head
	if err := json.Unmarshal(resp.Kvs[0].Value, &h); err != nil {
		return 0, fmt.Errorf("catalog: table %s: decode head: %w", tableID, err)
	}
	return h.Version, nil
}

// nextTimestamp returns the timestamp of the commit following one made at
// prevNanos: the clock, or 1µs after the previous commit if the clock is not
// ahead of it.
func (c *Catalog) nextTimestamp(prevNanos int64) time.Time {
	ts := c.now()
	if prev := time.Unix(0, prevNanos).UTC(); !ts.After(prev) {
		ts = prev.Add(time.Microsecond)
	}
	return ts
}

// Commit adds version cm.Version to a table. cm.Version must be the head
// version plus one, or the call fails with ErrVersionMismatch; it also does
// when another commit wins the race for that version. The catalog sets the
// commit's Timestamp (strictly after the previous commit's), its SchemaID
// (the table's current schema) and the Seq of added files left at zero (to
// cm.Version). Removed files must be live at the head version, added files
// must not be; other malformed commits fail with ErrInvalid. Schema changes
// go through AlterSchema, EvolveSchema and RenameTable.
//
// A commit whose encoding exceeds Config.InlineLimit is written to the
// ManifestStore first and committed as a pointer; if the commit then loses
// the race, that manifest is left behind, unreferenced.
//
// The returned commit is the stored one. Commit is CommitBatch of one
// commit.
func (c *Catalog) Commit(ctx context.Context, tableID string, cm Commit) (*Commit, error) {
	out, err := c.CommitBatch(ctx, tableID, []Commit{cm})
	if err != nil {
		var be *BatchError
		if errors.As(err, &be) {
			return nil, be.Err
		}
		return nil, err
	}
	return out[0], nil
}

// lostRace explains why a commit transaction did not apply; headKvs is the
// head key read in its Else branch.
func (c *Catalog) lostRace(tableID string, version int64, headKvs []*mvccpb.KeyValue) error {
	if len(headKvs) == 0 {
		return fmt.Errorf("%w: table id %q does not exist (dropped)", ErrNotFound, tableID)
	}
	var h head
	_ = json.Unmarshal(headKvs[0].Value, &h)
	return fmt.Errorf("%w: table %s: version %d was committed concurrently (head is now %d)",
		ErrVersionMismatch, tableID, version, h.Version)
}

// checkFiles validates the files of cm against the table and the files
// live at the version before it (live, at version baseV), and fills in the
// Seq of added files.
func checkFiles(rec *tableRecord, live map[string]bool, baseV int64, cm *Commit) error {
	removed := make(map[string]bool, len(cm.Removed))
	for _, f := range cm.Removed {
		switch {
		case f.Path == "":
			return invalid("a removed file has an empty path")
		case removed[f.Path]:
			return invalid("file %s is removed twice", f.Path)
		case !live[f.Path]:
			return invalid("file %s cannot be removed: it is not live at version %d", f.Path, baseV)
		}
		removed[f.Path] = true
	}
	added := make(map[string]bool, len(cm.Added))
	for i := range cm.Added {
		f := &cm.Added[i]
		switch {
		case f.Path == "":
			return invalid("an added file has an empty path")
		case added[f.Path]:
			return invalid("file %s is added twice", f.Path)
		case removed[f.Path]:
			return invalid("file %s is both added and removed", f.Path)
		case live[f.Path]:
			return invalid("file %s is already live", f.Path)
		case f.Bucket < 0 || f.Bucket >= rec.HashBucketNum:
			return invalid("file %s: bucket %d is outside [0, %d)", f.Path, f.Bucket, rec.HashBucketNum)
		case f.Seq < 0 || f.Seq > cm.Version:
			return invalid("file %s: seq %d is outside [0, %d]", f.Path, f.Seq, cm.Version)
		case f.SchemaID < 0 || f.SchemaID > rec.SchemaID:
			return invalid("file %s: schema id %d does not exist (latest is %d)", f.Path, f.SchemaID, rec.SchemaID)
		case f.Rows < 0 || f.Size < 0:
			return invalid("file %s: negative row count or size", f.Path)
		}
		if err := checkPartition(rec.PartitionBy, f.Partition); err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
		added[f.Path] = true
		if f.Seq == 0 {
			f.Seq = cm.Version
		}
	}
	return nil
}

// checkPartition checks that p is a Hive-style partition path of the
// columns partitionBy, in order: "c1=v1/c2=v2", or "" when unpartitioned.
func checkPartition(partitionBy []string, p string) error {
	if len(partitionBy) == 0 {
		if p != "" {
			return invalid("partition %q given for an unpartitioned table", p)
		}
		return nil
	}
	parts := strings.Split(p, "/")
	if len(parts) != len(partitionBy) {
		return invalid("partition %q does not name the partition columns %v", p, partitionBy)
	}
	for i, part := range parts {
		if !strings.HasPrefix(part, partitionBy[i]+"=") {
			return invalid("partition %q: segment %d must start with %q", p, i+1, partitionBy[i]+"=")
		}
	}
	return nil
}

// encodeCommit returns the value of a commit key: the commit's JSON, or a
// manifest pointer after writing the JSON to the ManifestStore when the
// JSON is longer than limit.
func (c *Catalog) encodeCommit(ctx context.Context, tablePath string, cm *Commit, limit int) (string, error) {
	b, err := json.Marshal(cm)
	if err != nil {
		return "", fmt.Errorf("catalog: encode commit %d: %w", cm.Version, err)
	}
	if len(b) <= limit {
		return string(b), nil
	}
	if c.cfg.Manifests == nil {
		return "", invalid("commit %d encodes to %d bytes, more than the inline limit of %d, and no manifest store is configured",
			cm.Version, len(b), limit)
	}
	key, err := c.putManifest(ctx, tablePath, fmt.Sprintf("commit-%d", cm.Version), b)
	if err != nil {
		return "", err
	}
	p, _ := json.Marshal(manifestPointer{Manifest: key, Version: cm.Version})
	return string(p), nil
}

// putManifest writes data under a new key in the table's _manifests
// directory and returns the key.
func (c *Catalog) putManifest(ctx context.Context, tablePath, stem string, data []byte) (string, error) {
	suffix, err := randomSuffix()
	if err != nil {
		return "", err
	}
	key := tablePath + "/_manifests/" + stem + "-" + suffix + ".json"
	if err := c.cfg.Manifests.PutManifest(ctx, key, data); err != nil {
		return "", fmt.Errorf("catalog: write manifest %s: %w", key, err)
	}
	return key, nil
}

// getManifest reads a manifest.
func (c *Catalog) getManifest(ctx context.Context, key string) ([]byte, error) {
	if c.cfg.Manifests == nil {
		return nil, fmt.Errorf("catalog: manifest %s is needed but no manifest store is configured", key)
	}
	b, err := c.cfg.Manifests.GetManifest(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("catalog: read manifest %s: %w", key, err)
	}
	return b, nil
}

// decodeCommit decodes the value of a commit key, reading its manifest
// when it is a pointer.
func (c *Catalog) decodeCommit(ctx context.Context, value []byte) (*Commit, error) {
	var sc storedCommit
	if err := json.Unmarshal(value, &sc); err != nil {
		return nil, fmt.Errorf("catalog: decode commit: %w", err)
	}
	if sc.Manifest == "" {
		return &sc.Commit, nil
	}
	b, err := c.getManifest(ctx, sc.Manifest)
	if err != nil {
		return nil, err
	}
	var cm Commit
	if err := json.Unmarshal(b, &cm); err != nil {
		return nil, fmt.Errorf("catalog: decode commit manifest %s: %w", sc.Manifest, err)
	}
	if cm.Version != sc.Version {
		return nil, fmt.Errorf("catalog: manifest %s holds version %d, expected %d", sc.Manifest, cm.Version, sc.Version)
	}
	return &cm, nil
}

// readCommits calls fn for the commits of a table with versions in
// [from, to], ascending, read at etcd revision rev (0: the latest), and
// checks none is missing.
func (c *Catalog) readCommits(ctx context.Context, rev int64, tableID string, from, to int64, fn func(*Commit) error) error {
	if from > to {
		return nil
	}
	want := from
	err := c.rangeAllAt(ctx, rev, c.commitKey(tableID, from), c.commitKey(tableID, to+1), func(kv *mvccpb.KeyValue) error {
		cm, err := c.decodeCommit(ctx, kv.Value)
		if err != nil {
			return fmt.Errorf("table %s: %w", tableID, err)
		}
		if cm.Version != want {
			return fmt.Errorf("catalog: table %s: found commit %d where %d was expected", tableID, cm.Version, want)
		}
		want++
		return fn(cm)
	})
	if err != nil {
		return err
	}
	if want != to+1 {
		return fmt.Errorf("%w: table %s: commit %d does not exist", ErrNotFound, tableID, want)
	}
	return nil
}

// Commits returns the commits of a table with versions in [from, to],
// ascending; to < 0 means the head version. from = to+1 gives an empty
// list, so from = readVersion+1 lists what happened since a read.
//
// After ExpireVersions, from = 0 means the whole retained history: the
// list starts at the oldest retained version (see Oldest). Any other
// non-empty range reaching below the oldest version fails with an error
// matching ErrExpired (and ErrNotFound): a caller asking for the commits
// after its read version must not silently miss some.
func (c *Catalog) Commits(ctx context.Context, tableID string, from, to int64) ([]Commit, error) {
	var out []Commit
	err := c.withState(ctx, tableID, func(st *tableState) error {
		headV, oldest := st.head.Version, st.oldest.Version
		to := to
		if to < 0 {
			to = headV
		}
		from := from
		switch {
		case from < 0:
			return invalid("commits of table %s: from %d is negative", tableID, from)
		case to > headV:
			return fmt.Errorf("%w: version %d does not exist (latest is %d)", ErrNotFound, to, headV)
		case from > to+1:
			return invalid("commits of table %s: from %d is after to %d", tableID, from, to)
		case from <= to && from < oldest:
			if from > 0 || to < oldest {
				return expiredVersion(st, from)
			}
			from = oldest
		}
		out = make([]Commit, 0, to-from+1)
		return c.readCommits(ctx, st.rev, tableID, from, to, func(cm *Commit) error {
			out = append(out, *cm)
			return nil
		})
	})
	if err != nil {
		return nil, notFoundIfDropped(ctx, c, tableID, err)
	}
	return out, nil
}

// withState calls read with a consistent read of the table (from the
// cache when it is current), and again with a fresh one read from etcd (at
// most twice more) when etcd compacted the revision of the read before read
// was done with it.
func (c *Catalog) withState(ctx context.Context, tableID string, read func(*tableState) error) error {
	for attempt := 1; ; attempt++ {
		var st *tableState
		var err error
		if attempt == 1 {
			st, err = c.cachedState(ctx, tableID)
		} else {
			st, err = c.readState(ctx, tableID)
		}
		if err != nil {
			return err
		}
		err = read(st)
		if err == nil || attempt == 3 || !errors.Is(err, rpctypes.ErrCompacted) {
			return err
		}
	}
}

// notFoundIfDropped turns err into ErrNotFound when the table disappeared
// while it was being read.
func notFoundIfDropped(ctx context.Context, c *Catalog, tableID string, err error) error {
	if errors.Is(err, ErrNotFound) || ctx.Err() != nil {
		return err
	}
	if _, herr := c.Head(ctx, tableID); errors.Is(herr, ErrNotFound) {
		return herr
	}
	return err
}

// History returns a table's commits, newest first; limit > 0 returns at
// most that many. Only retained versions are listed: after ExpireVersions
// the history ends at the oldest version.
func (c *Catalog) History(ctx context.Context, tableID string, limit int) ([]Commit, error) {
	var out []Commit
	err := c.withState(ctx, tableID, func(st *tableState) error {
		headV := st.head.Version
		from := st.oldest.Version
		if limit > 0 && headV-int64(limit)+1 > from {
			from = headV - int64(limit) + 1
		}
		out = out[:0]
		return c.readCommits(ctx, st.rev, tableID, from, headV, func(cm *Commit) error {
			out = append(out, *cm)
			return nil
		})
	})
	if err != nil {
		return nil, notFoundIfDropped(ctx, c, tableID, err)
	}
	slices.Reverse(out)
	return out, nil
}
