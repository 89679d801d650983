package flightsql

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// Prepared statement handles are sealed like tickets: the statement, the
// session schema and, once bound, the parameters. Binding returns a new
// handle, so any replica serves any step and nothing is kept per client;
// a handle expires PreparedTTL after it was made or last bound.

// CreatePreparedStatement parses a statement and describes it: queries
// get their result schema (JDBC treats a statement without one as an
// update), and statements with parameters their parameter schema.
func (s *Server) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	var res flightsql.ActionCreatePreparedStatementResult
	st, err := sqlparse.Parse(req.GetQuery())
	if err != nil {
		return res, toStatus(err)
	}
	h := handleBody{SQL: req.GetQuery(), Schema: s.schemaOf(ctx), User: userOf(ctx), Expires: expiry(s.cfg.PreparedTTL)}
	if res.Handle, err = s.seal(h); err != nil {
		return res, toStatus(err)
	}
	isUpdate := true
	if isQuery(st) {
		isUpdate = false
		p, err := s.planStatement(ctx, st, queryEnv{schema: h.Schema, schemaOnly: true})
		if err != nil {
			return res, toStatus(err)
		}
		res.DatasetSchema = p.schema
	}
	res.IsUpdate = &isUpdate
	ps, err := s.paramSchema(ctx, st, h.Schema)
	if err != nil {
		return res, toStatus(err)
	}
	res.ParameterSchema = ps
	return res, nil
}

