package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
)

// versionsOf returns the versions of commits, in order.
func versionsOf(commits []Commit) []int64 {
	out := []int64{}
	for _, cm := range commits {
		out = append(out, cm.Version)
	}
	return out
}

// seq returns [from, to].
func seq(from, to int64) []int64 {
	out := []int64{}
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

// checkExpired checks that err reports an expired version and mentions msg.
func checkExpired(t *testing.T, err error, msg string) {
	t.Helper()
	if !errors.Is(err, ErrExpired) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want an error matching ErrExpired and ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q does not mention %q", err, msg)
	}
}

// sameSnapshot checks got against the snapshot read before expiry.
func sameSnapshot(t *testing.T, label string, got, want *Snapshot) {
	t.Helper()
	if got.Version != want.Version || !got.Timestamp.Equal(want.Timestamp) || got.Table.SchemaID != want.Table.SchemaID {
		t.Fatalf("%s: version %d at %s (schema %d), want version %d at %s (schema %d)", label,
			got.Version, got.Timestamp, got.Table.SchemaID, want.Version, want.Timestamp, want.Table.SchemaID)
	}
	if (len(got.Files) > 0 || len(want.Files) > 0) && !reflect.DeepEqual(got.Files, want.Files) {
		t.Fatalf("%s: files differ from before the expiry:\ngot  %v\nwant %v", label, got.Files, want.Files)
	}
}

