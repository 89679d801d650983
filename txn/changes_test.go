package txn

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

var (
	changesSeed  = flag.Uint64("changes.seed", 0, "seed of the randomized change-read test (0: random)")
	changesSteps = flag.Int("changes.steps", 0, "steps of the randomized change-read test (0: default)")
)

// cval is one cell of the change model; nil is NULL.
type cval = *string

// crow holds the value columns of one row of the change model.
type crow struct{ name, cnt, tag cval }

func cstr(v cval) string {
	if v == nil {
		return "NULL"
	}
	return *v
}

func (r crow) String() string {
	return "name=" + cstr(r.name) + ",cnt=" + cstr(r.cnt) + ",tag=" + cstr(r.tag)
}

// changeModel runs random writes against a table whose columns merge with
// last (name), sum (cnt) and last_non_null (tag), keeping the model state
// of every version, and checks change reads of random ranges against it.
type changeModel struct {
	t       *testing.T
	e       *env
	r       *rand.Rand
	keyType arrow.DataType
	tbl     *catalog.Table
	schema  *arrow.Schema
	state   map[string]crow           // "dt/id" -> row
	hist    []map[string]crow         // by version
	ops     []catalog.Operation       // by version
	changed []map[string]bool         // by version: keys whose row changed
	commits map[int64]*catalog.Commit // by version
	counts  map[string]int
	checks  int
}

func TestRandomizedChanges(t *testing.T) {
	for _, keyType := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String} {
		t.Run(keyType.String(), func(t *testing.T) {
			seed := *changesSeed
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			steps := *changesSteps
			if steps == 0 {
				steps = 70
				if testing.Short() {
					steps = 35
				}
			}
			t.Logf("seed %d (rerun with -changes.seed=%d), %d steps", seed, seed, steps)
			m := newChangeModel(t, keyType, seed)
			for i := 0; i < steps; i++ {
				m.step()
				if i%8 == 7 {
					for range 4 {
						m.checkRandomRange()
					}
				}
				if t.Failed() {
					t.Fatalf("failed at step %d; reproduce with -run 'TestRandomizedChanges/%s' -changes.seed=%d", i, keyType, seed)
				}
			}
			for range 12 {
				m.checkRandomRange()
			}
			m.checkRange(0, int64(len(m.hist)-1))
			t.Logf("%d versions, %d live keys, %d ranges checked; ops %v", len(m.hist), len(m.state), m.checks, m.counts)
		})
	}
}

func newChangeModel(t *testing.T, keyType arrow.DataType, seed uint64) *changeModel {
	e := newEnv(t, localStorage)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: keyType},
		{Name: "dt", Type: arrow.BinaryTypes.String},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "cnt", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	tbl := e.table(catalog.TableSpec{
		Name: "changes", Schema: schema, PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 3,
		Properties: map[string]string{catalog.PropMergeOpPrefix + "cnt": "sum", catalog.PropMergeOpPrefix + "tag": "last_non_null"},
	})
	return &changeModel{
		t: t, e: e, r: rand.New(rand.NewPCG(seed, seed^0x5bd1e995)), keyType: keyType, tbl: tbl, schema: schema,
		state: map[string]crow{}, hist: []map[string]crow{{}}, ops: []catalog.Operation{catalog.OpCreate},
		changed: []map[string]bool{{}}, commits: map[int64]*catalog.Commit{}, counts: map[string]int{},
	}
}

func (m *changeModel) keyText(n int) string {
	if m.keyType.ID() == arrow.STRING {
		return fmt.Sprintf("k%03d", n)
	}
	return strconv.Itoa(n)
}

func (m *changeModel) maybe(n int, v string) cval {
	if m.r.IntN(n) == 0 {
		return nil
	}
	return &v
}

func (m *changeModel) step() {
	switch x := m.r.IntN(100); {
	case x < 35:
		m.upsert(false)
	case x < 55:
		m.upsert(true)
	case x < 67:
		m.deleteKeys()
	case x < 74:
		m.deleteWhere()
	case x < 86:
		m.compact()
	default:
		m.rollback()
	}
}

// commit records the version cm made, or nothing when cm is nil.
func (m *changeModel) commit(cm *catalog.Commit, what string) {
	m.counts[what]++
	if cm == nil {
		return
	}
	if want := int64(len(m.hist)); cm.Version != want {
		m.t.Fatalf("%s committed version %d, want %d", what, cm.Version, want)
	}
	prev := m.hist[len(m.hist)-1]
	changed := map[string]bool{}
	for k := range keysOf(prev, m.state) {
		a, inA := prev[k]
		b, inB := m.state[k]
		if inA != inB || a.String() != b.String() {
			changed[k] = true
		}
	}
	m.hist = append(m.hist, cloneCrows(m.state))
	m.ops = append(m.ops, cm.Operation)
	m.changed = append(m.changed, changed)
	m.commits[cm.Version] = cm
}