// paramSchema types a statement's parameters: by the column they are
// compared with or stored into where that is known, as strings otherwise
// (every client can bind a string, and the server converts it).
func (s *Server) paramSchema(ctx context.Context, st sqlparse.Statement, schema string) (*arrow.Schema, error) {
	n := sqlparse.NumParams(st)
	types := make([]arrow.DataType, n)
	var tableSchema *arrow.Schema
	var where sqlparse.Expr
	switch x := st.(type) {
	case *sqlparse.Insert:
		tbl, err := s.loadTarget(ctx, x.Table, schema, catalog.PrivInsert)
		if err != nil {
			return nil, err
		}
		target, err := targetFields(tbl, x.Columns)
		if err != nil {
			return nil, err
		}
		for _, row := range x.Rows {
			for i, e := range row {
				if p, ok := e.(*sqlparse.Param); ok && i < len(target) && p.Index < n {
					types[p.Index] = target[i].Type
				}
			}
		}
	case *sqlparse.Delete:
		tbl, err := s.loadTarget(ctx, x.Table, schema, catalog.PrivDelete)
		if errors.Is(err, ErrPermission) {
			return nil, err
		}
		if err == nil {
			tableSchema, where = tbl.Schema, x.Where
		}
	case *sqlparse.Update:
		tbl, err := s.loadTarget(ctx, x.Table, schema, catalog.PrivUpdate)
		if errors.Is(err, ErrPermission) {
			return nil, err
		}
		if err == nil {
			tableSchema, where = tbl.Schema, x.Where
			for _, a := range x.Set {
				if p, ok := a.Value.(*sqlparse.Param); ok && p.Index < n {
					if f, ok := fieldOf(tbl.Schema, a.Column); ok {
						types[p.Index] = f.Type
					}
				}
			}
		}
	case *sqlparse.Call:
		if p, err := lookupProcedure(x.Procedure); err == nil {
			p.paramTypes(x, types)
		}
	case *sqlparse.Query:
		if p, err := s.buildPlan(ctx, x, queryEnv{schema: schema}); err == nil && p.Duck != nil {
			run := p.Duck.Runs[0]
			if dt, err := s.duck.ParamTypes(ctx, run.SQL, s.duckTables(ctx, run.Reads), n); err == nil {
				copy(types, dt)
			}
		}
		if x.Simple != nil {
			if src, err := (resolver{s}).Resolve(ctx, x.Simple.Table, schema); err == nil && src.Kind == plan.SourceTable {
				tableSchema, where = src.Snapshot.Table.Schema, x.Simple.Where
			}
		}
	}
	if tableSchema != nil {
		typeParams(where, tableSchema, types)
	}
	fields := make([]arrow.Field, n)
	for i := range fields {
		t := types[i]
		if t == nil {
			t = arrow.BinaryTypes.String
		}
		fields[i] = arrow.Field{Name: fmt.Sprintf("parameter_%d", i+1), Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

// typeParams types parameters compared with a column in e.
func typeParams(e sqlparse.Expr, sch *arrow.Schema, types []arrow.DataType) {
	set := func(col sqlparse.Expr, p sqlparse.Expr) {
		c, ok := plan.ColumnOf(col, sch)
		pp, isParam := p.(*sqlparse.Param)
		if ok && isParam && pp.Index < len(types) {
			f, _ := fieldOf(sch, c)
			types[pp.Index] = f.Type
		}
	}
	switch x := e.(type) {
	case *sqlparse.Binary:
		set(x.L, x.R)
		set(x.R, x.L)
		typeParams(x.L, sch, types)
		typeParams(x.R, sch, types)
	case *sqlparse.Unary:
		typeParams(x.X, sch, types)
	case *sqlparse.InList:
		for _, item := range x.List {
			set(x.X, item)
		}
	case *sqlparse.Between:
		set(x.X, x.Lo)
		set(x.X, x.Hi)
	}
}

// openHandle checks and decodes a prepared statement handle.
func (s *Server) openHandle(ctx context.Context, b []byte) (*handleBody, error) {
	var h handleBody
	if err := s.unseal(b, "prepared statement handle", &h); err != nil {
		return nil, err
	}
	if expired(h.Expires) {
		return nil, fmt.Errorf("%w: the prepared statement expired; prepare it again", ErrTicket)
	}
	if u := userOf(ctx); h.User != u {
		return nil, fmt.Errorf("%w: the prepared statement belongs to another user", ErrTicket)
	}
	return &h, nil
}

// openPreparedQuery checks a handle and parses its query.
func (s *Server) openPreparedQuery(ctx context.Context, b []byte) (*handleBody, sqlparse.Statement, error) {
	h, err := s.openHandle(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	q, err := parseQuery(h.SQL)
	if err != nil {
		return nil, nil, err
	}
	return h, q, nil
}

// readBatches reads every batch of a DoPut stream, retained.
func readBatches(r flight.MessageReader, what string) ([]arrow.RecordBatch, error) {
	var recs []arrow.RecordBatch
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
		for i, col := range rec.Columns() {
			if err := validateArray(col); err != nil {
				return recs, invalidf("reading %s: column %q is malformed: %v", what, rec.Schema().Field(i).Name, err)
			}
		}
	}
	if err := r.Err(); err != nil {
		return recs, invalidf("reading %s: %v", what, err)
	}
	return recs, nil
}

// validateArray checks a client's array beyond what the IPC reader checks:
// the offsets of variable-length values and lists lie within their
// buffers and data and never decrease, recursively. Writers trust them (a
// string whose offsets point past its data crashes the Parquet encoder).
func validateArray(a arrow.Array) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	d := a.Data()
	switch a.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		if err := checkOffsets(d, 4, dataLen(d)); err != nil {
			return err
		}
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		if err := checkOffsets(d, 8, dataLen(d)); err != nil {
			return err
		}
	case arrow.LIST, arrow.MAP:
		if err := checkOffsets(d, 4, int64(d.Children()[0].Len())); err != nil {
			return err
		}
	case arrow.LARGE_LIST:
		if err := checkOffsets(d, 8, int64(d.Children()[0].Len())); err != nil {
			return err
		}
	}
	switch x := a.(type) {
	case *array.Struct:
		for i := 0; i < x.NumField(); i++ {
			if err := validateArray(x.Field(i)); err != nil {
				return err
			}
		}
	case array.ListLike:
		return validateArray(x.ListValues())
	}
	return nil
}

// dataLen is the length of a binary array's data buffer (0 when absent).
func dataLen(d arrow.ArrayData) int64 {
	if bufs := d.Buffers(); len(bufs) > 2 && bufs[2] != nil {
		return int64(bufs[2].Len())
	}
	return 0
}

// checkOffsets checks the offsets buffer (of width-byte integers) of an
// array with variable-length elements stored in a range of limit.
func checkOffsets(d arrow.ArrayData, width int, limit int64) error {
	n := d.Len()
	if n == 0 {
		return nil
	}
	var buf *memory.Buffer
	if bufs := d.Buffers(); len(bufs) > 1 {
		buf = bufs[1]
	}
	if buf == nil || d.Offset() < 0 || (d.Offset()+n+1)*width > buf.Len() {
		return fmt.Errorf("offsets buffer too short for %d values", n)
	}
	b := buf.Bytes()
	at := func(i int) int64 {
		p := (d.Offset() + i) * width
		if width == 4 {
			return int64(int32(binary.LittleEndian.Uint32(b[p:])))
		}
		return int64(binary.LittleEndian.Uint64(b[p:]))
	}
	prev := at(0)
	if prev < 0 {
		return fmt.Errorf("negative offset %d", prev)
	}
	for i := 1; i <= n; i++ {
		o := at(i)
		if o < prev {
			return fmt.Errorf("offsets decrease at value %d", i-1)
		}
		prev = o
	}
	if prev > limit {
		return fmt.Errorf("offsets reach %d, past the %d bytes or values they index", prev, limit)
	}
	return nil
}

// ClosePreparedStatement has nothing to free: handles hold no server state.
func (s *Server) ClosePreparedStatement(context.Context, flightsql.ActionClosePreparedStatementRequest) error {
	return nil
}

// DoPutPreparedStatementQuery binds parameters and returns the handle that
// carries them.
func (s *Server) DoPutPreparedStatementQuery(ctx context.Context, cmd flightsql.PreparedStatementQuery, r flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	h, err := s.openHandle(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, toStatus(err)
	}
	recs, err := readBatches(r, "parameters")
	defer arrowconv.ReleaseAll(recs)
	if err != nil {
		return nil, toStatus(err)
	}
	if h.Params, err = encodeParams(s.cfg.Allocator, recs); err != nil {
		return nil, toStatus(err)
	}
	h.Expires = expiry(s.cfg.PreparedTTL)
	out, err := s.seal(h)
	return out, toStatus(err)
}

// GetFlightInfoPreparedStatement plans a prepared query with its bound
// parameters.
func (s *Server) GetFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	h, q, err := s.openPreparedQuery(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, toStatus(err)
	}
	if n := sqlparse.NumParams(q); n > 0 && len(h.Params) == 0 {
		return nil, toStatus(invalidf("the statement has %d parameters and none were bound", n))
	}
	env, err := s.preparedEnv(h)
	if err != nil {
		return nil, toStatus(err)
	}
	p, err := s.planStatement(ctx, q, env)
	if err != nil {
		return nil, toStatus(err)
	}
	info, err := s.flightInfo(ctx, p, desc)
	return info, toStatus(err)
}

