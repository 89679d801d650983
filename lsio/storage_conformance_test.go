package lsio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// newStorageFunc returns an empty storage for one subtest.
type newStorageFunc func(t *testing.T) lsio.Storage

// runStorageConformance checks the behaviour every Storage implementation
// promises. Each subtest gets a fresh, empty storage.
func runStorageConformance(t *testing.T, newStorage newStorageFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st lsio.Storage)
	}{
		{"PutGetOverwrite", testPutGetOverwrite},
		{"CreateClose", testCreateClose},
		{"CreateAbort", testCreateAbort},
		{"WriterAfterDone", testWriterAfterDone},
		{"OpenReadAt", testOpenReadAt},
		{"Missing", testMissing},
		{"List", testList},
		{"DeleteIdempotent", testDeleteIdempotent},
		{"InvalidPaths", testInvalidPaths},
		{"LargeObject", testLargeObject},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ContextCancelled", testContextCancelled},
		{"CancelDuringCreate", testCancelDuringCreate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStorage(t))
		})
	}
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func mustGet(t *testing.T, st lsio.Storage, path string) []byte {
	t.Helper()
	data, err := st.Get(context.Background(), path)
	if err != nil {
		t.Fatalf("Get(%q): %v", path, err)
	}
	return data
}

func mustPut(t *testing.T, st lsio.Storage, path string, data []byte) {
	t.Helper()
	if err := st.Put(context.Background(), path, data); err != nil {
		t.Fatalf("Put(%q): %v", path, err)
	}
}

func assertMissing(t *testing.T, st lsio.Storage, path string) {
	t.Helper()
	_, err := st.Stat(context.Background(), path)
	if !errors.Is(err, lsio.ErrNotExist) {
		t.Fatalf("Stat(%q) = %v, want ErrNotExist", path, err)
	}
}

func testPutGetOverwrite(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	cases := []struct {
		name, path string
		data       []byte
	}{
		{"top level", "file.bin", []byte("hello")},
		{"nested", "dt=2024-01-01/bucket/part-1_0001.parquet", randomBytes(1, 4096)},
		{"empty", "empty", []byte{}},
		{"hidden element", "a/.meta/x", []byte("x")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustPut(t, st, tc.path, tc.data)
			if got := mustGet(t, st, tc.path); !bytes.Equal(got, tc.data) {
				t.Fatalf("Get returned %d bytes, want %d", len(got), len(tc.data))
			}
			info, err := st.Stat(ctx, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Path != tc.path || info.Size != int64(len(tc.data)) || info.ModTime.IsZero() {
				t.Fatalf("Stat = %+v", info)
			}
			replacement := append([]byte("new:"), tc.data...)
			mustPut(t, st, tc.path, replacement)
			if got := mustGet(t, st, tc.path); !bytes.Equal(got, replacement) {
				t.Fatalf("after overwrite Get = %q", got)
			}
		})
	}
	// Put must copy the caller's slice.
	buf := []byte("original")
	mustPut(t, st, "copy", buf)
	copy(buf, "CHANGED!")
	if got := mustGet(t, st, "copy"); string(got) != "original" {
		t.Fatalf("stored object changed with the caller's buffer: %q", got)
	}
}

func testCreateClose(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	w, err := st.Create(ctx, "dir/created.bin")
	if err != nil {
		t.Fatal(err)
	}
	want := randomBytes(2, 10000)
	for off := 0; off < len(want); off += 999 {
		if _, err := w.Write(want[off:min(off+999, len(want))]); err != nil {
			t.Fatal(err)
		}
	}
	assertMissing(t, st, "dir/created.bin")
	if list, err := st.List(ctx, ""); err != nil || len(list) != 0 {
		t.Fatalf("List before Close = %v, %v; want nothing", list, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, st, "dir/created.bin"); !bytes.Equal(got, want) {
		t.Fatal("content mismatch after Close")
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort after Close = %v, want nil", err)
	}
	if got := mustGet(t, st, "dir/created.bin"); !bytes.Equal(got, want) {
		t.Fatal("Abort after Close removed the object")
	}

	// An empty object through Create.
	w, err = st.Create(ctx, "empty-created")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, st, "empty-created"); len(got) != 0 {
		t.Fatalf("empty object has %d bytes", len(got))
	}
}

