package sqlparse

import (
	"fmt"
	"strings"
	"time"
)

// Query is a read-only statement passed through to the query engine:
// SELECT, WITH, VALUES, FROM-first, TABLE, DESCRIBE query, SUMMARIZE, the
// SHOW forms without a statement of their own, or a parenthesised query.
// Only its table references and calls of the server's functions are
// analysed; the rest of the text is kept as written.
type Query struct {
	// Text is the statement from its first to its last token: without the
	// trailing semicolon and without comments before or after it.
	Text string
	// Tables lists every reference to a stored table, in text order.
	Tables []TableRef
	// Funcs lists the calls of the functions whose value the server gives
	// (version(), current_user, ...), in text order; their spans do not
	// overlap those of Tables.
	Funcs []FuncRef
	// Simple is set when the query is a plain single-table scan that the
	// server runs natively (see Select); never when Funcs is not empty.
	Simple *Select
	// Params is the number of parameters of the statement.
	Params int
	// ParamRefs lists the parameter markers of the query in text order, with
	// their spans in Text, so that a caller can give each a type.
	ParamRefs []ParamRef
}

// ParamRef is one parameter marker (? or $n) in a query's text.
type ParamRef struct {
	Index      int // 0-based, statement-wide
	Start, End int // byte span in Query.Text
}

// TableRef is one reference to a stored table in a query.
type TableRef struct {
	Name TableName
	// AsOf is the FOR VERSION AS OF / FOR TIMESTAMP AS OF clause written
	// right after the name, nil without one.
	AsOf *AsOf
	// Start and End are the byte span in Query.Text of the name and its
	// AS OF clause, the part that Rewrite replaces.
	Start, End int
	// Changes is set for a table_changes(...) reference: the rows are the
	// changes of the table Name between two versions, and Start and End
	// span the whole call.
	Changes *Changes
	// Alias is the alias written after the reference ([AS] x), "" if none.
	Alias string
	// FromItem is true for a reference in a FROM or JOIN clause, false for
	// TABLE t and SUMMARIZE t.
	FromItem bool

	// The pushdown facts below say how little of the table the query may
	// read through this reference; the package documentation ("Pushdown
	// facts") gives the rules. They concern this reference alone: a
	// caller that serves several references from one scan must take the
	// union of their columns and apply no predicate unless every
	// reference has one (and then their OR).

	// AllColumns is set when the query may use columns of the table that
	// it does not name: a * select item that can cover this reference
	// (also t.*, COLUMNS(...), star modifiers), the table name or alias
	// used as a value (the whole row), a FROM clause without SELECT, TABLE,
	// SUMMARIZE, a column alias list, NATURAL JOIN, a table function beside
	// it, PIVOT/UNPIVOT and "#n" positional references.
	AllColumns bool
	// Columns, when AllColumns is false, is every identifier in the query
	// (each part of a dotted name; unquoted ones folded to lower case,
	// quoted ones exact), sorted and without duplicates: a superset of the
	// table's columns that the query uses. Intersect it with the table's
	// columns, ignoring case as DuckDB does; keywords, aliases and other
	// tables' columns in it are harmless. nil when AllColumns. The
	// references of a query share this slice: do not modify it.
	Columns []string
	// Where is a predicate that may filter the table's rows before the
	// query runs without changing its result, nil if there is none. It is
	// set only for the sole item of a FROM clause whose block has a WHERE
	// clause, and is the AND (in text order) of the WHERE's top-level
	// conjuncts that parse and contain no subquery, aggregate, volatile or
	// time-dependent function, and no column qualified by anything but this
	// reference's alias (or, without one, its name); qualifiers are
	// stripped, so every ColumnRef has one part; compare its names with
	// the table's ignoring case. Parameters keep their statement-wide
	// indexes and positions are offsets in the text given to Parse.
	//
	// A bare column may still belong to an enclosing query when the block
	// is a correlated subquery. Apply a conjunct only when every column it
	// names is a column of the table: a name that is both an outer column
	// and one of this table's columns resolves to this table in SQL, so
	// such a conjunct is about this table's rows. The query keeps its
	// WHERE clause, so the predicate is evaluated again by the engine.
	Where Expr
}

