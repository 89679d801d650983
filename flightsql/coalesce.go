package flightsql

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A table written by many small commits is many small files, and a scan
// yields at least one batch per file: a handful of rows per Flight
// message, each with its own framing and per-batch overhead on the client.
// The coalesceReader joins such runs of small batches into batches of a
// useful size before they are sent.

// coalesceBytes is the byte target of a joined batch: half of
// maxBatchBytes, so a joined batch is never split again when it is sent.
const coalesceBytes = maxBatchBytes / 2

// coalesceReader reads the batches of a stream and joins consecutive small
// ones until a joined batch reaches maxRows or maxBytes. A batch of at
// least half a target is big: it passes through as it is, without copying
// and without waiting for the batch after it, so a stream of big batches
// gets no added latency. Only small batches wait for the ones after them.
//
// When the inner reader fails, the rows read before the failure are
// delivered first; Next then returns false and Err reports the failure.
type coalesceReader struct {
	refs     atomic.Int64
	src      array.RecordReader
	schema   *arrow.Schema
	mem      memory.Allocator
	maxRows  int64
	maxBytes int64

	cur     arrow.RecordBatch // returned by RecordBatch; owned
	pending arrow.RecordBatch // read but not yet returned; owned
	srcDone bool              // src.Next returned false
	err     error
}

// newCoalesceReader wraps src, which it owns from then on: releasing the
// coalesceReader releases src. maxRows and maxBytes are the targets of a
// joined batch; mem allocates joined batches.
func newCoalesceReader(src array.RecordReader, mem memory.Allocator, maxRows, maxBytes int64) *coalesceReader {
	r := &coalesceReader{src: src, schema: src.Schema(), mem: mem, maxRows: max(maxRows, 1), maxBytes: max(maxBytes, 1)}
	r.refs.Store(1)
	return r
}

// coalesceRows is the row target of joined batches for this server:
// Config.CoalesceRows, and never less than BatchRows.
func (s *Server) coalesceRows() int64 {
	return int64(max(s.cfg.CoalesceRows, s.cfg.BatchRows))
}

func (r *coalesceReader) Retain() { r.refs.Add(1) }

func (r *coalesceReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	r.dropCurrent()
	if r.pending != nil {
		r.pending.Release()
		r.pending = nil
	}
	r.src.Release()
}

func (r *coalesceReader) Schema() *arrow.Schema { return r.schema }

func (r *coalesceReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch under its older name.
//
// Deprecated: use RecordBatch.
func (r *coalesceReader) Record() arrow.RecordBatch { return r.cur }

func (r *coalesceReader) Err() error { return r.err }

func (r *coalesceReader) dropCurrent() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

// big reports whether a batch is worth sending alone.
func (r *coalesceReader) big(rows, bytes int64) bool {
	return rows >= (r.maxRows+1)/2 || bytes >= (r.maxBytes+1)/2
}

// take returns the next batch, retained for the caller, or nil at the end
// of the inner stream (after which r.err holds its error, if any).
func (r *coalesceReader) take() arrow.RecordBatch {
	if b := r.pending; b != nil {
		r.pending = nil
		return b
	}
	if r.srcDone {
		return nil
	}
	if !r.src.Next() {
		r.srcDone = true
		r.err = r.src.Err()
		return nil
	}
	b := r.src.RecordBatch()
	b.Retain()
	return b
}

func (r *coalesceReader) Next() bool {
	r.dropCurrent()
	first := r.take()
	if first == nil {
		return false
	}
	rows, size := first.NumRows(), recordBytes(first)
	if r.big(rows, size) {
		r.cur = first
		return true
	}
	parts := []arrow.RecordBatch{first}
	for rows < r.maxRows && size < r.maxBytes {
		next := r.take()
		if next == nil {
			break
		}
		n, b := next.NumRows(), recordBytes(next)
		if r.big(n, b) || rows+n > r.maxRows || size+b > r.maxBytes {
			r.pending = next
			break
		}
		parts = append(parts, next)
		rows += n
		size += b
	}
	if len(parts) == 1 {
		r.cur = first
		return true
	}
	joined, err := joinBatches(r.mem, first.Schema(), parts, rows)
	for _, p := range parts {
		p.Release()
	}
	if err != nil {
		r.err = err
		if r.pending != nil {
			r.pending.Release()
			r.pending = nil
		}
		r.srcDone = true
		return false
	}
	r.cur = joined
	return true
}

// joinBatches concatenates batches of one schema into a new batch of rows
// rows. The parts stay owned by the caller.
func joinBatches(mem memory.Allocator, schema *arrow.Schema, parts []arrow.RecordBatch, rows int64) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	arrs := make([]arrow.Array, len(parts))
	for i := range cols {
		for j, p := range parts {
			arrs[j] = p.Column(i)
		}
		c, err := array.Concatenate(arrs, mem)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}
