// Package literal converts Go values, such as predicate literals, into the
// physical value an Arrow column of a given type stores.
//
// Bucket pruning (package bucket) and min/max pruning (package keyenc) both
// compare a literal with stored column values, so both must interpret the
// literal identically; this package is that single interpretation.
//
// A conversion either is exact or fails with ErrInvalidValue: a literal that
// no value of the column type can equal (an out-of-range integer, a float that
// a float32 column cannot hold, a timestamp finer than the column's unit, a
// decimal with more fractional digits than the scale or digits than the
// precision) is rejected rather than rounded, so callers never prune with a
// value that differs from the literal. Callers treat such an error as "cannot
// prune".
package literal
