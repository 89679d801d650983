package lsio

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/cespare/xxhash/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// This file holds the reads of a few rows: bloom filter checks, page
// statistics from the page index, and reading chosen row ranges while
// decoding only the pages that hold them.

// RowRange is the rows [Start, Start+Rows) of one row group.
type RowRange struct{ Start, Rows int64 }

// PageStats describes one data page of a column chunk: its first row
// within the row group, its row count and its statistics (decoded like
// ColumnStats; HasMinMax is false for types the page index is not decoded
// for).
type PageStats struct {
	FirstRow, Rows int64
	ColumnStats
}

// pointBufferBytes is the read buffer of the page readers of ReadRanges: a
// page or two, so that a read of a few rows reads little more than their
// pages.
const pointBufferBytes = 4 << 10

// leaf returns the only leaf column of a top-level column.
func (pf *ParquetFile) leaf(column string) (int, bool) {
	fi, ok := pf.fields[column]
	if !ok || len(pf.leaves[fi]) != 1 {
		return 0, false
	}
	return pf.leaves[fi][0], true
}

// parquetReader returns a low-level reader over the parsed footer, reading
// the file's bytes under ctx; buffered readers fetch pages as they are
// read instead of whole column chunks.
func (pf *ParquetFile) parquetReader(ctx context.Context, buffered bool) (*file.Reader, error) {
	raw, err := pf.source(ctx)
	if err != nil {
		return nil, err
	}
	src := ctxReaderAt{ctx: ctx, r: raw}
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	if buffered {
		props.BufferedStreamEnabled = true
		props.BufferSize = pointBufferBytes
	}
	return file.NewParquetReader(io.NewSectionReader(src, 0, pf.size), file.WithReadProps(props), file.WithMetadata(pf.meta))
}

// MayContain returns those of values (Go values as ColumnStats decodes
// them: int64 for integers, string for strings and binary) that row group
// rg of column may hold, by the column's bloom filter. It returns all of
// them when the column has no bloom filter, and for column types whose
// stored form may differ from the value's (unsigned integers, timestamps,
// decimals, floats), which are not checked.
func (pf *ParquetFile) MayContain(ctx context.Context, rg int, column string, values []any) ([]any, error) {
	leaf, found := pf.leaf(column)
	if !found || rg < 0 || rg >= pf.NumRowGroups() {
		return values, nil
	}
	cc, err := pf.meta.RowGroup(rg).ColumnChunk(leaf)
	if err != nil || cc.BloomFilterOffset() <= 0 {
		return values, nil
	}
	typ := pf.schema.Field(pf.fields[column]).Type
	phys := pf.meta.Schema.Column(leaf).PhysicalType()
	hashes := make([]uint64, len(values))
	for i, v := range values {
		h, ok := bloomHash(typ, phys, v)
		if !ok {
			return values, nil
		}
		hashes[i] = h
	}
	bf, err := pf.bloomFilter(ctx, rg, leaf)
	if err != nil || bf == nil {
		return values, err
	}
	var out []any
	for i, h := range hashes {
		if bf.CheckHash(h) {
			out = append(out, values[i])
		}
	}
	return out, nil
}

// bloomFilter returns the bloom filter of a column chunk, from the cache
// when it holds it.
func (pf *ParquetFile) bloomFilter(ctx context.Context, rg, leaf int) (bf metadata.BloomFilter, err error) {
	key := cacheKey{file: pf.file, kind: CacheBloom, rg: int32(rg), col: int32(leaf)}
	if pf.file != "" {
		if v, ok := pf.opts.Cache.get(key); ok {
			return v.(metadata.BloomFilter), nil
		}
	}
	defer recoverDamaged(&err)
	rdr, err := pf.parquetReader(ctx, false)
	if err != nil {
		return nil, err
	}
	rgr, err := rdr.GetBloomFilterReader().RowGroup(rg)
	if err != nil {
		return nil, err
	}
	bf, err = rgr.GetColumnBloomFilter(leaf)
	if err != nil {
		return nil, fmt.Errorf("lsio: parquet %q: bloom filter of row group %d: %w", pf.path, rg, err)
	}
	if bf != nil && pf.file != "" {
		pf.opts.Cache.put(key, bf, bf.Size()+256)
	}
	return bf, nil
}

