package sqlparse

import (
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// Expr is an expression of a WHERE clause, SET value or VALUES item.
type Expr interface {
	// Pos is the byte offset of the expression's first token in the parsed
	// text (0 for expressions built by hand).
	Pos() int
	// SQL renders the expression as SQL that DuckDB and PostgreSQL read the
	// same way, with parentheses where precedence needs them, names quoted
	// where needed and parameters as $n.
	SQL() string
	// prec is the expression's binding strength (precXxx).
	prec() int
	// children lists the direct subexpressions in source order.
	children() []Expr
}

// Binding strengths, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCompare // = <> < <= > >= IS IN BETWEEN LIKE ILIKE
	precConcat  // ||
	precAdd     // + -
	precMul     // * / %
	precUnary   // unary - +
	precCast    // ::
	precPrimary
)

// node carries an expression's position.
type node struct{ pos int }

func (n node) Pos() int { return n.pos }

// ColumnRef is a column name, possibly qualified: a, t.a.
type ColumnRef struct {
	node
	Parts []string
}

// LitKind is the kind of a Literal.
type LitKind uint8

// Literal kinds.
const (
	LitNull        LitKind = iota
	LitBool                // Text "true" or "false"
	LitInt                 // fits int64; Text may start with "-"
	LitFloat               // any other number: 1.5, .5, 1., 1e10, or an integer beyond int64
	LitString              // Text unescaped
	LitDate                // DATE '2026-01-01'; Time at midnight UTC
	LitTimestamp           // TIMESTAMP '...'; Time in UTC
	LitTimestampTZ         // TIMESTAMPTZ '...' or TIMESTAMP WITH TIME ZONE '...'; Time in UTC
	LitInterval            // INTERVAL '1 day', INTERVAL '1' DAY, INTERVAL 1 DAY; Text "1 day"
)

var litKindNames = [...]string{"NULL", "BOOL", "INT", "FLOAT", "STRING", "DATE", "TIMESTAMP", "TIMESTAMPTZ", "INTERVAL"}

func (k LitKind) String() string {
	if int(k) < len(litKindNames) {
		return litKindNames[k]
	}
	return "LitKind(" + strconv.Itoa(int(k)) + ")"
}

// Literal is a constant.
type Literal struct {
	node
	Kind LitKind
	// Text is the value as text: the number as written (with a folded
	// leading "-"), the string's content, the date or timestamp as written
	// inside its quotes, "true"/"false", "" for NULL.
	Text string
	// Time is the parsed value of LitDate, LitTimestamp and LitTimestampTZ.
	Time time.Time
}

// Param is a statement parameter, ? or $n.
type Param struct {
	node
	Index int // 0-based
}

// Unary is NOT x, -x or +x; Op is "NOT", "-" or "+".
type Unary struct {
	node
	Op string
	X  Expr
}

// Binary is L Op R. Op is one of OR AND = <> < <= > >= || + - * / % and
// "IS DISTINCT FROM", "IS NOT DISTINCT FROM" (keywords in upper case; "!="
// is read as "<>").
type Binary struct {
	node
	Op   string
	L, R Expr
}

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	node
	X   Expr
	Not bool
}

// InList is X [NOT] IN (List...).
type InList struct {
	node
	X    Expr
	List []Expr
	Not  bool
}

// Between is X [NOT] BETWEEN Lo AND Hi.
type Between struct {
	node
	X, Lo, Hi Expr
	Not       bool
}

// Like is X [NOT] LIKE Pattern, or ILIKE when CaseInsensitive.
type Like struct {
	node
	X, Pattern      Expr
	Not             bool
	CaseInsensitive bool
}

// Func is a function call: Name(Args...), Name(*), Name(DISTINCT Args...).
type Func struct {
	node
	Name     string
	Args     []Expr
	Star     bool
	Distinct bool
}

// Cast is CAST(X AS type) or X::type.
type Cast struct {
	node
	X        Expr
	Type     arrow.DataType
	TypeName string // as written, normalised ("DECIMAL(10,2)")
}

// Case is CASE [Operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	node
	Operand Expr // nil for the searched form
	Whens   []When
	Else    Expr // nil without ELSE
}

// When is one WHEN Cond THEN Then arm of a Case.
type When struct {
	Cond, Then Expr
}

func (*ColumnRef) prec() int { return precPrimary }
func (*Literal) prec() int   { return precPrimary }
func (*Param) prec() int     { return precPrimary }
func (*Func) prec() int      { return precPrimary }
func (*Cast) prec() int      { return precPrimary } // rendered as CAST(...)
func (*Case) prec() int      { return precPrimary }
func (*IsNull) prec() int    { return precCompare }
func (*InList) prec() int    { return precCompare }
func (*Between) prec() int   { return precCompare }
func (*Like) prec() int      { return precCompare }

func (e *Unary) prec() int {
	if e.Op == "NOT" {
		return precNot
	}
	return precUnary
}

func (e *Binary) prec() int {
	switch e.Op {
	case "OR":
		return precOr
	case "AND":
		return precAnd
	case "||":
		return precConcat
	case "+", "-":
		return precAdd
	case "*", "/", "%":
		return precMul
	}
	return precCompare
}

func (e *ColumnRef) SQL() string {
	parts := make([]string, len(e.Parts))
	for i, p := range e.Parts {
		parts[i] = ident(p)
	}
	return strings.Join(parts, ".")
}

