package literaltest

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Types returns one instance of every supported key type, with the
// parameter variants that change behaviour (timestamp units, decimal
// precisions on both sides of 18 digits).
func Types() []arrow.DataType {
	return []arrow.DataType{
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64,
		arrow.FixedWidthTypes.Date32,
		&arrow.TimestampType{Unit: arrow.Second},
		&arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"},
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Asia/Shanghai"},
		&arrow.TimestampType{Unit: arrow.Nanosecond},
		arrow.FixedWidthTypes.Boolean,
		arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64,
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString,
		arrow.BinaryTypes.Binary, arrow.BinaryTypes.LargeBinary,
		&arrow.Decimal32Type{Precision: 9, Scale: 2},
		&arrow.Decimal64Type{Precision: 18, Scale: 4},
		&arrow.Decimal128Type{Precision: 18, Scale: 3},
		&arrow.Decimal128Type{Precision: 19, Scale: 0},
		&arrow.Decimal128Type{Precision: 38, Scale: 10},
	}
}

// RandomArray builds an array of type t with n random values, a fraction
// nullFrac of them null, and returns it with the same values as Go literals
// (nil for null). Values mix edge cases, a small domain (so that equal values
// occur) and the full range of the type. The caller releases the array.
func RandomArray(mem memory.Allocator, r *rand.Rand, t arrow.DataType, n int, nullFrac float64) (arrow.Array, []any) {
	b := array.NewBuilder(mem, t)
	defer b.Release()
	lits := make([]any, n)
	for i := range n {
		if r.Float64() < nullFrac {
			b.AppendNull()
			continue
		}
		lits[i] = appendRandom(r, b, t)
	}
	return b.NewArray(), lits
}

// pick returns 0 for an edge case, 1 for the small domain, 2 for full range.
func pick(r *rand.Rand) int {
	x := r.IntN(10)
	switch {
	case x < 2:
		return 0
	case x < 5:
		return 1
	}
	return 2
}

func randSigned(r *rand.Rand, lo, hi int64) int64 {
	switch pick(r) {
	case 0:
		return []int64{lo, hi, 0, -1, 1, lo + 1, hi - 1}[r.IntN(7)]
	case 1:
		return int64(r.IntN(7)) - 3
	}
	span := uint64(hi - lo)
	if span == math.MaxUint64 {
		return int64(r.Uint64())
	}
	return lo + int64(r.Uint64N(span+1))
}

func randUnsigned(r *rand.Rand, hi uint64) uint64 {
	switch pick(r) {
	case 0:
		return []uint64{0, 1, hi, hi - 1, hi / 2, hi/2 + 1}[r.IntN(6)]
	case 1:
		return uint64(r.IntN(4))
	}
	if hi == math.MaxUint64 {
		return r.Uint64()
	}
	return r.Uint64N(hi + 1)
}

// goInt returns v as one of several Go integer types.
func goInt(r *rand.Rand, v int64) any {
	switch r.IntN(3) {
	case 0:
		return int(v)
	case 1:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return int32(v)
		}
	}
	return v
}

func randFloat64(r *rand.Rand) float64 {
	switch pick(r) {
	case 0:
		return []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1),
			math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -1.5,
			math.Float64frombits(0xfff8000000000001)}[r.IntN(10)]
	case 1:
		return float64(r.IntN(5)-2) / 2
	}
	return math.Float64frombits(r.Uint64())
}

func randFloat32(r *rand.Rand) float32 {
	switch pick(r) {
	case 0:
		return []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)),
			float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
			math.Float32frombits(0xffc00001)}[r.IntN(9)]
	case 1:
		return float32(r.IntN(5)-2) / 2
	}
	return math.Float32frombits(r.Uint32())
}

func randBytes(r *rand.Rand, text bool) []byte {
	switch pick(r) {
	case 0, 1:
		return []byte([]string{"", "a", "ab", "b", "\xff", "a\x00", "abcd", "abcde"}[r.IntN(8)])
	}
	b := make([]byte, r.IntN(40))
	for i := range b {
		if text {
			b[i] = byte(' ' + r.IntN(95))
		} else {
			b[i] = byte(r.IntN(256))
		}
	}
	if text && len(b) > 2 && r.IntN(3) == 0 {
		b = append(b[:len(b)-2], "é"...)
	}
	return b
}