func cloneCrows(s map[string]crow) map[string]crow { return maps.Clone(s) }

func keysOf(a, b map[string]crow) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// upsert writes rows with distinct keys spread over the partitions; a
// partial one carries only some value columns.
func (m *changeModel) upsert(partial bool) {
	cols := []string{"id", "dt", "name", "cnt", "tag"}
	if partial {
		cols = []string{"id", "dt"}
		for _, c := range []string{"name", "cnt", "tag"} {
			if m.r.IntN(2) == 0 {
				cols = append(cols, c)
			}
		}
	}
	seen := map[string]bool{}
	var rows []map[string]cval
	for range 1 + m.r.IntN(25) {
		id, dt := m.keyText(m.r.IntN(50)), fmt.Sprintf("p%d", m.r.IntN(3))
		if seen[dt+"/"+id] {
			continue
		}
		seen[dt+"/"+id] = true
		rows = append(rows, map[string]cval{
			"id": &id, "dt": &dt,
			"name": m.maybe(5, []string{"ann", "bob", "cy"}[m.r.IntN(3)]),
			"cnt":  m.maybe(4, strconv.Itoa(m.r.IntN(5))),
			"tag":  m.maybe(3, fmt.Sprintf("t%d", m.r.IntN(4))),
		})
	}
	rec := m.build(cols, rows)
	defer rec.Release()
	cm, err := m.e.w.Upsert(m.e.ctx, m.tbl, rec)
	if err != nil {
		m.t.Fatalf("upsert: %v", err)
	}
	for _, row := range rows {
		k := *row["dt"] + "/" + *row["id"]
		cur, ok := m.state[k]
		for _, c := range cols[2:] {
			v := row[c]
			switch c {
			case "name":
				cur.name = v
			case "cnt":
				if ok && cur.cnt != nil && v != nil {
					a, _ := strconv.Atoi(*cur.cnt)
					b, _ := strconv.Atoi(*v)
					s := strconv.Itoa(a + b)
					v = &s
				} else if ok && v == nil {
					v = cur.cnt
				}
				cur.cnt = v
			case "tag":
				if v != nil || !ok {
					cur.tag = v
				}
			}
		}
		m.state[k] = cur
	}
	m.commit(cm, map[bool]string{false: "upsert", true: "partial"}[partial])
}

func (m *changeModel) build(cols []string, rows []map[string]cval) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = m.schema.Field(m.schema.FieldIndices(c)[0])
	}
	b := array.NewRecordBuilder(m.e.mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, row := range rows {
		for i, c := range cols {
			if v := row[c]; v == nil {
				b.Field(i).AppendNull()
			} else if err := b.Field(i).AppendValueFromString(*v); err != nil {
				m.t.Fatal(err)
			}
		}
	}
	return b.NewRecordBatch()
}

func (m *changeModel) deleteKeys() {
	var rows []map[string]cval
	for range 1 + m.r.IntN(6) {
		id, dt := m.keyText(m.r.IntN(50)), fmt.Sprintf("p%d", m.r.IntN(3))
		rows = append(rows, map[string]cval{"id": &id, "dt": &dt})
	}
	rec := m.build([]string{"id", "dt"}, rows)
	defer rec.Release()
	cm, err := m.e.w.DeleteKeys(m.e.ctx, m.tbl, rec)
	if err != nil {
		m.t.Fatalf("delete keys: %v", err)
	}
	for _, row := range rows {
		delete(m.state, *row["dt"]+"/"+*row["id"])
	}
	m.commit(cm, "deletekeys")
}

func (m *changeModel) deleteWhere() {
	name := []string{"ann", "bob", "cy"}[m.r.IntN(3)]
	cm, _, err := m.e.w.Delete(m.e.ctx, m.tbl, mor.Eq("name", name))
	if err != nil {
		m.t.Fatalf("delete where name = %s: %v", name, err)
	}
	for k, r := range m.state {
		if r.name != nil && *r.name == name {
			delete(m.state, k)
		}
	}
	m.commit(cm, "deletewhere")
}

func (m *changeModel) compact() {
	cm, err := m.e.w.Compact(m.e.ctx, m.tbl, CompactOptions{MinFiles: 1 + m.r.IntN(3)})
	if err != nil {
		m.t.Fatalf("compact: %v", err)
	}
	m.commit(cm, "compact")
	if cm != nil {
		m.checkRange(cm.Version-1, cm.Version) // nothing changes
	}
}

