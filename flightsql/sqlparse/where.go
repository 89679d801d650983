package sqlparse

import (
	"slices"
	"strings"
)

// whereScan finds the predicates of a query's WHERE clauses that may be
// pushed down to the table a block reads alone (TableRef.Where). Each
// clause is scanned once outside parentheses, and only the conjuncts
// without a subquery are parsed, so that the work stays linear in the
// length of the query however deeply subqueries nest.
type whereScan struct {
	p     *parser
	match map[int]int // index of each "(" -> index of its ")"
	subq  []int       // subq[i]: parentheses opening a subquery among toks[:i]
}

func newWhereScan(p *parser) *whereScan {
	toks := p.toks
	w := &whereScan{p: p, match: matchParens(toks), subq: make([]int, len(toks)+1)}
	for i, t := range toks {
		w.subq[i+1] = w.subq[i]
		if t.isOp("(") && i+1 < len(toks) && startsSubquery(toks[i+1]) {
			w.subq[i+1]++
		}
	}
	return w
}

func startsSubquery(t token) bool {
	return t.is("select") || t.is("with") || t.is("from") || t.is("values") || t.is("table")
}

// refWhere returns the pushable part of the WHERE clause of the block in
// which r, whose tokens run from first to after (its alias included), is
// the only FROM item; nil if there is none.
func (w *whereScan) refWhere(r TableRef, first, after int) Expr {
	toks := w.p.toks
	if first == 0 || !toks[first-1].is("from") || (first >= 2 && toks[first-2].is("delete")) {
		return nil
	}
	j := after
	if toks[j].is("select") { // FROM t SELECT ... WHERE
		j = w.selectListEnd(j + 1)
	}
	if !toks[j].is("where") {
		return nil
	}
	pieces, ok := w.conjuncts(j + 1)
	if !ok {
		return nil
	}
	var where Expr
	for _, c := range pieces {
		e := w.conjunct(c[0], c[1], r)
		switch {
		case e == nil:
		case where == nil:
			where = e
		default:
			where = &Binary{node: node{where.Pos()}, Op: "AND", L: where, R: e}
		}
	}
	return where
}

// skip returns the index of the ")" matching the "(" at toks[i], or i if
// there is none.
func (w *whereScan) skip(i int) int {
	if m, ok := w.match[i]; ok && m > i {
		return m
	}
	return i
}

// selectListEnd returns the index of the token that ends the select list
// starting at toks[i]: the first keyword that ends a clause, or the ")"
// or end of input that ends the query level.
func (w *whereScan) selectListEnd(i int) int {
	toks := w.p.toks
	for ; ; i++ {
		t := toks[i]
		switch {
		case t.kind == tokEOF || t.isOp(";") || t.isOp(")"):
			return i
		case t.isOp("("):
			i = w.skip(i)
		case t.is("where") || t.is("from") || (t.kind == tokIdent && clauseEnd[t.text]):
			return i
		}
	}
}

// whereEnd lists the keywords that end a WHERE clause.
var whereEnd = setOf("group", "having", "window", "qualify", "order", "limit", "offset",
	"fetch", "union", "intersect", "except", "using", "for", "returning", "on")

// exprWords lists the reserved words that may stand in a WHERE expression
// outside parentheses.
var exprWords = setOf("and", "or", "not", "between", "in", "is", "like", "ilike", "null",
	"true", "false", "case", "when", "then", "else", "end", "cast", "exists", "any", "all",
	"some", "distinct", "from", "left", "right", "collate", "to")

// conjuncts splits the WHERE expression starting at toks[start] into its
// top-level AND operands and returns their token ranges [from, to). The
// expression ends at a keyword of whereEnd, at the ")" that closes its
// level or at the end of input, outside parentheses and brackets; ok is
// false when it seems to end anywhere else, since the split could then be
// wrong. An OR outside parentheses leaves one operand, the whole
// expression; an AND that closes a BETWEEN or sits inside CASE ... END
// does not split.
func (w *whereScan) conjuncts(start int) (pieces [][2]int, ok bool) {
	toks := w.p.toks
	brackets, cases, between := 0, 0, 0
	or := false
	from := start
	i := start
scan:
	for ; ; i++ {
		t := toks[i]
		switch {
		case t.kind == tokEOF || t.isOp(";"):
			break scan
		case t.isOp("("):
			i = w.skip(i)
			continue
		case t.isOp(")"):
			if brackets > 0 {
				return nil, false
			}
			break scan
		case t.isOp("[") || t.isOp("{"):
			brackets++
			continue
		case t.isOp("]") || t.isOp("}"):
			if brackets == 0 {
				return nil, false
			}
			brackets--
			continue
		}
		if brackets > 0 || t.kind != tokIdent {
			continue
		}
		if whereEnd[t.text] {
			break scan
		}
		if t.text == "with" && toks[i+1].is("time") { // TIMESTAMP WITH TIME ZONE
			continue
		}
		if reserved[t.text] && !exprWords[t.text] {
			return nil, false
		}
		switch t.text {
		case "case":
			cases++
		case "end":
			if cases == 0 {
				return nil, false
			}
			cases--
		case "from": // IS [NOT] DISTINCT FROM only
			if !toks[i-1].is("distinct") {
				return nil, false
			}
		case "between":
			if cases == 0 {
				between++
			}
		case "or":
			if cases == 0 {
				or = true
			}
		case "and":
			switch {
			case cases > 0:
			case between > 0:
				between--
			default:
				pieces = append(pieces, [2]int{from, i})
				from = i + 1
			}
		}
	}
	if or {
		return [][2]int{{start, i}}, true
	}
	return append(pieces, [2]int{from, i}), true
}

