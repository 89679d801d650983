package mor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// history commits the files a memTable gains as versions, keeping every
// snapshot and commit, and which keys each file holds.
type history struct {
	m        *memTable
	snaps    []*catalog.Snapshot
	commits  []catalog.Commit
	fileKeys map[string]map[string]bool // path -> "dt/id" keys
	states   map[int64]map[string]string
}

func newHistory(m *memTable) *history {
	return &history{m: m, snaps: []*catalog.Snapshot{m.snapshot(0)}, fileKeys: map[string]map[string]bool{}}
}

func commitTime(v int64) time.Time { return time.Unix(1_700_000_000+v, 123_000).UTC() }

// commit makes the files m gained since the last version, minus removed,
// the next version.
func (h *history) commit(op catalog.Operation, removed ...catalog.DataFile) int64 {
	h.m.t.Helper()
	v := int64(len(h.snaps))
	prev := map[string]bool{}
	for _, f := range h.snaps[v-1].Files {
		prev[f.Path] = true
	}
	var added []catalog.DataFile
	for _, f := range h.m.files {
		if !prev[f.Path] {
			added = append(added, f)
			h.fileKeys[f.Path] = h.keysOf(f.Path)
		}
	}
	h.m.files = slices.DeleteFunc(h.m.files, func(f catalog.DataFile) bool {
		return slices.ContainsFunc(removed, func(r catalog.DataFile) bool { return r.Path == f.Path })
	})
	snap := h.m.snapshot(v)
	snap.Timestamp = commitTime(v)
	h.snaps = append(h.snaps, snap)
	h.commits = append(h.commits, catalog.Commit{Version: v, Timestamp: snap.Timestamp, Operation: op, Added: added, Removed: removed})
	return v
}

// keysOf reads the "dt/id" keys of a file.
func (h *history) keysOf(path string) map[string]bool {
	ctx := context.Background()
	pf, err := lsio.OpenParquet(ctx, h.m.st, path, lsio.ReadOptions{})
	if err != nil {
		h.m.t.Fatal(err)
	}
	defer pf.Close()
	rr, err := pf.Read(ctx, []string{"id", "dt"}, nil)
	if err != nil {
		h.m.t.Fatal(err)
	}
	defer rr.Release()
	out := map[string]bool{}
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			out[rec.Column(1).ValueStr(i)+"/"+rec.Column(0).ValueStr(i)] = true
		}
	}
	return out
}

// filesOf returns the live files written by version v.
func (h *history) filesOf(v int64) []catalog.DataFile {
	var out []catalog.DataFile
	for _, f := range h.m.files {
		if f.Seq == v {
			out = append(out, f)
		}
	}
	return out
}

