// Package partition encodes and decodes range-partition values as
// Hive-style path segments ("dt=2024-01-01/region=eu").
//
// Values are written in the textual form Arrow uses for the column type
// (array.ValueStr) and read back with Builder.AppendValueFromString, so a
// value survives the round trip exactly. Characters that are unsafe in a
// path are escaped as %XX, as Hive does; NULL is NullValue.
package partition

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// NullValue stands for a NULL partition value, as in Hive.
const NullValue = "__HIVE_DEFAULT_PARTITION__"

// ErrMalformed is returned for a partition string that cannot be parsed.
var ErrMalformed = errors.New("partition: malformed partition path")

// needsEscape reports whether c must be escaped in a path segment.
func needsEscape(c byte) bool {
	if c < 0x20 || c == 0x7f {
		return true
	}
	switch c {
	case '"', '#', '%', '\'', '*', '/', ':', '=', '?', '\\', '{', '[', ']', '^':
		return true
	}
	return false
}

// Escape escapes a value for use in a path segment.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape(c) {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Unescape reverses Escape.
func Unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("%w: bad escape in %q", ErrMalformed, s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("%w: bad escape in %q", ErrMalformed, s)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// Value is one partition column's value; Null marks NULL.
type Value struct {
	Text string
	Null bool
}

// ValueOf returns the partition value of row i of arr.
func ValueOf(arr arrow.Array, i int) Value {
	if arr.IsNull(i) {
		return Value{Null: true}
	}
	return Value{Text: arr.ValueStr(i)}
}

// Format joins column names and values into a partition path.
func Format(names []string, values []Value) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(Escape(n))
		b.WriteByte('=')
		if values[i].Null {
			b.WriteString(NullValue)
		} else {
			b.WriteString(Escape(values[i].Text))
		}
	}
	return b.String()
}

// Parse splits a partition path into its values, checking that the column
// names are names, in order. The empty string is the one partition of an
// unpartitioned table.
func Parse(p string, names []string) ([]Value, error) {
	if p == "" {
		if len(names) == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: empty partition for columns %v", ErrMalformed, names)
	}
	segs := strings.Split(p, "/")
	if len(segs) != len(names) {
		return nil, fmt.Errorf("%w: %q does not have the columns %v", ErrMalformed, p, names)
	}
	out := make([]Value, len(segs))
	for i, s := range segs {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("%w: segment %q has no '='", ErrMalformed, s)
		}
		name, err := Unescape(k)
		if err != nil {
			return nil, err
		}
		if name != names[i] {
			return nil, fmt.Errorf("%w: %q names column %q, expected %q", ErrMalformed, p, name, names[i])
		}
		if v == NullValue {
			out[i] = Value{Null: true}
			continue
		}
		text, err := Unescape(v)
		if err != nil {
			return nil, err
		}
		out[i] = Value{Text: text}
	}
	return out, nil
}