func (m *changeModel) rollback() {
	head := int64(len(m.hist) - 1)
	if head == 0 {
		return
	}
	v := m.r.Int64N(head)
	cm, err := m.e.w.Rollback(m.e.ctx, m.tbl, atVersion(v))
	if err != nil {
		m.t.Fatalf("rollback to %d: %v", v, err)
	}
	m.state = cloneCrows(m.hist[v])
	m.commit(cm, "rollback")
}

func (m *changeModel) checkRandomRange() {
	head := int64(len(m.hist) - 1)
	from := m.r.Int64N(head + 1)
	to := from + m.r.Int64N(head-from+1)
	m.checkRange(from, to)
}

// change is one row of a change read.
type change struct {
	key, kind string
	row       crow
	version   int64
	ts        time.Time
}

// readChanges reads the changes of (from, to] through the catalog, as
// the SQL layer does.
func (m *changeModel) readChanges(from, to int64, opts mor.ChangeOptions) []change {
	ctx := m.e.ctx
	a, err := m.e.cat.Snapshot(ctx, m.tbl.ID, atVersion(from))
	if err != nil {
		m.t.Fatal(err)
	}
	b, err := m.e.cat.Snapshot(ctx, m.tbl.ID, atVersion(to))
	if err != nil {
		m.t.Fatal(err)
	}
	commits, err := m.e.cat.Commits(ctx, m.tbl.ID, from+1, to)
	if err != nil {
		m.t.Fatal(err)
	}
	opts.Allocator = m.e.mem
	rr, err := mor.Changes(ctx, m.e.st, a, b, commits, opts)
	if err != nil {
		m.t.Fatalf("changes (%d, %d]: %v", from, to, err)
	}
	defer rr.Release()
	var out []change
	for rr.Next() {
		rec := rr.RecordBatch()
		col := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
		cell := func(name string, i int) cval {
			c := col(name)
			if c.IsNull(i) {
				return nil
			}
			s := c.ValueStr(i)
			return &s
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			out = append(out, change{
				key:     *cell("dt", i) + "/" + *cell("id", i),
				kind:    *cell(mor.ChangeTypeColumn, i),
				row:     crow{cell("name", i), cell("cnt", i), cell("tag", i)},
				version: col(mor.CommitVersionColumn).(*array.Int64).Value(i),
				ts:      col(mor.CommitTimestampColumn).(*array.Timestamp).Value(i).ToTime(arrow.Microsecond),
			})
		}
	}
	if err := rr.Err(); err != nil {
		m.t.Fatalf("changes (%d, %d]: %v", from, to, err)
	}
	return out
}

// checkRange checks that the changes of (from, to] turn the state at from
// into the state at to, that each is real, and their versions.
func (m *changeModel) checkRange(from, to int64) {
	m.t.Helper()
	m.checks++
	got := m.readChanges(from, to, mor.ChangeOptions{BatchSize: 1 + m.r.IntN(40)})
	a, b := m.hist[from], m.hist[to]
	fail := func(format string, args ...any) {
		m.t.Helper()
		m.t.Fatalf("changes (%d, %d]: %s", from, to, fmt.Sprintf(format, args...))
	}
	state := cloneCrows(a)
	seen := map[string]string{}
	for i, c := range got {
		before, inA := a[c.key]
		after, inB := b[c.key]
		switch c.kind {
		case mor.ChangeInsert:
			if inA || !inB || c.row.String() != after.String() {
				fail("insert of %s %v: at from %v (%v), at to %v (%v)", c.key, c.row, before, inA, after, inB)
			}
			state[c.key] = c.row
		case mor.ChangeDelete:
			if !inA || inB || c.row.String() != before.String() {
				fail("delete of %s %v: at from %v (%v), at to %v (%v)", c.key, c.row, before, inA, after, inB)
			}
			delete(state, c.key)
		case mor.ChangeUpdateBefore:
			if !inA || !inB || c.row.String() != before.String() || before.String() == after.String() {
				fail("update_before of %s %v: at from %v (%v), at to %v (%v)", c.key, c.row, before, inA, after, inB)
			}
			if i+1 == len(got) || got[i+1].kind != mor.ChangeUpdateAfter || got[i+1].key != c.key {
				fail("update_before of %s not followed by its update_after", c.key)
			}
		case mor.ChangeUpdateAfter:
			if c.row.String() != after.String() {
				fail("update_after of %s %v, at to %v", c.key, c.row, after)
			}
			state[c.key] = c.row
		default:
			fail("change type %q", c.kind)
		}
		if prev, dup := seen[c.key]; dup && !(prev == mor.ChangeUpdateBefore && c.kind == mor.ChangeUpdateAfter) {
			fail("key %s changes twice (%s, %s)", c.key, prev, c.kind)
		}
		seen[c.key] = c.kind
		m.checkVersion(from, to, c, fail)
	}
	if len(state) != len(b) {
		fail("applying %d changes gives %d keys, want %d", len(got), len(state), len(b))
	}
	for k, r := range b {
		if s, ok := state[k]; !ok || s.String() != r.String() {
			fail("applying the changes gives %s = %v (%v), want %v", k, s, ok, r)
		}
	}
	onlyCompactions := true
	for v := from + 1; v <= to; v++ {
		onlyCompactions = onlyCompactions && m.ops[v] == catalog.OpCompaction
	}
	if onlyCompactions && len(got) > 0 {
		fail("%d changes in a range of compactions", len(got))
	}
}

