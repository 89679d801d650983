package mor

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultMergeBatchSize is the number of rows per merged record when
// MergeOptions.BatchSize is zero.
const DefaultMergeBatchSize = 8192

// Run is one sorted run of a bucket, usually one data file.
type Run struct {
	// Reader yields the run's rows in ascending primary-key order, each key at
	// most once. Its schema holds every primary-key column, any subset of the
	// value columns, and optionally DeleteMarkerColumn and the CDC column. A
	// value column has the output schema's type for the same name.
	Reader array.RecordReader
	// Seq orders the runs: a higher Seq is newer. Seqs are distinct.
	Seq int64
}

// MergeOptions configure NewMergeReader.
type MergeOptions struct {
	// PrimaryKey lists the primary-key columns in key order.
	PrimaryKey []string
	// Schema is the output: the columns to produce, in order. It may omit
	// primary-key columns and must not contain DeleteMarkerColumn.
	Schema *arrow.Schema
	// MergeOps sets the merge operator of a column; unlisted columns use
	// MergeLast. Primary-key columns always take the key itself.
	MergeOps map[string]MergeOp
	// CDCColumn, if set, names a string column whose value "delete" removes
	// the key of its row.
	CDCColumn string
	// BatchSize is the maximum number of rows per output record (default
	// DefaultMergeBatchSize).
	BatchSize int
	// Allocator allocates the output (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

// tuning holds the thresholds of the merge fast paths. Tests vary them to
// drive every path with small inputs.
type tuning struct {
	// streak is the number of consecutive output rows one run must win before
	// the merger looks for a range of that run that no other run overlaps.
	streak int
	// zeroCopyMin is the smallest non-overlapping range emitted as a
	// zero-copy slice of the input instead of being gathered.
	zeroCopyMin int
	// noPassthrough merges a single run through the general path.
	noPassthrough bool
}

var defaultTuning = tuning{streak: 4, zeroCopyMin: 256}

// NewMergeReader returns a reader of the merged rows of runs in primary-key
// order. For every key, the rows of the runs holding it are combined from the
// newest run to the oldest as described by MergeOp, DeleteMarkerColumn and
// MergeOptions.CDCColumn.
//
// The reader takes ownership of the runs' readers: it releases each one when
// it is exhausted, when the merge fails, or when the merge reader is released
// (also when NewMergeReader itself returns an error). It holds at most the
// current batch of every run and the batches the pending output batch refers
// to. Records it returns may share buffers with the input batches (a range of
// one run that no other run overlaps is passed on without copying). ctx is
// checked before every output batch; its error ends the stream.
func NewMergeReader(ctx context.Context, runs []Run, opts MergeOptions) (array.RecordReader, error) {
	return newMergeReader(ctx, runs, opts, defaultTuning)
}

// cursor is the read position of one run.
type cursor struct {
	seq  int64
	rdr  array.RecordReader
	ncol int

	keyCols []int // run column of each primary-key column
	outCols []int // run column of each output column, -1 if absent
	hasAll  bool  // the run has every output column
	delCol  int   // DeleteMarkerColumn, -1 if absent
	cdcCol  int   // CDC column, -1 if absent

	rec  arrow.RecordBatch // current batch, nil before the first and at the end
	keys keyBatch
	del  []bool // per row of rec: the row is a delete; nil if no row is
	row  int    // current row
	n    int    // rows in rec
	slot int32  // slot of rec in the pending output, -1 if none
	done bool

	// The current key: keyUint keys live in pfx alone (bkey is nil); byte
	// keys in bkey, with their first 8 bytes in pfx (see keyPrefix).
	pfx  uint64
	bkey []byte

	hasLast bool // lastU/lastB hold the last key of the previous batch
	lastU   uint64
	lastB   []byte
	delBuf  []bool
}

// entry is one row of a key group.
type entry struct {
	c    *cursor
	rec  arrow.RecordBatch
	slot int32
	row  int32
	del  bool
}

type mergeReader struct {
	refCount atomic.Int64

	// ctx is checked before each output batch: RecordReader.Next takes no
	// context, so the one NewMergeReader got is kept here.
	ctx    context.Context
	schema *arrow.Schema
	mem    memory.Allocator
	bs     int
	tune   tuning
	spec   keySpec

	ops     []MergeOp // per output column
	isKey   []bool    // per output column
	allLast bool      // every non-key output column merges with MergeLast

	cursors []cursor // oldest run first
	tree    []int    // loser tree over cursors: tree[0] winner, tree[1:] losers
	keyArrs []arrow.Array
	group   []entry
	tmpRefs []ref
	srcBuf  []arrow.Array
	streakC int // cursor that produced the last single-row groups
	streak  int // how many in a row

	// Pending output batch.
	slots    []arrow.RecordBatch // slot 0 is the per-column computed values
	slotCur  []int               // cursor of each slot
	rowRefs  []ref               // per output row: its newest row
	colRefs  [][]ref             // per output column, when diverged
	diverged []bool
	divCols  []int
	computed []array.Builder // per output column, values computed by MergeSum/MergeConcat
	nOut     int

	started bool
	eof     bool
	err     error
	cur     arrow.RecordBatch
}

func newMergeReader(ctx context.Context, runs []Run, opts MergeOptions, tune tuning) (rr array.RecordReader, err error) {
	defer func() {
		if err != nil {
			for _, r := range runs {
				if r.Reader != nil {
					r.Reader.Release()
				}
			}
		}
	}()
	if opts.Schema == nil {
		return nil, fmt.Errorf("%w: no output schema", ErrMergeOptions)
	}
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("%w: negative batch size %d", ErrMergeOptions, opts.BatchSize)
	}
	m := &mergeReader{
		ctx:    ctx,
		schema: opts.Schema,
		mem:    opts.Allocator,
		bs:     opts.BatchSize,
		tune:   tune,
	}
	if m.mem == nil {
		m.mem = memory.DefaultAllocator
	}
	if m.bs == 0 {
		m.bs = DefaultMergeBatchSize
	}
	m.tune.zeroCopyMin = max(1, min(m.tune.zeroCopyMin, m.bs))
	if err := m.initColumns(opts); err != nil {
		return nil, err
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b Run) int { return cmp.Compare(a.Seq, b.Seq) })
	var keyTypes []arrow.DataType
	m.cursors = make([]cursor, len(sorted))
	for i, r := range sorted {
		if r.Reader == nil {
			return nil, fmt.Errorf("%w: run seq %d has no reader", ErrMergeOptions, r.Seq)
		}
		if i > 0 && sorted[i-1].Seq == r.Seq {
			return nil, fmt.Errorf("%w: %d", ErrDuplicateSeq, r.Seq)
		}
		c := &m.cursors[i]
		if keyTypes, err = m.initCursor(c, r, opts, keyTypes); err != nil {
			return nil, err
		}
	}
	if len(m.cursors) > 0 {
		if m.spec, err = newKeySpec(opts.PrimaryKey, keyTypes); err != nil {
			return nil, err
		}
	}
	m.refCount.Add(1)
	return m, nil
}

