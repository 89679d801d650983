package flightsql

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/metadata"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// A query is planned when a client asks for its FlightInfo: its tables are
// resolved to snapshots, and it becomes either a native scan (one endpoint
// per group of (partition, bucket) tasks) or a DuckDB query (one endpoint).
// Tickets carry the statement and the pinned versions, so every endpoint
// reads the same snapshot whatever commits in between.

// queryPlan is a planned query.
type queryPlan struct {
	schema  *arrow.Schema
	tickets [][]byte
	rows    int64 // estimate; -1 unknown
	ordered bool
}

// endpointCap is the number of endpoints a client should get.
func (s *Server) endpointCap(ctx context.Context) int {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, ua := range md.Get("user-agent") {
		if strings.HasPrefix(ua, "JDBC Flight SQL Driver") {
			return s.cfg.JDBCEndpoints
		}
	}
	return s.cfg.MaxEndpoints
}

// parseQuery parses sql and checks it is a query.
func parseQuery(sql string) (*sqlparse.Query, error) {
	st, err := sqlparse.Parse(sql)
	if err != nil {
		return nil, err
	}
	q, ok := st.(*sqlparse.Query)
	if !ok {
		return nil, invalidf("the statement is not a query; run it as an update")
	}
	return q, nil
}

// planQuery plans a query for the given session schema and parameter rows.
// With schemaOnly, no tickets are made.
func (s *Server) planQuery(ctx context.Context, q *sqlparse.Query, schema string, params []byte, schemaOnly bool) (*queryPlan, error) {
	rows, err := decodeParams(s.cfg.Allocator, params)
	if err != nil {
		return nil, err
	}
	if q.Params > 0 && len(rows) > 0 && len(rows[0]) < q.Params {
		return nil, invalidf("the statement has %d parameters but %d were bound", q.Params, len(rows[0]))
	}
	refs := make([]*resolved, len(q.Tables))
	pins := make([]pin, len(q.Tables))
	for i, ref := range q.Tables {
		r, err := s.resolveRef(ctx, ref, schema)
		if err != nil {
			return nil, err
		}
		refs[i], pins[i] = r, r.pin
	}
	body := ticketBody{SQL: q.Text, Schema: schema, Pins: pins, Params: params, Expires: expiry(s.cfg.TicketTTL)}

	if plan, ok, err := s.nativePlan(q, refs, rows); err != nil {
		return nil, err
	} else if ok {
		s.metrics.queries.WithLabelValues("native").Inc()
		out := &queryPlan{schema: withColumnMetadata(plan.Schema, refs[0].table.Namespace, refs[0].table.Name), rows: 0}
		for _, t := range plan.Tasks {
			out.rows += t.Rows()
		}
		if schemaOnly {
			return out, nil
		}
		groups := groupTasks(plan.Tasks, s.endpointCap(ctx))
		if q.Simple.Limit >= 0 && len(groups) > 1 {
			groups = [][]mor.Task{plan.Tasks} // a limit applies across the whole scan
		}
		for _, g := range groups {
			b := body
			b.Kind = "scan"
			for _, t := range g {
				b.Tasks = append(b.Tasks, taskRef{Partition: t.Partition, Bucket: t.Bucket})
			}
			tk, err := s.seal(b)
			if err != nil {
				return nil, err
			}
			out.tickets = append(out.tickets, tk)
		}
		out.ordered = len(out.tickets) <= 1
		return out, nil
	}

	// DuckDB: the schema comes from the statement itself with no rows read.
	s.metrics.queries.WithLabelValues("duckdb").Inc()
	sch, err := s.duckSchema(ctx, q, refs, rows)
	if err != nil {
		return nil, err
	}
	out := &queryPlan{schema: withColumnMetadata(sch, "", ""), rows: -1, ordered: true}
	if !schemaOnly {
		body.Kind = "duck"
		tk, err := s.seal(body)
		if err != nil {
			return nil, err
		}
		out.tickets = [][]byte{tk}
	}
	return out, nil
}

// nativePlan plans q on the native scan path when it is a plain scan whose
// predicate the table store evaluates, and there is at most one parameter
// row.
func (s *Server) nativePlan(q *sqlparse.Query, refs []*resolved, rows paramRows) (*mor.Plan, bool, error) {
	if q.Simple == nil || len(refs) != 1 || refs[0].snap == nil || len(rows) > 1 {
		return nil, false, nil
	}
	var params []any
	if len(rows) == 1 {
		params = rows[0]
	}
	sel := q.Simple
	snap := refs[0].snap
	filter, ok := toFilter(sel.Where, snap.Table.Schema, params)
	if !ok {
		return nil, false, nil
	}
	for _, c := range sel.Columns {
		if _, ok := fieldOf(snap.Table.Schema, c); !ok {
			return nil, false, invalidf("table %s.%s has no column %q", snap.Table.Namespace, snap.Table.Name, c)
		}
	}
	opts := mor.ScanOptions{Columns: sel.Columns, Filter: filter, Limit: sel.Limit, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator}
	if sel.Limit == 0 {
		opts.Limit = -1
	}
	plan, err := mor.NewPlan(snap, opts)
	if err != nil {
		// A literal that does not fit the column's type: let DuckDB cast it.
		return nil, false, nil
	}
	if sel.Limit == 0 {
		plan.Tasks = nil
	}
	return plan, true, nil
}

