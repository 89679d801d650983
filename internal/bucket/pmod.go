package bucket

import "math/bits"

// divisor computes pmod(v, n) for a fixed n in 1..2^31-1 without a hardware
// division, using Lemire's multiply-based remainder for 32-bit operands
// ("Faster Remainder by Direct Computation", 2019). The bucket loop of Rows
// spends most of its time in this reduction otherwise.
type divisor struct {
	n uint64
	m uint64 // ceil(2^64 / n)
}

func newDivisor(n int) divisor {
	return divisor{n: uint64(n), m: ^uint64(0)/uint64(n) + 1}
}

// mod returns u mod n for any 32-bit u.
func (d divisor) mod(u uint32) uint32 {
	hi, _ := bits.Mul64(d.m*uint64(u), d.n)
	return uint32(hi)
}

// pmod returns the non-negative remainder of v divided by n. A negative v is
// -(u+1) with u = ^v >= 0, and -(u+1) mod n = n-1-(u mod n); the sign mask s
// selects that form without a branch.
func (d divisor) pmod(v int32) int32 {
	s := v >> 31
	r := int32(d.mod(uint32(v ^ s)))
	return (r ^ s) + (s & int32(d.n))
}
