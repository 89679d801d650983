package flightsql

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var coalesceSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// chanReader is a record reader fed through a channel: Next blocks until
// the test sends a batch or closes the channel. err is reported once the
// channel is closed.
type chanReader struct {
	refs atomic.Int64
	ch   chan arrow.RecordBatch
	cur  arrow.RecordBatch
	err  error
	next atomic.Int64 // calls of Next
}

func newChanReader(n int) *chanReader {
	r := &chanReader{ch: make(chan arrow.RecordBatch, n)}
	r.refs.Store(1)
	return r
}

func (r *chanReader) Retain()                           { r.refs.Add(1) }
func (r *chanReader) Schema() *arrow.Schema             { return coalesceSchema }
func (r *chanReader) RecordBatch() arrow.RecordBatch    { return r.cur }
func (r *chanReader) Record() arrow.RecordBatch         { return r.cur }
func (r *chanReader) Err() error                        { return r.err }
func (r *chanReader) feed(batches ...arrow.RecordBatch) { feed(r.ch, batches) }

func feed(ch chan<- arrow.RecordBatch, batches []arrow.RecordBatch) {
	for _, b := range batches {
		ch <- b
	}
}

func (r *chanReader) Next() bool {
	r.next.Add(1)
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	b, ok := <-r.ch
	if !ok {
		return false
	}
	r.cur = b
	return true
}

// Release drops the current batch and any the reader was fed but did not
// return; the channel must be closed by then.
func (r *chanReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
	}
	for b := range r.ch {
		b.Release()
	}
}

// makeBatches builds batches of the given row counts whose ids count up
// from 0 across them.
func makeBatches(mem memory.Allocator, sizes ...int) []arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, coalesceSchema)
	defer b.Release()
	var out []arrow.RecordBatch
	id := int64(0)
	for _, n := range sizes {
		for range n {
			b.Field(0).(*array.Int64Builder).Append(id)
			if id%3 == 0 {
				b.Field(1).(*array.StringBuilder).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append("row")
			}
			id++
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

// drain reads r to the end and returns the row count of each batch; ids
// must count up from 0 across the batches.
func drain(t *testing.T, r array.RecordReader) []int {
	t.Helper()
	var sizes []int
	id := int64(0)
	for r.Next() {
		rec := r.RecordBatch()
		if !rec.Schema().Equal(coalesceSchema) {
			t.Fatalf("batch schema %s", rec.Schema())
		}
		ids := rec.Column(0).(*array.Int64)
		strs := rec.Column(1).(*array.String)
		for i := range ids.Len() {
			if ids.Value(i) != id {
				t.Fatalf("row %d has id %d", id, ids.Value(i))
			}
			if strs.IsNull(i) != (id%3 == 0) {
				t.Fatalf("row %d: wrong null", id)
			}
			id++
		}
		sizes = append(sizes, int(rec.NumRows()))
	}
	return sizes
}

func TestCoalesceReader(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sizes    []int
		maxRows  int64
		maxBytes int64
		want     []int
	}{
		{"empty", nil, 100, 1 << 20, nil},
		{"one small", []int{1}, 100, 1 << 20, []int{1}},
		{"two small", []int{1, 1}, 100, 1 << 20, []int{2}},
		{"up to the target exactly", []int{25, 25, 25, 25, 25}, 100, 1 << 20, []int{100, 25}},
		{"not past the target", []int{40, 40, 40}, 100, 1 << 20, []int{80, 40}},
		{"big ones pass", []int{100, 60, 150}, 100, 1 << 20, []int{100, 60, 150}},
		{"small ones around a big one", []int{10, 10, 60, 10, 1}, 100, 1 << 20, []int{20, 60, 11}},
		{"empty batches", []int{0, 3, 0, 0, 2}, 100, 1 << 20, []int{5}},
		// A 1-row batch is 21 bytes, a 10-row one 150.
		{"byte target", []int{1, 1, 1, 1, 1, 1}, 1000, 100, []int{4, 2}},
		{"big by bytes", []int{10, 10, 10}, 1000, 200, []int{10, 10, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			src := newChanReader(len(tc.sizes))
			src.feed(makeBatches(mem, tc.sizes...)...)
			close(src.ch)
			r := newCoalesceReader(src, mem, tc.maxRows, tc.maxBytes)
			defer r.Release()
			if got := drain(t, r); !slices.Equal(got, tc.want) {
				t.Fatalf("batches of %v rows, want %v", got, tc.want)
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if r.Next() {
				t.Fatal("Next after the end")
			}
		})
	}
}

// TestCoalesceReaderPassesBigBatches: a big batch is the inner reader's
// own batch, returned before the next one is read.
func TestCoalesceReaderPassesBigBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := newChanReader(4)
	r := newCoalesceReader(src, mem, 100, 1<<20)
	defer r.Release()
	batches := makeBatches(mem, 80, 10, 70)

	src.feed(batches[0])
	nextWithin(t, r, true)
	if r.RecordBatch() != batches[0] {
		t.Fatal("a big batch was copied")
	}
	if n := src.next.Load(); n != 1 {
		t.Fatalf("%d inner reads for one big batch", n)
	}
	// A small batch waits for the next: here a big one, which is not
	// joined to it and comes right after.
	src.feed(batches[1], batches[2])
	nextWithin(t, r, true)
	if r.RecordBatch().NumRows() != 10 {
		t.Fatalf("%d rows", r.RecordBatch().NumRows())
	}
	nextWithin(t, r, true)
	if r.RecordBatch() != batches[2] {
		t.Fatal("a big batch after a small one was copied")
	}
	close(src.ch)
	nextWithin(t, r, false)
}

// nextWithin calls r.Next and fails if it blocks or does not return want.
func nextWithin(t *testing.T, r array.RecordReader, want bool) {
	t.Helper()
	done := make(chan bool, 1)
	go func() { done <- r.Next() }()
	select {
	case got := <-done:
		if got != want {
			t.Fatalf("Next returned %v: %v", got, r.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next waits for a batch it does not need")
	}
}

// TestCoalesceReaderInnerError: the rows before an error are delivered,
// then the error.
func TestCoalesceReaderInnerError(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		sizes []int
		want  []int
	}{
		{"at once", nil, nil},
		{"after small batches", []int{1, 2}, []int{3}},
		{"after a big batch", []int{10, 90}, []int{10, 90}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			src := newChanReader(len(tc.sizes))
			src.feed(makeBatches(mem, tc.sizes...)...)
			src.err = boom
			close(src.ch)
			r := newCoalesceReader(src, mem, 100, 1<<20)
			defer r.Release()
			if got := drain(t, r); !slices.Equal(got, tc.want) {
				t.Fatalf("batches of %v rows, want %v", got, tc.want)
			}
			if err := r.Err(); !errors.Is(err, boom) {
				t.Fatalf("Err() = %v", err)
			}
		})
	}
}

// TestCoalesceReaderEarlyRelease: a consumer that stops at any point
// leaks nothing, whether a batch is current, pending or joined.
func TestCoalesceReaderEarlyRelease(t *testing.T) {
	sizes := []int{5, 5, 60, 5, 5, 5}
	for stop := 0; stop <= 4; stop++ {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		src := newChanReader(len(sizes))
		src.feed(makeBatches(mem, sizes...)...)
		close(src.ch)
		r := newCoalesceReader(src, mem, 100, 1<<20)
		for i := 0; i < stop && r.Next(); i++ {
		}
		r.Retain()
		r.Release()
		r.Release()
		mem.AssertSize(t, 0)
	}
}
