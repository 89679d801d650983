package mor

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
)

// iterReader adapts a pull function to array.RecordReader. next returns the
// next record (owned by the reader from then on), or nil at the end.
type iterReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	next   func() (arrow.RecordBatch, error)
	close  func()
	cur    arrow.RecordBatch
	err    error
	done   bool
}

func newIterReader(schema *arrow.Schema, next func() (arrow.RecordBatch, error), close func()) *iterReader {
	r := &iterReader{schema: schema, next: next, close: close}
	r.refs.Store(1)
	return r
}

func (r *iterReader) Retain() { r.refs.Add(1) }

func (r *iterReader) Release() {
	if r.refs.Add(-1) == 0 {
		if r.cur != nil {
			r.cur.Release()
			r.cur = nil
		}
		if r.close != nil {
			r.close()
			r.close = nil
		}
	}
}

func (r *iterReader) Schema() *arrow.Schema { return r.schema }

func (r *iterReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done {
		return false
	}
	rec, err := r.next()
	if err != nil || rec == nil {
		r.err = err
		r.done = true
		if r.close != nil {
			r.close()
			r.close = nil
		}
		return false
	}
	r.cur = rec
	return true
}

func (r *iterReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *iterReader) Record() arrow.RecordBatch { return r.cur }

func (r *iterReader) Err() error { return r.err }
