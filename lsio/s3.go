package lsio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// S3 part size limits: S3 rejects non-final parts below 5 MiB and parts
// above 5 GiB.
const (
	minS3PartSize     = 5 << 20
	maxS3PartSize     = 5 << 30
	defaultS3PartSize = 16 << 20
)

// S3Config configures S3-compatible object storage.
type S3Config struct {
	// Endpoint is host[:port] of the service. A URL with an http:// or
	// https:// scheme is accepted too and sets Insecure accordingly.
	Endpoint string
	// Region of the bucket (default us-east-1).
	Region string
	// AccessKey and SecretKey are static credentials; both empty means
	// anonymous access.
	AccessKey string
	SecretKey string
	// Bucket holds the objects; Prefix (optional) is prepended to every
	// object path, as "Prefix/path".
	Bucket string
	Prefix string
	// Insecure selects plain HTTP instead of HTTPS.
	Insecure bool
	// PartSize is the size of multipart upload parts (default 16 MiB, at
	// least 5 MiB). Writers buffer up to one part in memory, and objects no
	// larger than one part are stored with a single request.
	PartSize uint64
	// CreateBucket creates the bucket when it does not exist. Otherwise a
	// missing bucket is an error.
	CreateBucket bool
}

// DefaultS3Config returns a configuration for AWS S3 in us-east-1 with the
// default part size; set at least the bucket and credentials.
func DefaultS3Config() S3Config {
	return S3Config{
		Endpoint: "s3.amazonaws.com",
		Region:   "us-east-1",
		PartSize: defaultS3PartSize,
	}
}

// normalized returns the configuration with the endpoint scheme folded into
// Insecure, the prefix without surrounding slashes, and zero Region and
// PartSize replaced by their defaults.
func (c S3Config) normalized() S3Config {
	if u, err := url.Parse(c.Endpoint); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		c.Insecure = u.Scheme == "http"
		c.Endpoint = u.Host
	}
	c.Prefix = strings.Trim(c.Prefix, "/")
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.PartSize == 0 {
		c.PartSize = defaultS3PartSize
	}
	return c
}

// Validate reports a configuration that cannot work. Zero Region and
// PartSize are valid: NewS3 uses the defaults.
func (c S3Config) Validate() error {
	n := c.normalized()
	if n.Endpoint == "" {
		return errors.New("lsio: s3 config: endpoint is empty")
	}
	if strings.ContainsAny(n.Endpoint, "/?#") {
		return fmt.Errorf("lsio: s3 config: endpoint %q must be host[:port]", c.Endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(n.Bucket); err != nil {
		return fmt.Errorf("lsio: s3 config: bucket %q: %w", n.Bucket, err)
	}
	if n.Prefix != "" {
		if err := ValidatePath(n.Prefix); err != nil {
			return fmt.Errorf("lsio: s3 config: prefix: %w", err)
		}
	}
	if (n.AccessKey == "") != (n.SecretKey == "") {
		return errors.New("lsio: s3 config: set both access key and secret key, or neither")
	}
	if n.PartSize < minS3PartSize || n.PartSize > maxS3PartSize {
		return fmt.Errorf("lsio: s3 config: part size %d outside [5 MiB, 5 GiB]", n.PartSize)
	}
	return nil
}

// S3 is a Storage in a bucket (and optional prefix) of S3-compatible object
// storage, accessed through minio-go.
type S3 struct {
	client    *minio.Client
	core      minio.Core
	transport *http.Transport
	bucket    string
	prefix    string // "" or ending in "/"
	partSize  uint64
	uri       string
}

var _ Storage = (*S3)(nil)

// NewS3 connects to the bucket described by cfg and checks that it exists
// (creating it if cfg.CreateBucket is set).
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.normalized()
	tr, err := minio.DefaultTransport(!cfg.Insecure)
	if err != nil {
		return nil, fmt.Errorf("lsio: s3 transport: %w", err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    !cfg.Insecure,
		Region:    cfg.Region,
		Transport: tr,
	})
	if err != nil {
		return nil, fmt.Errorf("lsio: s3 client: %w", err)
	}
	s := &S3{
		client:    client,
		core:      minio.Core{Client: client},
		transport: tr,
		bucket:    cfg.Bucket,
		partSize:  cfg.PartSize,
		uri:       "s3://" + cfg.Bucket,
	}
	if cfg.Prefix != "" {
		s.prefix = cfg.Prefix + "/"
		s.uri += "/" + cfg.Prefix
	}
	if err := s.ensureBucket(ctx, cfg); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

func (s *S3) ensureBucket(ctx context.Context, cfg S3Config) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("lsio: s3 bucket %q: %w", s.bucket, ctxOr(ctx, err))
	}
	if ok {
		return nil
	}
	if !cfg.CreateBucket {
		return fmt.Errorf("lsio: s3 bucket %q does not exist", s.bucket)
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: cfg.Region})
	if err != nil {
		code := minio.ToErrorResponse(err).Code
		if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return fmt.Errorf("lsio: s3 create bucket %q: %w", s.bucket, ctxOr(ctx, err))
		}
	}
	return nil
}