func testCreateAbort(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	t.Run("new object", func(t *testing.T) {
		w, err := st.Create(ctx, "aborted/new")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("never visible")); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		assertMissing(t, st, "aborted/new")
		if err := w.Abort(); err != nil {
			t.Fatalf("second Abort = %v", err)
		}
		list, err := st.List(ctx, "aborted")
		if err != nil || len(list) != 0 {
			t.Fatalf("List after Abort = %v, %v", list, err)
		}
	})
	t.Run("overwrite keeps old", func(t *testing.T) {
		mustPut(t, st, "aborted/old", []byte("old"))
		w, err := st.Create(ctx, "aborted/old")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("new")); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, st, "aborted/old"); string(got) != "old" {
			t.Fatalf("before Close Get = %q, want old", got)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, st, "aborted/old"); string(got) != "old" {
			t.Fatalf("after Abort Get = %q, want old", got)
		}
	})
}

func testWriterAfterDone(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	w, err := st.Create(ctx, "done")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	if err := w.Close(); err == nil {
		t.Fatal("second Close succeeded")
	}
	w, err = st.Create(ctx, "done2")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Abort succeeded")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after Abort succeeded")
	}
	assertMissing(t, st, "done2")
}

func testOpenReadAt(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	data := randomBytes(3, 1000)
	mustPut(t, st, "r/obj", data)
	obj, err := st.Open(ctx, "r/obj")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if obj.Size() != 1000 {
		t.Fatalf("Size = %d", obj.Size())
	}
	cases := []struct {
		name    string
		off     int64
		n       int
		wantN   int
		wantEOF bool
	}{
		{"start", 0, 10, 10, false},
		{"middle", 500, 100, 100, false},
		{"whole", 0, 1000, 1000, false},
		{"exactly to end", 990, 10, 10, false},
		{"across end", 995, 10, 5, true},
		{"longer than object", 0, 2000, 1000, true},
		{"at end", 1000, 10, 0, true},
		{"past end", 5000, 10, 0, true},
		{"empty buffer", 10, 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := make([]byte, tc.n)
			n, err := obj.ReadAt(p, tc.off)
			if n != tc.wantN {
				t.Fatalf("n = %d, want %d", n, tc.wantN)
			}
			if tc.wantEOF && err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if !tc.wantEOF && err != nil && !(err == io.EOF && int(tc.off)+tc.n == len(data)) {
				t.Fatalf("err = %v, want nil", err)
			}
			if !bytes.Equal(p[:n], data[min(int(tc.off), len(data)):min(int(tc.off)+n, len(data))]) {
				t.Fatal("content mismatch")
			}
		})
	}
	t.Run("context reader", func(t *testing.T) {
		p := make([]byte, 20)
		n, err := lsio.ReadAtContext(ctx, obj, p, 100)
		if err != nil || n != 20 || !bytes.Equal(p, data[100:120]) {
			t.Fatalf("ReadAtContext = %d, %v", n, err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := lsio.ReadAtContext(cctx, obj, p, 100); !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadAtContext with cancelled context = %v", err)
		}
	})
}

func testMissing(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	mustPut(t, st, "present/x", []byte("x"))
	for _, path := range []string{"absent", "present/absent", "present", "present/x/deeper"} {
		t.Run(path, func(t *testing.T) {
			if _, err := st.Stat(ctx, path); !errors.Is(err, lsio.ErrNotExist) {
				t.Errorf("Stat = %v, want ErrNotExist", err)
			}
			if _, err := st.Get(ctx, path); !errors.Is(err, lsio.ErrNotExist) {
				t.Errorf("Get = %v, want ErrNotExist", err)
			}
			if _, err := st.Open(ctx, path); !errors.Is(err, lsio.ErrNotExist) {
				t.Errorf("Open = %v, want ErrNotExist", err)
			}
		})
	}
}

