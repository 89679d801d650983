package flightsql

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/metadata"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// A query is planned when a client asks for its FlightInfo (package plan):
// its tables are resolved to snapshots, and it becomes a native scan (one
// endpoint per group of (partition, bucket) tasks), a DuckDB query (one
// endpoint) or, for SHOW and EXPLAIN, a small result computed at once.
// Each ticket carries its part of the plan, so DoGet only executes.

// queryPlan is a planned query, ready to be described or served.
type queryPlan struct {
	schema  *arrow.Schema
	tickets []ticketBody
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

// isQuery reports whether a statement returns rows (and is planned as a
// query rather than run as an update).
func isQuery(st sqlparse.Statement) bool {
	_, ok := queryKinds[typeOf(st)]
	return ok
}

// parseQuery parses sql and checks it returns rows.
func parseQuery(sql string) (sqlparse.Statement, error) {
	st, err := sqlparse.Parse(sql)
	if err != nil {
		return nil, err
	}
	if !isQuery(st) {
		return nil, invalidf("the statement is not a query; run it as an update")
	}
	return st, nil
}

// queryEnv is what planning a statement needs besides the statement.
type queryEnv struct {
	schema     string       // session schema
	params     *plan.Params // bound parameters, nil for none
	paramsIPC  []byte       // the same, as sent
	schemaOnly bool         // describe the result; make no tickets
}

// planStatement plans a statement that returns rows.
func (s *Server) planStatement(ctx context.Context, st sqlparse.Statement, env queryEnv) (*queryPlan, error) {
	fn, ok := queryKinds[typeOf(st)]
	if !ok {
		return nil, invalidf("the statement is not a query; run it as an update")
	}
	return fn(s, ctx, st, env)
}

// planQuery plans a SELECT-like query through package plan.
func (s *Server) planQuery(ctx context.Context, q *sqlparse.Query, env queryEnv) (*queryPlan, error) {
	p, err := s.buildPlan(ctx, q, env)
	if err != nil {
		return nil, err
	}
	if p.Native != nil {
		return s.nativeQueryPlan(p.Native, env.schemaOnly)
	}
	if p.Changes != nil {
		return s.changesQueryPlan(p.Changes, env.schemaOnly)
	}
	return s.duckQueryPlan(ctx, p.Duck, env)
}

// buildPlan runs the planner for q.
func (s *Server) buildPlan(ctx context.Context, q *sqlparse.Query, env queryEnv) (*plan.Plan, error) {
	return plan.Build(ctx, resolver{s}, q, plan.Options{
		Schema:       env.schema,
		Params:       env.params,
		MaxEndpoints: s.endpointCap(ctx),
		Functions:    s.functions(ctx, env.schema),
	})
}

// functions are the values of the SQL functions the server answers itself.
func (s *Server) functions(ctx context.Context, schema string) map[string]string {
	lit := func(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }
	user := userOf(ctx)
	return map[string]string{
		"version":          lit("lakesoul-flight " + s.cfg.Version),
		"current_schema":   lit(schema),
		"current_catalog":  lit(catalogName),
		"current_database": lit(catalogName),
		"current_user":     lit(user),
		"session_user":     lit(user),
	}
}

func (s *Server) nativeQueryPlan(n *plan.Native, schemaOnly bool) (*queryPlan, error) {
	s.metrics.queries.WithLabelValues("native").Inc()
	snap := n.Scan.Snapshot
	out := &queryPlan{schema: withColumnMetadata(n.Scan.Schema, snap.Table.Namespace, snap.Table.Name), rows: n.Rows()}
	if schemaOnly {
		return out, nil
	}
	filter, err := mor.MarshalExpr(n.Filter)
	if err != nil {
		return nil, err
	}
	table := encodeTable(snap.Table)
	for _, g := range n.Groups {
		out.tickets = append(out.tickets, ticketBody{Kind: ticketScan, Scan: &scanTicket{
			Table: table, Version: snap.Version, Columns: n.Columns, Filter: filter,
			Limit: n.Limit, Tasks: encodeTasks(snap.Table, g, s.cfg.TicketMaxFiles),
		}})
	}
	out.ordered = len(out.tickets) <= 1
	return out, nil
}

func (s *Server) duckQueryPlan(ctx context.Context, d *plan.Duck, env queryEnv) (*queryPlan, error) {
	s.metrics.queries.WithLabelValues("duckdb").Inc()
	args := make([]any, d.Params) // unbound parameters describe as NULL
	if len(d.Args) > 0 {
		args = d.Args[0]
	}
	sch, err := s.duck.Schema(ctx, d.Runs[0].SQL, s.duckTables(ctx, d.Runs[0].Reads), args)
	if err != nil {
		return nil, err
	}
	out := &queryPlan{schema: withColumnMetadata(sch, "", ""), rows: -1, ordered: true}
	if env.schemaOnly {
		return out, nil
	}
	dt := &duckTicket{Params: env.paramsIPC}
	for _, run := range d.Runs {
		rt := duckRunTicket{SQL: run.SQL}
		for _, rd := range run.Reads {
			t := readTicket{Name: rd.Name, Kind: rd.Source.Kind, Info: rd.Source.Info, Columns: rd.Columns}
			switch rd.Source.Kind {
			case plan.SourceTable, plan.SourceFiles, plan.SourcePartitions:
				t.ID, t.Version = rd.Source.Snapshot.Table.ID, rd.Source.Snapshot.Version
			case plan.SourceHistory:
				t.ID, t.Version = rd.Source.Table.ID, rd.Source.Version
			case plan.SourceChanges:
				ch := rd.Source.Changes
				t.ID, t.From, t.Version = ch.To.Table.ID, ch.From.Version, ch.To.Version
			}
			if t.Filter, err = mor.MarshalExpr(rd.Filter); err != nil {
				return nil, err
			}
			rt.Reads = append(rt.Reads, t)
		}
		dt.Runs = append(dt.Runs, rt)
	}
	out.tickets = []ticketBody{{Kind: ticketDuck, Duck: dt}}
	return out, nil
}

// rowsPlan is the plan of a small result computed at planning time.
func (s *Server) rowsPlan(rec arrow.RecordBatch, env queryEnv) (*queryPlan, error) {
	defer rec.Release()
	out := &queryPlan{schema: rec.Schema(), rows: rec.NumRows(), ordered: true}
	if env.schemaOnly {
		return out, nil
	}
	b, err := encodeIPC(s.cfg.Allocator, []arrow.RecordBatch{rec})
	if err != nil {
		return nil, err
	}
	out.tickets = []ticketBody{{Kind: ticketRows, Rows: b}}
	return out, nil
}

// flightInfo turns a plan into a FlightInfo, sealing its tickets. With
// Config.Location set, every endpoint names this server as its location.
func (s *Server) flightInfo(ctx context.Context, p *queryPlan, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	info := &flight.FlightInfo{
		Schema:           flight.SerializeSchema(p.schema, s.cfg.Allocator),
		FlightDescriptor: desc,
		TotalRecords:     p.rows,
		TotalBytes:       -1,
		Ordered:          p.ordered,
	}
	exp := expiry(s.cfg.TicketTTL)
	user := userOf(ctx)
	for _, b := range p.tickets {
		b.Expires, b.User = exp, user
		sealed, err := s.seal(b)
		if err != nil {
			return nil, err
		}
		t, err := flightsql.CreateStatementQueryTicket(sealed)
		if err != nil {
			return nil, err
		}
		ep := &flight.FlightEndpoint{Ticket: &flight.Ticket{Ticket: t}}
		if s.cfg.Location != "" {
			ep.Location = []*flight.Location{{Uri: s.cfg.Location}}
		}
		info.Endpoint = append(info.Endpoint, ep)
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
	if !isQuery(st) {
		if _, err := s.execUpdate(ctx, st, nil); err != nil {
			return nil, toStatus(err)
		}
		return s.flightInfo(ctx, &queryPlan{schema: arrow.NewSchema(nil, nil)}, desc)
	}
	if n := sqlparse.NumParams(st); n > 0 {
		return nil, toStatus(invalidf("the query has %d parameters: prepare it and bind them", n))
	}
	p, err := s.planStatement(ctx, st, queryEnv{schema: s.schemaOf(ctx)})
	if err != nil {
		return nil, toStatus(err)
	}
	info, err := s.flightInfo(ctx, p, desc)
	return info, toStatus(err)
}

// GetSchemaStatement returns a query's result schema.
func (s *Server) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	st, err := parseQuery(cmd.GetQuery())
	if err != nil {
		return nil, toStatus(err)
	}
	p, err := s.planStatement(ctx, st, queryEnv{schema: s.schemaOf(ctx), schemaOnly: true})
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
	if b.User != userOf(ctx) {
		return nil, nil, toStatus(fmt.Errorf("%w: the ticket was issued to another user", ErrTicket))
	}
	if err := s.recheckTicket(ctx, &b); err != nil {
		return nil, nil, toStatus(err)
	}
	if b.Kind == ticketFollow && b.Follow != nil {
		sch, ch, err := s.follow(ctx, b.Follow)
		return sch, ch, toStatus(err)
	}
	rr, err := s.openTicket(ctx, &b)
	if err != nil {
		return nil, nil, toStatus(err)
	}
	return s.stream(ctx, rr)
}
