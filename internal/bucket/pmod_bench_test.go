package bucket

import (
	"math/rand/v2"
	"testing"
)

func pmodInput() []int32 {
	r := rand.New(rand.NewPCG(1, 2))
	h := make([]int32, chunkRows)
	for i := range h {
		h[i] = int32(r.Uint32())
	}
	return h
}

func BenchmarkPmodDivisor(b *testing.B) {
	in := pmodInput()
	out := make([]int32, len(in))
	d := newDivisor(benchModulus)
	for b.Loop() {
		for i, v := range in {
			out[i] = d.pmod(v)
		}
	}
	reportPerRow(b, len(in))
}

func BenchmarkPmodRemainder(b *testing.B) {
	in := pmodInput()
	out := make([]int32, len(in))
	m := int32(benchModulus)
	for b.Loop() {
		for i, v := range in {
			r := v % m
			if r < 0 {
				r += m
			}
			out[i] = r
		}
	}
	reportPerRow(b, len(in))
}

// benchModulus is a variable so the compiler cannot specialize the remainder.
var benchModulus = 7
