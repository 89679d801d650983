package maintain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/internal/partition"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// retentionLoop applies retention properties every RetentionInterval and
// removes orphans every OrphanInterval, starting with both.
func (s *Service) retentionLoop(ctx context.Context) {
	lastOrphans := time.Time{}
	t := time.NewTicker(s.cfg.RetentionInterval)
	defer t.Stop()
	for {
		orphans := time.Since(lastOrphans) >= s.cfg.OrphanInterval
		if orphans {
			lastOrphans = time.Now()
		}
		if err := s.RetainAll(ctx, orphans); err != nil && ctx.Err() == nil {
			s.log.Warn("retention", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RetainAll applies every table's retention properties and, with orphans,
// removes orphan files and the files of dropped tables. Each table is
// handled under an etcd lock, so replicas never repeat one another.
func (s *Service) RetainAll(ctx context.Context, orphans bool) error {
	tables, err := s.allTables(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, tbl := range tables {
		if err := s.withLock(ctx, "retain/"+tbl.ID, func() error { return s.RetainTable(ctx, tbl, orphans) }); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", tbl.Namespace, tbl.Name, err))
		}
	}
	if orphans {
		err := s.withLock(ctx, "dropped", func() error {
			res, err := s.cfg.Writer.PurgeDroppedTables(ctx, time.Now().Add(-s.cfg.OrphanGrace))
			s.m.filesDeleted.WithLabelValues("dropped_table").Add(float64(res.FilesDeleted))
			return err
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// withLock runs fn holding the service lock name, or skips it when another
// process holds it.
func (s *Service) withLock(ctx context.Context, name string, fn func() error) error {
	mu := concurrency.NewMutex(s.session, s.cfg.LockPrefix+name)
	if err := mu.TryLock(ctx); err != nil {
		if errors.Is(err, concurrency.ErrLocked) {
			return nil
		}
		return err
	}
	defer func() { _ = mu.Unlock(context.WithoutCancel(ctx)) }()
	return fn()
}

// RetainTable applies one table's retention.versions, retention.age and
// partition.ttl and, with orphans, removes its orphan files.
func (s *Service) RetainTable(ctx context.Context, tbl *catalog.Table, orphans bool) error {
	pol, err := PolicyOf(tbl)
	if err != nil {
		return err
	}
	now := time.Now()
	if pol.PartitionTTL > 0 && len(tbl.PartitionBy) > 0 {
		cut := now.Add(-pol.PartitionTTL)
		dropped := 0
		cm, err := s.cfg.Writer.DropPartitions(ctx, tbl, func(part string) bool {
			old := PartitionBefore(tbl, part, cut)
			if old {
				dropped++
			}
			return old
		})
		if err != nil && !errors.Is(err, txn.ErrConflict) {
			return err
		}
		if cm != nil {
			s.m.partitions.Add(float64(dropped))
		}
	}
	if pol.RetainVersions > 0 || pol.RetainAge > 0 {
		opts := txn.ExpireOptions{RetainLast: max(1, pol.RetainVersions)}
		if pol.RetainAge > 0 {
			opts.OlderThan = now.Add(-pol.RetainAge)
		} else {
			opts.OlderThan = now.Add(time.Hour) // by count only
		}
		res, err := s.cfg.Writer.Expire(ctx, tbl, opts)
		if err != nil {
			return err
		}
		s.m.expiredVersions.Add(float64(res.VersionsRemoved))
		s.m.filesDeleted.WithLabelValues("expired").Add(float64(res.FilesDeleted))
	}
	if orphans {
		res, err := s.cfg.Writer.RemoveOrphans(ctx, tbl, now.Add(-s.cfg.OrphanGrace))
		if err != nil {
			return err
		}
		s.m.filesDeleted.WithLabelValues("orphan").Add(float64(res.FilesDeleted))
	}
	return nil
}

// PartitionBefore reports whether a partition's first column holds a date
// or timestamp before cut. Partitions whose value is not a time never
// expire.
func PartitionBefore(tbl *catalog.Table, part string, cut time.Time) bool {
	vals, err := partition.Parse(part, tbl.PartitionBy)
	if err != nil || len(vals) == 0 || vals[0].Null {
		return false
	}
	t, ok := parseTimeValue(vals[0].Text)
	return ok && t.Before(cut)
}

func parseTimeValue(s string) (time.Time, bool) {
	if t, err := arrowconv.ParseTime(s); err == nil {
		return t, true
	}
	for _, layout := range []string{"20060102", "2006010215", "2006-01-02-15"} { // compact partition forms
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
