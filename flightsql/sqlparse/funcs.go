package sqlparse

import (
	"fmt"
	"strings"
)

// FuncRef is a call in a query to a function whose value the server gives
// rather than the query engine: its version, the session's schema,
// catalog and user.
type FuncRef struct {
	// Name is the function's name in lower case: version, current_schema,
	// current_catalog, current_database, current_user or session_user.
	Name string
	// Start and End are the byte span in Query.Text of the call: the name
	// and its parentheses, when written.
	Start, End int
}

// serverFuncs maps the names of the functions of FuncRef to whether the
// call may be written without parentheses, as the SQL standard spells the
// session's catalog and user. Calls with parentheses take no arguments.
var serverFuncs = map[string]bool{
	"version":          false,
	"current_schema":   false,
	"current_database": false,
	"current_catalog":  true,
	"current_user":     true,
	"session_user":     true,
}

// findFuncs returns the calls of the server's functions among p's tokens (a
// whole query followed by EOF), with spans relative to base. refs are the
// query's table references and tableFuncs the indices of the table
// functions called where a reference could stand; neither is a call. A
// name is not a call when it is quoted, qualified (x.version()), a
// qualifier itself, an alias (AS current_user) or a named argument, or,
// for a function that needs them, when its empty parentheses are missing.
func findFuncs(toks []token, base int, refs []TableRef, tableFuncs []int) []FuncRef {
	skip := make(map[int]bool, len(tableFuncs))
	for _, i := range tableFuncs {
		skip[i] = true
	}
	first, after := refTokens(toks, refs, base)
	var out []FuncRef
	k := 0 // the first reference that does not end before the token
	for i := 0; i < len(toks)-1; i++ {
		t := toks[i]
		bare, ok := serverFuncs[t.text]
		if t.kind != tokIdent || !ok || skip[i] {
			continue
		}
		for k < len(refs) && after[k] <= i {
			k++
		}
		if k < len(refs) && first[k] <= i {
			continue
		}
		if i > 0 && (toks[i-1].isOp(".") || toks[i-1].is("as")) {
			continue
		}
		end := t.end
		switch next := toks[i+1]; {
		case next.isOp("(") && toks[i+2].isOp(")"):
			end = toks[i+2].end
		case next.isOp("("), next.isOp("."), next.isOp(":="), next.isOp("=>"), !bare:
			continue
		}
		out = append(out, FuncRef{Name: t.text, Start: t.pos - base, End: end - base})
	}
	return out
}

// RewriteAll returns Text with the span of Tables[i] replaced by
// tables[i], as Rewrite does, and the span of Funcs[j] replaced by
// funcs[j] (typically a literal holding the function's value). It panics
// unless len(tables) == len(Tables) and len(funcs) == len(Funcs).
func (q *Query) RewriteAll(tables, funcs []string) string {
	if len(tables) != len(q.Tables) {
		panic(fmt.Sprintf("sqlparse: RewriteAll got %d names for %d table references", len(tables), len(q.Tables)))
	}
	if len(funcs) != len(q.Funcs) {
		panic(fmt.Sprintf("sqlparse: RewriteAll got %d values for %d function calls", len(funcs), len(q.Funcs)))
	}
	var b strings.Builder
	last, i, j := 0, 0, 0
	for i < len(q.Tables) || j < len(q.Funcs) {
		var start, end int
		var with string
		if j == len(q.Funcs) || (i < len(q.Tables) && q.Tables[i].Start < q.Funcs[j].Start) {
			start, end, with = q.Tables[i].Start, q.Tables[i].End, tables[i]
			i++
		} else {
			start, end, with = q.Funcs[j].Start, q.Funcs[j].End, funcs[j]
			j++
		}
		b.WriteString(q.Text[last:start])
		b.WriteString(with)
		last = end
	}
	b.WriteString(q.Text[last:])
	return b.String()
}
