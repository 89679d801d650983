package txn

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

func TestMain(m *testing.M) {
	if crashChild() {
		return
	}
	goleak.VerifyTestMain(miniotest.StopAfterRun(m))
}

// env is one catalog on a real embedded etcd, one warehouse and a writer.
type env struct {
	t   testing.TB
	ctx context.Context
	cat *catalog.Catalog
	st  lsio.Storage
	w   *Writer
	mem *memory.CheckedAllocator
}

type storageKind string

const (
	localStorage storageKind = "local"
	s3Storage    storageKind = "s3"
)

func newEnv(t testing.TB, kind storageKind) *env {
	t.Helper()
	ctx := context.Background()
	var st lsio.Storage
	switch kind {
	case localStorage:
		l, err := lsio.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		st = l
	case s3Storage:
		srv := miniotest.Shared(t)
		cfg := lsio.DefaultS3Config()
		cfg.Endpoint, cfg.AccessKey, cfg.SecretKey = srv.Endpoint, srv.AccessKey, srv.SecretKey
		cfg.Bucket, cfg.Prefix, cfg.Insecure = srv.NewBucket(t), "warehouse", true
		s, err := lsio.NewS3(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		st = s
	}
	return newEnvWith(t, etcdtest.Start(t), st)
}

func newEnvWith(t testing.TB, client *clientv3.Client, st lsio.Storage) *env {
	t.Helper()
	return newEnvTuned(t, client, st, nil)
}

// newEnvTuned is newEnvWith with the catalog configuration adjusted by tune.
func newEnvTuned(t testing.TB, client *clientv3.Client, st lsio.Storage, tune func(*catalog.Config)) *env {
	t.Helper()
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Client = client
	ccfg.Manifests = ManifestStore(st)
	if tune != nil {
		tune(&ccfg)
	}
	cat, err := catalog.New(ctx, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	cfg := DefaultConfig()
	cfg.Catalog, cfg.Storage, cfg.Allocator = cat, st, mem
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Write.RowGroupRows = 64 // many row groups, so pruning is exercised
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, cat: cat, st: st, w: w, mem: mem}
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return e
}

// table creates a table in the default namespace.
func (e *env) table(spec catalog.TableSpec) *catalog.Table {
	e.t.Helper()
	if spec.Namespace == "" {
		spec.Namespace = catalog.DefaultNamespace
	}
	tbl, err := e.cat.CreateTable(e.ctx, spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return tbl
}

// record builds a record from JSON rows with arrow's JSON reader.
func (e *env) record(schema *arrow.Schema, rowsJSON string) arrow.RecordBatch {
	e.t.Helper()
	rec, _, err := array.RecordFromJSON(e.mem, schema, strings.NewReader(rowsJSON))
	if err != nil {
		e.t.Fatalf("record from JSON: %v", err)
	}
	return rec
}

// scan reads a snapshot and returns its rows as strings "col=val,..."
// sorted, for easy comparison.
func (e *env) scan(tbl *catalog.Table, spec catalog.SnapshotSpec, opts mor.ScanOptions) []string {
	e.t.Helper()
	rows, err := e.scanErr(tbl, spec, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

func (e *env) scanErr(tbl *catalog.Table, spec catalog.SnapshotSpec, opts mor.ScanOptions) ([]string, error) {
	snap, err := e.cat.Snapshot(e.ctx, tbl.ID, spec)
	if err != nil {
		return nil, err
	}
	opts.Allocator = e.mem
	rr, err := mor.Scan(e.ctx, e.st, snap, opts)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var out []string
	for rr.Next() {
		out = append(out, rowStrings(rr.RecordBatch())...)
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// rowStrings renders each row as "name=value" pairs in column order.
func rowStrings(rec arrow.RecordBatch) []string {
	out := make([]string, rec.NumRows())
	for i := range out {
		parts := make([]string, rec.NumCols())
		for j, col := range rec.Columns() {
			v := "NULL"
			if col.IsValid(i) {
				v = col.ValueStr(i)
			}
			parts[j] = rec.ColumnName(j) + "=" + v
		}
		out[i] = strings.Join(parts, ",")
	}
	return out
}

func latest() catalog.SnapshotSpec { return catalog.SnapshotSpec{} }

func atVersion(v int64) catalog.SnapshotSpec { return catalog.SnapshotSpec{Version: &v} }

func equalRows(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %d rows %s\n want %d rows %s", what, len(got), preview(got), len(want), preview(want))
	}
}

func preview(rows []string) string {
	if len(rows) > 12 {
		return fmt.Sprintf("%q ... (%d more)", rows[:12], len(rows)-12)
	}
	return fmt.Sprintf("%q", rows)
}
