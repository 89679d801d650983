package txn

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/bucket"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/internal/partition"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// group is the rows of one write that land in one (partition, bucket).
type group struct {
	partition string
	bucket    int
	rows      []int32 // row indices into the conformed record
}

// splitRows assigns every row of rec its partition and bucket.
func splitRows(tbl *catalog.Table, rec arrow.RecordBatch) ([]group, error) {
	n := int(rec.NumRows())
	parts, partOf, err := partitionsOf(tbl, rec)
	if err != nil {
		return nil, err
	}
	buckets := make([]int32, n)
	nb := 1
	if len(tbl.PrimaryKey) > 0 && tbl.HashBucketNum > 1 {
		nb = tbl.HashBucketNum
		keys := make([]arrow.Array, len(tbl.PrimaryKey))
		for i, k := range tbl.PrimaryKey {
			keys[i] = rec.Column(rec.Schema().FieldIndices(k)[0])
		}
		if err := bucket.Rows(keys, nb, buckets); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	counts := make([]int, len(parts)*nb)
	for i := 0; i < n; i++ {
		counts[int(partOf[i])*nb+int(buckets[i])]++
	}
	groups := make([]group, len(counts))
	for i := range groups {
		groups[i] = group{partition: parts[i/nb], bucket: i % nb, rows: make([]int32, 0, counts[i])}
	}
	for i := 0; i < n; i++ {
		g := &groups[int(partOf[i])*nb+int(buckets[i])]
		g.rows = append(g.rows, int32(i))
	}
	out := groups[:0]
	for _, g := range groups {
		if len(g.rows) > 0 {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b group) int {
		if c := strings.Compare(a.partition, b.partition); c != 0 {
			return c
		}
		return cmp.Compare(a.bucket, b.bucket)
	})
	return out, nil
}

// partitionsOf returns the distinct partitions of rec and each row's index
// into them.
func partitionsOf(tbl *catalog.Table, rec arrow.RecordBatch) ([]string, []int32, error) {
	n := int(rec.NumRows())
	partOf := make([]int32, n)
	if len(tbl.PartitionBy) == 0 {
		return []string{""}, partOf, nil
	}
	cols := make([]arrow.Array, len(tbl.PartitionBy))
	for i, c := range tbl.PartitionBy {
		cols[i] = rec.Column(rec.Schema().FieldIndices(c)[0])
	}
	index := map[string]int32{}
	var parts []string
	vals := make([]partition.Value, len(cols))
	var key strings.Builder
	for r := 0; r < n; r++ {
		key.Reset()
		for i, c := range cols {
			vals[i] = partition.ValueOf(c, r)
			if vals[i].Null {
				key.WriteByte(1)
			} else {
				key.WriteByte(0)
				key.WriteString(vals[i].Text)
			}
			key.WriteByte(0)
		}
		k := key.String()
		idx, ok := index[k]
		if !ok {
			idx = int32(len(parts))
			index[k] = idx
			parts = append(parts, partition.Format(tbl.PartitionBy, vals))
		}
		partOf[r] = idx
	}
	return parts, partOf, nil
}

// sortDedupe orders rows by primary key and keeps, of rows with equal keys,
// the one that came last in the input. Rows are sorted by (key, row index)
// with an unstable sort, which is much faster than a stable one and keeps
// the last row of each key last among its equals.
func sortDedupe(keys []arrow.Array, rows []int32) []int32 {
	if len(keys) == 1 {
		switch a := keys[0].(type) {
		case *array.String:
			return sortDedupeStrings(a, rows)
		case *array.Int64:
			return sortDedupeInts(a.Int64Values(), rows)
		}
	}
	less := keyCompare(keys)
	slices.SortFunc(rows, func(a, b int32) int {
		if c := less(int(a), int(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	out := rows[:0]
	for i := 0; i < len(rows); i++ {
		if i+1 < len(rows) && less(int(rows[i]), int(rows[i+1])) == 0 {
			continue
		}
		out = append(out, rows[i])
	}
	return out
}

// prefixKey orders most string keys by an integer compare of their first
// eight bytes, falling back to the whole string only on a tie.
type prefixKey struct {
	prefix uint64
	row    int32
}

func stringPrefix(s string) uint64 {
	var p uint64
	for i := 0; i < 8; i++ {
		p <<= 8
		if i < len(s) {
			p |= uint64(s[i])
		}
	}
	return p
}

func sortDedupeStrings(a *array.String, rows []int32) []int32 {
	ks := make([]prefixKey, len(rows))
	for i, r := range rows {
		ks[i] = prefixKey{stringPrefix(a.Value(int(r))), r}
	}
	slices.SortFunc(ks, func(x, y prefixKey) int {
		if x.prefix != y.prefix {
			return cmp.Compare(x.prefix, y.prefix)
		}
		if c := strings.Compare(a.Value(int(x.row)), a.Value(int(y.row))); c != 0 {
			return c
		}
		return cmp.Compare(x.row, y.row)
	})
	out := rows[:0]
	for i, k := range ks {
		if i+1 < len(ks) && ks[i+1].prefix == k.prefix && a.Value(int(ks[i+1].row)) == a.Value(int(k.row)) {
			continue
		}
		out = append(out, k.row)
	}
	return out
}

type intKey struct {
	v   int64
	row int32
}

func sortDedupeInts(vals []int64, rows []int32) []int32 {
	ks := make([]intKey, len(rows))
	for i, r := range rows {
		ks[i] = intKey{vals[r], r}
	}
	slices.SortFunc(ks, func(x, y intKey) int {
		if x.v != y.v {
			return cmp.Compare(x.v, y.v)
		}
		return cmp.Compare(x.row, y.row)
	})
	out := rows[:0]
	for i, k := range ks {
		if i+1 < len(ks) && ks[i+1].v == k.v {
			continue
		}
		out = append(out, k.row)
	}
	return out
}

// keyCompare returns a comparator of rows by the key columns.
func keyCompare(keys []arrow.Array) func(i, j int) int {
	if len(keys) == 1 {
		return columnCompare(keys[0])
	}
	cmps := make([]func(i, j int) int, len(keys))
	for k, col := range keys {
		cmps[k] = columnCompare(col)
	}
	return func(i, j int) int {
		for _, c := range cmps {
			if r := c(i, j); r != 0 {
				return r
			}
		}
		return 0
	}
}

func columnCompare(col arrow.Array) func(i, j int) int {
	switch a := col.(type) {
	case *array.String:
		return func(i, j int) int { return strings.Compare(a.Value(i), a.Value(j)) }
	case *array.LargeString:
		return func(i, j int) int { return strings.Compare(a.Value(i), a.Value(j)) }
	case *array.Binary:
		return func(i, j int) int { return bytes.Compare(a.Value(i), a.Value(j)) }
	case *array.LargeBinary:
		return func(i, j int) int { return bytes.Compare(a.Value(i), a.Value(j)) }
	case *array.Int64:
		v := a.Int64Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Int32:
		v := a.Int32Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Int16:
		v := a.Int16Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Int8:
		v := a.Int8Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Uint64:
		v := a.Uint64Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Uint32:
		v := a.Uint32Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Uint16:
		v := a.Uint16Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Uint8:
		v := a.Uint8Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Date32:
		v := a.Date32Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Timestamp:
		v := a.TimestampValues()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	case *array.Boolean:
		return func(i, j int) int { return cmp.Compare(b2i(a.Value(i)), b2i(a.Value(j))) }
	case *array.Decimal128:
		return func(i, j int) int { return a.Value(i).Cmp(a.Value(j)) }
	}
	// Catalog validation only admits the types above as key columns.
	panic(fmt.Sprintf("txn: unsupported key type %s", col.DataType()))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newWriteID returns a random identifier for the files of one write.
func newWriteID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// nullableWhereNull returns rec (retained) with the fields holding nulls
// marked nullable. A NOT NULL column reads NULL where no run gave a row a
// value (a partial-column upsert of a new key); a rewrite of such rows
// must store the NULLs, which a column written as required cannot.
func nullableWhereNull(rec arrow.RecordBatch) arrow.RecordBatch {
	var fields []arrow.Field
	for i, f := range rec.Schema().Fields() {
		if !f.Nullable && rec.Column(i).NullN() > 0 {
			if fields == nil {
				fields = slices.Clone(rec.Schema().Fields())
			}
			fields[i].Nullable = true
		}
	}
	if fields == nil {
		rec.Retain()
		return rec
	}
	md := rec.Schema().Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), rec.Columns(), rec.NumRows())
}

// filePath names the data file of a write for one (partition, bucket).
func filePath(tbl *catalog.Table, part string, writeID string, b int) string {
	name := fmt.Sprintf("part-%s_%04d.parquet", writeID, b)
	if part == "" {
		return path.Join(tbl.Path, name)
	}
	return path.Join(tbl.Path, part, name)
}

// fileSpec is what to write as one data file.
type fileSpec struct {
	partition string
	bucket    int
	rec       arrow.RecordBatch // rows sorted by key (for key tables)
	seq       int64             // 0 lets the commit assign its version
	deletes   bool
	partial   bool // rec lacks some table columns
}

// writeFiles writes the specs in parallel and returns their descriptions, in
// spec order. On error, files already written are removed.
func (w *Writer) writeFiles(ctx context.Context, tbl *catalog.Table, writeID string, specs []fileSpec) ([]catalog.DataFile, error) {
	out := make([]catalog.DataFile, len(specs))
	errs := make([]error, len(specs))
	sem := make(chan struct{}, w.cfg.Parallelism)
	var wg sync.WaitGroup
	for i := range specs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = w.writeFile(ctx, tbl, writeID, specs[i])
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			w.removeFiles(context.WithoutCancel(ctx), out)
			return nil, err
		}
	}
	return out, nil
}

func (w *Writer) writeFile(ctx context.Context, tbl *catalog.Table, writeID string, s fileSpec) (catalog.DataFile, error) {
	p := filePath(tbl, s.partition, writeID, s.bucket)
	opts := w.cfg.Write
	opts.PlainColumns = append(slices.Clone(opts.PlainColumns), mostlyDistinct(s.rec)...)
	opts.KeyColumns = tbl.PrimaryKey
	opts.Rows = s.rec.NumRows()
	rec := nullableWhereNull(s.rec)
	defer rec.Release()
	stats, err := lsio.WriteParquet(ctx, w.cfg.Storage, p, rec.Schema(), []arrow.RecordBatch{rec}, opts)
	if err != nil {
		return catalog.DataFile{}, fmt.Errorf("write %s: %w", p, err)
	}
	df := catalog.DataFile{
		Path:      p,
		Partition: s.partition,
		Bucket:    s.bucket,
		Seq:       s.seq,
		Rows:      stats.Rows,
		Size:      stats.Size,
		SchemaID:  tbl.SchemaID,
		Deletes:   s.deletes,
	}
	if s.partial {
		for _, f := range s.rec.Schema().Fields() {
			df.Columns = append(df.Columns, f.Name)
		}
	}
	if len(tbl.PrimaryKey) > 0 && s.rec.NumRows() > 0 {
		first := s.rec.Column(s.rec.Schema().FieldIndices(tbl.PrimaryKey[0])[0])
		if keyenc.Supported(first.DataType()) {
			lo, err1 := keyenc.Append(nil, first, 0)
			hi, err2 := keyenc.Append(nil, first, first.Len()-1)
			if err1 == nil && err2 == nil {
				df.KeyMin, df.KeyMax = lo, hi
			}
		}
	}
	return df, nil
}

// mostlyDistinct names the string and binary columns of rec whose sampled
// values are mostly distinct, so a dictionary would not pay for itself.
func mostlyDistinct(rec arrow.RecordBatch) []string {
	const sample = 1024
	n := int(rec.NumRows())
	if n < 64 {
		return nil
	}
	step := max(1, n/sample)
	var out []string
	seen := make(map[string]struct{}, sample)
	for i, col := range rec.Columns() {
		var value func(int) string
		switch a := col.(type) {
		case *array.String:
			value = a.Value
		case *array.LargeString:
			value = a.Value
		case *array.Binary:
			value = a.ValueString
		case *array.LargeBinary:
			value = func(i int) string { return string(a.Value(i)) }
		default:
			continue
		}
		clear(seen)
		taken := 0
		for r := 0; r < n; r += step {
			if col.IsValid(r) {
				seen[value(r)] = struct{}{}
				taken++
			}
		}
		if taken > 0 && len(seen)*2 > taken {
			out = append(out, rec.ColumnName(i))
		}
	}
	return out
}

// removeFiles deletes files of a write that will not be committed.
func (w *Writer) removeFiles(ctx context.Context, files []catalog.DataFile) {
	for _, f := range files {
		if f.Path == "" {
			continue
		}
		if err := w.cfg.Storage.Delete(ctx, f.Path); err != nil {
			w.cfg.Logger.Warn("could not remove uncommitted file; it is an orphan now", "path", f.Path, "err", err)
		}
	}
}

// take gathers rows of rec by index.
func take(ctx context.Context, rec arrow.RecordBatch, rows []int32, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(rows) == int(rec.NumRows()) && isIdentity(rows) {
		rec.Retain()
		return rec, nil
	}
	return mor.TakeRows(mem, rec, rows)
}

func isIdentity(rows []int32) bool {
	for i, r := range rows {
		if int(r) != i {
			return false
		}
	}
	return true
}
