package lsio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// footerReadSize is how much of a file's tail OpenParquet reads in its first
// request; footers of files with a few hundred columns and row groups fit,
// so opening a remote file usually costs one request.
const footerReadSize = 64 << 10

var parquetMagic = []byte("PAR1")

func (o ReadOptions) withDefaults() ReadOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.WholeObjectBelow == 0 {
		o.WholeObjectBelow = DefaultWholeObjectBelow
	}
	return o
}

// ParquetFile is an open Parquet file: its footer is parsed, its data is
// read on demand. Methods other than Close are safe for concurrent use;
// each Read has its own reader.
type ParquetFile struct {
	path   string
	file   string // storage URI and path: the file's name in opts.Cache
	opts   ReadOptions
	st     Storage // set while the object is still to be opened (see source)
	shared Object  // a cached shareableObject to read, when st is set

	mu  sync.Mutex  // guards obj, src and the range reader
	obj Object      // nil once the file was read whole
	src io.ReaderAt // obj, or the whole file in memory

	ranges    *pqarrow.FileReader // ReadRanges' reader, reading under rangesCtx
	rangesCtx context.Context
	size      int64
	meta      *metadata.FileMetaData
	schema    *arrow.Schema
	fields    map[string]int // top-level field name -> index
	leaves    [][]int        // top-level field index -> its leaf column indices
}

// OpenParquet opens the Parquet file at path and parses its footer. Remote
// objects smaller than opts.WholeObjectBelow are fetched with one request
// and read from memory; larger ones are read by ranged requests, which Read
// coalesces to about one per row group and prefetches a row group ahead.
// Local and in-memory objects are always read in place.
func OpenParquet(ctx context.Context, st Storage, path string, opts ReadOptions) (*ParquetFile, error) {
	opts = opts.withDefaults()
	file := st.URI() + "\x00" + path
	if pf, ok := openCached(st, path, file, opts); ok {
		return pf, nil
	}
	obj, err := st.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	pf, err := openParquetObject(ctx, path, obj, opts)
	if err != nil {
		_ = pf.Close()
		return nil, err
	}
	pf.file = file
	if opts.Cache != nil {
		fe := &footerEntry{size: pf.size, meta: pf.meta, schema: pf.schema, fields: pf.fields, leaves: pf.leaves}
		if _, ok := obj.(shareableObject); ok {
			fe.obj = obj
		}
		opts.Cache.put(cacheKey{file: file, kind: CacheFooter}, fe, 4*int64(pf.meta.Size())+4096)
	}
	return pf, nil
}

// footerEntry is what FileCache keeps of an opened file: everything
// OpenParquet parses, and the object itself when it may be shared.
type footerEntry struct {
	size   int64
	meta   *metadata.FileMetaData
	schema *arrow.Schema
	fields map[string]int
	leaves [][]int
	obj    Object // a shareableObject, or nil
}

// shareableObject marks objects that hold no resources and may serve many
// readers at once (remote objects read by ranged requests), so the cache
// keeps them and a cached open makes no request.
type shareableObject interface{ shareable() }

func (*s3Object) shareable() {}

// openCached opens the file from opts.Cache's footer entry. ok is false
// when there is none. The object itself is opened only when data is first
// read (see source), so a lookup that a cached bloom filter or page index
// rules out costs no request at all.
func openCached(st Storage, path, file string, opts ReadOptions) (_ *ParquetFile, ok bool) {
	v, hit := opts.Cache.get(cacheKey{file: file, kind: CacheFooter})
	if !hit {
		return nil, false
	}
	fe := v.(*footerEntry)
	pf := &ParquetFile{path: path, file: file, opts: opts, size: fe.size,
		meta: fe.meta, schema: fe.schema, fields: fe.fields, leaves: fe.leaves, st: st, shared: fe.obj}
	return pf, true
}

