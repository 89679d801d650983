package flightsql

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/duck"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/internal/ipccheck"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// userOf names the authenticated user of a call ("" without
// authentication).
func userOf(ctx context.Context) string {
	u, _ := auth.UserFromContext(ctx)
	return u
}

// openTicket opens the record stream a ticket describes. It plans nothing:
// everything it needs is in the ticket.
func (s *Server) openTicket(ctx context.Context, b *ticketBody) (array.RecordReader, error) {
	switch b.Kind {
	case ticketScan:
		if b.Scan != nil {
			return s.openScan(ctx, b.Scan)
		}
	case ticketDuck:
		if b.Duck != nil {
			return s.openDuck(ctx, b.Duck)
		}
	case ticketRows:
		return decodeIPCReader(s, b.Rows)
	case ticketChanges:
		if b.Changes != nil {
			return s.openChanges(ctx, b.Changes)
		}
	}
	return nil, fmt.Errorf("%w: the ticket has no plan of kind %q", ErrTicket, b.Kind)
}

// openScan reads exactly the tasks of a native scan ticket.
func (s *Server) openScan(ctx context.Context, t *scanTicket) (array.RecordReader, error) {
	tbl, err := decodeTable(t.Table)
	if err != nil {
		return nil, err
	}
	filter, err := mor.UnmarshalExpr(t.Filter)
	if err != nil {
		return nil, fmt.Errorf("%w: the ticket's filter is unreadable: %v", ErrTicket, err)
	}
	opts := mor.ScanOptions{Columns: t.Columns, Filter: filter, Limit: t.Limit, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator, Cache: s.files}
	if t.Limit == 0 {
		opts.Limit = -1
	}
	tasks, ok := decodeTasks(tbl, t.Tasks)
	if !ok {
		if tasks, err = s.pinnedTasks(ctx, tbl.ID, t.Version, opts, t.Tasks); err != nil {
			return nil, err
		}
	}
	if t.Limit == 0 {
		tasks = nil
	}
	p, err := mor.PlanTasks(tbl, t.Version, opts, tasks)
	if err != nil {
		return nil, err
	}
	return p.Scan(ctx, s.cfg.Storage), nil
}

// pinnedTasks plans the pinned snapshot again and keeps the ticket's
// tasks: for endpoints with more files than a ticket lists.
func (s *Server) pinnedTasks(ctx context.Context, id string, version int64, opts mor.ScanOptions, want []taskTicket) ([]mor.Task, error) {
	snap, err := s.cfg.Catalog.Snapshot(ctx, id, catalog.SnapshotSpec{Version: &version})
	if err != nil {
		return nil, err
	}
	p, err := mor.NewPlan(snap, opts)
	if err != nil {
		return nil, err
	}
	type key struct {
		part   string
		bucket int
	}
	keep := make(map[key]bool, len(want))
	for _, t := range want {
		keep[key{t.Partition, t.Bucket}] = true
	}
	var out []mor.Task
	for _, t := range p.Tasks {
		if keep[key{t.Partition, t.Bucket}] {
			out = append(out, t)
		}
	}
	return out, nil
}

// openDuck runs a DuckDB ticket: once per parameter row, the results
// concatenated under the first run's schema.
func (s *Server) openDuck(ctx context.Context, t *duckTicket) (array.RecordReader, error) {
	params, err := decodeParams(s.cfg.Allocator, t.Params)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	if params != nil {
		rows = params.Rows
	}
	if len(rows) != 0 && len(rows) != len(t.Runs) || len(t.Runs) == 0 {
		return nil, fmt.Errorf("%w: the ticket's runs do not match its parameters", ErrTicket)
	}
	var recs []arrow.RecordBatch
	var sch *arrow.Schema
	defer func() { arrowconv.ReleaseAll(recs) }()
	for i, run := range t.Runs {
		reads := make([]plan.Read, len(run.Reads))
		for j, rt := range run.Reads {
			rd, err := s.readOf(ctx, rt)
			if err != nil {
				return nil, err
			}
			reads[j] = rd
		}
		var args []any
		if len(rows) > 0 {
			args = rows[i]
		}
		rr, err := s.duck.Query(ctx, run.SQL, s.duckTables(ctx, reads), args)
		if err != nil {
			return nil, err
		}
		if sch == nil {
			sch = rr.Schema()
		} else if !sameTypes(sch, rr.Schema()) {
			rr.Release()
			return nil, invalidf("parameter row %d gives result columns %s, unlike the first row's %s", i+1, rr.Schema(), sch)
		}
		for rr.Next() {
			// A NULL string parameter is cast, which renames the column
			// it forms; the first run's names hold for all.
			rec := rr.RecordBatch()
			recs = append(recs, array.NewRecordBatch(sch, rec.Columns(), rec.NumRows()))
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			return nil, err
		}
	}
	return array.NewRecordReader(sch, recs)
}

