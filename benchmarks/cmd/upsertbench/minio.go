package main

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
)

// runner lets this program start a MinIO server with internal/miniotest,
// which is written for tests: it provides the few testing.TB methods
// miniotest calls (Helper, Fatalf, TempDir, Cleanup). A Fatalf panics with
// a fatal value that startMinIO turns back into an error. The embedded
// interface is nil: any other method would panic, and miniotest uses none.
type runner struct {
	testing.TB
	dir      string
	cleanups []func()
}

type fatal struct{ msg string }

func (r *runner) Helper() {}

func (r *runner) Fatalf(format string, args ...any) {
	panic(fatal{fmt.Sprintf(format, args...)})
}

func (r *runner) TempDir() string {
	d, err := os.MkdirTemp(r.dir, "minio-")
	if err != nil {
		r.Fatalf("%v", err)
	}
	r.cleanups = append(r.cleanups, func() { _ = os.RemoveAll(d) })
	return d
}

func (r *runner) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// close runs the cleanups, last registered first, as testing does.
func (r *runner) close() {
	for _, f := range slices.Backward(r.cleanups) {
		f()
	}
	r.cleanups = nil
}

// startMinIO starts a private MinIO server under dir. stop ends it and
// removes its data.
func startMinIO(dir string) (srv *miniotest.Server, stop func(), err error) {
	r := &runner{dir: dir}
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(fatal)
			if !ok {
				panic(p)
			}
			r.close()
			srv, stop, err = nil, nil, fmt.Errorf("%s", f.msg)
		}
	}()
	srv = miniotest.Start(r)
	return srv, r.close, nil
}
