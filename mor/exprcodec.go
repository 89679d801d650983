package mor

// The JSON form of a predicate, for plans carried between processes (in a
// Flight ticket, for instance). An expression is an object with a "kind":
//
//	{"kind": "cmp", "column": "id", "op": ">=", "value": {"type": "int64", "v": "7"}}
//	{"kind": "in", "column": "dt", "values": [{"type": "string", "v": "x"}, {"type": "null"}]}
//	{"kind": "isnull", "column": "name", "negate": true}
//	{"kind": "and", "args": [...]}, {"kind": "or", "args": [...]}
//	{"kind": "not", "arg": {...}}
//
// A literal names its Go type, so that it decodes to exactly the value it
// was encoded from. Numbers, decimals, booleans and times are carried as
// text ("v"), which keeps 64-bit integers, NaN and infinities exact. Byte
// strings, and strings that are not valid UTF-8, are carried as base64
// ("b").

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// maxExprDepth bounds the nesting of encoded and decoded expressions.
const maxExprDepth = 1000

// Expression kinds of the JSON form.
const (
	kindCmp  = "cmp"
	kindIn   = "in"
	kindNull = "isnull"
	kindAnd  = "and"
	kindOr   = "or"
	kindNot  = "not"
)

// Literal types of the JSON form. A Go int is encoded as int64.
const (
	litNull       = "null"
	litBool       = "bool"
	litInt8       = "int8"
	litInt16      = "int16"
	litInt32      = "int32"
	litInt64      = "int64"
	litUint8      = "uint8"
	litUint16     = "uint16"
	litUint32     = "uint32"
	litUint64     = "uint64"
	litFloat32    = "float32"
	litFloat64    = "float64"
	litString     = "string"
	litBytes      = "bytes"
	litTime       = "time"
	litDecimal128 = "decimal128"
	litBigInt     = "bigint"
)

// intBits are the sizes of the integer literal types.
var intBits = map[string]int{
	litInt8: 8, litInt16: 16, litInt32: 32, litInt64: 64,
	litUint8: 8, litUint16: 16, litUint32: 32, litUint64: 64,
}

// wireExpr is the JSON form of an Expr; fields a kind does not use are
// left empty.
type wireExpr struct {
	Kind   string      `json:"kind"`
	Column string      `json:"column,omitempty"`
	Op     string      `json:"op,omitempty"`
	Value  *wireValue  `json:"value,omitempty"`
	Values []wireValue `json:"values,omitempty"`
	Negate bool        `json:"negate,omitempty"`
	Args   []*wireExpr `json:"args,omitempty"`
	Arg    *wireExpr   `json:"arg,omitempty"`
}

// wireValue is the JSON form of a literal.
type wireValue struct {
	Type  string `json:"type"`
	Text  string `json:"v,omitempty"`
	Bytes []byte `json:"b,omitempty"`
}

var opNames = map[CmpOp]string{OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}

// MarshalExpr encodes e as JSON; a nil e encodes as null. Literals must be
// of a type normalizeLiteral accepts; times are encoded as their instant in
// UTC and must fall in the years 0 to 9999.
func MarshalExpr(e Expr) ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	w, err := exprToWire(e, 1)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep operators such as ">=" readable
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalExpr decodes an expression encoded by MarshalExpr; null decodes
// as a nil Expr. Malformed input, unknown kinds, operators or literal types,
// and expressions nested deeper than 1000 levels are errors wrapping
// ErrInvalidFilter.
func UnmarshalExpr(b []byte) (Expr, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w *wireExpr
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrInvalidFilter, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: decode: data after the expression", ErrInvalidFilter)
	}
	if w == nil {
		return nil, nil
	}
	return wireToExpr(w, 1)
}

