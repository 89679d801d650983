package flightsql

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// appendValue appends a Go value (see paramRows) to a builder of type t,
// converting where no information is lost.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	t := b.Type()
	bad := func() error {
		return fmt.Errorf("cannot store %s (%T) in a %s column", describe(v), v, sqlparse.TypeName(t))
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		switch x := v.(type) {
		case bool:
			b.Append(x)
		case string:
			p, err := strconv.ParseBool(strings.ToLower(x))
			if err != nil {
				return bad()
			}
			b.Append(p)
		default:
			return bad()
		}
	case *array.Int8Builder, *array.Int16Builder, *array.Int32Builder, *array.Int64Builder:
		i, ok := intValue(v)
		if !ok {
			return bad()
		}
		lo, hi := intRange(t)
		if i < lo || i > hi {
			return fmt.Errorf("%d is out of range for a %s column", i, sqlparse.TypeName(t))
		}
		switch b := b.(type) {
		case *array.Int8Builder:
			b.Append(int8(i))
		case *array.Int16Builder:
			b.Append(int16(i))
		case *array.Int32Builder:
			b.Append(int32(i))
		case *array.Int64Builder:
			b.Append(i)
		}
	case *array.Float32Builder:
		f, ok := floatValue(v)
		if !ok {
			return bad()
		}
		b.Append(float32(f))
	case *array.Float64Builder:
		f, ok := floatValue(v)
		if !ok {
			return bad()
		}
		b.Append(f)
	case *array.Decimal128Builder:
		dt := t.(*arrow.Decimal128Type)
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case int64:
			text = strconv.FormatInt(x, 10)
		case uint64:
			text = strconv.FormatUint(x, 10)
		case float64:
			text = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return bad()
		}
		n, err := decimal128.FromString(strings.TrimSpace(text), dt.Precision, dt.Scale)
		if err != nil {
			return fmt.Errorf("%s does not fit a %s column: %v", text, sqlparse.TypeName(t), err)
		}
		if !n.FitsInPrecision(dt.Precision) {
			return fmt.Errorf("%s does not fit a %s column", text, sqlparse.TypeName(t))
		}
		b.Append(n)
	case *array.StringBuilder:
		switch x := v.(type) {
		case string:
			b.Append(x)
		case []byte:
			b.Append(string(x))
		case int64, uint64, bool:
			b.Append(fmt.Sprint(x))
		case float64:
			b.Append(strconv.FormatFloat(x, 'g', -1, 64))
		case time.Time:
			b.Append(x.Format("2006-01-02 15:04:05.999999"))
		default:
			return bad()
		}
	case *array.BinaryBuilder:
		switch x := v.(type) {
		case []byte:
			b.Append(x)
		case string:
			b.AppendString(x)
		default:
			return bad()
		}
	case *array.Date32Builder:
		tm, ok := timeValue(v)
		if !ok {
			return bad()
		}
		b.Append(arrow.Date32FromTime(tm))
	case *array.TimestampBuilder:
		tm, ok := timeValue(v)
		if !ok {
			return bad()
		}
		ts, err := arrow.TimestampFromTime(tm, t.(*arrow.TimestampType).Unit)
		if err != nil {
			return fmt.Errorf("%s is out of range for a %s column", tm, sqlparse.TypeName(t))
		}
		b.Append(ts)
	default:
		return fmt.Errorf("columns of type %s cannot take literal values", t)
	}
	return nil
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

func intRange(t arrow.DataType) (int64, int64) {
	switch t.ID() {
	case arrow.INT8:
		return math.MinInt8, math.MaxInt8
	case arrow.INT16:
		return math.MinInt16, math.MaxInt16
	case arrow.INT32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case float64:
		return int64(x), x == math.Trunc(x) && math.Abs(x) < 1<<63
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func floatValue(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func timeValue(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		tm, err := parseTimeLiteral(x)
		return tm, err == nil
	}
	return time.Time{}, false
}

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
			tm, err := parseTimeLiteral(x.Text)
			if err != nil {
				return nil, false
			}
			return tm, true
		}
	}
	return nil, false
}

// castRecord converts rec's columns, matched by name, to the types of the
// fields in target (which must all be present in rec), failing on a value
// that does not convert without loss.
func castRecord(mem memory.Allocator, rec arrow.RecordBatch, target []arrow.Field) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, len(target))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	ctx := compute.WithAllocator(context.Background(), mem)
	for _, f := range target {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			return nil, invalidf("column %q is missing", f.Name)
		}
		in := rec.Column(idx[0])
		if arrow.TypeEqual(in.DataType(), f.Type) {
			in.Retain()
			cols = append(cols, in)
			continue
		}
		out, err := compute.CastArray(ctx, in, compute.SafeCastOptions(f.Type))
		if err != nil {
			return nil, invalidf("column %q: cannot convert %s to %s: %v", f.Name, in.DataType(), sqlparse.TypeName(f.Type), err)
		}
		cols = append(cols, out)
	}
	fields := make([]arrow.Field, len(target))
	for i, f := range target {
		fields[i] = arrow.Field{Name: f.Name, Type: f.Type, Nullable: true}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}