// initColumns resolves the merge operator of every output column.
func (m *mergeReader) initColumns(opts MergeOptions) error {
	if len(opts.PrimaryKey) == 0 {
		return fmt.Errorf("%w: no primary key columns", ErrMergeOptions)
	}
	nf := opts.Schema.NumFields()
	m.ops = make([]MergeOp, nf)
	m.isKey = make([]bool, nf)
	m.allLast = true
	for j, f := range opts.Schema.Fields() {
		if f.Name == DeleteMarkerColumn {
			return fmt.Errorf("%w: output schema contains %s", ErrMergeOptions, DeleteMarkerColumn)
		}
		if slices.Contains(opts.PrimaryKey, f.Name) {
			m.isKey[j] = true
			continue
		}
		op, ok := opts.MergeOps[f.Name]
		if !ok {
			continue
		}
		if err := checkMergeOp(op, f.Type); err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
		m.ops[j] = op
		if op != MergeLast {
			m.allLast = false
		}
	}
	m.tmpRefs = make([]ref, nf)
	m.colRefs = make([][]ref, nf)
	m.diverged = make([]bool, nf)
	m.computed = make([]array.Builder, nf)
	m.slots = []arrow.RecordBatch{nil}
	m.slotCur = []int{-1}
	return nil
}

// initCursor maps the run's schema onto the key, the output and the hidden
// columns. keyTypes are the key types of the runs seen so far.
func (m *mergeReader) initCursor(c *cursor, r Run, opts MergeOptions, keyTypes []arrow.DataType) ([]arrow.DataType, error) {
	s := r.Reader.Schema()
	*c = cursor{seq: r.Seq, rdr: r.Reader, ncol: s.NumFields(), delCol: -1, cdcCol: -1, slot: -1}
	first := keyTypes == nil
	for i, name := range opts.PrimaryKey {
		idx := s.FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%w: run seq %d lacks primary key column %q", ErrRunSchema, r.Seq, name)
		}
		dt := s.Field(idx[0]).Type
		if first {
			keyTypes = append(keyTypes, dt)
		} else if !arrow.TypeEqual(dt, keyTypes[i]) {
			return nil, fmt.Errorf("%w: run seq %d has key column %q of type %v, another run %v",
				ErrRunSchema, r.Seq, name, dt, keyTypes[i])
		}
		c.keyCols = append(c.keyCols, idx[0])
	}
	c.outCols = make([]int, opts.Schema.NumFields())
	c.hasAll = true
	for j, f := range opts.Schema.Fields() {
		c.outCols[j] = -1
		idx := s.FieldIndices(f.Name)
		if len(idx) == 0 {
			c.hasAll = false
			continue
		}
		if dt := s.Field(idx[0]).Type; !arrow.TypeEqual(dt, f.Type) {
			return nil, fmt.Errorf("%w: run seq %d has column %q of type %v, output %v",
				ErrRunSchema, r.Seq, f.Name, dt, f.Type)
		}
		c.outCols[j] = idx[0]
	}
	if idx := s.FieldIndices(DeleteMarkerColumn); len(idx) > 0 {
		if dt := s.Field(idx[0]).Type; dt.ID() != arrow.BOOL {
			return nil, fmt.Errorf("%w: run seq %d: %s has type %v, want bool", ErrRunSchema, r.Seq, DeleteMarkerColumn, dt)
		}
		c.delCol = idx[0]
	}
	if opts.CDCColumn != "" {
		if idx := s.FieldIndices(opts.CDCColumn); len(idx) > 0 {
			if id := s.Field(idx[0]).Type.ID(); id != arrow.STRING && id != arrow.LARGE_STRING {
				return nil, fmt.Errorf("%w: run seq %d: CDC column %q has type %v, want string",
					ErrRunSchema, r.Seq, opts.CDCColumn, s.Field(idx[0]).Type)
			}
			c.cdcCol = idx[0]
		}
	}
	return keyTypes, nil
}