func testList(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	paths := []string{"dt=1/a", "dt=1/b/c", "dt=10/x", "dt=2/y", "dt=1-x", "root", "a-c", "a/b", "z/y/x/w"}
	for i, p := range paths {
		mustPut(t, st, p, bytes.Repeat([]byte{'x'}, i+1))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-c", "a/b", "dt=1-x", "dt=1/a", "dt=1/b/c", "dt=10/x", "dt=2/y", "root", "z/y/x/w"}},
		{"dt=1", []string{"dt=1-x", "dt=1/a", "dt=1/b/c", "dt=10/x"}},
		{"dt=1/", []string{"dt=1/a", "dt=1/b/c"}},
		{"dt=1/b", []string{"dt=1/b/c"}},
		{"dt=1/b/c", []string{"dt=1/b/c"}},
		{"dt=1/b/c/", nil},
		{"a", []string{"a-c", "a/b"}},
		{"z/y/", []string{"z/y/x/w"}},
		{"nope", nil},
		{"nope/deeper/", nil},
		{"r", []string{"root"}},
	}
	for _, tc := range cases {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			list, err := st.List(ctx, tc.prefix)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, info := range list {
				got = append(got, info.Path)
				want := int64(slices.Index(paths, info.Path) + 1)
				if info.Size != want || info.ModTime.IsZero() {
					t.Errorf("%s: size %d modtime %v, want size %d", info.Path, info.Size, info.ModTime, want)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("List(%q) = %v, want %v", tc.prefix, got, tc.want)
			}
		})
	}
}

func testDeleteIdempotent(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	mustPut(t, st, "d/e/f", []byte("1"))
	mustPut(t, st, "d/g", []byte("2"))
	for i := range 2 {
		if err := st.Delete(ctx, "d/e/f"); err != nil {
			t.Fatalf("Delete #%d: %v", i, err)
		}
	}
	assertMissing(t, st, "d/e/f")
	if err := st.Delete(ctx, "never/existed"); err != nil {
		t.Fatalf("Delete of a missing object: %v", err)
	}
	list, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Path != "d/g" {
		t.Fatalf("List after delete = %v", list)
	}
	// The path can be used again after its parents were cleaned up.
	mustPut(t, st, "d/e/f", []byte("3"))
	if got := mustGet(t, st, "d/e/f"); string(got) != "3" {
		t.Fatalf("Get = %q", got)
	}
}

func testInvalidPaths(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	bad := []string{"", "/abs", "a//b", "a/./b", "./a", "../x", "a/..", "..", ".", "a/", "a\\b", "a\x00b"}
	for _, p := range bad {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, lsio.ErrInvalidPath) {
					t.Errorf("%s(%q) = %v, want ErrInvalidPath", op, p, err)
				}
			}
			check("ValidatePath", lsio.ValidatePath(p))
			check("Put", st.Put(ctx, p, []byte("x")))
			_, err := st.Get(ctx, p)
			check("Get", err)
			_, err = st.Stat(ctx, p)
			check("Stat", err)
			_, err = st.Open(ctx, p)
			check("Open", err)
			_, err = st.Create(ctx, p)
			check("Create", err)
			check("Delete", st.Delete(ctx, p))
		})
	}
	for _, prefix := range []string{"/abs", "../", "a//", "a/../b", "a\\b", "x\x00"} {
		if _, err := st.List(ctx, prefix); !errors.Is(err, lsio.ErrInvalidPath) {
			t.Errorf("List(%q) = %v, want ErrInvalidPath", prefix, err)
		}
	}
}

