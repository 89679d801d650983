package catalog

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// randomCommits commits n random versions (appends, upserts, deletes and
// compactions over two partitions and four buckets) and returns the file
// list expected at every version, from 0 to n.
func randomCommits(t *testing.T, c *Catalog, id string, n int, seed uint64) [][]DataFile {
	t.Helper()
	ctx := ctxT(t)
	r := rand.New(rand.NewPCG(seed, seed))
	m := newModel()
	want := [][]DataFile{m.files()}
	for v := int64(1); v <= int64(n); v++ {
		cm := Commit{Version: v, ReadVersion: v - 1}
		live := m.files()
		switch k := r.IntN(10); {
		case k < 6 || len(live) < 3:
			cm.Operation = OpUpsert
			for i := range 1 + r.IntN(3) {
				b := r.IntN(4)
				cm.Added = append(cm.Added, DataFile{
					Path:      fmt.Sprintf("p/v%03d-%d_%04d.parquet", v, i, b),
					Partition: fmt.Sprintf("dt=%d", r.IntN(2)),
					Bucket:    b,
					Rows:      int64(r.IntN(1000)),
					KeyMin:    []byte{byte(i)},
					KeyMax:    []byte{byte(i), 0xff},
				})
			}
		case k < 8:
			cm.Operation = OpDelete
			cm.Removed = []DataFile{live[r.IntN(len(live))]}
		default:
			// Compact all files of one (partition, bucket) into one, keeping
			// the highest seq.
			pick := live[r.IntN(len(live))]
			out := DataFile{Path: fmt.Sprintf("p/compact-v%03d_%04d.parquet", v, pick.Bucket), Partition: pick.Partition, Bucket: pick.Bucket}
			cm.Operation = OpCompaction
			for _, f := range live {
				if f.Partition == pick.Partition && f.Bucket == pick.Bucket {
					cm.Removed = append(cm.Removed, f)
					out.Seq = max(out.Seq, f.Seq)
				}
			}
			cm.Added = []DataFile{out}
		}
		stored, err := c.Commit(ctx, id, cm)
		if err != nil {
			t.Fatalf("seed %d: commit %d: %v", seed, v, err)
		}
		m.apply(stored)
		want = append(want, m.files())
	}
	return want
}

// checkSnapshotAt checks the snapshot at version v against want.
func checkSnapshotAt(t *testing.T, c *Catalog, id string, v int64, want []DataFile) {
	t.Helper()
	s, err := c.Snapshot(ctxT(t), id, SnapshotSpec{Version: int64p(v)})
	if err != nil {
		t.Fatalf("snapshot %d: %v", v, err)
	}
	if s.Version != v {
		t.Fatalf("snapshot %d has version %d", v, s.Version)
	}
	if (len(want) > 0 || len(s.Files) > 0) && !reflect.DeepEqual(s.Files, want) {
		t.Fatalf("snapshot %d differs from the replay:\ngot  %v\nwant %v", v, s.Files, want)
	}
}

func TestSnapshotsMatchReplay(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	c, cli := newTestCatalog(t, func(cfg *Config) { cfg.CheckpointEvery = 7; cfg.SnapshotCacheSize = 5 })
	tbl := mustCreate(t, c, TableSpec{Namespace: DefaultNamespace, Name: "r", Schema: testSchema(),
		PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 4})
	n := 60
	if testing.Short() {
		n = 25
	}
	want := randomCommits(t, c, tbl.ID, n, seed)
	for v, files := range want {
		checkSnapshotAt(t, c, tbl.ID, int64(v), files)
	}
	// Backwards and without cache: every snapshot starts from a checkpoint
	// or from version 0.
	uncached := openCatalog(t, cli, func(cfg *Config) { cfg.SnapshotCacheSize = -1 })
	for v := len(want) - 1; v >= 0; v-- {
		checkSnapshotAt(t, uncached, tbl.ID, int64(v), want[v])
	}

	latest, err := c.Snapshot(ctxT(t), tbl.ID, SnapshotSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if latest.Version != int64(n) || !reflect.DeepEqual(latest.Files, want[n]) {
		t.Fatalf("latest snapshot is version %d", latest.Version)
	}
	for _, v := range []int64{-1, int64(n) + 1} {
		_, err := c.Snapshot(ctxT(t), tbl.ID, SnapshotSpec{Version: int64p(v)})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("version %d does not exist (latest is %d)", v, n)) {
			t.Fatalf("snapshot %d: %v", v, err)
		}
	}
}

