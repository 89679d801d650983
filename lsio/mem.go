package lsio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mem is an in-memory Storage for tests and tools. It is safe for concurrent
// use. Stored byte slices are never modified after a write, so open objects
// keep reading the version they opened even if the path is overwritten.
type Mem struct {
	mu      sync.RWMutex
	objects map[string]memObject
}

type memObject struct {
	data    []byte
	modTime time.Time
}

var _ Storage = (*Mem)(nil)

// NewMem returns an empty in-memory storage.
func NewMem() *Mem {
	return &Mem{objects: make(map[string]memObject)}
}

// URI implements Storage.
func (m *Mem) URI() string { return "mem://" }

// Put implements Storage.
func (m *Mem) Put(ctx context.Context, path string, data []byte) error {
	if err := ValidatePath(path); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lsio: mem put %q: %w", path, err)
	}
	m.store(path, bytes.Clone(data))
	return nil
}

func (m *Mem) store(path string, data []byte) {
	if data == nil {
		data = []byte{}
	}
	m.mu.Lock()
	m.objects[path] = memObject{data: data, modTime: time.Now()}
	m.mu.Unlock()
}

func (m *Mem) lookup(ctx context.Context, op, path string) (memObject, error) {
	if err := ValidatePath(path); err != nil {
		return memObject{}, err
	}
	if err := ctx.Err(); err != nil {
		return memObject{}, fmt.Errorf("lsio: mem %s %q: %w", op, path, err)
	}
	m.mu.RLock()
	obj, ok := m.objects[path]
	m.mu.RUnlock()
	if !ok {
		return memObject{}, fmt.Errorf("lsio: mem %s %q: %w", op, path, ErrNotExist)
	}
	return obj, nil
}

// Get implements Storage.
func (m *Mem) Get(ctx context.Context, path string) ([]byte, error) {
	obj, err := m.lookup(ctx, "get", path)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(obj.data), nil
}

// Stat implements Storage.
func (m *Mem) Stat(ctx context.Context, path string) (ObjectInfo, error) {
	obj, err := m.lookup(ctx, "stat", path)
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Path: path, Size: int64(len(obj.data)), ModTime: obj.modTime}, nil
}

// Open implements Storage.
func (m *Mem) Open(ctx context.Context, path string) (Object, error) {
	obj, err := m.lookup(ctx, "open", path)
	if err != nil {
		return nil, err
	}
	return &bytesObject{r: bytes.NewReader(obj.data)}, nil
}

// List implements Storage.
func (m *Mem) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lsio: mem list %q: %w", prefix, err)
	}
	m.mu.RLock()
	var out []ObjectInfo
	for p, obj := range m.objects {
		if strings.HasPrefix(p, prefix) {
			out = append(out, ObjectInfo{Path: p, Size: int64(len(obj.data)), ModTime: obj.modTime})
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Delete implements Storage.
func (m *Mem) Delete(ctx context.Context, path string) error {
	if err := ValidatePath(path); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lsio: mem delete %q: %w", path, err)
	}
	m.mu.Lock()
	delete(m.objects, path)
	m.mu.Unlock()
	return nil
}

// Create implements Storage. The object appears when Close returns nil.
// Cancelling ctx before Close makes Close fail and store nothing.
func (m *Mem) Create(ctx context.Context, path string) (Writer, error) {
	if err := ValidatePath(path); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lsio: mem create %q: %w", path, err)
	}
	return &memWriter{m: m, ctx: ctx, path: path}, nil
}

// memWriter buffers a new object. It keeps the Create context because the
// whole write is one operation that the context governs.
type memWriter struct {
	m    *Mem
	ctx  context.Context
	path string
	buf  bytes.Buffer
	done bool
}

var errWriterDone = errors.New("lsio: writer already closed or aborted")

func (w *memWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterDone
	}
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("lsio: mem write %q: %w", w.path, err)
	}
	return w.buf.Write(p)
}

func (w *memWriter) Close() error {
	if w.done {
		return errWriterDone
	}
	w.done = true
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("lsio: mem close %q: %w", w.path, err)
	}
	w.m.store(w.path, w.buf.Bytes())
	return nil
}

func (w *memWriter) Abort() error {
	w.done = true
	w.buf = bytes.Buffer{}
	return nil
}

// bytesObject is an Object over bytes already in memory.
type bytesObject struct {
	r *bytes.Reader
}

func (o *bytesObject) ReadAt(p []byte, off int64) (int, error) { return o.r.ReadAt(p, off) }
func (o *bytesObject) Size() int64                             { return o.r.Size() }
func (o *bytesObject) Close() error                            { return nil }
