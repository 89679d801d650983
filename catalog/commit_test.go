package catalog

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
)

func TestCommitSequencing(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("t"))

	first, err := c.Commit(ctx, tbl.ID, Commit{Version: 1, ReadVersion: 0, Operation: OpAppend, Added: files("a", 3),
		Summary: map[string]string{"writer": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range first.Added {
		if f.Seq != 1 {
			t.Fatalf("added file seq %d, want the commit version 1", f.Seq)
		}
	}
	if !first.Timestamp.After(tbl.CreatedAt) {
		t.Fatalf("commit timestamp %s not after creation %s", first.Timestamp, tbl.CreatedAt)
	}

	// A compaction keeps the seq it is given.
	compacted := DataFile{Path: "default/t/compacted_0000.parquet", Bucket: 0, Seq: 1}
	second, err := c.Commit(ctx, tbl.ID, Commit{Version: 2, ReadVersion: 1, Operation: OpCompaction,
		Added: []DataFile{compacted}, Removed: first.Added[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if second.Added[0].Seq != 1 {
		t.Fatalf("compaction seq rewritten to %d", second.Added[0].Seq)
	}

	t.Run("errors", func(t *testing.T) {
		partitioned := pkSpec("p")
		partitioned.PartitionBy = []string{"dt"}
		ptbl := mustCreate(t, c, partitioned)
		tests := []struct {
			name  string
			table string
			cm    Commit
			want  error
			msg   string
		}{
			{"stale version", tbl.ID, Commit{Version: 2, Operation: OpAppend}, ErrVersionMismatch, "expected 3"},
			{"future version", tbl.ID, Commit{Version: 4, Operation: OpAppend}, ErrVersionMismatch, "expected 3"},
			{"no operation", tbl.ID, Commit{Version: 3}, ErrInvalid, "no operation"},
			{"create op", tbl.ID, Commit{Version: 3, Operation: OpCreate}, ErrInvalid, "CreateTable"},
			{"schema change op", tbl.ID, Commit{Version: 3, Operation: OpSchemaChange}, ErrInvalid, "EvolveSchema"},
			{"read version ahead", tbl.ID, Commit{Version: 3, ReadVersion: 3, Operation: OpAppend}, ErrInvalid, "read version"},
			{"empty added path", tbl.ID, Commit{Version: 3, Operation: OpAppend, Added: []DataFile{{}}}, ErrInvalid, "empty path"},
			{"empty removed path", tbl.ID, Commit{Version: 3, Operation: OpDelete, Removed: []DataFile{{}}}, ErrInvalid, "empty path"},
			{"remove dead file", tbl.ID, Commit{Version: 3, Operation: OpDelete, Removed: first.Added[:1]}, ErrInvalid, "not live"},
			{"remove unknown file", tbl.ID, Commit{Version: 3, Operation: OpDelete, Removed: []DataFile{{Path: "x"}}}, ErrInvalid, "not live"},
			{"remove twice", tbl.ID, Commit{Version: 3, Operation: OpDelete, Removed: []DataFile{first.Added[1], first.Added[1]}}, ErrInvalid, "removed twice"},
			{"add live file", tbl.ID, Commit{Version: 3, Operation: OpAppend, Added: first.Added[1:2]}, ErrInvalid, "already live"},
			{"add twice", tbl.ID, Commit{Version: 3, Operation: OpAppend, Added: []DataFile{{Path: "n"}, {Path: "n"}}}, ErrInvalid, "added twice"},
			{"add and remove", tbl.ID, Commit{Version: 3, Operation: OpUpdate, Added: first.Added[1:2], Removed: first.Added[1:2]}, ErrInvalid, "both added and removed"},
			{"bucket out of range", tbl.ID, Commit{Version: 3, Operation: OpAppend, Added: []DataFile{{Path: "n", Bucket: 4}}}, ErrInvalid, "bucket 4"},
			{"seq ahead", tbl.ID, Commit{Version: 3, Operation: OpAppend, Added: []DataFile{{Path: "n", Seq: 4}}}, ErrInvalid, "seq 4"},
			{"unknown schema", tbl.ID, Commit{Version: 3, Operation: OpAppend, Added: []DataFile{{Path: "n", SchemaID: 1}}}, ErrInvalid, "schema id 1"},
			{"partition on unpartitioned", tbl.ID, Commit{Version: 3, Operation: OpAppend, Added: []DataFile{{Path: "n", Partition: "dt=1"}}}, ErrInvalid, "unpartitioned"},
			{"missing partition", ptbl.ID, Commit{Version: 1, Operation: OpAppend, Added: []DataFile{{Path: "n"}}}, ErrInvalid, "partition"},
			{"wrong partition column", ptbl.ID, Commit{Version: 1, Operation: OpAppend, Added: []DataFile{{Path: "n", Partition: "x=1"}}}, ErrInvalid, "dt="},
			{"unknown table", "0000000000000000", Commit{Version: 1, Operation: OpAppend}, ErrNotFound, "does not exist"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.Commit(ctx, tt.table, tt.cm)
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("got %v, want %v mentioning %q", err, tt.want, tt.msg)
				}
			})
		}
		if h, _ := c.Head(ctx, tbl.ID); h != 2 {
			t.Fatalf("failed commits moved head to %d", h)
		}
		if _, err := c.Commit(ctx, ptbl.ID, Commit{Version: 1, Operation: OpAppend,
			Added: []DataFile{{Path: "p1", Partition: "dt=2024-01-01"}}}); err != nil {
			t.Fatalf("partitioned commit: %v", err)
		}
	})

	t.Run("timestamps increase when the clock does not", func(t *testing.T) {
		frozen := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		fc := openCatalog(t, c.cli, func(cfg *Config) { cfg.Now = func() time.Time { return frozen } })
		ft := mustCreate(t, fc, pkSpec("frozen"))
		prev := ft.CreatedAt
		for v := int64(1); v <= 3; v++ {
			cm, err := fc.Commit(ctx, ft.ID, Commit{Version: v, ReadVersion: v - 1, Operation: OpAppend})
			if err != nil {
				t.Fatal(err)
			}
			if want := prev.Add(time.Microsecond); !cm.Timestamp.Equal(want) {
				t.Fatalf("version %d at %s, want %s", v, cm.Timestamp, want)
			}
			prev = cm.Timestamp
		}
	})
}

// commitWithRetry appends one file, rebasing on lost races.
func commitWithRetry(c *Catalog, id string, f DataFile) (int64, error) {
	ctx := contextBG()
	for attempt := 0; attempt < 1000; attempt++ {
		h, err := c.Head(ctx, id)
		if err != nil {
			return 0, err
		}
		cm, err := c.Commit(ctx, id, Commit{Version: h + 1, ReadVersion: h, Operation: OpAppend, Added: []DataFile{f}})
		if errors.Is(err, ErrVersionMismatch) {
			continue
		}
		if err != nil {
			return 0, err
		}
		return cm.Version, nil
	}
	return 0, fmt.Errorf("file %s: too many lost races", f.Path)
}

// raceCommits runs writers goroutines, each appending perWriter files
// through its own catalog, and checks the history is gapless with every
// file committed exactly once.
func raceCommits(t *testing.T, catalogs []*Catalog, id string, writers, perWriter int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		c := catalogs[w%len(catalogs)]
		wg.Go(func() {
			for i := range perWriter {
				f := DataFile{Path: fmt.Sprintf("w%d-%03d", w, i), Bucket: i % 4}
				if _, err := commitWithRetry(c, id, f); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	total := writers * perWriter
	// The other catalogs may run on other etcd clients: see their commits.
	syncT(t, catalogs[0])
	commits, err := catalogs[0].Commits(ctxT(t), id, 1, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != total {
		t.Fatalf("%d commits, want %d", len(commits), total)
	}
	seen := map[string]int64{}
	var prev time.Time
	for i, cm := range commits {
		if cm.Version != int64(i+1) {
			t.Fatalf("commit %d has version %d", i, cm.Version)
		}
		if !cm.Timestamp.After(prev) {
			t.Fatalf("version %d timestamp %s not after %s", cm.Version, cm.Timestamp, prev)
		}
		prev = cm.Timestamp
		if len(cm.Added) != 1 {
			t.Fatalf("version %d adds %d files", cm.Version, len(cm.Added))
		}
		p := cm.Added[0].Path
		if v, dup := seen[p]; dup {
			t.Fatalf("file %s committed at versions %d and %d", p, v, cm.Version)
		}
		seen[p] = cm.Version
	}
	s, err := catalogs[0].Snapshot(ctxT(t), id, SnapshotSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != int64(total) || len(s.Files) != total {
		t.Fatalf("snapshot version %d with %d files, want %d", s.Version, len(s.Files), total)
	}
}

func TestConcurrentCommits(t *testing.T) {
	c, _ := newTestCatalog(t, func(cfg *Config) { cfg.CheckpointEvery = 16 })
	tbl := mustCreate(t, c, pkSpec("race"))
	per := 10
	if testing.Short() {
		per = 4
	}
	raceCommits(t, []*Catalog{c}, tbl.ID, 8, per)
}

func TestConcurrentCommitsTwoClients(t *testing.T) {
	srv := etcdtest.StartServer(t)
	c1 := openCatalog(t, etcdtest.Client(t, srv), nil)
	c2 := openCatalog(t, etcdtest.Client(t, srv), nil)
	tbl := mustCreate(t, c1, pkSpec("race2"))
	per := 10
	if testing.Short() {
		per = 4
	}
	raceCommits(t, []*Catalog{c1, c2}, tbl.ID, 4, per)
	// Each catalog sees the other's table and commits.
	if _, err := c2.LoadTable(ctxT(t), DefaultNamespace, "race2"); err != nil {
		t.Fatal(err)
	}
}

func TestLargeCommitThroughManifest(t *testing.T) {
	ms := newMemManifests()
	c, cli := newTestCatalog(t, func(cfg *Config) { cfg.Manifests = ms; cfg.CheckpointEvery = 2 })
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("big"))
	many := files("big", 5000)

	// Without a manifest store the commit is refused and nothing changes.
	plain := openCatalog(t, cli, nil)
	if _, err := plain.Commit(ctx, tbl.ID, Commit{Version: 1, Operation: OpAppend, Added: many}); !errors.Is(err, ErrInvalid) ||
		!strings.Contains(err.Error(), "no manifest store") {
		t.Fatalf("large commit without manifest store: %v", err)
	}

	cm, err := c.Commit(ctx, tbl.ID, Commit{Version: 1, ReadVersion: 0, Operation: OpAppend, Added: many})
	if err != nil {
		t.Fatal(err)
	}
	keys := ms.keys()
	if len(keys) != 1 || !strings.HasPrefix(keys[0], tbl.Path+"/_manifests/commit-1-") || !strings.HasSuffix(keys[0], ".json") {
		t.Fatalf("manifests %v", keys)
	}
	resp, err := cli.Get(ctx, c.commitKey(tbl.ID, 1))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Kvs[0].Value); n > 200 {
		t.Fatalf("commit key holds %d bytes, want a small pointer", n)
	}

	// Version 2 removes a few files; it is a checkpoint, written as a
	// manifest too since its file list is large.
	if _, err := c.Commit(ctx, tbl.ID, Commit{Version: 2, ReadVersion: 1, Operation: OpDelete, Removed: cm.Added[:100]}); err != nil {
		t.Fatal(err)
	}
	if keys := ms.keys(); len(keys) != 2 || !strings.Contains(keys[0]+keys[1], "/_manifests/checkpoint-2-") {
		t.Fatalf("manifests after checkpoint: %v", ms.keys())
	}

	fresh := openCatalog(t, cli, func(cfg *Config) { cfg.Manifests = ms; cfg.SnapshotCacheSize = -1 })
	commits, err := fresh.Commits(ctx, tbl.ID, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits[0].Added) != 5000 || commits[0].Added[4999].Path != many[4999].Path {
		t.Fatalf("commit 1 read back with %d files", len(commits[0].Added))
	}
	for v, want := range map[int64]int{1: 5000, 2: 4900} {
		fresh.replayed.Store(0)
		s, err := fresh.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(v)})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Files) != want {
			t.Fatalf("version %d has %d files, want %d", v, len(s.Files), want)
		}
		if v == 2 && fresh.replayed.Load() != 0 {
			t.Fatalf("version 2 replayed %d commits instead of reading its checkpoint", fresh.replayed.Load())
		}
	}
}

func TestHistory(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("h"))
	for v := int64(1); v <= 5; v++ {
		if _, err := c.Commit(ctx, tbl.ID, Commit{Version: v, ReadVersion: v - 1, Operation: OpUpsert,
			Added: files(fmt.Sprint("v", v), 1)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		limit int
		want  []int64
	}{
		{0, []int64{5, 4, 3, 2, 1, 0}},
		{-1, []int64{5, 4, 3, 2, 1, 0}},
		{2, []int64{5, 4}},
		{6, []int64{5, 4, 3, 2, 1, 0}},
		{100, []int64{5, 4, 3, 2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("limit", tt.limit), func(t *testing.T) {
			h, err := c.History(ctx, tbl.ID, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, cm := range h {
				got = append(got, cm.Version)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("versions %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("commits ranges", func(t *testing.T) {
		cases := []struct {
			from, to int64
			want     string
			err      error
		}{
			{0, -1, "[0 1 2 3 4 5]", nil},
			{2, 3, "[2 3]", nil},
			{6, -1, "[]", nil},
			{5, 5, "[5]", nil},
			{3, 9, "", ErrNotFound},
			{-1, 2, "", ErrInvalid},
			{4, 2, "", ErrInvalid},
		}
		for _, cc := range cases {
			list, err := c.Commits(ctx, tbl.ID, cc.from, cc.to)
			if !errors.Is(err, cc.err) {
				t.Fatalf("Commits(%d, %d): %v, want %v", cc.from, cc.to, err, cc.err)
			}
			if err != nil {
				continue
			}
			got := []int64{}
			for _, cm := range list {
				got = append(got, cm.Version)
			}
			if fmt.Sprint(got) != cc.want {
				t.Fatalf("Commits(%d, %d) = %v, want %s", cc.from, cc.to, got, cc.want)
			}
		}
	})
}
