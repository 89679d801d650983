package arrowconv

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestTypeName(t *testing.T) {
	tests := []struct {
		t    arrow.DataType
		want string
	}{
		{nil, "NULL"},
		{arrow.Null, "NULL"},
		{arrow.FixedWidthTypes.Boolean, "BOOLEAN"},
		{arrow.PrimitiveTypes.Int8, "TINYINT"},
		{arrow.PrimitiveTypes.Int16, "SMALLINT"},
		{arrow.PrimitiveTypes.Int32, "INTEGER"},
		{arrow.PrimitiveTypes.Int64, "BIGINT"},
		{arrow.PrimitiveTypes.Float32, "REAL"},
		{arrow.PrimitiveTypes.Float64, "DOUBLE"},
		{&arrow.Decimal128Type{Precision: 10, Scale: 2}, "DECIMAL(10,2)"},
		{&arrow.Decimal256Type{Precision: 60, Scale: 0}, "DECIMAL(60,0)"},
		{arrow.BinaryTypes.String, "VARCHAR"},
		{arrow.BinaryTypes.LargeString, "VARCHAR"},
		{arrow.FixedWidthTypes.Date32, "DATE"},
		{&arrow.TimestampType{Unit: arrow.Microsecond}, "TIMESTAMP"},
		{&arrow.TimestampType{Unit: arrow.Nanosecond}, "TIMESTAMP"},
		{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, "TIMESTAMP WITH TIME ZONE"},
		{&arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "Europe/Paris"}, "TIMESTAMP WITH TIME ZONE"},
		{arrow.BinaryTypes.Binary, "VARBINARY"},
		{arrow.PrimitiveTypes.Uint64, "UBIGINT"},
		{arrow.FixedWidthTypes.Time64us, "TIME"},
		{arrow.FixedWidthTypes.Duration_s, "INTERVAL"},
		{arrow.ListOf(arrow.PrimitiveTypes.Int32), "LIST<ITEM: INT32, NULLABLE>"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := TypeName(tt.t); got != tt.want {
				t.Errorf("TypeName(%v) = %q, want %q", tt.t, got, tt.want)
			}
		})
	}
}
