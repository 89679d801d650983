package flightsql

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/duck"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// Change reads. table_changes('ns.t', from [, to]) resolves to the
// snapshots at both ends and the commits between them; a plain SELECT of
// it is a native change read with one endpoint per group of (partition,
// bucket) tasks (package plan), anything else reads the changes into
// DuckDB. follow => true turns the plain SELECT into one endpoint that
// streams the changes of every later commit as it lands (follow.go).

// resolveChanges resolves a table_changes reference of table ns.name.
func (s *Server) resolveChanges(ctx context.Context, ns, name string, ch *sqlparse.Changes) (*plan.Source, error) {
	t, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	head, err := s.cfg.Catalog.Head(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	version := func(b sqlparse.Bound, what string) (int64, error) {
		if b.IsVersion {
			if b.Version > head {
				return 0, invalidf("%s: %s version %d is beyond the latest version %d of %s.%s", sqlparse.ChangesFunc, what, b.Version, head, ns, name)
			}
			return b.Version, nil
		}
		ts := b.Time
		snap, err := s.cfg.Catalog.Snapshot(ctx, t.ID, catalog.SnapshotSpec{AsOf: &ts})
		if err != nil {
			return 0, fmt.Errorf("%s: %s %s: %w", sqlparse.ChangesFunc, what, b, err)
		}
		return snap.Version, nil
	}
	from, err := version(ch.From, "from")
	if err != nil {
		return nil, err
	}
	to := head
	if ch.HasTo {
		if to, err = version(ch.To, "to"); err != nil {
			return nil, err
		}
	}
	if to < from {
		return nil, invalidf("%s: the range is reversed: to (version %d) is before from (version %d)", sqlparse.ChangesFunc, to, from)
	}
	return s.changesSource(ctx, t.ID, from, to, ch.Follow)
}

// changesSource loads the snapshots and commits of a change range.
func (s *Server) changesSource(ctx context.Context, id string, from, to int64, follow bool) (*plan.Source, error) {
	fromSnap, err := s.cfg.Catalog.Snapshot(ctx, id, catalog.SnapshotSpec{Version: &from})
	if err != nil {
		return nil, fmt.Errorf("%s from version %d: %w", sqlparse.ChangesFunc, from, err)
	}
	toSnap, err := s.cfg.Catalog.Snapshot(ctx, id, catalog.SnapshotSpec{Version: &to})
	if err != nil {
		return nil, err
	}
	commits, err := s.cfg.Catalog.Commits(ctx, id, from+1, to)
	if err != nil {
		return nil, err
	}
	cp, err := mor.NewChangePlan(fromSnap, toSnap, commits, mor.ChangeOptions{})
	if err != nil {
		return nil, err
	}
	return &plan.Source{
		Kind: plan.SourceChanges, Table: toSnap.Table, Schema: plan.PublicSchema(cp.Schema()),
		Changes: &plan.Changes{From: fromSnap, To: toSnap, Commits: commits, Follow: follow},
	}, nil
}

// changesTicket is one endpoint of a native change read.
type changesTicket struct {
	Table   tableTicket      `json:"t"` // at To
	From    int64            `json:"a"`
	To      int64            `json:"b"`
	Columns []string         `json:"c,omitempty"`
	Filter  json.RawMessage  `json:"f,omitempty"`
	Tasks   []mor.ChangeTask `json:"p"`
}

// followTicket is a change stream: the changes after From, then those of
// every later commit.
type followTicket struct {
	Table   tableTicket     `json:"t"` // the stream's schema
	From    int64           `json:"a"`
	Columns []string        `json:"c,omitempty"`
	Filter  json.RawMessage `json:"f,omitempty"`
}

func (s *Server) changesQueryPlan(cs *plan.ChangesScan, schemaOnly bool) (*queryPlan, error) {
	s.metrics.queries.WithLabelValues("changes").Inc()
	ch := cs.Source.Changes
	tbl := ch.To.Table
	sch := plan.ProjectSchema(plan.PublicSchema(cs.Plan.Schema()), cs.Columns)
	out := &queryPlan{schema: withColumnMetadata(sch, tbl.Namespace, tbl.Name), rows: -1}
	if schemaOnly {
		return out, nil
	}
	filter, err := mor.MarshalExpr(cs.Filter)
	if err != nil {
		return nil, err
	}
	table := encodeTable(tbl)
	if ch.Follow {
		out.tickets = []ticketBody{{Kind: ticketFollow, Follow: &followTicket{Table: table, From: ch.From.Version, Columns: cs.Columns, Filter: filter}}}
		out.ordered = true
		return out, nil
	}
	for _, g := range cs.Groups {
		out.tickets = append(out.tickets, ticketBody{Kind: ticketChanges, Changes: &changesTicket{
			Table: table, From: ch.From.Version, To: ch.To.Version, Columns: cs.Columns, Filter: filter, Tasks: g,
		}})
	}
	out.ordered = len(out.tickets) <= 1
	return out, nil
}

// openChanges reads exactly the tasks of a change ticket.
func (s *Server) openChanges(ctx context.Context, t *changesTicket) (array.RecordReader, error) {
	tbl, err := decodeTable(t.Table)
	if err != nil {
		return nil, err
	}
	filter, err := mor.UnmarshalExpr(t.Filter)
	if err != nil {
		return nil, fmt.Errorf("%w: the ticket's filter is unreadable: %v", ErrTicket, err)
	}
	opts := mor.ChangeOptions{Columns: plan.ChangeTableColumns(tbl, t.Columns), Filter: filter, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator, Cache: s.files}
	p, err := mor.PlanChangeTasks(tbl, t.From, t.To, opts, t.Tasks)
	if err != nil {
		return nil, err
	}
	return projectChanges(p.Scan(ctx, s.cfg.Storage), t.Columns), nil
}

// changesReader reads a change range for DuckDB.
func (s *Server) changesReader(ctx context.Context, rd plan.Read) (array.RecordReader, error) {
	ch := rd.Source.Changes
	opts := mor.ChangeOptions{Columns: plan.ChangeTableColumns(ch.To.Table, rd.Columns), Filter: rd.Filter, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator, Cache: s.files}
	rr, err := mor.Changes(ctx, s.cfg.Storage, ch.From, ch.To, ch.Commits, opts)
	if err != nil {
		return nil, err
	}
	return projectChanges(rr, rd.Columns), nil
}

// projectChanges presents the columns cols (nil: all) of a change reader,
// in that order, without field ids.
func projectChanges(rr array.RecordReader, cols []string) array.RecordReader {
	sch := plan.PublicSchema(rr.Schema())
	if cols == nil {
		return duck.Renamed(rr, sch)
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = sch.FieldIndices(c)[0]
	}
	out := plan.ProjectSchema(sch, cols)
	return &projectReader{in: rr, idx: idx, schema: out}
}

// projectReader selects columns of another reader's batches.
type projectReader struct {
	in     array.RecordReader
	idx    []int
	schema *arrow.Schema
	cur    arrow.RecordBatch
	refs   atomic.Int64
}

func (r *projectReader) Retain()               { r.refs.Add(1) }
func (r *projectReader) Schema() *arrow.Schema { return r.schema }
func (r *projectReader) Err() error            { return r.in.Err() }

func (r *projectReader) Release() {
	if r.refs.Add(-1) >= 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.in.Release()
}

func (r *projectReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if !r.in.Next() {
		return false
	}
	rec := r.in.RecordBatch()
	cols := make([]arrow.Array, len(r.idx))
	for i, j := range r.idx {
		cols[i] = rec.Column(j)
	}
	r.cur = array.NewRecordBatch(r.schema, cols, rec.NumRows())
	return true
}

func (r *projectReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *projectReader) Record() arrow.RecordBatch { return r.cur }

// changeMeta is the app metadata of each batch of a change stream.
type changeMeta struct {
	// Version is the commit whose changes the batch holds.
	Version int64 `json:"version"`
	// Complete marks the last batch (possibly empty) of the version: a
	// consumer that saw it resumes with table_changes(t, Version, follow
	// => true) and misses nothing.
	Complete bool `json:"complete"`
}

// followIdle bounds how long a change stream waits for a commit before it
// checks the head again (a safety net: commits arrive through the watch).
const followIdle = time.Minute
