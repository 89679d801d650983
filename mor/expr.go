package mor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// ErrInvalidFilter is returned for predicates that name unknown columns or
// compare a column with a value of an incompatible type.
var ErrInvalidFilter = errors.New("mor: invalid filter")

// CmpOp is a comparison operator.
type CmpOp int

// Comparison operators.
const (
	OpEq CmpOp = iota
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
)

func (o CmpOp) String() string {
	return [...]string{"=", "<>", "<", "<=", ">", ">="}[o]
}

// holds reports whether a comparison result c (-1, 0, 1) satisfies o.
func (o CmpOp) holds(c int) bool {
	switch o {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	default:
		return c >= 0
	}
}

// Expr is a row predicate with SQL semantics: comparisons with NULL are
// unknown, and WHERE keeps only rows for which the predicate is true.
// Build expressions with Eq, Lt, In, IsNull, And, Or, Not and friends.
type Expr interface {
	// String renders the expression in SQL-like syntax.
	String() string
	// appendColumns appends the names of the columns the expression reads.
	appendColumns(dst []string) []string
	// eval computes the truth value of every row of rec.
	eval(rec arrow.RecordBatch) ([]truth, error)
}

// truth is a three-valued logic value.
type truth uint8

const (
	tFalse truth = iota
	tTrue
	tUnknown
)

// Cmp compares a column with a literal.
type Cmp struct {
	Column string
	Op     CmpOp
	Value  any
}

// InList is true when the column equals one of the values.
type InList struct {
	Column string
	Values []any
}

// Null tests a column for NULL (or, negated, for NOT NULL).
type Null struct {
	Column string
	Negate bool
}

// AndExpr is the conjunction of its arguments.
type AndExpr struct{ Args []Expr }

// OrExpr is the disjunction of its arguments.
type OrExpr struct{ Args []Expr }

// NotExpr negates its argument.
type NotExpr struct{ Arg Expr }

// Eq is column = v.
func Eq(column string, v any) Expr { return &Cmp{column, OpEq, v} }

// Ne is column <> v.
func Ne(column string, v any) Expr { return &Cmp{column, OpNe, v} }

// Lt is column < v.
func Lt(column string, v any) Expr { return &Cmp{column, OpLt, v} }

// Le is column <= v.
func Le(column string, v any) Expr { return &Cmp{column, OpLe, v} }

// Gt is column > v.
func Gt(column string, v any) Expr { return &Cmp{column, OpGt, v} }

// Ge is column >= v.
func Ge(column string, v any) Expr { return &Cmp{column, OpGe, v} }

// In is column IN (vs...).
func In(column string, vs ...any) Expr { return &InList{column, vs} }

// IsNull is column IS NULL.
func IsNull(column string) Expr { return &Null{Column: column} }

// IsNotNull is column IS NOT NULL.
func IsNotNull(column string) Expr { return &Null{Column: column, Negate: true} }

// And is the conjunction of args; And() is true.
func And(args ...Expr) Expr { return &AndExpr{args} }

// Or is the disjunction of args; Or() is false.
func Or(args ...Expr) Expr { return &OrExpr{args} }

// Not negates e.
func Not(e Expr) Expr { return &NotExpr{e} }

func (c *Cmp) String() string { return fmt.Sprintf("%s %s %s", c.Column, c.Op, literalString(c.Value)) }
func (c *InList) String() string {
	parts := make([]string, len(c.Values))
	for i, v := range c.Values {
		parts[i] = literalString(v)
	}
	return fmt.Sprintf("%s IN (%s)", c.Column, strings.Join(parts, ", "))
}
func (c *Null) String() string {
	if c.Negate {
		return c.Column + " IS NOT NULL"
	}
	return c.Column + " IS NULL"
}
func (a *AndExpr) String() string { return joinExprs(a.Args, " AND ", "TRUE") }
func (o *OrExpr) String() string  { return joinExprs(o.Args, " OR ", "FALSE") }
func (n *NotExpr) String() string { return "NOT (" + n.Arg.String() + ")" }

func joinExprs(args []Expr, sep, empty string) string {
	if len(args) == 0 {
		return empty
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = "(" + a.String() + ")"
	}
	return strings.Join(parts, sep)
}

func literalString(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case []byte:
		return fmt.Sprintf("X'%x'", x)
	default:
		return fmt.Sprint(x)
	}
}

func (c *Cmp) appendColumns(dst []string) []string    { return append(dst, c.Column) }
func (c *InList) appendColumns(dst []string) []string { return append(dst, c.Column) }
func (c *Null) appendColumns(dst []string) []string   { return append(dst, c.Column) }
func (a *AndExpr) appendColumns(dst []string) []string {
	for _, e := range a.Args {
		dst = e.appendColumns(dst)
	}
	return dst
}
func (o *OrExpr) appendColumns(dst []string) []string {
	for _, e := range o.Args {
		dst = e.appendColumns(dst)
	}
	return dst
}
func (n *NotExpr) appendColumns(dst []string) []string { return n.Arg.appendColumns(dst) }

// Columns returns the distinct columns an expression reads, in first-use
// order. A nil expression reads none.
func Columns(e Expr) []string {
	if e == nil {
		return nil
	}
	return dedupe(e.appendColumns(nil))
}

func dedupe(names []string) []string {
	seen := make(map[string]struct{}, len(names))
	out := names[:0]
	for _, n := range names {
		if _, ok := seen[n]; !ok {
			seen[n] = struct{}{}
			out = append(out, n)
		}
	}
	return out
}

// Conjuncts flattens nested ANDs at the top of e into a list whose
// conjunction is e.
func Conjuncts(e Expr) []Expr {
	if e == nil {
		return nil
	}
	if a, ok := e.(*AndExpr); ok {
		var out []Expr
		for _, x := range a.Args {
			out = append(out, Conjuncts(x)...)
		}
		return out
	}
	return []Expr{e}
}

// ValidateExpr checks that every column e reads exists in schema and that
// every literal can be compared with its column.
func ValidateExpr(e Expr, schema *arrow.Schema) error {
	if e == nil {
		return nil
	}
	switch x := e.(type) {
	case *Cmp:
		f, err := fieldOf(schema, x.Column)
		if err != nil {
			return err
		}
		if x.Value == nil {
			return fmt.Errorf("%w: comparison of %s with NULL is never true; use IS NULL", ErrInvalidFilter, x.Column)
		}
		_, err = normalizeLiteral(f.Type, x.Value)
		return err
	case *InList:
		f, err := fieldOf(schema, x.Column)
		if err != nil {
			return err
		}
		for _, v := range x.Values {
			if v == nil {
				continue
			}
			if _, err := normalizeLiteral(f.Type, v); err != nil {
				return err
			}
		}
		return nil
	case *Null:
		_, err := fieldOf(schema, x.Column)
		return err
	case *AndExpr:
		for _, a := range x.Args {
			if err := ValidateExpr(a, schema); err != nil {
				return err
			}
		}
		return nil
	case *OrExpr:
		for _, a := range x.Args {
			if err := ValidateExpr(a, schema); err != nil {
				return err
			}
		}
		return nil
	case *NotExpr:
		return ValidateExpr(x.Arg, schema)
	default:
		return fmt.Errorf("%w: unsupported expression %T", ErrInvalidFilter, e)
	}
}

func fieldOf(schema *arrow.Schema, name string) (arrow.Field, error) {
	idx := schema.FieldIndices(name)
	if len(idx) == 0 {
		return arrow.Field{}, fmt.Errorf("%w: unknown column %q", ErrInvalidFilter, name)
	}
	return schema.Field(idx[0]), nil
}
