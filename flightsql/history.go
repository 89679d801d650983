package flightsql

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// historySchema is the schema of a t$history table: one row per version,
// newest first.
var historySchema = arrow.NewSchema([]arrow.Field{
	{Name: "version", Type: arrow.PrimitiveTypes.Int64},
	{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "operation", Type: arrow.BinaryTypes.String},
	{Name: "read_version", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "schema_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "partitions", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "files_added", Type: arrow.PrimitiveTypes.Int64},
	{Name: "files_removed", Type: arrow.PrimitiveTypes.Int64},
	{Name: "rows_added", Type: arrow.PrimitiveTypes.Int64},
	{Name: "rows_removed", Type: arrow.PrimitiveTypes.Int64},
	{Name: "bytes_added", Type: arrow.PrimitiveTypes.Int64},
	{Name: "bytes_removed", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// historyReader reads the history of a table up to version upTo.
func (s *Server) historyReader(ctx context.Context, tableID string, upTo int64) (array.RecordReader, error) {
	commits, err := s.cfg.Catalog.Commits(ctx, tableID, 0, upTo)
	if err != nil {
		return nil, err
	}
	b := array.NewRecordBuilder(s.cfg.Allocator, historySchema)
	defer b.Release()
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		b.Field(0).(*array.Int64Builder).Append(c.Version)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(c.Timestamp.UnixMicro()))
		b.Field(2).(*array.StringBuilder).Append(string(c.Operation))
		if c.ReadVersion >= 0 && c.Version > 0 {
			b.Field(3).(*array.Int64Builder).Append(c.ReadVersion)
		} else {
			b.Field(3).AppendNull()
		}
		b.Field(4).(*array.Int64Builder).Append(c.SchemaID)
		if parts := c.Partitions(); len(parts) > 0 && !(len(parts) == 1 && parts[0] == "") {
			b.Field(5).(*array.StringBuilder).Append(strings.Join(parts, ","))
		} else {
			b.Field(5).AppendNull()
		}
		var rowsA, rowsR, bytesA, bytesR int64
		for _, f := range c.Added {
			rowsA += f.Rows
			bytesA += f.Size
		}
		for _, f := range c.Removed {
			rowsR += f.Rows
			bytesR += f.Size
		}
		b.Field(6).(*array.Int64Builder).Append(int64(len(c.Added)))
		b.Field(7).(*array.Int64Builder).Append(int64(len(c.Removed)))
		b.Field(8).(*array.Int64Builder).Append(rowsA)
		b.Field(9).(*array.Int64Builder).Append(rowsR)
		b.Field(10).(*array.Int64Builder).Append(bytesA)
		b.Field(11).(*array.Int64Builder).Append(bytesR)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(historySchema, []arrow.RecordBatch{rec})
}
