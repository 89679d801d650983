package arrowconv

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// family groups the types that convert into one another.
type family int

const (
	famNone family = iota // converts only to an identical type
	famNumber
	famText
	famTimestamp
	famDate
)

func familyOf(t arrow.DataType) family {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256:
		return famNumber
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW,
		arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return famText
	case arrow.TIMESTAMP:
		return famTimestamp
	case arrow.DATE32, arrow.DATE64:
		return famDate
	}
	return famNone
}

// Castable reports whether the policy lets a column of type from convert
// to type to; CastColumn still checks every value.
func Castable(from, to arrow.DataType) bool {
	if arrow.TypeEqual(from, to) || from.ID() == arrow.NULL {
		return true
	}
	if d, ok := from.(*arrow.DictionaryType); ok {
		return Castable(d.ValueType, to)
	}
	f := familyOf(from)
	return f != famNone && f == familyOf(to)
}

// CastColumn converts arr to type to under the policy of the package
// documentation. It fails with ErrType when the types do not convert and
// with ErrLossy when a value would change. The result is arr itself
// (retained) when the types are identical.
func CastColumn(mem memory.Allocator, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := arr.DataType()
	if arrow.TypeEqual(from, to) {
		arr.Retain()
		return arr, nil
	}
	if !Castable(from, to) {
		return nil, fmt.Errorf("%w: cannot convert %s to %s", ErrType, from, TypeName(to))
	}
	if from.ID() == arrow.NULL {
		return array.MakeArrayOfNull(mem, to, arr.Len()), nil
	}
	if d, ok := from.(*arrow.DictionaryType); ok {
		plain, err := safeCast(mem, arr, d.ValueType)
		if err != nil {
			return nil, castError(from, to, err)
		}
		defer plain.Release()
		return CastColumn(mem, plain, to)
	}
	if isInt(from) {
		if dt, ok := to.(*arrow.Decimal128Type); ok && dt.Precision < 38 {
			// Arrow sizes an integer-to-decimal cast by the integer type,
			// not its values: go through the widest decimal of the same
			// scale, whose narrowing checks each value.
			wide, err := CastColumn(mem, arr, &arrow.Decimal128Type{Precision: 38, Scale: dt.Scale})
			if err != nil {
				return nil, err
			}
			defer wide.Release()
			return CastColumn(mem, wide, to)
		}
	}
	out, err := safeCast(mem, arr, to)
	if err != nil {
		return nil, castError(from, to, err)
	}
	if needsRoundTrip(from, to) {
		if row, changed := firstChanged(mem, arr, out); changed {
			out.Release()
			if row < 0 {
				return nil, fmt.Errorf("%w: cannot convert %s to %s exactly", ErrLossy, from, TypeName(to))
			}
			return nil, fmt.Errorf("%w: %s in row %d does not convert exactly to %s", ErrLossy, arr.ValueStr(row), row, TypeName(to))
		}
	}
	return out, nil
}

// CastRecord converts the columns of rec named by target, in target's
// order, to their types (CastColumn), and returns them as a record whose
// schema is target. A target column missing from rec is ErrMissingColumn;
// a NULL in a target field that is not nullable is ErrNull.
func CastRecord(mem memory.Allocator, rec arrow.RecordBatch, target []arrow.Field) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, len(target))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, f := range target {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%w: column %q", ErrMissingColumn, f.Name)
		}
		c, err := CastColumn(mem, rec.Column(idx[0]), f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		cols = append(cols, c)
		if !f.Nullable && c.NullN() > 0 {
			return nil, fmt.Errorf("%w: column %q is NULL in row %d", ErrNull, f.Name, FirstNull(c))
		}
	}
	return array.NewRecordBatch(arrow.NewSchema(target, nil), cols, rec.NumRows()), nil
}

// safeCast runs Arrow's cast with its value checks on.
func safeCast(mem memory.Allocator, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	ctx := compute.WithAllocator(context.Background(), mem)
	return compute.CastArray(ctx, arr, compute.SafeCastOptions(to))
}

// castError classifies an error of Arrow's cast: a conversion it does not
// implement is ErrType, a value it refuses is ErrLossy.
func castError(from, to arrow.DataType, err error) error {
	kind := ErrLossy
	if errors.Is(err, arrow.ErrNotImplemented) {
		kind = ErrType
	}
	return fmt.Errorf("%w: cannot convert %s to %s: %v", kind, from, TypeName(to), err)
}

func isInt(t arrow.DataType) bool {
	return arrow.IsInteger(t.ID())
}

func isFloat(t arrow.DataType) bool {
	return arrow.IsFloating(t.ID())
}

func isDecimal(t arrow.DataType) bool {
	return arrow.IsDecimal(t.ID())
}

// needsRoundTrip reports the numeric conversions whose values Arrow's safe
// cast does not check: float to decimal, decimal to float and a float into
// a narrower float.
func needsRoundTrip(from, to arrow.DataType) bool {
	switch {
	case isFloat(from) && isFloat(to):
		return bitWidth(to) < bitWidth(from)
	case isFloat(from):
		return isDecimal(to)
	case isFloat(to):
		return isDecimal(from)
	}
	return false
}

func bitWidth(t arrow.DataType) int {
	if fw, ok := t.(arrow.FixedWidthDataType); ok {
		return fw.BitWidth()
	}
	return 0
}

// firstChanged converts out back to the type of orig and reports whether
// some value differs from the original, and the first such row (-1 when
// the conversion back fails as a whole). NaN equals NaN.
func firstChanged(mem memory.Allocator, orig, out arrow.Array) (int, bool) {
	back, err := safeCast(mem, out, orig.DataType())
	if err != nil {
		return -1, true
	}
	defer back.Release()
	exact := []array.EqualOption{array.WithAbsTolerance(0), array.WithNaNsEqual(true)}
	if array.ApproxEqual(orig, back, exact...) {
		return 0, false
	}
	for i := 0; i < orig.Len(); i++ {
		if !array.SliceApproxEqual(orig, int64(i), int64(i+1), back, int64(i), int64(i+1), exact...) {
			return i, true
		}
	}
	return -1, true
}