func TestCheckpoints(t *testing.T) {
	c, cli := newTestCatalog(t, func(cfg *Config) { cfg.CheckpointEvery = 10 })
	tbl := mustCreate(t, c, TableSpec{Namespace: DefaultNamespace, Name: "ck", Schema: testSchema(),
		PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 4})
	want := randomCommits(t, c, tbl.ID, 100, 42)

	ckpts := keysUnder(t, cli, c.ckptPrefix(tbl.ID))
	if len(ckpts) != 10 {
		t.Fatalf("%d checkpoints, want 10: %v", len(ckpts), ckpts)
	}
	for i, k := range ckpts {
		if want := c.ckptKey(tbl.ID, int64(10*(i+1))); k != want {
			t.Fatalf("checkpoint key %s, want %s", k, want)
		}
	}

	tests := []struct {
		name       string
		cacheSize  int
		maxReplays int64 // commits read to resolve one snapshot
	}{
		{"without cache", -1, 10},
		{"with cache", 64, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh := openCatalog(t, cli, func(cfg *Config) { cfg.SnapshotCacheSize = tt.cacheSize; cfg.CheckpointEvery = 10 })
			for v := int64(100); v >= 0; v-- {
				fresh.replayed.Store(0)
				checkSnapshotAt(t, fresh, tbl.ID, v, want[v])
				if n := fresh.replayed.Load(); n > tt.maxReplays {
					t.Fatalf("snapshot %d replayed %d commits, want at most %d", v, n, tt.maxReplays)
				}
			}
			checkSnapshotAt(t, fresh, tbl.ID, 95, want[95])
			fresh.replayed.Store(0)
			checkSnapshotAt(t, fresh, tbl.ID, 95, want[95])
			if n := fresh.replayed.Load(); tt.cacheSize > 0 && n != 0 {
				t.Fatalf("cached snapshot 95 replayed %d commits", n)
			} else if tt.cacheSize < 0 && n != 5 {
				t.Fatalf("snapshot 95 replayed %d commits, want 5 (from checkpoint 90)", n)
			}
		})
	}
}

func TestSnapshotAsOf(t *testing.T) {
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	var now time.Time
	c, _ := newTestCatalog(t, func(cfg *Config) { cfg.Now = func() time.Time { return now } })
	ctx := ctxT(t)
	now = start
	tbl := mustCreate(t, c, pkSpec("asof"))
	// Version v is committed at start + v seconds.
	for v := int64(1); v <= 5; v++ {
		now = start.Add(time.Duration(v) * time.Second)
		if _, err := c.Commit(ctx, tbl.ID, Commit{Version: v, ReadVersion: v - 1, Operation: OpAppend,
			Added: files(fmt.Sprint("v", v), 1)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		at   time.Time
		want int64 // -1: ErrNotFound
	}{
		{"before creation", start.Add(-time.Nanosecond), -1},
		{"long before", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), -1},
		{"at creation", start, 0},
		{"between 2 and 3", start.Add(2500 * time.Millisecond), 2},
		{"exactly at 3", start.Add(3 * time.Second), 3},
		{"just before 3", start.Add(3*time.Second - time.Nanosecond), 2},
		{"other zone", start.Add(4 * time.Second).In(time.FixedZone("X", 3600)), 4},
		{"after head", start.Add(time.Hour), 5},
		{"far future", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			s, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{AsOf: &at})
			if tt.want < 0 {
				if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "version 0 was committed at 2024-03-01T12:00:00Z") {
					t.Fatalf("got %v, want ErrNotFound naming version 0's time", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != tt.want || len(s.Files) != int(tt.want) {
				t.Fatalf("version %d with %d files, want %d", s.Version, len(s.Files), tt.want)
			}
			if wantTS := start.Add(time.Duration(tt.want) * time.Second); !s.Timestamp.Equal(wantTS) {
				t.Fatalf("snapshot timestamp %s, want %s", s.Timestamp, wantTS)
			}
		})
	}
	at := start
	if _, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{AsOf: &at, Version: int64p(1)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("both version and time: %v", err)
	}
}
