package mor

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// A task of a table with a primary key is read in three steps:
//
//  1. the key columns of the touched files give the candidate keys, each
//     with the last version that touched it: no other key can differ
//     between the two versions, since a key's merged row depends only on
//     the live files holding it, and compaction rewrites those without
//     changing the row;
//  2. the Before and the After files are each merged, every run restricted
//     to the candidate keys before the merge (an IN list when they are
//     very few, otherwise a semi-join with the sorted candidates; their
//     bounds, and their values when few, skip files and row groups by
//     statistics);
//  3. a merge-join of the two key-ordered streams emits the change rows.
//
// Memory holds the candidate keys of one task, plus what the merges hold.

const (
	// maxInKeys is the most candidate keys of a single-column key checked
	// against the statistics of row groups one by one.
	maxInKeys = 256
	// maxProbeKeys is the most candidate keys of a single-column key read
	// as a point lookup: row groups without them are skipped after reading
	// only the key column, and the IN list filters the rows.
	maxProbeKeys = 8
)

// candidates are the keys a task's touched files hold, sorted, each with
// the last version in the range that touched it.
type candidates struct {
	mode keyMode
	u    []uint64 // keyUint
	s    []string // keyBytes, keyEncoded
	ver  []int64
	ts   map[int64]time.Time

	// Bounds of the first key column, as filter literals and encoded like
	// catalog.DataFile.KeyMin; valid when hasBounds.
	hasBounds    bool
	lo, hi       any
	loEnc, hiEnc []byte
	// lits holds every key as a literal when the key is one column and
	// there are at most maxInKeys of them; nil otherwise.
	lits []any
}

func (c *candidates) len() int {
	if c.mode == keyUint {
		return len(c.u)
	}
	return len(c.s)
}

// readBatch is the number of rows per record read from files and merged:
// the output batch size, or more, as change rows are usually few of the
// rows read.
func (p *ChangePlan) readBatch() int {
	return max(p.opts.BatchSize, DefaultMergeBatchSize)
}

func (p *ChangePlan) readOptions() lsio.ReadOptions {
	return lsio.ReadOptions{BatchSize: int64(p.readBatch()), Allocator: p.opts.Allocator, Cache: p.opts.Cache}
}

// keySpec returns the comparison view of the table's primary key.
func (p *ChangePlan) keySpec() (keySpec, []arrow.Field, error) {
	pk := p.table.PrimaryKey
	fields := make([]arrow.Field, len(pk))
	types := make([]arrow.DataType, len(pk))
	for i, k := range pk {
		f, err := fieldOf(p.merge, k)
		if err != nil {
			return keySpec{}, nil, err
		}
		fields[i], types[i] = f, f.Type
	}
	spec, err := newKeySpec(pk, types)
	return spec, fields, err
}

