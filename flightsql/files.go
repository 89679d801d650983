package flightsql

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
)

// t$files and t$partitions describe the data files of a table at a pinned
// snapshot (the latest, or the one FOR VERSION / TIMESTAMP AS OF names).
// Both are computed from the snapshot's file list alone: no data file is
// read.

// filesSchema is the schema of a t$files table: one row per live data
// file, in merge order within each (partition, bucket).
var filesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "path", Type: arrow.BinaryTypes.String},
	{Name: "partition", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bucket", Type: arrow.PrimitiveTypes.Int32},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64},
	{Name: "rows", Type: arrow.PrimitiveTypes.Int64},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "schema_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "has_deletes", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "run", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// partitionsSchema is the schema of a t$partitions table: one row per
// partition that has live files.
var partitionsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "partition", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "files", Type: arrow.PrimitiveTypes.Int64},
	{Name: "rows", Type: arrow.PrimitiveTypes.Int64},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "buckets", Type: arrow.PrimitiveTypes.Int64},
	{Name: "max_runs", Type: arrow.PrimitiveTypes.Int64},
	{Name: "last_updated_version", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// runs numbers each file of a snapshot within its (partition, bucket),
// 1 for the oldest: the snapshot lists files sorted by (partition, bucket,
// seq, path), so a file's run is its position in its group.
func runs(files []catalog.DataFile) []int64 {
	out := make([]int64, len(files))
	for i, f := range files {
		out[i] = 1
		if i > 0 && files[i-1].Partition == f.Partition && files[i-1].Bucket == f.Bucket {
			out[i] = out[i-1] + 1
		}
	}
	return out
}

// appendPartition appends a partition, NULL for the one partition of an
// unpartitioned table.
func appendPartition(b *array.StringBuilder, p string) {
	if p == "" {
		b.AppendNull()
		return
	}
	b.Append(p)
}

// filesReader lists the live files of a snapshot.
func (s *Server) filesReader(snap *catalog.Snapshot) (array.RecordReader, error) {
	b := array.NewRecordBuilder(s.cfg.Allocator, filesSchema)
	defer b.Release()
	run := runs(snap.Files)
	for i, f := range snap.Files {
		b.Field(0).(*array.StringBuilder).Append(f.Path)
		appendPartition(b.Field(1).(*array.StringBuilder), f.Partition)
		b.Field(2).(*array.Int32Builder).Append(int32(f.Bucket))
		b.Field(3).(*array.Int64Builder).Append(f.Seq)
		b.Field(4).(*array.Int64Builder).Append(f.Rows)
		b.Field(5).(*array.Int64Builder).Append(f.Size)
		b.Field(6).(*array.Int64Builder).Append(f.SchemaID)
		b.Field(7).(*array.BooleanBuilder).Append(f.Deletes)
		b.Field(8).(*array.Int64Builder).Append(run[i])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(filesSchema, []arrow.RecordBatch{rec})
}

// partitionsReader summarises the live files of a snapshot by partition.
func (s *Server) partitionsReader(snap *catalog.Snapshot) (array.RecordReader, error) {
	b := array.NewRecordBuilder(s.cfg.Allocator, partitionsSchema)
	defer b.Release()
	run := runs(snap.Files)
	files := snap.Files
	for start := 0; start < len(files); {
		end := start
		var rows, bytes, buckets, maxRuns, last int64
		for ; end < len(files) && files[end].Partition == files[start].Partition; end++ {
			f := files[end]
			rows += f.Rows
			bytes += f.Size
			if run[end] == 1 {
				buckets++
			}
			maxRuns = max(maxRuns, run[end])
			last = max(last, f.Seq)
		}
		appendPartition(b.Field(0).(*array.StringBuilder), files[start].Partition)
		b.Field(1).(*array.Int64Builder).Append(int64(end - start))
		b.Field(2).(*array.Int64Builder).Append(rows)
		b.Field(3).(*array.Int64Builder).Append(bytes)
		b.Field(4).(*array.Int64Builder).Append(buckets)
		b.Field(5).(*array.Int64Builder).Append(maxRuns)
		b.Field(6).(*array.Int64Builder).Append(last)
		start = end
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(partitionsSchema, []arrow.RecordBatch{rec})
}
