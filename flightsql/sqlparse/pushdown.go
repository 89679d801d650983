package sqlparse

import (
	"slices"
	"sort"
	"strings"
)

// pushdown sets the AllColumns, Columns and Where of refs, the table
// references found among p's tokens (a whole query followed by EOF) with
// spans relative to base; funcs are the indices of the table functions
// called where a reference could stand. The package documentation
// ("Pushdown facts") gives the rules.
func (p *parser) pushdown(refs []TableRef, base int, funcs []int) {
	if len(refs) == 0 {
		return
	}
	first, after := refTokens(p.toks, refs, base)
	all, sampled := allColumns(p.toks, refs, funcs, first, after)
	// One list for all references: a copy each would make the facts
	// quadratic in the length of the query.
	idents := identifiers(p.toks)
	idents = idents[:len(idents):len(idents)]
	where := newWhereScan(p)
	for k := range refs {
		r := &refs[k]
		r.AllColumns = all[k]
		if !r.AllColumns {
			r.Columns = idents
		}
		if !sampled {
			r.Where = where.refWhere(*r, first[k], after[k])
		}
	}
}

// refTokens returns, for each reference, the index of its first token and
// the index after its name, AS OF clause and alias.
func refTokens(toks []token, refs []TableRef, base int) (first, after []int) {
	first = make([]int, len(refs))
	after = make([]int, len(refs))
	for k, r := range refs {
		first[k] = sort.Search(len(toks), func(i int) bool { return toks[i].pos >= base+r.Start })
		j := sort.Search(len(toks), func(i int) bool { return toks[i].pos >= base+r.End })
		if r.Alias != "" {
			if toks[j].is("as") {
				j++
			}
			j++
		}
		after[k] = j
	}
	return first, after
}

// allColumns reports for each reference whether the query may use columns
// of its table that it does not name, and whether the query samples rows
// (TABLESAMPLE, USING SAMPLE).
func allColumns(toks []token, refs []TableRef, funcs, first, after []int) (all []bool, sampled bool) {
	blocks, selects := blockIDs(toks)
	own := make([]bool, len(toks)) // tokens that name a reference or its alias
	for k := range refs {
		for i := first[k]; i < after[k]; i++ {
			own[i] = true
		}
	}
	star := map[int]bool{}    // blocks whose references may all be used unnamed
	everything := false       // PIVOT and UNPIVOT
	var qualified []int       // indices of the "*" of x.*
	rows := map[string]bool{} // names used as values, perhaps whole rows
	for i := 0; i < len(toks)-1; i++ {
		t, next := toks[i], toks[i+1]
		switch {
		case t.isOp("*"):
			switch starKind(toks, i) {
			case starItem:
				star[blocks[i]] = true
			case starQualified:
				qualified = append(qualified, i)
			}
		case t.isOp("#"), t.is("natural"), isWord(t, "columns") && next.isOp("("):
			star[blocks[i]] = true
		case t.kind == tokIdent && pivotWords[t.text]:
			everything = true
		case t.is("tablesample"), t.is("using") && next.is("sample"):
			sampled = true
		}
		if (t.kind == tokIdent || t.kind == tokQuoted) && !own[i] && !next.isOp(".") && !next.isOp("(") {
			rows[strings.ToLower(t.text)] = true
		}
	}
	for _, f := range funcs {
		star[blocks[f]] = true
	}

	// x.* covers the references that x can name: by alias or table name.
	byName := map[string][]int{}
	for k, r := range refs {
		name, alias := strings.ToLower(r.Name.Name), strings.ToLower(r.Alias)
		byName[name] = append(byName[name], k)
		if alias != "" && alias != name {
			byName[alias] = append(byName[alias], k)
		}
	}
	all = make([]bool, len(refs))
	for _, s := range qualified {
		q := toks[s-2]
		inBlock := false
		if q.kind == tokIdent || q.kind == tokQuoted {
			for _, k := range byName[strings.ToLower(q.text)] {
				all[k] = true
				inBlock = inBlock || blocks[first[k]] == blocks[s]
			}
		}
		if !inBlock {
			// A derived table, a join's alias or a STRUCT column.
			star[blocks[s]] = true
		}
	}

	for k, r := range refs {
		b := blocks[first[k]]
		all[k] = all[k] || everything || !r.FromItem || star[b] || !selects[b] ||
			toks[after[k]].isOp("(") || rows[strings.ToLower(r.Name.Name)] ||
			(r.Alias != "" && rows[strings.ToLower(r.Alias)])
	}
	return all, sampled
}

