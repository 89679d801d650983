package mor

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Literals are normalised once per expression evaluation to one of these
// comparable Go types, matching how the column's values are read:
// int64 (signed integers, dates, times, timestamps in the column's unit),
// uint64, float64, string (strings and binary), bool, decimal128.Num.

// normalizeLiteral converts v to the comparable form for a column of type t.
func normalizeLiteral(t arrow.DataType, v any) (any, error) {
	bad := func() error {
		return fmt.Errorf("%w: cannot compare a %s column with %v (%T)", ErrInvalidFilter, t, literalString(v), v)
	}
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		i, ok := toInt64(v)
		if !ok {
			return nil, bad()
		}
		return i, nil
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		i, ok := toInt64(v)
		if ok && i >= 0 {
			return uint64(i), nil
		}
		if u, ok := v.(uint64); ok {
			return u, nil
		}
		return nil, bad()
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		if f, ok := toFloat64(v); ok {
			return f, nil
		}
		return nil, bad()
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
		return nil, bad()
	case arrow.BOOL:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, bad()
	case arrow.DATE32, arrow.DATE64:
		tm, ok := toTime(v, true)
		if !ok {
			if i, ok := toInt64(v); ok && t.ID() == arrow.DATE32 {
				return i, nil
			}
			return nil, bad()
		}
		days := floorDiv(tm.Unix(), 86400)
		if t.ID() == arrow.DATE64 {
			return days * 86400000, nil
		}
		return days, nil
	case arrow.TIMESTAMP:
		unit := t.(*arrow.TimestampType).Unit
		tm, ok := toTime(v, false)
		if !ok {
			return nil, bad()
		}
		return timeToUnit(tm, unit), nil
	case arrow.DECIMAL128:
		dt := t.(*arrow.Decimal128Type)
		n, err := toDecimal(v, dt)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", bad(), err)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%w: predicates on %s columns are not supported", ErrInvalidFilter, t)
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	}
	return 0, false
}

func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if i, ok := toInt64(v); ok {
		return float64(i), true
	}
	return 0, false
}

// timeLayouts are the accepted textual forms of dates and timestamps.
// Values without a zone are UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

func toTime(v any, dateOnly bool) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		for _, layout := range timeLayouts {
			if tm, err := time.Parse(layout, x); err == nil {
				if dateOnly && !tm.Equal(tm.Truncate(24*time.Hour)) {
					return time.Time{}, false
				}
				return tm, true
			}
		}
	}
	return time.Time{}, false
}

func timeToUnit(tm time.Time, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return tm.Unix()
	case arrow.Millisecond:
		return tm.UnixMilli()
	case arrow.Microsecond:
		return tm.UnixMicro()
	default:
		return tm.UnixNano()
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func toDecimal(v any, dt *arrow.Decimal128Type) (decimal128.Num, error) {
	switch x := v.(type) {
	case decimal128.Num:
		return x, nil
	case string:
		return decimal128.FromString(x, dt.Precision, dt.Scale)
	case float64:
		return decimal128.FromFloat64(x, dt.Precision, dt.Scale)
	case *big.Int:
		return decimal128.FromBigInt(x), nil
	}
	if i, ok := toInt64(v); ok {
		return decimal128.FromString(strconv.FormatInt(i, 10), dt.Precision, dt.Scale)
	}
	return decimal128.Num{}, fmt.Errorf("unsupported decimal literal")
}

// compareValues orders two normalised values of the same kind. ok is false
// when they are not comparable.
func compareValues(a, b any) (c int, ok bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y), true
		case float64:
			return cmp.Compare(float64(x), y), true
		}
	case uint64:
		switch y := b.(type) {
		case uint64:
			return cmp.Compare(x, y), true
		case int64:
			if y < 0 {
				return 1, true
			}
			return cmp.Compare(x, uint64(y)), true
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmp.Compare(x, y), true
		case int64:
			return cmp.Compare(x, float64(y)), true
		}
	case string:
		switch y := b.(type) {
		case string:
			return cmp.Compare(x, y), true
		case []byte:
			return bytes.Compare([]byte(x), y), true
		}
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Compare(x, y), true
		case string:
			return bytes.Compare(x, []byte(y)), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp.Compare(b2i(x), b2i(y)), true
		}
	case decimal128.Num:
		if y, ok := b.(decimal128.Num); ok {
			return x.Cmp(y), true
		}
	}
	return 0, false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// valueAt returns row i of arr in normalised form; ok is false for NULL.
