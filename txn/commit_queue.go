package txn

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

// pending is a commit waiting in its table's queue.
type pending struct {
	ctx context.Context // the writer's: a commit whose context ended is not sent
	req commitReq
	// checked is the version up to which the conflict rules cleared req:
	// its read version at first, the head it rebased on after a lost race.
	checked  int64
	attempts int // etcd transactions it was part of
	done     chan outcome
}

type outcome struct {
	cm       *catalog.Commit
	err      error
	attempts int
}

// commitQueue holds the commits of one table waiting in a Writer, in
// arrival order, and whether a goroutine is committing them.
type commitQueue struct {
	tableID string
	pending []*pending
	// head is the table's version as this queue last saw it, -1 when
	// unknown (after a lost race).
	head int64
	// recent are the last commits this queue made, consecutive and ending
	// at head (or empty): a rebase over them needs no read from etcd.
	recent []catalog.Commit
}

// maxRecent bounds commitQueue.recent.
const maxRecent = 4 * catalog.MaxBatch

// committed records a batch the queue committed.
func (q *commitQueue) committed(out []*catalog.Commit) {
	if q.head < 0 || len(q.recent) == 0 || q.recent[len(q.recent)-1].Version != out[0].Version-1 {
		q.recent = q.recent[:0]
	}
	for _, cm := range out {
		q.recent = append(q.recent, *cm)
	}
	if n := len(q.recent); n > maxRecent {
		q.recent = slices.Delete(q.recent, 0, n-maxRecent)
	}
	q.head = out[len(out)-1].Version
}

// forget marks the queue's view of the table as unknown.
func (q *commitQueue) forget() {
	q.head = -1
	q.recent = q.recent[:0]
}

// enqueue adds p to its table's queue, starting the queue's committer
// when none runs. The committer exits when the queue is empty.
func (w *Writer) enqueue(p *pending) {
	id := p.req.tbl.ID
	w.mu.Lock()
	defer w.mu.Unlock()
	if q := w.queues[id]; q != nil {
		q.pending = append(q.pending, p)
		return
	}
	if w.queues == nil {
		w.queues = map[string]*commitQueue{}
	}
	q := &commitQueue{tableID: id, pending: []*pending{p}, head: p.checked}
	w.queues[id] = q
	go w.runQueue(q)
}

