package bucket

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/lakesoul-io/lakesoul-flight/internal/murmur3"
)

// This file holds the per-value hash functions shared by Rows and Value.

// sparkMaxLongDigits is the largest decimal precision whose unscaled values
// Spark hashes as a long (Decimal.MAX_LONG_DIGITS).
const sparkMaxLongDigits = 18

func hashBool(b bool, seed uint32) uint32 {
	if b {
		return murmur3.HashInt(1, seed)
	}
	return murmur3.HashInt(0, seed)
}

// float32Bits is Java's Float.floatToIntBits with -0 mapped to 0, as Spark
// hashes floats.
func float32Bits(f float32) int32 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7fc00000
	}
	return int32(math.Float32bits(f))
}

// float64Bits is Java's Double.doubleToLongBits with -0 mapped to 0.
func float64Bits(f float64) int64 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7ff8000000000000
	}
	return int64(math.Float64bits(f))
}

// microsPer gives the multiplier from a timestamp unit to microseconds for
// the units coarser than a microsecond.
func microsPer(unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return 1_000_000
	case arrow.Millisecond:
		return 1_000
	}
	return 1
}

// floorDiv1000 converts nanoseconds to microseconds rounding toward negative
// infinity, like Spark's conversion of instants.
func floorDiv1000(v int64) int64 {
	q := v / 1000
	if v%1000 < 0 {
		q--
	}
	return q
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	if unit == arrow.Nanosecond {
		return floorDiv1000(v)
	}
	return v * microsPer(unit)
}

// hashDecimal hashes an unscaled decimal value of the given precision.
func hashDecimal(n decimal128.Num, precision int32, seed uint32) uint32 {
	if precision <= sparkMaxLongDigits {
		return murmur3.HashLong(int64(n.LowBits()), seed)
	}
	var buf [16]byte
	return murmur3.HashBytes(javaBytes(n, &buf), seed)
}

// javaBytes writes n as the minimal big-endian two's complement byte string,
// like Java's BigInteger.toByteArray (zero is one 0x00 byte), into buf and
// returns the used suffix of it.
func javaBytes(n decimal128.Num, buf *[16]byte) []byte {
	binary.BigEndian.PutUint64(buf[0:8], uint64(n.HighBits()))
	binary.BigEndian.PutUint64(buf[8:16], n.LowBits())
	b := buf[:]
	// A leading byte is redundant when it only repeats the sign of the next.
	for len(b) > 1 && ((b[0] == 0x00 && b[1]&0x80 == 0) || (b[0] == 0xff && b[1]&0x80 != 0)) {
		b = b[1:]
	}
	return b
}
