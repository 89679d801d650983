package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Catalog is the etcd-backed catalog. It is safe for concurrent use; any
// number of Catalog values, in any number of processes, may share one etcd
// prefix: every change is a single compare-and-swap transaction.
type Catalog struct {
	cli     *clientv3.Client
	cfg     Config
	prefix  string
	log     *slog.Logger
	snaps   *snapshotCache
	schemas *schemaCache
	access  accessCache
	// state caches resolved table state, kept fresh by an etcd watch; nil
	// when Config.StateCacheSize is negative. written is the revision of
	// the last write of the Catalogs sharing this one's etcd client and
	// prefix, which cached reads wait for.
	state   *stateCache
	written *writeMark
	closed  atomic.Bool

	// replayed counts the commits read while resolving snapshots; tests
	// use it to see checkpoints and the cache at work.
	replayed atomic.Int64
}

// New returns a Catalog using cfg and makes sure the default namespace
// exists.
func New(ctx context.Context, cfg Config) (*Catalog, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Catalog{
		cli:     cfg.Client,
		cfg:     cfg,
		prefix:  cfg.Prefix,
		log:     cfg.Logger,
		snaps:   newSnapshotCache(cfg.SnapshotCacheSize),
		schemas: newSchemaCache(256),
	}
	m, err := newCacheMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	c.written = acquireWriteMark(c.cli, c.prefix)
	if err := c.ensureDefaultNamespace(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	if cfg.StateCacheSize > 0 {
		c.state = newStateCache(c.cli, c.prefix, cfg.StateCacheSize, m)
		c.state.start(c.log.Warn)
	}
	return c, nil
}

// Close stops the cache's watch and releases the Catalog's caches. It does
// not close the etcd client.
func (c *Catalog) Close() error {
	if c.state != nil {
		c.state.stop()
	}
	if !c.closed.Swap(true) {
		releaseWriteMark(c.cli, c.prefix)
	}
	c.snaps.clear()
	c.schemas.clear()
	return nil
}

// now returns the catalog clock, in UTC and truncated to microseconds, the
// precision of SQL timestamps.
func (c *Catalog) now() time.Time {
	return c.cfg.Now().UTC().Truncate(time.Microsecond)
}

// Key layout, all under Prefix; see doc.go.

func (c *Catalog) nsKey(name string) string        { return c.prefix + "ns/" + name }
func (c *Catalog) nsPrefix() string                { return c.prefix + "ns/" }
func (c *Catalog) tnamePrefix(ns string) string    { return c.prefix + "tname/" + ns + "/" }
func (c *Catalog) tnameKey(ns, name string) string { return c.tnamePrefix(ns) + name }
func (c *Catalog) viewPrefix(ns string) string     { return c.prefix + "view/" + ns + "/" }
func (c *Catalog) viewKey(ns, name string) string  { return c.viewPrefix(ns) + name }
func (c *Catalog) tablePrefix(id string) string    { return c.prefix + "t/" + id + "/" }
func (c *Catalog) metaKey(id string) string        { return c.tablePrefix(id) + "meta" }
func (c *Catalog) headKey(id string) string        { return c.tablePrefix(id) + "head" }
func (c *Catalog) schemaKey(id string, sid int64) string {
	return c.tablePrefix(id) + "schema/" + seqKey(sid)
}
func (c *Catalog) commitPrefix(id string) string { return c.tablePrefix(id) + "commit/" }
func (c *Catalog) commitKey(id string, v int64) string {
	return c.commitPrefix(id) + seqKey(v)
}
func (c *Catalog) tsPrefix(id string) string { return c.tablePrefix(id) + "ts/" }
func (c *Catalog) tsKey(id string, unixNano int64) string {
	return c.tsPrefix(id) + seqKey(unixNano)
}
func (c *Catalog) ckptPrefix(id string) string { return c.tablePrefix(id) + "ckpt/" }
func (c *Catalog) ckptKey(id string, v int64) string {
	return c.ckptPrefix(id) + seqKey(v)
}
func (c *Catalog) oldestKey(id string) string  { return c.tablePrefix(id) + "oldest" }
func (c *Catalog) droppedPrefix() string       { return c.prefix + "dropped/" }
func (c *Catalog) droppedKey(id string) string { return c.droppedPrefix() + id }

// seqKey formats a non-negative number so that keys sort numerically.
func seqKey(n int64) string { return fmt.Sprintf("%020d", n) }

// head is the value of a table's head key, and of its oldest key.
type head struct {
	Version int64 `json:"version"`
	TS      int64 `json:"ts"` // unix nanoseconds of that version's commit
}

func encodeHead(v int64, ts time.Time) string {
	b, _ := json.Marshal(head{Version: v, TS: ts.UnixNano()})
	return string(b)
}

// tableState is a consistent read of a table's head, metadata and oldest
// version, all at etcd revision rev.
type tableState struct {
	// rev is the etcd revision of the read; reads of the table's history
	// made for this state use it, so that they see the keys as they were
	// then, whatever expiry removed since. 0 reads the latest revision.
	rev     int64
	headRaw []byte
	head    head
	rec     *tableRecord
	metaRev int64 // mod revision of the meta key
	// oldest is the oldest readable version with its commit time; zero
	// (version 0) when nothing was expired. oldestRev is the oldest key's
	// mod revision, 0 when it does not exist.
	oldest    head
	oldestRev int64
}

// readState reads a table's head, metadata and oldest version in one
// transaction.
func (c *Catalog) readState(ctx context.Context, id string) (*tableState, error) {
	if !isTableID(id) {
		return nil, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, id)
	}
	resp, err := c.txn(ctx).Then(
		clientv3.OpGet(c.headKey(id)),
		clientv3.OpGet(c.metaKey(id)),
		clientv3.OpGet(c.oldestKey(id)),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("catalog: read table %s: %w", id, err)
	}
	hk := resp.Responses[0].GetResponseRange().Kvs
	mk := resp.Responses[1].GetResponseRange().Kvs
	ok := resp.Responses[2].GetResponseRange().Kvs
	if len(hk) == 0 || len(mk) == 0 {
		return nil, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, id)
	}
	st := &tableState{rev: resp.Header.Revision, headRaw: hk[0].Value, metaRev: mk[0].ModRevision}
	if err := json.Unmarshal(hk[0].Value, &st.head); err != nil {
		return nil, fmt.Errorf("catalog: table %s: decode head: %w", id, err)
	}
	if st.rec, err = decodeTableRecord(mk[0].Value); err != nil {
		return nil, fmt.Errorf("catalog: table %s: %w", id, err)
	}
	if len(ok) > 0 {
		st.oldestRev = ok[0].ModRevision
		if err := json.Unmarshal(ok[0].Value, &st.oldest); err != nil {
			return nil, fmt.Errorf("catalog: table %s: decode oldest version: %w", id, err)
		}
	}
	return st, nil
}

// rangeAll calls fn for every key in [start, end), in key order, reading
// pages of a consistent revision.
func (c *Catalog) rangeAll(ctx context.Context, start, end string, fn func(kv *mvccpb.KeyValue) error) error {
	return c.rangeAllAt(ctx, 0, start, end, fn)
}

// rangeAllAt is rangeAll reading at etcd revision rev; 0 reads the latest.
func (c *Catalog) rangeAllAt(ctx context.Context, rev int64, start, end string, fn func(kv *mvccpb.KeyValue) error) error {
	const page = 256
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(page)}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := c.cli.Get(ctx, start, opts...)
		if err != nil {
			return fmt.Errorf("catalog: range %s: %w", start, err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			if err := fn(kv); err != nil {
				return err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}