// collectKeys reads the key columns of the task's touched files.
func (p *ChangePlan) collectKeys(ctx context.Context, st lsio.Storage, t ChangeTask, spec *keySpec, keyFields []arrow.Field) (*candidates, error) {
	pk := p.table.PrimaryKey
	keySchema := arrow.NewSchema(keyFields, nil)
	c := &candidates{mode: spec.mode, ts: map[int64]time.Time{}}
	type entry struct {
		u uint64
		s string
		v int64
	}
	var ents []entry
	var kb keyBatch
	cols := make([]arrow.Array, len(pk))
	boundsOK := keyenc.Supported(keyFields[0].Type)
	litsOK := len(pk) == 1
	for _, tf := range t.Touched {
		c.ts[tf.Version] = tf.Timestamp
		run, ok, err := p.base.openRun(ctx, st, tf.File, keySchema, p.base.keyConj, p.readOptions())
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		err = func() error {
			defer run.Reader.Release()
			for run.Reader.Next() {
				rec := run.Reader.RecordBatch()
				n := int(rec.NumRows())
				if n == 0 {
					continue
				}
				for i, k := range pk {
					cols[i] = rec.Column(rec.Schema().FieldIndices(k)[0])
				}
				if err := spec.load(&kb, cols); err != nil {
					return fmt.Errorf("%s: %w", tf.File.Path, err)
				}
				for i := 0; i < n; i++ {
					e := entry{v: tf.Version}
					if spec.mode == keyUint {
						e.u = kb.u[i]
					} else {
						e.s = string(kb.bytesAt(i))
					}
					ents = append(ents, e)
				}
				// Rows ascend by key, so by first key column too.
				if boundsOK {
					boundsOK = c.widen(cols[0], 0) && c.widen(cols[0], n-1)
				}
				for i := 0; litsOK && i < n; i++ {
					lit, ok := keyLiteral(cols[0], i)
					litsOK = ok && len(c.lits) < maxInKeys
					c.lits = append(c.lits, lit)
				}
			}
			return run.Reader.Err()
		}()
		if err != nil {
			return nil, err
		}
	}
	c.hasBounds = boundsOK && len(ents) > 0
	if !litsOK {
		c.lits = nil
	}
	slices.SortFunc(ents, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.u, b.u), cmp.Compare(a.s, b.s), cmp.Compare(b.v, a.v))
	})
	for i, e := range ents {
		if i > 0 && e.u == ents[i-1].u && e.s == ents[i-1].s {
			continue // an older touch of the same key
		}
		if spec.mode == keyUint {
			c.u = append(c.u, e.u)
		} else {
			c.s = append(c.s, e.s)
		}
		c.ver = append(c.ver, e.v)
	}
	return c, nil
}

// widen extends the first-column bounds by row i of col.
func (c *candidates) widen(col arrow.Array, i int) bool {
	enc, err := keyenc.Append(nil, col, i)
	if err != nil {
		return false
	}
	first := c.loEnc == nil && c.hiEnc == nil && c.lo == nil
	if first || bytes.Compare(enc, c.loEnc) < 0 {
		lit, ok := keyLiteral(col, i)
		if !ok {
			return false
		}
		c.lo, c.loEnc = lit, enc
	}
	if first || bytes.Compare(enc, c.hiEnc) > 0 {
		lit, ok := keyLiteral(col, i)
		if !ok {
			return false
		}
		c.hi, c.hiEnc = lit, enc
	}
	return true
}

// keyLiteral returns row i of col as a filter literal.
func keyLiteral(col arrow.Array, i int) (any, bool) {
	v, ok := valueAt(col, i)
	if !ok {
		return nil, false
	}
	switch dt := col.DataType().(type) {
	case *arrow.TimestampType:
		v = unitToTime(v.(int64), dt.Unit)
	case *arrow.Date64Type:
		v = time.UnixMilli(v.(int64)).UTC()
	}
	if _, err := normalizeLiteral(col.DataType(), v); err != nil {
		return nil, false
	}
	return v, true
}

// openKeyed reads one task of a table with a primary key.
func (p *ChangePlan) openKeyed(ctx context.Context, st lsio.Storage, t ChangeTask) (array.RecordReader, error) {
	spec, keyFields, err := p.keySpec()
	if err != nil {
		return nil, err
	}
	cand, err := p.collectKeys(ctx, st, t, &spec, keyFields)
	if err != nil {
		return nil, err
	}
	if cand.len() == 0 {
		return newIterReader(p.schema, func() (arrow.RecordBatch, error) { return nil, nil }, nil), nil
	}
	// The task's own plan skips row groups outside the candidates' bounds.
	tp := *p.base
	tp.keyConj = slices.Clone(p.base.keyConj)
	rowFilter := slices.Clone(p.base.keyConj)
	k0 := p.table.PrimaryKey[0]
	if cand.hasBounds {
		tp.keyConj = append(tp.keyConj, Ge(k0, cand.lo), Le(k0, cand.hi))
	}
	exact := false
	if cand.lits != nil {
		in := In(k0, cand.lits...)
		tp.keyConj = append(tp.keyConj, in)
		if len(cand.lits) <= maxProbeKeys {
			rowFilter = append(rowFilter, in)
			exact = len(p.table.PrimaryKey) == 1
		}
	}
	before, after, err := p.mergeCandidates(ctx, st, &tp, t, rowFilter, cand, &spec, exact)
	if err != nil {
		return nil, err
	}
	return p.newJoin(ctx, before, after, cand, &spec), nil
}