func exprToWire(e Expr, depth int) (*wireExpr, error) {
	if depth > maxExprDepth {
		return nil, fmt.Errorf("%w: expression nested deeper than %d levels", ErrInvalidFilter, maxExprDepth)
	}
	bad := func(what string) (*wireExpr, error) {
		return nil, fmt.Errorf("%w: cannot encode %s", ErrInvalidFilter, what)
	}
	switch x := e.(type) {
	case *Cmp:
		if x == nil {
			return bad("a nil comparison")
		}
		op, ok := opNames[x.Op]
		if !ok {
			return bad(fmt.Sprintf("comparison operator %d", int(x.Op)))
		}
		if !utf8.ValidString(x.Column) {
			return bad(fmt.Sprintf("column name %q", x.Column))
		}
		v, err := valueToWire(x.Value)
		if err != nil {
			return nil, err
		}
		return &wireExpr{Kind: kindCmp, Column: x.Column, Op: op, Value: &v}, nil
	case *InList:
		if x == nil {
			return bad("a nil IN list")
		}
		if !utf8.ValidString(x.Column) {
			return bad(fmt.Sprintf("column name %q", x.Column))
		}
		vals := make([]wireValue, len(x.Values))
		for i, v := range x.Values {
			var err error
			if vals[i], err = valueToWire(v); err != nil {
				return nil, err
			}
		}
		return &wireExpr{Kind: kindIn, Column: x.Column, Values: vals}, nil
	case *Null:
		if x == nil {
			return bad("a nil NULL test")
		}
		if !utf8.ValidString(x.Column) {
			return bad(fmt.Sprintf("column name %q", x.Column))
		}
		return &wireExpr{Kind: kindNull, Column: x.Column, Negate: x.Negate}, nil
	case *AndExpr:
		if x == nil {
			return bad("a nil AND")
		}
		args, err := argsToWire(x.Args, depth)
		return &wireExpr{Kind: kindAnd, Args: args}, err
	case *OrExpr:
		if x == nil {
			return bad("a nil OR")
		}
		args, err := argsToWire(x.Args, depth)
		return &wireExpr{Kind: kindOr, Args: args}, err
	case *NotExpr:
		if x == nil || x.Arg == nil {
			return bad("a NOT without argument")
		}
		arg, err := exprToWire(x.Arg, depth+1)
		if err != nil {
			return nil, err
		}
		return &wireExpr{Kind: kindNot, Arg: arg}, nil
	case nil:
		return bad("a nil expression inside another")
	}
	return bad(fmt.Sprintf("expression type %T", e))
}

