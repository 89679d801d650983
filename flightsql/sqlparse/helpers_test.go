package sqlparse

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// zeroPos clears the position of every expression reachable from v (a
// pointer, slice or struct), so that parsed trees compare with built ones.
func zeroPos(v any) {
	clearPositions(reflect.ValueOf(v))
}

var nodeType = reflect.TypeOf(node{})

func clearPositions(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPositions(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			clearPositions(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			switch {
			case f.Type() == nodeType:
				if f.CanAddr() {
					// node is unexported: write it through its address.
					reflect.NewAt(nodeType, unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.Zero(nodeType))
				}
			case v.Type().Field(i).IsExported():
				clearPositions(f)
			}
		}
	}
}

// dump renders an expression tree in a compact prefix form that shows every
// field: (op args...), literals tagged with their kind.
func dump(e Expr) string {
	if e == nil {
		return "<nil>"
	}
	switch e := e.(type) {
	case *ColumnRef:
		parts := make([]string, len(e.Parts))
		for i, p := range e.Parts {
			parts[i] = ident(p)
		}
		return strings.Join(parts, ".")
	case *Literal:
		switch e.Kind {
		case LitNull:
			return "NULL"
		case LitBool, LitInt:
			return e.Text
		case LitFloat:
			return "float:" + e.Text
		case LitString:
			return quoteString(e.Text)
		case LitInterval:
			return "interval:" + e.Text
		}
		return fmt.Sprintf("%s:%s@%s", strings.ToLower(e.Kind.String()), e.Text, e.Time.Format(time.RFC3339Nano))
	case *Param:
		return fmt.Sprintf("?%d", e.Index)
	case *Unary:
		return "(" + e.Op + " " + dump(e.X) + ")"
	case *Binary:
		return "(" + e.Op + " " + dump(e.L) + " " + dump(e.R) + ")"
	case *IsNull:
		return "(IS " + not(e.Not) + "NULL " + dump(e.X) + ")"
	case *InList:
		return "(" + not(e.Not) + "IN " + dump(e.X) + " [" + dumpList(e.List) + "])"
	case *Between:
		return "(" + not(e.Not) + "BETWEEN " + dump(e.X) + " " + dump(e.Lo) + " " + dump(e.Hi) + ")"
	case *Like:
		op := "LIKE"
		if e.CaseInsensitive {
			op = "ILIKE"
		}
		return "(" + not(e.Not) + op + " " + dump(e.X) + " " + dump(e.Pattern) + ")"
	case *Func:
		switch {
		case e.Star:
			return e.Name + "(*)"
		case e.Distinct:
			return e.Name + "(DISTINCT " + dumpList(e.Args) + ")"
		}
		return e.Name + "(" + dumpList(e.Args) + ")"
	case *Cast:
		return "(CAST " + dump(e.X) + " " + e.TypeName + " " + e.Type.String() + ")"
	case *Case:
		s := "(CASE"
		if e.Operand != nil {
			s += " " + dump(e.Operand)
		}
		for _, w := range e.Whens {
			s += " WHEN " + dump(w.Cond) + " THEN " + dump(w.Then)
		}
		if e.Else != nil {
			s += " ELSE " + dump(e.Else)
		}
		return s + ")"
	}
	return fmt.Sprintf("<%T>", e)
}

func dumpList(list []Expr) string {
	s := make([]string, len(list))
	for i, e := range list {
		s[i] = dump(e)
	}
	return strings.Join(s, " ")
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}
