package sqlparse

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Decimal bounds and the type of a bare DECIMAL (DuckDB's default).
const (
	maxDecimalPrecision     = 38
	defaultDecimalPrecision = 18
	defaultDecimalScale     = 3
)

// typeArgs says which arguments a type name takes.
type typeArgs uint8

const (
	argsNone    typeArgs = iota
	argsLength           // optional (n), checked and dropped
	argsDecimal          // optional (p) or (p, s)
)

// sqlType is one spelling of a SQL type.
type sqlType struct {
	make func() arrow.DataType // nil for DECIMAL, built from its arguments
	args typeArgs
}

func fixed(t arrow.DataType) func() arrow.DataType { return func() arrow.DataType { return t } }

func timestampType() arrow.DataType { return &arrow.TimestampType{Unit: arrow.Microsecond} }

func timestampTZType() arrow.DataType {
	return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
}

// sqlTypes maps every accepted spelling, upper case with single spaces, to
// its type. Keep doc.go's table in step.
var sqlTypes = map[string]sqlType{
	"BOOLEAN":                     {make: fixed(arrow.FixedWidthTypes.Boolean)},
	"BOOL":                        {make: fixed(arrow.FixedWidthTypes.Boolean)},
	"TINYINT":                     {make: fixed(arrow.PrimitiveTypes.Int8)},
	"INT1":                        {make: fixed(arrow.PrimitiveTypes.Int8)},
	"SMALLINT":                    {make: fixed(arrow.PrimitiveTypes.Int16)},
	"INT2":                        {make: fixed(arrow.PrimitiveTypes.Int16)},
	"INT":                         {make: fixed(arrow.PrimitiveTypes.Int32)},
	"INTEGER":                     {make: fixed(arrow.PrimitiveTypes.Int32)},
	"INT4":                        {make: fixed(arrow.PrimitiveTypes.Int32)},
	"BIGINT":                      {make: fixed(arrow.PrimitiveTypes.Int64)},
	"INT8":                        {make: fixed(arrow.PrimitiveTypes.Int64)},
	"LONG":                        {make: fixed(arrow.PrimitiveTypes.Int64)},
	"REAL":                        {make: fixed(arrow.PrimitiveTypes.Float32)},
	"FLOAT":                       {make: fixed(arrow.PrimitiveTypes.Float32)},
	"FLOAT4":                      {make: fixed(arrow.PrimitiveTypes.Float32)},
	"DOUBLE":                      {make: fixed(arrow.PrimitiveTypes.Float64)},
	"DOUBLE PRECISION":            {make: fixed(arrow.PrimitiveTypes.Float64)},
	"FLOAT8":                      {make: fixed(arrow.PrimitiveTypes.Float64)},
	"DECIMAL":                     {args: argsDecimal},
	"NUMERIC":                     {args: argsDecimal},
	"VARCHAR":                     {make: fixed(arrow.BinaryTypes.String), args: argsLength},
	"CHAR":                        {make: fixed(arrow.BinaryTypes.String), args: argsLength},
	"STRING":                      {make: fixed(arrow.BinaryTypes.String)},
	"TEXT":                        {make: fixed(arrow.BinaryTypes.String)},
	"DATE":                        {make: fixed(arrow.FixedWidthTypes.Date32)},
	"TIMESTAMP":                   {make: timestampType},
	"TIMESTAMP WITHOUT TIME ZONE": {make: timestampType},
	"DATETIME":                    {make: timestampType},
	"TIMESTAMPTZ":                 {make: timestampTZType},
	"TIMESTAMP WITH TIME ZONE":    {make: timestampTZType},
	"BINARY":                      {make: fixed(arrow.BinaryTypes.Binary)},
	"VARBINARY":                   {make: fixed(arrow.BinaryTypes.Binary)},
	"BLOB":                        {make: fixed(arrow.BinaryTypes.Binary)},
	"BYTEA":                       {make: fixed(arrow.BinaryTypes.Binary)},
}

// knownTypes is the sorted list of spellings, for error messages.
var knownTypes = func() string {
	names := make([]string, 0, len(sqlTypes))
	for n := range sqlTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}()

// ParseType parses a SQL type name such as "BIGINT", "decimal(10, 2)" or
// "timestamp with time zone" into its Arrow type (see the package
// documentation for the table).
func ParseType(s string) (arrow.DataType, error) {
	toks, _, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	t, _, err := p.parseType()
	if err != nil {
		return nil, err
	}
	if end := p.peek(); end.kind != tokEOF {
		return nil, errorf(s, end.pos, "expected end of type name, found %s", describe(s, end))
	}
	return t, nil
}

// parseType reads a type name and returns its Arrow type and the name as
// written, normalised: upper case, single spaces, arguments without spaces
// ("DECIMAL(10,2)").
func (p *parser) parseType() (arrow.DataType, string, error) {
	first := p.peek()
	if first.kind != tokIdent {
		return nil, "", p.expected("a type name")
	}
	p.next()
	name := strings.ToUpper(first.text)
	switch name {
	case "DOUBLE":
		if p.accept("precision") {
			name = "DOUBLE PRECISION"
		}
	case "TIMESTAMP":
		word := ""
		switch {
		case p.accept("with"):
			word = "WITH"
		case p.accept("without"):
			word = "WITHOUT"
		}
		if word != "" {
			if !p.accept("time") || !p.accept("zone") {
				return nil, "", p.expected("TIME ZONE after TIMESTAMP " + word)
			}
			name = "TIMESTAMP " + word + " TIME ZONE"
		}
	}
	st, ok := sqlTypes[name]
	if !ok {
		return nil, "", errorf(p.src, first.pos, "unknown type %q; known types: %s", name, knownTypes)
	}
	if !p.peek().isOp("(") {
		if st.args == argsDecimal {
			return &arrow.Decimal128Type{Precision: defaultDecimalPrecision, Scale: defaultDecimalScale}, name, nil
		}
		return st.make(), name, nil
	}
	open := p.next()
	switch st.args {
	case argsNone:
		return nil, "", errorf(p.src, open.pos, "type %s takes no arguments", name)
	case argsLength:
		n, err := p.typeInt(name+" length", 1, 1<<31-1)
		if err != nil {
			return nil, "", err
		}
		if err := p.expectOp(")", "after the "+name+" length"); err != nil {
			return nil, "", err
		}
		return st.make(), fmt.Sprintf("%s(%d)", name, n), nil
	}
	prec, err := p.typeInt("decimal precision", 1, maxDecimalPrecision)
	if err != nil {
		return nil, "", err
	}
	scale := int64(0)
	written := fmt.Sprintf("%s(%d)", name, prec)
	if p.acceptOp(",") {
		if scale, err = p.typeInt("decimal scale", 0, prec); err != nil {
			return nil, "", err
		}
		written = fmt.Sprintf("%s(%d,%d)", name, prec, scale)
	}
	if err := p.expectOp(")", "after the "+name+" arguments"); err != nil {
		return nil, "", err
	}
	return &arrow.Decimal128Type{Precision: int32(prec), Scale: int32(scale)}, written, nil
}

// typeInt reads an integer type argument in [lo, hi].
func (p *parser) typeInt(what string, lo, hi int64) (int64, error) {
	t := p.peek()
	if t.kind != tokNumber {
		return 0, p.expected("an integer " + what)
	}
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, errorf(p.src, t.pos, "%s must be between %d and %d, got %s", what, lo, hi, t.text)
	}
	p.next()
	return n, nil
}
