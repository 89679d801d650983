package sqlparse

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

func TestParseType(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	tstz := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	tests := []struct {
		in   string
		want arrow.DataType
		name string // normalised TypeName as written
	}{
		{"BOOLEAN", arrow.FixedWidthTypes.Boolean, "BOOLEAN"},
		{"bool", arrow.FixedWidthTypes.Boolean, "BOOL"},
		{"TINYINT", arrow.PrimitiveTypes.Int8, "TINYINT"},
		{"int1", arrow.PrimitiveTypes.Int8, "INT1"},
		{"SMALLINT", arrow.PrimitiveTypes.Int16, "SMALLINT"},
		{"INT2", arrow.PrimitiveTypes.Int16, "INT2"},
		{"int", arrow.PrimitiveTypes.Int32, "INT"},
		{"Integer", arrow.PrimitiveTypes.Int32, "INTEGER"},
		{"INT4", arrow.PrimitiveTypes.Int32, "INT4"},
		{"BIGINT", arrow.PrimitiveTypes.Int64, "BIGINT"},
		{"int8", arrow.PrimitiveTypes.Int64, "INT8"},
		{"LONG", arrow.PrimitiveTypes.Int64, "LONG"},
		{"REAL", arrow.PrimitiveTypes.Float32, "REAL"},
		{"float", arrow.PrimitiveTypes.Float32, "FLOAT"},
		{"FLOAT4", arrow.PrimitiveTypes.Float32, "FLOAT4"},
		{"DOUBLE", arrow.PrimitiveTypes.Float64, "DOUBLE"},
		{"double  precision", arrow.PrimitiveTypes.Float64, "DOUBLE PRECISION"},
		{"FLOAT8", arrow.PrimitiveTypes.Float64, "FLOAT8"},
		{"DECIMAL(10,2)", &arrow.Decimal128Type{Precision: 10, Scale: 2}, "DECIMAL(10,2)"},
		{"numeric( 38 , 38 )", &arrow.Decimal128Type{Precision: 38, Scale: 38}, "NUMERIC(38,38)"},
		{"DECIMAL(5)", &arrow.Decimal128Type{Precision: 5, Scale: 0}, "DECIMAL(5)"},
		{"DECIMAL(1, 0)", &arrow.Decimal128Type{Precision: 1, Scale: 0}, "DECIMAL(1,0)"},
		{"decimal", &arrow.Decimal128Type{Precision: 18, Scale: 3}, "DECIMAL"},
		{"VARCHAR", arrow.BinaryTypes.String, "VARCHAR"},
		{"varchar(255)", arrow.BinaryTypes.String, "VARCHAR(255)"},
		{"CHAR(1)", arrow.BinaryTypes.String, "CHAR(1)"},
		{"STRING", arrow.BinaryTypes.String, "STRING"},
		{"text", arrow.BinaryTypes.String, "TEXT"},
		{"DATE", arrow.FixedWidthTypes.Date32, "DATE"},
		{"TIMESTAMP", ts, "TIMESTAMP"},
		{"timestamp without time zone", ts, "TIMESTAMP WITHOUT TIME ZONE"},
		{"DATETIME", ts, "DATETIME"},
		{"TIMESTAMPTZ", tstz, "TIMESTAMPTZ"},
		{"Timestamp With Time Zone", tstz, "TIMESTAMP WITH TIME ZONE"},
		{"BINARY", arrow.BinaryTypes.Binary, "BINARY"},
		{"VARBINARY", arrow.BinaryTypes.Binary, "VARBINARY"},
		{"BLOB", arrow.BinaryTypes.Binary, "BLOB"},
		{"bytea", arrow.BinaryTypes.Binary, "BYTEA"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseType(tt.in)
			if err != nil {
				t.Fatalf("ParseType(%q): %v", tt.in, err)
			}
			if !arrow.TypeEqual(got, tt.want) {
				t.Errorf("ParseType(%q) = %v, want %v", tt.in, got, tt.want)
			}
			// The normalised name is what CREATE TABLE and CAST record.
			st, err := Parse("CREATE TABLE t (c " + tt.in + ")")
			if err != nil {
				t.Fatal(err)
			}
			if name := st.(*CreateTable).Columns[0].TypeName; name != tt.name {
				t.Errorf("TypeName as written = %q, want %q", name, tt.name)
			}
			// The canonical name parses back to the same type.
			back, err := ParseType(arrowconv.TypeName(got))
			if err != nil || !arrow.TypeEqual(back, got) {
				t.Errorf("ParseType(TypeName(%v) = %q) = %v, %v", got, arrowconv.TypeName(got), back, err)
			}
		})
	}
}

func TestParseTypeErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"VARCHA", 0, `unknown type "VARCHA"; known types: BIGINT, BINARY`},
		{"DECIMAL(40,2)", 8, "decimal precision must be between 1 and 38, got 40"},
		{"DECIMAL(0)", 8, "decimal precision must be between 1 and 38, got 0"},
		{"DECIMAL(10,11)", 11, "decimal scale must be between 0 and 10, got 11"},
		{"DECIMAL(10,-1)", 11, "expected an integer decimal scale"},
		{"DECIMAL(10,2", 12, `expected ")" after the DECIMAL arguments, found end of input`},
		{"VARCHAR(0)", 8, "VARCHAR length must be between"},
		{"INT(4)", 3, "type INT takes no arguments"},
		{"TIMESTAMP WITH ZONE", 15, "expected TIME ZONE after TIMESTAMP WITH"},
		{"DOUBLE DOUBLE", 7, "expected end of type name"},
		{"", 0, "expected a type name, found end of input"},
		{"'int'", 0, "expected a type name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseType(tt.in)
			checkError(t, tt.in, err, tt.pos, tt.msg)
		})
	}
}
