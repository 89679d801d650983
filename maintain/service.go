package maintain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// Service runs table maintenance in the background. Start it once; Close
// stops it and waits for the jobs under way.
type Service struct {
	cfg Config
	log *slog.Logger
	m   *metrics

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	session *concurrency.Session
	queued  map[string]bool // tables waiting for a compaction check
	order   []string        // queued, in arrival order
	wake    chan struct{}   // signalled when a table is queued
	heads   map[string]chan struct{}
}

// New returns a Service; Start runs it.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Service{
		cfg: cfg, log: cfg.Logger, m: m,
		queued: map[string]bool{}, wake: make(chan struct{}, 1), heads: map[string]chan struct{}{},
	}, nil
}

// Start begins watching commits and running jobs until Close.
func (s *Service) Start(ctx context.Context) error {
	sess, err := concurrency.NewSession(s.cfg.Etcd, concurrency.WithTTL(max(1, int(s.cfg.LockTTL/time.Second))))
	if err != nil {
		return fmt.Errorf("maintain: etcd session: %w", err)
	}
	s.session = sess
	if s.cfg.Compaction {
		// Writers anywhere wait for over-full buckets only while some
		// compactor is alive to empty them: each announces itself under
		// its lease.
		key := fmt.Sprintf("%scompactors/%x", s.cfg.LockPrefix, sess.Lease())
		if _, err := s.cfg.Etcd.Put(ctx, key, "", clientv3.WithLease(sess.Lease())); err != nil {
			_ = sess.Close()
			return fmt.Errorf("maintain: announcing the compactor: %w", err)
		}
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.watch(ctx) }()
	if s.cfg.Compaction {
		for range s.cfg.Workers {
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.compactLoop(ctx) }()
		}
	}
	if s.cfg.Retention {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.retentionLoop(ctx) }()
	}
	return nil
}

// Close stops the service, waits for the jobs under way and releases its
// locks.
func (s *Service) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
		s.closeErr = s.session.Close()
	})
	return s.closeErr
}