func testLargeObject(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	const size = 20 << 20
	want := randomBytes(4, size)
	w, err := st.Create(ctx, "large/object.bin")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < size; off += 1 << 20 {
		if _, err := w.Write(want[off : off+1<<20]); err != nil {
			t.Fatal(err)
		}
	}
	assertMissing(t, st, "large/object.bin")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := st.Stat(ctx, "large/object.bin")
	if err != nil || info.Size != size {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	if got := mustGet(t, st, "large/object.bin"); !bytes.Equal(got, want) {
		t.Fatal("content mismatch")
	}
	obj, err := st.Open(ctx, "large/object.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	p := make([]byte, 3<<20)
	off := int64(15<<20 + 12345)
	if n, err := obj.ReadAt(p, off); err != nil || n != len(p) || !bytes.Equal(p, want[off:off+int64(len(p))]) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	// A large Put (parallel multipart on S3).
	mustPut(t, st, "large/put.bin", want[:12<<20])
	if got := mustGet(t, st, "large/put.bin"); !bytes.Equal(got, want[:12<<20]) {
		t.Fatal("content mismatch for a large Put")
	}
}

func testConcurrentPuts(t *testing.T, st lsio.Storage) {
	ctx := context.Background()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				path := fmt.Sprintf("c/w%d/%03d", w, i)
				if err := st.Put(ctx, path, []byte(path)); err != nil {
					errs <- err
				}
				// Everyone also fights over one path, with Create and Put.
				shared := fmt.Appendf(nil, "writer %d round %d", w, i)
				if i%2 == 0 {
					if err := st.Put(ctx, "c/shared", shared); err != nil {
						errs <- err
					}
					continue
				}
				cw, err := st.Create(ctx, "c/shared")
				if err == nil {
					_, err = cw.Write(shared)
					if err == nil {
						err = cw.Close()
					}
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := st.List(ctx, "c/w")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != workers*each {
		t.Fatalf("List found %d objects, want %d", len(list), workers*each)
	}
	for _, info := range list {
		if got := mustGet(t, st, info.Path); string(got) != info.Path {
			t.Fatalf("%s holds %q", info.Path, got)
		}
	}
	var w, r int
	if got := mustGet(t, st, "c/shared"); func() bool {
		_, err := fmt.Sscanf(string(got), "writer %d round %d", &w, &r)
		return err != nil
	}() {
		t.Fatalf("shared object holds a torn value %q", got)
	}
}

func testContextCancelled(t *testing.T, st lsio.Storage) {
	mustPut(t, st, "ctx/x", []byte("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", op, err)
		}
	}
	check("Put", st.Put(ctx, "ctx/y", []byte("y")))
	_, err := st.Get(ctx, "ctx/x")
	check("Get", err)
	_, err = st.Stat(ctx, "ctx/x")
	check("Stat", err)
	_, err = st.Open(ctx, "ctx/x")
	check("Open", err)
	_, err = st.List(ctx, "")
	check("List", err)
	_, err = st.Create(ctx, "ctx/z")
	check("Create", err)
	assertMissing(t, st, "ctx/y")
	assertMissing(t, st, "ctx/z")
}

func testCancelDuringCreate(t *testing.T, st lsio.Storage) {
	cases := []struct {
		name string
		size int
	}{
		{"small", 1000},
		{"beyond one part", 12 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := st.Create(ctx, "cancel/obj")
			if err != nil {
				t.Fatal(err)
			}
			data := randomBytes(5, tc.size)
			if _, err := w.Write(data); err != nil {
				t.Fatal(err)
			}
			cancel()
			_, _ = w.Write(data[:10]) // may fail; must not store anything
			if err := w.Close(); !errors.Is(err, context.Canceled) {
				t.Fatalf("Close after cancel = %v, want context.Canceled", err)
			}
			assertMissing(t, st, "cancel/obj")
			if err := w.Abort(); err != nil {
				t.Fatalf("Abort after failed Close = %v", err)
			}
		})
	}
}
