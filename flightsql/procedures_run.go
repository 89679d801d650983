package flightsql

import (
	"context"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/maintain"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// procedureRuns wires each procedure (procedures.go) to the txn job that
// runs it. This is the one place where that happens.
var procedureRuns = map[string]procRun{
	"compact":                 (*Server).runCompact,
	"rollback_to_version":     (*Server).runRollback,
	"rollback_to_timestamp":   (*Server).runRollback,
	"expire_versions":         (*Server).runExpire,
	"remove_orphan_files":     (*Server).runRemoveOrphans,
	"drop_expired_partitions": (*Server).runDropExpiredPartitions,
}

// runCompact merges the files of each (partition, bucket) of a table, or
// of one partition, into one: files_rewritten, bytes_read, bytes_written,
// version (NULL when there was nothing to compact).
func (s *Server) runCompact(ctx context.Context, b *boundCall) ([]any, error) {
	opts := txn.CompactOptions{}
	if part, ok := b.partitionArg("partition"); ok {
		opts.Partitions = []string{part}
	}
	res, err := s.cfg.Writer.CompactWithResult(ctx, b.table, opts)
	if err != nil {
		return nil, err
	}
	if res.Commit == nil {
		return []any{int64(0), int64(0), int64(0), nil}, nil
	}
	return []any{int64(res.FilesRewritten), res.BytesRead, res.BytesWritten, res.Commit.Version}, nil
}

// runRollback commits a version equal to an older one: previous_version,
// current_version.
func (s *Server) runRollback(ctx context.Context, b *boundCall) ([]any, error) {
	var spec catalog.SnapshotSpec
	if v, ok := b.values["version"].(int64); ok {
		spec.Version = &v
	} else {
		t := b.timeArg("timestamp")
		spec.AsOf = &t
	}
	head, err := s.cfg.Catalog.Head(ctx, b.table.ID)
	if err != nil {
		return nil, err
	}
	c, err := s.cfg.Writer.Rollback(ctx, b.table, spec)
	if err != nil {
		return nil, err
	}
	if c == nil { // already equal: nothing committed
		return []any{head, head}, nil
	}
	return []any{c.Version - 1, c.Version}, nil
}

// runExpire removes old versions: versions_removed, oldest_version,
// files_deleted, bytes_deleted.
func (s *Server) runExpire(ctx context.Context, b *boundCall) ([]any, error) {
	res, err := s.cfg.Writer.Expire(ctx, b.table, txn.ExpireOptions{
		OlderThan: b.timeArg("older_than"), RetainLast: int(b.intArg("retain_last")),
	})
	if err != nil {
		return nil, err
	}
	return []any{res.VersionsRemoved, res.Oldest, int64(res.FilesDeleted), res.BytesDeleted}, nil
}

// runRemoveOrphans deletes files no retained version references:
// files_deleted, bytes_deleted.
func (s *Server) runRemoveOrphans(ctx context.Context, b *boundCall) ([]any, error) {
	olderThan := b.timeArg("older_than")
	if time.Since(olderThan) < time.Hour {
		return nil, invalidf("older_than %s is less than an hour ago: a file that young may belong to a commit in flight", olderThan.UTC().Format(time.RFC3339))
	}
	res, err := s.cfg.Writer.RemoveOrphans(ctx, b.table, olderThan)
	if err != nil {
		return nil, err
	}
	return []any{int64(res.FilesDeleted), res.BytesDeleted}, nil
}

// runDropExpiredPartitions applies the table's partition.ttl now:
// partitions_dropped, version (NULL when none expired).
func (s *Server) runDropExpiredPartitions(ctx context.Context, b *boundCall) ([]any, error) {
	pol, err := maintain.PolicyOf(b.table)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	if pol.PartitionTTL <= 0 || len(b.table.PartitionBy) == 0 {
		return nil, invalidf("table %s.%s has no %s property (or no partition columns): nothing can expire", b.table.Namespace, b.table.Name, maintain.PropPartitionTTL)
	}
	cut := time.Now().Add(-pol.PartitionTTL)
	dropped := int64(0)
	c, err := s.cfg.Writer.DropPartitions(ctx, b.table, func(part string) bool {
		old := maintain.PartitionBefore(b.table, part, cut)
		if old {
			dropped++
		}
		return old
	})
	if err != nil {
		return nil, err
	}
	if c == nil {
		return []any{int64(0), nil}, nil
	}
	return []any{dropped, c.Version}, nil
}