func (e *Literal) SQL() string {
	switch e.Kind {
	case LitNull:
		return "NULL"
	case LitBool:
		if e.Text == "true" {
			return "TRUE"
		}
		return "FALSE"
	case LitInt, LitFloat:
		return e.Text
	case LitDate:
		return "DATE " + quoteString(e.Text)
	case LitTimestamp:
		return "TIMESTAMP " + quoteString(e.Text)
	case LitTimestampTZ:
		return "TIMESTAMPTZ " + quoteString(e.Text)
	case LitInterval:
		return "INTERVAL " + quoteString(e.Text)
	}
	return quoteString(e.Text)
}

func (e *Param) SQL() string { return "$" + strconv.Itoa(e.Index+1) }

func (e *Unary) SQL() string {
	if e.Op == "NOT" {
		return "NOT " + operand(e.X, precNot)
	}
	x := operand(e.X, precUnary)
	// Keep "- -x" from reading as a comment and "-(1)" from folding into
	// the literal -1.
	if lit, ok := e.X.(*Literal); (ok && (lit.Kind == LitInt || lit.Kind == LitFloat)) ||
		strings.HasPrefix(x, "-") || strings.HasPrefix(x, "+") {
		x = "(" + e.X.SQL() + ")"
	}
	return e.Op + x
}

func (e *Binary) SQL() string {
	p := e.prec()
	l := operand(e.L, p)
	if p == precCompare && e.L.prec() == precCompare {
		l = "(" + e.L.SQL() + ")" // comparisons do not chain
	}
	return l + " " + e.Op + " " + operand(e.R, p+1)
}

func (e *IsNull) SQL() string {
	s := operand(e.X, precCompare+1) + " IS "
	if e.Not {
		s += "NOT "
	}
	return s + "NULL"
}

func (e *InList) SQL() string {
	var b strings.Builder
	b.WriteString(operand(e.X, precCompare+1))
	if e.Not {
		b.WriteString(" NOT")
	}
	b.WriteString(" IN (")
	for i, x := range e.List {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x.SQL())
	}
	b.WriteString(")")
	return b.String()
}

func (e *Between) SQL() string {
	s := operand(e.X, precCompare+1)
	if e.Not {
		s += " NOT"
	}
	return s + " BETWEEN " + operand(e.Lo, precCompare+1) + " AND " + operand(e.Hi, precCompare+1)
}

func (e *Like) SQL() string {
	s := operand(e.X, precCompare+1)
	if e.Not {
		s += " NOT"
	}
	if e.CaseInsensitive {
		s += " ILIKE "
	} else {
		s += " LIKE "
	}
	return s + operand(e.Pattern, precCompare+1)
}

func (e *Func) SQL() string {
	var b strings.Builder
	b.WriteString(funcName(e.Name))
	b.WriteString("(")
	switch {
	case e.Star:
		b.WriteString("*")
	case e.Distinct:
		b.WriteString("DISTINCT ")
	}
	for i, a := range e.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.SQL())
	}
	b.WriteString(")")
	return b.String()
}

func (e *Cast) SQL() string {
	name := e.TypeName
	if name == "" {
		name = arrowconv.TypeName(e.Type)
	}
	return "CAST(" + e.X.SQL() + " AS " + name + ")"
}

func (e *Case) SQL() string {
	var b strings.Builder
	b.WriteString("CASE")
	if e.Operand != nil {
		b.WriteString(" " + e.Operand.SQL())
	}
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.SQL() + " THEN " + w.Then.SQL())
	}
	if e.Else != nil {
		b.WriteString(" ELSE " + e.Else.SQL())
	}
	b.WriteString(" END")
	return b.String()
}

// funcName renders a function name: unquoted when it is a plain lower-case
// word that the parser reads as a function name before "(" (left and right
// included), quoted otherwise.
func funcName(name string) string {
	if plainWord(name) && (!reserved[name] || name == "left" || name == "right") {
		return name
	}
	return QuoteIdent(name)
}

// operand renders x, in parentheses if it binds looser than min.
func operand(x Expr, min int) string {
	if x.prec() < min {
		return "(" + x.SQL() + ")"
	}
	return x.SQL()
}

func (*ColumnRef) children() []Expr { return nil }
func (*Literal) children() []Expr   { return nil }
func (*Param) children() []Expr     { return nil }
func (e *Unary) children() []Expr   { return []Expr{e.X} }
func (e *Binary) children() []Expr  { return []Expr{e.L, e.R} }
func (e *IsNull) children() []Expr  { return []Expr{e.X} }
func (e *InList) children() []Expr  { return append([]Expr{e.X}, e.List...) }
func (e *Between) children() []Expr { return []Expr{e.X, e.Lo, e.Hi} }
func (e *Like) children() []Expr    { return []Expr{e.X, e.Pattern} }
func (e *Func) children() []Expr    { return e.Args }
func (e *Cast) children() []Expr    { return []Expr{e.X} }

func (e *Case) children() []Expr {
	var c []Expr
	if e.Operand != nil {
		c = append(c, e.Operand)
	}
	for _, w := range e.Whens {
		c = append(c, w.Cond, w.Then)
	}
	if e.Else != nil {
		c = append(c, e.Else)
	}
	return c
}

// Walk calls fn for e and, while fn returns true, for each subexpression,
// depth first in source order. A nil e is skipped.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	for _, c := range e.children() {
		Walk(c, fn)
	}
}

// exprParams is the number of parameters e needs: the highest index + 1.
func exprParams(e Expr) int {
	n := 0
	Walk(e, func(x Expr) bool {
		if p, ok := x.(*Param); ok {
			n = max(n, p.Index+1)
		}
		return true
	})
	return n
}