// sameTypes reports whether two schemas have the same column types (and
// nullability), whatever their names.
func sameTypes(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		fa, fb := a.Field(i), b.Field(i)
		if !arrow.TypeEqual(fa.Type, fb.Type) || fa.Nullable != fb.Nullable {
			return false
		}
	}
	return true
}

// readOf turns a ticket's read back into a plan.Read, pinning the same
// snapshot the query was planned on.
func (s *Server) readOf(ctx context.Context, rt readTicket) (plan.Read, error) {
	rd := plan.Read{Name: rt.Name, Columns: rt.Columns}
	filter, err := mor.UnmarshalExpr(rt.Filter)
	if err != nil {
		return rd, fmt.Errorf("%w: the ticket's filter is unreadable: %v", ErrTicket, err)
	}
	rd.Filter = filter
	switch rt.Kind {
	case plan.SourceTable:
		v := rt.Version
		snap, err := s.cfg.Catalog.Snapshot(ctx, rt.ID, catalog.SnapshotSpec{Version: &v})
		if err != nil {
			return rd, err
		}
		rd.Source = &plan.Source{Kind: plan.SourceTable, Snapshot: snap, Table: snap.Table}
		rd.Schema = plan.ProjectSchema(plan.PublicSchema(snap.Table.Schema), rt.Columns)
	case plan.SourceFiles, plan.SourcePartitions:
		v := rt.Version
		snap, err := s.cfg.Catalog.Snapshot(ctx, rt.ID, catalog.SnapshotSpec{Version: &v})
		if err != nil {
			return rd, err
		}
		sch := filesSchema
		if rt.Kind == plan.SourcePartitions {
			sch = partitionsSchema
		}
		rd.Source = &plan.Source{Kind: rt.Kind, Snapshot: snap, Table: snap.Table, Schema: sch}
		rd.Schema = sch
	case plan.SourceHistory:
		tbl, err := s.cfg.Catalog.LoadTableByID(ctx, rt.ID)
		if err != nil {
			return rd, err
		}
		rd.Source = &plan.Source{Kind: plan.SourceHistory, Table: tbl, Version: rt.Version, Schema: historySchema}
		rd.Schema = historySchema
	case plan.SourceChanges:
		src, err := s.changesSource(ctx, rt.ID, rt.From, rt.Version, false)
		if err != nil {
			return rd, err
		}
		rd.Source = src
		rd.Schema = plan.ProjectSchema(src.Schema, rt.Columns)
	case plan.SourceInfo:
		sch, ok := infoSchemas[rt.Info]
		if !ok {
			return rd, fmt.Errorf("%w: unknown information_schema table %q", ErrTicket, rt.Info)
		}
		rd.Source = &plan.Source{Kind: plan.SourceInfo, Info: rt.Info, Schema: sch}
		rd.Schema = sch
	default:
		return rd, fmt.Errorf("%w: unknown read kind %d", ErrTicket, rt.Kind)
	}
	return rd, nil
}

