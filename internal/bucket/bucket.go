package bucket

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/internal/bucket/literal"
	"github.com/lakesoul-io/lakesoul-flight/internal/murmur3"
)

var (
	// ErrUnsupportedType reports a key column type that cannot be hashed.
	ErrUnsupportedType = literal.ErrUnsupportedType
	// ErrInvalidValue reports a Go value that does not convert exactly to its
	// key column type (see package literal).
	ErrInvalidValue = literal.ErrInvalidValue
	// ErrInvalidArgument reports inconsistent arguments: no key columns,
	// columns of different lengths, a short output or a non-positive bucket
	// count.
	ErrInvalidArgument = errors.New("bucket: invalid argument")
)

// Supported reports whether a key column of type t can be hashed.
func Supported(t arrow.DataType) bool { return literal.Supported(t) }

// Rows computes pmod(hash(pk...), n) for every row of the given key columns
// (all the same length) and writes it into out (len >= rows). Null values
// leave the running hash unchanged (Spark semantics). On error the contents
// of out are unspecified.
func Rows(cols []arrow.Array, n int, out []int32) error {
	if n <= 0 || n > 1<<31-1 {
		return fmt.Errorf("%w: bucket count %d", ErrInvalidArgument, n)
	}
	rows, err := check(cols, out)
	if err != nil {
		return err
	}
	d := newDivisor(n)
	// Work in chunks so that the running hashes stay in cache while every
	// key column is mixed in.
	for lo := 0; lo < rows; lo += chunkRows {
		h := out[lo:min(lo+chunkRows, rows)]
		if err := hashChunk(cols, lo, h); err != nil {
			return err
		}
		for i, v := range h {
			h[i] = d.pmod(v)
		}
	}
	return nil
}

// chunkRows is the number of rows hashed through all key columns at a time.
const chunkRows = 4096

// Hashes writes the raw chained hash of every row, as Spark's hash() returns
// it, into out (len >= rows). It is Rows without the final pmod.
func Hashes(cols []arrow.Array, out []int32) error {
	rows, err := check(cols, out)
	if err != nil {
		return err
	}
	for lo := 0; lo < rows; lo += chunkRows {
		if err := hashChunk(cols, lo, out[lo:min(lo+chunkRows, rows)]); err != nil {
			return err
		}
	}
	return nil
}

// hashChunk writes the chained hash of rows [lo, lo+len(h)) into h.
func hashChunk(cols []arrow.Array, lo int, h []int32) error {
	for i := range h {
		h[i] = murmur3.Seed
	}
	for _, c := range cols {
		if err := hashColumn(c, lo, h); err != nil {
			return err
		}
	}
	return nil
}

// check validates the columns and the output and returns the row count.
func check(cols []arrow.Array, out []int32) (int, error) {
	if len(cols) == 0 {
		return 0, fmt.Errorf("%w: no key columns", ErrInvalidArgument)
	}
	rows := cols[0].Len()
	for i, c := range cols {
		if c.Len() != rows {
			return 0, fmt.Errorf("%w: key column %d has %d rows, want %d", ErrInvalidArgument, i, c.Len(), rows)
		}
		if !Supported(c.DataType()) {
			return 0, fmt.Errorf("%w: key column %d: %v", ErrUnsupportedType, i, c.DataType())
		}
	}
	if len(out) < rows {
		return 0, fmt.Errorf("%w: output holds %d rows, need %d", ErrInvalidArgument, len(out), rows)
	}
	return rows, nil
}

// Value computes the bucket of one key given as Go values (for pruning by
// predicate literals). vals[i] must convert exactly to types[i] as described
// by literal.Convert; nil stands for null.
func Value(types []arrow.DataType, vals []any, n int) (int, error) {
	if n <= 0 || n > 1<<31-1 {
		return 0, fmt.Errorf("%w: bucket count %d", ErrInvalidArgument, n)
	}
	h, err := Hash(types, vals)
	if err != nil {
		return 0, err
	}
	return murmur3.Pmod(h, n), nil
}

// Hash returns Spark's hash() of one key given as Go values; see Value.
func Hash(types []arrow.DataType, vals []any) (int32, error) {
	if len(types) == 0 || len(types) != len(vals) {
		return 0, fmt.Errorf("%w: %d key types, %d values", ErrInvalidArgument, len(types), len(vals))
	}
	h := uint32(murmur3.Seed)
	for i, t := range types {
		v, err := literal.Convert(t, vals[i])
		if err != nil {
			return 0, fmt.Errorf("bucket: key column %d: %w", i, err)
		}
		if !v.Null {
			h = hashLiteral(t, v, h)
		}
	}
	return int32(h), nil
}

func hashLiteral(t arrow.DataType, v literal.Value, seed uint32) uint32 {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.DATE32:
		return murmur3.HashInt(int32(v.Int), seed)
	case arrow.INT64:
		return murmur3.HashLong(v.Int, seed)
	case arrow.UINT8, arrow.UINT16:
		return murmur3.HashInt(int32(v.Uint), seed)
	case arrow.UINT32, arrow.UINT64:
		return murmur3.HashLong(int64(v.Uint), seed)
	case arrow.TIMESTAMP:
		return murmur3.HashLong(toMicros(v.Int, t.(*arrow.TimestampType).Unit), seed)
	case arrow.BOOL:
		return hashBool(v.Bool, seed)
	case arrow.FLOAT32:
		return murmur3.HashInt(float32Bits(float32(v.Float)), seed)
	case arrow.FLOAT64:
		return murmur3.HashLong(float64Bits(v.Float), seed)
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return murmur3.HashBytes(v.Bytes, seed)
	case arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128:
		return hashDecimal(v.Dec, t.(arrow.DecimalType).GetPrecision(), seed)
	}
	// literal.Convert rejected every other type before we got here.
	panic("bucket: unreachable type " + t.String())
}
