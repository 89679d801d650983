package bucket

import (
	"errors"
	"flag"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/bucket/literal/literaltest"
	"github.com/lakesoul-io/lakesoul-flight/internal/murmur3"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0 picks one from the clock)")

func testSeed(t *testing.T) uint64 {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed=%d)", seed, seed)
	return seed
}

func newAlloc(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// build makes a one-column array of type t from Go values appended through
// the matching builder; nil appends a null.
func build(t testing.TB, mem memory.Allocator, dt arrow.DataType, vals ...any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.Int32Builder:
			bb.Append(v.(int32))
		case *array.Int64Builder:
			bb.Append(v.(int64))
		case *array.StringBuilder:
			bb.Append(v.(string))
		case *array.Float32Builder:
			bb.Append(v.(float32))
		case *array.Float64Builder:
			bb.Append(v.(float64))
		case *array.TimestampBuilder:
			bb.Append(v.(arrow.Timestamp))
		case *array.Decimal128Builder:
			bb.Append(v.(decimal128.Num))
		case *array.BooleanBuilder:
			bb.Append(v.(bool))
		default:
			t.Fatalf("build: unhandled builder %T", b)
		}
	}
	return b.NewArray()
}

func hashesOf(t *testing.T, cols ...arrow.Array) []int32 {
	t.Helper()
	out := make([]int32, cols[0].Len())
	if err := Hashes(cols, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSparkVectors(t *testing.T) {
	mem := newAlloc(t)
	tests := []struct {
		name string
		dt   arrow.DataType
		val  any
		want int32
	}{
		{"int 1", arrow.PrimitiveTypes.Int32, int32(1), -559580957},
		{"int 2", arrow.PrimitiveTypes.Int32, int32(2), 1765031574},
		{"bigint 1", arrow.PrimitiveTypes.Int64, int64(1), -1712319331},
		{"string 1", arrow.BinaryTypes.String, "1", 1625004744},
		{"empty string", arrow.BinaryTypes.String, "", 142593372},
		{"float 1.0", arrow.PrimitiveTypes.Float32, float32(1), -466301895},
		{"double 1.0", arrow.PrimitiveTypes.Float64, float64(1), -460888942},
		{"null", arrow.PrimitiveTypes.Int32, nil, 42},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arr := build(t, mem, tc.dt, tc.val)
			defer arr.Release()
			if got := hashesOf(t, arr)[0]; got != tc.want {
				t.Fatalf("Hashes: got %d, want %d", got, tc.want)
			}
			got, err := Hash([]arrow.DataType{tc.dt}, []any{tc.val})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Hash: got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestChaining(t *testing.T) {
	mem := newAlloc(t)
	ints := build(t, mem, arrow.PrimitiveTypes.Int32, int32(1), nil, int32(2), nil)
	defer ints.Release()
	strs := build(t, mem, arrow.BinaryTypes.String, "1", "1", nil, nil)
	defer strs.Release()
	h := hashesOf(t, ints, strs)
	want := []uint32{
		murmur3.HashString("1", murmur3.HashInt(1, murmur3.Seed)),
		murmur3.HashString("1", murmur3.Seed), // null int leaves the seed
		murmur3.HashInt(2, murmur3.Seed),      // null string leaves the hash
		murmur3.Seed,
	}
	for i := range want {
		if uint32(h[i]) != want[i] {
			t.Errorf("row %d: got %d, want %d", i, h[i], int32(want[i]))
		}
	}
	// Spark: hash('Spark', array(123), 2) = -1321691492 chains three values.
	got, err := Hash(
		[]arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int32},
		[]any{"Spark", 123, 2})
	if err != nil || got != -1321691492 {
		t.Fatalf("got %d, %v", got, err)
	}
}

func TestRowsPmod(t *testing.T) {
	mem := newAlloc(t)
	arr := build(t, mem, arrow.PrimitiveTypes.Int32, int32(1), int32(2), nil)
	defer arr.Release()
	for _, n := range []int{1, 2, 3, 4, 16, 1000, math.MaxInt32} {
		out := make([]int32, 4) // longer than needed on purpose
		out[3] = -7
		if err := Rows([]arrow.Array{arr}, n, out); err != nil {
			t.Fatal(err)
		}
		for i, h := range []int32{-559580957, 1765031574, 42} {
			if want := int32(murmur3.Pmod(h, n)); out[i] != want {
				t.Errorf("n=%d row %d: got %d, want %d", n, i, out[i], want)
			}
		}
		if out[3] != -7 {
			t.Errorf("n=%d: wrote past the rows", n)
		}
	}
}

func TestFloatCanonicalization(t *testing.T) {
	mem := newAlloc(t)
	negZero := math.Copysign(0, -1)
	nan2 := math.Float64frombits(0x7ff0000000000001)
	f64 := build(t, mem, arrow.PrimitiveTypes.Float64, 0.0, negZero, math.NaN(), nan2)
	defer f64.Release()
	f32 := build(t, mem, arrow.PrimitiveTypes.Float32, float32(0), float32(negZero), float32(math.NaN()), math.Float32frombits(0xffc00001))
	defer f32.Release()
	for _, arr := range []arrow.Array{f64, f32} {
		h := hashesOf(t, arr)
		if h[0] != h[1] {
			t.Errorf("%v: -0 and 0 hash differently", arr.DataType())
		}
		if h[2] != h[3] {
			t.Errorf("%v: NaN payloads hash differently", arr.DataType())
		}
	}
	if h := hashesOf(t, f64); uint32(h[2]) != murmur3.HashLong(0x7ff8000000000000, murmur3.Seed) {
		t.Errorf("float64 NaN is not Java's canonical NaN")
	}
	if h := hashesOf(t, f32); uint32(h[2]) != murmur3.HashInt(0x7fc00000, murmur3.Seed) {
		t.Errorf("float32 NaN is not Java's canonical NaN")
	}
}

func TestTimestampUnits(t *testing.T) {
	mem := newAlloc(t)
	tests := []struct {
		unit   arrow.TimeUnit
		v      int64
		micros int64
	}{
		{arrow.Second, 1, 1_000_000},
		{arrow.Second, -2, -2_000_000},
		{arrow.Millisecond, -1, -1000},
		{arrow.Microsecond, 123, 123},
		{arrow.Nanosecond, 1999, 1},
		{arrow.Nanosecond, -1, -1},
		{arrow.Nanosecond, -1000, -1},
		{arrow.Nanosecond, -1001, -2},
	}
	for _, tc := range tests {
		dt := &arrow.TimestampType{Unit: tc.unit}
		arr := build(t, mem, dt, arrow.Timestamp(tc.v))
		if got, want := uint32(hashesOf(t, arr)[0]), murmur3.HashLong(tc.micros, murmur3.Seed); got != want {
			t.Errorf("%v %d: got %d, want hash of %d micros", tc.unit, tc.v, int32(got), tc.micros)
		}
		arr.Release()
	}
}

func TestJavaBytes(t *testing.T) {
	// Independent reference: the two's complement of v in the fewest bytes
	// that keep its sign, computed with big.Int.
	ref := func(v *big.Int) []byte {
		// Java's bitLength: for a negative v it is the length of -v-1.
		bl := v.BitLen()
		if v.Sign() < 0 {
			bl = new(big.Int).Sub(new(big.Int).Neg(v), big.NewInt(1)).BitLen()
		}
		n := bl/8 + 1
		m := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
		x := new(big.Int).Mod(v, m) // two's complement modulo 2^(8n)
		b := x.FillBytes(make([]byte, n))
		return b
	}
	vals := []string{"0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "-256", "-257",
		"32767", "-32768", "99999999999999999999999999999999999999", "-99999999999999999999999999999999999999",
		"170141183460469231731687303715884105727", "-170141183460469231731687303715884105727"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		v := new(big.Int).SetUint64(r.Uint64())
		v.Lsh(v, uint(r.IntN(63)))
		if r.IntN(2) == 0 {
			v.Neg(v)
		}
		vals = append(vals, v.String())
	}
	for _, s := range vals {
		v, _ := new(big.Int).SetString(s, 10)
		var buf [16]byte
		got := javaBytes(decimal128.FromBigInt(v), &buf)
		if want := ref(v); string(got) != string(want) {
			t.Errorf("%s: got %x, want %x", s, got, want)
		}
	}
	// BigInteger.ZERO.toByteArray() is a single zero byte.
	var buf [16]byte
	if got := javaBytes(decimal128.Num{}, &buf); len(got) != 1 || got[0] != 0 {
		t.Errorf("zero: got %x", got)
	}
}

func TestDecimalPrecisionRule(t *testing.T) {
	mem := newAlloc(t)
	n := decimal128.FromI64(-12345)
	small := build(t, mem, &arrow.Decimal128Type{Precision: 18, Scale: 2}, n)
	defer small.Release()
	large := build(t, mem, &arrow.Decimal128Type{Precision: 19, Scale: 2}, n)
	defer large.Release()
	if got, want := uint32(hashesOf(t, small)[0]), murmur3.HashLong(-12345, murmur3.Seed); got != want {
		t.Errorf("precision 18: got %d, want %d", int32(got), int32(want))
	}
	// -12345 = 0xcfc7 in two bytes.
	if got, want := uint32(hashesOf(t, large)[0]), murmur3.HashBytes([]byte{0xcf, 0xc7}, murmur3.Seed); got != want {
		t.Errorf("precision 19: got %d, want %d", int32(got), int32(want))
	}
}

// TestRowsMatchesValue checks the vectorized and scalar paths against each
// other for random values of every supported type, alone and chained, on
// sliced arrays (non-zero offsets).
func TestRowsMatchesValue(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 7))
	mem := newAlloc(t)
	const rows = 300
	types := literaltest.Types()
	for _, dt := range types {
		t.Run(dt.String(), func(t *testing.T) {
			if !Supported(dt) {
				t.Fatalf("%v not supported", dt)
			}
			other := types[r.IntN(len(types))]
			a, litsA := literaltest.RandomArray(mem, r, dt, rows, 0.1)
			defer a.Release()
			b, litsB := literaltest.RandomArray(mem, r, other, rows, 0.1)
			defer b.Release()
			off := r.IntN(17)
			sa := array.NewSlice(a, int64(off), rows)
			defer sa.Release()
			sb := array.NewSlice(b, int64(off), rows)
			defer sb.Release()
			for _, n := range []int{1, 7, 64} {
				out := make([]int32, rows-off)
				if err := Rows([]arrow.Array{sa, sb}, n, out); err != nil {
					t.Fatal(err)
				}
				single := make([]int32, rows-off)
				if err := Rows([]arrow.Array{sa}, n, single); err != nil {
					t.Fatal(err)
				}
				for i := range out {
					j := i + off
					want, err := Value([]arrow.DataType{dt, other}, []any{litsA[j], litsB[j]}, n)
					if err != nil {
						t.Fatalf("row %d (%T %v, %T %v): %v", j, litsA[j], litsA[j], litsB[j], litsB[j], err)
					}
					if int(out[i]) != want {
						t.Fatalf("row %d (%v, %v with %v): Rows %d, Value %d", j, litsA[j], litsB[j], other, out[i], want)
					}
					want, err = Value([]arrow.DataType{dt}, []any{litsA[j]}, n)
					if err != nil {
						t.Fatal(err)
					}
					if int(single[i]) != want {
						t.Fatalf("row %d (%T %v): Rows %d, Value %d", j, litsA[j], litsA[j], single[i], want)
					}
				}
			}
		})
	}
}

// TestRowsAcrossChunks checks Rows on more rows than one internal chunk, with
// a non-zero array offset, against the scalar path.
func TestRowsAcrossChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 9))
	mem := newAlloc(t)
	types := literaltest.Types()
	rows := 2*chunkRows + 123
	for _, dt := range types {
		t.Run(dt.String(), func(t *testing.T) {
			full, lits := literaltest.RandomArray(mem, r, dt, rows+5, 0.1)
			defer full.Release()
			arr := array.NewSlice(full, 5, int64(rows+5))
			defer arr.Release()
			out := make([]int32, rows)
			if err := Rows([]arrow.Array{arr}, 13, out); err != nil {
				t.Fatal(err)
			}
			for i, got := range out {
				want, err := Value([]arrow.DataType{dt}, []any{lits[i+5]}, 13)
				if err != nil {
					t.Fatal(err)
				}
				if int(got) != want {
					t.Fatalf("row %d (%v): Rows %d, Value %d", i, lits[i+5], got, want)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	mem := newAlloc(t)
	i32 := build(t, mem, arrow.PrimitiveTypes.Int32, int32(1), int32(2))
	defer i32.Release()
	i64 := build(t, mem, arrow.PrimitiveTypes.Int64, int64(1))
	defer i64.Release()
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32)
	lb.Append(true)
	lb.Append(true)
	list := lb.NewArray()
	lb.Release()
	defer list.Release()

	rowsTests := []struct {
		name string
		cols []arrow.Array
		n    int
		out  int
		want error
	}{
		{"no columns", nil, 4, 2, ErrInvalidArgument},
		{"zero buckets", []arrow.Array{i32}, 0, 2, ErrInvalidArgument},
		{"too many buckets", []arrow.Array{i32}, 1 << 31, 2, ErrInvalidArgument},
		{"length mismatch", []arrow.Array{i32, i64}, 4, 2, ErrInvalidArgument},
		{"short output", []arrow.Array{i32}, 4, 1, ErrInvalidArgument},
		{"unsupported", []arrow.Array{list}, 4, 2, ErrUnsupportedType},
	}
	for _, tc := range rowsTests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Rows(tc.cols, tc.n, make([]int32, tc.out)); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	valueTests := []struct {
		name  string
		types []arrow.DataType
		vals  []any
		want  error
	}{
		{"count mismatch", []arrow.DataType{arrow.PrimitiveTypes.Int32}, []any{1, 2}, ErrInvalidArgument},
		{"empty", nil, nil, ErrInvalidArgument},
		{"bad value", []arrow.DataType{arrow.PrimitiveTypes.Int8}, []any{1000}, ErrInvalidValue},
		{"unsupported", []arrow.DataType{arrow.ListOf(arrow.PrimitiveTypes.Int32)}, []any{1}, ErrUnsupportedType},
	}
	for _, tc := range valueTests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Value(tc.types, tc.vals, 4); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Value([]arrow.DataType{arrow.PrimitiveTypes.Int32}, []any{1}, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("zero buckets: got %v", err)
	}
}

func TestRowsNoAllocs(t *testing.T) {
	mem := newAlloc(t)
	r := rand.New(rand.NewPCG(3, 4))
	var cols []arrow.Array
	for _, dt := range literaltest.Types() {
		a, _ := literaltest.RandomArray(mem, r, dt, 256, 0.2)
		defer a.Release()
		cols = append(cols, a)
	}
	out := make([]int32, 256)
	allocs := testing.AllocsPerRun(20, func() {
		if err := Rows(cols, 8, out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Rows allocates %v times per call", allocs)
	}
}