// isWord reports whether t is the identifier w, quoted or not, in any case.
func isWord(t token, w string) bool {
	return (t.kind == tokIdent || t.kind == tokQuoted) && strings.EqualFold(t.text, w)
}

// pivotWords start statements and clauses that use the columns they do not
// name (PIVOT groups by all the others).
var pivotWords = setOf("pivot", "unpivot", "pivot_wider", "pivot_longer")

// identifiers returns the text of every identifier token, sorted and
// without duplicates.
func identifiers(toks []token) []string {
	var ids []string
	for _, t := range toks {
		if t.kind == tokIdent || t.kind == tokQuoted {
			ids = append(ids, t.text)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// blockIDs numbers the query blocks of toks and returns each token's block
// and the set of blocks with a SELECT. A block starts at the beginning of
// the query, at a "(" whose first token is SELECT, WITH, FROM, VALUES or
// TABLE, and after UNION, INTERSECT and EXCEPT; any other parenthesis
// (function calls, parenthesised joins) belongs to the block around it.
func blockIDs(toks []token) ([]int, map[int]bool) {
	type frame struct {
		block int
		first bool
	}
	ids := make([]int, len(toks))
	selects := map[int]bool{}
	stack := []frame{{}}
	next := 1
	for i, t := range toks {
		f := &stack[len(stack)-1]
		if f.first {
			f.first = false
			if t.is("select") || t.is("with") || t.is("from") || t.is("values") || t.is("table") {
				f.block = next
				next++
			}
		}
		ids[i] = f.block
		switch {
		case t.isOp("("):
			stack = append(stack, frame{block: f.block, first: true})
		case t.isOp(")"):
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case t.is("union") || t.is("intersect") || (t.is("except") && !toks[max(i-1, 0)].isOp("*")):
			f.block = next
			next++
		case t.is("select"):
			selects[f.block] = true
		}
	}
	return ids, selects
}

// Kinds of "*" token.
const (
	starNone      = iota // multiplication or count(*)
	starItem             // a select item * (or anything that may be one)
	starQualified        // x.*
)

// starKind classifies the "*" at toks[i]. Anything that is not clearly a
// product or count(*) counts as a star item.
func starKind(toks []token, i int) int {
	if i == 0 {
		return starItem
	}
	prev, next := toks[i-1], toks[i+1]
	switch {
	case prev.isOp(".") && i >= 2:
		return starQualified
	case prev.isOp("(") && next.isOp(")") && i >= 2 && toks[i-2].is("count"):
		return starNone
	case operandEnd(prev) && operandStart(next):
		return starNone
	}
	return starItem
}

// operandEnd reports whether t can end the left operand of "*".
func operandEnd(t token) bool {
	switch t.kind {
	case tokNumber, tokString, tokParam, tokQuoted:
		return true
	case tokOp:
		return t.text == ")" || t.text == "]" || t.text == "}"
	case tokIdent:
		return !reserved[t.text] || t.text == "null" || t.text == "true" || t.text == "false" || t.text == "end"
	}
	return false
}

// starModifiers are the words that may follow a star item.
var starModifiers = setOf("exclude", "replace", "rename", "like", "ilike", "glob", "similar")

// operandStart reports whether t can start the right operand of "*".
func operandStart(t token) bool {
	switch t.kind {
	case tokNumber, tokString, tokParam, tokQuoted:
		return true
	case tokOp:
		return t.text == "(" || t.text == "[" || t.text == "{" || t.text == "-" || t.text == "+" || t.text == "~"
	case tokIdent:
		switch t.text {
		case "case", "cast", "null", "true", "false", "exists", "left", "right":
			return true
		}
		return !reserved[t.text] && !starModifiers[t.text]
	}
	return false
}
