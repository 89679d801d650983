package murmur3

import (
	"testing"
)

// referenceAligned is a deliberately plain MurmurHash3 x86_32 written from
// the published algorithm: index arithmetic, explicit shifts and the standard
// tail. For inputs whose length is a multiple of four the standard tail is
// empty, so it must agree with HashBytes.
func referenceAligned(data []byte, seed uint32) uint32 {
	h := seed
	nblocks := len(data) / 4
	for i := 0; i < nblocks; i++ {
		k := uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24
		k *= 0xcc9e2d51
		k = k<<15 | k>>17
		k *= 0x1b873593
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	tail := data[nblocks*4:]
	var k uint32
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k *= 0xcc9e2d51
		k = k<<15 | k>>17
		k *= 0x1b873593
		h ^= k
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// referenceSpark processes the unaligned tail the way Spark does, each byte
// sign-extended and mixed as a full block, on top of referenceAligned's body.
func referenceSpark(data []byte, seed uint32) uint32 {
	aligned := len(data) &^ 3
	h := seed
	for i := 0; i < len(data); i++ {
		var k uint32
		if i < aligned {
			if i%4 != 0 {
				continue
			}
			k = uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		} else {
			k = uint32(int32(int8(data[i])))
		}
		k *= 0xcc9e2d51
		k = k<<15 | k>>17
		k *= 0x1b873593
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

func TestReferenceKnownValue(t *testing.T) {
	// The standard MurmurHash3 x86_32 of "abcd" with seed 0 is 0x43ed676a.
	if got := referenceAligned([]byte("abcd"), 0); got != 0x43ed676a {
		t.Fatalf("reference implementation broken: %#x", got)
	}
}

func FuzzHashBytesAligned(f *testing.F) {
	f.Add([]byte{}, uint32(Seed))
	f.Add([]byte("abcd"), uint32(0))
	f.Add([]byte("0123456789abcdef"), uint32(Seed))
	f.Add([]byte{0x80, 0xff, 0x00, 0x7f, 1, 2, 3}, uint32(7))
	f.Fuzz(func(t *testing.T, data []byte, seed uint32) {
		aligned := data[:len(data)&^3]
		if got, want := HashBytes(aligned, seed), referenceAligned(aligned, seed); got != want {
			t.Fatalf("aligned %x seed %d: got %#x, want %#x", aligned, seed, got, want)
		}
		if got, want := HashBytes(data, seed), referenceSpark(data, seed); got != want {
			t.Fatalf("%x seed %d: got %#x, want %#x", data, seed, got, want)
		}
	})
}