// state reads a version as "dt/id" -> rendered row.
func (h *history) state(v int64) map[string]string {
	h.m.t.Helper()
	if s, ok := h.states[v]; ok {
		return s
	}
	p, err := NewPlan(h.snaps[v], ScanOptions{Allocator: h.m.mem})
	if err != nil {
		h.m.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range renderRows(h.m.t, p.Scan(context.Background(), h.m.st), false) {
		out[keyOfRendered(r)] = r
	}
	if h.states == nil {
		h.states = map[int64]map[string]string{}
	}
	h.states[v] = out
	return out
}

// renderRows drains rr into "col=value,..." rows in stream order, without
// the version and timestamp columns unless withVersion.
func renderRows(t *testing.T, rr array.RecordReader, withVersion bool) []string {
	t.Helper()
	defer rr.Release()
	var out []string
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			var parts []string
			for j, f := range rec.Schema().Fields() {
				if !withVersion && (f.Name == CommitVersionColumn || f.Name == CommitTimestampColumn) {
					continue
				}
				v := "NULL"
				if rec.Column(j).IsValid(i) {
					v = rec.Column(j).ValueStr(i)
				}
				parts = append(parts, f.Name+"="+v)
			}
			out = append(out, strings.Join(parts, ","))
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

// keyOfRendered extracts "dt/id" from a rendered row.
func keyOfRendered(r string) string {
	var id, dt string
	for _, kv := range strings.Split(r, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "id":
			id = v
		case "dt":
			dt = v
		}
	}
	return dt + "/" + id
}

// expectChanges derives the change rows of (from, to] from full reads of
// both versions.
func (h *history) expectChanges(from, to int64) []string {
	a, b := h.state(from), h.state(to)
	var out []string
	for k, r := range a {
		switch s, ok := b[k]; {
		case !ok:
			out = append(out, r+","+ChangeTypeColumn+"="+ChangeDelete)
		case s != r:
			out = append(out, r+","+ChangeTypeColumn+"="+ChangeUpdateBefore, s+","+ChangeTypeColumn+"="+ChangeUpdateAfter)
		}
	}
	for k, s := range b {
		if _, ok := a[k]; !ok {
			out = append(out, s+","+ChangeTypeColumn+"="+ChangeInsert)
		}
	}
	slices.Sort(out)
	return out
}

// lastTouch is the last non-compaction version in (from, to] that added or
// removed a file holding key.
func (h *history) lastTouch(key string, from, to int64) int64 {
	var last int64 = -1
	for _, cm := range h.commits {
		if cm.Version <= from || cm.Version > to || cm.Operation == catalog.OpCompaction {
			continue
		}
		for _, f := range slices.Concat(cm.Added, cm.Removed) {
			if h.fileKeys[f.Path][key] {
				last = cm.Version
			}
		}
	}
	return last
}

func (h *history) plan(from, to int64, opts ChangeOptions) *ChangePlan {
	h.m.t.Helper()
	if opts.Allocator == nil {
		opts.Allocator = h.m.mem
	}
	p, err := NewChangePlan(h.snaps[from], h.snaps[to], h.commits, opts)
	if err != nil {
		h.m.t.Fatalf("NewChangePlan(%d, %d): %v", from, to, err)
	}
	return p
}

// check compares the changes of every range with full reads, and checks
// the order inside tasks and the commit versions.
func (h *history) check(t *testing.T) {
	last := int64(len(h.snaps) - 1)
	for from := int64(0); from <= last; from++ {
		for to := from; to <= last; to++ {
			sizes := []int{8192}
			if to-from == 1 {
				sizes = append(sizes, 1, 3)
			}
			for _, bs := range sizes {
				p := h.plan(from, to, ChangeOptions{BatchSize: bs})
				var got []string
				for _, task := range p.Tasks() {
					rr, err := p.OpenTask(context.Background(), h.m.st, task)
					if err != nil {
						t.Fatal(err)
					}
					rows := renderRows(t, rr, true)
					checkTaskRows(t, h, from, to, rows)
					for _, r := range rows {
						got = append(got, stripVersion(r))
					}
				}
				slices.Sort(got)
				if want := h.expectChanges(from, to); !slices.Equal(got, want) {
					t.Fatalf("changes (%d, %d], batch %d:\n got  %q\n want %q", from, to, bs, got, want)
				}
			}
		}
	}
}

func stripVersion(r string) string {
	parts := strings.Split(r, ",")
	parts = slices.DeleteFunc(parts, func(s string) bool {
		return strings.HasPrefix(s, CommitVersionColumn+"=") || strings.HasPrefix(s, CommitTimestampColumn+"=")
	})
	return strings.Join(parts, ",")
}

// checkTaskRows checks the rows of one task: keys ascend, update pairs are
// adjacent, versions are the last touch and timestamps its commit's.
func checkTaskRows(t *testing.T, h *history, from, to int64, rows []string) {
	t.Helper()
	field := func(r, name string) string {
		for _, kv := range strings.Split(r, ",") {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				return v
			}
		}
		return ""
	}
	for i, r := range rows {
		key := keyOfRendered(r)
		v := h.lastTouch(key, from, to)
		if got := field(r, CommitVersionColumn); got != fmt.Sprint(v) {
			t.Fatalf("(%d, %d] key %s: version %s, want %d", from, to, key, got, v)
		}
		ts := commitTime(v).Truncate(time.Microsecond)
		if got := field(r, CommitTimestampColumn); got != ts.Format("2006-01-02T15:04:05.000000Z") {
			t.Fatalf("(%d, %d] key %s: timestamp %s, want %s", from, to, key, got, ts)
		}
		switch field(r, ChangeTypeColumn) {
		case ChangeUpdateBefore:
			if i+1 == len(rows) || field(rows[i+1], ChangeTypeColumn) != ChangeUpdateAfter || keyOfRendered(rows[i+1]) != key {
				t.Fatalf("(%d, %d]: update_before of %s not followed by its update_after", from, to, key)
			}
		case ChangeUpdateAfter:
			if i == 0 || field(rows[i-1], ChangeTypeColumn) != ChangeUpdateBefore {
				t.Fatalf("(%d, %d]: update_after of %s without update_before", from, to, key)
			}
		}
	}
}

var peopleDeleteSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "dt", Type: arrow.BinaryTypes.String},
	{Name: DeleteMarkerColumn, Type: arrow.FixedWidthTypes.Boolean},
}, nil)

var peopleNameSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "dt", Type: arrow.BinaryTypes.String},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// buildPeopleHistory writes a history of upserts, a partial upsert, delete
// markers, a same-value rewrite and a removal of files.
func buildPeopleHistory(t *testing.T, m *memTable) *history {
	h := newHistory(m)
	m.write(1, peopleSchema, 50, peopleRows(0, 700))
	h.commit(catalog.OpUpsert)

	var rows []row
	for i := 0; i < 12; i++ {
		rows = append(rows, row{"id": int64(i), "dt": []string{"x", "y"}[i%2], "name": "m"})
	}
	m.write(2, peopleNameSchema, 0, rows)
	h.commit(catalog.OpUpsert)
	m.write(3, peopleSchema, 0, peopleRows(700, 712))
	h.commit(catalog.OpUpsert)

	rows = nil
	for i := 20; i < 26; i++ {
		rows = append(rows, row{"id": int64(i), "dt": []string{"x", "y"}[i%2], DeleteMarkerColumn: true})
	}
	rows = append(rows, row{"id": int64(5000), "dt": "x", DeleteMarkerColumn: true}) // absent key
	m.write(4, peopleDeleteSchema, 0, rows)
	h.commit(catalog.OpDelete)

	rows = peopleRows(30, 650) // many keys; every other one unchanged
	for i := range rows {
		if i%2 == 0 {
			rows[i]["score"] = 2.0
		}
	}
	m.write(5, peopleSchema, 0, rows)
	h.commit(catalog.OpUpsert)

	h.commit(catalog.OpDelete, slices.Concat(h.filesOf(2), h.filesOf(3))...)
	h.commit(catalog.OpCompaction) // no file: nothing changes
	return h
}

func TestChangesAgainstFullReads(t *testing.T) {
	for _, tc := range []struct {
		name    string
		part    []string
		buckets int
	}{
		{"partitioned-4-buckets", []string{"dt"}, 4},
		{"one-bucket", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemTable(t, peopleSchema, []string{"id"}, tc.part, tc.buckets)
			buildPeopleHistory(t, m).check(t)
		})
	}
}

