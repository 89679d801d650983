package catalog

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// memManifests is an in-memory ManifestStore.
type memManifests struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func newMemManifests() *memManifests { return &memManifests{objs: map[string][]byte{}} }

func (m *memManifests) PutManifest(_ context.Context, key string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; ok {
		return fmt.Errorf("manifest %s written twice", key)
	}
	m.objs[key] = slices.Clone(data)
	return nil
}

func (m *memManifests) GetManifest(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("manifest %s: no such object", key)
	}
	return b, nil
}

func (m *memManifests) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.objs))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newTestCatalog starts an etcd server and returns a Catalog on it; mod may
// adjust the configuration.
func newTestCatalog(t *testing.T, mod func(*Config)) (*Catalog, *clientv3.Client) {
	t.Helper()
	cli := etcdtest.Start(t)
	return openCatalog(t, cli, mod), cli
}

func openCatalog(t *testing.T, cli *clientv3.Client, mod func(*Config)) *Catalog {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Client = cli
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// syncT makes c see every change committed so far through any Catalog.
func syncT(t *testing.T, c *Catalog) {
	t.Helper()
	if err := c.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// testSchema has a primary-key candidate, a partition candidate and
// assorted other columns.
func testSchema() *arrow.Schema {
	md := arrow.NewMetadata([]string{"comment"}, []string{"test table"})
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true,
			Metadata: arrow.NewMetadata([]string{"doc"}, []string{"the name"})},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "dt", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "op", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, &md)
}

func pkSpec(name string) TableSpec {
	return TableSpec{
		Namespace:     DefaultNamespace,
		Name:          name,
		Schema:        testSchema(),
		PrimaryKey:    []string{"id"},
		HashBucketNum: 4,
	}
}

func mustCreate(t *testing.T, c *Catalog, spec TableSpec) *Table {
	t.Helper()
	tbl, err := c.CreateTable(ctxT(t), spec)
	if err != nil {
		t.Fatalf("CreateTable(%s.%s): %v", spec.Namespace, spec.Name, err)
	}
	return tbl
}

// keysUnder returns the keys stored under prefix.
func keysUnder(t *testing.T, cli *clientv3.Client, prefix string) []string {
	t.Helper()
	resp, err := cli.Get(ctxT(t), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		out[i] = string(kv.Key)
	}
	return out
}

// model replays commits the way a reader would, to check snapshots.
type model struct {
	live map[string]DataFile
}

func newModel() *model { return &model{live: map[string]DataFile{}} }

func (m *model) apply(cm *Commit) {
	for _, f := range cm.Removed {
		delete(m.live, f.Path)
	}
	for _, f := range cm.Added {
		m.live[f.Path] = f
	}
}

// files returns the live files in snapshot order.
func (m *model) files() []DataFile {
	out := make([]DataFile, 0, len(m.live))
	for _, f := range m.live {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Partition != b.Partition {
			return a.Partition < b.Partition
		}
		if a.Bucket != b.Bucket {
			return a.Bucket < b.Bucket
		}
		if a.Seq != b.Seq {
			return a.Seq < b.Seq
		}
		return a.Path < b.Path
	})
	return out
}

func int64p(v int64) *int64 { return &v }

// files returns n distinct files named after prefix, spread over 4 buckets
// of an unpartitioned table.
func files(prefix string, n int) []DataFile {
	out := make([]DataFile, n)
	for i := range out {
		out[i] = DataFile{
			Path:   fmt.Sprintf("default/t-0123456789abcdef/part-%s-%05d-7f3e9c2a_%04d.parquet", prefix, i, i%4),
			Bucket: i % 4,
			Rows:   int64(100 + i),
			Size:   int64(4096 + i),
		}
	}
	return out
}

func contextBG() context.Context { return context.Background() }
