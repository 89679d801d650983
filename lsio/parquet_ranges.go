package lsio

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// Range coalescing for remote Parquet reads. The Parquet reader fetches each
// column chunk with its own ReadAt; against object storage that is one
// request per (row group, column). spanReader instead fetches, per row
// group, the byte spans covering all requested chunks (merging chunks closer
// than coalesceGap), one request per span, and prefetches the next row
// group's spans while the current one is decoded.
const (
	coalesceGap = 1 << 20  // merge chunks separated by less than this
	maxSpanSize = 64 << 20 // never fetch more than this in one request
)

type span struct {
	off, end int64
	chunks   int // chunk reads expected from this span
	next     *span

	once   sync.Once
	ready  chan struct{} // closed once data or err is set
	data   []byte
	err    error
	served int // chunk reads served; data is dropped when all are
}

// spanReader is an io.ReaderAt serving column chunk reads from spans and
// passing every other read (footer, page index) through. It belongs to one
// Read call; close stops its prefetching.
type spanReader struct {
	src    io.ReaderAt
	ctx    context.Context // the Read's context, cancelled by close
	cancel context.CancelFunc
	spans  []*span // sorted by offset
	wg     sync.WaitGroup
	mu     sync.Mutex
}

// newSpanReader plans the spans for reading leaves of rowGroups, in the
// order the row groups will be read.
func newSpanReader(ctx context.Context, src io.ReaderAt, meta *metadata.FileMetaData, leaves, rowGroups []int) (*spanReader, error) {
	type chunk struct{ off, end int64 }
	ctx, cancel := context.WithCancel(ctx)
	r := &spanReader{src: src, ctx: ctx, cancel: cancel}
	var prev *span
	for _, rg := range rowGroups {
		rgMeta := meta.RowGroup(rg)
		chunks := make([]chunk, 0, len(leaves))
		for _, leaf := range leaves {
			cc, err := rgMeta.ColumnChunk(leaf)
			if err != nil {
				cancel()
				return nil, err
			}
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
				start = cc.DictionaryPageOffset()
			}
			chunks = append(chunks, chunk{start, start + cc.TotalCompressedSize()})
		}
		sort.Slice(chunks, func(i, j int) bool { return chunks[i].off < chunks[j].off })
		var cur *span
		for _, c := range chunks {
			if cur != nil && c.off-cur.end < coalesceGap && c.end-cur.off <= maxSpanSize && c.off >= cur.end {
				cur.end = c.end
				cur.chunks++
				continue
			}
			cur = &span{off: c.off, end: c.end, chunks: 1, ready: make(chan struct{})}
			if prev != nil {
				prev.next = cur
			}
			prev = cur
			r.spans = append(r.spans, cur)
		}
	}
	sort.Slice(r.spans, func(i, j int) bool { return r.spans[i].off < r.spans[j].off })
	return r, nil
}

// find returns the span holding [off, end), or nil.
func (r *spanReader) find(off, end int64) *span {
	i := sort.Search(len(r.spans), func(i int) bool { return r.spans[i].end > off })
	if i < len(r.spans) && r.spans[i].off <= off && end <= r.spans[i].end {
		return r.spans[i]
	}
	return nil
}

// fetch starts loading s in the background unless it has started already.
func (r *spanReader) fetch(s *span) {
	s.once.Do(func() {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			buf := make([]byte, s.end-s.off)
			_, err := ReadAtContext(r.ctx, r.src, buf, s.off)
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				s.err = fmt.Errorf("read bytes [%d, %d): %w", s.off, s.end, err)
			} else {
				s.data = buf
			}
			close(s.ready)
		}()
	})
}

func (r *spanReader) ReadAt(p []byte, off int64) (int, error) {
	s := r.find(off, off+int64(len(p)))
	if s == nil {
		return ReadAtContext(r.ctx, r.src, p, off)
	}
	r.fetch(s)
	if s.next != nil {
		r.fetch(s.next) // prefetch what the reader needs next
	}
	select {
	case <-s.ready:
	case <-r.ctx.Done():
		return 0, r.ctx.Err()
	}
	if s.err != nil {
		return 0, s.err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.data == nil {
		// Every expected read was served and the data dropped; an extra
		// read goes to the source.
		return ReadAtContext(r.ctx, r.src, p, off)
	}
	n := copy(p, s.data[off-s.off:])
	s.served++
	if s.served >= s.chunks {
		s.data = nil
	}
	return n, nil
}

// close cancels outstanding fetches and waits for them.
func (r *spanReader) close() {
	r.cancel()
	r.wg.Wait()
	r.mu.Lock()
	for _, s := range r.spans {
		s.data = nil
	}
	r.mu.Unlock()
}
