package lsio

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// RowsReadable reports whether ReadRows can read a column of type t: the
// flat types whose Parquet values map one to one onto Arrow values (no
// unit coercion on the way). Other columns are read with Read.
func RowsReadable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.TIME64,
		arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return true
	case arrow.TIMESTAMP:
		return t.(*arrow.TimestampType).Unit != arrow.Second
	case arrow.TIME32:
		return t.(*arrow.Time32Type).Unit == arrow.Millisecond
	}
	return false
}

// RowReader reads chosen rows of some columns of a Parquet file. Rows are
// asked for in ascending order across calls, so each column is read once,
// forward: the values between chosen rows are skipped without being
// converted to Arrow (their pages are still decompressed), row groups
// without a chosen row are not touched at all.
//
// A RowReader belongs to the ctx it was made with and is not safe for
// concurrent use.
type RowReader struct {
	ctx    context.Context
	sparse bool // see NewSparseRowReader
	pf     *ParquetFile
	mem    memory.Allocator
	rdr    *file.Reader
	schema *arrow.Schema
	cols   []rowColumn
	starts []int64 // first row of each row group, and the file's row count
	next   int64   // rows before next were asked for already
}

// rowColumn is the read position of one column.
type rowColumn struct {
	name   string
	leaf   int
	maxDef int16
	rg     int                    // row group of cr, -1 before the first
	pos    int64                  // file row cr is at
	cr     file.ColumnChunkReader // nil before the first row group
}

// NewRowReader returns a reader of the named top-level columns of the file,
// allocating records from mem. Every column must satisfy RowsReadable.
func (pf *ParquetFile) NewRowReader(ctx context.Context, columns []string, mem memory.Allocator) (*RowReader, error) {
	return pf.newRowReader(ctx, columns, mem, false)
}

// NewSparseRowReader is NewRowReader for a few rows far apart, as key
// lookups read: it fetches only the pages holding the rows asked for, not
// whole column chunks, and moves to a row on another page by the page
// index instead of decoding the pages between.
func (pf *ParquetFile) NewSparseRowReader(ctx context.Context, columns []string, mem memory.Allocator) (*RowReader, error) {
	return pf.newRowReader(ctx, columns, mem, true)
}

func (pf *ParquetFile) newRowReader(ctx context.Context, columns []string, mem memory.Allocator, sparse bool) (*RowReader, error) {
	fieldIdx, err := pf.resolveColumns(columns)
	if err != nil {
		return nil, err
	}
	rr := &RowReader{ctx: ctx, sparse: sparse, pf: pf, mem: mem}
	fields := make([]arrow.Field, len(fieldIdx))
	for i, fi := range fieldIdx {
		f := pf.schema.Field(fi)
		if !RowsReadable(f.Type) || len(pf.leaves[fi]) != 1 {
			return nil, fmt.Errorf("lsio: parquet read rows %q: column %q of type %s cannot be read by row", pf.path, f.Name, f.Type)
		}
		leaf := pf.leaves[fi][0]
		fields[i] = f
		rr.cols = append(rr.cols, rowColumn{name: f.Name, leaf: leaf, maxDef: pf.meta.Schema.Column(leaf).MaxDefinitionLevel(), rg: -1})
	}
	rr.schema = arrow.NewSchema(fields, nil)
	var start int64
	for i := range pf.NumRowGroups() {
		rr.starts = append(rr.starts, start)
		start += pf.RowGroupRows(i)
	}
	rr.starts = append(rr.starts, start)
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	if sparse {
		props.BufferedStreamEnabled = true
		props.BufferSize = pointBufferBytes
	}
	raw, err := pf.source(ctx)
	if err != nil {
		return nil, err
	}
	src := ctxReaderAt{ctx: ctx, r: raw}
	rr.rdr, err = file.NewParquetReader(io.NewSectionReader(src, 0, pf.size), file.WithReadProps(props), file.WithMetadata(pf.meta))
	if err != nil {
		return nil, fmt.Errorf("lsio: parquet read rows %q: %w", pf.path, err)
	}
	return rr, nil
}

// Schema returns the schema of the records ReadRows returns: the columns as
// stored in the file.
func (rr *RowReader) Schema() *arrow.Schema { return rr.schema }