func TestChangesOptions(t *testing.T) {
	m := peopleTable(t)
	h := buildPeopleHistory(t, m)
	ctx := context.Background()
	read := func(p *ChangePlan) []string {
		got := renderRows(t, p.Scan(ctx, m.st), false)
		slices.Sort(got)
		return got
	}
	t.Run("columns-and-filter", func(t *testing.T) {
		p := h.plan(1, 4, ChangeOptions{Columns: []string{"name", "id"}, Filter: And(Eq(ChangeTypeColumn, ChangeDelete), Lt("id", 23))})
		if got := p.Schema().Field(p.Schema().NumFields() - 3).Name; got != ChangeTypeColumn {
			t.Fatalf("schema %v", p.Schema())
		}
		want := []string{
			"name=n,id=20,_change_type=delete", "name=n,id=21,_change_type=delete", "name=n,id=22,_change_type=delete",
		}
		if got := read(p); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("version-filter", func(t *testing.T) {
		p := h.plan(0, 5, ChangeOptions{Columns: []string{"id"}, Filter: And(Eq(CommitVersionColumn, 3), Ge("id", 700))})
		if got := read(p); len(got) != 12 {
			t.Fatalf("got %q, want the 12 inserts of version 3", got)
		}
	})
	t.Run("partition-and-bucket-pruning", func(t *testing.T) {
		all := h.plan(0, 5, ChangeOptions{})
		p := h.plan(0, 5, ChangeOptions{Filter: Eq("dt", "x")})
		if len(p.Tasks()) == 0 || len(p.Tasks()) >= len(all.Tasks()) {
			t.Fatalf("%d tasks for dt = 'x', %d for all", len(p.Tasks()), len(all.Tasks()))
		}
		p = h.plan(1, 5, ChangeOptions{Filter: Eq("id", 3)})
		if n := len(p.Tasks()); n == 0 || n > 2 || p.Tasks()[0].Bucket != p.Tasks()[n-1].Bucket {
			t.Fatalf("%d tasks for id = 3", len(p.Tasks()))
		}
		if got := read(p); len(got) != 2 {
			t.Fatalf("id = 3: %q", got)
		}
	})
	t.Run("compaction-only", func(t *testing.T) {
		if p := h.plan(6, 7, ChangeOptions{}); len(p.Tasks()) != 0 {
			t.Fatalf("tasks %v", p.Tasks())
		}
		if got := read(h.plan(3, 3, ChangeOptions{})); len(got) != 0 {
			t.Fatalf("empty range: %q", got)
		}
	})
	t.Run("tasks-travel", func(t *testing.T) {
		p := h.plan(1, 6, ChangeOptions{Filter: Ne(ChangeTypeColumn, ChangeInsert)})
		data, err := json.Marshal(p.Tasks())
		if err != nil {
			t.Fatal(err)
		}
		var tasks []ChangeTask
		if err := json.Unmarshal(data, &tasks); err != nil {
			t.Fatal(err)
		}
		q, err := PlanChangeTasks(m.tbl, 1, 6, ChangeOptions{Filter: Ne(ChangeTypeColumn, ChangeInsert), Allocator: m.mem}, tasks)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := read(q), read(p); !slices.Equal(got, want) || len(got) == 0 {
			t.Fatalf("rebuilt plan read %d rows, the original %d", len(got), len(want))
		}
	})
	t.Run("validation", func(t *testing.T) {
		for _, opts := range []ChangeOptions{
			{Columns: []string{"nope"}},
			{Columns: []string{"id", "id"}},
			{Columns: []string{ChangeTypeColumn}},
			{Filter: Eq("nope", 1)},
			{Filter: Eq(CommitVersionColumn, "x")},
		} {
			if _, err := NewChangePlan(h.snaps[0], h.snaps[1], h.commits, opts); !errors.Is(err, ErrInvalidFilter) {
				t.Errorf("%+v: err = %v, want ErrInvalidFilter", opts, err)
			}
		}
		if _, err := NewChangePlan(h.snaps[2], h.snaps[1], h.commits, ChangeOptions{}); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("reversed range: err = %v", err)
		}
	})
	t.Run("early-release", func(t *testing.T) {
		rr, err := Changes(ctx, m.st, h.snaps[0], h.snaps[4], h.commits, ChangeOptions{BatchSize: 2, Allocator: m.mem})
		if err != nil {
			t.Fatal(err)
		}
		if !rr.Next() {
			t.Fatalf("no change: %v", rr.Err())
		}
		rr.Release()
	})
}

func TestChangesStringAndCompositeKeys(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "dt", Type: arrow.BinaryTypes.String},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	for _, key := range [][]string{{"dt"}, {"dt", "id"}} {
		t.Run(strings.Join(key, "+"), func(t *testing.T) {
			m := newMemTable(t, schema, key, nil, 2)
			h := newHistory(m)
			var rows []row
			for i := 0; i < 600; i++ {
				rows = append(rows, row{"id": int64(i % 7), "dt": fmt.Sprintf("k%04d", i), "name": "a", "score": 1.0})
			}
			m.write(1, schema, 40, rows)
			h.commit(catalog.OpUpsert)
			for i := range rows {
				if i%3 == 0 {
					rows[i]["name"] = "b"
				}
			}
			rows = append(rows, row{"id": int64(1), "dt": "new", "name": nil, "score": nil})
			m.write(2, schema, 40, rows)
			h.commit(catalog.OpUpsert)
			h.commit(catalog.OpDelete, h.filesOf(1)...)
			h.check(t)
		})
	}
}

