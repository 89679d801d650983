package lsio_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.uber.org/goleak"

	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(miniotest.StopAfterRun(m))
}

func newLocal(t *testing.T) *lsio.Local {
	t.Helper()
	st, err := lsio.NewLocal(filepath.Join(t.TempDir(), "warehouse"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// testS3Config returns a configuration for a fresh bucket on the shared
// MinIO server, with the smallest part size so multipart paths run on
// modest data.
func testS3Config(t *testing.T) lsio.S3Config {
	t.Helper()
	srv := miniotest.Shared(t)
	cfg := lsio.DefaultS3Config()
	cfg.Endpoint = srv.Endpoint
	cfg.AccessKey = srv.AccessKey
	cfg.SecretKey = srv.SecretKey
	cfg.Insecure = true
	cfg.Bucket = srv.NewBucket(t)
	cfg.PartSize = 5 << 20
	return cfg
}

func newS3(t *testing.T, cfg lsio.S3Config) *lsio.S3 {
	t.Helper()
	st, err := lsio.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestLocal(t *testing.T) {
	runStorageConformance(t, func(t *testing.T) lsio.Storage { return newLocal(t) })
}

func TestMem(t *testing.T) {
	runStorageConformance(t, func(t *testing.T) lsio.Storage { return lsio.NewMem() })
}

func TestS3(t *testing.T) {
	runStorageConformance(t, func(t *testing.T) lsio.Storage {
		cfg := testS3Config(t)
		cfg.Prefix = "warehouse/ns"
		return newS3(t, cfg)
	})
}

func TestLocalLayout(t *testing.T) {
	ctx := context.Background()
	st := newLocal(t)
	if want := "file://" + filepath.ToSlash(st.Root()); st.URI() != want {
		t.Fatalf("URI = %q, want %q", st.URI(), want)
	}
	t.Run("temporary files are hidden and reserved", func(t *testing.T) {
		w, err := st.Create(ctx, "t/obj")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(filepath.Join(st.Root(), "t"))
		if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), ".lsio-tmp-") {
			t.Fatalf("expected one temporary file, got %v, %v", entries, err)
		}
		list, err := st.List(ctx, "")
		if err != nil || len(list) != 0 {
			t.Fatalf("List shows in-progress files: %v, %v", list, err)
		}
		if err := st.Put(ctx, "t/.lsio-tmp-x", nil); !errors.Is(err, lsio.ErrInvalidPath) {
			t.Fatalf("Put of a reserved name = %v", err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(st.Root(), "t")); !errors.Is(err, os.ErrNotExist) {
			entries, _ := os.ReadDir(filepath.Join(st.Root(), "t"))
			if len(entries) != 0 {
				t.Fatalf("Abort left files behind: %v", entries)
			}
		}
	})
	t.Run("delete removes empty directories", func(t *testing.T) {
		if err := st.Put(ctx, "x/y/z/obj", []byte("1")); err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, "x/keep", []byte("1")); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, "x/y/z/obj"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(st.Root(), "x", "y")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("empty directory x/y still exists: %v", err)
		}
		if _, err := os.Stat(filepath.Join(st.Root(), "x", "keep")); err != nil {
			t.Fatalf("sibling removed: %v", err)
		}
	})
	t.Run("open is an os.File", func(t *testing.T) {
		if err := st.Put(ctx, "f", []byte("abc")); err != nil {
			t.Fatal(err)
		}
		obj, err := st.Open(ctx, "f")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		if _, ok := obj.(interface{ Fd() uintptr }); !ok {
			t.Fatalf("Open returned %T, want a file-backed object", obj)
		}
	})
	t.Run("root must be a directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := lsio.NewLocal(file); err == nil {
			t.Fatal("NewLocal on a file succeeded")
		}
	})
}