// mergeCandidates returns the merged rows of the Before and of the After
// files restricted to the candidate keys. exact tells that rowFilter alone
// keeps only candidate keys. A file live at both versions is read once,
// its rows going to both merges.
func (p *ChangePlan) mergeCandidates(ctx context.Context, st lsio.Storage, tp *Plan, t ChangeTask, rowFilter []Expr, cand *candidates, spec *keySpec, exact bool) (before, after array.RecordReader, err error) {
	tbl := p.table
	var runs [2][]Run
	defer func() {
		if err != nil {
			for _, rs := range runs {
				for _, r := range rs {
					r.Reader.Release()
				}
			}
		}
	}()
	open := func(f catalog.DataFile) (Run, bool, error) {
		if cand.hasBounds && len(f.KeyMin) > 0 && len(f.KeyMax) > 0 &&
			(bytes.Compare(f.KeyMax, cand.loEnc) < 0 || bytes.Compare(f.KeyMin, cand.hiEnc) > 0) {
			return Run{}, false, nil
		}
		run, ok, err := tp.openRun(ctx, st, f, p.merge, rowFilter, p.readOptions())
		if err != nil || !ok {
			return Run{}, false, err
		}
		if !exact {
			run.Reader = cand.semiJoin(run.Reader, tbl.PrimaryKey, spec, p.opts.Allocator)
		}
		return run, true, nil
	}
	inBefore := map[string]bool{}
	for _, f := range t.Before {
		inBefore[f.Path] = true
	}
	inAfter := map[string]bool{}
	for _, f := range t.After {
		inAfter[f.Path] = true
	}
	for _, f := range t.Before {
		run, ok, err := open(f)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		if !inAfter[f.Path] {
			runs[0] = append(runs[0], run)
			continue
		}
		x, y := newTee(run.Reader)
		runs[0] = append(runs[0], Run{Reader: x, Seq: run.Seq})
		runs[1] = append(runs[1], Run{Reader: y, Seq: run.Seq})
	}
	for _, f := range t.After {
		if inBefore[f.Path] {
			continue
		}
		run, ok, err := open(f)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			runs[1] = append(runs[1], run)
		}
	}
	opts := MergeOptions{
		PrimaryKey: tbl.PrimaryKey,
		Schema:     p.merge,
		MergeOps:   p.base.mergeOps,
		CDCColumn:  tbl.Properties[catalog.PropCDCColumn],
		BatchSize:  p.readBatch(),
		Allocator:  p.opts.Allocator,
	}
	rs := runs
	runs = [2][]Run{} // owned by the merges from here on
	if before, err = NewMergeReader(ctx, rs[0], opts); err != nil {
		for _, r := range rs[1] {
			r.Reader.Release()
		}
		return nil, nil, err
	}
	if after, err = NewMergeReader(ctx, rs[1], opts); err != nil {
		before.Release()
		return nil, nil, err
	}
	return before, after, nil
}

// tee is one reader read by two: each batch is kept until both have read
// it, or released the reader. Both are read from one goroutine at a time
// (the join drives the two merges in turn), so the lag between them stays
// within a few batches.
type tee struct {
	mu     sync.Mutex
	src    array.RecordReader
	queue  [2][]arrow.RecordBatch
	closed [2]bool
	err    error
	done   bool
}