func TestExpireVersionsKeepsSnapshots(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	_, cli := newTestCatalog(t, nil)
	tests := []struct {
		name      string
		every     int64 // Config.CheckpointEvery
		inline    int   // Config.InlineLimit; small values store commits as manifests
		manifests bool
		n         int
		keepFrom  int64
	}{
		{"no checkpoints", -1, 0, false, 16, 7},
		{"checkpoints on both sides of the cut", 5, 0, false, 23, 12},
		{"cut at a checkpoint", 5, 0, false, 20, 10},
		{"cut at version 1", 4, 0, false, 10, 1},
		{"cut at head", 6, 0, false, 14, 14},
		{"manifests", 4, 150, true, 18, 9},
		{"manifests without checkpoints", -1, 150, true, 12, 5},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			ms := newMemManifests()
			mod := func(extra func(*Config)) func(*Config) {
				return func(cfg *Config) {
					cfg.CheckpointEvery = tt.every
					cfg.InlineLimit = tt.inline
					if tt.manifests {
						cfg.Manifests = ms
					}
					if extra != nil {
						extra(cfg)
					}
				}
			}
			c := openCatalog(t, cli, mod(nil))
			tbl := mustCreate(t, c, TableSpec{Namespace: DefaultNamespace, Name: fmt.Sprintf("e%d", i), Schema: testSchema(),
				PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 4})
			want := randomCommits(t, c, tbl.ID, tt.n, seed+uint64(i))
			head := int64(tt.n)
			if tt.manifests {
				n := 0
				for _, k := range ms.keys() {
					if strings.Contains(k, "/_manifests/commit-") {
						n++
					}
				}
				if n != tt.n {
					t.Fatalf("%d commits stored as manifests, want all %d", n, tt.n)
				}
			}

			// Snapshots and commits as they were, read without cache.
			uncached := openCatalog(t, cli, mod(func(cfg *Config) { cfg.SnapshotCacheSize = -1 }))
			before := make([]*Snapshot, head+1)
			for v := range before {
				checkSnapshotAt(t, uncached, tbl.ID, int64(v), want[v])
				s, err := uncached.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(int64(v))})
				if err != nil {
					t.Fatal(err)
				}
				before[v] = s
			}
			commitsBefore, err := c.Commits(ctx, tbl.ID, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			// Another catalog that cached only versions well below the
			// cut, far from any checkpoint: it must not build retained
			// versions on them.
			stale := openCatalog(t, cli, mod(func(cfg *Config) { cfg.CheckpointEvery = 1000 }))
			for v := int64(0); v+3 <= tt.keepFrom; v++ {
				if _, err := stale.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(v)}); err != nil {
					t.Fatal(err)
				}
			}
			for v := int64(0); v <= head; v++ { // fill c's cache
				if _, err := c.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(v)}); err != nil {
					t.Fatal(err)
				}
			}

			removed, err := c.ExpireVersions(ctx, tbl.ID, tt.keepFrom)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(removed, commitsBefore[:tt.keepFrom]) {
				t.Fatalf("removed versions %v, want the commits of %v as they were", versionsOf(removed), seq(0, tt.keepFrom-1))
			}
			if o, err := c.Oldest(ctx, tbl.ID); err != nil || o != tt.keepFrom {
				t.Fatalf("Oldest = %d, %v; want %d", o, err, tt.keepFrom)
			}
			for v := range c.snaps.byTable[tbl.ID] {
				if v < tt.keepFrom {
					t.Fatalf("the snapshot cache still holds expired version %d", v)
				}
			}

			// The keys left are those of the retained versions.
			var wantCommits []string
			for v := tt.keepFrom; v <= head; v++ {
				wantCommits = append(wantCommits, c.commitKey(tbl.ID, v))
			}
			if got := keysUnder(t, cli, c.commitPrefix(tbl.ID)); !slices.Equal(got, wantCommits) {
				t.Fatalf("commit keys %v, want %v", got, wantCommits)
			}
			if n := len(keysUnder(t, cli, c.tsPrefix(tbl.ID))); int64(n) != head-tt.keepFrom+1 {
				t.Fatalf("%d timestamp keys, want %d", n, head-tt.keepFrom+1)
			}
			ckpts := keysUnder(t, cli, c.ckptPrefix(tbl.ID))
			if len(ckpts) == 0 || ckpts[0] != c.ckptKey(tbl.ID, tt.keepFrom) {
				t.Fatalf("checkpoints %v, want the first at version %d", ckpts, tt.keepFrom)
			}
			if tt.manifests && !slices.ContainsFunc(ms.keys(), func(k string) bool {
				return strings.Contains(k, fmt.Sprintf("/_manifests/checkpoint-%d-", tt.keepFrom))
			}) {
				t.Fatalf("no checkpoint manifest at version %d: %v", tt.keepFrom, ms.keys())
			}

			fresh := openCatalog(t, cli, mod(func(cfg *Config) { cfg.SnapshotCacheSize = -1 }))
			for _, rd := range []struct {
				name string
				c    *Catalog
			}{{"same catalog", c}, {"fresh catalog", fresh}, {"stale cache", stale}} {
				for v := head; v >= 0; v-- {
					s, err := rd.c.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(v)})
					if v < tt.keepFrom {
						checkExpired(t, err, fmt.Sprintf("version %d of table default.%s (id %s) was expired; the oldest available is %d",
							v, tbl.Name, tbl.ID, tt.keepFrom))
						continue
					}
					if err != nil {
						t.Fatalf("%s: snapshot %d: %v", rd.name, v, err)
					}
					sameSnapshot(t, fmt.Sprintf("%s: snapshot %d", rd.name, v), s, before[v])
				}
			}

			commits, err := fresh.Commits(ctx, tbl.ID, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(commits, commitsBefore[tt.keepFrom:]) {
				t.Fatalf("commits after expiry %v, want %v", versionsOf(commits), seq(tt.keepFrom, head))
			}
			hist, err := fresh.History(ctx, tbl.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			slices.Reverse(hist)
			if !reflect.DeepEqual(hist, commits) {
				t.Fatalf("history after expiry %v, want %v", versionsOf(hist), versionsOf(commits))
			}

			// The table goes on: a commit after the expiry, read back by a
			// catalog that never saw the table.
			next := commitsBefore[len(commitsBefore)-1].Version + 1
			cm, err := stale.Commit(ctx, tbl.ID, Commit{Version: next, ReadVersion: next - 1, Operation: OpAppend,
				Added: []DataFile{{Path: "p/after-expiry_0000.parquet", Partition: "dt=0"}}})
			if err != nil {
				t.Fatal(err)
			}
			m := newModel()
			for _, f := range before[head].Files {
				m.live[f.Path] = f
			}
			m.apply(cm)
			checkSnapshotAt(t, openCatalog(t, cli, mod(nil)), tbl.ID, next, m.files())
		})
	}
}

