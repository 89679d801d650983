// Package lsio owns lakesoul-flight's access to object storage and to Parquet
// files. The directory is io/ but the package is named lsio everywhere, so it
// never shadows the standard library's io.
//
// Storage is a small interface with three implementations: a local directory
// (Local), S3-compatible object storage through minio-go (S3) and an in-memory
// store (Mem) for tests and tooling. All three pass one conformance suite.
//
// Invariants:
//   - Object paths are slash-separated, relative to the storage root, never
//     absolute and never containing "." or ".." elements.
//   - A Put or a closed Writer makes an object visible whole or not at all;
//     readers never observe a partially written object.
//   - Parquet files are written with ZSTD compression and carry the Arrow
//     schema, so a read returns exactly the types that were written.
//
// This package imports no other package of lakesoul-flight.
package lsio
