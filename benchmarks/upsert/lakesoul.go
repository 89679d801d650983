package upsert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// lakesoul is one catalog and warehouse of lakesoul-flight.
type lakesoul struct {
	cat  *catalog.Catalog
	st   lsio.Storage
	w    *txn.Writer
	root string // directory of a local warehouse; "" on S3
	// closeStorage, when set, closes st after the catalog.
	closeStorage func() error
	// files is the file cache of in-process reads, as a server has one.
	files *lsio.FileCache
}

// openLocal opens lakesoul-flight on the local warehouse under WorkDir.
func openLocal(ctx context.Context, cfg Config, client *clientv3.Client) (*lakesoul, error) {
	st, err := lsio.NewLocal(filepath.Join(cfg.WorkDir, "warehouse"))
	if err != nil {
		return nil, err
	}
	return newLakesoul(ctx, client, "/local/", st, st.Root(), cfg.Logger)
}

// openS3 opens lakesoul-flight on a warehouse in cfg.S3, creating the
// bucket when missing.
func openS3(ctx context.Context, cfg Config, client *clientv3.Client) (*lakesoul, error) {
	s3 := lsio.DefaultS3Config()
	s3.Endpoint, s3.AccessKey, s3.SecretKey = cfg.S3.Endpoint, cfg.S3.AccessKey, cfg.S3.SecretKey
	s3.Bucket, s3.Prefix, s3.Insecure, s3.CreateBucket = cfg.S3.Bucket, "warehouse", true, true
	st, err := lsio.NewS3(ctx, s3)
	if err != nil {
		return nil, err
	}
	l, err := newLakesoul(ctx, client, "/s3/", st, "", cfg.Logger)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	l.closeStorage = st.Close
	return l, nil
}

func newLakesoul(ctx context.Context, client *clientv3.Client, prefix string, st lsio.Storage, root string, log *slog.Logger) (*lakesoul, error) {
	ccfg := catalog.DefaultConfig()
	ccfg.Client, ccfg.Prefix, ccfg.Manifests = client, prefix, txn.ManifestStore(st)
	cat, err := catalog.New(ctx, ccfg)
	if err != nil {
		return nil, err
	}
	w, err := txn.New(txn.Config{Catalog: cat, Storage: st, Logger: log, Allocator: memory.DefaultAllocator})
	if err != nil {
		_ = cat.Close()
		return nil, err
	}
	return &lakesoul{cat: cat, st: st, w: w, root: root, files: lsio.NewFileCache(lsio.DefaultFileCacheBytes)}, nil
}

func (l *lakesoul) Close() error {
	err := l.cat.Close()
	if l.closeStorage != nil {
		if e := l.closeStorage(); err == nil {
			err = e
		}
	}
	return err
}

func (l *lakesoul) createTable(ctx context.Context, name string) (*catalog.Table, error) {
	return l.cat.CreateTable(ctx, catalog.TableSpec{
		Namespace: catalog.DefaultNamespace, Name: name, Schema: workload.Schema,
		PrimaryKey: []string{"uuid"}, HashBucketNum: buckets,
	})
}

// writeSeries writes the base baseReps times, each into a fresh table
// (the last one is named name and kept), then every upsert into it. It
// returns the kept table and the base and upsert times.
func (l *lakesoul) writeSeries(ctx context.Context, name string, base step, ups []step, baseReps int) (*catalog.Table, []float64, []float64, error) {
	var tbl *catalog.Table
	baseSecs, upSecs, err := timeSeries(name, base, ups, baseReps,
		func(name string) error { var err error; tbl, err = l.createTable(ctx, name); return err },
		func(recs []arrow.RecordBatch) error { _, err := l.w.Upsert(ctx, tbl, recs...); return err },
		func(_ int, recs []arrow.RecordBatch) error { _, err := l.w.Upsert(ctx, tbl, recs...); return err })
	if err != nil {
		return nil, nil, nil, err
	}
	return tbl, baseSecs, upSecs, nil
}

// snapshot resolves the latest snapshot, or version v when v >= 0.
func (l *lakesoul) snapshot(ctx context.Context, tbl *catalog.Table, v int64) (*catalog.Snapshot, error) {
	spec := catalog.SnapshotSpec{}
	if v >= 0 {
		spec.Version = &v
	}
	return l.cat.Snapshot(ctx, tbl.ID, spec)
}

