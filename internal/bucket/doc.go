// Package bucket computes LakeSoul hash buckets of primary keys.
//
// The bucket of a row is pmod(h, n) where h is Spark's hash() of the primary
// key columns in key order: h starts at murmur3.Seed, each non-null key value
// is hashed with the running h as its seed, and a null value leaves h
// unchanged. Per type (Spark semantics unless noted):
//
//	int8, int16, int32, date32        HashInt(v)
//	int64                             HashLong(v)
//	timestamp (any unit, any zone)    HashLong(microseconds since the epoch), floor-divided from ns
//	bool                              HashInt(1 or 0)
//	float32                           HashInt(IEEE bits), -0 hashed as 0, NaN canonical
//	float64                           HashLong(IEEE bits), -0 hashed as 0, NaN canonical
//	string, binary (and large)        HashBytes(bytes)
//	decimal, precision <= 18          HashLong(unscaled value)
//	decimal, precision > 18           HashBytes(unscaled value as Java BigInteger.toByteArray)
//	uint8, uint16                     HashInt(v)         (no Spark equivalent)
//	uint32, uint64                    HashLong(int64(v)) (no Spark equivalent)
//
// Rows is the vectorized path used by writers; Value is the scalar path used
// to prune buckets with predicate literals. Both share the per-type hash
// functions, and tests check that they agree for every supported type.
//
// Rows performs one type switch per column and then runs a tight loop over the
// column's buffers: it makes no per-row interface calls and no allocations.
package bucket