// GetSchemaPreparedStatement returns a prepared query's result schema.
func (s *Server) GetSchemaPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	h, q, err := s.openPreparedQuery(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, toStatus(err)
	}
	env, err := s.preparedEnv(h)
	if err != nil {
		return nil, toStatus(err)
	}
	env.schemaOnly = true
	p, err := s.planStatement(ctx, q, env)
	if err != nil {
		return nil, toStatus(err)
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(p.schema, s.cfg.Allocator)}, nil
}

// PollFlightInfoPreparedStatement answers complete at once, as for
// statements.
func (s *Server) PollFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.PollInfo, error) {
	info, err := s.GetFlightInfoPreparedStatement(ctx, cmd, desc)
	if err != nil {
		return nil, err
	}
	one := 1.0
	return &flight.PollInfo{Info: info, Progress: &one}, nil
}

// DoGetPreparedStatement serves a prepared statement command used directly
// as a ticket (some clients do): it is planned and read as one stream.
func (s *Server) DoGetPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	h, q, err := s.openPreparedQuery(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, nil, toStatus(err)
	}
	env, err := s.preparedEnv(h)
	if err != nil {
		return nil, nil, toStatus(err)
	}
	p, err := s.planStatement(ctx, q, env)
	if err != nil {
		return nil, nil, toStatus(err)
	}
	recs, err := s.readAll(ctx, p)
	if err != nil {
		return nil, nil, toStatus(err)
	}
	sch := p.schema
	if len(recs) > 0 {
		sch = recs[0].Schema()
	}
	ch := make(chan flight.StreamChunk, len(recs))
	for _, r := range recs {
		ch <- flight.StreamChunk{Data: r}
	}
	close(ch)
	return sch, ch, nil
}

// DoPutPreparedStatementUpdate runs a prepared update once with all bound
// parameter rows: an INSERT ... VALUES with N parameter rows is one commit.
func (s *Server) DoPutPreparedStatementUpdate(ctx context.Context, cmd flightsql.PreparedStatementUpdate, r flight.MessageReader) (int64, error) {
	h, err := s.openHandle(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return 0, toStatus(err)
	}
	st, err := sqlparse.Parse(h.SQL)
	if err != nil {
		return 0, toStatus(err)
	}
	recs, err := readBatches(r, "parameters")
	defer arrowconv.ReleaseAll(recs)
	if err != nil {
		return 0, toStatus(err)
	}
	b := h.Params
	if len(recs) > 0 {
		if b, err = encodeParams(s.cfg.Allocator, recs); err != nil {
			return 0, toStatus(err)
		}
	}
	bound, err := decodeParams(s.cfg.Allocator, b)
	if err != nil {
		return 0, toStatus(err)
	}
	rows := rowsOf(bound)
	if sqlparse.NumParams(st) == 0 && len(rows) > 0 {
		rows = nil
	}
	ctx = withSchema(ctx, h.Schema)
	n, err := s.execUpdate(ctx, st, rows)
	return n, toStatus(err)
}

// preparedEnv is the planning environment of a prepared statement handle.
func (s *Server) preparedEnv(h *handleBody) (queryEnv, error) {
	params, err := decodeParams(s.cfg.Allocator, h.Params)
	if err != nil {
		return queryEnv{}, err
	}
	return queryEnv{schema: h.Schema, params: params, paramsIPC: h.Params}, nil
}

// withSchema makes schemaOf answer schema for the rest of a call.
func withSchema(ctx context.Context, schema string) context.Context {
	return context.WithValue(ctx, sessionKey{}, session{Schema: schema})
}