// conjunct parses toks[start:end] as one conjunct of r's WHERE clause and
// returns it with its column qualifiers stripped, or nil when it does not
// parse or cannot be pushed down (see TableRef.Where).
func (w *whereScan) conjunct(start, end int, r TableRef) Expr {
	if start >= end || w.subq[end] != w.subq[start] {
		return nil
	}
	// Parse a copy of the tokens over the conjunct's own text, so that a
	// syntax error costs no more than the conjunct's length.
	toks := w.p.toks
	off, stop := toks[start].pos, toks[end].pos
	sub := &parser{src: w.p.src[off:stop], nparams: w.p.nparams, toks: make([]token, 0, end-start+1)}
	for _, t := range toks[start:end] {
		t.pos, t.end = t.pos-off, t.end-off
		sub.toks = append(sub.toks, t)
	}
	sub.toks = append(sub.toks, token{kind: tokEOF, pos: stop - off, end: stop - off})
	e, err := sub.expr()
	if err != nil || sub.peek().kind != tokEOF {
		return nil
	}
	for _, t := range toks[start:end] {
		if t.kind == tokIdent && valueWords[t.text] {
			return nil
		}
	}
	ok := true
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *Func:
			if x.Star || unpushable[strings.ToLower(x.Name)] {
				ok = false
			}
		case *ColumnRef:
			if n := len(x.Parts); n > 1 && !qualifies(x.Parts[:n-1], r) {
				ok = false
			}
		}
		return ok
	})
	if !ok {
		return nil
	}
	Walk(e, func(x Expr) bool {
		if c, isCol := x.(*ColumnRef); isCol {
			c.Parts = c.Parts[len(c.Parts)-1:]
		}
		if n, hasPos := x.(interface{ shift(int) }); hasPos {
			n.shift(off) // back to offsets in the statement
		}
		return true
	})
	return e
}

// shift moves a node's position by off bytes.
func (n *node) shift(off int) { n.pos += off }

// qualifies reports whether a column qualifier names r from inside its
// block: r's alias if it has one, else a trailing part of its name as
// written (t or ns.t for ns.t).
func qualifies(q []string, r TableRef) bool {
	if r.Alias != "" {
		return len(q) == 1 && q[0] == r.Alias
	}
	var name []string
	for _, s := range []string{r.Name.Catalog, r.Name.Schema, r.Name.Name} {
		if s != "" {
			name = append(name, s)
		}
	}
	return len(q) <= len(name) && slices.Equal(q, name[len(name)-len(q):])
}

// valueWords are unquoted words that the expression parser reads as
// column names but SQL reads as functions of the session or the clock.
var valueWords = setOf("current_catalog", "current_date", "current_role", "current_schema",
	"current_time", "current_timestamp", "current_user", "localtime", "localtimestamp",
	"session_user", "user")

// unpushable lists the functions a pushed-down conjunct must not call:
// aggregates (in a subquery's WHERE they may aggregate an outer query),
// functions whose value changes between calls or with the clock (the
// conjunct is evaluated again by the engine), and star expansions.
var unpushable = setOf(
	// aggregates
	"any_value", "approx_count_distinct", "approx_quantile", "arbitrary", "arg_max",
	"arg_min", "argmax", "argmin", "array_agg", "avg", "bit_and", "bit_or", "bit_xor",
	"bitstring_agg", "bool_and", "bool_or", "corr", "count", "count_if", "count_star",
	"countif", "covar_pop", "covar_samp", "entropy", "every", "favg", "first", "fsum",
	"geomean", "geometric_mean", "group_concat", "grouping", "grouping_id", "histogram",
	"json_group_array", "json_group_object", "kahan_sum", "kurtosis", "kurtosis_pop",
	"last", "list", "listagg", "mad", "max", "max_by", "mean", "median", "min", "min_by",
	"mode", "percentile_cont", "percentile_disc", "product", "quantile", "quantile_cont",
	"quantile_disc", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2",
	"regr_slope", "regr_sxx", "regr_sxy", "regr_syy", "reservoir_quantile", "skewness",
	"stddev", "stddev_pop", "stddev_samp", "string_agg", "sum", "sumkahan", "var_pop",
	"var_samp", "variance", "weighted_avg",
	// volatile, clock and session functions
	"random", "rand", "setseed", "uuid", "gen_random_uuid", "uuidv4", "uuidv7", "nextval",
	"currval", "now", "today", "get_current_time", "get_current_timestamp",
	"transaction_timestamp", "statement_timestamp", "clock_timestamp", "current_date",
	"current_time", "current_timestamp", "current_setting", "current_query", "getvariable",
	"txid_current", "current_database", "current_schema", "current_schemas",
	"current_user", "localtime", "localtimestamp", "version", "current_catalog",
	"session_user",
	// star expansions
	"columns", "unpack",
)
