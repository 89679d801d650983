package mor

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// codecLiterals holds a value of every literal type the package accepts,
// with edge values.
var codecLiterals = []struct {
	name string
	v    any
	want any // the decoded value when it differs from v
}{
	{"nil", nil, nil},
	{"true", true, nil},
	{"false", false, nil},
	{"int", int(-42), int64(-42)},
	{"int8", int8(math.MinInt8), nil},
	{"int16", int16(math.MaxInt16), nil},
	{"int32", int32(-7), nil},
	{"int64 min", int64(math.MinInt64), nil},
	{"int64 max", int64(math.MaxInt64), nil},
	{"uint8", uint8(255), nil},
	{"uint16", uint16(65535), nil},
	{"uint32", uint32(math.MaxUint32), nil},
	{"uint64 max", uint64(math.MaxUint64), nil},
	{"float32", float32(0.1), nil},
	{"float32 inf", float32(math.Inf(-1)), nil},
	{"float32 nan", float32(math.NaN()), nil},
	{"float64", 0.1, nil},
	{"float64 tiny", math.SmallestNonzeroFloat64, nil},
	{"float64 max", math.MaxFloat64, nil},
	{"float64 nan", math.NaN(), nil},
	{"float64 +inf", math.Inf(1), nil},
	{"float64 -inf", math.Inf(-1), nil},
	{"float64 -0", math.Copysign(0, -1), nil},
	{"string", "it's", nil},
	{"string empty", "", nil},
	{"string unicode", "ünï\u2028<&>\x00", nil},
	{"string not utf8", "\xff\xfe a", nil},
	{"string decimal text", "12.50", nil},
	{"string timestamp text", "2024-01-02 03:04:05", nil},
	{"bytes", []byte{0, 1, 0xff}, nil},
	{"bytes empty", []byte{}, nil},
	{"time utc", time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC), nil},
	{"time zoned", time.Date(2024, 1, 1, 1, 0, 0, 1, time.FixedZone("X", 3600)), time.Date(2024, 1, 1, 0, 0, 0, 1, time.UTC)},
	{"time year 0", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), nil},
	{"time year 9999", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), nil},
	{"decimal128", decimal128.FromI64(-12345), nil},
	{"decimal128 min", decimal128.New(math.MinInt64, 0), nil},
	{"decimal128 max", decimal128.New(math.MaxInt64, math.MaxUint64), nil},
	{"decimal128 -1", decimal128.New(-1, math.MaxUint64), nil},
	{"bigint", new(big.Int).Lsh(big.NewInt(-3), 200), nil},
}

// sameLiteral reports whether a and b have the same type and value (NaN
// equals NaN, times compare as instants).
func sameLiteral(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	case float32:
		y := b.(float32)
		return x == y || x != x && y != y
	case time.Time:
		return x.Equal(b.(time.Time))
	case *big.Int:
		return x.Cmp(b.(*big.Int)) == 0
	}
	return reflect.DeepEqual(a, b)
}

// roundTrip encodes and decodes e, checking that the result renders the
// same, and returns the decoded expression.
func roundTrip(t *testing.T, e Expr) Expr {
	t.Helper()
	b, err := MarshalExpr(e)
	if err != nil {
		t.Fatalf("MarshalExpr(%v): %v", e, err)
	}
	got, err := UnmarshalExpr(b)
	if err != nil {
		t.Fatalf("UnmarshalExpr(%s): %v", b, err)
	}
	if e == nil {
		if got != nil {
			t.Fatalf("nil encoded as %s decoded as %v", b, got)
		}
		return nil
	}
	if got.String() != e.String() {
		t.Fatalf("round trip of %s through %s gave %s", e, b, got)
	}
	return got
}

func TestExprCodecLiterals(t *testing.T) {
	for _, c := range codecLiterals {
		t.Run(c.name, func(t *testing.T) {
			want := c.v
			if c.want != nil {
				want = c.want
			}
			var got *Cmp
			if c.want == nil {
				got = roundTrip(t, Eq("c", c.v)).(*Cmp)
			} else {
				// The rendering changes with the type (time zone) or
				// not at all (int): check the value only.
				b, err := MarshalExpr(Eq("c", c.v))
				if err != nil {
					t.Fatal(err)
				}
				e, err := UnmarshalExpr(b)
				if err != nil {
					t.Fatal(err)
				}
				got = e.(*Cmp)
			}
			if !sameLiteral(got.Value, want) {
				t.Fatalf("decoded %#v (%T), want %#v (%T)", got.Value, got.Value, want, want)
			}
			if want != nil && got.String() != Eq("c", want).String() {
				t.Fatalf("decoded renders %s, want %s", got, Eq("c", want))
			}
		})
	}
}

func TestExprCodecRoundTrip(t *testing.T) {
	var all []any
	for _, c := range codecLiterals {
		if c.want == nil {
			all = append(all, c.v)
		}
	}
	deep := Eq("k", int64(1))
	for range maxExprDepth - 1 {
		deep = Not(deep)
	}
	for _, c := range []struct {
		name string
		e    Expr
	}{
		{"nil", nil},
		{"every operator", And(Eq("a", 1), Ne("a", 2), Lt("a", 3), Le("a", 4), Gt("a", 5), Ge("a", 6))},
		{"null comparison", Eq("a", nil)},
		{"in every literal", In("a", all...)},
		{"in empty", In("a")},
		{"is null", IsNull("a")},
		{"is not null", IsNotNull("a")},
		{"empty and", And()},
		{"empty or", Or()},
		{"nested", Or(And(Eq("id", int64(7)), Not(In("dt", "x", nil))), Not(Or(IsNull("n"), Gt("score", 1.5))))},
		{"odd column names", And(Eq("", 1), Eq("a b\"c", 1), IsNull("ü\n"))},
		{"deepest", deep},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := roundTrip(t, c.e)
			if c.e != nil && !reflect.DeepEqual(Columns(got), Columns(c.e)) {
				t.Fatalf("columns %v, want %v", Columns(got), Columns(c.e))
			}
		})
	}
}

