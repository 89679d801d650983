package lsio

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors. Implementations wrap them with %w and context.
var (
	// ErrNotExist is returned when an object does not exist.
	ErrNotExist = errors.New("lsio: object does not exist")
	// ErrInvalidPath is returned for empty, absolute or non-canonical paths.
	ErrInvalidPath = errors.New("lsio: invalid object path")
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Path    string // relative to the storage root, slash-separated
	Size    int64
	ModTime time.Time
}

// Object is an open object that supports random access reads, as Parquet
// readers need. Close releases it.
type Object interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Writer streams a new object. Nothing is visible until Close returns nil;
// Abort discards what was written. Calling Abort after Close is a no-op.
type Writer interface {
	io.Writer
	Close() error
	Abort() error
}

// Storage is object storage rooted at one location (a directory, a bucket and
// prefix, or memory).
type Storage interface {
	// Put stores data at path atomically, replacing any existing object.
	Put(ctx context.Context, path string, data []byte) error
	// Create starts a streaming write of a new object at path.
	Create(ctx context.Context, path string) (Writer, error)
	// Open opens an object for random access reads.
	Open(ctx context.Context, path string) (Object, error)
	// Get reads a whole object.
	Get(ctx context.Context, path string) ([]byte, error)
	// Stat describes an object; ErrNotExist if it is missing.
	Stat(ctx context.Context, path string) (ObjectInfo, error)
	// List returns every object whose path starts with prefix, sorted by path.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, path string) error
	// URI names the storage root, for example file:///data or s3://bucket/prefix.
	URI() string
}