// source returns the reader of the file's bytes, opening the object on
// first use when the file was opened from the cache.
func (pf *ParquetFile) source(ctx context.Context) (io.ReaderAt, error) {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	if pf.src != nil {
		return pf.src, nil
	}
	if pf.st == nil {
		return nil, fmt.Errorf("lsio: parquet read %q: the file is closed", pf.path)
	}
	obj := pf.shared
	if obj == nil {
		var err error
		if obj, err = pf.st.Open(ctx, pf.path); err != nil {
			return nil, err
		}
		if obj.Size() != pf.size {
			_ = obj.Close()
			pf.opts.Cache.drop(pf.file)
			return nil, fmt.Errorf("lsio: parquet read %q: the object is %d bytes, its cached footer says %d", pf.path, obj.Size(), pf.size)
		}
	}
	pf.obj, pf.src = obj, obj
	if _, local := obj.(inPlaceObject); !local && pf.size < pf.opts.WholeObjectBelow {
		data := make([]byte, pf.size)
		if _, err := ReadAtContext(ctx, obj, data, 0); err != nil && !errors.Is(err, io.EOF) {
			pf.obj, pf.src = nil, nil
			_ = obj.Close()
			return nil, fmt.Errorf("lsio: parquet open %q: %w", pf.path, err)
		}
		pf.src = bytes.NewReader(data)
		pf.obj = nil
		_ = obj.Close()
	}
	return pf.src, nil
}

// openParquetObject opens the file in obj, taking ownership of obj. On
// error the returned ParquetFile only needs closing.
func openParquetObject(ctx context.Context, path string, obj Object, opts ReadOptions) (*ParquetFile, error) {
	pf := &ParquetFile{path: path, opts: opts, obj: obj, src: obj, size: obj.Size()}
	if _, local := obj.(inPlaceObject); !local && pf.size < opts.WholeObjectBelow {
		data := make([]byte, pf.size)
		if _, err := ReadAtContext(ctx, obj, data, 0); err != nil && !errors.Is(err, io.EOF) {
			return pf, fmt.Errorf("lsio: parquet open %q: %w", path, err)
		}
		pf.src = bytes.NewReader(data)
		pf.obj = nil
		_ = obj.Close()
	}
	if err := pf.initChecked(ctx); err != nil {
		return pf, fmt.Errorf("lsio: parquet open %q: %w", path, err)
	}
	return pf, nil
}

// init parses the footer and the schema.
func (pf *ParquetFile) init(ctx context.Context) error {
	meta, err := readFooter(ctx, pf.src, pf.size)
	if err != nil {
		return err
	}
	meta.SetSourceFileSize(pf.size)
	meta.WriterVersion() // computed lazily; compute it now, before concurrent use
	pf.meta = meta

	fr, err := pf.fileReader(ctxReaderAt{ctx: ctx, r: pf.src}, 0)
	if err != nil {
		return err
	}
	stored, err := fr.Schema()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	pf.schema = cleanSchema(stored)
	pf.fields = make(map[string]int, pf.schema.NumFields())
	for i, f := range pf.schema.Fields() {
		pf.fields[f.Name] = i
	}
	pf.leaves = make([][]int, pf.schema.NumFields())
	root := meta.Schema.Root()
	for leaf := range meta.Schema.NumColumns() {
		fi := root.FieldIndexByField(meta.Schema.ColumnRoot(leaf))
		if fi < 0 || fi >= len(pf.leaves) {
			return fmt.Errorf("column %d has no top-level field", leaf)
		}
		pf.leaves[fi] = append(pf.leaves[fi], leaf)
	}
	return nil
}

// fieldIDKey is the field metadata key through which Parquet field ids
// surface in Arrow; the reader adds it with "-1" to fields that have none.
const fieldIDKey = "PARQUET:field_id"

