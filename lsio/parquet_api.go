package lsio

// This file fixes the Parquet API that the rest of lakesoul-flight builds on.
// The implementation lives in parquet.go.

import (
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WriteOptions control how Parquet files are written.
type WriteOptions struct {
	// RowGroupRows is the maximum number of rows per row group (default 65536).
	RowGroupRows int64
	// ZstdLevel is the ZSTD compression level (default 1: fast, good ratio).
	ZstdLevel int
	// Allocator for temporary buffers (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// PlainColumns are string or binary columns written without dictionary
	// encoding: those whose values rarely repeat (keys, addresses), where a
	// dictionary costs time and saves nothing.
	PlainColumns []string
	// KeyColumns are the primary-key columns. Each gets a bloom filter per
	// row group, so a key lookup skips the row groups (and whole files)
	// that do not hold its key.
	KeyColumns []string
	// Rows is the number of rows the file will hold, when known: it sizes
	// the bloom filters of files smaller than a row group.
	Rows int64
	// PageBytes bounds the size of a data page before compression (default
	// DefaultPageBytes). Every column has a page index, so a reader that
	// wants a few rows decodes only the pages holding them: smaller pages
	// make key lookups cheaper and scans slightly dearer.
	PageBytes int64
}

// ReadOptions control how Parquet files are read.
type ReadOptions struct {
	// BatchSize is the number of rows per record produced (default 8192).
	BatchSize int64
	// Allocator for the records produced (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// WholeObjectBelow makes OpenParquet read objects smaller than this many
	// bytes with one request and serve all reads from memory (default 32 MiB).
	// Set it negative to always use ranged reads.
	WholeObjectBelow int64
	// Cache, when set, keeps parsed footers, bloom filters and page
	// indexes of the files opened, so that opening a file again costs no
	// parsing and (for remote objects) no request.
	Cache *FileCache
}

// FileStats describes a written Parquet file.
type FileStats struct {
	Path string
	Rows int64
	Size int64 // bytes stored
}

// ColumnStats are a row group's statistics for one column, decoded to Go
// values: every integer type (including dates, times and timestamps) as
// int64, floats as float64, UTF-8 strings as string, binary as []byte,
// booleans as bool, decimal128 as decimal128.Num. HasMinMax is false when
// the writer stored no min/max, and for a uint64 column whose maximum does
// not fit in int64.
type ColumnStats struct {
	HasMinMax bool
	Min, Max  any
	NullCount int64
}
