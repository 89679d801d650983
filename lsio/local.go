package lsio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// tempPrefix starts the names of Local's in-progress files. Paths whose last
// element starts with it are reserved: List hides such files and every
// operation rejects such paths.
const tempPrefix = ".lsio-tmp-"

// Local is a Storage rooted at a directory of the local file system.
//
// Writes go to a temporary file in the destination directory, are synced,
// and are renamed into place, so an object appears whole or not at all.
// Directories are created as needed and empty ones are removed on Delete,
// so the tree mirrors the object paths. Unlike S3, a path cannot be both an
// object and a "directory" of other objects ("a" and "a/b").
type Local struct {
	root string // absolute, cleaned
}

var _ Storage = (*Local)(nil)

// NewLocal returns a Storage rooted at dir, creating the directory if it
// does not exist.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("lsio: local storage needs a directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lsio: local root %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("lsio: local root: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("lsio: local root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("lsio: local root %q is not a directory", abs)
	}
	return &Local{root: abs}, nil
}

// Root returns the absolute directory the storage is rooted at.
func (l *Local) Root() string { return l.root }

// URI implements Storage.
func (l *Local) URI() string { return "file://" + filepath.ToSlash(l.root) }

func (l *Local) check(ctx context.Context, op, path string) (string, error) {
	if err := ValidatePath(path); err != nil {
		return "", err
	}
	if strings.HasPrefix(lastElem(path), tempPrefix) {
		return "", fmt.Errorf("%w: %q uses the reserved prefix %q", ErrInvalidPath, path, tempPrefix)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("lsio: local %s %q: %w", op, path, err)
	}
	return filepath.Join(l.root, filepath.FromSlash(path)), nil
}

func lastElem(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// mapErr wraps a file system error, translating "missing" into ErrNotExist.
func mapErr(op, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errIsDir) ||
		errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("lsio: local %s %q: %w", op, path, ErrNotExist)
	}
	return fmt.Errorf("lsio: local %s %q: %w", op, path, err)
}

// writeErr wraps an error of a write operation. Unlike mapErr it never
// reports ErrNotExist: a write fails for other reasons (a directory in the
// way, a full disk).
func writeErr(op, path string, err error) error {
	return fmt.Errorf("lsio: local %s %q: %w", op, path, err)
}

// errIsDir reports a path that names a directory, which is not an object.
var errIsDir = errors.New("is a directory")

// Put implements Storage.
func (l *Local) Put(ctx context.Context, path string, data []byte) error {
	full, err := l.check(ctx, "put", path)
	if err != nil {
		return err
	}
	f, err := l.createTemp(full)
	if err != nil {
		return writeErr("put", path, err)
	}
	if _, err := f.Write(data); err != nil {
		discardTemp(f)
		return writeErr("put", path, err)
	}
	if err := commitTemp(f, full); err != nil {
		return writeErr("put", path, err)
	}
	return nil
}

// createTemp creates a temporary file next to full, creating parent
// directories. A concurrent Delete may remove an empty parent between the
// two steps, so the pair is retried.
func (l *Local) createTemp(full string) (*os.File, error) {
	dir := filepath.Dir(full)
	var lastErr error
	for range 5 {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		f, err := os.CreateTemp(dir, tempPrefix+"*")
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// commitTemp syncs and closes f and renames it to full. On failure the
// temporary file is removed.
func commitTemp(f *os.File, full string) error {
	if err := f.Sync(); err != nil {
		discardTemp(f)
		return err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), full); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	syncDir(filepath.Dir(full))
	return nil
}

func discardTemp(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// syncDir makes a rename durable. Errors are ignored: some file systems do
// not support syncing directories and the data itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// Create implements Storage. The file is written under a temporary name and
// renamed into place by Close. The context is checked on every Write and on
// Close; once it is cancelled, Close fails and nothing is stored.
func (l *Local) Create(ctx context.Context, path string) (Writer, error) {
	full, err := l.check(ctx, "create", path)
	if err != nil {
		return nil, err
	}
	f, err := l.createTemp(full)
	if err != nil {
		return nil, writeErr("create", path, err)
	}
	return &localWriter{ctx: ctx, f: f, full: full, path: path}, nil
}

// localWriter keeps the Create context because the whole write is one
// operation that the context governs.
type localWriter struct {
	ctx  context.Context
	f    *os.File
	full string
	path string
	done bool
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterDone
	}
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("lsio: local write %q: %w", w.path, err)
	}
	n, err := w.f.Write(p)
	if err != nil {
		return n, writeErr("write", w.path, err)
	}
	return n, nil
}

func (w *localWriter) Close() error {
	if w.done {
		return errWriterDone
	}
	w.done = true
	if err := w.ctx.Err(); err != nil {
		discardTemp(w.f)
		return fmt.Errorf("lsio: local close %q: %w", w.path, err)
	}
	if err := commitTemp(w.f, w.full); err != nil {
		return writeErr("close", w.path, err)
	}
	return nil
}

func (w *localWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	discardTemp(w.f)
	return nil
}

// Open implements Storage. The object is backed by an *os.File.
func (l *Local) Open(ctx context.Context, path string) (Object, error) {
	full, err := l.check(ctx, "open", path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, mapErr("open", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, mapErr("open", path, err)
	}
	if fi.IsDir() {
		_ = f.Close()
		return nil, mapErr("open", path, errIsDir)
	}
	return &fileObject{File: f, size: fi.Size()}, nil
}

// fileObject is an Object over an open file. Its size is fixed at open
// time; files are replaced by rename, never modified in place.
type fileObject struct {
	*os.File
	size int64
}

func (o *fileObject) Size() int64 { return o.size }

// Get implements Storage.
func (l *Local) Get(ctx context.Context, path string) ([]byte, error) {
	full, err := l.check(ctx, "get", path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, mapErr("get", path, err)
	}
	return data, nil
}

// Stat implements Storage.
func (l *Local) Stat(ctx context.Context, path string) (ObjectInfo, error) {
	full, err := l.check(ctx, "stat", path)
	if err != nil {
		return ObjectInfo{}, err
	}
	fi, err := os.Stat(full)
	if err != nil {
		return ObjectInfo{}, mapErr("stat", path, err)
	}
	if !fi.Mode().IsRegular() {
		return ObjectInfo{}, mapErr("stat", path, errIsDir)
	}
	return ObjectInfo{Path: path, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// List implements Storage. It walks only the directory that holds every
// path with the prefix and filters by plain string prefix, like S3.
func (l *Local) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lsio: local list %q: %w", prefix, err)
	}
	start := l.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = filepath.Join(l.root, filepath.FromSlash(prefix[:i]))
	}
	var out []ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // the start directory or an entry vanished
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// Skip directories that cannot hold a match.
			if p != start && !strings.HasPrefix(rel+"/", prefix) && !strings.HasPrefix(prefix, rel+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tempPrefix) || !strings.HasPrefix(rel, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while listing
			}
			return err
		}
		out = append(out, ObjectInfo{Path: rel, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lsio: local list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Delete implements Storage. Empty parent directories are removed up to the
// root; deleting a missing object succeeds.
func (l *Local) Delete(ctx context.Context, path string) error {
	full, err := l.check(ctx, "delete", path)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return mapErr("delete", path, err)
	}
	if fi.IsDir() {
		return nil // a directory is not an object, so there is nothing to delete
	}
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return mapErr("delete", path, err)
	}
	for dir := filepath.Dir(full); dir != l.root && strings.HasPrefix(dir, l.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty, or already gone
		}
	}
	return nil
}
