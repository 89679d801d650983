package bucket

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/lakesoul-io/lakesoul-flight/internal/murmur3"
)

// This file holds the vectorized kernels of Rows: one type switch per
// column, then a loop over the raw values. h holds the running hash of every
// row (as int32 bits) and is updated in place for non-null values.

// validity is a column's null bitmap; bits is nil when the column has no
// nulls, so the common case runs a loop without bitmap tests.
type validity struct {
	bits []byte
	off  int
}

func validityOf(a arrow.Array) validity {
	if a.NullN() == 0 {
		return validity{}
	}
	return validity{bits: a.NullBitmapBytes(), off: a.Data().Offset()}
}

func (v validity) valid(i int) bool { return bitutil.BitIsSet(v.bits, v.off+i) }

// from returns the validity of the rows starting at row lo.
func (v validity) from(lo int) validity {
	if v.bits == nil {
		return v
	}
	return validity{bits: v.bits, off: v.off + lo}
}

// varData returns the value buffer of a variable-length array; offsets index
// into it directly.
func varData(a arrow.Array) []byte {
	if b := a.Data().Buffers()[2]; b != nil {
		return b.Bytes()
	}
	return nil
}

// hashColumn mixes rows [lo, lo+len(h)) of col into h.
func hashColumn(col arrow.Array, lo int, h []int32) error {
	nv := validityOf(col).from(lo)
	switch a := col.(type) {
	case *array.Int8:
		hashInts(h, a.Int8Values()[lo:], nv)
	case *array.Int16:
		hashInts(h, a.Int16Values()[lo:], nv)
	case *array.Int32:
		hashInts(h, a.Int32Values()[lo:], nv)
	case *array.Date32:
		hashInts(h, a.Date32Values()[lo:], nv)
	case *array.Uint8:
		hashInts(h, a.Uint8Values()[lo:], nv)
	case *array.Uint16:
		hashInts(h, a.Uint16Values()[lo:], nv)
	case *array.Int64:
		hashLongs(h, a.Int64Values()[lo:], nv)
	case *array.Uint32:
		hashLongs(h, a.Uint32Values()[lo:], nv)
	case *array.Uint64:
		hashLongs(h, a.Uint64Values()[lo:], nv)
	case *array.Decimal32:
		hashLongs(h, a.Values()[lo:], nv)
	case *array.Decimal64:
		hashLongs(h, a.Values()[lo:], nv)
	case *array.Timestamp:
		hashTimestamps(h, a.TimestampValues()[lo:], a.DataType().(*arrow.TimestampType).Unit, nv)
	case *array.Boolean:
		hashBools(h, a, lo, nv)
	case *array.Float32:
		hashFloat32s(h, a.Float32Values()[lo:], nv)
	case *array.Float64:
		hashFloat64s(h, a.Float64Values()[lo:], nv)
	case *array.String:
		hashVar(h, a.ValueOffsets()[lo:], varData(a), nv)
	case *array.Binary:
		hashVar(h, a.ValueOffsets()[lo:], varData(a), nv)
	case *array.LargeString:
		hashVar(h, a.ValueOffsets()[lo:], varData(a), nv)
	case *array.LargeBinary:
		hashVar(h, a.ValueOffsets()[lo:], varData(a), nv)
	case *array.Decimal128:
		hashDecimals(h, a.Values()[lo:], a.DataType().(*arrow.Decimal128Type).Precision, nv)
	default:
		return fmt.Errorf("%w: array %T of %v", ErrUnsupportedType, col, col.DataType())
	}
	return nil
}

// hashInts hashes values Spark treats as int.
func hashInts[T ~int8 | ~int16 | ~int32 | ~uint8 | ~uint16](h []int32, vals []T, nv validity) {
	vals = vals[:len(h)]
	if nv.bits == nil {
		for i, v := range vals {
			h[i] = int32(murmur3.HashInt(int32(v), uint32(h[i])))
		}
		return
	}
	for i, v := range vals {
		if nv.valid(i) {
			h[i] = int32(murmur3.HashInt(int32(v), uint32(h[i])))
		}
	}
}

// hashLongs hashes values Spark treats as long; unsigned values are
// zero-extended and decimal32 values sign-extended first.
func hashLongs[T ~int64 | ~uint32 | ~uint64 | ~int32](h []int32, vals []T, nv validity) {
	vals = vals[:len(h)]
	if nv.bits == nil {
		for i, v := range vals {
			h[i] = int32(murmur3.HashLong(int64(v), uint32(h[i])))
		}
		return
	}
	for i, v := range vals {
		if nv.valid(i) {
			h[i] = int32(murmur3.HashLong(int64(v), uint32(h[i])))
		}
	}
}

func hashTimestamps(h []int32, vals []arrow.Timestamp, unit arrow.TimeUnit, nv validity) {
	vals = vals[:len(h)]
	switch unit {
	case arrow.Microsecond:
		hashLongs(h, vals, nv)
	case arrow.Nanosecond:
		for i, v := range vals {
			if nv.bits == nil || nv.valid(i) {
				h[i] = int32(murmur3.HashLong(floorDiv1000(int64(v)), uint32(h[i])))
			}
		}
	default:
		mul := microsPer(unit)
		for i, v := range vals {
			if nv.bits == nil || nv.valid(i) {
				h[i] = int32(murmur3.HashLong(int64(v)*mul, uint32(h[i])))
			}
		}
	}
}

func hashBools(h []int32, a *array.Boolean, lo int, nv validity) {
	data := a.Data()
	bits, off := data.Buffers()[1].Bytes(), data.Offset()+lo
	for i := range h {
		if nv.bits == nil || nv.valid(i) {
			h[i] = int32(hashBool(bitutil.BitIsSet(bits, off+i), uint32(h[i])))
		}
	}
}

func hashFloat32s(h []int32, vals []float32, nv validity) {
	vals = vals[:len(h)]
	for i, v := range vals {
		if nv.bits == nil || nv.valid(i) {
			h[i] = int32(murmur3.HashInt(float32Bits(v), uint32(h[i])))
		}
	}
}

func hashFloat64s(h []int32, vals []float64, nv validity) {
	vals = vals[:len(h)]
	for i, v := range vals {
		if nv.bits == nil || nv.valid(i) {
			h[i] = int32(murmur3.HashLong(float64Bits(v), uint32(h[i])))
		}
	}
}

// hashVar hashes variable-length values; offs has len(h)+1 entries indexing
// into data.
func hashVar[O int32 | int64](h []int32, offs []O, data []byte, nv validity) {
	offs = offs[:len(h)+1]
	if nv.bits == nil {
		for i := range h {
			h[i] = int32(murmur3.HashBytes(data[offs[i]:offs[i+1]], uint32(h[i])))
		}
		return
	}
	for i := range h {
		if nv.valid(i) {
			h[i] = int32(murmur3.HashBytes(data[offs[i]:offs[i+1]], uint32(h[i])))
		}
	}
}

func hashDecimals(h []int32, vals []decimal128.Num, precision int32, nv validity) {
	vals = vals[:len(h)]
	for i, v := range vals {
		if nv.bits == nil || nv.valid(i) {
			h[i] = int32(hashDecimal(v, precision, uint32(h[i])))
		}
	}
}
