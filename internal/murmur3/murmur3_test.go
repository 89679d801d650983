package murmur3

import (
	"encoding/binary"
	"math"
	"testing"
)

// Expected values are the signed results of Spark SQL's hash() (seed 42).
func TestSparkVectors(t *testing.T) {
	tests := []struct {
		name string
		got  uint32
		want int32
	}{
		{"int 1", HashInt(1, Seed), -559580957},
		{"int 2", HashInt(2, Seed), 1765031574},
		{"int 0", HashInt(0, Seed), 933211791},
		{"bigint 1", HashLong(1, Seed), -1712319331},
		{"string 1", HashString("1", Seed), 1625004744},
		{"empty string", HashString("", Seed), 142593372},
		{"float 1.0", HashInt(int32(math.Float32bits(1)), Seed), -466301895},
		{"double 1.0", HashLong(int64(math.Float64bits(1)), Seed), -460888942},
		// hash('Spark', array(123), 2): an array hashes its elements in order,
		// so this is three chained values.
		{"chain Spark,123,2", HashInt(2, HashInt(123, HashString("Spark", Seed))), -1321691492},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if int32(tc.got) != tc.want {
				t.Fatalf("got %d, want %d", int32(tc.got), tc.want)
			}
		})
	}
}

// TestWidthConsistency checks that the fixed-width hashes are the byte hash
// of their little-endian representation, which is how Spark defines them.
func TestWidthConsistency(t *testing.T) {
	ints := []int32{0, 1, -1, 2, 42, math.MaxInt32, math.MinInt32, 0x12345678}
	for _, v := range ints {
		for _, seed := range []uint32{Seed, 0, 0xffffffff, HashInt(7, Seed)} {
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], uint32(v))
			if got, want := HashInt(v, seed), HashBytes(b[:], seed); got != want {
				t.Errorf("HashInt(%d, %d) = %d, HashBytes = %d", v, seed, got, want)
			}
		}
	}
	longs := []int64{0, 1, -1, 1 << 32, -1 << 40, math.MaxInt64, math.MinInt64, 0x0123456789abcdef}
	for _, v := range longs {
		for _, seed := range []uint32{Seed, 0, 0xffffffff} {
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], uint64(v))
			if got, want := HashLong(v, seed), HashBytes(b[:], seed); got != want {
				t.Errorf("HashLong(%d, %d) = %d, HashBytes = %d", v, seed, got, want)
			}
		}
	}
}

func TestTailBytesAreSignExtendedWords(t *testing.T) {
	// A tail byte >= 0x80 is mixed as a negative int, so the hash of "\xff"
	// equals the hash of an int -1 except for the final length (1, not 4).
	b := []byte{0xff}
	want := fmix(mixH1(Seed, mixK1(0xffffffff)), 1)
	if got := HashBytes(b, Seed); got != want {
		t.Fatalf("got %d, want %d", got, want)
	}
	if HashBytes(b, Seed) == HashInt(-1, Seed) {
		t.Fatal("length must take part in the finalization")
	}
}

func TestHashStringMatchesBytes(t *testing.T) {
	for _, s := range []string{"", "a", "ab", "abc", "abcd", "abcde", "héllo wörld", "\x80\x81\x82"} {
		t.Run(s, func(t *testing.T) {
			if got, want := HashString(s, Seed), HashBytes([]byte(s), Seed); got != want {
				t.Fatalf("HashString = %d, HashBytes = %d", got, want)
			}
		})
	}
}

func TestPmod(t *testing.T) {
	tests := []struct {
		h    int32
		n    int
		want int
	}{
		{0, 4, 0},
		{5, 4, 1},
		{-1, 4, 3},
		{-4, 4, 0},
		{-5, 4, 3},
		{math.MinInt32, 7, 5},
		{math.MaxInt32, 7, 1},
		{-559580957, 1, 0},
		{-559580957, 16, 3},
	}
	for _, tc := range tests {
		if got := Pmod(tc.h, tc.n); got != tc.want {
			t.Errorf("Pmod(%d, %d) = %d, want %d", tc.h, tc.n, got, tc.want)
		}
	}
}

func TestPmodPanicsOnBadModulus(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("expected panic")
		}
	}()
	Pmod(1, 0)
}

func TestNoAllocs(t *testing.T) {
	b := []byte("0123456789abcdefghij")
	s := "0123456789abcdefghij"
	var sink uint32
	allocs := testing.AllocsPerRun(100, func() {
		sink += HashBytes(b, Seed) + HashString(s, Seed) + HashInt(3, Seed) + HashLong(4, Seed)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
	_ = sink
}
