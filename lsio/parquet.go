package lsio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Defaults for WriteOptions and ReadOptions fields left zero.
const (
	DefaultRowGroupRows     = 64 * 1024
	DefaultZstdLevel        = 1
	DefaultBatchSize        = 8192
	DefaultWholeObjectBelow = 32 << 20
	DefaultPageBytes        = 32 << 10
	// bloomFPP is the false-positive rate of key columns' bloom filters:
	// about 9.6 bits per distinct key.
	bloomFPP = 0.01
)

// writeBufferSize batches the Parquet writer's many small writes (page
// headers, pages) into large writes to the storage.
const writeBufferSize = 1 << 20

// ErrWriterClosed is returned by a ParquetWriter used after Close, Abort or
// a failed Write.
var ErrWriterClosed = errors.New("lsio: parquet writer is closed")

func (o WriteOptions) withDefaults() WriteOptions {
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.ZstdLevel == 0 {
		o.ZstdLevel = DefaultZstdLevel
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.PageBytes <= 0 {
		o.PageBytes = DefaultPageBytes
	}
	return o
}

// ParquetWriter writes one Parquet file through Storage.Create, so the file
// becomes visible only when Close succeeds. It is not safe for concurrent
// use.
type ParquetWriter struct {
	path   string
	schema *arrow.Schema
	out    Writer        // the storage object being written
	sink   *countingSink // counts bytes, can be cut off on abort
	fw     *pqarrow.FileWriter
	rows   int64
	done   bool
}

// countingSink sits between the Parquet encoder and the storage writer. It
// deliberately has no Close method, so closing the encoder never closes
// (commits) the storage object.
type countingSink struct {
	buf *bufio.Writer
	n   int64
}

func (c *countingSink) Write(p []byte) (int, error) {
	n, err := c.buf.Write(p)
	c.n += int64(n)
	return n, err
}

// NewParquetWriter starts a Parquet file at path with the given schema.
// Columns are ZSTD-compressed at opts.ZstdLevel, carry min/max/null-count
// statistics and a page index, key columns a bloom filter per row group,
// and string and binary columns are dictionary-encoded; the
// Arrow schema is stored in the file so every type reads back exactly.
func NewParquetWriter(ctx context.Context, st Storage, path string, schema *arrow.Schema, opts WriteOptions) (*ParquetWriter, error) {
	if schema == nil {
		return nil, errors.New("lsio: parquet writer needs a schema")
	}
	opts = opts.withDefaults()
	out, err := st.Create(ctx, path)
	if err != nil {
		return nil, err
	}
	sink := &countingSink{buf: bufio.NewWriterSize(out, writeBufferSize)}
	fw, err := pqarrow.NewFileWriter(schema, sink, writerProperties(schema, opts),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(opts.Allocator)))
	if err != nil {
		_ = out.Abort()
		return nil, fmt.Errorf("lsio: parquet writer %q: %w", path, err)
	}
	return &ParquetWriter{path: path, schema: schema, out: out, sink: sink, fw: fw}, nil
}

// writerProperties are the Parquet settings of every file the project
// writes.
func writerProperties(schema *arrow.Schema, opts WriteOptions) *parquet.WriterProperties {
	props := []parquet.WriterProperty{
		parquet.WithAllocator(opts.Allocator),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(opts.ZstdLevel),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(opts.RowGroupRows),
		parquet.WithDictionaryDefault(false),
		parquet.WithDataPageSize(opts.PageBytes),
		// The writer checks a page's size every batch of values: small
		// pages need small batches.
		parquet.WithBatchSize(min(1024, max(64, opts.PageBytes/64))),
		parquet.WithPageIndexEnabled(true),
	}
	ndv := opts.RowGroupRows
	if opts.Rows > 0 && opts.Rows < ndv {
		ndv = opts.Rows
	}
	for _, f := range schema.Fields() {
		if dictionaryEncoded(f.Type) && !slices.Contains(opts.PlainColumns, f.Name) {
			props = append(props, parquet.WithDictionaryFor(f.Name, true))
		}
		if slices.Contains(opts.KeyColumns, f.Name) {
			props = append(props, parquet.WithBloomFilterEnabledFor(f.Name, true),
				parquet.WithBloomFilterFPPFor(f.Name, bloomFPP),
				parquet.WithBloomFilterNDVFor(f.Name, ndv))
		}
	}
	return parquet.NewWriterProperties(props...)
}

// dictionaryEncoded reports the column types written with dictionary
// encoding: variable-length values, where repeats are common and plain
// encoding is expensive. Fixed-width columns compress well enough with ZSTD
// alone and encode much faster without a dictionary.
func dictionaryEncoded(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return true
	}
	return false
}

// Schema returns the schema records must have.
func (w *ParquetWriter) Schema() *arrow.Schema { return w.schema }

// Write appends a record, whose schema must equal the writer's. Records are
// accumulated into row groups of up to RowGroupRows rows. After a failed
// Write the file is aborted.
func (w *ParquetWriter) Write(rec arrow.RecordBatch) error {
	if w.done {
		return ErrWriterClosed
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("lsio: parquet write %q: record schema %s does not match file schema %s",
			w.path, rec.Schema(), w.schema)
	}
	if err := w.fw.WriteBuffered(rec); err != nil {
		_ = w.Abort()
		return fmt.Errorf("lsio: parquet write %q: %w", w.path, err)
	}
	w.rows += rec.NumRows()
	return nil
}

// Rows returns the number of rows written so far.
func (w *ParquetWriter) Rows() int64 { return w.rows }

// Close finishes the file and makes it visible.
func (w *ParquetWriter) Close() (FileStats, error) {
	if w.done {
		return FileStats{}, ErrWriterClosed
	}
	w.done = true
	if err := w.fw.Close(); err != nil {
		_ = w.out.Abort()
		return FileStats{}, fmt.Errorf("lsio: parquet close %q: %w", w.path, err)
	}
	if err := w.sink.buf.Flush(); err != nil {
		_ = w.out.Abort()
		return FileStats{}, fmt.Errorf("lsio: parquet close %q: %w", w.path, err)
	}
	if err := w.out.Close(); err != nil {
		return FileStats{}, err
	}
	return FileStats{Path: w.path, Rows: w.rows, Size: w.sink.n}, nil
}

// Abort discards the file; nothing becomes visible. Abort after Close is a
// no-op.
func (w *ParquetWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	// Closing the encoder releases its buffers; its output goes nowhere.
	w.sink.buf.Reset(io.Discard)
	_ = w.fw.Close()
	return w.out.Abort()
}

// WriteParquet writes recs (all with the given schema) as one Parquet file.
func WriteParquet(ctx context.Context, st Storage, path string, schema *arrow.Schema, recs []arrow.RecordBatch, opts WriteOptions) (FileStats, error) {
	w, err := NewParquetWriter(ctx, st, path, schema, opts)
	if err != nil {
		return FileStats{}, err
	}
	for _, rec := range recs {
		if err := ctx.Err(); err != nil {
			_ = w.Abort()
			return FileStats{}, fmt.Errorf("lsio: parquet write %q: %w", path, err)
		}
		if err := w.Write(rec); err != nil {
			_ = w.Abort()
			return FileStats{}, err
		}
	}
	return w.Close()
}
