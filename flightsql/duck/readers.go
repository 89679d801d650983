package duck

import (
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// onceReader opens its stream on first use and can be closed by its owner
// whether or not DuckDB released it, so no scan outlives a query.
type onceReader struct {
	schema *arrow.Schema
	open   func() (array.RecordReader, error)
	refs   atomic.Int64

	mu     sync.Mutex
	in     array.RecordReader
	err    error
	done   bool
	closed bool
}

func (r *onceReader) Schema() *arrow.Schema { return r.schema }

func (r *onceReader) Next() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.closed {
		return false
	}
	if r.in == nil {
		in, err := r.open()
		if err != nil {
			r.err, r.done = err, true
			return false
		}
		r.in = in
	}
	if !r.in.Next() {
		r.err = r.in.Err()
		r.done = true
		return false
	}
	return true
}

func (r *onceReader) RecordBatch() arrow.RecordBatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.in == nil || r.closed {
		return nil
	}
	return r.in.RecordBatch()
}

func (r *onceReader) Record() arrow.RecordBatch { return r.RecordBatch() }

func (r *onceReader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *onceReader) Retain() { r.refs.Add(1) }

// Release is DuckDB's; the stream itself is closed by close.
func (r *onceReader) Release() { r.refs.Add(-1) }

func (r *onceReader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if r.in != nil {
		r.in.Release()
	}
}

// Renamed presents a reader's records under an equal schema (for example
// one without a table's internal field metadata).
func Renamed(in array.RecordReader, schema *arrow.Schema) array.RecordReader {
	return &schemaReader{RecordReader: in, schema: schema}
}

type schemaReader struct {
	array.RecordReader
	schema *arrow.Schema
	cur    arrow.RecordBatch
}

func (r *schemaReader) Schema() *arrow.Schema { return r.schema }

func (r *schemaReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if !r.RecordReader.Next() {
		return false
	}
	in := r.RecordReader.RecordBatch()
	r.cur = array.NewRecordBatch(r.schema, in.Columns(), in.NumRows())
	return true
}

func (r *schemaReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *schemaReader) Record() arrow.RecordBatch      { return r.cur }

func (r *schemaReader) Release() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.RecordReader.Release()
}