// Replacement returns what should replace r in Rewrite when the table is
// served as the view named view (already quoted): view itself, or
// "view AS name" for a FROM item without an alias, so that columns
// qualified with the table's name (t.a) still resolve. Qualifiers with the
// schema (ns.t.a) do not survive the rewrite.
func (r TableRef) Replacement(view string) string {
	if !r.FromItem || r.Alias != "" {
		return view
	}
	if r.Changes != nil {
		return view + " AS " + ChangesFunc
	}
	return view + " AS " + ident(r.Name.Name)
}

// AsOf selects a past version of a table.
type AsOf struct {
	// Version is the table version of FOR VERSION AS OF n, when HasVersion.
	Version    int64
	HasVersion bool
	// Timestamp is the instant of FOR TIMESTAMP AS OF '...', in UTC.
	Timestamp time.Time
}

// Select is the plain scan shape the server runs without the query engine:
//
//	SELECT * | col [, col]... FROM table [FOR ... AS OF ...] [[AS] alias]
//	    [WHERE expr] [LIMIT n]
//
// with bare column names only, one stored table and nothing else.
type Select struct {
	Columns []string // nil for *
	Table   TableRef
	Where   Expr  // nil without WHERE
	Limit   int64 // -1 without LIMIT
}

func (q *Query) NumParams() int { return q.Params }

// Rewrite returns Text with the span of Tables[i] replaced by names[i]; the
// caller quotes the names, and should build each with
// Tables[i].Replacement so that qualified column names keep resolving.
// The calls of Funcs are left as written (RewriteAll replaces both). It
// panics unless len(names) == len(Tables).
func (q *Query) Rewrite(names []string) string {
	if len(names) != len(q.Tables) {
		panic(fmt.Sprintf("sqlparse: Rewrite got %d names for %d table references", len(names), len(q.Tables)))
	}
	var b strings.Builder
	last := 0
	for i, r := range q.Tables {
		b.WriteString(q.Text[last:r.Start])
		b.WriteString(names[i])
		last = r.End
	}
	b.WriteString(q.Text[last:])
	return b.String()
}

// query parses a query starting at the current token and running to a
// semicolon outside parentheses or the end of input.
func (p *parser) query() (*Query, error) {
	start := p.i
	end, err := p.queryEnd()
	if err != nil {
		return nil, err
	}
	first, last := p.toks[start], p.toks[end-1]
	base := first.pos
	q := &Query{Text: p.src[base:last.end], Params: p.nparams}
	// A sub-parser over the query's tokens alone, ending in its own EOF.
	sub := &parser{src: p.src, nparams: p.nparams}
	sub.toks = append(append(sub.toks, p.toks[start:end]...), token{kind: tokEOF, pos: last.end, end: last.end})
	refs, funcs, err := findTables(sub, base)
	if err != nil {
		return nil, err
	}
	sub.pushdown(refs, base, funcs)
	q.Tables = refs
	for _, t := range sub.toks {
		if t.kind == tokParam {
			q.ParamRefs = append(q.ParamRefs, ParamRef{Index: t.param, Start: t.pos - base, End: t.end - base})
		}
	}
	q.Funcs = findFuncs(sub.toks, base, refs, funcs)
	if len(q.Funcs) == 0 {
		sub.i = 0
		q.Simple = sub.simple(q, base)
	}
	p.i = end
	return q, nil
}

// queryEnd returns the index of the token that ends the query starting at
// p.i (a ";" outside parentheses, or the EOF token), checking that
// parentheses balance.
func (p *parser) queryEnd() (int, error) {
	var open []int // positions of unclosed "("
	for i := p.i; ; i++ {
		t := p.toks[i]
		switch {
		case t.isOp("("):
			open = append(open, t.pos)
		case t.isOp(")"):
			if len(open) == 0 {
				return 0, errorf(p.src, t.pos, `unbalanced parentheses: ")" has no matching "("`)
			}
			open = open[:len(open)-1]
		case t.isOp(";") && len(open) > 0:
			return 0, errorf(p.src, open[len(open)-1], `unbalanced parentheses: "(" is not closed before ";"`)
		case t.kind == tokEOF || t.isOp(";"):
			if len(open) > 0 {
				return 0, errorf(p.src, open[len(open)-1], `unbalanced parentheses: "(" is never closed`)
			}
			if i == p.i {
				return 0, p.expected("a query")
			}
			return i, nil
		}
	}
}