// bloomHash hashes v as Parquet's bloom filters do: XXH64 (seed 0) of the
// plain encoding of the value's physical type.
func bloomHash(t arrow.DataType, phys parquet.Type, v any) (uint64, bool) {
	switch {
	case phys == parquet.Types.ByteArray:
		switch t.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		default:
			return 0, false
		}
		switch x := v.(type) {
		case string:
			return xxhash.Sum64String(x), true
		case []byte:
			return xxhash.Sum64(x), true
		}
	case phys == parquet.Types.Int32 && (t.ID() == arrow.INT8 || t.ID() == arrow.INT16 || t.ID() == arrow.INT32 || t.ID() == arrow.DATE32):
		x, ok := v.(int64)
		if !ok || x < math.MinInt32 || x > math.MaxInt32 {
			return 0, false
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(int32(x)))
		return xxhash.Sum64(b[:]), true
	case phys == parquet.Types.Int64 && t.ID() == arrow.INT64:
		x, ok := v.(int64)
		if !ok {
			return 0, false
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(x))
		return xxhash.Sum64(b[:]), true
	}
	return 0, false
}

// PageStats returns the data pages of column in row group rg, from the
// file's page index. ok is false when the file has no page index for it.
func (pf *ParquetFile) PageStats(ctx context.Context, rg int, column string) (pages []PageStats, ok bool, err error) {
	leaf, found := pf.leaf(column)
	if !found || rg < 0 || rg >= pf.NumRowGroups() {
		return nil, false, nil
	}
	key := cacheKey{file: pf.file, kind: CachePages, rg: int32(rg), col: int32(leaf)}
	if pf.file != "" {
		if v, hit := pf.opts.Cache.get(key); hit {
			pages = v.([]PageStats)
			return pages, pages != nil, nil
		}
	}
	pages, err = pf.readPageStats(ctx, rg, leaf, pf.schema.Field(pf.fields[column]).Type)
	if err != nil {
		return nil, false, err
	}
	if pf.file != "" {
		pf.opts.Cache.put(key, pages, 64*int64(len(pages))+128)
	}
	return pages, pages != nil, nil
}

func (pf *ParquetFile) readPageStats(ctx context.Context, rg, leaf int, typ arrow.DataType) (pages []PageStats, err error) {
	defer recoverDamaged(&err)
	cc, err := pf.meta.RowGroup(rg).ColumnChunk(leaf)
	if err != nil || cc.GetOffsetIndexLocation() == nil {
		return nil, nil
	}
	rdr, err := pf.parquetReader(ctx, false)
	if err != nil {
		return nil, err
	}
	rgr, err := rdr.GetPageIndexReader().RowGroup(rg)
	if err != nil || rgr == nil {
		return nil, err
	}
	oi, err := rgr.GetOffsetIndex(leaf)
	if err != nil || oi == nil {
		return nil, err
	}
	locs := oi.GetPageLocations()
	rows := pf.RowGroupRows(rg)
	pages = make([]PageStats, len(locs))
	for i, l := range locs {
		end := rows
		if i+1 < len(locs) {
			end = locs[i+1].FirstRowIndex
		}
		pages[i] = PageStats{FirstRow: l.FirstRowIndex, Rows: end - l.FirstRowIndex}
	}
	ci, err := rgr.GetColumnIndex(leaf)
	if err != nil || ci == nil {
		return pages, err
	}
	mins, maxs, nulls := ci.GetMinValues(), ci.GetMaxValues(), ci.GetNullPages()
	if len(mins) != len(pages) || len(maxs) != len(pages) || len(nulls) != len(pages) {
		return pages, nil
	}
	counts := ci.GetNullCounts()
	phys := pf.meta.Schema.Column(leaf).PhysicalType()
	for i := range pages {
		if ci.IsSetNullCounts() && len(counts) == len(pages) {
			pages[i].NullCount = counts[i]
		} else {
			pages[i].NullCount = -1
		}
		if nulls[i] {
			continue
		}
		lo, ok1 := decodePageValue(typ, phys, mins[i])
		hi, ok2 := decodePageValue(typ, phys, maxs[i])
		if ok1 && ok2 {
			pages[i].Min, pages[i].Max, pages[i].HasMinMax = lo, hi, true
		}
	}
	return pages, nil
}