// cleanSchema returns the schema as it was written: without the serialized
// Arrow schema the file carries in its metadata and without the placeholder
// field ids the reader invents.
func cleanSchema(s *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		if idx := f.Metadata.FindKey(fieldIDKey); idx >= 0 && f.Metadata.Values()[idx] == "-1" {
			var keys, values []string
			for k := range f.Metadata.Len() {
				if k != idx {
					keys = append(keys, f.Metadata.Keys()[k])
					values = append(values, f.Metadata.Values()[k])
				}
			}
			f.Metadata = arrow.NewMetadata(keys, values)
		}
		fields[i] = f
	}
	var keys, values []string
	md := s.Metadata()
	for k := range md.Len() {
		if md.Keys()[k] != arrowSchemaKey {
			keys = append(keys, md.Keys()[k])
			values = append(values, md.Values()[k])
		}
	}
	if len(keys) == 0 {
		return arrow.NewSchema(fields, nil)
	}
	meta := arrow.NewMetadata(keys, values)
	return arrow.NewSchema(fields, &meta)
}

// arrowSchemaKey holds the serialized Arrow schema in the file's key-value
// metadata.
const arrowSchemaKey = "ARROW:schema"

// inPlaceObject marks objects whose random reads are cheap (local files,
// memory), which OpenParquet never copies whole.
type inPlaceObject interface{ readsInPlace() }

func (*fileObject) readsInPlace()  {}
func (*bytesObject) readsInPlace() {}

// readFooter reads and parses the footer with one request when it fits in
// the tail read, two otherwise.
func readFooter(ctx context.Context, src io.ReaderAt, size int64) (*metadata.FileMetaData, error) {
	const trailer = 8 // footer length (4 bytes) + magic (4 bytes)
	if size < int64(len(parquetMagic)+trailer) {
		return nil, fmt.Errorf("not a parquet file: %d bytes", size)
	}
	tail := make([]byte, min(size, footerReadSize))
	if _, err := ReadAtContext(ctx, src, tail, size-int64(len(tail))); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if !bytes.Equal(tail[len(tail)-4:], parquetMagic) {
		return nil, errors.New("not a parquet file (bad magic; encrypted footers are not supported)")
	}
	footerLen := int64(binary.LittleEndian.Uint32(tail[len(tail)-trailer:]))
	if footerLen+trailer+int64(len(parquetMagic)) > size {
		return nil, fmt.Errorf("corrupt parquet footer length %d in a %d-byte file", footerLen, size)
	}
	var footer []byte
	if footerLen+trailer <= int64(len(tail)) {
		footer = tail[int64(len(tail))-trailer-footerLen : len(tail)-trailer]
	} else {
		footer = make([]byte, footerLen)
		if _, err := ReadAtContext(ctx, src, footer, size-trailer-footerLen); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	meta, err := parseFooter(footer)
	if err != nil {
		return nil, fmt.Errorf("parse footer: %w", err)
	}
	if err := checkEmbeddedSchema(meta); err != nil {
		return nil, fmt.Errorf("parse footer: %w", err)
	}
	if err := checkChunks(meta, size); err != nil {
		return nil, fmt.Errorf("parse footer: %w", err)
	}
	return meta, nil
}

// fileReader returns an Arrow reader over the parsed footer that reads the
// file's bytes from src.
func (pf *ParquetFile) fileReader(src io.ReaderAt, batchSize int64) (*pqarrow.FileReader, error) {
	// Parquet page buffers come from the Go allocator: the reader pools them
	// and frees them by finalizer, which must not be charged to the caller's
	// allocator. Records come from opts.Allocator.
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	rdr, err := file.NewParquetReader(
		io.NewSectionReader(src, 0, pf.size),
		file.WithReadProps(props), file.WithMetadata(pf.meta))
	if err != nil {
		return nil, err
	}
	return pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: batchSize, PreAllocBinaryData: true}, pf.opts.Allocator)
}

// Path returns the object path the file was opened from.
func (pf *ParquetFile) Path() string { return pf.path }

// Size returns the file size in bytes.
func (pf *ParquetFile) Size() int64 { return pf.size }

// Schema returns the Arrow schema stored in the file.
func (pf *ParquetFile) Schema() *arrow.Schema { return pf.schema }

// NumRows returns the number of rows in the file.
func (pf *ParquetFile) NumRows() int64 { return pf.meta.NumRows }