// Close releases idle network connections. The storage stays usable; new
// requests open new connections.
func (s *S3) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// URI implements Storage.
func (s *S3) URI() string { return s.uri }

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }

func (s *S3) key(path string) string { return s.prefix + path }

// ctxOr prefers the context's error, so that cancellation is reported as
// context.Canceled or DeadlineExceeded whatever the client library made of it.
func ctxOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// mapS3Err wraps a client error, translating a missing key into ErrNotExist.
func mapS3Err(ctx context.Context, op, path string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("lsio: s3 %s %q: %w", op, path, cerr)
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		if resp.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket") {
			return fmt.Errorf("lsio: s3 %s %q: %w", op, path, ErrNotExist)
		}
	}
	return fmt.Errorf("lsio: s3 %s %q: %w", op, path, err)
}

func (s *S3) putOptions() minio.PutObjectOptions {
	return minio.PutObjectOptions{
		PartSize:    s.partSize,
		ContentType: "application/octet-stream",
	}
}

// Put implements Storage. Objects larger than one part are uploaded in
// parallel parts; S3 makes the object visible only when the upload completes.
func (s *S3) Put(ctx context.Context, path string, data []byte) error {
	if err := ValidatePath(path); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.key(path), bytes.NewReader(data), int64(len(data)), s.putOptions())
	if err != nil {
		return mapS3Err(ctx, "put", path, err)
	}
	return nil
}

// Get implements Storage.
func (s *S3) Get(ctx context.Context, path string) ([]byte, error) {
	if err := ValidatePath(path); err != nil {
		return nil, err
	}
	rc, info, _, err := s.core.GetObject(ctx, s.bucket, s.key(path), minio.GetObjectOptions{})
	if err != nil {
		return nil, mapS3Err(ctx, "get", path, err)
	}
	defer rc.Close()
	buf := bytes.NewBuffer(make([]byte, 0, max(info.Size, 0)+bytes.MinRead))
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, mapS3Err(ctx, "get", path, err)
	}
	return buf.Bytes(), nil
}

// Stat implements Storage.
func (s *S3) Stat(ctx context.Context, path string) (ObjectInfo, error) {
	if err := ValidatePath(path); err != nil {
		return ObjectInfo{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(path), minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, mapS3Err(ctx, "stat", path, err)
	}
	return ObjectInfo{Path: path, Size: info.Size, ModTime: info.LastModified}, nil
}

// List implements Storage.
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine if we return early
	var out []ObjectInfo
	for obj := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{
		Prefix:    s.key(prefix),
		Recursive: true,
	}) {
		if obj.Err != nil {
			return nil, mapS3Err(ctx, "list", prefix, obj.Err)
		}
		if strings.HasSuffix(obj.Key, "/") {
			continue // a folder marker made by another tool, not an object
		}
		out = append(out, ObjectInfo{
			Path:    strings.TrimPrefix(obj.Key, s.prefix),
			Size:    obj.Size,
			ModTime: obj.LastModified,
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lsio: s3 list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Delete implements Storage.
func (s *S3) Delete(ctx context.Context, path string) error {
	if err := ValidatePath(path); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.key(path), minio.RemoveObjectOptions{})
	if err != nil {
		mapped := mapS3Err(ctx, "delete", path, err)
		if errors.Is(mapped, ErrNotExist) {
			return nil
		}
		return mapped
	}
	return nil
}

// Open implements Storage. The returned object reads with ranged GETs that
// are pinned to the ETag seen at open time, so an object replaced meanwhile
// makes reads fail instead of mixing two versions.
func (s *S3) Open(ctx context.Context, path string) (Object, error) {
	if err := ValidatePath(path); err != nil {
		return nil, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(path), minio.StatObjectOptions{})
	if err != nil {
		return nil, mapS3Err(ctx, "open", path, err)
	}
	return &s3Object{s: s, path: path, size: info.Size, etag: info.ETag}, nil
}

// s3Object is an open S3 object. ReadAt issues one ranged GET per call.
type s3Object struct {
	s    *S3
	path string
	size int64
	etag string
}

var _ ContextReaderAt = (*s3Object)(nil)

func (o *s3Object) Size() int64  { return o.size }
func (o *s3Object) Close() error { return nil }

// ReadAt implements io.ReaderAt without a deadline; prefer ReadAtContext.
func (o *s3Object) ReadAt(p []byte, off int64) (int, error) {
	return o.ReadAtContext(context.Background(), p, off)
}

// ReadAtContext implements ContextReaderAt.
func (o *s3Object) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("lsio: s3 read %q: negative offset %d", o.path, off)
	}
	if off >= o.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := min(int64(len(p)), o.size-off)
	if n == 0 {
		return 0, nil
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+n-1); err != nil {
		return 0, fmt.Errorf("lsio: s3 read %q: %w", o.path, err)
	}
	if o.etag != "" {
		if err := opts.SetMatchETag(o.etag); err != nil {
			return 0, fmt.Errorf("lsio: s3 read %q: %w", o.path, err)
		}
	}
	rc, _, _, err := o.s.core.GetObject(ctx, o.s.bucket, o.s.key(o.path), opts)
	if err != nil {
		return 0, mapS3Err(ctx, "read", o.path, err)
	}
	got, err := io.ReadFull(rc, p[:n])
	_ = rc.Close()
	if err != nil {
		return got, mapS3Err(ctx, "read", o.path, err)
	}
	if n < int64(len(p)) {
		return got, io.EOF
	}
	return got, nil
}

