package bucket

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lakesoul-io/lakesoul-flight/internal/murmur3"
)

func TestDivisorPmod(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 11))
	ns := []int{1, 2, 3, 4, 5, 7, 8, 10, 16, 31, 1000, 1 << 20, 1<<30 + 1, math.MaxInt32 - 1, math.MaxInt32}
	for range 50 {
		ns = append(ns, 1+r.IntN(math.MaxInt32))
	}
	vs := []int32{0, 1, -1, 2, -2, math.MaxInt32, math.MinInt32, math.MinInt32 + 1, math.MaxInt32 - 1}
	for _, n := range ns {
		d := newDivisor(n)
		check := func(v int32) {
			if got, want := d.pmod(v), int32(murmur3.Pmod(v, n)); got != want {
				t.Fatalf("pmod(%d, %d) = %d, want %d", v, n, got, want)
			}
		}
		for _, v := range vs {
			check(v)
			check(int32(n))
			check(-int32(n))
			check(int32(n) - 1)
			check(int32(n) + 1)
		}
		for range 2000 {
			check(int32(r.Uint32()))
		}
	}
}
