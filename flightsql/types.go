package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// JDBC type codes (java.sql.Types) of the SQL types the server speaks.
const (
	jdbcBoolean     = 16
	jdbcTinyint     = -6
	jdbcSmallint    = 5
	jdbcInteger     = 4
	jdbcBigint      = -5
	jdbcReal        = 7
	jdbcDouble      = 8
	jdbcDecimal     = 3
	jdbcVarchar     = 12
	jdbcVarbinary   = -3
	jdbcDate        = 91
	jdbcTimestamp   = 93
	jdbcTimestampTZ = 2014
)

// sqlType describes one SQL type for GetXdbcTypeInfo.
type sqlType struct {
	name       string
	jdbc       int32
	size       int32 // column size (precision); 0 if none
	prefix     string
	params     []string
	searchable int32 // 3 searchable, 2 all except LIKE
	unsigned   bool
	fixedScale bool
	minScale   int32
	maxScale   int32
	radix      int32
	datetime   int32 // datetime subcode; 0 if none
}

// sqlTypes lists the types of CREATE TABLE, in JDBC type code order.
var sqlTypes = []sqlType{
	{name: "DECIMAL", jdbc: jdbcDecimal, size: 38, params: []string{"precision", "scale"}, searchable: 2, fixedScale: true, maxScale: 38, radix: 10},
	{name: "INTEGER", jdbc: jdbcInteger, size: 10, searchable: 2, radix: 10},
	{name: "SMALLINT", jdbc: jdbcSmallint, size: 5, searchable: 2, radix: 10},
	{name: "REAL", jdbc: jdbcReal, size: 24, searchable: 2, radix: 2},
	{name: "DOUBLE", jdbc: jdbcDouble, size: 53, searchable: 2, radix: 2},
	{name: "VARCHAR", jdbc: jdbcVarchar, size: 1 << 30, prefix: "'", params: []string{"length"}, searchable: 3},
	{name: "BOOLEAN", jdbc: jdbcBoolean, size: 1, searchable: 2},
	{name: "DATE", jdbc: jdbcDate, size: 10, prefix: "DATE '", searchable: 2, datetime: 1},
	{name: "TIMESTAMP", jdbc: jdbcTimestamp, size: 26, prefix: "TIMESTAMP '", searchable: 2, maxScale: 6, datetime: 3},
	{name: "TIMESTAMP WITH TIME ZONE", jdbc: jdbcTimestampTZ, size: 32, prefix: "TIMESTAMPTZ '", searchable: 2, maxScale: 6, datetime: 3},
	{name: "BIGINT", jdbc: jdbcBigint, size: 19, searchable: 2, radix: 10},
	{name: "TINYINT", jdbc: jdbcTinyint, size: 3, searchable: 2, radix: 10},
	{name: "VARBINARY", jdbc: jdbcVarbinary, size: 1 << 30, prefix: "X'", searchable: 2},
}

// typeInfoRecord builds the GetXdbcTypeInfo result, for one JDBC type code
// or (dataType nil) all of them.
func typeInfoRecord(mem memory.Allocator, dataType *int32) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema_ref.XdbcTypeInfo)
	defer b.Release()
	for _, t := range sqlTypes {
		if dataType != nil && *dataType != t.jdbc {
			continue
		}
		b.Field(0).(*array.StringBuilder).Append(t.name)
		b.Field(1).(*array.Int32Builder).Append(t.jdbc)
		appendInt32(b.Field(2), t.size, t.size != 0)
		if t.prefix != "" {
			b.Field(3).(*array.StringBuilder).Append(t.prefix)
			b.Field(4).(*array.StringBuilder).Append("'")
		} else {
			b.Field(3).AppendNull()
			b.Field(4).AppendNull()
		}
		lb := b.Field(5).(*array.ListBuilder)
		if len(t.params) > 0 {
			lb.Append(true)
			lb.ValueBuilder().(*array.StringBuilder).AppendValues(t.params, nil)
		} else {
			lb.AppendNull()
		}
		b.Field(6).(*array.Int32Builder).Append(1) // nullable
		b.Field(7).(*array.BooleanBuilder).Append(t.jdbc == jdbcVarchar)
		b.Field(8).(*array.Int32Builder).Append(t.searchable)
		if t.radix != 0 {
			b.Field(9).(*array.BooleanBuilder).Append(t.unsigned)
		} else {
			b.Field(9).AppendNull()
		}
		b.Field(10).(*array.BooleanBuilder).Append(t.fixedScale)
		b.Field(11).(*array.BooleanBuilder).Append(false)
		b.Field(12).(*array.StringBuilder).Append(t.name)
		appendInt32(b.Field(13), t.minScale, t.radix == 10 || t.maxScale > 0)
		appendInt32(b.Field(14), t.maxScale, t.radix == 10 || t.maxScale > 0)
		code := t.jdbc
		if t.datetime != 0 {
			code = 9 // SQL_DATETIME
		}
		b.Field(15).(*array.Int32Builder).Append(code)
		appendInt32(b.Field(16), t.datetime, t.datetime != 0)
		appendInt32(b.Field(17), t.radix, t.radix != 0)
		b.Field(18).AppendNull()
	}
	return b.NewRecordBatch()
}

func appendInt32(b array.Builder, v int32, valid bool) {
	if !valid {
		b.AppendNull()
		return
	}
	b.(*array.Int32Builder).Append(v)
}

// withColumnMetadata returns s with the Flight SQL column metadata JDBC
// clients show (type name, precision, scale, table) on every field.
func withColumnMetadata(s *arrow.Schema, schemaName, tableName string) *arrow.Schema {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		b := flightsql.NewColumnMetadataBuilder().
			CatalogName(catalogName).
			TypeName(arrowconv.TypeName(f.Type)).
			IsAutoIncrement(false).
			IsCaseSensitive(f.Type.ID() == arrow.STRING).
			IsReadOnly(false).
			IsSearchable(true)
		if schemaName != "" {
			b.SchemaName(schemaName).TableName(tableName)
		}
		if p, sc, ok := precisionScale(f.Type); ok {
			b.Precision(p).Scale(sc)
		}
		md := b.Metadata()
		fields[i] = arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable, Metadata: md}
	}
	return arrow.NewSchema(fields, nil)
}

// precisionScale returns JDBC precision and scale of a type.
func precisionScale(t arrow.DataType) (int32, int32, bool) {
	switch t := t.(type) {
	case *arrow.Decimal128Type:
		return t.Precision, t.Scale, true
	case *arrow.TimestampType:
		return 26, 6, true
	}
	switch t.ID() {
	case arrow.INT8:
		return 3, 0, true
	case arrow.INT16:
		return 5, 0, true
	case arrow.INT32:
		return 10, 0, true
	case arrow.INT64:
		return 19, 0, true
	case arrow.FLOAT32:
		return 7, 0, true
	case arrow.FLOAT64:
		return 15, 0, true
	case arrow.DATE32:
		return 10, 0, true
	}
	return 0, 0, false
}