func TestS3Layout(t *testing.T) {
	ctx := context.Background()
	cfg := testS3Config(t)
	cfg.Prefix = "/tables/t1/"
	st := newS3(t, cfg)
	if want := "s3://" + cfg.Bucket + "/tables/t1"; st.URI() != want {
		t.Fatalf("URI = %q, want %q", st.URI(), want)
	}
	if err := st.Put(ctx, "a/b", []byte("x")); err != nil {
		t.Fatal(err)
	}
	cfg.Prefix = ""
	root := newS3(t, cfg)
	list, err := root.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Path != "tables/t1/a/b" {
		t.Fatalf("bucket holds %v, want tables/t1/a/b", list)
	}
	if root.URI() != "s3://"+cfg.Bucket {
		t.Fatalf("URI = %q", root.URI())
	}

	t.Run("aborted multipart uploads leave no parts", func(t *testing.T) {
		for _, cancelCtx := range []bool{false, true} {
			wctx, cancel := context.WithCancel(ctx)
			w, err := st.Create(wctx, "big/aborted")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(randomBytes(9, 11<<20)); err != nil {
				t.Fatal(err)
			}
			if cancelCtx {
				cancel()
				if err := w.Close(); !errors.Is(err, context.Canceled) {
					t.Fatalf("Close after cancel = %v", err)
				}
			} else if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			cancel()
		}
		assertMissing(t, st, "big/aborted")
		tr, err := minio.DefaultTransport(false)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.CloseIdleConnections()
		raw, err := minio.New(cfg.Endpoint, &minio.Options{
			Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
			Transport: tr,
		})
		if err != nil {
			t.Fatal(err)
		}
		for up := range raw.ListIncompleteUploads(ctx, cfg.Bucket, "", true) {
			if up.Err != nil {
				t.Fatal(up.Err)
			}
			t.Errorf("incomplete upload left behind: %s", up.Key)
		}
	})

	t.Run("missing bucket", func(t *testing.T) {
		cfg := testS3Config(t)
		cfg.Bucket = "missing-" + cfg.Bucket
		if _, err := lsio.NewS3(ctx, cfg); err == nil {
			t.Fatal("NewS3 on a missing bucket succeeded")
		}
		cfg.CreateBucket = true
		st := newS3(t, cfg)
		if err := st.Put(ctx, "x", []byte("x")); err != nil {
			t.Fatal(err)
		}
		// Creating an existing bucket is fine too.
		newS3(t, cfg)
	})
}

func TestS3ConfigValidate(t *testing.T) {
	valid := lsio.DefaultS3Config()
	valid.Bucket = "bucket"
	valid.AccessKey, valid.SecretKey = "ak", "sk"
	cases := []struct {
		name   string
		modify func(*lsio.S3Config)
		ok     bool
	}{
		{"valid", func(*lsio.S3Config) {}, true},
		{"url endpoint", func(c *lsio.S3Config) { c.Endpoint = "http://127.0.0.1:9000" }, true},
		{"zero part size means default", func(c *lsio.S3Config) { c.PartSize = 0 }, true},
		{"anonymous", func(c *lsio.S3Config) { c.AccessKey, c.SecretKey = "", "" }, true},
		{"prefix", func(c *lsio.S3Config) { c.Prefix = "a/b/" }, true},
		{"no endpoint", func(c *lsio.S3Config) { c.Endpoint = "" }, false},
		{"endpoint with path", func(c *lsio.S3Config) { c.Endpoint = "host:9000/path" }, false},
		{"no bucket", func(c *lsio.S3Config) { c.Bucket = "" }, false},
		{"bad bucket", func(c *lsio.S3Config) { c.Bucket = "Bad_Bucket" }, false},
		{"bad prefix", func(c *lsio.S3Config) { c.Prefix = "a/../b" }, false},
		{"half credentials", func(c *lsio.S3Config) { c.SecretKey = "" }, false},
		{"tiny part", func(c *lsio.S3Config) { c.PartSize = 1 << 20 }, false},
		{"huge part", func(c *lsio.S3Config) { c.PartSize = 6 << 30 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.modify(&cfg)
			err := cfg.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestOpenURI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct {
		name    string
		uri     string
		wantURI string
	}{
		{"file uri", "file://" + filepath.ToSlash(dir) + "/a", "file://" + filepath.ToSlash(dir) + "/a"},
		{"plain path", filepath.Join(dir, "b"), "file://" + filepath.ToSlash(dir) + "/b"},
		{"mem", "mem://", "mem://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := lsio.OpenURI(ctx, tc.uri, lsio.S3Config{})
			if err != nil {
				t.Fatal(err)
			}
			if st.URI() != tc.wantURI {
				t.Fatalf("URI = %q, want %q", st.URI(), tc.wantURI)
			}
			if err := st.Put(ctx, "x", []byte("x")); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("s3", func(t *testing.T) {
		cfg := testS3Config(t)
		bucket := cfg.Bucket
		cfg.Bucket, cfg.Prefix = "ignored", "ignored"
		st, err := lsio.OpenURI(ctx, "s3://"+bucket+"/lake/house", cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer st.(*lsio.S3).Close()
		if st.URI() != "s3://"+bucket+"/lake/house" {
			t.Fatalf("URI = %q", st.URI())
		}
		if err := st.Put(ctx, "x", []byte("x")); err != nil {
			t.Fatal(err)
		}
	})
	for _, bad := range []string{"ftp://host/x", "s3://", "file://"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := lsio.OpenURI(ctx, bad, lsio.S3Config{}); err == nil {
				t.Fatalf("OpenURI(%q) succeeded", bad)
			}
		})
	}
}
