package sqlparse

import (
	"strconv"
)

// level is the scanning state of one parenthesis depth of a query.
type level struct {
	fn       bool // opened by a function call's "("
	selected bool // a SELECT was seen at this level
	inFrom   bool // inside a FROM clause: a comma starts another table
	expect   bool // the next token may begin a table reference
	bare     bool // the expected reference follows TABLE or SUMMARIZE
	first    bool // no token of this level seen yet
	// ctes maps the names of the common table expressions defined at this
	// level to the token index after which they are visible.
	ctes map[string]int
}

// clauseEnd lists the keywords that end a FROM clause.
var clauseEnd = setOf("where", "group", "having", "qualify", "window", "order", "limit",
	"offset", "fetch", "union", "intersect", "except", "returning", "values")

// notFunc lists the keywords that can precede "(" without calling a
// function: the parenthesis opens a subquery or an expression.
var notFunc = setOf("as", "in", "exists", "any", "all", "some", "lateral", "not", "and",
	"or", "when", "then", "else", "select", "union", "intersect", "except", "from", "join",
	"on", "using", "where", "having", "qualify", "by", "is", "like", "ilike", "between",
	"values", "with", "recursive", "materialized", "distinct", "case", "return", "table")

// findTables returns the stored-table references among p's tokens (a whole
// query followed by EOF), with spans relative to base, the query's offset,
// and the token indices of the table functions called where a table
// reference could stand. The package documentation describes the rules.
func findTables(p *parser, base int) (refs []TableRef, funcs []int, err error) {
	toks := p.toks
	if toks[0].is("show") {
		return nil, nil, nil
	}
	match := matchParens(toks)
	stack := []*level{{first: true}}
	for i := 0; i < len(toks)-1; i++ {
		t := toks[i]
		l := stack[len(stack)-1]
		first := l.first
		l.first = false
		if l.expect {
			l.expect = false
			switch {
			case t.is("lateral") || t.is("only"):
				l.expect = true
				continue
			case t.isOp("("):
				// A subquery, VALUES list or parenthesised join.
				stack = append(stack, &level{first: true, inFrom: true, expect: true})
				continue
			case t.isName():
				ref, next, ok, err := p.tableRef(i, stack, base)
				if err != nil {
					return nil, nil, err
				}
				if ok {
					ref.FromItem = !l.bare
					refs = append(refs, ref)
					i = next - 1
					continue
				}
				if isCall(toks, i) {
					funcs = append(funcs, i)
				}
			}
		}
		switch {
		case t.isOp("("):
			fn := i > 0 && (toks[i-1].kind == tokQuoted || (toks[i-1].kind == tokIdent && !notFunc[toks[i-1].text]))
			stack = append(stack, &level{first: true, fn: fn})
		case t.isOp(")"):
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case t.isOp(","):
			l.expect, l.bare = l.inFrom, false
		case t.kind != tokIdent:
		case t.text == "select":
			l.selected, l.inFrom = true, false
		case t.text == "from":
			if isDistinctFrom(toks, i) || (l.fn && !l.selected) {
				continue
			}
			l.inFrom, l.expect, l.bare = true, true, false
		case t.text == "join":
			l.inFrom, l.expect, l.bare = true, true, false
		case t.text == "table":
			l.inFrom, l.expect, l.bare = false, true, true
		case t.text == "summarize" && first && len(stack) == 1:
			l.expect, l.bare = true, true
		case t.text == "with":
			registerCTEs(toks, i, l, match)
		case t.text == "for" && isAsOf(toks, i):
			return nil, nil, errorf(p.src, t.pos, "%s must directly follow a table name", describeAsOf(toks, i))
		case clauseEnd[t.text]:
			l.inFrom = false
		}
	}
	return refs, funcs, nil
}

// isCall reports whether the dotted name at toks[i] is followed by "(".
func isCall(toks []token, i int) bool {
	j := i
	for toks[j].kind == tokIdent || toks[j].kind == tokQuoted {
		j++
		if !toks[j].isOp(".") {
			break
		}
		j++
	}
	return toks[j].isOp("(")
}

// matchParens maps the index of every "(" to the index of its ")"; the
// tokens must balance.
func matchParens(toks []token) map[int]int {
	m := map[int]int{}
	var open []int
	for i, t := range toks {
		switch {
		case t.isOp("("):
			open = append(open, i)
		case t.isOp(")") && len(open) > 0:
			m[open[len(open)-1]] = i
			open = open[:len(open)-1]
		}
	}
	return m
}

// isDistinctFrom reports whether the FROM at i ends IS [NOT] DISTINCT FROM.
func isDistinctFrom(toks []token, i int) bool {
	if i < 2 || !toks[i-1].is("distinct") {
		return false
	}
	return toks[i-2].is("is") || (i >= 3 && toks[i-2].is("not") && toks[i-3].is("is"))
}

// isAsOf reports whether the FOR at i starts FOR VERSION|TIMESTAMP AS OF.
func isAsOf(toks []token, i int) bool {
	return i+3 < len(toks) && (toks[i+1].is("version") || toks[i+1].is("timestamp")) &&
		toks[i+2].is("as") && toks[i+3].is("of")
}

