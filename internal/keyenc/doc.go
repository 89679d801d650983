// Package keyenc encodes single key values into byte strings whose bytewise
// order (bytes.Compare) equals the order of the values.
//
// Writers store the encoded minimum and maximum of the first primary-key
// column in each data file's metadata; scan planning encodes predicate
// literals of the same column type with AppendValue and prunes files by
// comparing bytes. Only values of one column type are ever compared, so the
// encoding carries no type tag and strings need no terminator.
//
// Encodings, by column type:
//
//	int8..int64, date32, timestamp     8 bytes big-endian, sign bit flipped
//	  (timestamps in the column's own unit, dates in days)
//	decimal32, decimal64               8 bytes: unscaled value as int64, as above
//	decimal128                         16 bytes: unscaled 128-bit value, sign bit flipped
//	uint8..uint64                      8 bytes big-endian
//	bool                               1 byte, 0 or 1
//	float64 / float32                  8 / 4 bytes: IEEE bits, all bits inverted when
//	                                   negative, else sign bit set
//	string, binary (and large)         the raw bytes
//
// Floats are canonicalized first so that the order matches SQL comparison:
// -0 encodes as +0, and every NaN encodes as the same value, above +Inf.
//
// Encoding appends to a caller-provided buffer and allocates only when that
// buffer grows.
package keyenc