// decodePageValue decodes a page index bound (plain-encoded) of the types
// key columns commonly have: strings, binary, signed integers and dates
// (stored as they are held in Arrow, unlike timestamps of some units).
func decodePageValue(t arrow.DataType, phys parquet.Type, b []byte) (any, bool) {
	switch phys {
	case parquet.Types.ByteArray:
		switch t.ID() {
		case arrow.STRING, arrow.LARGE_STRING:
			return string(b), true
		case arrow.BINARY, arrow.LARGE_BINARY:
			return append([]byte(nil), b...), true
		}
	case parquet.Types.Int32:
		switch t.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.DATE32:
			if len(b) == 4 {
				return int64(int32(binary.LittleEndian.Uint32(b))), true
			}
		}
	case parquet.Types.Int64:
		if t.ID() == arrow.INT64 {
			if len(b) == 8 {
				return int64(binary.LittleEndian.Uint64(b)), true
			}
		}
	}
	return nil, false
}

// ReadRanges reads the named top-level columns (in that order) of the given
// row ranges of row group rg, which must be sorted and disjoint, as one
// record holding the ranges' rows in order. Only the pages holding those
// rows are fetched and decoded (the file's page index locates them):
// ranges that share a page, or lie on neighbouring pages, are read with one
// seek.
func (pf *ParquetFile) ReadRanges(ctx context.Context, columns []string, rg int, ranges []RowRange) (arrow.RecordBatch, error) {
	fieldIdx, err := pf.resolveColumns(columns)
	if err != nil {
		return nil, err
	}
	if rg < 0 || rg >= pf.NumRowGroups() {
		return nil, fmt.Errorf("lsio: parquet read %q: row group %d out of range [0, %d)", pf.path, rg, pf.NumRowGroups())
	}
	n := pf.RowGroupRows(rg)
	last, total := int64(0), int64(0)
	for _, r := range ranges {
		if r.Start < last || r.Rows <= 0 || r.Start+r.Rows > n {
			return nil, fmt.Errorf("lsio: parquet read %q: bad row ranges %v of a %d-row row group", pf.path, ranges, n)
		}
		last = r.Start + r.Rows
		total += r.Rows
	}
	fields := make([]arrow.Field, len(fieldIdx))
	for i, fi := range fieldIdx {
		fields[i] = pf.schema.Field(fi)
	}
	md := pf.schema.Metadata()
	schema := arrow.NewSchema(fields, &md)
	cols, err := pf.readRanges(ctx, schema, fieldIdx, rg, ranges)
	if err != nil {
		return nil, fmt.Errorf("lsio: parquet read %q: %w", pf.path, err)
	}
	defer releaseAll(cols)
	return array.NewRecordBatch(schema, cols, total), nil
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

func (pf *ParquetFile) readRanges(ctx context.Context, schema *arrow.Schema, fieldIdx []int, rg int, ranges []RowRange) (cols []arrow.Array, err error) {
	defer recoverDamaged(&err)
	cols = make([]arrow.Array, len(fieldIdx))
	fail := func(e error) ([]arrow.Array, error) {
		releaseAll(cols)
		return nil, e
	}
	if len(ranges) == 0 || len(fieldIdx) == 0 {
		for i, f := range schema.Fields() {
			cols[i] = array.MakeArrayOfNull(pf.opts.Allocator, f.Type, 0)
		}
		return cols, nil
	}
	fr, err := pf.rangeReader(ctx)
	if err != nil {
		return nil, err
	}
	var leaves []int
	for _, fi := range fieldIdx {
		leaves = append(leaves, pf.leaves[fi]...)
	}
	readers, _, err := fr.GetFieldReaders(ctx, leaves, []int{rg})
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range readers {
			r.Release()
		}
	}()
	if len(readers) != len(fieldIdx) {
		return nil, fmt.Errorf("%d column readers for %d columns", len(readers), len(fieldIdx))
	}
	for i, cr := range readers {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		groups, err := pf.pageGroups(ctx, rg, schema.Field(i).Name, ranges)
		if err != nil {
			return fail(err)
		}
		var parts []arrow.Array
		for _, g := range groups {
			start, end := g[0].Start, g[len(g)-1].Start+g[len(g)-1].Rows
			if err := cr.SeekToRow(start); err != nil {
				releaseAll(parts)
				return fail(err)
			}
			ch, err := cr.NextBatch(end - start)
			if err != nil {
				releaseAll(parts)
				return fail(err)
			}
			span, err := concatChunks(ch, pf.opts.Allocator)
			ch.Release()
			if err == nil && int64(span.Len()) != end-start {
				span.Release()
				err = fmt.Errorf("read %d rows of column %s, want %d", span.Len(), schema.Field(i).Name, end-start)
			}
			if err != nil {
				releaseAll(parts)
				return fail(err)
			}
			for _, r := range g {
				parts = append(parts, array.NewSlice(span, r.Start-start, r.Start-start+r.Rows))
			}
			span.Release()
		}
		if len(parts) == 1 {
			cols[i] = parts[0]
			continue
		}
		cols[i], err = array.Concatenate(parts, pf.opts.Allocator)
		releaseAll(parts)
		if err != nil {
			return fail(err)
		}
	}
	return cols, nil
}