// ReadRows returns the given rows (positions in the file, counted from 0
// across row groups) in order. rows must be strictly ascending and above
// every row asked for before.
func (rr *RowReader) ReadRows(rows []int64) (rec arrow.RecordBatch, err error) {
	defer recoverDamaged(&err)
	if len(rows) > 0 && (rows[0] < rr.next || rows[len(rows)-1] >= rr.starts[len(rr.starts)-1]) {
		return nil, fmt.Errorf("lsio: parquet read rows %q: rows [%d, %d] outside [%d, %d)", rr.pf.path, rows[0], rows[len(rows)-1], rr.next, rr.starts[len(rr.starts)-1])
	}
	arrs := make([]arrow.Array, 0, len(rr.cols))
	defer func() {
		if err != nil {
			for _, a := range arrs {
				a.Release()
			}
		}
	}()
	for i := range rr.cols {
		a, err := rr.readColumn(&rr.cols[i], rr.schema.Field(i).Type, rows)
		if err != nil {
			return nil, fmt.Errorf("lsio: parquet read rows %q column %q: %w", rr.pf.path, rr.schema.Field(i).Name, err)
		}
		arrs = append(arrs, a)
	}
	if len(rows) > 0 {
		rr.next = rows[len(rows)-1] + 1
	}
	rec = array.NewRecordBatch(rr.schema, arrs, int64(len(rows)))
	for _, a := range arrs {
		a.Release()
	}
	return rec, nil
}

// seek moves c to row, which is at or after c.pos.
func (rr *RowReader) seek(c *rowColumn, row int64) error {
	if c.rg < 0 || row >= rr.starts[c.rg+1] {
		rg, _ := slices.BinarySearch(rr.starts, row+1)
		rg--
		cr, err := rr.rdr.RowGroup(rg).Column(c.leaf)
		if err != nil {
			return err
		}
		c.rg, c.pos, c.cr = rg, rr.starts[rg], cr
	}
	gap := row - c.pos
	if gap > 0 && rr.sparse {
		start := rr.starts[c.rg]
		pages, ok, err := rr.pf.PageStats(rr.ctx, c.rg, c.name)
		if err != nil {
			return err
		}
		pageOf := func(r int64) int {
			i, _ := slices.BinarySearchFunc(pages, r-start, func(p PageStats, r int64) int {
				switch {
				case p.FirstRow > r:
					return 1
				case p.FirstRow+p.Rows <= r:
					return -1
				}
				return 0
			})
			return i
		}
		if ok && (c.pos == start || pageOf(row) != pageOf(c.pos)) {
			if err := c.cr.SeekToRow(row - start); err != nil {
				return err
			}
			c.pos = row
			return nil
		}
	}
	if gap > 0 {
		if _, err := skipRows(c.cr, gap); err != nil {
			return err
		}
		c.pos = row
	}
	return nil
}

func skipRows(cr file.ColumnChunkReader, n int64) (int64, error) {
	switch r := cr.(type) {
	case *file.BooleanColumnChunkReader:
		return r.Skip(n)
	case *file.Int32ColumnChunkReader:
		return r.Skip(n)
	case *file.Int64ColumnChunkReader:
		return r.Skip(n)
	case *file.Float32ColumnChunkReader:
		return r.Skip(n)
	case *file.Float64ColumnChunkReader:
		return r.Skip(n)
	case *file.ByteArrayColumnChunkReader:
		return r.Skip(n)
	}
	return 0, fmt.Errorf("unsupported column reader %T", cr)
}

// values holds the values of one stretch of consecutive rows.
type values struct {
	defs  []int16
	bools []bool
	i32   []int32
	i64   []int64
	f32   []float32
	f64   []float64
	bytes []parquet.ByteArray
}

// read reads the next n rows of c into v; v's value slices hold only the
// non-null values, v.defs one level per row.
func (v *values) read(c *rowColumn, n int64) error {
	v.defs = slices.Grow(v.defs[:0], int(n))[:n]
	var defs []int16
	if c.maxDef > 0 {
		defs = v.defs
	}
	got := int64(0)
	vals := 0
	for got < n {
		var lv int64
		var nv int
		var err error
		switch r := c.cr.(type) {
		case *file.BooleanColumnChunkReader:
			v.bools = slices.Grow(v.bools[:vals], int(n-got))[:vals+int(n-got)]
			lv, nv, err = r.ReadBatch(n-got, v.bools[vals:], sub(defs, got), nil)
		case *file.Int32ColumnChunkReader:
			v.i32 = slices.Grow(v.i32[:vals], int(n-got))[:vals+int(n-got)]
			lv, nv, err = r.ReadBatch(n-got, v.i32[vals:], sub(defs, got), nil)
		case *file.Int64ColumnChunkReader:
			v.i64 = slices.Grow(v.i64[:vals], int(n-got))[:vals+int(n-got)]
			lv, nv, err = r.ReadBatch(n-got, v.i64[vals:], sub(defs, got), nil)
		case *file.Float32ColumnChunkReader:
			v.f32 = slices.Grow(v.f32[:vals], int(n-got))[:vals+int(n-got)]
			lv, nv, err = r.ReadBatch(n-got, v.f32[vals:], sub(defs, got), nil)
		case *file.Float64ColumnChunkReader:
			v.f64 = slices.Grow(v.f64[:vals], int(n-got))[:vals+int(n-got)]
			lv, nv, err = r.ReadBatch(n-got, v.f64[vals:], sub(defs, got), nil)
		case *file.ByteArrayColumnChunkReader:
			v.bytes = slices.Grow(v.bytes[:vals], int(n-got))[:vals+int(n-got)]
			// In-page reads leave the values pointing into the page (no
			// copy); they are copied into the builder before the next read.
			lv, nv, err = r.ReadBatchInPage(n-got, v.bytes[vals:], sub(defs, got), nil)
		default:
			return fmt.Errorf("unsupported column reader %T", c.cr)
		}
		if err != nil {
			return err
		}
		if lv == 0 {
			return fmt.Errorf("column chunk ended after %d of %d rows", got, n)
		}
		got += lv
		vals += nv
		if got < n && v.bytes != nil {
			// The next page may reuse the buffer the values point into.
			copyBytes(v.bytes[:vals])
		}
	}
	c.pos += n
	return nil
}

