package sqlparse

import "strings"

// reserved holds the words that cannot be an unquoted name in the grammar
// this package parses (column and table names, aliases): using one as a name
// would make the statement ambiguous. Quoting lifts the restriction.
var reserved = setOf(
	"all", "and", "any", "as", "asc", "between", "both", "case", "cast", "check",
	"collate", "constraint", "create", "cross", "default", "delete", "desc", "distinct",
	"do", "drop", "else", "end", "except", "exists", "false", "fetch", "for", "foreign",
	"from", "full", "grant", "group", "having", "ilike", "in", "inner", "insert",
	"intersect", "into", "is", "join", "lateral", "leading", "left", "like", "limit",
	"natural", "not", "null", "offset", "on", "or", "order", "outer", "primary",
	"qualify", "references", "returning", "right", "select", "set", "some", "table",
	"then", "to", "trailing", "true", "union", "unique", "update", "using", "values",
	"when", "where", "window", "with",
)

// quoteWords are words that Expr.SQL quotes when they are used as names:
// the reserved words above plus the ones DuckDB or PostgreSQL reserve or
// read specially in expressions (typed literals such as DATE '...').
var quoteWords = union(reserved, setOf(
	"analyse", "analyze", "array", "asymmetric", "column", "current_catalog",
	"current_date", "current_role", "current_schema", "current_time",
	"current_timestamp", "current_user", "date", "deferrable", "filter", "initially",
	"interval", "localtime", "localtimestamp", "only", "over", "pivot", "placing",
	"session_user", "similar", "symmetric", "time", "timestamp", "timestamptz",
	"unpivot", "user", "variadic", "verbose",
))

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func union(a, b map[string]bool) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for w := range a {
		m[w] = true
	}
	for w := range b {
		m[w] = true
	}
	return m
}

// QuoteIdent returns name as a double-quoted SQL identifier, doubling any
// double quote inside it. The result names exactly name, whatever its case.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// ident renders name as an identifier, quoting it only when reading it
// back unquoted would give another name or a keyword.
func ident(name string) string {
	if quoteWords[name] || !plainWord(name) {
		return QuoteIdent(name)
	}
	return name
}

// plainWord reports whether name reads back as itself unquoted, keywords
// aside: a lower-case ASCII letter or "_", then letters, digits or "_".
func plainWord(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '_' && (c < 'a' || c > 'z') && (i == 0 || !isDigit(c)) {
			return false
		}
	}
	return true
}

// quoteString renders s as a SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
