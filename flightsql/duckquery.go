package flightsql

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// duckViews makes one DuckDB view per table reference: a merge-on-read
// scan of the pinned snapshot, narrowed to the columns the query may use and
// filtered by the predicates that may run before it, or the table's
// history. With empty, the views have their schemas but no rows: enough to
// describe a statement. args are the statement's parameter values.
func (s *Server) duckViews(ctx context.Context, q *sqlparse.Query, refs []*resolved, empty bool, args []any) []duckView {
	views := make([]duckView, len(refs))
	for i, r := range refs {
		r := r
		v := duckView{name: s.duck.viewName(i)}
		if r.History {
			v.sch = historySchema
			v.open = func() (array.RecordReader, error) { return s.historyReader(ctx, r.ID, r.Version) }
		} else {
			cols, filter := pushdown(q.Tables[i], r.snap.Table.Schema, args)
			v.sch = projectSchema(publicSchema(r.snap.Table.Schema), cols)
			opts := mor.ScanOptions{Columns: cols, Filter: filter, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator}
			v.open = func() (array.RecordReader, error) {
				rr, err := mor.Scan(ctx, s.cfg.Storage, r.snap, opts)
				if err != nil {
					return nil, err
				}
				return &schemaReader{RecordReader: rr, schema: v.sch}, nil
			}
		}
		if empty {
			sch := v.sch
			v.open = func() (array.RecordReader, error) { return array.NewRecordReader(sch, nil) }
		}
		views[i] = v
	}
	return views
}

// pushdown returns the columns (nil: all) and the predicate (nil: none)
// with which a reference's table may be read for a query: the columns the
// query may name (matched ignoring case, as DuckDB does) and the conjuncts
// of its pushable WHERE that the table store evaluates and that name only
// the table's columns. The query still applies its whole WHERE.
func pushdown(ref sqlparse.TableRef, sch *arrow.Schema, args []any) ([]string, mor.Expr) {
	var cols []string
	if !ref.AllColumns {
		named := make(map[string]bool, len(ref.Columns))
		for _, c := range ref.Columns {
			named[strings.ToLower(c)] = true
		}
		for _, f := range sch.Fields() {
			if named[strings.ToLower(f.Name)] {
				cols = append(cols, f.Name)
			}
		}
		if len(cols) == 0 {
			cols = []string{sch.Field(0).Name} // count(*) still needs the rows
		}
	}
	var conj []mor.Expr
	for _, c := range splitAnd(ref.Where, nil) {
		if f, ok := toFilter(c, sch, args); ok && f != nil {
			conj = append(conj, f)
		}
	}
	switch len(conj) {
	case 0:
		return cols, nil
	case 1:
		return cols, conj[0]
	}
	return cols, mor.And(conj...)
}

// splitAnd appends the top-level AND conjuncts of e to dst.
func splitAnd(e sqlparse.Expr, dst []sqlparse.Expr) []sqlparse.Expr {
	if e == nil {
		return dst
	}
	if b, ok := e.(*sqlparse.Binary); ok && strings.EqualFold(b.Op, "AND") {
		return splitAnd(b.R, splitAnd(b.L, dst))
	}
	return append(dst, e)
}

// projectSchema keeps the named fields of s, in s's order (all for nil).
func projectSchema(s *arrow.Schema, cols []string) *arrow.Schema {
	if cols == nil {
		return s
	}
	keep := make(map[string]bool, len(cols))
	for _, c := range cols {
		keep[c] = true
	}
	var fields []arrow.Field
	for _, f := range s.Fields() {
		if keep[f.Name] {
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, nil)
}

// duckRun runs a query in DuckDB once per parameter row (once without
// parameters) and concatenates the results.
func (s *Server) duckRun(ctx context.Context, q *sqlparse.Query, refs []*resolved, rows paramRows) (array.RecordReader, error) {
	if len(rows) == 0 {
		rows = paramRows{nil}
	}
	var recs []arrow.RecordBatch
	var sch *arrow.Schema
	release := func() {
		for _, r := range recs {
			r.Release()
		}
	}
	for _, args := range rows {
		if len(args) > q.Params {
			args = args[:q.Params]
		}
		views := s.duckViews(ctx, q, refs, false, args)
		names := make([]string, len(views))
		for i, v := range views {
			names[i] = q.Tables[i].Replacement(quoteIdent(v.name))
		}
		rr, err := s.duck.query(ctx, q.Rewrite(names), views, args)
		if err != nil {
			release()
			return nil, err
		}
		if sch == nil {
			sch = rr.Schema()
		}
		for rr.Next() {
			rec := rr.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			release()
			return nil, err
		}
	}
	rr, err := array.NewRecordReader(sch, recs)
	release()
	return rr, err
}

// duckSchema returns the result schema of a DuckDB query without reading
// any rows: queries are wrapped in LIMIT 0; other statements (SHOW,
// DESCRIBE) are cheap and run whole.
func (s *Server) duckSchema(ctx context.Context, q *sqlparse.Query, refs []*resolved, rows paramRows) (*arrow.Schema, error) {
	var args []any
	if len(rows) > 0 {
		args = rows[0]
	} else {
		args = make([]any, q.Params)
	}
	if len(args) > q.Params {
		args = args[:q.Params]
	}
	views := s.duckViews(ctx, q, refs, true, args)
	names := make([]string, len(views))
	for i, v := range views {
		names[i] = q.Tables[i].Replacement(quoteIdent(v.name))
	}
	text := q.Rewrite(names)
	if isSelectLike(text) {
		text = "SELECT * FROM (" + text + "\n) AS __lakesoul_q LIMIT 0"
	}
	rr, err := s.duck.query(ctx, text, views, args)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	return rr.Schema(), nil
}

// isSelectLike reports whether a statement can be wrapped as a subquery.
func isSelectLike(sql string) bool {
	f := strings.Fields(strings.TrimLeft(sql, "( \t\r\n"))
	if len(f) == 0 {
		return false
	}
	switch strings.ToUpper(f[0]) {
	case "SELECT", "WITH", "VALUES", "FROM", "TABLE":
		return true
	}
	return false
}

// schemaReader presents a reader's records under an equal schema without
// the table's internal field metadata.
type schemaReader struct {
	array.RecordReader
	schema *arrow.Schema
	cur    arrow.RecordBatch
}

func (r *schemaReader) Schema() *arrow.Schema { return r.schema }

func (r *schemaReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if !r.RecordReader.Next() {
		return false
	}
	in := r.RecordReader.RecordBatch()
	r.cur = array.NewRecordBatch(r.schema, in.Columns(), in.NumRows())
	return true
}

func (r *schemaReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *schemaReader) Record() arrow.RecordBatch      { return r.cur }

func (r *schemaReader) Release() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.RecordReader.Release()
}

// duckParamTypes asks DuckDB for the types of a query's parameters.
func (s *Server) duckParamTypes(ctx context.Context, q *sqlparse.Query, schema string) ([]arrow.DataType, error) {
	refs := make([]*resolved, len(q.Tables))
	for i, ref := range q.Tables {
		r, err := s.resolveRef(ctx, ref, schema)
		if err != nil {
			return nil, err
		}
		refs[i] = r
	}
	views := s.duckViews(ctx, q, refs, true, nil)
	names := make([]string, len(views))
	for i, v := range views {
		names[i] = q.Tables[i].Replacement(quoteIdent(v.name))
	}
	return s.duck.paramTypes(ctx, q.Rewrite(names), views, q.Params)
}