// watch follows every table's commits: a moved head queues the table for
// a compaction check and wakes the writers waiting on it. At start, and
// whenever the watch has to be opened again, every table is queued once.
func (s *Service) watch(ctx context.Context) {
	for ctx.Err() == nil {
		events := s.cfg.Catalog.WatchHeads(ctx, "")
		s.queueAll(ctx)
		for ev := range events {
			s.headMoved(ev.TableID)
		}
		select { // the watch ended: etcd away; try again shortly
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// queueAll queues every table for a compaction check.
func (s *Service) queueAll(ctx context.Context) {
	if !s.cfg.Compaction {
		return
	}
	tables, err := s.allTables(ctx)
	if err != nil {
		s.log.Warn("listing tables for maintenance", "error", err)
		return
	}
	for _, t := range tables {
		s.enqueue(t.ID)
	}
}

func (s *Service) allTables(ctx context.Context) ([]*catalog.Table, error) {
	nss, err := s.cfg.Catalog.ListNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	var out []*catalog.Table
	for _, ns := range nss {
		ts, err := s.cfg.Catalog.ListTables(ctx, ns.Name)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

// headMoved records a commit of table id.
func (s *Service) headMoved(id string) {
	s.mu.Lock()
	if ch, ok := s.heads[id]; ok {
		close(ch)
		delete(s.heads, id)
	}
	s.mu.Unlock()
	if s.cfg.Compaction {
		s.enqueue(id)
	}
}

// nextHead returns a channel closed at the table's next commit.
func (s *Service) nextHead(id string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.heads[id]
	if !ok {
		ch = make(chan struct{})
		s.heads[id] = ch
	}
	return ch
}

func (s *Service) enqueue(id string) {
	s.mu.Lock()
	if !s.queued[id] {
		s.queued[id] = true
		s.order = append(s.order, id)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) dequeue() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) == 0 {
		return "", false
	}
	id := s.order[0]
	s.order = s.order[1:]
	delete(s.queued, id)
	return id, true
}

func (s *Service) compactLoop(ctx context.Context) {
	for {
		id, ok := s.dequeue()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		if err := s.CompactTable(ctx, id); err != nil && ctx.Err() == nil {
			s.log.Warn("compaction", "table", id, "error", err)
		}
		select { // let other workers and the next event in
		case s.wake <- struct{}{}:
		default:
		}
	}
}

type bucketKey struct {
	partition string
	bucket    int
}

// runSizes lists the file sizes of each (partition, bucket), oldest run
// first (snapshot files are sorted by Seq within a bucket).
func runSizes(snap *catalog.Snapshot) map[bucketKey][]int64 {
	out := map[bucketKey][]int64{}
	for _, f := range snap.Files {
		k := bucketKey{f.Partition, f.Bucket}
		out[k] = append(out[k], f.Size)
	}
	return out
}

// CompactTable compacts the buckets of a table that reached their
// trigger, each under an etcd lock so that no other compactor works on it
// at the same time. Buckets another process holds are left to it.
func (s *Service) CompactTable(ctx context.Context, id string) error {
	tbl, err := s.cfg.Catalog.LoadTableByID(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil // dropped
	}
	if err != nil {
		return err
	}
	pol, err := PolicyOf(tbl)
	if err != nil {
		return err
	}
	if !pol.Compaction {
		return nil
	}
	snap, err := s.cfg.Catalog.Snapshot(ctx, id, catalog.SnapshotSpec{})
	if err != nil {
		return err
	}
	most, backlog := 0, 0
	var due []bucketKey
	for k, sizes := range runSizes(snap) {
		n := len(sizes)
		s.m.runs.Observe(float64(n))
		most = max(most, n)
		if n >= pol.TriggerRuns {
			backlog++
		}
		if pol.Due(sizes) {
			due = append(due, k)
		}
	}
	s.m.maxRuns.Set(float64(most))
	s.m.backlog.Set(float64(backlog))
	if len(due) == 0 {
		return nil
	}
	locked := map[bucketKey]bool{}
	var held []*concurrency.Mutex
	defer func() {
		for _, mu := range held {
			_ = mu.Unlock(context.WithoutCancel(ctx))
		}
	}()
	for _, k := range due {
		mu := concurrency.NewMutex(s.session, fmt.Sprintf("%scompact/%s/%s/%d", s.cfg.LockPrefix, id, k.partition, k.bucket))
		if err := mu.TryLock(ctx); err != nil {
			if errors.Is(err, concurrency.ErrLocked) {
				continue // another compactor has it
			}
			return err
		}
		held = append(held, mu)
		locked[k] = true
	}
	if len(locked) == 0 {
		return nil
	}
	res, err := s.cfg.Writer.CompactWithResult(ctx, tbl, txn.CompactOptions{
		MinFiles: 2,
		Bucket:   func(p string, b int) bool { return locked[bucketKey{p, b}] },
		Runs: func(_ string, _ int, files []catalog.DataFile) []catalog.DataFile {
			sizes := make([]int64, len(files))
			for i, f := range files {
				sizes[i] = f.Size
			}
			return files[len(files)-pol.Pick(sizes):]
		},
	})
	switch {
	case errors.Is(err, txn.ErrConflict):
		s.m.compactions.WithLabelValues("conflict").Inc()
		s.log.Debug("compaction lost to a concurrent change; trying again at the next commit", "table", id)
		s.enqueue(id)
		return nil
	case err != nil:
		s.m.compactions.WithLabelValues("failed").Inc()
		return err
	}
	if res.Commit != nil {
		s.m.compactions.WithLabelValues("ok").Inc()
		s.m.bytesRead.Add(float64(res.BytesRead))
		s.m.bytesWritten.Add(float64(res.BytesWritten))
		s.m.filesRewritten.Add(float64(res.FilesRewritten))
		s.log.Debug("compacted", "table", tbl.Namespace+"."+tbl.Name, "version", res.Commit.Version, "files", res.FilesRewritten)
	}
	return nil
}

// compactorAlive reports whether a compaction service runs anywhere.
func (s *Service) compactorAlive(ctx context.Context) bool {
	if s.cfg.Compaction {
		return true
	}
	resp, err := s.cfg.Etcd.Get(ctx, s.cfg.LockPrefix+"compactors/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	return err == nil && resp.Count > 0
}

// Throttle makes a write wait while a bucket it touches has compaction.max_runs
// runs or more, until a commit of the table brings every touched bucket
// below it or Config.StallTimeout passes; it does not wait when no
// compaction service runs anywhere. It fails only when ctx ends: the
// write then proceeds or not as its caller decides. Use it as
// txn.Config.Throttle.
func (s *Service) Throttle(ctx context.Context, tbl *catalog.Table, touched []txn.BucketRef) error {
	pol, err := PolicyOf(tbl)
	if err != nil || !pol.Compaction || len(touched) == 0 {
		return nil
	}
	var start time.Time
	deadline := time.NewTimer(s.cfg.StallTimeout)
	defer deadline.Stop()
	for {
		next := s.nextHead(tbl.ID) // before reading, so no commit is missed
		snap, err := s.cfg.Catalog.Snapshot(ctx, tbl.ID, catalog.SnapshotSpec{})
		if err != nil {
			return nil // the write itself will report it
		}
		runs := runSizes(snap)
		over := false
		for _, t := range touched {
			if len(runs[bucketKey{t.Partition, t.Bucket}]) >= pol.MaxRuns {
				over = true
				break
			}
		}
		if !over {
			if !start.IsZero() {
				s.m.stallSeconds.Observe(time.Since(start).Seconds())
			}
			return nil
		}
		if start.IsZero() {
			if !s.compactorAlive(ctx) {
				return nil // nobody would empty the bucket: waiting cannot help
			}
			start = time.Now()
			s.m.stalls.Inc()
			if s.cfg.Compaction {
				s.enqueue(tbl.ID)
			}
		}
		select {
		case <-next:
		case <-deadline.C:
			s.m.stallSeconds.Observe(time.Since(start).Seconds())
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