// NumRowGroups returns the number of row groups.
func (pf *ParquetFile) NumRowGroups() int { return pf.meta.NumRowGroups() }

// RowGroupRows returns the number of rows in row group i.
func (pf *ParquetFile) RowGroupRows(i int) int64 { return pf.meta.RowGroup(i).NumRows() }

// Metadata exposes the parsed footer for callers needing more than the
// methods here (for example column chunk sizes).
func (pf *ParquetFile) Metadata() *metadata.FileMetaData { return pf.meta }

// Read streams the named top-level columns, in the order given, from the
// given row groups (nil: all) as records of up to BatchSize rows allocated
// from the file's allocator. nil columns reads every column; an empty,
// non-nil slice yields records with no columns that carry only row counts.
// Data is decoded one batch at a time, a column chunk at a time fetched
// from storage. Cancelling ctx stops the reader (its Err reports the
// cancellation) and in-flight remote reads.
func (pf *ParquetFile) Read(ctx context.Context, columns []string, rowGroups []int) (array.RecordReader, error) {
	fieldIdx, err := pf.resolveColumns(columns)
	if err != nil {
		return nil, err
	}
	var nrows int64
	for _, rg := range rowGroups {
		if rg < 0 || rg >= pf.NumRowGroups() {
			return nil, fmt.Errorf("lsio: parquet read %q: row group %d out of range [0, %d)", pf.path, rg, pf.NumRowGroups())
		}
		nrows += pf.RowGroupRows(rg)
	}
	if rowGroups == nil {
		nrows = pf.NumRows()
	}
	fields := make([]arrow.Field, len(fieldIdx))
	for i, fi := range fieldIdx {
		fields[i] = pf.schema.Field(fi)
	}
	md := pf.schema.Metadata()
	schema := arrow.NewSchema(fields, &md)
	if nrows == 0 {
		return array.NewRecordReader(schema, nil)
	}
	if len(fieldIdx) == 0 {
		return newCountReader(ctx, schema, nrows, pf.opts.BatchSize), nil
	}
	var leaves []int
	for _, fi := range fieldIdx {
		leaves = append(leaves, pf.leaves[fi]...)
	}
	if rowGroups == nil {
		rowGroups = make([]int, pf.NumRowGroups())
		for i := range rowGroups {
			rowGroups[i] = i
		}
	}
	raw, err := pf.source(ctx)
	if err != nil {
		return nil, err
	}
	var src io.ReaderAt = ctxReaderAt{ctx: ctx, r: raw}
	var spans *spanReader
	if pf.remote() {
		if spans, err = newSpanReader(ctx, raw, pf.meta, leaves, rowGroups); err != nil {
			return nil, fmt.Errorf("lsio: parquet read %q: %w", pf.path, err)
		}
		src = spans
	}
	rr, err := pf.recordReader(ctx, src, leaves, rowGroups)
	if err != nil {
		if spans != nil {
			spans.close()
		}
		return nil, fmt.Errorf("lsio: parquet read %q: %w", pf.path, err)
	}
	r := newCtxRecordReader(ctx, rr, schema, pf.path)
	if spans != nil {
		r.onRelease = spans.close
	}
	return r, nil
}

func (pf *ParquetFile) recordReader(ctx context.Context, src io.ReaderAt, leaves, rowGroups []int) (rr pqarrow.RecordReader, err error) {
	defer recoverDamaged(&err)
	fr, err := pf.fileReader(src, pf.opts.BatchSize)
	if err != nil {
		return nil, err
	}
	return fr.GetRecordReader(ctx, leaves, rowGroups)
}

// remote reports whether reads go to a remote object by ranged requests
// (rather than to memory or a local file), so coalescing them pays.
func (pf *ParquetFile) remote() bool {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	if pf.obj == nil {
		return false
	}
	_, inPlace := pf.obj.(inPlaceObject)
	return !inPlace
}