// scan reads a snapshot to the end and returns the rows and Arrow bytes
// it produced.
func (l *lakesoul) scan(ctx context.Context, snap *catalog.Snapshot, filter mor.Expr) (int64, int64, error) {
	rr, err := mor.Scan(ctx, l.st, snap, mor.ScanOptions{Filter: filter, Allocator: memory.DefaultAllocator, Cache: l.files})
	if err != nil {
		return 0, 0, err
	}
	defer rr.Release()
	return drain(rr)
}

// drain reads rr to the end, counting rows and Arrow bytes.
func drain(rr array.RecordReader) (int64, int64, error) {
	var rows, bytes int64
	for rr.Next() {
		rec := rr.RecordBatch()
		rows += rec.NumRows()
		bytes += workload.Bytes([]arrow.RecordBatch{rec})
	}
	return rows, bytes, rr.Err()
}

// timedScans scans snap reps times and checks every scan returns want
// rows (want < 0: any number, the same every time).
func (l *lakesoul) timedScans(ctx context.Context, snap *catalog.Snapshot, filter mor.Expr, reps int, want int64) ([]float64, int64, int64, error) {
	var secs []float64
	var rows, bytes int64
	for r := range reps {
		s, err := timeIt(func() error {
			var err error
			rows, bytes, err = l.scan(ctx, snap, filter)
			return err
		})
		if err != nil {
			return nil, 0, 0, err
		}
		if want >= 0 && rows != want {
			return nil, 0, 0, fmt.Errorf("read %d of %d returned %d rows, want %d", r+1, reps, rows, want)
		}
		want = rows
		secs = append(secs, s)
	}
	return secs, rows, bytes, nil
}

// lookups looks keys up by primary key, until all are done or budget has
// passed, and returns the latencies.
func (l *lakesoul) lookups(ctx context.Context, snap *catalog.Snapshot, keys []string, budget time.Duration) ([]float64, error) {
	lat := make([]float64, 0, len(keys))
	t0 := time.Now()
	for i, k := range keys {
		if i >= minLookups && time.Since(t0) > budget {
			break
		}
		var rows int64
		s, err := timeIt(func() error {
			var err error
			rows, _, err = l.scan(ctx, snap, mor.Eq("uuid", k))
			return err
		})
		if err != nil {
			return nil, err
		}
		if rows != 1 {
			return nil, fmt.Errorf("lookup of %s returned %d rows, want 1", k, rows)
		}
		lat = append(lat, s)
	}
	return lat, nil
}

// minLookups is the number of lookups done whatever the time budget.
const minLookups = 20

// compact compacts tbl into one file per bucket and returns the time.
func (l *lakesoul) compact(ctx context.Context, tbl *catalog.Table) (float64, error) {
	return timeIt(func() error {
		_, err := l.w.Compact(ctx, tbl, txn.CompactOptions{MinFiles: 1})
		return err
	})
}

// plainScan reads the files of snap with arrow-go's pqarrow, no merge, one
// file per worker on GOMAXPROCS workers: the floor a merged read of the
// same data approaches. Local warehouses only.
func (l *lakesoul) plainScan(ctx context.Context, snap *catalog.Snapshot) (int64, error) {
	if l.root == "" {
		return 0, fmt.Errorf("plain scan needs a local warehouse")
	}
	files := make(chan string, len(snap.Files))
	for _, f := range snap.Files {
		files <- filepath.Join(l.root, filepath.FromSlash(f.Path))
	}
	close(files)
	var (
		mu    sync.Mutex
		total int64
		first error
		wg    sync.WaitGroup
	)
	for range min(cores(), len(snap.Files)) {
		wg.Go(func() {
			for p := range files {
				n, err := readParquetFile(ctx, p)
				mu.Lock()
				total += n
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return total, first
}

func readParquetFile(ctx context.Context, path string) (int64, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 8192}, memory.DefaultAllocator)
	if err != nil {
		return 0, err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	var rows int64
	for rr.Next() {
		rows += rr.RecordBatch().NumRows()
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return rows, err
	}
	return rows, nil
}

// since is a small helper for progress lines.
func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
