package lsio

import (
	"context"
	"fmt"
	"io"
)

// ContextReaderAt is an optional capability of an Object whose reads are
// remote requests: the context cancels a read in flight. Objects without it
// read through io.ReaderAt after a context check.
type ContextReaderAt interface {
	ReadAtContext(ctx context.Context, p []byte, off int64) (int, error)
}

// ReadAtContext reads len(p) bytes at off from r, with the io.ReaderAt
// contract (io.EOF when fewer bytes remain), honouring ctx when r supports
// ContextReaderAt.
func ReadAtContext(ctx context.Context, r io.ReaderAt, p []byte, off int64) (int, error) {
	if cr, ok := r.(ContextReaderAt); ok {
		return cr.ReadAtContext(ctx, p, off)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("lsio: read at %d: %w", off, err)
	}
	return r.ReadAt(p, off)
}

// ctxReaderAt binds a context to an object's reads, for code (such as the
// Parquet reader) that only knows io.ReaderAt.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	return ReadAtContext(c.ctx, c.r, p, off)
}