func valueAt(arr arrow.Array, i int) (any, bool) {
	if arr.IsNull(i) {
		return nil, false
	}
	switch a := arr.(type) {
	case *array.Int8:
		return int64(a.Value(i)), true
	case *array.Int16:
		return int64(a.Value(i)), true
	case *array.Int32:
		return int64(a.Value(i)), true
	case *array.Int64:
		return a.Value(i), true
	case *array.Uint8:
		return uint64(a.Value(i)), true
	case *array.Uint16:
		return uint64(a.Value(i)), true
	case *array.Uint32:
		return uint64(a.Value(i)), true
	case *array.Uint64:
		return a.Value(i), true
	case *array.Float16:
		return float64(a.Value(i).Float32()), true
	case *array.Float32:
		return float64(a.Value(i)), true
	case *array.Float64:
		return a.Value(i), true
	case *array.String:
		return a.Value(i), true
	case *array.LargeString:
		return a.Value(i), true
	case *array.StringView:
		return a.Value(i), true
	case *array.Binary:
		return string(a.Value(i)), true
	case *array.LargeBinary:
		return string(a.Value(i)), true
	case *array.BinaryView:
		return string(a.Value(i)), true
	case *array.Boolean:
		return a.Value(i), true
	case *array.Date32:
		return int64(a.Value(i)), true
	case *array.Date64:
		return int64(a.Value(i)), true
	case *array.Timestamp:
		return int64(a.Value(i)), true
	case *array.Decimal128:
		return a.Value(i), true
	}
	return nil, false
}

func columnOf(rec arrow.RecordBatch, name string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: unknown column %q", ErrInvalidFilter, name)
	}
	return rec.Column(idx[0]), nil
}

func (c *Cmp) eval(rec arrow.RecordBatch) ([]truth, error) {
	col, err := columnOf(rec, c.Column)
	if err != nil {
		return nil, err
	}
	out := make([]truth, rec.NumRows())
	if c.Value == nil {
		for i := range out {
			out[i] = tUnknown
		}
		return out, nil
	}
	lit, err := normalizeLiteral(col.DataType(), c.Value)
	if err != nil {
		return nil, err
	}
	if fastCompare(col, c.Op, lit, out) {
		return out, nil
	}
	for i := range out {
		v, ok := valueAt(col, i)
		if !ok {
			out[i] = tUnknown
			continue
		}
		r, ok := compareValues(v, lit)
		if !ok {
			return nil, fmt.Errorf("%w: cannot compare %s with %s", ErrInvalidFilter, col.DataType(), literalString(c.Value))
		}
		out[i] = boolTruth(c.Op.holds(r))
	}
	return out, nil
}

// fastCompare handles the common column types without boxing each value.
func fastCompare(col arrow.Array, op CmpOp, lit any, out []truth) bool {
	switch a := col.(type) {
	case *array.Int64:
		l, ok := lit.(int64)
		if !ok {
			return false
		}
		vals := a.Int64Values()
		for i, v := range vals {
			out[i] = boolTruth(op.holds(cmp.Compare(v, l)))
		}
	case *array.Int32:
		l, ok := lit.(int64)
		if !ok {
			return false
		}
		vals := a.Int32Values()
		for i, v := range vals {
			out[i] = boolTruth(op.holds(cmp.Compare(int64(v), l)))
		}
	case *array.Float64:
		l, ok := lit.(float64)
		if !ok {
			return false
		}
		vals := a.Float64Values()
		for i, v := range vals {
			out[i] = boolTruth(op.holds(cmp.Compare(v, l)))
		}
	case *array.String:
		l, ok := lit.(string)
		if !ok {
			return false
		}
		for i := range out {
			out[i] = boolTruth(op.holds(cmp.Compare(a.Value(i), l)))
		}
	default:
		return false
	}
	if col.NullN() > 0 {
		for i := range out {
			if col.IsNull(i) {
				out[i] = tUnknown
			}
		}
	}
	return true
}

