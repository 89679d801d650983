package flightsql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// CALL runs a procedure (procedures.go): its arguments are bound first,
// for every parameter row, and only then does anything run.

// procedureTable loads the table a procedure's table argument names.
func (s *Server) procedureTable(ctx context.Context, n sqlparse.TableName, schema string) (*catalog.Table, error) {
	ns, name, err := s.qualify(n, schema)
	if err != nil {
		return nil, err
	}
	if _, _, _, meta := metaTable(name); meta {
		return nil, invalidf("%s.%s is a metadata table; name the table itself", ns, name)
	}
	if err := s.requireTable(ctx, catalog.PrivAlter, ns, name); err != nil {
		return nil, err
	}
	tbl, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	if errors.Is(err, catalog.ErrNotFound) {
		if _, verr := s.cfg.Catalog.LoadView(ctx, ns, name); verr == nil {
			return nil, invalidf("%s.%s is a view; procedures work on tables", ns, name)
		}
	}
	return tbl, err
}

// bindRows binds a call once per parameter row (once without parameters):
// every row is checked before anything runs.
func (s *Server) bindRows(ctx context.Context, c *sqlparse.Call, schema string, rows [][]any) (*procedure, []*boundCall, error) {
	p, err := lookupProcedure(c.Procedure)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		rows = [][]any{nil}
	}
	env := bindEnv{now: time.Now().UTC(), loadTable: func(ctx context.Context, n sqlparse.TableName) (*catalog.Table, error) {
		return s.procedureTable(ctx, n, schema)
	}}
	out := make([]*boundCall, len(rows))
	for i, args := range rows {
		env.args = args
		if out[i], err = bindCall(ctx, p, c, env); err != nil {
			if len(rows) > 1 {
				err = fmt.Errorf("parameter row %d: %w", i+1, err)
			}
			return nil, nil, err
		}
	}
	return p, out, nil
}

// runProcedure runs one bound call and returns its result row.
func (s *Server) runProcedure(ctx context.Context, b *boundCall) ([]any, error) {
	p := b.proc
	if p.run == nil {
		return nil, fmt.Errorf("%w: %s is not available", ErrUnsupported, p.fullName())
	}
	start := time.Now()
	row, err := p.run(s, ctx, b)
	if err != nil {
		s.cfg.Logger.Warn("procedure failed", "procedure", p.fullName(), "table", b.table.Namespace+"."+b.table.Name, "err", err)
		return nil, err
	}
	if len(row) != p.result.NumFields() {
		return nil, fmt.Errorf("%s answered %d values for %d result columns", p.fullName(), len(row), p.result.NumFields())
	}
	s.cfg.Logger.Info("procedure", "procedure", p.fullName(), "table", b.table.Namespace+"."+b.table.Name,
		"result", row, "duration", time.Since(start))
	return row, nil
}

// call runs a procedure when its statement is planned (GetFlightInfo), so
// that it runs once however often its ticket is read, and answers its
// result row in the ticket. A statement bound with several parameter rows
// runs once per row. Describing the statement runs nothing.
func (s *Server) call(ctx context.Context, c *sqlparse.Call, env queryEnv) (*queryPlan, error) {
	var rows [][]any
	if env.params != nil {
		rows = env.params.Rows
	}
	if env.schemaOnly {
		p, err := lookupProcedure(c.Procedure)
		if err != nil {
			return nil, err
		}
		if c.NumParams() == 0 || len(rows) > 0 {
			if _, _, err := s.bindRows(ctx, c, env.schema, rows); err != nil {
				return nil, err
			}
		}
		return s.rowsResult(p.result, nil, env)
	}
	p, bound, err := s.bindRows(ctx, c, env.schema, rows)
	if err != nil {
		return nil, err
	}
	out := make([][]any, 0, len(bound))
	for _, b := range bound {
		row, err := s.runProcedure(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return s.rowsResult(p.result, out, env)
}

// callUpdate runs a procedure as an update (ExecuteUpdate): once, or once
// per parameter row, and reports the number of calls.
func (s *Server) callUpdate(ctx context.Context, c *sqlparse.Call, env updateEnv) (int64, error) {
	_, bound, err := s.bindRows(ctx, c, env.schema, env.params)
	if err != nil {
		return 0, err
	}
	for _, b := range bound {
		if _, err := s.runProcedure(ctx, b); err != nil {
			return 0, err
		}
	}
	return int64(len(bound)), nil
}