func (m *mergeReader) Retain() { m.refCount.Add(1) }

func (m *mergeReader) Release() {
	if m.refCount.Add(-1) == 0 {
		if m.cur != nil {
			m.cur.Release()
			m.cur = nil
		}
		m.releaseAll()
	}
}

func (m *mergeReader) Schema() *arrow.Schema { return m.schema }

func (m *mergeReader) RecordBatch() arrow.RecordBatch { return m.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (m *mergeReader) Record() arrow.RecordBatch { return m.cur }

func (m *mergeReader) Err() error { return m.err }

func (m *mergeReader) Next() bool {
	if m.cur != nil {
		m.cur.Release()
		m.cur = nil
	}
	if m.err != nil || m.eof {
		return false
	}
	if err := m.ctx.Err(); err != nil {
		m.fail(err)
		return false
	}
	rec, err := m.produce()
	if err != nil {
		m.fail(err)
		return false
	}
	if rec == nil {
		m.eof = true
		m.releaseAll()
		return false
	}
	m.cur = rec
	return true
}

func (m *mergeReader) fail(err error) {
	m.err = err
	m.releaseAll()
}

// releaseAll drops every input batch and reader and the pending output.
func (m *mergeReader) releaseAll() {
	m.resetPending()
	for i := range m.cursors {
		c := &m.cursors[i]
		if c.rec != nil {
			c.rec.Release()
			c.rec = nil
		}
		if c.rdr != nil {
			c.rdr.Release()
			c.rdr = nil
		}
		c.done = true
	}
	for j, b := range m.computed {
		if b != nil {
			b.Release()
			m.computed[j] = nil
		}
	}
}

// produce returns the next output record, nil at the end.
func (m *mergeReader) produce() (arrow.RecordBatch, error) {
	if !m.started {
		m.started = true
		if err := m.start(); err != nil {
			return nil, err
		}
	}
	if len(m.cursors) == 0 {
		return nil, nil
	}
	if len(m.cursors) == 1 && !m.tune.noPassthrough {
		return m.passthrough()
	}
	return m.merge()
}

// start loads the first batch of every run and builds the loser tree.
func (m *mergeReader) start() error {
	for i := range m.cursors {
		if err := m.nextBatch(&m.cursors[i]); err != nil {
			return err
		}
	}
	k := len(m.cursors)
	m.tree = make([]int, max(k, 1))
	for i := range m.tree {
		m.tree[i] = -1
	}
	// Replay every leaf against a tree of "minus infinity" sentinels (-1):
	// once all leaves are in, the sentinels have all been pushed out.
	for i := 0; i < k; i++ {
		w := i
		for p := (i + k) >> 1; p > 0; p >>= 1 {
			if t := m.tree[p]; t < 0 || (w >= 0 && m.less(t, w)) {
				m.tree[p], w = w, t
			}
		}
		m.tree[0] = w
	}
	return nil
}

// nextBatch releases the cursor's batch and loads the next non-empty one, or
// marks the cursor done and releases its reader.
func (m *mergeReader) nextBatch(c *cursor) error {
	if c.rec != nil {
		c.rec.Release()
		c.rec = nil
	}
	c.slot = -1
	c.row, c.n = 0, 0
	for c.rdr != nil && c.rdr.Next() {
		rec := c.rdr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		if int(rec.NumCols()) != c.ncol {
			return fmt.Errorf("%w: run seq %d: batch has %d columns, schema %d", ErrRunSchema, c.seq, rec.NumCols(), c.ncol)
		}
		rec.Retain()
		c.rec, c.n = rec, int(rec.NumRows())
		if err := m.loadKeys(c); err != nil {
			return err
		}
		c.del = deleteFlags(c, rec)
		return nil
	}
	if c.rdr != nil {
		err := c.rdr.Err()
		c.rdr.Release()
		c.rdr = nil
		if err != nil {
			return fmt.Errorf("mor: run seq %d: %w", c.seq, err)
		}
	}
	c.done = true
	return nil
}

// loadKeys checks the keys of the cursor's new batch (no nulls, strictly
// ascending also across batches) and sets the current key.
func (m *mergeReader) loadKeys(c *cursor) error {
	m.keyArrs = m.keyArrs[:0]
	for _, ci := range c.keyCols {
		m.keyArrs = append(m.keyArrs, c.rec.Column(ci))
	}
	if len(m.cursors) == 1 && !m.tune.noPassthrough {
		// The passthrough never compares keys; it only refuses null ones.
		for _, a := range m.keyArrs {
			if a.NullN() > 0 {
				return fmt.Errorf("run seq %d: %w", c.seq, ErrNullKey)
			}
		}
		return nil
	}
	if err := m.spec.load(&c.keys, m.keyArrs); err != nil {
		return fmt.Errorf("run seq %d: %w", c.seq, err)
	}
	if i := c.keys.firstUnsorted(m.spec.mode); i >= 0 {
		return fmt.Errorf("%w: run seq %d, row %d of a batch", ErrRunOrder, c.seq, i)
	}
	kb := &c.keys
	if m.spec.mode == keyUint {
		if c.hasLast && kb.u[0] <= c.lastU {
			return fmt.Errorf("%w: run seq %d, first row of a batch", ErrRunOrder, c.seq)
		}
		c.lastU, c.hasLast = kb.u[c.n-1], true
	} else {
		if c.hasLast && bytes.Compare(kb.bytesAt(0), c.lastB) <= 0 {
			return fmt.Errorf("%w: run seq %d, first row of a batch", ErrRunOrder, c.seq)
		}
		c.lastB, c.hasLast = append(c.lastB[:0], kb.bytesAt(c.n-1)...), true
	}
	m.setKey(c)
	return nil
}

func (m *mergeReader) setKey(c *cursor) {
	if m.spec.mode == keyUint {
		c.pfx = c.keys.u[c.row]
	} else {
		c.bkey = c.keys.bytesAt(c.row)
		c.pfx = keyPrefix(c.bkey)
	}
}

// advance moves the cursor to its next row.
func (m *mergeReader) advance(c *cursor) error {
	c.row++
	if c.row < c.n {
		m.setKey(c)
		return nil
	}
	return m.nextBatch(c)
}

// take registers the cursor's current row in the pending output.
func (m *mergeReader) take(c *cursor, ci int) entry {
	if c.slot < 0 {
		c.rec.Retain()
		c.slot = int32(len(m.slots))
		m.slots = append(m.slots, c.rec)
		m.slotCur = append(m.slotCur, ci)
	}
	return entry{c: c, rec: c.rec, slot: c.slot, row: int32(c.row), del: c.del != nil && c.del[c.row]}
}

// merge fills one output batch through the loser tree.
func (m *mergeReader) merge() (arrow.RecordBatch, error) {
	for m.nOut < m.bs {
		w := m.tree[0]
		c := &m.cursors[w]
		if c.done {
			break
		}
		if w == m.streakC && m.streak >= m.tune.streak {
			rec, took, err := m.bulk(w)
			if err != nil {
				return nil, err
			}
			if rec != nil {
				return rec, nil
			}
			if took > 0 {
				continue
			}
			m.streak = 0
		}
		g := append(m.group[:0], m.take(c, w))
		gp, gb := c.pfx, c.bkey
		if err := m.advance(c); err != nil {
			return nil, err
		}
		m.replay(w)
		for {
			w2 := m.tree[0]
			c2 := &m.cursors[w2]
			if c2.done || !keyEqual(c2, gp, gb) {
				break
			}
			g = append(g, m.take(c2, w2))
			if err := m.advance(c2); err != nil {
				return nil, err
			}
			m.replay(w2)
		}
		m.group = g
		if len(g) == 1 {
			if w == m.streakC {
				m.streak++
			} else {
				m.streakC, m.streak = w, 1
			}
			if !g[0].del {
				m.appendRow(ref{g[0].slot, g[0].row})
			}
			continue
		}
		m.streak = 0
		m.mergeGroup(g)
	}
	if m.nOut == 0 {
		return nil, nil
	}
	return m.flush()
}

// bulk handles a run that keeps winning: the rows of its current batch that
// sort before every other run's current key need no merging. They become a
// zero-copy slice (returned) when the output is empty and the range is long,
// else they are appended to the pending output. took is the number of input
// rows consumed.
func (m *mergeReader) bulk(w int) (arrow.RecordBatch, int, error) {
	c := &m.cursors[w]
	end := c.n
	if ru := m.runnerUp(); ru >= 0 && !m.cursors[ru].done {
		end = m.gallop(c, &m.cursors[ru])
	}
	cnt := end - c.row
	if cnt < 2 {
		return nil, 0, nil
	}
	from := c.row
	hasDel := c.del != nil && slices.Contains(c.del[from:end], true)
	var rec arrow.RecordBatch
	var took int
	if m.nOut == 0 && !hasDel && cnt >= m.tune.zeroCopyMin {
		took = min(cnt, m.bs)
		rec = m.sliceRecord(c, from, from+took)
	} else {
		took = min(cnt, m.bs-m.nOut)
		e := m.take(c, w)
		for r := from; r < from+took; r++ {
			if c.del == nil || !c.del[r] {
				m.appendRow(ref{e.slot, int32(r)})
			}
		}
	}
	c.row += took - 1
	if err := m.advance(c); err != nil {
		if rec != nil {
			rec.Release()
		}
		return nil, 0, err
	}
	m.replay(w)
	return rec, took, nil
}

// passthrough serves a single run: its rows need no merging, only the
// removal of delete rows and the projection.
func (m *mergeReader) passthrough() (arrow.RecordBatch, error) {
	c := &m.cursors[0]
	for m.nOut < m.bs {
		if c.row >= c.n {
			if err := m.nextBatch(c); err != nil {
				return nil, err
			}
			if c.done {
				break
			}
		}
		to := min(c.n, c.row+m.bs-m.nOut)
		if m.nOut == 0 && (c.del == nil || !slices.Contains(c.del[c.row:to], true)) {
			rec := m.sliceRecord(c, c.row, to)
			c.row = to
			return rec, nil
		}
		e := m.take(c, 0)
		for r := c.row; r < to; r++ {
			if c.del == nil || !c.del[r] {
				m.appendRow(ref{e.slot, int32(r)})
			}
		}
		c.row = to
	}
	if m.nOut == 0 {
		return nil, nil
	}
	return m.flush()
}
