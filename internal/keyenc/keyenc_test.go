package keyenc

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/bucket/literal/literaltest"
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

// floatCmp orders floats as SQL does: -0 equals 0, NaN equals NaN and is
// above every other value.
func floatCmp(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp.Compare(a, b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// compareAt compares arr[i] and arr[j] by their values, independently of the
// encoding under test.
func compareAt(t *testing.T, arr arrow.Array, i, j int) int {
	switch a := arr.(type) {
	case *array.Int8:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Int16:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Int32:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Int64:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Uint8:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Uint16:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Uint32:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Uint64:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Date32:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Timestamp:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Boolean:
		return cmp.Compare(boolInt(a.Value(i)), boolInt(a.Value(j)))
	case *array.Float32:
		return floatCmp(float64(a.Value(i)), float64(a.Value(j)))
	case *array.Float64:
		return floatCmp(a.Value(i), a.Value(j))
	case *array.String:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.LargeString:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Binary:
		return bytes.Compare(a.Value(i), a.Value(j))
	case *array.LargeBinary:
		return bytes.Compare(a.Value(i), a.Value(j))
	case *array.Decimal32:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Decimal64:
		return cmp.Compare(a.Value(i), a.Value(j))
	case *array.Decimal128:
		return a.Value(i).BigInt().Cmp(a.Value(j).BigInt())
	}
	t.Fatalf("compareAt: unhandled %T", arr)
	return 0
}

func TestOrderAndValueAgreement(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 5))
	mem := newAlloc(t)
	const rows = 400
	for _, dt := range literaltest.Types() {
		t.Run(dt.String(), func(t *testing.T) {
			if !Supported(dt) {
				t.Fatalf("%v not supported", dt)
			}
			full, lits := literaltest.RandomArray(mem, r, dt, rows, 0.05)
			defer full.Release()
			off := r.IntN(13)
			arr := array.NewSlice(full, int64(off), rows)
			defer arr.Release()
			lits = lits[off:]

			enc := make([][]byte, arr.Len())
			for i := range enc {
				if arr.IsNull(i) {
					if _, err := Append(nil, arr, i); !errors.Is(err, ErrInvalidValue) {
						t.Fatalf("null at %d: got %v", i, err)
					}
					continue
				}
				var err error
				prefix := []byte("p")
				got, err := Append(prefix, arr, i)
				if err != nil {
					t.Fatal(err)
				}
				if got[0] != 'p' {
					t.Fatal("Append overwrote dst")
				}
				enc[i] = got[1:]
				fromValue, err := AppendValue(nil, dt, lits[i])
				if err != nil {
					t.Fatalf("AppendValue(%T %v): %v", lits[i], lits[i], err)
				}
				if !bytes.Equal(fromValue, enc[i]) {
					t.Fatalf("row %d (%T %v): Append %x, AppendValue %x", i, lits[i], lits[i], enc[i], fromValue)
				}
			}
			for range 4000 {
				i, j := r.IntN(arr.Len()), r.IntN(arr.Len())
				if arr.IsNull(i) || arr.IsNull(j) {
					continue
				}
				want := compareAt(t, arr, i, j)
				if got := bytes.Compare(enc[i], enc[j]); got != want {
					t.Fatalf("rows %d, %d (%v, %v): bytes.Compare %d, values compare %d (%x vs %x)",
						i, j, lits[i], lits[j], got, want, enc[i], enc[j])
				}
			}
		})
	}
}

func TestFixedEncodings(t *testing.T) {
	str := func(b []byte, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		return string(b)
	}
	tests := []struct {
		name string
		t    arrow.DataType
		v    any
		want string
	}{
		{"int32 -1", arrow.PrimitiveTypes.Int32, -1, "\x7f\xff\xff\xff\xff\xff\xff\xff"},
		{"int8 0", arrow.PrimitiveTypes.Int8, 0, "\x80\x00\x00\x00\x00\x00\x00\x00"},
		{"uint16 258", arrow.PrimitiveTypes.Uint16, 258, "\x00\x00\x00\x00\x00\x00\x01\x02"},
		{"bool", arrow.FixedWidthTypes.Boolean, true, "\x01"},
		{"float64 -0", arrow.PrimitiveTypes.Float64, math.Copysign(0, -1), "\x80\x00\x00\x00\x00\x00\x00\x00"},
		{"float64 1", arrow.PrimitiveTypes.Float64, 1.0, "\xbf\xf0\x00\x00\x00\x00\x00\x00"},
		{"float32 -1", arrow.PrimitiveTypes.Float32, -1.0, "\x40\x7f\xff\xff"},
		{"float32 NaN", arrow.PrimitiveTypes.Float32, math.NaN(), "\xff\xc0\x00\x00"},
		{"date", arrow.FixedWidthTypes.Date32, time.Date(1970, 1, 3, 0, 0, 0, 0, time.UTC), "\x80\x00\x00\x00\x00\x00\x00\x02"},
		{"decimal128 -1", &arrow.Decimal128Type{Precision: 20, Scale: 1}, "-0.1",
			"\x7f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"},
		{"string", arrow.BinaryTypes.String, "ab", "ab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := str(AppendValue(nil, tc.t, tc.v)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	mem := newAlloc(t)
	b := array.NewInt32Builder(mem)
	b.AppendNull()
	b.Append(1)
	arr := b.NewArray()
	b.Release()
	defer arr.Release()
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32)
	lb.Append(true)
	list := lb.NewArray()
	lb.Release()
	defer list.Release()

	tests := []struct {
		name string
		run  func() ([]byte, error)
		want error
	}{
		{"null element", func() ([]byte, error) { return Append(nil, arr, 0) }, ErrInvalidValue},
		{"index out of range", func() ([]byte, error) { return Append(nil, arr, 2) }, ErrInvalidValue},
		{"negative index", func() ([]byte, error) { return Append(nil, arr, -1) }, ErrInvalidValue},
		{"unsupported array", func() ([]byte, error) { return Append(nil, list, 0) }, ErrUnsupportedType},
		{"nil value", func() ([]byte, error) { return AppendValue(nil, arrow.PrimitiveTypes.Int32, nil) }, ErrInvalidValue},
		{"bad value", func() ([]byte, error) { return AppendValue(nil, arrow.PrimitiveTypes.Int8, 300) }, ErrInvalidValue},
		{"unsupported type", func() ([]byte, error) { return AppendValue(nil, list.DataType(), 1) }, ErrUnsupportedType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.run(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// On error the destination comes back unchanged.
	dst := []byte("keep")
	got, _ := Append(dst, arr, 0)
	if string(got) != "keep" {
		t.Fatalf("dst changed to %q", got)
	}
}

func TestAppendNoAllocs(t *testing.T) {
	mem := newAlloc(t)
	r := rand.New(rand.NewPCG(1, 1))
	var arrs []arrow.Array
	for _, dt := range literaltest.Types() {
		a, _ := literaltest.RandomArray(mem, r, dt, 8, 0)
		defer a.Release()
		arrs = append(arrs, a)
	}
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(50, func() {
		for _, a := range arrs {
			var err error
			if buf, err = Append(buf[:0], a, 3); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("Append allocates %v times", allocs)
	}
}
