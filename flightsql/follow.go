package flightsql

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// A change stream (table_changes(t, v, follow => true)) sends the changes
// of each commit after v, one commit at a time and in version order, then
// waits for the next commit on an etcd watch of the table's head: a commit
// reaches the stream as soon as the watch reports it, and nothing polls.
// Every batch carries changeMeta as app metadata; the last batch of each
// version (empty when the commit changed no rows, as a compaction) says
// so, and a consumer resumes after a restart from the last version it saw
// complete. The stream reads committed files only, so a slow consumer
// holds back nobody but itself. It ends with FailedPrecondition when the
// table's schema changes (resume from that version to get the new
// columns) and with NotFound when the versions it needs were expired.

// follow streams the changes a follow ticket asks for.
func (s *Server) follow(ctx context.Context, t *followTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	tbl, err := decodeTable(t.Table)
	if err != nil {
		return nil, nil, err
	}
	filter, err := mor.UnmarshalExpr(t.Filter)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the ticket's filter is unreadable: %v", ErrTicket, err)
	}
	opts := mor.ChangeOptions{Columns: plan.ChangeTableColumns(tbl, t.Columns), Filter: filter, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator, Cache: s.files}
	empty, err := mor.PlanChangeTasks(tbl, t.From, t.From, opts, nil)
	if err != nil {
		return nil, nil, err
	}
	sch := plan.ProjectSchema(plan.PublicSchema(empty.Schema()), t.Columns)
	// The watch starts before the head is read, so no commit falls between.
	wctx, cancel := context.WithCancel(ctx)
	heads := s.cfg.Catalog.WatchHeads(wctx, tbl.ID)
	if _, err := s.cfg.Catalog.Commits(ctx, tbl.ID, t.From, t.From); err != nil && t.From > 0 {
		cancel()
		return nil, nil, fmt.Errorf("%s from version %d: %w", sqlparse.ChangesFunc, t.From, err)
	}
	ch := make(chan flight.StreamChunk, 2)
	f := &follower{s: s, tbl: tbl, opts: opts, columns: t.Columns, schema: sch, out: ch}
	go func() {
		defer cancel()
		defer close(ch)
		if err := f.run(wctx, t.From, heads); err != nil && wctx.Err() == nil {
			select {
			case ch <- flight.StreamChunk{Err: toStatus(err)}:
			case <-wctx.Done():
			}
		}
	}()
	return sch, ch, nil
}

// follower is one change stream.
type follower struct {
	s       *Server
	tbl     *catalog.Table // at the version the stream was planned on
	opts    mor.ChangeOptions
	columns []string // selected, nil: all
	schema  *arrow.Schema
	out     chan<- flight.StreamChunk
}

// run sends the changes of every version after last, then of each commit
// the watch reports, until ctx ends.
func (f *follower) run(ctx context.Context, last int64, heads <-chan catalog.HeadEvent) error {
	// An empty first batch tells the client the schema at once.
	if err := f.send(ctx, nil, changeMeta{Version: last, Complete: true}); err != nil {
		return err
	}
	idle := time.NewTimer(followIdle)
	defer idle.Stop()
	for {
		head, err := f.s.cfg.Catalog.Head(ctx, f.tbl.ID)
		if err != nil {
			return err
		}
		for last < head {
			if err := f.version(ctx, last+1); err != nil {
				return err
			}
			last++
		}
		idle.Reset(followIdle)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-heads:
			if !ok {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("%w: lost the watch of table %s.%s; resume from version %d", errUnavailable, f.tbl.Namespace, f.tbl.Name, last)
			}
		case <-idle.C:
		}
	}
}

// version sends the changes of version v.
func (f *follower) version(ctx context.Context, v int64) error {
	cat := f.s.cfg.Catalog
	commits, err := cat.Commits(ctx, f.tbl.ID, v, v)
	if err != nil {
		return fmt.Errorf("%s: version %d: %w", sqlparse.ChangesFunc, v, err)
	}
	if len(commits) != 1 {
		return fmt.Errorf("%s: version %d of %s.%s is missing", sqlparse.ChangesFunc, v, f.tbl.Namespace, f.tbl.Name)
	}
	if cm := commits[0]; cm.SchemaID != f.tbl.SchemaID {
		return fmt.Errorf("%w: the schema of %s.%s changed at version %d: resume with table_changes('%s.%s', %d, follow => true) to read the new columns",
			errSchemaChanged, f.tbl.Namespace, f.tbl.Name, v, f.tbl.Namespace, f.tbl.Name, v)
	}
	prev := v - 1
	from, err := cat.Snapshot(ctx, f.tbl.ID, catalog.SnapshotSpec{Version: &prev})
	if err != nil {
		return fmt.Errorf("%s: version %d: %w", sqlparse.ChangesFunc, prev, err)
	}
	to, err := cat.Snapshot(ctx, f.tbl.ID, catalog.SnapshotSpec{Version: &v})
	if err != nil {
		return fmt.Errorf("%s: version %d: %w", sqlparse.ChangesFunc, v, err)
	}
	cp, err := mor.NewChangePlan(from, to, commits, f.opts)
	if err != nil {
		return err
	}
	rr := projectChanges(cp.Scan(ctx, f.s.cfg.Storage), f.columns)
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		if err := f.send(ctx, rec, changeMeta{Version: v}); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return f.send(ctx, nil, changeMeta{Version: v, Complete: true})
}

// send sends one batch (an empty one for nil) with its metadata.
func (f *follower) send(ctx context.Context, rec arrow.RecordBatch, meta changeMeta) error {
	md, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	var out arrow.RecordBatch
	if rec == nil {
		b := array.NewRecordBuilder(f.opts.Allocator, f.schema)
		out = b.NewRecordBatch()
		b.Release()
	} else {
		out = array.NewRecordBatch(f.schema, rec.Columns(), rec.NumRows())
	}
	f.s.metrics.rowsSent.Add(float64(out.NumRows()))
	select {
	case f.out <- flight.StreamChunk{Data: out, AppMetadata: md}:
		return nil
	case <-ctx.Done():
		out.Release()
		return ctx.Err()
	}
}