// groupTasks splits tasks into at most n groups of similar row counts,
// keeping each group's tasks in plan order.
func groupTasks(tasks []mor.Task, n int) [][]mor.Task {
	if len(tasks) == 0 {
		return [][]mor.Task{nil}
	}
	if n <= 0 || n >= len(tasks) {
		out := make([][]mor.Task, len(tasks))
		for i, t := range tasks {
			out[i] = []mor.Task{t}
		}
		return out
	}
	var total int64
	for _, t := range tasks {
		total += t.Rows()
	}
	out := make([][]mor.Task, 0, n)
	var cur []mor.Task
	var acc int64
	for i, t := range tasks {
		cur = append(cur, t)
		acc += t.Rows()
		left := len(tasks) - i - 1
		groupsLeft := n - len(out) - 1
		if groupsLeft > 0 && (acc*int64(n) >= total*int64(len(out)+1) || left == groupsLeft) {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// flightInfo turns a plan into a FlightInfo.
func (s *Server) flightInfo(p *queryPlan, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	info := &flight.FlightInfo{
		Schema:           flight.SerializeSchema(p.schema, s.cfg.Allocator),
		FlightDescriptor: desc,
		TotalRecords:     p.rows,
		TotalBytes:       -1,
		Ordered:          p.ordered,
	}
	for _, tk := range p.tickets {
		t, err := flightsql.CreateStatementQueryTicket(tk)
		if err != nil {
			return nil, err
		}
		info.Endpoint = append(info.Endpoint, &flight.FlightEndpoint{Ticket: &flight.Ticket{Ticket: t}})
	}
	return info, nil
}

// GetFlightInfoStatement plans a query. A statement that is not a query
// (some clients send DDL this way) is executed and answers an empty result.
func (s *Server) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	st, err := sqlparse.Parse(cmd.GetQuery())
	if err != nil {
		return nil, toStatus(err)
	}
	q, ok := st.(*sqlparse.Query)
	if !ok {
		if _, err := s.execUpdate(ctx, st, nil); err != nil {
			return nil, toStatus(err)
		}
		return s.flightInfo(&queryPlan{schema: arrow.NewSchema(nil, nil)}, desc)
	}
	if q.Params > 0 {
		return nil, toStatus(invalidf("the query has %d parameters: prepare it and bind them", q.Params))
	}
	p, err := s.planQuery(ctx, q, s.schemaOf(ctx), nil, false)
	if err != nil {
		return nil, toStatus(err)
	}
	info, err := s.flightInfo(p, desc)
	return info, toStatus(err)
}

// GetSchemaStatement returns a query's result schema.
func (s *Server) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	q, err := parseQuery(cmd.GetQuery())
	if err != nil {
		return nil, toStatus(err)
	}
	p, err := s.planQuery(ctx, q, s.schemaOf(ctx), nil, true)
	if err != nil {
		return nil, toStatus(err)
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(p.schema, s.cfg.Allocator)}, nil
}

// PollFlightInfoStatement plans a query; planning is quick, so the first
// answer is complete.
func (s *Server) PollFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.PollInfo, error) {
	info, err := s.GetFlightInfoStatement(ctx, cmd, desc)
	if err != nil {
		return nil, err
	}
	one := 1.0
	return &flight.PollInfo{Info: info, Progress: &one}, nil
}

// CancelFlightInfo: nothing runs between GetFlightInfo and DoGet, and a
// DoGet stops when its stream is cancelled, so there is nothing to stop.
func (s *Server) CancelFlightInfo(context.Context, *flight.CancelFlightInfoRequest) (flight.CancelFlightInfoResult, error) {
	return flight.CancelFlightInfoResult{Status: flight.CancelStatusCancelled}, nil
}

// DoGetStatement streams one endpoint of a query.
func (s *Server) DoGetStatement(ctx context.Context, tk flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	var b ticketBody
	if err := s.unseal(tk.GetStatementHandle(), "ticket", &b); err != nil {
		return nil, nil, toStatus(err)
	}
	if expired(b.Expires) {
		return nil, nil, toStatus(fmt.Errorf("%w: the ticket expired; run the query again", ErrTicket))
	}
	rr, err := s.openTicket(ctx, &b)
	if err != nil {
		return nil, nil, toStatus(err)
	}
	return s.stream(ctx, rr)
}

// openTicket opens the record stream a ticket describes.
func (s *Server) openTicket(ctx context.Context, b *ticketBody) (array.RecordReader, error) {
	q, err := parseQuery(b.SQL)
	if err != nil {
		return nil, err
	}
	if len(b.Pins) != len(q.Tables) {
		return nil, fmt.Errorf("%w: the ticket does not match its statement", ErrTicket)
	}
	refs := make([]*resolved, len(b.Pins))
	for i, p := range b.Pins {
		if refs[i], err = s.loadPin(ctx, p); err != nil {
			return nil, err
		}
	}
	rows, err := decodeParams(s.cfg.Allocator, b.Params)
	if err != nil {
		return nil, err
	}
	switch b.Kind {
	case "scan":
		plan, ok, err := s.nativePlan(q, refs, rows)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: the ticket's scan cannot be planned", ErrTicket)
		}
		want := map[taskRef]bool{}
		for _, t := range b.Tasks {
			want[t] = true
		}
		var tasks []mor.Task
		for _, t := range plan.Tasks {
			if want[taskRef{Partition: t.Partition, Bucket: t.Bucket}] {
				tasks = append(tasks, t)
			}
		}
		plan.Tasks = tasks
		return plan.Scan(ctx, s.cfg.Storage), nil
	case "duck":
		return s.duckRun(ctx, q, refs, rows)
	}
	return nil, fmt.Errorf("%w: unknown ticket kind %q", ErrTicket, b.Kind)
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