func TestExpiredTimeTravel(t *testing.T) {
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := newTestClock(start)
	c, cli := newTestCatalog(t, clock.config())
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("tt"))
	// Version v is committed at start + v seconds.
	for v := int64(1); v <= 5; v++ {
		clock.add(time.Second)
		if _, err := c.Commit(ctx, tbl.ID, Commit{Version: v, ReadVersion: v - 1, Operation: OpAppend,
			Added: files(fmt.Sprint("v", v), 1)}); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := c.ExpireVersions(ctx, tbl.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(removed); !slices.Equal(got, []int64{0, 1, 2}) {
		t.Fatalf("removed %v", got)
	}
	oldest := "the oldest available is 3 (committed at 2024-03-01T12:00:03Z)"
	table := "table default.tt (id " + tbl.ID + ")"

	for _, rd := range []struct {
		name string
		c    *Catalog
	}{{"same catalog", c}, {"fresh catalog", openCatalog(t, cli, nil)}} {
		t.Run(rd.name, func(t *testing.T) {
			t.Run("by version", func(t *testing.T) {
				tests := []struct {
					v    int64
					want string // "" succeeds
				}{
					{0, "version 0 of " + table + " was expired; " + oldest},
					{2, "version 2 of " + table + " was expired; " + oldest},
					{3, ""},
					{5, ""},
				}
				for _, tt := range tests {
					s, err := rd.c.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(tt.v)})
					if tt.want != "" {
						checkExpired(t, err, tt.want)
						continue
					}
					if err != nil || s.Version != tt.v || len(s.Files) != int(tt.v) {
						t.Fatalf("snapshot %d: %+v, %v", tt.v, s, err)
					}
				}
				_, err := rd.c.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(6)})
				if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrExpired) {
					t.Fatalf("snapshot after head: %v, want ErrNotFound only", err)
				}
			})

			t.Run("by time", func(t *testing.T) {
				tests := []struct {
					name string
					at   time.Time
					want int64  // -1: fails
					msg  string // error message part
					exp  bool   // the error matches ErrExpired
				}{
					{"at creation", start, -1, "the version of " + table + " as of 2024-03-01T12:00:00Z was expired; " + oldest, true},
					{"between 1 and 2", start.Add(1500 * time.Millisecond), -1,
						"the version of " + table + " as of 2024-03-01T12:00:01.5Z was expired; " + oldest, true},
					{"just before 3", start.Add(3*time.Second - time.Nanosecond), -1, "as of 2024-03-01T12:00:02.999999999Z was expired", true},
					{"before creation", start.Add(-time.Nanosecond), -1, "version 0 was committed at 2024-03-01T12:00:00Z", false},
					{"exactly at 3", start.Add(3 * time.Second), 3, "", false},
					{"between 3 and 4", start.Add(3500 * time.Millisecond), 3, "", false},
					{"far future", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 5, "", false},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						at := tt.at
						s, err := rd.c.Snapshot(ctx, tbl.ID, SnapshotSpec{AsOf: &at})
						switch {
						case tt.want >= 0:
							if err != nil || s.Version != tt.want {
								t.Fatalf("got %+v, %v; want version %d", s, err, tt.want)
							}
						case tt.exp:
							checkExpired(t, err, tt.msg)
						default:
							if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), tt.msg) {
								t.Fatalf("got %v, want ErrNotFound (not expired) mentioning %q", err, tt.msg)
							}
						}
					})
				}
			})

			t.Run("commits", func(t *testing.T) {
				tests := []struct {
					from, to int64
					want     []int64 // nil: expired
				}{
					{0, -1, []int64{3, 4, 5}}, // the whole retained history
					{0, 4, []int64{3, 4}},
					{3, 5, []int64{3, 4, 5}},
					{4, -1, []int64{4, 5}},
					{6, -1, []int64{}},
					{3, 2, []int64{}}, // empty ranges never expire
					{2, 1, []int64{}},
					{1, -1, nil}, // the commits after a read of version 0 are gone
					{2, 4, nil},
					{0, 2, nil},
				}
				for _, tt := range tests {
					got, err := rd.c.Commits(ctx, tbl.ID, tt.from, tt.to)
					if tt.want == nil {
						checkExpired(t, err, fmt.Sprintf("version %d of %s was expired; %s", tt.from, table, oldest))
						continue
					}
					if err != nil {
						t.Fatalf("Commits(%d, %d): %v", tt.from, tt.to, err)
					}
					if !slices.Equal(versionsOf(got), tt.want) {
						t.Fatalf("Commits(%d, %d) = %v, want %v", tt.from, tt.to, versionsOf(got), tt.want)
					}
				}
			})

			t.Run("history", func(t *testing.T) {
				for limit, want := range map[int][]int64{0: {5, 4, 3}, 2: {5, 4}, 3: {5, 4, 3}, 10: {5, 4, 3}} {
					h, err := rd.c.History(ctx, tbl.ID, limit)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(versionsOf(h), want) {
						t.Fatalf("History(%d) = %v, want %v", limit, versionsOf(h), want)
					}
				}
			})
		})
	}
}

