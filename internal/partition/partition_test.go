package partition

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestFormatParseRoundTrip(t *testing.T) {
	cases := []struct {
		name   string
		names  []string
		values []Value
		want   string
	}{
		{"single", []string{"dt"}, []Value{{Text: "2024-01-01"}}, "dt=2024-01-01"},
		{"two", []string{"dt", "region"}, []Value{{Text: "2024-01-01"}, {Text: "eu"}}, "dt=2024-01-01/region=eu"},
		{"null", []string{"dt"}, []Value{{Null: true}}, "dt=" + NullValue},
		{"escaped", []string{"p"}, []Value{{Text: "a/b=c%d ../"}}, "p=a%2Fb%3Dc%25d ..%2F"},
		{"empty string", []string{"p"}, []Value{{Text: ""}}, "p="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Format(c.names, c.values)
			if got != c.want {
				t.Fatalf("Format = %q, want %q", got, c.want)
			}
			back, err := Parse(got, c.names)
			if err != nil {
				t.Fatal(err)
			}
			for i := range back {
				if back[i] != c.values[i] {
					t.Fatalf("Parse[%d] = %+v, want %+v", i, back[i], c.values[i])
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, p := range []string{"dt", "x=1", "dt=1/x=2", "dt=%zz", "dt=%2"} {
		if _, err := Parse(p, []string{"dt"}); err == nil {
			t.Errorf("Parse(%q) succeeded", p)
		}
	}
}

func TestValueStrRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, dt := range []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int64, arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Boolean} {
		b := array.NewBuilder(mem, dt)
		for _, s := range sampleText(dt) {
			if err := b.AppendValueFromString(s); err != nil {
				t.Fatalf("%s: %v", dt, err)
			}
		}
		arr := b.NewArray()
		b.Release()
		for i, s := range sampleText(dt) {
			if got := ValueOf(arr, i).Text; got != s {
				t.Errorf("%s: ValueOf = %q, want %q", dt, got, s)
			}
		}
		arr.Release()
	}
}

func sampleText(dt arrow.DataType) []string {
	switch dt.ID() {
	case arrow.STRING:
		return []string{"a", "", "x/y"}
	case arrow.DATE32:
		return []string{"2024-01-01", "1969-12-31"}
	case arrow.BOOL:
		return []string{"true", "false"}
	default:
		return []string{"0", "-5", "123456"}
	}
}
