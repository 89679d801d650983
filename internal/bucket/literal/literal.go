package literal

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

var (
	// ErrUnsupportedType reports an Arrow type outside the supported key types.
	ErrUnsupportedType = errors.New("literal: unsupported type")
	// ErrInvalidValue reports a Go value that does not convert exactly to the
	// column type.
	ErrInvalidValue = errors.New("literal: invalid value")
)

// Value is a literal in the physical representation of its column type. Which
// field is meaningful depends on the type:
//
//	int8..int64, date32 (days), timestamp (column unit)   Int
//	uint8..uint64                                         Uint
//	float32, float64                                      Float
//	bool                                                  Bool
//	string, large_string, binary, large_binary            Bytes
//	decimal32, decimal64, decimal128 (unscaled)           Dec
//
// Null is set, and every other field zero, for a nil input.
type Value struct {
	Null  bool
	Int   int64
	Uint  uint64
	Float float64
	Bool  bool
	Bytes []byte
	Dec   decimal128.Num
}

// Supported reports whether Convert handles type t.
func Supported(t arrow.DataType) bool {
	if t == nil {
		return false
	}
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.DATE32, arrow.TIMESTAMP, arrow.BOOL, arrow.FLOAT32, arrow.FLOAT64,
		arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128:
		return true
	}
	return false
}

// Convert converts v to the physical value of type t. Accepted Go values:
//
//   - integer types: any Go integer, or a float64/float32 holding an integral
//     value; the value must fit the column type.
//   - date32: time.Time (its calendar date in its own location), arrow.Date32,
//     or a Go integer counting days since 1970-01-01.
//   - timestamp: time.Time (an instant; it must be a whole number of the
//     column's unit), arrow.Timestamp or a Go integer in the column's unit.
//   - bool: bool.
//   - float32/float64: float32, float64 or a Go integer, exactly representable.
//   - string/binary: string or []byte ([]byte is referenced, not copied).
//   - decimals: decimal128.Num, decimal.Decimal32 or decimal.Decimal64 holding
//     the unscaled value; a Go integer, float64 or decimal string ("-12.50",
//     "1e3") holding the numeric value, which is scaled by 10^scale.
//   - nil: null, for every type.
func Convert(t arrow.DataType, v any) (Value, error) {
	if !Supported(t) {
		return Value{}, fmt.Errorf("%w: %v", ErrUnsupportedType, t)
	}
	if v == nil {
		return Value{Null: true}, nil
	}
	var (
		out Value
		err error
	)
	switch t.ID() {
	case arrow.INT8:
		out.Int, err = signed(v, math.MinInt8, math.MaxInt8)
	case arrow.INT16:
		out.Int, err = signed(v, math.MinInt16, math.MaxInt16)
	case arrow.INT32:
		out.Int, err = signed(v, math.MinInt32, math.MaxInt32)
	case arrow.INT64:
		out.Int, err = signed(v, math.MinInt64, math.MaxInt64)
	case arrow.UINT8:
		out.Uint, err = unsigned(v, math.MaxUint8)
	case arrow.UINT16:
		out.Uint, err = unsigned(v, math.MaxUint16)
	case arrow.UINT32:
		out.Uint, err = unsigned(v, math.MaxUint32)
	case arrow.UINT64:
		out.Uint, err = unsigned(v, math.MaxUint64)
	case arrow.DATE32:
		out.Int, err = date32(v)
	case arrow.TIMESTAMP:
		out.Int, err = timestamp(t.(*arrow.TimestampType).Unit, v)
	case arrow.BOOL:
		b, ok := v.(bool)
		if !ok {
			err = errors.New("want bool")
		}
		out.Bool = b
	case arrow.FLOAT32:
		out.Float, err = float(v, true)
	case arrow.FLOAT64:
		out.Float, err = float(v, false)
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		switch s := v.(type) {
		case string:
			out.Bytes = []byte(s)
		case []byte:
			out.Bytes = s
		default:
			err = errors.New("want string or []byte")
		}
	case arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128:
		dt := t.(arrow.DecimalType)
		out.Dec, err = decimalValue(dt.GetPrecision(), dt.GetScale(), v)
	}
	if err != nil {
		return Value{}, fmt.Errorf("%w: %T %v as %v: %v", ErrInvalidValue, v, v, t, err)
	}
	return out, nil
}

