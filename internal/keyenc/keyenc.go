package keyenc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/lakesoul-io/lakesoul-flight/internal/bucket/literal"
)

var (
	// ErrUnsupportedType reports a column type without an order-preserving
	// encoding.
	ErrUnsupportedType = literal.ErrUnsupportedType
	// ErrInvalidValue reports a null value, an index out of range, or a Go
	// value that does not convert exactly to the column type.
	ErrInvalidValue = literal.ErrInvalidValue
)

// Supported reports whether values of type t can be encoded.
func Supported(t arrow.DataType) bool { return literal.Supported(t) }

// Append appends the order-preserving encoding of arr[i] (must be non-null)
// to dst.
func Append(dst []byte, arr arrow.Array, i int) ([]byte, error) {
	if i < 0 || i >= arr.Len() {
		return dst, fmt.Errorf("%w: index %d of %d values", ErrInvalidValue, i, arr.Len())
	}
	if arr.IsNull(i) {
		return dst, fmt.Errorf("%w: null at index %d", ErrInvalidValue, i)
	}
	switch a := arr.(type) {
	case *array.Int8:
		return appendInt(dst, int64(a.Value(i))), nil
	case *array.Int16:
		return appendInt(dst, int64(a.Value(i))), nil
	case *array.Int32:
		return appendInt(dst, int64(a.Value(i))), nil
	case *array.Int64:
		return appendInt(dst, a.Value(i)), nil
	case *array.Date32:
		return appendInt(dst, int64(a.Value(i))), nil
	case *array.Timestamp:
		return appendInt(dst, int64(a.Value(i))), nil
	case *array.Decimal32:
		return appendInt(dst, int64(a.Value(i))), nil
	case *array.Decimal64:
		return appendInt(dst, int64(a.Value(i))), nil
	case *array.Decimal128:
		return appendDecimal(dst, a.Value(i)), nil
	case *array.Uint8:
		return binary.BigEndian.AppendUint64(dst, uint64(a.Value(i))), nil
	case *array.Uint16:
		return binary.BigEndian.AppendUint64(dst, uint64(a.Value(i))), nil
	case *array.Uint32:
		return binary.BigEndian.AppendUint64(dst, uint64(a.Value(i))), nil
	case *array.Uint64:
		return binary.BigEndian.AppendUint64(dst, a.Value(i)), nil
	case *array.Boolean:
		return appendBool(dst, a.Value(i)), nil
	case *array.Float32:
		return appendFloat32(dst, a.Value(i)), nil
	case *array.Float64:
		return appendFloat64(dst, a.Value(i)), nil
	case *array.String:
		return append(dst, a.Value(i)...), nil
	case *array.LargeString:
		return append(dst, a.Value(i)...), nil
	case *array.Binary:
		return append(dst, a.Value(i)...), nil
	case *array.LargeBinary:
		return append(dst, a.Value(i)...), nil
	}
	return dst, fmt.Errorf("%w: array %T of %v", ErrUnsupportedType, arr, arr.DataType())
}

// AppendValue appends the encoding of the Go value v taken as a value of
// type t, with the conversions of literal.Convert (the same as
// bucket.Value). v must not be nil. The result equals Append of an array of
// type t holding the same value.
func AppendValue(dst []byte, t arrow.DataType, v any) ([]byte, error) {
	lv, err := literal.Convert(t, v)
	if err != nil {
		return dst, fmt.Errorf("keyenc: %w", err)
	}
	if lv.Null {
		return dst, fmt.Errorf("%w: null has no encoding", ErrInvalidValue)
	}
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.TIMESTAMP:
		return appendInt(dst, lv.Int), nil
	case arrow.DECIMAL32, arrow.DECIMAL64:
		return appendInt(dst, int64(lv.Dec.LowBits())), nil
	case arrow.DECIMAL128:
		return appendDecimal(dst, lv.Dec), nil
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return binary.BigEndian.AppendUint64(dst, lv.Uint), nil
	case arrow.BOOL:
		return appendBool(dst, lv.Bool), nil
	case arrow.FLOAT32:
		return appendFloat32(dst, float32(lv.Float)), nil
	case arrow.FLOAT64:
		return appendFloat64(dst, lv.Float), nil
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return append(dst, lv.Bytes...), nil
	}
	return dst, errors.New("keyenc: unreachable type " + t.String())
}

const signBit = 1 << 63

func appendInt(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^signBit)
}

func appendDecimal(dst []byte, n decimal128.Num) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(n.HighBits())^signBit)
	return binary.BigEndian.AppendUint64(dst, n.LowBits())
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func appendFloat64(dst []byte, f float64) []byte {
	var u uint64
	switch {
	case f == 0:
		u = 0
	case f != f:
		u = 0x7ff8000000000000
	default:
		u = math.Float64bits(f)
	}
	if u&signBit != 0 {
		u = ^u
	} else {
		u |= signBit
	}
	return binary.BigEndian.AppendUint64(dst, u)
}

func appendFloat32(dst []byte, f float32) []byte {
	var u uint32
	switch {
	case f == 0:
		u = 0
	case f != f:
		u = 0x7fc00000
	default:
		u = math.Float32bits(f)
	}
	if u&(1<<31) != 0 {
		u = ^u
	} else {
		u |= 1 << 31
	}
	return binary.BigEndian.AppendUint32(dst, u)
}