// runQueue commits the queue's requests in batches until it is empty.
// Each round sends the commits that were retried first (they arrived
// earlier), then the oldest newcomers, up to catalog.MaxBatch: arrival
// order decides both the versions and the conflict rules, and a commit
// waits at most for the rounds ahead of it, never for luck.
func (w *Writer) runQueue(q *commitQueue) {
	var batch []*pending
	delay := w.cfg.Backoff
	for {
		w.mu.Lock()
		take := min(len(q.pending), catalog.MaxBatch-len(batch))
		batch = append(batch, q.pending[:take]...)
		clear(q.pending[:take])
		q.pending = q.pending[take:]
		if len(batch) == 0 {
			delete(w.queues, q.tableID)
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		var lost bool
		batch, lost = w.commitRound(q, batch)
		if !lost {
			delay = w.cfg.Backoff
			continue
		}
		// Another process won the head: back off a little, jittered so
		// that replicas do not retry in lockstep. The delay stays short
		// (each round commits a whole batch), and waiting commits pile
		// into the next round rather than retrying one by one.
		time.Sleep(delay/2 + rand.N(delay/2+1))
		delay = min(2*delay, w.cfg.MaxBackoff)
	}
}

// commitRound makes one attempt to commit batch in one etcd transaction.
// It delivers the outcome of every commit it settles and returns those to
// try again, and whether the round lost the race for the head.
func (w *Writer) commitRound(q *commitQueue, batch []*pending) (retry []*pending, lost bool) {
	live := batch[:0]
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil {
			deliver(p, nil, err)
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return nil, false
	}
	ctx, stop := batchContext(live)
	defer stop()
	cat := w.cfg.Catalog

	head := q.head
	if head < 0 {
		h, err := cat.Head(ctx, q.tableID)
		if err != nil {
			return failAll(live, err), false
		}
		head = h
	}
	if len(q.recent) > 0 && q.recent[len(q.recent)-1].Version != head {
		q.recent = q.recent[:0]
	}
	for _, p := range live {
		head = max(head, p.checked)
	}
	// Rebase: the conflict rules against the commits each request has not
	// checked yet.
	cleared, ok := w.rebase(ctx, q, live, head)
	if !ok {
		return nil, false
	}

	// The batch, in queue order: each request checked against those
	// before it as if they had committed one after another. A request
	// that conflicts with an earlier one of the batch fails only if that
	// one commits.
	var (
		members []*pending
		cms     []catalog.Commit
		prior   []catalog.Commit
		beaten  []*pending
		beatErr []error
	)
	for _, p := range cleared {
		if err := checkConflicts(p.req, prior); err != nil {
			beaten, beatErr = append(beaten, p), append(beatErr, err)
			continue
		}
		cm := catalog.Commit{
			Version:     head + 1 + int64(len(cms)),
			ReadVersion: p.req.readVersion,
			Operation:   p.req.op,
			SchemaID:    p.req.tbl.SchemaID,
			Added:       p.req.added,
			Removed:     p.req.removed,
			Summary:     p.req.summary,
		}
		members, cms = append(members, p), append(cms, cm)
		prior = append(prior, withSeq(cm))
	}
	if len(members) == 0 {
		return nil, false // every request failed its rebase
	}
	for _, p := range members {
		p.attempts++
	}
	w.metrics.sent(len(members))
	out, err := cat.CommitBatch(ctx, q.tableID, cms)
	var be *catalog.BatchError
	switch {
	case err == nil:
		for i, p := range members {
			deliver(p, out[i], nil)
		}
		for i, p := range beaten {
			deliver(p, nil, beatErr[i])
		}
		q.committed(out)
		return nil, false
	case errors.As(err, &be):
		// One request is malformed; it fails alone and the others go
		// again at once.
		deliver(members[be.Index], nil, be.Err)
		retry = slices.Delete(slices.Clone(members), be.Index, be.Index+1)
		return mergeOrder(cleared, retry, beaten), false
	case errors.Is(err, catalog.ErrVersionMismatch):
		w.metrics.lostRace(len(members))
		q.forget()
		for _, p := range cleared {
			if p.attempts >= w.cfg.MaxAttempts {
				deliver(p, nil, conflictf(conflictGaveUp, "gave up after %d attempts on a busy table: %v", p.attempts, err))
				continue
			}
			retry = append(retry, p)
		}
		return retry, true
	case errors.Is(err, catalog.ErrNotFound):
		return failAll(cleared, err), false
	default:
		// The transaction may have been applied: its members get the
		// error, and keep their files. Those it left out were not
		// committed and go again.
		q.forget()
		for _, p := range members {
			deliver(p, nil, err)
		}
		return beaten, false
	}
}

// rebase applies the conflict rules to each request against the commits
// after the version it checked, up to head: those the queue made itself
// when it has them, else read from the catalog. It delivers the failures
// and returns the requests cleared, with checked set to head. When it
// cannot decide (the table is gone, etcd failed) it fails every request
// and returns false.
func (w *Writer) rebase(ctx context.Context, q *commitQueue, batch []*pending, head int64) ([]*pending, bool) {
	tableID := q.tableID
	from := head
	for _, p := range batch {
		from = min(from, p.checked)
	}
	if from == head {
		return batch, true
	}
	cat := w.cfg.Catalog
	var (
		others []catalog.Commit
		err    error
	)
	if n := len(q.recent); n > 0 && q.recent[n-1].Version == head && q.recent[0].Version <= from+1 {
		others = q.recent[from+1-q.recent[0].Version:]
	} else {
		others, err = cat.Commits(ctx, tableID, from+1, head)
		if err != nil && !errors.Is(err, catalog.ErrExpired) {
			failAll(batch, err)
			return nil, false
		}
	}
	expired := err != nil
	cleared := batch[:0:0]
	for i, p := range batch {
		if p.checked < head {
			var since []catalog.Commit
			var err error
			if !expired {
				since = others[p.checked-from:]
			} else if since, err = cat.Commits(ctx, tableID, p.checked+1, head); errors.Is(err, catalog.ErrExpired) {
				// An expiry removed versions this write has not seen.
				since, err = nil, w.rebaseBlind(ctx, p.req, p.checked)
			}
			if err == nil {
				err = checkConflicts(p.req, since)
			}
			if err != nil {
				if errors.Is(err, ErrConflict) {
					deliver(p, nil, err)
					continue
				}
				failAll(cleared, err)
				failAll(batch[i:], err)
				return nil, false
			}
			p.checked = head
		}
		cleared = append(cleared, p)
	}
	return cleared, true
}

// withSeq returns cm with its added files' Seq filled in as the catalog
// will, for checking later requests of a batch against it.
func withSeq(cm catalog.Commit) catalog.Commit {
	cm.Added = slices.Clone(cm.Added)
	for i := range cm.Added {
		if cm.Added[i].Seq == 0 {
			cm.Added[i].Seq = cm.Version
		}
	}
	return cm
}

// mergeOrder returns the requests of a and b in the order of all.
func mergeOrder(all, a, b []*pending) []*pending {
	keep := make(map[*pending]bool, len(a)+len(b))
	for _, p := range a {
		keep[p] = true
	}
	for _, p := range b {
		keep[p] = true
	}
	var out []*pending
	for _, p := range all {
		if keep[p] {
			out = append(out, p)
		}
	}
	return out
}

func deliver(p *pending, cm *catalog.Commit, err error) {
	p.done <- outcome{cm: cm, err: err, attempts: p.attempts}
}

func failAll(batch []*pending, err error) []*pending {
	for _, p := range batch {
		deliver(p, nil, err)
	}
	return nil
}

// batchContext returns a context for the etcd calls of a batch: it keeps
// the values of the first request's context and ends once the contexts of
// all requests have, so that no writer's cancellation fails the others.
func batchContext(batch []*pending) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	var left atomic.Int64
	left.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, p := range batch {
		stops[i] = context.AfterFunc(p.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