func describeAsOf(toks []token, i int) string {
	if toks[i+1].is("version") {
		return "FOR VERSION AS OF"
	}
	return "FOR TIMESTAMP AS OF"
}

// registerCTEs records the names of the WITH list starting at toks[i] in
// l. Anything that does not read as a WITH list (WITH ORDINALITY, WITH
// TIME ZONE) is ignored.
func registerCTEs(toks []token, i int, l *level, match map[int]int) {
	j := i + 1
	recursive := toks[j].is("recursive")
	if recursive {
		j++
	}
	for {
		name := toks[j]
		if !name.isName() {
			return
		}
		j++
		if toks[j].isOp("(") {
			j = match[j] + 1 // column list
		}
		if !toks[j].is("as") {
			return
		}
		j++
		if toks[j].is("not") {
			j++
		}
		if toks[j].is("materialized") {
			j++
		}
		if !toks[j].isOp("(") {
			return
		}
		open, close := j, match[j]
		visible := close
		if recursive {
			visible = open
		}
		if l.ctes == nil {
			l.ctes = map[string]int{}
		}
		if _, dup := l.ctes[name.text]; !dup {
			l.ctes[name.text] = visible
		}
		j = close + 1
		if !toks[j].isOp(",") {
			return
		}
		j++
	}
}

// tableRef reads the dotted name at toks[i] and an AS OF clause after it.
// ok is false when the name is not a stored table: a table function, a
// visible CTE, or more than three parts. next is the index after the
// reference.
func (p *parser) tableRef(i int, stack []*level, base int) (ref TableRef, next int, ok bool, err error) {
	toks := p.toks
	var parts []string
	j := i
	for {
		t := toks[j]
		if t.kind != tokIdent && t.kind != tokQuoted {
			return TableRef{}, 0, false, nil
		}
		parts = append(parts, t.text)
		j++
		if !toks[j].isOp(".") {
			break
		}
		j++
	}
	if len(parts) == 1 && toks[i].kind == tokIdent && parts[0] == ChangesFunc && toks[j].isOp("(") {
		if ref, j, err = p.changesRef(i, j, base); err != nil {
			return TableRef{}, 0, false, err
		}
		return p.alias(ref, j), j, true, nil
	}
	if len(parts) > 3 || toks[j].isOp("(") {
		return TableRef{}, 0, false, nil
	}
	if len(parts) == 1 {
		for _, l := range stack {
			if v, ok := l.ctes[parts[0]]; ok && i > v {
				return TableRef{}, 0, false, nil
			}
		}
	}
	ref = TableRef{Name: tableNameOf(parts), Start: toks[i].pos - base, End: toks[j-1].end - base}
	if toks[j].is("for") && (toks[j+1].is("version") || toks[j+1].is("timestamp")) {
		asOf, after, err := p.asOf(j)
		if err != nil {
			return TableRef{}, 0, false, err
		}
		ref.AsOf = asOf
		ref.End = toks[after-1].end - base
		j = after
	}
	return p.alias(ref, j), j, true, nil
}

// alias sets the alias written at toks[j] after a reference, if any.
func (p *parser) alias(ref TableRef, j int) TableRef {
	toks := p.toks
	switch a := toks[j]; {
	case a.is("as") && toks[j+1].isName():
		ref.Alias = toks[j+1].text
	case a.kind == tokQuoted || (a.isName() && !notAlias[a.text]):
		ref.Alias = a.text
	}
	return ref
}

// notAlias lists the unreserved words that can follow a table reference
// without being its alias.
var notAlias = setOf("tablesample", "sample", "pivot", "unpivot", "positional", "asof",
	"anti", "semi", "match_recognize")

// asOf parses FOR VERSION AS OF n or FOR TIMESTAMP AS OF '...' at toks[j]
// and returns the index after it.
func (p *parser) asOf(j int) (*AsOf, int, error) {
	toks := p.toks
	byVersion := toks[j+1].is("version")
	clause := describeAsOf(toks, j)
	j += 2
	if !toks[j].is("as") || !toks[j+1].is("of") {
		t := toks[j]
		if toks[j].is("as") {
			t = toks[j+1]
		}
		return nil, 0, errorf(p.src, t.pos, "expected %s, found %s", clause, describe(p.src, t))
	}
	j += 2
	v := toks[j]
	if byVersion {
		n, err := strconv.ParseInt(v.text, 10, 64)
		if v.kind != tokNumber || err != nil {
			return nil, 0, errorf(p.src, v.pos, "expected a version number (a non-negative integer) after %s, found %s", clause, describe(p.src, v))
		}
		return &AsOf{Version: n, HasVersion: true}, j + 1, nil
	}
	if (v.is("timestamp") || v.is("timestamptz")) && toks[j+1].kind == tokString {
		j++
		v = toks[j]
	}
	if v.kind != tokString {
		return nil, 0, errorf(p.src, v.pos, "expected a timestamp string such as '2026-01-31 12:00:00' after %s, found %s", clause, describe(p.src, v))
	}
	ts, err := parseTimestamp(v.text)
	if err != nil {
		return nil, 0, errorf(p.src, v.pos, "invalid timestamp %s after %s: %v", quoteString(v.text), clause, err)
	}
	return &AsOf{Timestamp: ts}, j + 1, nil
}
