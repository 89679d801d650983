package arrowconv

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// AppendValue appends v to b, converting it to the builder's type where the
// package documentation allows. A nil v appends NULL. Nothing is appended
// when it fails.
func AppendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	t := b.Type()
	bad := func() error {
		return fmt.Errorf("%w: cannot store %s (%T) in a %s column", ErrValue, describe(v), v, TypeName(t))
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
			return outOfRange(i, t)
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
	case *array.Uint8Builder, *array.Uint16Builder, *array.Uint32Builder, *array.Uint64Builder:
		u, ok := v.(uint64)
		if !ok {
			i, ok := intValue(v)
			if !ok {
				return bad()
			}
			if i < 0 {
				return outOfRange(i, t)
			}
			u = uint64(i)
		}
		if u > uintMax(t) {
			return outOfRange(u, t)
		}
		switch b := b.(type) {
		case *array.Uint8Builder:
			b.Append(uint8(u))
		case *array.Uint16Builder:
			b.Append(uint16(u))
		case *array.Uint32Builder:
			b.Append(uint32(u))
		case *array.Uint64Builder:
			b.Append(u)
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
		n, ok, err := decimalValue(v, t.(*arrow.Decimal128Type))
		switch {
		case !ok:
			return bad()
		case err != nil:
			return err
		}
		b.Append(n)
	case *array.StringBuilder, *array.LargeStringBuilder, *array.StringViewBuilder:
		s, ok := textValue(v)
		if !ok {
			return bad()
		}
		b.(interface{ Append(string) }).Append(s)
	case *array.BinaryBuilder, *array.BinaryViewBuilder:
		var p []byte
		switch x := v.(type) {
		case []byte:
			p = x
		case string:
			p = []byte(x)
		default:
			return bad()
		}
		b.(interface{ Append([]byte) }).Append(p)
	case *array.Date32Builder:
		if d, ok := v.(arrow.Date32); ok {
			b.Append(d)
			return nil
		}
		tm, ok := timeValue(v)
		if !ok {
			return bad()
		}
		b.Append(arrow.Date32FromTime(tm))
	case *array.TimestampBuilder:
		if ts, ok := v.(arrow.Timestamp); ok {
			b.Append(ts)
			return nil
		}
		tm, ok := timeValue(v)
		if !ok {
			return bad()
		}
		ts, err := arrow.TimestampFromTime(tm, t.(*arrow.TimestampType).Unit)
		if err != nil {
			return fmt.Errorf("%w: %s is out of range for a %s column", ErrValue, tm, TypeName(t))
		}
		b.Append(ts)
	default:
		return fmt.Errorf("%w: columns of type %s cannot take literal values", ErrUnsupported, t)
	}
	return nil
}

// describe renders v for an error message: strings quoted.
func describe(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

func outOfRange(n any, t arrow.DataType) error {
	return fmt.Errorf("%w: %d is out of range for a %s column", ErrValue, n, TypeName(t))
}

// intRange is the range of a signed integer type.
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

// uintMax is the largest value of an unsigned integer type.
func uintMax(t arrow.DataType) uint64 {
	switch t.ID() {
	case arrow.UINT8:
		return math.MaxUint8
	case arrow.UINT16:
		return math.MaxUint16
	case arrow.UINT32:
		return math.MaxUint32
	}
	return math.MaxUint64
}

// goInt converts a Go integer of any width to int64; ok is false for other
// values and for a uint64 above math.MaxInt64.
func goInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// intValue converts v to an integer: Go integers, integral floats, decimal
// text and booleans (0 or 1).
func intValue(v any) (int64, bool) {
	if i, ok := goInt(v); ok {
		return i, true
	}
	switch x := v.(type) {
	case float64:
		return int64(x), x == math.Trunc(x) && math.Abs(x) < 1<<63
	case float32:
		f := float64(x)
		return int64(f), f == math.Trunc(f) && math.Abs(f) < 1<<63
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

// floatValue converts v to a float: floats, Go integers and numeric text.
func floatValue(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	if i, ok := goInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// decimalValue converts v to a decimal of type dt: decimal text, Go
// integers and floats, checked against the precision, or a decimal128.Num,
// the unscaled value as it is. ok is false for other kinds of
// value; err reports a value that does not fit.
func decimalValue(v any, dt *arrow.Decimal128Type) (n decimal128.Num, ok bool, err error) {
	var text string
	switch x := v.(type) {
	case decimal128.Num:
		return x, true, nil // the builder's own type: stored as it is
	case string:
		text = x
	case uint64:
		text = strconv.FormatUint(x, 10)
	case float64:
		text = strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		text = strconv.FormatFloat(float64(x), 'f', -1, 32)
	default:
		i, isInt := goInt(v)
		if !isInt {
			return n, false, nil
		}
		text = strconv.FormatInt(i, 10)
	}
	n, err = decimal128.FromString(strings.TrimSpace(text), dt.Precision, dt.Scale)
	if err != nil {
		return n, true, fmt.Errorf("%w: %s does not fit a %s column: %v", ErrValue, text, TypeName(dt), err)
	}
	if !n.FitsInPrecision(dt.Precision) {
		return n, true, fmt.Errorf("%w: %s does not fit a %s column", ErrValue, text, TypeName(dt))
	}
	return n, true, nil
}

// textValue renders v as text: strings and bytes as they are, numbers,
// booleans and times in their SQL form.
func textValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case bool, uint64:
		return fmt.Sprint(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	case time.Time:
		return x.Format("2006-01-02 15:04:05.999999"), true
	}
	if i, ok := goInt(v); ok {
		return strconv.FormatInt(i, 10), true
	}
	return "", false
}

// timeValue converts v to a time: a time.Time, or text ParseTime reads.
func timeValue(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		tm, err := ParseTime(x)
		return tm, err == nil
	}
	return time.Time{}, false
}
