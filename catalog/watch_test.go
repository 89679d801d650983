package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestWatchHeads(t *testing.T) {
	c, _ := newTestCatalog(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := mustCreate(t, c, pkSpec("a"))
	b := mustCreate(t, c, pkSpec("b"))
	commit := func(tbl *Table) {
		t.Helper()
		h, err := c.Head(ctx, tbl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Commit(ctx, tbl.ID, Commit{Version: h + 1, ReadVersion: h, Operation: OpAppend,
			Added: []DataFile{{Path: fmt.Sprintf("%s/f%d.parquet", tbl.Path, h+1), Rows: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	all := c.WatchHeads(ctx, "")
	one := c.WatchHeads(ctx, b.ID)
	time.Sleep(50 * time.Millisecond) // let the watches start
	for i := 0; i < 3; i++ {
		commit(a)
		commit(b)
	}
	want := map[string]int64{a.ID: 1, b.ID: 1}
	for i := 0; i < 6; i++ {
		select {
		case ev := <-all:
			if ev.Version != want[ev.TableID] {
				t.Fatalf("event %+v, want version %d", ev, want[ev.TableID])
			}
			want[ev.TableID]++
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
	}
	for v := int64(1); v <= 3; v++ {
		select {
		case ev := <-one:
			if ev.TableID != b.ID || ev.Version != v {
				t.Fatalf("event %+v, want %s version %d", ev, b.ID, v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
	}
	cancel()
	for range all {
	}
}