func sub(defs []int16, from int64) []int16 {
	if defs == nil {
		return nil
	}
	return defs[from:]
}

// Rows closer than spanGap to the previous chosen row are read together
// with the rows between them, up to spanMax rows at a time: decoding a value
// without converting it costs less than a separate call per chosen row.
const (
	spanGap = 256
	spanMax = 8192
)

// readColumn reads the given rows of one column.
func (rr *RowReader) readColumn(c *rowColumn, dt arrow.DataType, rows []int64) (arrow.Array, error) {
	b := array.NewBuilder(rr.mem, dt)
	defer b.Release()
	b.Reserve(len(rows))
	var v values
	var pick []int32
	for i := 0; i < len(rows); {
		if err := rr.seek(c, rows[i]); err != nil {
			return nil, err
		}
		first, end := rows[i], rr.starts[c.rg+1]
		j := i + 1
		for j < len(rows) && rows[j]-rows[j-1] <= spanGap && rows[j] < end && rows[j]-first < spanMax {
			j++
		}
		pick = pick[:0]
		for _, r := range rows[i:j] {
			pick = append(pick, int32(r-first))
		}
		if err := v.read(c, rows[j-1]-first+1); err != nil {
			return nil, err
		}
		appendValues(b, &v, pick, c.maxDef)
		i = j
	}
	return b.NewArray(), nil
}

// appendValues appends the rows pick (ascending offsets into the rows v
// holds) to b.
func appendValues(b array.Builder, v *values, pick []int32, maxDef int16) {
	k := 0 // index of the value of row r
	r := int32(0)
	for _, p := range pick {
		if maxDef > 0 {
			for ; r < p; r++ {
				if v.defs[r] == maxDef {
					k++
				}
			}
			r = p + 1
			if v.defs[p] < maxDef {
				b.AppendNull()
				continue
			}
		} else {
			k = int(p)
		}
		switch b := b.(type) {
		case *array.BooleanBuilder:
			b.Append(v.bools[k])
		case *array.Int8Builder:
			b.Append(int8(v.i32[k]))
		case *array.Int16Builder:
			b.Append(int16(v.i32[k]))
		case *array.Int32Builder:
			b.Append(v.i32[k])
		case *array.Uint8Builder:
			b.Append(uint8(v.i32[k]))
		case *array.Uint16Builder:
			b.Append(uint16(v.i32[k]))
		case *array.Uint32Builder:
			b.Append(uint32(v.i32[k]))
		case *array.Date32Builder:
			b.Append(arrow.Date32(v.i32[k]))
		case *array.Time32Builder:
			b.Append(arrow.Time32(v.i32[k]))
		case *array.Int64Builder:
			b.Append(v.i64[k])
		case *array.Uint64Builder:
			b.Append(uint64(v.i64[k]))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(v.i64[k]))
		case *array.Time64Builder:
			b.Append(arrow.Time64(v.i64[k]))
		case *array.Float32Builder:
			b.Append(v.f32[k])
		case *array.Float64Builder:
			b.Append(v.f64[k])
		case *array.StringBuilder:
			b.BinaryBuilder.Append(v.bytes[k])
		case *array.LargeStringBuilder:
			b.BinaryBuilder.Append(v.bytes[k])
		case *array.BinaryBuilder:
			b.Append(v.bytes[k])
		}
		if maxDef > 0 {
			k++
		}
	}
}

// copyBytes moves the values into a buffer of their own.
func copyBytes(vals []parquet.ByteArray) {
	n := 0
	for _, b := range vals {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	for i, b := range vals {
		buf = append(buf, b...)
		vals[i] = buf[len(buf)-len(b) : len(buf) : len(buf)]
	}
}