func TestChangesWithoutPrimaryKey(t *testing.T) {
	m := newMemTable(t, peopleSchema, nil, []string{"dt"}, 1)
	h := newHistory(m)
	ctx := context.Background()
	m.write(1, peopleSchema, 0, peopleRows(0, 4))
	h.commit(catalog.OpAppend)
	m.write(2, peopleSchema, 0, peopleRows(10, 12))
	h.commit(catalog.OpAppend)
	m.write(3, peopleSchema, 0, peopleRows(20, 21))
	h.commit(catalog.OpOverwrite, h.filesOf(1)...)
	h.commit(catalog.OpDelete, h.filesOf(2)...)
	read := func(from, to int64) []string {
		rr, err := Changes(ctx, m.st, h.snaps[from], h.snaps[to], h.commits, ChangeOptions{Columns: []string{"id"}, Allocator: m.mem})
		if err != nil {
			t.Fatal(err)
		}
		got := renderRows(t, rr, true)
		slices.Sort(got)
		return got
	}
	ts := func(v int64) string { return commitTime(v).Format("2006-01-02T15:04:05.000000Z") }
	row := func(id int, kind string, v int64) string {
		return fmt.Sprintf("id=%d,_change_type=%s,_commit_version=%d,_commit_timestamp=%s", id, kind, v, ts(v))
	}
	want := []string{row(0, "delete", 3), row(1, "delete", 3), row(2, "delete", 3), row(20, "insert", 3), row(3, "delete", 3)}
	if got := read(2, 3); !slices.Equal(got, want) {
		t.Fatalf("(2, 3]:\n got  %q\n want %q", got, want)
	}
	// Files of version 2 added and removed inside the range cancel out.
	if got := read(1, 4); !slices.Equal(got, want) {
		t.Fatalf("(1, 4]:\n got  %q\n want %q", got, want)
	}
}

func TestChangesCDCColumn(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "dt", Type: arrow.BinaryTypes.String},
		{Name: "op", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	m := newMemTable(t, schema, []string{"id"}, []string{"dt"}, 2)
	m.tbl.Properties = map[string]string{catalog.PropCDCColumn: "op"}
	h := newHistory(m)
	rows := func(from, to int, name, op string) []row {
		var out []row
		for i := from; i < to; i++ {
			out = append(out, row{"id": int64(i), "name": name, "dt": []string{"x", "y"}[i%2], "op": op})
		}
		return out
	}
	m.write(1, schema, 16, rows(0, 300, "a", "insert"))
	h.commit(catalog.OpUpsert)
	m.write(2, schema, 16, slices.Concat(rows(0, 10, "a", "delete"), rows(10, 20, "b", "update"), rows(400, 405, "c", "delete")))
	h.commit(catalog.OpUpsert)
	m.write(3, schema, 16, rows(5, 15, "d", "insert"))
	h.commit(catalog.OpUpsert)
	h.check(t)
}