func argsToWire(args []Expr, depth int) ([]*wireExpr, error) {
	out := make([]*wireExpr, len(args))
	for i, a := range args {
		w, err := exprToWire(a, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}

func valueToWire(v any) (wireValue, error) {
	switch x := v.(type) {
	case nil:
		return wireValue{Type: litNull}, nil
	case bool:
		return wireValue{Type: litBool, Text: strconv.FormatBool(x)}, nil
	case int:
		return wireValue{Type: litInt64, Text: strconv.FormatInt(int64(x), 10)}, nil
	case int8:
		return wireValue{Type: litInt8, Text: strconv.FormatInt(int64(x), 10)}, nil
	case int16:
		return wireValue{Type: litInt16, Text: strconv.FormatInt(int64(x), 10)}, nil
	case int32:
		return wireValue{Type: litInt32, Text: strconv.FormatInt(int64(x), 10)}, nil
	case int64:
		return wireValue{Type: litInt64, Text: strconv.FormatInt(x, 10)}, nil
	case uint8:
		return wireValue{Type: litUint8, Text: strconv.FormatUint(uint64(x), 10)}, nil
	case uint16:
		return wireValue{Type: litUint16, Text: strconv.FormatUint(uint64(x), 10)}, nil
	case uint32:
		return wireValue{Type: litUint32, Text: strconv.FormatUint(uint64(x), 10)}, nil
	case uint64:
		return wireValue{Type: litUint64, Text: strconv.FormatUint(x, 10)}, nil
	case float32:
		return wireValue{Type: litFloat32, Text: strconv.FormatFloat(float64(x), 'g', -1, 32)}, nil
	case float64:
		return wireValue{Type: litFloat64, Text: strconv.FormatFloat(x, 'g', -1, 64)}, nil
	case string:
		if utf8.ValidString(x) {
			return wireValue{Type: litString, Text: x}, nil
		}
		return wireValue{Type: litString, Bytes: []byte(x)}, nil
	case []byte:
		return wireValue{Type: litBytes, Bytes: x}, nil
	case time.Time:
		u := x.UTC()
		if y := u.Year(); y < 0 || y > 9999 {
			return wireValue{}, fmt.Errorf("%w: cannot encode time %v: year outside 0-9999", ErrInvalidFilter, x)
		}
		return wireValue{Type: litTime, Text: u.Format(time.RFC3339Nano)}, nil
	case decimal128.Num:
		return wireValue{Type: litDecimal128, Text: x.BigInt().String()}, nil
	case *big.Int:
		if x == nil {
			return wireValue{}, fmt.Errorf("%w: cannot encode a nil *big.Int", ErrInvalidFilter)
		}
		return wireValue{Type: litBigInt, Text: x.String()}, nil
	}
	return wireValue{}, fmt.Errorf("%w: cannot encode a literal of type %T", ErrInvalidFilter, v)
}

func wireToExpr(w *wireExpr, depth int) (Expr, error) {
	if depth > maxExprDepth {
		return nil, fmt.Errorf("%w: expression nested deeper than %d levels", ErrInvalidFilter, maxExprDepth)
	}
	if w == nil {
		return nil, fmt.Errorf("%w: null expression inside another", ErrInvalidFilter)
	}
	allowed, ok := kindFields[w.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: unknown expression kind %q", ErrInvalidFilter, w.Kind)
	}
	if w.fields()&^allowed != 0 {
		return nil, fmt.Errorf("%w: %q expression with fields it does not use", ErrInvalidFilter, w.Kind)
	}
	switch w.Kind {
	case kindCmp:
		op, ok := opOf(w.Op)
		if !ok {
			return nil, fmt.Errorf("%w: unknown comparison operator %q", ErrInvalidFilter, w.Op)
		}
		if w.Value == nil {
			return nil, fmt.Errorf("%w: comparison without value", ErrInvalidFilter)
		}
		v, err := wireToValue(*w.Value)
		if err != nil {
			return nil, err
		}
		return &Cmp{Column: w.Column, Op: op, Value: v}, nil
	case kindIn:
		vals := make([]any, len(w.Values))
		for i, wv := range w.Values {
			v, err := wireToValue(wv)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return &InList{Column: w.Column, Values: vals}, nil
	case kindNull:
		return &Null{Column: w.Column, Negate: w.Negate}, nil
	case kindAnd, kindOr:
		args := make([]Expr, len(w.Args))
		for i, a := range w.Args {
			e, err := wireToExpr(a, depth+1)
			if err != nil {
				return nil, err
			}
			args[i] = e
		}
		if w.Kind == kindAnd {
			return &AndExpr{Args: args}, nil
		}
		return &OrExpr{Args: args}, nil
	case kindNot:
		if w.Arg == nil {
			return nil, fmt.Errorf("%w: NOT without argument", ErrInvalidFilter)
		}
		arg, err := wireToExpr(w.Arg, depth+1)
		if err != nil {
			return nil, err
		}
		return &NotExpr{Arg: arg}, nil
	}
	return nil, fmt.Errorf("%w: unknown expression kind %q", ErrInvalidFilter, w.Kind)
}

// Fields of wireExpr, as bits.
const (
	fieldColumn = 1 << iota
	fieldOp
	fieldValue
	fieldValues
	fieldNegate
	fieldArgs
	fieldArg
)

// kindFields are the fields each kind may set.
var kindFields = map[string]int{
	kindCmp:  fieldColumn | fieldOp | fieldValue,
	kindIn:   fieldColumn | fieldValues,
	kindNull: fieldColumn | fieldNegate,
	kindAnd:  fieldArgs,
	kindOr:   fieldArgs,
	kindNot:  fieldArg,
}

// fields returns the fields w sets.
func (w *wireExpr) fields() int {
	var f int
	set := func(ok bool, bit int) {
		if ok {
			f |= bit
		}
	}
	set(w.Column != "", fieldColumn)
	set(w.Op != "", fieldOp)
	set(w.Value != nil, fieldValue)
	set(w.Values != nil, fieldValues)
	set(w.Negate, fieldNegate)
	set(w.Args != nil, fieldArgs)
	set(w.Arg != nil, fieldArg)
	return f
}

func opOf(name string) (CmpOp, bool) {
	for op, n := range opNames {
		if n == name {
			return op, true
		}
	}
	return 0, false
}

// minDecimal128 and maxDecimal128 bound the unscaled values of
// decimal128.Num.
var (
	minDecimal128 = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 127))
	maxDecimal128 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1))
	twoTo128      = new(big.Int).Lsh(big.NewInt(1), 128)
)

