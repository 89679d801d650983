package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// manifestEnv is an env whose catalog stores every commit and checkpoint
// as a manifest, checkpointing every three versions.
func manifestEnv(t *testing.T, st lsio.Storage) (*env, func() *env) {
	srv := etcdtest.StartServer(t)
	tune := func(c *catalog.Config) { c.InlineLimit, c.CheckpointEvery = 64, 3 }
	e := newEnvTuned(t, etcdtest.Client(t, srv), st, tune)
	// fresh opens another catalog, with an empty cache, on the same etcd.
	fresh := func() *env { return newEnvTuned(t, etcdtest.Client(t, srv), st, tune) }
	return e, fresh
}

func listManifests(t *testing.T, e *env, tbl *catalog.Table) []string {
	t.Helper()
	objs, err := e.st.List(e.ctx, tbl.Path+manifestDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Path, tbl.Path+manifestDir))
	}
	return out
}

// Manifests of commits that lost their race are orphans; those of retained
// commits and checkpoints are not, nor are files the catalog did not name.
func TestRemoveOrphanManifests(t *testing.T) {
	st, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e, fresh := manifestEnv(t, st)
	tbl := peopleTable(e, "m")
	for i := range 7 {
		e.upsert(tbl, peopleSchema, peopleRows(i*3, 5, fmt.Sprint("r", i), "a", "b"))
	}
	reads := map[int64][]string{}
	for v := int64(0); v <= 7; v++ {
		reads[v] = e.readAll(tbl, atVersion(v))
	}
	real := listManifests(t, e, tbl)
	var commits, checkpoints int
	for _, m := range real {
		switch {
		case strings.HasPrefix(m, "commit-"):
			commits++
		case strings.HasPrefix(m, "checkpoint-"):
			checkpoints++
		}
	}
	if commits != 7 || checkpoints != 2 {
		t.Fatalf("manifests %v: want 7 commits and 2 checkpoints", real)
	}

	// What racing committers leave: a manifest for a version never
	// committed, and one for a committed version holding another commit.
	c2, err := e.cat.Commits(e.ctx, tbl.ID, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	lost := c2[0]
	lost.Timestamp = lost.Timestamp.Add(-time.Millisecond)
	lostJSON, _ := json.Marshal(lost)
	put := func(name string, data []byte) {
		if err := e.st.Put(e.ctx, tbl.Path+manifestDir+name, data); err != nil {
			t.Fatal(err)
		}
	}
	put("commit-2-00000000000000aa.json", lostJSON)
	put("commit-9-00000000000000bb.json", lostJSON)
	put("notes.txt", []byte("not the catalog's"))

	if res, err := e.w.RemoveOrphans(e.ctx, tbl, time.Now().Add(-time.Hour)); err != nil || res.FilesDeleted != 0 {
		t.Fatalf("inside the grace period: %+v %v", res, err)
	}
	res, err := e.w.RemoveOrphans(e.ctx, tbl, farFuture())
	if err != nil || res.FilesDeleted != 2 || res.BytesDeleted != 2*int64(len(lostJSON)) {
		t.Fatalf("remove orphans: %+v %v, want the two manifests of lost races", res, err)
	}
	if got := listManifests(t, e, tbl); len(got) != len(real)+1 {
		t.Fatalf("manifests left %v, want %v and notes.txt", got, real)
	}
	// A catalog that has to read every manifest reads every version.
	f := fresh()
	for v := int64(0); v <= 7; v++ {
		equalRows(t, fmt.Sprintf("version %d", v), f.readAll(tbl, atVersion(v)), reads[v])
	}

	// After an expiry, the manifests of expired commits and checkpoints
	// are orphans; the checkpoint the expiry wrote at the oldest version
	// is not.
	if _, err := e.w.Expire(e.ctx, tbl, ExpireOptions{RetainLast: 3}); err != nil {
		t.Fatal(err)
	}
	res, err = e.w.RemoveOrphans(e.ctx, tbl, farFuture())
	if err != nil {
		t.Fatal(err)
	}
	left := listManifests(t, e, tbl)
	for _, m := range left {
		kind, v, ok := parseManifestName(m)
		if ok && v < 5 {
			t.Fatalf("manifest %s of an expired %s is left: %v", m, kind, left)
		}
	}
	expired := 0
	for _, m := range real {
		if _, v, _ := parseManifestName(m); v < 5 {
			expired++
		}
	}
	if res.FilesDeleted != expired || !slices.Contains(left, "notes.txt") ||
		!slices.ContainsFunc(left, func(m string) bool { return strings.HasPrefix(m, "checkpoint-5-") }) {
		t.Fatalf("removed %d, left %v of %v", res.FilesDeleted, left, real)
	}
	f = fresh()
	for v := int64(5); v <= 7; v++ {
		equalRows(t, fmt.Sprintf("version %d after expiry", v), f.readAll(tbl, atVersion(v)), reads[v])
	}
}

// faultyStorage fails deletes while failDeletes is set.
type faultyStorage struct {
	lsio.Storage
	failDeletes atomic.Bool
}

var errInjected = errors.New("injected storage fault")

func (f *faultyStorage) Delete(ctx context.Context, path string) error {
	if f.failDeletes.Load() {
		return fmt.Errorf("delete %s: %w", path, errInjected)
	}
	return f.Storage.Delete(ctx, path)
}

// A cleanup whose deletes fail reports the failures, deletes nothing it
// should not, and a later run finishes the job.
func TestRemoveOrphansSurvivesFailedDeletes(t *testing.T) {
	local, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &faultyStorage{Storage: local}
	e := newEnvWith(t, etcdtest.Start(t), st)
	tbl := peopleTable(e, "f")
	e.upsert(tbl, peopleSchema, peopleRows(0, 10, "x", "a"))
	committed := listFiles(t, e)
	orphan := tbl.Path + "/dt=a/part-00000000deadbeef_0001.parquet"
	if err := st.Put(e.ctx, orphan, []byte("half-written")); err != nil {
		t.Fatal(err)
	}
	st.failDeletes.Store(true)
	res, err := e.w.RemoveOrphans(e.ctx, tbl, farFuture())
	if !errors.Is(err, errInjected) || res.FilesDeleted != 0 {
		t.Fatalf("remove orphans with failing deletes: %+v %v", res, err)
	}
	st.failDeletes.Store(false)
	res, err = e.w.RemoveOrphans(e.ctx, tbl, farFuture())
	if err != nil || res.FilesDeleted != 1 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	if got := listFiles(t, e); len(got) != len(committed) {
		t.Fatalf("files %v, want %v", got, committed)
	}
}
