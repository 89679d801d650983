package flightsql

import (
	"strconv"
	"strings"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// literalRow evaluates a VALUES row of constants; ok is false when some
// item is an expression that needs evaluating.
func literalRow(items []sqlparse.Expr, params []any) ([]any, bool) {
	out := make([]any, len(items))
	for i, e := range items {
		v, ok := literalValue(e, params)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// literalValue is constValue without a target type: numbers keep their
// written form so the target column decides.
func literalValue(e sqlparse.Expr, params []any) (any, bool) {
	switch x := e.(type) {
	case *sqlparse.Param:
		if x.Index < 0 || x.Index >= len(params) {
			return nil, false
		}
		return params[x.Index], true
	case *sqlparse.Unary:
		lit, ok := x.X.(*sqlparse.Literal)
		if !ok || (x.Op != "-" && x.Op != "+") {
			return nil, false
		}
		v, ok := literalValue(lit, params)
		if !ok {
			return nil, false
		}
		if x.Op == "+" {
			return v, true
		}
		switch n := v.(type) {
		case int64:
			return -n, true
		case string:
			if lit.Kind == sqlparse.LitFloat {
				return "-" + n, true
			}
		}
		return nil, false
	case *sqlparse.Literal:
		switch x.Kind {
		case sqlparse.LitNull:
			return nil, true
		case sqlparse.LitBool:
			return strings.EqualFold(x.Text, "true"), true
		case sqlparse.LitInt:
			if i, err := strconv.ParseInt(x.Text, 10, 64); err == nil {
				return i, true
			}
			return x.Text, true
		case sqlparse.LitFloat, sqlparse.LitString:
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