// abortGrace bounds how long an upload may keep running after its context
// is cancelled, so that the client can still abort the multipart upload
// cleanly instead of leaving its parts behind.
const abortGrace = 10 * time.Second

// Create implements Storage. Up to one part is buffered in memory; a write
// that stays within it is stored with a single PUT on Close. Larger writes
// stream through a multipart upload in the background that Close completes
// and Abort (or cancelling ctx) aborts, so nothing becomes visible before a
// successful Close.
func (s *S3) Create(ctx context.Context, path string) (Writer, error) {
	if err := ValidatePath(path); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lsio: s3 create %q: %w", path, err)
	}
	return &s3Writer{s: s, ctx: ctx, path: path}, nil
}

// s3Writer keeps the Create context because the whole write is one
// operation that the context governs.
type s3Writer struct {
	s    *S3
	ctx  context.Context
	path string
	buf  []byte // pending data until the upload starts streaming
	done bool

	// Set once streaming starts.
	pw       *io.PipeWriter
	finished chan struct{} // closed when the upload goroutine returns
	upErr    error         // the upload's result, valid after finished
	stopCtx  func() bool   // stops the context watcher
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterDone
	}
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("lsio: s3 write %q: %w", w.path, err)
	}
	if w.pw == nil {
		if uint64(len(w.buf)+len(p)) <= w.s.partSize {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.startStreaming()
		pending := w.buf
		w.buf = nil
		if _, err := w.pw.Write(pending); err != nil {
			return 0, w.streamErr("write", err)
		}
	}
	n, err := w.pw.Write(p)
	if err != nil {
		return n, w.streamErr("write", err)
	}
	return n, nil
}

// startStreaming starts a multipart upload that reads from a pipe. The
// upload runs under a context detached from the caller's, so that when the
// caller cancels, the pipe is closed with the cancellation error and the
// client aborts the multipart upload with a live context. If the upload is
// still running abortGrace later, it is cancelled outright.
func (w *s3Writer) startStreaming() {
	pr, pw := io.Pipe()
	w.pw = pw
	w.finished = make(chan struct{})
	upCtx, cancelUp := context.WithCancel(context.WithoutCancel(w.ctx))
	go func() {
		defer close(w.finished)
		defer cancelUp()
		_, err := w.s.client.PutObject(upCtx, w.s.bucket, w.s.key(w.path), pr, -1, w.s.putOptions())
		w.upErr = err
		if err == nil {
			err = errors.New("lsio: upload already finished")
		}
		pr.CloseWithError(err) // unblocks a writer still writing
	}()
	finished := w.finished
	ctx := w.ctx
	w.stopCtx = context.AfterFunc(ctx, func() {
		pw.CloseWithError(ctx.Err())
		select {
		case <-finished:
		case <-time.After(abortGrace):
			cancelUp()
		}
	})
}

// streamErr explains a failed pipe write by the upload's error when the
// upload has failed, or by the context's.
func (w *s3Writer) streamErr(op string, err error) error {
	if cerr := w.ctx.Err(); cerr != nil {
		return fmt.Errorf("lsio: s3 %s %q: %w", op, w.path, cerr)
	}
	select {
	case <-w.finished:
		if w.upErr != nil {
			return mapS3Err(w.ctx, op, w.path, w.upErr)
		}
	default:
	}
	return fmt.Errorf("lsio: s3 %s %q: %w", op, w.path, err)
}

func (w *s3Writer) Close() error {
	if w.done {
		return errWriterDone
	}
	w.done = true
	if w.pw == nil {
		data := w.buf
		w.buf = nil
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("lsio: s3 close %q: %w", w.path, err)
		}
		_, err := w.s.client.PutObject(w.ctx, w.s.bucket, w.s.key(w.path), bytes.NewReader(data), int64(len(data)), w.s.putOptions())
		if err != nil {
			return mapS3Err(w.ctx, "close", w.path, err)
		}
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		w.pw.CloseWithError(err) // never complete an upload after cancellation
	} else {
		_ = w.pw.Close()
	}
	<-w.finished
	w.stopCtx()
	if err := w.ctx.Err(); err != nil {
		// The context may have ended after the upload completed; report
		// success only if the object was stored.
		if w.upErr == nil {
			return nil
		}
		return fmt.Errorf("lsio: s3 close %q: %w", w.path, err)
	}
	if w.upErr != nil {
		return mapS3Err(w.ctx, "close", w.path, w.upErr)
	}
	return nil
}

// errAborted ends an upload that its writer abandoned.
var errAborted = errors.New("lsio: write aborted")

func (w *s3Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.buf = nil
	if w.pw != nil {
		w.pw.CloseWithError(errAborted)
		<-w.finished
		w.stopCtx()
	}
	return nil
}