// newTee returns the two readers of src, which they own together.
func newTee(src array.RecordReader) (array.RecordReader, array.RecordReader) {
	t := &tee{src: src}
	side := func(i int) array.RecordReader {
		return newIterReader(src.Schema(), func() (arrow.RecordBatch, error) { return t.next(i) }, func() { t.close(i) })
	}
	return side(0), side(1)
}

func (t *tee) next(i int) (arrow.RecordBatch, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if q := t.queue[i]; len(q) > 0 {
		rec := q[0]
		q[0] = nil
		t.queue[i] = q[1:]
		return rec, nil
	}
	if t.done {
		return nil, t.err
	}
	if !t.src.Next() {
		t.done, t.err = true, t.src.Err()
		return nil, t.err
	}
	rec := t.src.RecordBatch()
	rec.Retain()
	if !t.closed[1-i] {
		rec.Retain()
		t.queue[1-i] = append(t.queue[1-i], rec)
	}
	return rec, nil
}

func (t *tee) close(i int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed[i] = true
	for _, rec := range t.queue[i] {
		rec.Release()
	}
	t.queue[i] = nil
	if t.closed[1-i] && t.src != nil {
		t.src.Release()
		t.src = nil
	}
}

// semiJoin keeps the rows of a run (ascending keys) whose key is a
// candidate.
func (c *candidates) semiJoin(in array.RecordReader, pk []string, spec *keySpec, mem memory.Allocator) array.RecordReader {
	idx := make([]int, len(pk))
	for i, k := range pk {
		idx[i] = in.Schema().FieldIndices(k)[0]
	}
	cols := make([]arrow.Array, len(pk))
	var kb keyBatch
	var rows []int32
	j := 0 // candidates before j sort before every remaining row
	next := func() (arrow.RecordBatch, error) {
		for in.Next() {
			rec := in.RecordBatch()
			n := int(rec.NumRows())
			if n == 0 {
				continue
			}
			for i, ci := range idx {
				cols[i] = rec.Column(ci)
			}
			if err := spec.load(&kb, cols); err != nil {
				return nil, err
			}
			rows = rows[:0]
			if c.mode == keyUint {
				j = semiJoinRows(c.u, j, n, func(i int) uint64 { return kb.u[i] }, &rows)
			} else {
				j = semiJoinRows(c.s, j, n, func(i int) string { return viewString(kb.bytesAt(i)) }, &rows)
			}
			switch len(rows) {
			case 0:
				continue
			case n:
				rec.Retain()
				return rec, nil
			}
			return TakeRows(mem, rec, rows)
		}
		return nil, in.Err()
	}
	return newIterReader(in.Schema(), next, in.Release)
}

// semiJoinRows appends to rows the rows i < n whose key(i) is in cand[j:]
// (both ascending) and returns the new j.
func semiJoinRows[K cmp.Ordered](cand []K, j, n int, key func(int) K, rows *[]int32) int {
	for i := 0; i < n && j < len(cand); {
		k := key(i)
		switch target := cand[j]; {
		case k == target:
			*rows = append(*rows, int32(i))
			i++
			j++
		case k < target:
			lo := i + 1
			i = lo + sort.Search(n-lo, func(x int) bool { return key(lo+x) >= target })
		default:
			lo := j
			j = lo + sort.Search(len(cand)-lo, func(x int) bool { return cand[lo+x] >= k })
		}
	}
	return j
}

// viewString returns the bytes of b as a string without copying; it is
// valid as long as b is.
func viewString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// changeKind indexes changeKindNames.
type changeKind uint8

const (
	kindInsert changeKind = iota
	kindBefore
	kindAfter
	kindDelete
)

var changeKindNames = [...]string{
	kindInsert: ChangeInsert,
	kindBefore: ChangeUpdateBefore,
	kindAfter:  ChangeUpdateAfter,
	kindDelete: ChangeDelete,
}