// checkVersion checks that a change's version is a row-changing commit in
// the range, touching the key's partition, at or after the last version
// that changed the key's row, and its timestamp that commit's.
func (m *changeModel) checkVersion(from, to int64, c change, fail func(string, ...any)) {
	v := c.version
	if v <= from || v > to {
		fail("%s of %s at version %d", c.kind, c.key, v)
	}
	cm := m.commits[v]
	if cm.Operation == catalog.OpCompaction {
		fail("%s of %s at version %d, a compaction", c.kind, c.key, v)
	}
	if !c.ts.Equal(cm.Timestamp.Truncate(time.Microsecond)) {
		fail("%s of %s: timestamp %s, commit %d at %s", c.kind, c.key, c.ts, v, cm.Timestamp)
	}
	part := "dt=" + strings.SplitN(c.key, "/", 2)[0]
	if !slices.ContainsFunc(slices.Concat(cm.Added, cm.Removed), func(f catalog.DataFile) bool { return f.Partition == part }) {
		fail("%s of %s at version %d, which touched no file of %s", c.kind, c.key, v, part)
	}
	for w := v + 1; w <= to; w++ {
		if m.changed[w][c.key] {
			fail("%s of %s at version %d, but version %d changed it", c.kind, c.key, v, w)
		}
	}
}

// TestChangesAppendOnly reads the changes of a table without primary key:
// appended rows are inserts, rows of removed files deletes, compactions
// nothing.
func TestChangesAppendOnly(t *testing.T) {
	e := newEnv(t, localStorage)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "dt", Type: arrow.BinaryTypes.String},
	}, nil)
	tbl := e.table(catalog.TableSpec{Name: "log", Schema: schema, PartitionBy: []string{"dt"}})
	write := func(rows string) *catalog.Commit {
		rec := e.record(schema, rows)
		defer rec.Release()
		cm, err := e.w.Append(e.ctx, tbl, rec)
		if err != nil {
			t.Fatal(err)
		}
		return cm
	}
	write(`[{"v": 1, "dt": "a"}, {"v": 2, "dt": "b"}]`)                      // 1
	write(`[{"v": 3, "dt": "a"}, {"v": 4, "dt": "b"}, {"v": 5, "dt": "c"}]`) // 2
	if cm, err := e.w.Compact(e.ctx, tbl, CompactOptions{}); err != nil || cm == nil {
		t.Fatalf("compact: %v, %v", cm, err) // 3
	}
	over := e.record(schema, `[{"v": 6, "dt": "a"}]`)
	defer over.Release()
	if _, err := e.w.Overwrite(e.ctx, tbl, OverwriteOptions{Partitions: true}, over); err != nil { // 4
		t.Fatal(err)
	}
	read := func(from, to int64) []string {
		a, err := e.cat.Snapshot(e.ctx, tbl.ID, atVersion(from))
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.cat.Snapshot(e.ctx, tbl.ID, atVersion(to))
		if err != nil {
			t.Fatal(err)
		}
		commits, err := e.cat.Commits(e.ctx, tbl.ID, from+1, to)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := mor.Changes(e.ctx, e.st, a, b, commits, mor.ChangeOptions{Columns: []string{"v"}, Allocator: e.mem})
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Release()
		var out []string
		for rr.Next() {
			rec := rr.RecordBatch()
			for i := 0; i < int(rec.NumRows()); i++ {
				out = append(out, fmt.Sprintf("%s %s @%s", rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i), rec.Column(2).ValueStr(i)))
			}
		}
		if err := rr.Err(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		from, to int64
		want     []string
	}{
		{0, 2, []string{"1 insert @1", "2 insert @1", "3 insert @2", "4 insert @2", "5 insert @2"}},
		{2, 3, nil},
		{2, 4, []string{"1 delete @4", "3 delete @4", "6 insert @4"}},
		{1, 4, []string{"1 delete @4", "3 delete @4", "3 insert @2", "4 insert @2", "5 insert @2", "6 insert @4"}},
	} {
		if got := read(tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("(%d, %d]: got %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}
