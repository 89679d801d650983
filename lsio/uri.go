package lsio

import (
	"context"
	"fmt"
	"strings"
)

// OpenURI opens the storage a URI names:
//
//   - "file:///abs/dir" or a plain path ("dir", "/abs/dir"): Local;
//   - "s3://bucket" or "s3://bucket/prefix": S3, with bucket and prefix
//     from the URI and everything else (endpoint, credentials, part size)
//     from s3;
//   - "mem://": a new, empty Mem.
//
// Any other scheme is an error.
func OpenURI(ctx context.Context, uri string, s3 S3Config) (Storage, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return NewLocal(uri)
	}
	switch strings.ToLower(scheme) {
	case "file":
		if rest == "" {
			return nil, fmt.Errorf("lsio: uri %q names no directory", uri)
		}
		return NewLocal(rest)
	case "s3", "s3a":
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, fmt.Errorf("lsio: uri %q names no bucket", uri)
		}
		s3.Bucket = bucket
		s3.Prefix = prefix
		st, err := NewS3(ctx, s3)
		if err != nil {
			return nil, err
		}
		return st, nil
	case "mem":
		return NewMem(), nil
	default:
		return nil, fmt.Errorf("lsio: uri %q: unsupported scheme %q", uri, scheme)
	}
}