// changeArrays builds the change columns of n rows; kind and version give
// each row's values, ts the timestamp of a version.
func (p *ChangePlan) changeArrays(n int, kind func(int) changeKind, version func(int) int64, ts func(int64) time.Time) []arrow.Array {
	mem := p.opts.Allocator
	kb := array.NewStringBuilder(mem)
	defer kb.Release()
	vb := array.NewInt64Builder(mem)
	defer vb.Release()
	tb := array.NewTimestampBuilder(mem, changeFields[2].Type.(*arrow.TimestampType))
	defer tb.Release()
	kb.Reserve(n)
	vb.Reserve(n)
	tb.Reserve(n)
	for i := 0; i < n; i++ {
		kb.Append(changeKindNames[kind(i)])
		v := version(i)
		vb.Append(v)
		tb.Append(arrow.Timestamp(ts(v).UnixMicro()))
	}
	return []arrow.Array{kb.NewArray(), vb.NewArray(), tb.NewArray()}
}

// finishRecord applies the filter to rec (of readSchema, owned by the
// call) and projects it to the output schema; nil when no row is left.
func (p *ChangePlan) finishRecord(ctx context.Context, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if p.opts.Filter != nil {
		filtered, err := filterRecord(ctx, rec, p.opts.Filter, p.opts.Allocator)
		rec.Release()
		if err != nil {
			return nil, err
		}
		rec = filtered
	}
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, len(p.outIdx))
	for i, j := range p.outIdx {
		cols[i] = rec.Column(j)
	}
	return array.NewRecordBatch(p.schema, cols, rec.NumRows()), nil
}

// openUnkeyed reads one task of a table without primary key: the rows of
// the After files as inserts, then those of the Before files as deletes.
func (p *ChangePlan) openUnkeyed(ctx context.Context, st lsio.Storage, t ChangeTask) array.RecordReader {
	type item struct {
		f    catalog.DataFile
		kind changeKind
	}
	var items []item
	for _, f := range t.After {
		items = append(items, item{f, kindInsert})
	}
	for _, f := range t.Before {
		items = append(items, item{f, kindDelete})
	}
	touched := map[string]TouchedFile{}
	for _, tf := range t.Touched {
		touched[tf.File.Path] = tf
	}
	var cur array.RecordReader
	var curItem item
	closeCur := func() {
		if cur != nil {
			cur.Release()
			cur = nil
		}
	}
	next := func() (arrow.RecordBatch, error) {
		for {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if cur != nil {
				if cur.Next() {
					out, err := p.unkeyedRecord(ctx, cur.RecordBatch(), curItem.kind, touched[curItem.f.Path])
					if err != nil || out != nil {
						return out, err
					}
					continue
				}
				err := cur.Err()
				closeCur()
				if err != nil {
					return nil, err
				}
			}
			if len(items) == 0 {
				return nil, nil
			}
			curItem, items = items[0], items[1:]
			task := Task{Partition: t.Partition, Bucket: t.Bucket, Files: []catalog.DataFile{curItem.f}}
			cur = p.base.openConcat(ctx, st, task, p.merge, p.readOptions())
		}
	}
	return newIterReader(p.schema, next, closeCur)
}

// unkeyedRecord turns rows of one file (merge schema) into change rows.
func (p *ChangePlan) unkeyedRecord(ctx context.Context, rec arrow.RecordBatch, kind changeKind, tf TouchedFile) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	if n == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, p.readSchema.NumFields())
	for _, mi := range p.readCols {
		cols = append(cols, rec.Column(mi))
	}
	change := p.changeArrays(n,
		func(int) changeKind { return kind },
		func(int) int64 { return tf.Version },
		func(int64) time.Time { return tf.Timestamp })
	out := array.NewRecordBatch(p.readSchema, append(cols, change...), int64(n))
	for _, a := range change {
		a.Release()
	}
	return p.finishRecord(ctx, out)
}