// integer extracts a Go integer. For unsigned Go types isU is set and u holds
// the value; otherwise i does. Integral floats are accepted as signed values.
func integer(v any) (i int64, u uint64, isU bool, err error) {
	switch x := v.(type) {
	case int:
		return int64(x), 0, false, nil
	case int8:
		return int64(x), 0, false, nil
	case int16:
		return int64(x), 0, false, nil
	case int32:
		return int64(x), 0, false, nil
	case int64:
		return x, 0, false, nil
	case uint:
		return 0, uint64(x), true, nil
	case uint8:
		return 0, uint64(x), true, nil
	case uint16:
		return 0, uint64(x), true, nil
	case uint32:
		return 0, uint64(x), true, nil
	case uint64:
		return 0, x, true, nil
	case float32:
		return integralFloat(float64(x))
	case float64:
		return integralFloat(x)
	}
	return 0, 0, false, errors.New("want an integer")
}

func integralFloat(f float64) (int64, uint64, bool, error) {
	// 2^63 is the first float64 beyond the int64 range.
	if f != math.Trunc(f) || f < math.MinInt64 || f >= 1<<63 {
		if f >= 1<<63 && f < 1<<64 && f == math.Trunc(f) {
			return 0, uint64(f), true, nil
		}
		return 0, 0, false, errors.New("not an integral value in range")
	}
	return int64(f), 0, false, nil
}

func signed(v any, lo, hi int64) (int64, error) {
	i, u, isU, err := integer(v)
	if err != nil {
		return 0, err
	}
	if isU {
		if u > uint64(hi) {
			return 0, errors.New("out of range")
		}
		return int64(u), nil
	}
	if i < lo || i > hi {
		return 0, errors.New("out of range")
	}
	return i, nil
}

func unsigned(v any, hi uint64) (uint64, error) {
	i, u, isU, err := integer(v)
	if err != nil {
		return 0, err
	}
	if !isU {
		if i < 0 {
			return 0, errors.New("out of range")
		}
		u = uint64(i)
	}
	if u > hi {
		return 0, errors.New("out of range")
	}
	return u, nil
}

func date32(v any) (int64, error) {
	switch x := v.(type) {
	case time.Time:
		y, m, d := x.Date()
		days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
		if days < math.MinInt32 || days > math.MaxInt32 {
			return 0, errors.New("out of range")
		}
		return days, nil
	case arrow.Date32:
		return int64(x), nil
	}
	return signed(v, math.MinInt32, math.MaxInt32)
}

func timestamp(unit arrow.TimeUnit, v any) (int64, error) {
	switch x := v.(type) {
	case time.Time:
		var perSec, nsPerUnit int64
		switch unit {
		case arrow.Second:
			perSec, nsPerUnit = 1, 1e9
		case arrow.Millisecond:
			perSec, nsPerUnit = 1e3, 1e6
		case arrow.Microsecond:
			perSec, nsPerUnit = 1e6, 1e3
		default:
			perSec, nsPerUnit = 1e9, 1
		}
		ns := int64(x.Nanosecond())
		if ns%nsPerUnit != 0 {
			return 0, fmt.Errorf("finer than unit %v", unit)
		}
		// sec*perSec + ns/nsPerUnit, exact near the ends of the int64 range.
		r := new(big.Int).Mul(big.NewInt(x.Unix()), big.NewInt(perSec))
		r.Add(r, big.NewInt(ns/nsPerUnit))
		if !r.IsInt64() {
			return 0, errors.New("out of range")
		}
		return r.Int64(), nil
	case arrow.Timestamp:
		return int64(x), nil
	}
	return signed(v, math.MinInt64, math.MaxInt64)
}