func (pf *ParquetFile) resolveColumns(columns []string) ([]int, error) {
	if columns == nil {
		idx := make([]int, pf.schema.NumFields())
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	idx := make([]int, 0, len(columns))
	seen := make(map[int]bool, len(columns))
	for _, name := range columns {
		fi, ok := pf.fields[name]
		if !ok {
			return nil, fmt.Errorf("lsio: parquet read %q: no column %q", pf.path, name)
		}
		if seen[fi] {
			return nil, fmt.Errorf("lsio: parquet read %q: column %q requested twice", pf.path, name)
		}
		seen[fi] = true
		idx = append(idx, fi)
	}
	return idx, nil
}

// Close releases the file.
func (pf *ParquetFile) Close() error {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	pf.st, pf.shared = nil, nil
	pf.ranges, pf.rangesCtx = nil, nil
	if pf.obj == nil {
		pf.src = nil
		return nil
	}
	err := pf.obj.Close()
	pf.obj = nil
	return err
}

// ctxRecordReader stops a Parquet record reader once its context ends and
// presents the projected schema without file-level metadata. The context
// belongs to the one Read call that made the reader.
type ctxRecordReader struct {
	ctx    context.Context
	rr     pqarrow.RecordReader
	schema *arrow.Schema
	path   string
	cur    arrow.RecordBatch
	err    error
	refs   atomic.Int64

	onRelease func() // runs once the last reference is released
}

func newCtxRecordReader(ctx context.Context, rr pqarrow.RecordReader, schema *arrow.Schema, path string) *ctxRecordReader {
	r := &ctxRecordReader{ctx: ctx, rr: rr, schema: schema, path: path}
	r.refs.Store(1)
	return r
}

func (r *ctxRecordReader) Retain()               { r.refs.Add(1) }
func (r *ctxRecordReader) Schema() *arrow.Schema { return r.schema }

func (r *ctxRecordReader) Release() {
	if r.refs.Add(-1) == 0 {
		r.releaseCur()
		r.rr.Release()
		if r.onRelease != nil {
			r.onRelease()
		}
	}
}

func (r *ctxRecordReader) releaseCur() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *ctxRecordReader) Next() bool {
	r.releaseCur()
	if r.err != nil {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = fmt.Errorf("lsio: parquet read %q: %w", r.path, err)
		return false
	}
	ok, perr := nextChecked(r.rr)
	if perr != nil {
		r.err = fmt.Errorf("lsio: parquet read %q: %w", r.path, perr)
		return false
	}
	if !ok {
		if err := r.rr.Err(); err != nil {
			if cerr := r.ctx.Err(); cerr != nil {
				err = cerr
			}
			r.err = fmt.Errorf("lsio: parquet read %q: %w", r.path, err)
		}
		return false
	}
	rec := r.rr.RecordBatch()
	r.cur = array.NewRecordBatch(r.schema, rec.Columns(), rec.NumRows())
	return true
}

func (r *ctxRecordReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record returns the current record.
//
// Deprecated: use RecordBatch.
func (r *ctxRecordReader) Record() arrow.RecordBatch { return r.cur }

func (r *ctxRecordReader) Err() error { return r.err }

// countReader yields column-less records carrying only row counts.
type countReader struct {
	ctx       context.Context
	schema    *arrow.Schema
	remaining int64
	batch     int64
	cur       arrow.RecordBatch
	err       error
	refs      atomic.Int64
}

func newCountReader(ctx context.Context, schema *arrow.Schema, rows, batch int64) *countReader {
	r := &countReader{ctx: ctx, schema: schema, remaining: rows, batch: batch}
	r.refs.Store(1)
	return r
}

func (r *countReader) Retain()               { r.refs.Add(1) }
func (r *countReader) Schema() *arrow.Schema { return r.schema }

func (r *countReader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *countReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.remaining == 0 || r.err != nil {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return false
	}
	n := min(r.batch, r.remaining)
	r.remaining -= n
	r.cur = array.NewRecordBatch(r.schema, nil, n)
	return true
}

func (r *countReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record returns the current record.
//
// Deprecated: use RecordBatch.
func (r *countReader) Record() arrow.RecordBatch { return r.cur }

func (r *countReader) Err() error { return r.err }