func TestExpireVersionsRepeated(t *testing.T) {
	c, cli := newTestCatalog(t, func(cfg *Config) { cfg.CheckpointEvery = 4 })
	ctx := ctxT(t)
	spec := pkSpec("rep")
	spec.PartitionBy = []string{"dt"}
	tbl := mustCreate(t, c, spec)
	want := randomCommits(t, c, tbl.ID, 8, 7)

	steps := []struct {
		name     string
		keepFrom int64
		removed  []int64
		oldest   int64
	}{
		{"first", 5, []int64{0, 1, 2, 3, 4}, 5},
		{"same again", 5, nil, 5},
		{"below oldest", 3, nil, 5},
		{"further", 7, []int64{5, 6}, 7},
		{"up to head", 8, []int64{7}, 8},
		{"head again", 8, nil, 8},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := kvsUnder(t, cli, c.prefix)
			removed, err := c.ExpireVersions(ctx, tbl.ID, st.keepFrom)
			if err != nil {
				t.Fatal(err)
			}
			if st.removed == nil {
				if removed != nil {
					t.Fatalf("a no-op expiry returned %v", versionsOf(removed))
				}
				if after := kvsUnder(t, cli, c.prefix); !maps.Equal(before, after) {
					t.Fatal("a no-op expiry changed the catalog")
				}
			} else if got := versionsOf(removed); !slices.Equal(got, st.removed) {
				t.Fatalf("removed %v, want %v", got, st.removed)
			}
			if o, err := c.Oldest(ctx, tbl.ID); err != nil || o != st.oldest {
				t.Fatalf("Oldest = %d, %v; want %d", o, err, st.oldest)
			}
			for v := st.oldest; v <= 8; v++ {
				checkSnapshotAt(t, c, tbl.ID, v, want[v])
			}
		})
	}

	t.Run("schemas of retained versions", func(t *testing.T) {
		s := mustCreate(t, c, pkSpec("schemas"))
		for v := int64(1); v <= 3; v++ {
			if _, err := c.Commit(ctx, s.ID, Commit{Version: v, ReadVersion: v - 1, Operation: OpAppend,
				Added: files(fmt.Sprint("s", v), 1)}); err != nil {
				t.Fatal(err)
			}
		}
		wider := testSchema()
		wider, err := wider.AddField(wider.NumFields(), arrow.Field{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.EvolveSchema(ctx, s.ID, 3, wider); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExpireVersions(ctx, s.ID, 2); err != nil {
			t.Fatal(err)
		}
		fresh := openCatalog(t, cli, func(cfg *Config) { cfg.SnapshotCacheSize = -1 })
		for v, schemaID := range map[int64]int64{2: 0, 3: 0, 4: 1} {
			snap, err := fresh.Snapshot(ctx, s.ID, SnapshotSpec{Version: int64p(v)})
			if err != nil {
				t.Fatal(err)
			}
			if snap.Table.SchemaID != schemaID || snap.Table.Schema.NumFields() != 6+int(schemaID) {
				t.Fatalf("version %d has schema %d with %d fields", v, snap.Table.SchemaID, snap.Table.Schema.NumFields())
			}
		}
	})
}

func TestExpireVersionsBadInput(t *testing.T) {
	c, cli := newTestCatalog(t, nil)
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("bad"))
	for v := int64(1); v <= 4; v++ {
		if _, err := c.Commit(ctx, tbl.ID, Commit{Version: v, ReadVersion: v - 1, Operation: OpAppend,
			Added: files(fmt.Sprint("b", v), 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ExpireVersions(ctx, tbl.ID, 2); err != nil {
		t.Fatal(err)
	}
	gone := mustCreate(t, c, pkSpec("gone"))
	if _, err := c.DropTable(ctx, DefaultNamespace, "gone"); err != nil {
		t.Fatal(err)
	}
	before := kvsUnder(t, cli, c.prefix)

	tests := []struct {
		name     string
		id       string
		keepFrom int64
		want     error
		msg      string
	}{
		{"unknown table", "0123456789abcdef", 1, ErrNotFound, "does not exist"},
		{"malformed id", "../../ns/default", 1, ErrNotFound, "does not exist"},
		{"dropped table", gone.ID, 1, ErrNotFound, "does not exist"},
		{"zero", tbl.ID, 0, ErrInvalid, "0, is outside [1, 4]"},
		{"negative", tbl.ID, -3, ErrInvalid, "-3, is outside [1, 4]"},
		{"after head", tbl.ID, 5, ErrInvalid, "5, is outside [1, 4]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			removed, err := c.ExpireVersions(ctx, tt.id, tt.keepFrom)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) || removed != nil {
				t.Fatalf("got %v, %v; want %v mentioning %q", versionsOf(removed), err, tt.want, tt.msg)
			}
			if after := kvsUnder(t, cli, c.prefix); !maps.Equal(before, after) {
				t.Fatal("a failed expiry changed the catalog")
			}
		})
	}
	for _, id := range []string{"0123456789abcdef", "x", gone.ID} {
		if _, err := c.Oldest(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Oldest(%s): %v", id, err)
		}
	}
	if o, err := c.Oldest(ctx, tbl.ID); err != nil || o != 2 {
		t.Fatalf("Oldest = %d, %v", o, err)
	}
}

func TestExpireVersionsConcurrentCommits(t *testing.T) {
	srv := etcdtest.StartServer(t)
	cfg := func(cfg *Config) { cfg.CheckpointEvery = 5 }
	c1 := openCatalog(t, etcdtest.Client(t, srv), cfg)
	c2 := openCatalog(t, etcdtest.Client(t, srv), cfg)
	tbl := mustCreate(t, c1, pkSpec("busy"))
	writers, per := 4, 12
	if testing.Short() {
		per = 6
	}

	var (
		writing sync.WaitGroup
		mu      sync.Mutex
		removed []Commit // by all expiries
		errs    = make(chan error, writers+2)
		done    = make(chan struct{})
	)
	for w := range writers {
		c := []*Catalog{c1, c2}[w%2]
		writing.Go(func() {
			for i := range per {
				f := DataFile{Path: fmt.Sprintf("w%d-%03d", w, i), Bucket: i % 4}
				if _, err := commitWithRetry(c, tbl.ID, f); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var expiring sync.WaitGroup
	for e, c := range []*Catalog{c1, c2} {
		expiring.Go(func() {
			ctx := contextBG()
			for {
				select {
				case <-done:
					return
				case <-time.After(time.Duration(1+e) * time.Millisecond):
				}
				h, err := c.Head(ctx, tbl.ID)
				if err != nil {
					errs <- err
					return
				}
				if h < 3 {
					continue
				}
				got, err := c.ExpireVersions(ctx, tbl.ID, h-2+int64(e))
				if err != nil {
					errs <- fmt.Errorf("expire below %d: %w", h-2+int64(e), err)
					return
				}
				mu.Lock()
				removed = append(removed, got...)
				mu.Unlock()
			}
		})
	}
	writing.Wait()
	close(done)
	expiring.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Each catalog sees what the other (on another etcd client) did.
	syncT(t, c1)
	syncT(t, c2)
	ctx := ctxT(t)
	head := int64(writers * per)
	oldest, err := c1.Oldest(ctx, tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if oldest == 0 {
		t.Fatal("no expiry took place")
	}
	retained, err := c2.Commits(ctx, tbl.ID, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(retained); !slices.Equal(got, seq(oldest, head)) {
		t.Fatalf("retained versions %v, want %d..%d without gaps", got, oldest, head)
	}
	// Every version was removed by exactly one expiry or retained.
	all := append(slices.Clone(removed), retained...)
	slices.SortFunc(all, func(a, b Commit) int { return cmp.Compare(a.Version, b.Version) })
	if got := versionsOf(all); !slices.Equal(got, seq(0, head)) {
		t.Fatalf("removed and retained versions %v, want each of 0..%d once", got, head)
	}
	m := newModel()
	fresh := openCatalog(t, c1.cli, func(cfg *Config) { cfg.SnapshotCacheSize = -1 })
	for _, cm := range all {
		m.apply(&cm)
		if cm.Version < oldest {
			continue
		}
		for _, c := range []*Catalog{c1, c2, fresh} {
			checkSnapshotAt(t, c, tbl.ID, cm.Version, m.files())
		}
	}
	if _, err := fresh.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: int64p(oldest - 1)}); !errors.Is(err, ErrExpired) {
		t.Fatalf("snapshot %d: %v, want ErrExpired", oldest-1, err)
	}
	ckpts := keysUnder(t, c1.cli, c1.ckptPrefix(tbl.ID))
	if len(ckpts) == 0 || ckpts[0] != c1.ckptKey(tbl.ID, oldest) {
		t.Fatalf("checkpoints %v, want the first at version %d", ckpts, oldest)
	}
}