// duckTables gives DuckDB a table for each read: a merge-on-read scan of
// the pinned snapshot narrowed to the read's columns and filter, a history
// listing, the files or partitions of the pinned snapshot, or an
// information_schema listing.
func (s *Server) duckTables(ctx context.Context, reads []plan.Read) []duck.Table {
	out := make([]duck.Table, len(reads))
	for i, rd := range reads {
		rd := rd
		t := duck.Table{Name: rd.Name, Schema: rd.Schema}
		switch rd.Source.Kind {
		case plan.SourceTable:
			opts := mor.ScanOptions{Columns: rd.Columns, Filter: rd.Filter, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator, Cache: s.files}
			t.Open = func() (array.RecordReader, error) {
				rr, err := mor.Scan(ctx, s.cfg.Storage, rd.Source.Snapshot, opts)
				if err != nil {
					return nil, err
				}
				return duck.Renamed(rr, rd.Schema), nil
			}
		case plan.SourceHistory:
			t.Open = func() (array.RecordReader, error) { return s.historyReader(ctx, rd.Source.Table.ID, rd.Source.Version) }
		case plan.SourceFiles:
			t.Open = func() (array.RecordReader, error) { return s.filesReader(rd.Source.Snapshot) }
		case plan.SourcePartitions:
			t.Open = func() (array.RecordReader, error) { return s.partitionsReader(rd.Source.Snapshot) }
		case plan.SourceChanges:
			t.Open = func() (array.RecordReader, error) {
				rr, err := s.changesReader(ctx, rd)
				if err != nil {
					return nil, err
				}
				return duck.Renamed(rr, rd.Schema), nil
			}
		case plan.SourceInfo:
			t.Open = func() (array.RecordReader, error) { return s.infoReader(ctx, rd.Source.Info) }
		}
		out[i] = t
	}
	return out
}

// encodeIPC serialises batches of one schema as an Arrow IPC stream.
func encodeIPC(mem memory.Allocator, recs []arrow.RecordBatch) ([]byte, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(recs[0].Schema()), ipc.WithAllocator(mem))
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return nil, invalidf("encoding batches: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeIPCReader reads a result carried in a ticket.
func decodeIPCReader(s *Server, b []byte) (array.RecordReader, error) {
	if err := ipccheck.Stream(b); err != nil {
		return nil, fmt.Errorf("%w: the ticket's rows are unreadable: %v", ErrTicket, err)
	}
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(s.cfg.Allocator))
	if err != nil {
		return nil, fmt.Errorf("%w: the ticket's rows are unreadable: %v", ErrTicket, err)
	}
	return r, nil
}

// stream sends a record reader as Flight stream chunks, splitting batches
// that would exceed the message size, until the reader ends or the client
// goes away.
func (s *Server) stream(ctx context.Context, rr array.RecordReader) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rr = newCoalesceReader(rr, s.cfg.Allocator, s.coalesceRows(), coalesceBytes)
	ch := make(chan flight.StreamChunk, 2)
	go func() {
		defer close(ch)
		defer rr.Release()
		for rr.Next() {
			rec := rr.RecordBatch()
			for _, part := range splitRecord(rec, maxBatchBytes) {
				s.metrics.rowsSent.Add(float64(part.NumRows()))
				s.metrics.bytesSent.Add(float64(recordBytes(part)))
				select {
				case ch <- flight.StreamChunk{Data: part}:
				case <-ctx.Done():
					part.Release()
					return
				}
			}
		}
		if err := rr.Err(); err != nil {
			select {
			case ch <- flight.StreamChunk{Err: toStatus(err)}:
			case <-ctx.Done():
			}
		}
	}()
	return rr.Schema(), ch, nil
}

// maxBatchBytes bounds a streamed batch, well below MaxMessageSize and the
// 16 MiB clients accept by default.
const maxBatchBytes = 8 << 20

// splitRecord slices rec into parts of at most maxBytes (estimated from
// its buffers); each part is retained for the caller.
func splitRecord(rec arrow.RecordBatch, maxBytes int64) []arrow.RecordBatch {
	size := recordBytes(rec)
	n := rec.NumRows()
	if size <= maxBytes || n <= 1 {
		rec.Retain()
		return []arrow.RecordBatch{rec}
	}
	parts := (size + maxBytes - 1) / maxBytes
	step := (n + parts - 1) / parts
	var out []arrow.RecordBatch
	for off := int64(0); off < n; off += step {
		out = append(out, rec.NewSlice(off, min(off+step, n)))
	}
	return out
}

// recordBytes estimates the buffer bytes of a record.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += int64(c.Data().SizeInBytes())
	}
	return n
}
