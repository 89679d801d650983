package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// stateCache keeps what resolving a table by name costs: the table ids of
// names, each table's head, metadata and oldest version (a tableState),
// and the access document, kept fresh by one etcd watch of the catalog's
// whole prefix. See doc.go ("Cached state") for the freshness rules.
//
// Every event up to revision applied has been applied; an entry records
// the revision it reflects and ignores older events. An entry read from
// etcd directly is added only when its read revision is not below applied,
// so no event it missed can have been skipped. Entries are immutable
// values replaced on change, so readers use them without the lock.
type stateCache struct {
	cli     *clientv3.Client
	prefix  string
	size    int
	metrics *cacheMetrics

	mu       sync.Mutex
	synced   bool  // the watch runs; applied is meaningful
	applied  int64 // every event up to this revision is applied
	progress chan struct{}
	names    map[string]nameEntry   // "<ns>/<name>" -> id
	tables   map[string]*stateEntry // id -> state
	access   *Access                // nil: unknown

	// gaveUp is the revision a read last stopped waiting for; later reads
	// needing it read etcd at once until the watch gets there.
	gaveUp atomic.Int64

	restart context.CancelFunc // ends the current watch; under mu
	// beforeWatch, when set, runs once between the read of the sync
	// revision and the start of the watch (tests use it to compact etcd
	// there).
	beforeWatch atomic.Pointer[func()]

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type nameEntry struct {
	id  string
	rev int64
}

type stateEntry struct {
	st  *tableState
	rev int64 // read from etcd at this revision; later events apply
}

// waitMax bounds how long a read waits for the watch to reach a revision
// before it reads etcd instead; progressAfter is when it asks etcd for a
// progress notification (a write that changed no key produces no event).
const (
	waitMax       = 50 * time.Millisecond
	progressAfter = 2 * time.Millisecond
)

func newStateCache(cli *clientv3.Client, prefix string, size int, m *cacheMetrics) *stateCache {
	return &stateCache{
		cli: cli, prefix: prefix, size: size, metrics: m,
		progress: make(chan struct{}),
		names:    map[string]nameEntry{},
		tables:   map[string]*stateEntry{},
	}
}

// start runs the watch until stop.
func (sc *stateCache) start(log func(msg string, args ...any)) {
	ctx, cancel := context.WithCancel(context.Background())
	sc.cancel = cancel
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		backoff := 10 * time.Millisecond
		for {
			began := time.Now()
			err := sc.watch(ctx)
			sc.desync()
			if time.Since(began) > time.Second {
				backoff = 10 * time.Millisecond
			}
			if ctx.Err() != nil {
				return
			}
			sc.metrics.resyncs.Inc()
			log("catalog: cache watch ended; reading etcd directly until it resyncs", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
		}
	}()
}

// stop ends the watch and waits for it.
func (sc *stateCache) stop() {
	if sc.cancel != nil {
		sc.cancel()
	}
	sc.wg.Wait()
	sc.desync()
}

// watch syncs the cache and applies the watch's events until it fails.
func (sc *stateCache) watch(ctx context.Context) error {
	resp, err := sc.cli.Get(ctx, sc.prefix+"access")
	if err != nil {
		return err
	}
	rev := resp.Header.Revision
	acc, err := accessOf(resp.Kvs)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	if hook := sc.beforeWatch.Swap(nil); hook != nil {
		(*hook)()
	}
	wch := sc.cli.Watch(wctx, sc.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	sc.mu.Lock()
	sc.restart = cancel
	sc.clearLocked()
	sc.access, sc.applied, sc.synced = acc, rev, true
	sc.broadcastLocked()
	sc.mu.Unlock()
	for wr := range wch {
		if err := wr.Err(); err != nil {
			return err
		}
		if wr.Canceled {
			return errors.New("watch canceled")
		}
		// A response's events are complete up to the last one's revision
		// (a catching-up watcher's header may name a later revision whose
		// events come in the next responses); a progress notification
		// vouches for its header's revision.
		var upTo int64
		if n := len(wr.Events); n > 0 {
			upTo = wr.Events[n-1].Kv.ModRevision
		} else if wr.IsProgressNotify() {
			upTo = wr.Header.Revision
		}
		sc.apply(wr.Events, upTo)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("watch closed")
}

// accessOf decodes the access document of a read of its key.
func accessOf(kvs []*mvccpb.KeyValue) (*Access, error) {
	if len(kvs) == 0 {
		return &Access{Users: map[string]*User{}}, nil
	}
	return decodeAccess(kvs[0].Value, kvs[0].ModRevision)
}

// apply applies the events of one watch response, complete up to rev.
func (sc *stateCache) apply(evs []*clientv3.Event, rev int64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.synced {
		return
	}
	for _, ev := range evs {
		sc.applyLocked(ev)
	}
	if rev > sc.applied {
		sc.applied = rev
	}
	sc.broadcastLocked()
}

func (sc *stateCache) applyLocked(ev *clientv3.Event) {
	k := strings.TrimPrefix(string(ev.Kv.Key), sc.prefix)
	put := ev.Type == clientv3.EventTypePut
	mod := ev.Kv.ModRevision
	switch {
	case k == "access":
		sc.access = nil
		if put {
			if a, err := decodeAccess(ev.Kv.Value, mod); err == nil {
				sc.access = a
			}
		} else {
			sc.access = &Access{Users: map[string]*User{}}
		}
	case strings.HasPrefix(k, "tname/"):
		name := strings.TrimPrefix(k, "tname/")
		e, ok := sc.names[name]
		if ok && e.rev >= mod {
			return
		}
		if !put {
			delete(sc.names, name)
			return
		}
		if ok || room(sc.names, sc.size, sc.metrics) {
			sc.names[name] = nameEntry{id: string(ev.Kv.Value), rev: mod}
		}
	case strings.HasPrefix(k, "t/"):
		id, field, ok := strings.Cut(strings.TrimPrefix(k, "t/"), "/")
		if !ok || (field != "meta" && field != "head" && field != "oldest") {
			return
		}
		e := sc.tables[id]
		if e == nil || e.rev >= mod {
			return
		}
		if !put {
			delete(sc.tables, id) // the table was dropped
			return
		}
		st := *e.st
		var err error
		switch field {
		case "meta":
			st.metaRev = mod
			st.rec, err = decodeTableRecord(ev.Kv.Value)
		case "head":
			st.headRaw = ev.Kv.Value
			st.head = head{}
			err = json.Unmarshal(ev.Kv.Value, &st.head)
		case "oldest":
			st.oldestRev = mod
			st.oldest = head{}
			err = json.Unmarshal(ev.Kv.Value, &st.oldest)
		}
		if err != nil {
			delete(sc.tables, id) // read it from etcd, which reports the error
			return
		}
		// e.rev stays the revision the entry was read at: the other events
		// of this revision still apply.
		sc.tables[id] = &stateEntry{st: &st, rev: e.rev}
	}
}

// room makes room for one more entry in m when it holds size entries,
// evicting arbitrary ones; it reports false when the cache holds nothing.
func room[V any](m map[string]V, size int, metrics *cacheMetrics) bool {
	if size <= 0 {
		return false
	}
	for k := range m {
		if len(m) < size {
			break
		}
		delete(m, k)
		metrics.evictions.Inc()
	}
	return true
}

func (sc *stateCache) broadcastLocked() {
	close(sc.progress)
	sc.progress = make(chan struct{})
	sc.metrics.names.Set(float64(len(sc.names)))
	sc.metrics.tables.Set(float64(len(sc.tables)))
}

func (sc *stateCache) clearLocked() {
	clear(sc.names)
	clear(sc.tables)
	sc.access = nil
}

// resync ends the current watch; the cache reads etcd until a new one
// syncs.
func (sc *stateCache) resync() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.restart != nil {
		sc.restart()
	}
}

// desync marks the cache unusable until the watch syncs again.
func (sc *stateCache) desync() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.synced = false
	sc.clearLocked()
	sc.broadcastLocked()
}

// ready reports whether the cache may answer a read that must see every
// change up to revision want (this Catalog's own last write), waiting a
// little for the watch to get there. When it returns false the caller
// reads etcd.
func (sc *stateCache) ready(ctx context.Context, want int64) bool {
	var deadline, askAt time.Time
	asked := false
	for {
		sc.mu.Lock()
		synced, applied, ch := sc.synced, sc.applied, sc.progress
		sc.mu.Unlock()
		if !synced {
			return false
		}
		if applied >= want {
			return true
		}
		if want <= sc.gaveUp.Load() {
			return false // a wait for it timed out: do not wait again
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline, askAt = now.Add(waitMax), now.Add(progressAfter)
			sc.metrics.waits.Inc()
		}
		if !now.Before(deadline) {
			sc.gaveUp.Store(want)
			return false
		}
		if !asked && !now.Before(askAt) {
			asked = true
			// A write that changed nothing has no event: have etcd report
			// its revision to the watch.
			_ = sc.cli.RequestProgress(clientv3.WithRequireLeader(ctx))
		}
		wait := deadline.Sub(now)
		if !asked {
			wait = askAt.Sub(now)
		}
		t := time.NewTimer(wait)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// tableID returns the cached id of ns.name.
func (sc *stateCache) tableID(ns, name string) (string, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e, ok := sc.names[ns+"/"+name]
	sc.metrics.lookup("name", ok)
	return e.id, ok
}

// putName adds the id of ns.name read from etcd at revision rev.
func (sc *stateCache) putName(ns, name, id string, rev int64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	k := ns + "/" + name
	if !sc.synced || rev < sc.applied {
		return
	}
	if e, ok := sc.names[k]; ok && e.rev >= rev {
		return
	}
	if _, ok := sc.names[k]; ok || room(sc.names, sc.size, sc.metrics) {
		sc.names[k] = nameEntry{id: id, rev: rev}
	}
}

// state returns the cached state of table id, valid at the newest of its
// read revision and the revision the watch has applied.
func (sc *stateCache) state(id string) (*tableState, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e := sc.tables[id]
	sc.metrics.lookup("table", e != nil)
	if e == nil {
		return nil, false
	}
	// The entry holds from its read up to what the watch applied since.
	st := *e.st
	st.rev = max(e.rev, sc.applied)
	return &st, true
}

// putState adds a state read from etcd at st.rev.
func (sc *stateCache) putState(st *tableState) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.synced || st.rev < sc.applied {
		return
	}
	id := st.rec.ID
	if e, ok := sc.tables[id]; ok && e.rev >= st.rev {
		return
	}
	if _, ok := sc.tables[id]; ok || room(sc.tables, sc.size, sc.metrics) {
		sc.tables[id] = &stateEntry{st: st, rev: st.rev}
	}
}

// accessDoc returns the cached access document.
func (sc *stateCache) accessDoc() (*Access, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.metrics.lookup("access", sc.access != nil)
	return sc.access, sc.access != nil
}

// cache returns the state cache when it may answer a read through this
// Catalog: the watch runs and has applied every write this Catalog made.
func (c *Catalog) cache(ctx context.Context) *stateCache {
	if c.state == nil || !c.state.ready(ctx, c.written.rev.Load()) {
		return nil
	}
	return c.state
}

// cachedState returns the current state of table id from the cache, or
// reads it from etcd (and caches it).
func (c *Catalog) cachedState(ctx context.Context, id string) (*tableState, error) {
	sc := c.cache(ctx)
	if sc != nil {
		if st, ok := sc.state(id); ok {
			return st, nil
		}
	}
	st, err := c.readState(ctx, id)
	if err == nil && sc != nil {
		sc.putState(st)
	}
	return st, err
}

// writeMark is the revision of the last write made through any of the
// Catalogs of this process sharing an etcd client and prefix: their cached
// reads wait for the watch to reach it, so each sees the others' writes as
// its own.
type writeMark struct {
	rev  atomic.Int64
	refs int // under writeMarks.mu
}

type writeMarkKey struct {
	cli    *clientv3.Client
	prefix string
}

var writeMarks = struct {
	mu sync.Mutex
	m  map[writeMarkKey]*writeMark
}{m: map[writeMarkKey]*writeMark{}}

func acquireWriteMark(cli *clientv3.Client, prefix string) *writeMark {
	writeMarks.mu.Lock()
	defer writeMarks.mu.Unlock()
	k := writeMarkKey{cli, prefix}
	w := writeMarks.m[k]
	if w == nil {
		w = &writeMark{}
		writeMarks.m[k] = w
	}
	w.refs++
	return w
}

func releaseWriteMark(cli *clientv3.Client, prefix string) {
	writeMarks.mu.Lock()
	defer writeMarks.mu.Unlock()
	k := writeMarkKey{cli, prefix}
	if w := writeMarks.m[k]; w != nil {
		if w.refs--; w.refs <= 0 {
			delete(writeMarks.m, k)
		}
	}
}

// mustSee records a revision this process wrote, or saw through
// WatchHeads, so that later reads through the cache wait for the watch to
// reach it: a reader told of a commit then finds it.
func (c *Catalog) mustSee(rev int64) {
	w := c.written
	for {
		cur := w.rev.Load()
		if rev <= cur || w.rev.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// txn starts an etcd transaction whose writes, once committed, later reads
// of this Catalog see.
func (c *Catalog) txn(ctx context.Context) clientv3.Txn {
	return &recordingTxn{Txn: c.cli.Txn(ctx), c: c}
}

// recordingTxn records the revision of the writes of a transaction.
type recordingTxn struct {
	clientv3.Txn
	c          *Catalog
	thenWrites bool
	elseWrites bool
}

func writes(ops []clientv3.Op) bool {
	for _, op := range ops {
		if op.IsPut() || op.IsDelete() || op.IsTxn() {
			return true
		}
	}
	return false
}

func (t *recordingTxn) If(cs ...clientv3.Cmp) clientv3.Txn {
	t.Txn = t.Txn.If(cs...)
	return t
}

func (t *recordingTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	t.thenWrites = t.thenWrites || writes(ops)
	t.Txn = t.Txn.Then(ops...)
	return t
}

func (t *recordingTxn) Else(ops ...clientv3.Op) clientv3.Txn {
	t.elseWrites = t.elseWrites || writes(ops)
	t.Txn = t.Txn.Else(ops...)
	return t
}

func (t *recordingTxn) Commit() (*clientv3.TxnResponse, error) {
	resp, err := t.Txn.Commit()
	if err == nil && (resp.Succeeded && t.thenWrites || !resp.Succeeded && t.elseWrites) {
		t.c.mustSee(resp.Header.Revision)
	}
	return resp, err
}

// Sync makes the later reads of this Catalog see every change committed
// before the call, by any process: it reads etcd's current revision (one
// keys-only read) and has the cache's reads wait for the watch to reach
// it. Without Sync, a change made through another Catalog is seen once
// the watch delivers it.
func (c *Catalog) Sync(ctx context.Context) error {
	if c.state == nil {
		return nil
	}
	resp, err := c.cli.Get(ctx, c.accessKey(), clientv3.WithKeysOnly())
	if err != nil {
		return fmt.Errorf("catalog: sync: %w", err)
	}
	c.mustSee(resp.Header.Revision)
	if c.state != nil {
		// That revision may have no event under the prefix: have etcd say
		// when the watch has reached it.
		_ = c.cli.RequestProgress(clientv3.WithRequireLeader(ctx))
	}
	return nil
}