// randUnscaled returns a random unscaled decimal value with at most prec
// digits.
func randUnscaled(r *rand.Rand, prec int32) *big.Int {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec)), nil)
	maxV := new(big.Int).Sub(limit, big.NewInt(1))
	switch pick(r) {
	case 0:
		return []*big.Int{new(big.Int).Set(maxV), new(big.Int).Neg(maxV), big.NewInt(0), big.NewInt(-1), big.NewInt(1),
			big.NewInt(127), big.NewInt(128), big.NewInt(-128), big.NewInt(-129)}[r.IntN(9)]
	case 1:
		return big.NewInt(int64(r.IntN(7) - 3))
	}
	// A random digit count, then random digits, then a random sign.
	digits := make([]byte, 1+r.IntN(int(prec)))
	for i := range digits {
		digits[i] = byte('0' + r.IntN(10))
	}
	v, _ := new(big.Int).SetString(string(digits), 10)
	if r.IntN(2) == 0 {
		v.Neg(v)
	}
	return v
}

func appendRandom(r *rand.Rand, b array.Builder, t arrow.DataType) any {
	switch bb := b.(type) {
	case *array.Int8Builder:
		v := randSigned(r, math.MinInt8, math.MaxInt8)
		bb.Append(int8(v))
		return goInt(r, v)
	case *array.Int16Builder:
		v := randSigned(r, math.MinInt16, math.MaxInt16)
		bb.Append(int16(v))
		return goInt(r, v)
	case *array.Int32Builder:
		v := randSigned(r, math.MinInt32, math.MaxInt32)
		bb.Append(int32(v))
		return goInt(r, v)
	case *array.Int64Builder:
		v := randSigned(r, math.MinInt64, math.MaxInt64)
		bb.Append(v)
		return goInt(r, v)
	case *array.Uint8Builder:
		v := randUnsigned(r, math.MaxUint8)
		bb.Append(uint8(v))
		return uint8(v)
	case *array.Uint16Builder:
		v := randUnsigned(r, math.MaxUint16)
		bb.Append(uint16(v))
		return int(v)
	case *array.Uint32Builder:
		v := randUnsigned(r, math.MaxUint32)
		bb.Append(uint32(v))
		return uint32(v)
	case *array.Uint64Builder:
		v := randUnsigned(r, math.MaxUint64)
		bb.Append(v)
		return v
	case *array.Date32Builder:
		days := randSigned(r, -1_000_000, 1_000_000)
		bb.Append(arrow.Date32(days))
		// Any time of that UTC day names the same date.
		return time.Unix(days*86400+int64(r.IntN(86400)), 0).UTC()
	case *array.TimestampBuilder:
		v := randSigned(r, math.MinInt64, math.MaxInt64)
		if pick(r) != 2 {
			v = randSigned(r, -3_000_000, 3_000_000)
		}
		bb.Append(arrow.Timestamp(v))
		if r.IntN(4) == 0 {
			return arrow.Timestamp(v)
		}
		var tm time.Time
		switch t.(*arrow.TimestampType).Unit {
		case arrow.Second:
			tm = time.Unix(v, 0)
		case arrow.Millisecond:
			tm = time.UnixMilli(v)
		case arrow.Microsecond:
			tm = time.UnixMicro(v)
		default:
			tm = time.Unix(0, v)
		}
		return tm.In(time.FixedZone("z", 3600*(r.IntN(25)-12)))
	case *array.BooleanBuilder:
		v := r.IntN(2) == 1
		bb.Append(v)
		return v
	case *array.Float32Builder:
		v := randFloat32(r)
		bb.Append(v)
		if r.IntN(2) == 0 {
			return float64(v)
		}
		return v
	case *array.Float64Builder:
		v := randFloat64(r)
		bb.Append(v)
		return v
	case *array.StringBuilder:
		v := string(randBytes(r, true))
		bb.Append(v)
		return v
	case *array.LargeStringBuilder:
		v := randBytes(r, true)
		bb.Append(string(v))
		return v
	case *array.BinaryBuilder:
		v := randBytes(r, false)
		bb.Append(v)
		if r.IntN(2) == 0 {
			return string(v)
		}
		return v
	case *array.Decimal32Builder:
		dt := t.(*arrow.Decimal32Type)
		u := randUnscaled(r, dt.Precision)
		bb.Append(decimal.Decimal32(u.Int64()))
		if r.IntN(2) == 0 {
			return decimal.Decimal32(u.Int64())
		}
		return decimal128.FromBigInt(u).ToString(dt.Scale)
	case *array.Decimal64Builder:
		dt := t.(*arrow.Decimal64Type)
		u := randUnscaled(r, dt.Precision)
		bb.Append(decimal.Decimal64(u.Int64()))
		return decimal128.FromBigInt(u).ToString(dt.Scale)
	case *array.Decimal128Builder:
		dt := t.(*arrow.Decimal128Type)
		n := decimal128.FromBigInt(randUnscaled(r, dt.Precision))
		bb.Append(n)
		if r.IntN(2) == 0 {
			return n
		}
		return n.ToString(dt.Scale)
	}
	// LargeBinary shares BinaryBuilder; anything else is a missing case.
	panic(fmt.Sprintf("literaltest: no generator for %v (%T)", t, b))
}
