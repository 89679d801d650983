package murmur3

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Seed is the seed of Spark's hash() expression and of LakeSoul bucketing.
const Seed = 42

const (
	c1 = 0xcc9e2d51
	c2 = 0x1b873593
)

func mixK1(k uint32) uint32 {
	k *= c1
	k = bits.RotateLeft32(k, 15)
	return k * c2
}

func mixH1(h, k uint32) uint32 {
	h ^= k
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64
}

// fmix finalizes h after mixing length bytes of input.
func fmix(h uint32, length int) uint32 {
	h ^= uint32(length)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// HashInt hashes a 32-bit value; it equals Spark's Murmur3_x86_32.hashInt.
// Spark hashes byte, short, int, date and boolean (as 1 or 0) values this way.
func HashInt(v int32, seed uint32) uint32 {
	return fmix(mixH1(seed, mixK1(uint32(v))), 4)
}

// HashLong hashes a 64-bit value; it equals Spark's Murmur3_x86_32.hashLong.
// The low 32 bits are mixed first, then the high 32 bits.
func HashLong(v int64, seed uint32) uint32 {
	h := mixH1(seed, mixK1(uint32(v)))
	h = mixH1(h, mixK1(uint32(uint64(v)>>32)))
	return fmix(h, 8)
}

// HashBytes hashes b like Spark's Murmur3_x86_32.hashUnsafeBytes: whole
// little-endian 4-byte words first, then each remaining byte as its own
// sign-extended 32-bit word, finalized with len(b).
func HashBytes(b []byte, seed uint32) uint32 {
	h := seed
	n := len(b)
	for len(b) >= 4 {
		h = mixH1(h, mixK1(binary.LittleEndian.Uint32(b)))
		b = b[4:]
	}
	for _, c := range b {
		h = mixH1(h, mixK1(uint32(int32(int8(c)))))
	}
	return fmix(h, n)
}

// HashString hashes the UTF-8 bytes of s exactly like HashBytes, without
// copying them.
func HashString(s string, seed uint32) uint32 {
	return HashBytes(unsafe.Slice(unsafe.StringData(s), len(s)), seed)
}

// Pmod returns the non-negative remainder of h divided by n, like Spark's
// pmod(h, n). It panics if n is not positive.
func Pmod(h int32, n int) int {
	if n <= 0 {
		panic("murmur3: Pmod with non-positive modulus")
	}
	r := int(h) % n
	if r < 0 {
		r += n
	}
	return r
}
