package plan

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/duck"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// maxViewDepth bounds view expansion (a view reading a view ...).
const maxViewDepth = 32

// builder carries the state of one Build call.
type builder struct {
	ctx   context.Context
	r     Resolver
	opts  Options
	depth int
}

// resolveAll resolves every table reference of q.
func (b *builder) resolveAll(q *sqlparse.Query, schema string) ([]*Source, error) {
	out := make([]*Source, len(q.Tables))
	for i, ref := range q.Tables {
		s, err := b.r.Resolve(b.ctx, ref, schema)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// duckPlan plans q for DuckDB: one run per parameter row (one without).
func (b *builder) duckPlan(q *sqlparse.Query, srcs []*Source, rows [][]any) (*Duck, error) {
	d := &Duck{Args: rows, Params: q.Params}
	if len(rows) == 0 {
		rows = [][]any{nil}
	}
	for _, args := range rows {
		if len(args) > q.Params {
			args = args[:q.Params]
		}
		reads := 0
		text, rd, err := b.expand(q, srcs, args, &reads, nil)
		if err != nil {
			return nil, err
		}
		d.Runs = append(d.Runs, Run{SQL: text, Reads: rd})
	}
	return d, nil
}

// expand renders q for DuckDB: table references become read names (views
// their expanded queries), server functions their values, and parameters
// are typed by the types they were bound with. seen holds the views being
// expanded, to refuse cycles.
func (b *builder) expand(q *sqlparse.Query, srcs []*Source, args []any, reads *int, seen []string) (string, []Read, error) {
	var edits []edit
	var out []Read
	for i, ref := range q.Tables {
		src := srcs[i]
		if src.Kind == SourceView {
			text, rd, err := b.expandView(src.View, reads, seen)
			if err != nil {
				return "", nil, err
			}
			out = append(out, rd...)
			edits = append(edits, edit{ref.Start, ref.End, ref.Replacement(text)})
			continue
		}
		if src.Kind == SourceChanges && src.Changes.Follow {
			return "", nil, invalidf("%s with follow => true streams a plain SELECT [columns] FROM %s(...) [WHERE ...]; "+
				"read a range without follow to join or aggregate changes", ChangesFuncName, ChangesFuncName)
		}
		rd := b.read(ref, src, args, reads)
		out = append(out, rd)
		edits = append(edits, edit{ref.Start, ref.End, ref.Replacement(quote(rd.Name))})
	}
	for _, f := range q.Funcs {
		if v, ok := b.opts.Functions[f.Name]; ok {
			edits = append(edits, edit{f.Start, f.End, v})
		}
	}
	if b.opts.Params != nil {
		for _, p := range q.ParamRefs {
			if t := paramType(b.opts.Params.Types, args, p.Index); t != "" {
				edits = append(edits, edit{p.Start, p.End, "CAST(" + q.Text[p.Start:p.End] + " AS " + t + ")"})
			}
		}
	}
	return applyEdits(q.Text, edits), out, nil
}

// paramType returns the SQL type a parameter is cast to, "" for none.
// Strings and binaries bound with a value stay untyped so that DuckDB
// converts them to whatever their context needs (a date column compared
// with '2026-01-01'); a NULL and every other type keep the bound type, so
// every parameter row yields the same result types.
func paramType(types []arrow.DataType, args []any, i int) string {
	if i >= len(types) || types[i] == nil {
		return ""
	}
	t := types[i]
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		if i < len(args) && args[i] != nil {
			return ""
		}
	case arrow.NULL, arrow.DENSE_UNION, arrow.SPARSE_UNION, arrow.DICTIONARY:
		return ""
	}
	name := arrowconv.TypeName(t)
	if name == "" || strings.ContainsAny(name, "<>") {
		return ""
	}
	return name
}

// expandView parses and expands a stored view as a parenthesised query.
func (b *builder) expandView(v *View, reads *int, seen []string) (string, []Read, error) {
	full := v.Namespace + "." + v.Name
	if slices.Contains(seen, full) || len(seen) >= maxViewDepth {
		return "", nil, invalidf("view %s refers to itself (through %s)", full, strings.Join(append(seen, full), " -> "))
	}
	st, err := sqlparse.Parse(v.SQL)
	if err != nil {
		return "", nil, fmt.Errorf("view %s: %w", full, err)
	}
	vq, ok := st.(*sqlparse.Query)
	if !ok || vq.Params > 0 {
		return "", nil, invalidf("view %s is not a query without parameters", full)
	}
	srcs, err := b.resolveAll(vq, v.Namespace)
	if err != nil {
		return "", nil, fmt.Errorf("view %s: %w", full, err)
	}
	text, rd, err := b.expand(vq, srcs, nil, reads, append(seen, full))
	if err != nil {
		return "", nil, err
	}
	if len(v.Columns) > 0 {
		cols := make([]string, len(v.Columns))
		for i, c := range v.Columns {
			cols[i] = quote(c)
		}
		text = "SELECT * FROM (" + text + ") AS __lakesoul_v(" + strings.Join(cols, ", ") + ")"
	}
	return "(" + text + ")", rd, nil
}

// read describes how one stored, history or information_schema table is
// loaded for the query.
func (b *builder) read(ref sqlparse.TableRef, src *Source, args []any, reads *int) Read {
	rd := Read{Name: fmt.Sprintf("__lakesoul_r%d", *reads), Source: src}
	*reads++
	switch src.Kind {
	case SourceTable:
		sch := src.Snapshot.Table.Schema
		rd.Columns, rd.Filter = Pushdown(ref, sch, args)
		rd.Schema = ProjectSchema(PublicSchema(sch), rd.Columns)
	case SourceChanges:
		rd.Columns, rd.Filter = Pushdown(ref, src.Schema, args)
		rd.Schema = ProjectSchema(src.Schema, rd.Columns)
	default:
		rd.Schema = src.Schema
	}
	return rd
}

// Pushdown returns the columns (nil: all) and the predicate (nil: none)
// with which a reference's table may be read for a query: the columns the
// query may name (matched ignoring case, as DuckDB does) and the conjuncts
// of its pushable WHERE that the table store evaluates and that name only
// the table's columns. The query still applies its whole WHERE.
func Pushdown(ref sqlparse.TableRef, sch *arrow.Schema, args []any) ([]string, mor.Expr) {
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
	for _, c := range SplitAnd(ref.Where, nil) {
		// A conjunct the table store cannot evaluate exactly (a literal
		// that does not fit its column) is left to DuckDB, which casts.
		if f, ok := Filter(c, sch, args); ok && f != nil && mor.ValidateExpr(f, sch) == nil {
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

// SplitAnd appends the top-level AND conjuncts of e to dst.
func SplitAnd(e sqlparse.Expr, dst []sqlparse.Expr) []sqlparse.Expr {
	if e == nil {
		return dst
	}
	if b, ok := e.(*sqlparse.Binary); ok && strings.EqualFold(b.Op, "AND") {
		return SplitAnd(b.R, SplitAnd(b.L, dst))
	}
	return append(dst, e)
}

// ProjectSchema keeps the named fields of s, in s's order (all for nil).
func ProjectSchema(s *arrow.Schema, cols []string) *arrow.Schema {
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

// PublicSchema is a table schema as clients see it: without the internal
// field id metadata.
func PublicSchema(s *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		fields[i] = arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable}
	}
	return arrow.NewSchema(fields, nil)
}

// edit replaces text[start:end].
type edit struct {
	start, end int
	text       string
}

// applyEdits applies non-overlapping edits to text.
func applyEdits(text string, edits []edit) string {
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	var sb strings.Builder
	last := 0
	for _, e := range edits {
		if e.start < last {
			continue // overlapping: keep the first
		}
		sb.WriteString(text[last:e.start])
		sb.WriteString(e.text)
		last = e.end
	}
	sb.WriteString(text[last:])
	return sb.String()
}

// quote double-quotes an identifier, as DuckDB reads it.
var quote = duck.Quote

// QuoteName renders ns.name with both parts quoted.
func QuoteName(ns, name string) string { return quote(ns) + "." + quote(name) }
