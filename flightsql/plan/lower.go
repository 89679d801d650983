package plan

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// Filter lowers a WHERE expression to a predicate the table store
// evaluates natively (comparisons of a column with a constant, IN, BETWEEN,
// IS NULL, AND, OR, NOT), with parameters taken from params. ok is false
// when some part is beyond that. A nil expression is a nil predicate.
func Filter(e sqlparse.Expr, schema *arrow.Schema, params []any) (mor.Expr, bool) {
	switch x := e.(type) {
	case nil:
		return nil, true
	case *sqlparse.Binary:
		switch strings.ToUpper(x.Op) {
		case "AND", "OR":
			l, ok := Filter(x.L, schema, params)
			if !ok {
				return nil, false
			}
			r, ok := Filter(x.R, schema, params)
			if !ok {
				return nil, false
			}
			if strings.EqualFold(x.Op, "AND") {
				return mor.And(l, r), true
			}
			return mor.Or(l, r), true
		}
		op, ok := cmpOps[x.Op]
		if !ok {
			return nil, false
		}
		col, lit, flipped, ok := columnAndConst(x.L, x.R, schema, params)
		if !ok || lit == nil {
			return nil, false
		}
		if flipped {
			op = flipOp[op]
		}
		return &mor.Cmp{Column: col, Op: op, Value: lit}, true
	case *sqlparse.Unary:
		if strings.EqualFold(x.Op, "NOT") {
			in, ok := Filter(x.X, schema, params)
			if !ok {
				return nil, false
			}
			return mor.Not(in), true
		}
	case *sqlparse.IsNull:
		col, ok := ColumnOf(x.X, schema)
		if !ok {
			return nil, false
		}
		if x.Not {
			return mor.IsNotNull(col), true
		}
		return mor.IsNull(col), true
	case *sqlparse.InList:
		col, ok := ColumnOf(x.X, schema)
		if !ok {
			return nil, false
		}
		f, _ := FieldOf(schema, col)
		vals := make([]any, 0, len(x.List))
		for _, item := range x.List {
			v, ok := Const(item, f.Type, params)
			if !ok || v == nil {
				return nil, false
			}
			vals = append(vals, v)
		}
		in := mor.In(col, vals...)
		if x.Not {
			return mor.Not(in), true
		}
		return in, true
	case *sqlparse.Between:
		col, ok := ColumnOf(x.X, schema)
		if !ok {
			return nil, false
		}
		f, _ := FieldOf(schema, col)
		lo, ok1 := Const(x.Lo, f.Type, params)
		hi, ok2 := Const(x.Hi, f.Type, params)
		if !ok1 || !ok2 || lo == nil || hi == nil {
			return nil, false
		}
		if x.Not {
			return mor.Or(mor.Lt(col, lo), mor.Gt(col, hi)), true
		}
		return mor.And(mor.Ge(col, lo), mor.Le(col, hi)), true
	}
	return nil, false
}

var cmpOps = map[string]mor.CmpOp{
	"=": mor.OpEq, "==": mor.OpEq, "<>": mor.OpNe, "!=": mor.OpNe,
	"<": mor.OpLt, "<=": mor.OpLe, ">": mor.OpGt, ">=": mor.OpGe,
}

var flipOp = map[mor.CmpOp]mor.CmpOp{
	mor.OpEq: mor.OpEq, mor.OpNe: mor.OpNe,
	mor.OpLt: mor.OpGt, mor.OpLe: mor.OpGe, mor.OpGt: mor.OpLt, mor.OpGe: mor.OpLe,
}

// columnAndConst matches "column op constant" in either order.
func columnAndConst(l, r sqlparse.Expr, schema *arrow.Schema, params []any) (string, any, bool, bool) {
	if col, ok := ColumnOf(l, schema); ok {
		f, _ := FieldOf(schema, col)
		v, ok := Const(r, f.Type, params)
		return col, v, false, ok
	}
	if col, ok := ColumnOf(r, schema); ok {
		f, _ := FieldOf(schema, col)
		v, ok := Const(l, f.Type, params)
		return col, v, true, ok
	}
	return "", nil, false, false
}

// ColumnOf returns the column a bare column reference names.
func ColumnOf(e sqlparse.Expr, schema *arrow.Schema) (string, bool) {
	c, ok := e.(*sqlparse.ColumnRef)
	if !ok || len(c.Parts) != 1 {
		return "", false
	}
	if _, ok := FieldOf(schema, c.Parts[0]); !ok {
		return "", false
	}
	return c.Parts[0], true
}

// FieldOf returns the field of s called name, if there is exactly one.
func FieldOf(s *arrow.Schema, name string) (arrow.Field, bool) {
	idx := s.FieldIndices(name)
	if len(idx) != 1 {
		return arrow.Field{}, false
	}
	return s.Field(idx[0]), true
}

// Const evaluates a constant (literal, parameter, negated number) to
// the Go value the table store compares with a column of type t. A nil
// value with ok is SQL NULL.
func Const(e sqlparse.Expr, t arrow.DataType, params []any) (any, bool) {
	switch x := e.(type) {
	case *sqlparse.Param:
		if x.Index < 0 || x.Index >= len(params) {
			return nil, false
		}
		return params[x.Index], true
	case *sqlparse.Unary:
		if x.Op != "-" && x.Op != "+" {
			return nil, false
		}
		lit, ok := x.X.(*sqlparse.Literal)
		if !ok || (lit.Kind != sqlparse.LitInt && lit.Kind != sqlparse.LitFloat) {
			return nil, false
		}
		text := lit.Text
		if x.Op == "-" {
			text = "-" + text
		}
		return numberValue(text, lit.Kind == sqlparse.LitInt, t)
	case *sqlparse.Literal:
		switch x.Kind {
		case sqlparse.LitNull:
			return nil, true
		case sqlparse.LitBool:
			return strings.EqualFold(x.Text, "true"), true
		case sqlparse.LitInt, sqlparse.LitFloat:
			return numberValue(x.Text, x.Kind == sqlparse.LitInt, t)
		case sqlparse.LitString:
			return x.Text, true
		case sqlparse.LitDate, sqlparse.LitTimestamp, sqlparse.LitTimestampTZ:
			tm, err := arrowconv.ParseTime(x.Text)
			if err != nil {
				return nil, false
			}
			return tm, true
		}
	}
	return nil, false
}

// numberValue parses a numeric literal for a column of type t.
func numberValue(text string, isInt bool, t arrow.DataType) (any, bool) {
	if t.ID() == arrow.DECIMAL128 {
		return text, true
	}
	if isInt {
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			switch t.ID() {
			case arrow.FLOAT32, arrow.FLOAT64:
				return float64(i), true
			}
			return i, true
		}
		return nil, false
	}
	switch t.ID() {
	case arrow.FLOAT32, arrow.FLOAT64:
		f, err := strconv.ParseFloat(text, 64)
		return f, err == nil
	}
	return nil, false
}
