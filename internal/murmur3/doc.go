// Package murmur3 implements the 32-bit x86 variant of MurmurHash3 exactly as
// the Spark SQL hash() expression computes it.
//
// LakeSoul assigns a primary-key row to bucket pmod(hash(pk...), n) where hash
// starts from Seed and is chained across the key columns (the result for one
// column is the seed of the next). Files written by this project therefore land
// in the same buckets as files written by Spark or Flink, which requires
// bit-exact agreement with Spark's Murmur3_x86_32, including two quirks:
//
//   - HashLong mixes the low 32 bits of the value and then the high 32 bits
//     and finalizes with length 8.
//   - HashBytes (Spark's hashUnsafeBytes) mixes every remaining tail byte of
//     the input as a separate sign-extended 32-bit word, unlike the reference
//     MurmurHash3 tail handling.
//
// All functions are pure, allocation-free and safe for concurrent use.
package murmur3