// rangeReader returns the Arrow reader ReadRanges reads through: made
// once per context, so that a lookup reading several row groups of a file
// builds the file's schema manifest once.
func (pf *ParquetFile) rangeReader(ctx context.Context) (*pqarrow.FileReader, error) {
	pf.mu.Lock()
	fr, frCtx := pf.ranges, pf.rangesCtx
	pf.mu.Unlock()
	if fr != nil && frCtx == ctx {
		return fr, nil
	}
	rdr, err := pf.parquetReader(ctx, true)
	if err != nil {
		return nil, err
	}
	fr, err = pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: min(rangeBatch, pf.opts.BatchSize)}, pf.opts.Allocator)
	if err != nil {
		return nil, err
	}
	pf.mu.Lock()
	pf.ranges, pf.rangesCtx = fr, ctx
	pf.mu.Unlock()
	return fr, nil
}

// rangeBatch is the batch size the column readers of ReadRanges reserve
// for: reads of a few rows are the common case.
const rangeBatch = 256

// pageGroups splits ranges into groups read with one seek each: a range
// joins the previous one's group when it starts on the page where that one
// ends, or on the next page (reading on through the rest of a page costs
// less than seeking, which decodes the page from its start anyway).
// Without a page index every range is a group of its own.
func (pf *ParquetFile) pageGroups(ctx context.Context, rg int, column string, ranges []RowRange) ([][]RowRange, error) {
	pages, ok, err := pf.PageStats(ctx, rg, column)
	if err != nil {
		return nil, err
	}
	pageOf := func(row int64) int {
		return sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow > row }) - 1
	}
	var out [][]RowRange
	for i, r := range ranges {
		if ok && i > 0 {
			prev := ranges[i-1]
			if pageOf(r.Start) <= pageOf(prev.Start+prev.Rows-1)+1 {
				out[len(out)-1] = append(out[len(out)-1], r)
				continue
			}
		}
		out = append(out, []RowRange{r})
	}
	return out, nil
}

// concatChunks returns the chunks of ch as one array.
func concatChunks(ch *arrow.Chunked, mem memory.Allocator) (arrow.Array, error) {
	if len(ch.Chunks()) == 1 {
		a := ch.Chunk(0)
		a.Retain()
		return a, nil
	}
	return array.Concatenate(ch.Chunks(), mem)
}
