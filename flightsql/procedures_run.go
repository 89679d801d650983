package flightsql

import (
	"context"
	"fmt"

	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// procedureRuns wires each procedure (procedures.go) to what runs it. This
// is the one place where that happens: a procedure whose job package txn
// does not offer yet answers Unimplemented.
var procedureRuns = map[string]procRun{
	"compact":                 (*Server).runCompact,
	"rollback_to_version":     notAvailable,
	"rollback_to_timestamp":   notAvailable,
	"expire_versions":         notAvailable,
	"remove_orphan_files":     notAvailable,
	"drop_expired_partitions": notAvailable,
}

// notAvailable answers a procedure that cannot run yet.
func notAvailable(_ *Server, _ context.Context, b *boundCall) ([]any, error) {
	return nil, fmt.Errorf("%w: %s is not available yet", ErrUnsupported, b.proc.fullName())
}

// runCompact merges the files of each (partition, bucket) of a table into
// one: files_rewritten, bytes_read, bytes_written, version (NULL when
// there was nothing to compact).
func (s *Server) runCompact(ctx context.Context, b *boundCall) ([]any, error) {
	if part, ok := b.partitionArg("partition"); ok {
		return nil, fmt.Errorf("%w: %s of one partition (%s) is not available yet; compact the whole table", ErrUnsupported, b.proc.fullName(), part)
	}
	c, err := s.cfg.Writer.Compact(ctx, b.table, txn.CompactOptions{})
	if err != nil {
		return nil, err
	}
	if c == nil {
		return []any{int64(0), int64(0), int64(0), nil}, nil
	}
	var read, written int64
	for _, f := range c.Removed {
		read += f.Size
	}
	for _, f := range c.Added {
		written += f.Size
	}
	return []any{int64(len(c.Removed)), read, written, c.Version}, nil
}