func wireToValue(w wireValue) (any, error) {
	bad := func(err error) (any, error) {
		if err != nil {
			return nil, fmt.Errorf("%w: %s literal %q: %v", ErrInvalidFilter, w.Type, w.Text, err)
		}
		return nil, fmt.Errorf("%w: malformed %s literal", ErrInvalidFilter, w.Type)
	}
	switch w.Type {
	case litString:
		if w.Bytes != nil && w.Text != "" {
			return bad(nil)
		}
		if w.Bytes != nil {
			return string(w.Bytes), nil
		}
		return w.Text, nil
	case litBytes:
		if w.Text != "" {
			return bad(nil)
		}
		if w.Bytes == nil {
			return []byte{}, nil
		}
		return w.Bytes, nil
	}
	if w.Bytes != nil {
		return bad(nil)
	}
	switch w.Type {
	case litNull:
		if w.Text != "" {
			return bad(nil)
		}
		return nil, nil
	case litBool:
		switch w.Text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return bad(nil)
	case litInt8, litInt16, litInt32, litInt64:
		bits := intBits[w.Type]
		i, err := strconv.ParseInt(w.Text, 10, bits)
		if err != nil {
			return bad(err)
		}
		switch bits {
		case 8:
			return int8(i), nil
		case 16:
			return int16(i), nil
		case 32:
			return int32(i), nil
		}
		return i, nil
	case litUint8, litUint16, litUint32, litUint64:
		bits := intBits[w.Type]
		u, err := strconv.ParseUint(w.Text, 10, bits)
		if err != nil {
			return bad(err)
		}
		switch bits {
		case 8:
			return uint8(u), nil
		case 16:
			return uint16(u), nil
		case 32:
			return uint32(u), nil
		}
		return u, nil
	case litFloat32:
		f, err := strconv.ParseFloat(w.Text, 32)
		if err != nil {
			return bad(err)
		}
		return float32(f), nil
	case litFloat64:
		f, err := strconv.ParseFloat(w.Text, 64)
		if err != nil {
			return bad(err)
		}
		return f, nil
	case litTime:
		t, err := time.Parse(time.RFC3339Nano, w.Text)
		if err != nil {
			return bad(err)
		}
		if t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
			return bad(errors.New("year outside 0-9999 in UTC"))
		}
		return t, nil
	case litDecimal128:
		n, ok := new(big.Int).SetString(w.Text, 10)
		if !ok || n.Cmp(minDecimal128) < 0 || n.Cmp(maxDecimal128) > 0 {
			return bad(errors.New("not a 128-bit integer"))
		}
		if n.Sign() < 0 {
			n.Add(n, twoTo128) // two's complement
		}
		lo := new(big.Int).And(n, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
		hi := new(big.Int).Rsh(n, 64).Uint64()
		return decimal128.New(int64(hi), lo), nil
	case litBigInt:
		n, ok := new(big.Int).SetString(w.Text, 10)
		if !ok {
			return bad(errors.New("not an integer"))
		}
		return n, nil
	}
	return nil, fmt.Errorf("%w: unknown literal type %q", ErrInvalidFilter, w.Type)
}