func TestExprCodecForm(t *testing.T) {
	b, err := MarshalExpr(And(Ge("id", 7), In("dt", "x", nil), IsNotNull("n"), Not(Eq("b", []byte("\x00")))))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"and","args":[` +
		`{"kind":"cmp","column":"id","op":">=","value":{"type":"int64","v":"7"}},` +
		`{"kind":"in","column":"dt","values":[{"type":"string","v":"x"},{"type":"null"}]},` +
		`{"kind":"isnull","column":"n","negate":true},` +
		`{"kind":"not","arg":{"kind":"cmp","column":"b","op":"=","value":{"type":"bytes","b":"AA=="}}}]}`
	if string(b) != want {
		t.Fatalf("encoded\n%s\nwant\n%s", b, want)
	}
}

func TestMarshalExprErrors(t *testing.T) {
	deep := Eq("k", 1)
	for range maxExprDepth {
		deep = Not(deep)
	}
	for _, c := range []struct {
		name string
		e    Expr
	}{
		{"unsupported literal", Eq("a", struct{}{})},
		{"unsupported literal in list", In("a", 1, []int{1})},
		{"nil big.Int", Eq("a", (*big.Int)(nil))},
		{"time after 9999", Eq("a", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))},
		{"time before 0", Eq("a", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))},
		{"unknown operator", &Cmp{Column: "a", Op: CmpOp(42), Value: 1}},
		{"column not utf8", IsNull("\xff")},
		{"nil argument", And(Eq("a", 1), nil)},
		{"nil not", Not(nil)},
		{"typed nil", Or((*Cmp)(nil))},
		{"too deep", deep},
	} {
		t.Run(c.name, func(t *testing.T) {
			if b, err := MarshalExpr(c.e); !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("MarshalExpr = %s, %v; want ErrInvalidFilter", b, err)
			}
		})
	}
}

// badExprInputs are malformed encodings, also used as fuzz seeds.
var badExprInputs = []string{
	``,
	` `,
	`{`,
	`[]`,
	`"and"`,
	`nul`,
	`null null`,
	`{"kind":"and"} {}`,
	`{}`,
	`{"kind":"xor"}`,
	`{"kind":"and","extra":1}`,
	`{"kind":"and","column":"a"}`,
	`{"kind":"and","args":[null]}`,
	`{"kind":"and","args":[{"kind":"bogus"}]}`,
	`{"kind":"not"}`,
	`{"kind":"not","arg":null}`,
	`{"kind":"isnull","column":"a","op":"="}`,
	`{"kind":"cmp","column":"a","op":"="}`,
	`{"kind":"cmp","column":"a","op":"~","value":{"type":"int64","v":"1"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"int64","v":"1"},"negate":true}`,
	`{"kind":"in","column":"a","values":[null]}`,
	`{"kind":"in","column":"a","value":{"type":"null"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"complex128","v":"1"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"int8","v":"128"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"uint64","v":"-1"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"int64","v":"1.0"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"int64","v":"1","b":"AA=="}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"float32","v":"1e39"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"float64","v":"one"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"bool","v":"1"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"null","v":"x"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"time","v":"2024-01-01"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"time","v":"9999-12-31T23:00:00-05:00"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"decimal128","v":"170141183460469231731687303715884105728"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"decimal128","v":"1.5"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"bigint","v":"x"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"bytes","v":"x"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"bytes","b":"!"}}`,
	`{"kind":"cmp","column":"a","op":"=","value":{"type":"string","v":"x","b":"AA=="}}`,
	strings.Repeat(`{"kind":"not","arg":`, maxExprDepth) + `{"kind":"isnull","column":"a"}` + strings.Repeat(`}`, maxExprDepth),
	strings.Repeat(`{"kind":"and","args":[`, 20000),
}

func TestUnmarshalExprErrors(t *testing.T) {
	for _, in := range badExprInputs {
		name := in
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			if e, err := UnmarshalExpr([]byte(in)); !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("UnmarshalExpr = %v, %v; want ErrInvalidFilter", e, err)
			}
		})
	}
}

func FuzzUnmarshalExpr(f *testing.F) {
	var all []any
	for _, c := range codecLiterals {
		all = append(all, c.v)
	}
	for _, e := range []Expr{
		nil,
		And(Eq("id", int64(7)), In("dt", all...)),
		Or(Not(IsNull("a")), IsNotNull("b"), Lt("c", 1.5), Ge("d", time.Unix(1, 2).UTC())),
	} {
		b, err := MarshalExpr(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, in := range badExprInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := UnmarshalExpr(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("error %v does not wrap ErrInvalidFilter", err)
			}
			return
		}
		if e == nil {
			return
		}
		// Whatever decodes must render, encode again and decode the same.
		again, err := MarshalExpr(e)
		if err != nil {
			t.Fatalf("decoded %s does not encode: %v", e, err)
		}
		e2, err := UnmarshalExpr(again)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", again, err)
		}
		if e2.String() != e.String() {
			t.Fatalf("re-encoding changed %s into %s", e, e2)
		}
	})
}