func float(v any, single bool) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	default:
		i, u, isU, err := integer(v)
		if err != nil {
			return 0, errors.New("want a float or an integer")
		}
		if isU {
			f = float64(u)
			if f >= 1<<64 || uint64(f) != u {
				return 0, errors.New("not exactly representable")
			}
		} else {
			f = float64(i)
			if f >= 1<<63 || int64(f) != i {
				return 0, errors.New("not exactly representable")
			}
		}
	}
	if single && !math.IsNaN(f) && float64(float32(f)) != f {
		return 0, errors.New("not exactly representable as float32")
	}
	return f, nil
}

var ten = big.NewInt(10)

// maxExponent bounds the decimal exponent a literal may carry, so that a
// hostile literal such as "1e999999999" cannot make the conversion expensive.
const maxExponent = 200

func decimalValue(prec, scale int32, v any) (decimal128.Num, error) {
	var text string
	switch x := v.(type) {
	case decimal128.Num:
		return checkDigits(x.BigInt(), prec)
	case decimal.Decimal32:
		return checkDigits(big.NewInt(int64(x)), prec)
	case decimal.Decimal64:
		return checkDigits(big.NewInt(int64(x)), prec)
	case string:
		text = x
	case float32, float64:
		f, _ := float(v, false)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return decimal128.Num{}, errors.New("not a finite number")
		}
		// The shortest decimal that reads back as f: 0.1 means 0.1.
		text = strconv.FormatFloat(f, 'g', -1, 64)
	default:
		i, u, isU, err := integer(v)
		if err != nil {
			return decimal128.Num{}, errors.New("want a decimal, an integer, a float or a decimal string")
		}
		if isU {
			text = strconv.FormatUint(u, 10)
		} else {
			text = strconv.FormatInt(i, 10)
		}
	}
	unscaled, err := parseScaled(text, scale)
	if err != nil {
		return decimal128.Num{}, err
	}
	return checkDigits(unscaled, prec)
}

func checkDigits(unscaled *big.Int, prec int32) (decimal128.Num, error) {
	bound := new(big.Int).Exp(ten, big.NewInt(int64(prec)), nil)
	if new(big.Int).Abs(unscaled).Cmp(bound) >= 0 {
		return decimal128.Num{}, fmt.Errorf("more than %d digits", prec)
	}
	return decimal128.FromBigInt(unscaled), nil
}

// parseScaled parses a decimal number ([+-]digits[.digits][e[+-]digits]) and
// returns its value times 10^scale, which must be an integer.
func parseScaled(s string, scale int32) (*big.Int, error) {
	bad := errors.New("not a decimal number")
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > maxExponent || e < -maxExponent {
			return nil, bad
		}
		exp, s = e, s[:i]
	}
	intPart, fracPart, _ := strings.Cut(s, ".")
	digits := intPart + fracPart
	if digits == "" {
		return nil, bad
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, bad
		}
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return new(big.Int), nil
	}
	// value = digits * 10^shift
	shift := exp - len(fracPart) + int(scale)
	if shift < 0 {
		drop := -shift
		if drop > len(digits) || strings.TrimRight(digits[len(digits)-drop:], "0") != "" {
			return nil, errors.New("more fractional digits than the scale")
		}
		digits, shift = digits[:len(digits)-drop], 0
	}
	if len(digits)+shift > 2*decimal128.MaxPrecision {
		return nil, errors.New("too many digits")
	}
	n, _ := new(big.Int).SetString(digits, 10)
	if shift > 0 {
		n.Mul(n, new(big.Int).Exp(ten, big.NewInt(int64(shift)), nil))
	}
	if neg {
		n.Neg(n)
	}
	return n, nil
}
