package catalog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCommitBatch(t *testing.T) {
	ms := newMemManifests()
	c, cli := newTestCatalog(t, func(cfg *Config) { cfg.Manifests = ms; cfg.CheckpointEvery = 2; cfg.InlineLimit = 4 << 10 })
	ctx := ctxT(t)
	tbl := mustCreate(t, c, pkSpec("t"))

	a, b := files("a", 2), files("b", 1)
	out, err := c.CommitBatch(ctx, tbl.ID, []Commit{
		{Version: 1, ReadVersion: 0, Operation: OpAppend, Added: a},
		{Version: 2, ReadVersion: 0, Operation: OpUpsert, Added: b},
		// Removes a file the first commit of the batch adds.
		{Version: 3, ReadVersion: 0, Operation: OpCompaction, Removed: a[:1],
			Added: []DataFile{{Path: "default/t/c_0000.parquet", Bucket: 0, Seq: 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, cm := range out {
		if cm.Version != int64(i+1) {
			t.Fatalf("commit %d has version %d", i, cm.Version)
		}
		if i > 0 && !cm.Timestamp.After(out[i-1].Timestamp) {
			t.Fatalf("timestamp of version %d is not after the one before", cm.Version)
		}
	}
	if out[1].Added[0].Seq != 2 || out[2].Added[0].Seq != 1 {
		t.Fatalf("seqs %d, %d", out[1].Added[0].Seq, out[2].Added[0].Seq)
	}
	hist, err := c.History(ctx, tbl.ID, 0)
	if err != nil || len(hist) != 4 || hist[0].Version != 3 {
		t.Fatalf("history %v, %v", hist, err)
	}
	// A catalog without the cache rebuilds every version of the batch,
	// through the checkpoint written at version 2, and finds each commit
	// by time.
	fresh := openCatalog(t, cli, func(cfg *Config) { cfg.Manifests = ms; cfg.SnapshotCacheSize = -1 })
	for v, want := range []int{0, 2, 3, 3} {
		v := int64(v)
		s, err := fresh.Snapshot(ctx, tbl.ID, SnapshotSpec{Version: &v})
		if err != nil || len(s.Files) != want {
			t.Fatalf("snapshot %d: %v, %v; want %d files", v, s, err, want)
		}
		if v > 0 {
			at := out[v-1].Timestamp
			s, err := fresh.Snapshot(ctx, tbl.ID, SnapshotSpec{AsOf: &at})
			if err != nil || s.Version != v {
				t.Fatalf("snapshot as of version %d's time: %v, %v", v, s, err)
			}
		}
	}

	t.Run("invalid member", func(t *testing.T) {
		_, err := c.CommitBatch(ctx, tbl.ID, []Commit{
			{Version: 4, ReadVersion: 3, Operation: OpAppend, Added: files("d", 1)},
			{Version: 5, ReadVersion: 3, Operation: OpDelete, Removed: a[:1]}, // removed by version 3
		})
		var be *BatchError
		if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, ErrInvalid) {
			t.Fatalf("got %v, want a BatchError for commit 1", err)
		}
		if h, _ := c.Head(ctx, tbl.ID); h != 3 {
			t.Fatalf("head %d after a failed batch", h)
		}
	})
	t.Run("lost race", func(t *testing.T) {
		_, err := c.CommitBatch(ctx, tbl.ID, []Commit{{Version: 3, ReadVersion: 2, Operation: OpAppend, Added: files("e", 1)}})
		if !errors.Is(err, ErrVersionMismatch) {
			t.Fatalf("got %v", err)
		}
		_, err = c.CommitBatch(ctx, tbl.ID, make([]Commit, MaxBatch+1))
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("oversized batch: %v", err)
		}
	})
	t.Run("large batch goes to manifests", func(t *testing.T) {
		// 48 commits of 50 KiB each: each fits the inline limit, all of
		// them do not fit one etcd request, so the later ones become
		// manifests.
		big := openCatalog(t, cli, func(cfg *Config) { cfg.Manifests = ms; cfg.InlineLimit = 60 << 10 })
		var cms []Commit
		for i := range MaxBatch {
			cms = append(cms, Commit{Version: int64(4 + i), ReadVersion: 3, Operation: OpAppend,
				Added:   files(fmt.Sprintf("m%d", i), 1),
				Summary: map[string]string{"pad": strings.Repeat("x", 50<<10)}})
		}
		before := len(ms.objs)
		out, err := big.CommitBatch(ctx, tbl.ID, cms)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(ms.objs) - before; len(out) != MaxBatch || n == 0 || n == MaxBatch {
			t.Fatalf("%d commits, %d of them as manifests", len(out), n)
		}
		got, err := fresh.Commits(ctx, tbl.ID, 4, -1)
		if err != nil || len(got) != MaxBatch || len(got[MaxBatch-1].Summary["pad"]) != 50<<10 {
			t.Fatalf("commits: %d, %v", len(got), err)
		}
	})
}
