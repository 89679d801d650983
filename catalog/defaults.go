package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Field metadata keys the catalog sets on columns added by AlterSchema.
const (
	// DefaultKey holds a column's default value as text.
	DefaultKey = "lakesoul.default"
	// AddedInKey holds the schema id that added the column. Files written
	// under an older schema cannot hold it; readers give their rows the
	// column's default.
	AddedInKey = "lakesoul.added_in_schema"
)

// DefaultOf returns a column's default as text, when it has one.
func DefaultOf(f arrow.Field) (string, bool) {
	return f.Metadata.GetValue(DefaultKey)
}

// AddedIn returns the schema id that added a column, or 0 when it was part
// of the table since its creation.
func AddedIn(f arrow.Field) int64 {
	v, ok := f.Metadata.GetValue(AddedInKey)
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// DefaultArray returns an array of n copies of a column's default, typed
// as the column; ok is false when the column has no default.
func DefaultArray(mem memory.Allocator, f arrow.Field, n int) (_ arrow.Array, ok bool, _ error) {
	text, ok := DefaultOf(f)
	if !ok {
		return nil, false, nil
	}
	one, err := parseDefault(mem, text, f.Type)
	if err != nil {
		return nil, true, fmt.Errorf("column %q: %w", f.Name, err)
	}
	defer one.Release()
	if n == 1 {
		one.Retain()
		return one, true, nil
	}
	chunks := make([]arrow.Array, n)
	for i := range chunks {
		chunks[i] = one
	}
	if n == 0 {
		return array.MakeArrayOfNull(mem, f.Type, 0), true, nil
	}
	out, err := array.Concatenate(chunks, mem)
	if err != nil {
		return nil, true, fmt.Errorf("column %q: %w", f.Name, err)
	}
	return out, true, nil
}

// defaultTimeLayouts are the accepted forms of date and timestamp defaults;
// without a zone the time is UTC.
var defaultTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02",
}

func parseDefaultTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range defaultTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date or timestamp (use YYYY-MM-DD[ HH:MM:SS[.ffffff][+HH:MM]])", s)
}

// parseDefault converts the text of a default to a one-element array of
// type t.
func parseDefault(mem memory.Allocator, text string, t arrow.DataType) (arrow.Array, error) {
	switch dt := t.(type) {
	case *arrow.StringType:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.Append(text)
		return b.NewArray(), nil
	case *arrow.LargeStringType:
		b := array.NewLargeStringBuilder(mem)
		defer b.Release()
		b.Append(text)
		return b.NewArray(), nil
	case *arrow.BinaryType:
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		defer b.Release()
		b.Append([]byte(text))
		return b.NewArray(), nil
	case *arrow.Date32Type:
		tm, err := parseDefaultTime(text)
		if err != nil {
			return nil, err
		}
		b := array.NewDate32Builder(mem)
		defer b.Release()
		b.Append(arrow.Date32FromTime(tm))
		return b.NewArray(), nil
	case *arrow.TimestampType:
		tm, err := parseDefaultTime(text)
		if err != nil {
			return nil, err
		}
		ts, err := arrow.TimestampFromTime(tm, dt.Unit)
		if err != nil {
			return nil, fmt.Errorf("%q is out of range for %s", text, t)
		}
		b := array.NewTimestampBuilder(mem, dt)
		defer b.Release()
		b.Append(ts)
		return b.NewArray(), nil
	case *arrow.Decimal128Type:
		n, err := decimal128.FromString(strings.TrimSpace(text), dt.Precision, dt.Scale)
		if err != nil || !n.FitsInPrecision(dt.Precision) {
			return nil, fmt.Errorf("%q is not a %s value", text, t)
		}
		b := array.NewDecimal128Builder(mem, dt)
		defer b.Release()
		b.Append(n)
		return b.NewArray(), nil
	}
	switch {
	case isInteger(t), isFloat(t), t.ID() == arrow.BOOL:
	default:
		return nil, fmt.Errorf("columns of type %s cannot have a default", t)
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Append(strings.TrimSpace(text))
	s := b.NewArray()
	defer s.Release()
	out, err := compute.CastArray(compute.WithAllocator(context.Background(), mem), s, compute.SafeCastOptions(t))
	if err != nil {
		return nil, fmt.Errorf("%q is not a %s value", text, t)
	}
	return out, nil
}