func boolTruth(b bool) truth {
	if b {
		return tTrue
	}
	return tFalse
}

func (c *InList) eval(rec arrow.RecordBatch) ([]truth, error) {
	col, err := columnOf(rec, c.Column)
	if err != nil {
		return nil, err
	}
	lits := make([]any, 0, len(c.Values))
	hasNull := false
	for _, v := range c.Values {
		if v == nil {
			hasNull = true
			continue
		}
		l, err := normalizeLiteral(col.DataType(), v)
		if err != nil {
			return nil, err
		}
		lits = append(lits, l)
	}
	// Hashable literals allow a set lookup; decimals fall back to a scan.
	set := make(map[any]struct{}, len(lits))
	hashable := true
	for _, l := range lits {
		if _, ok := l.(decimal128.Num); ok {
			hashable = false
		}
		set[l] = struct{}{}
	}
	out := make([]truth, rec.NumRows())
	for i := range out {
		v, ok := valueAt(col, i)
		if !ok {
			out[i] = tUnknown
			continue
		}
		found := false
		if hashable {
			if f, isF := v.(float64); isF {
				for _, l := range lits {
					if r, ok := compareValues(f, l); ok && r == 0 {
						found = true
						break
					}
				}
			} else {
				_, found = set[v]
			}
		} else {
			for _, l := range lits {
				if r, ok := compareValues(v, l); ok && r == 0 {
					found = true
					break
				}
			}
		}
		switch {
		case found:
			out[i] = tTrue
		case hasNull:
			out[i] = tUnknown
		default:
			out[i] = tFalse
		}
	}
	return out, nil
}

func (c *Null) eval(rec arrow.RecordBatch) ([]truth, error) {
	col, err := columnOf(rec, c.Column)
	if err != nil {
		return nil, err
	}
	out := make([]truth, rec.NumRows())
	for i := range out {
		out[i] = boolTruth(col.IsNull(i) != c.Negate)
	}
	return out, nil
}

func (a *AndExpr) eval(rec arrow.RecordBatch) ([]truth, error) {
	out := make([]truth, rec.NumRows())
	for i := range out {
		out[i] = tTrue
	}
	for _, e := range a.Args {
		r, err := e.eval(rec)
		if err != nil {
			return nil, err
		}
		for i, t := range r {
			switch {
			case out[i] == tFalse || t == tFalse:
				out[i] = tFalse
			case t == tUnknown:
				out[i] = tUnknown
			}
		}
	}
	return out, nil
}

func (o *OrExpr) eval(rec arrow.RecordBatch) ([]truth, error) {
	out := make([]truth, rec.NumRows())
	for _, e := range o.Args {
		r, err := e.eval(rec)
		if err != nil {
			return nil, err
		}
		for i, t := range r {
			switch {
			case out[i] == tTrue || t == tTrue:
				out[i] = tTrue
			case t == tUnknown:
				out[i] = tUnknown
			}
		}
	}
	return out, nil
}

func (n *NotExpr) eval(rec arrow.RecordBatch) ([]truth, error) {
	r, err := n.Arg.eval(rec)
	if err != nil {
		return nil, err
	}
	for i, t := range r {
		switch t {
		case tTrue:
			r[i] = tFalse
		case tFalse:
			r[i] = tTrue
		}
	}
	return r, nil
}

// Matches evaluates e on every row of rec and reports which rows satisfy it
// (true, not false or unknown).
func Matches(e Expr, rec arrow.RecordBatch) ([]bool, error) {
	out := make([]bool, rec.NumRows())
	if e == nil {
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	r, err := e.eval(rec)
	if err != nil {
		return nil, err
	}
	for i, t := range r {
		out[i] = t == tTrue
	}
	return out, nil
}
