package mor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/bucket"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/internal/partition"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// memTable is a table whose files live in in-memory storage, laid out as a
// writer commits them (Hive partitions, hash buckets, one sorted run per
// (partition, bucket) and write, first-key bounds), without a catalog.
type memTable struct {
	t     *testing.T
	ctx   context.Context
	st    *openLog
	mem   *memory.CheckedAllocator // for the plans of the test, checked at its end
	tbl   *catalog.Table
	files []catalog.DataFile
	// opts are the write options of every file (RowGroupRows aside):
	// bloom filters on the key columns, as the writer does.
	opts lsio.WriteOptions
}

// openLog is in-memory storage that records the paths it opens.
type openLog struct {
	*lsio.Mem
	mu     sync.Mutex
	opened []string
}

func (o *openLog) Open(ctx context.Context, path string) (lsio.Object, error) {
	o.mu.Lock()
	o.opened = append(o.opened, path)
	o.mu.Unlock()
	return o.Mem.Open(ctx, path)
}

// takeOpened returns the distinct paths opened since the last call, sorted.
func (o *openLog) takeOpened() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := slices.Compact(slices.Sorted(slices.Values(o.opened)))
	o.opened = nil
	return out
}

// peopleSchema is the schema of the pruning tests' table, partitioned by dt
// with primary key id.
var peopleSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "dt", Type: arrow.BinaryTypes.String},
}, nil)

func newMemTable(t *testing.T, schema *arrow.Schema, key, partitionBy []string, buckets int) *memTable {
	m := &memTable{
		t:   t,
		ctx: context.Background(),
		st:  &openLog{Mem: lsio.NewMem()},
		mem: memory.NewCheckedAllocator(memory.DefaultAllocator),
		tbl: &catalog.Table{
			ID: "t1", Namespace: "default", Name: "t", Path: "t1", Schema: schema,
			PrimaryKey: key, PartitionBy: partitionBy, HashBucketNum: buckets,
		},
	}
	m.opts = lsio.WriteOptions{KeyColumns: key}
	t.Cleanup(func() { m.mem.AssertSize(t, 0) })
	return m
}

func peopleTable(t *testing.T) *memTable {
	return newMemTable(t, peopleSchema, []string{"id"}, []string{"dt"}, 4)
}

// write stores rows, holding the columns of schema (a subset of the
// table's), as the runs of write seq: one file per (partition, bucket),
// sorted by key, cut into row groups of rowGroupRows rows (0: default).
func (m *memTable) write(seq int64, schema *arrow.Schema, rowGroupRows int64, rows []row) {
	m.t.Helper()
	tbl := m.tbl
	rec := buildRecord(memory.DefaultAllocator, schema, rows)
	defer rec.Release()
	column := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
	buckets := make([]int32, len(rows))
	if len(tbl.PrimaryKey) > 0 && tbl.HashBucketNum > 1 {
		var keys []arrow.Array
		for _, k := range tbl.PrimaryKey {
			keys = append(keys, column(k))
		}
		if err := bucket.Rows(keys, tbl.HashBucketNum, buckets); err != nil {
			m.t.Fatal(err)
		}
	}
	type group struct {
		part   string
		bucket int
	}
	groups := map[group][]row{}
	for i, r := range rows {
		vals := make([]partition.Value, len(tbl.PartitionBy))
		for j, p := range tbl.PartitionBy {
			vals[j] = partition.ValueOf(column(p), i)
		}
		g := group{partition.Format(tbl.PartitionBy, vals), int(buckets[i])}
		groups[g] = append(groups[g], r)
	}
	for g, rs := range groups {
		slices.SortStableFunc(rs, func(a, b row) int {
			for _, k := range tbl.PrimaryKey {
				if c := compareCells(a[k], b[k]); c != 0 {
					return c
				}
			}
			return 0
		})
		path := fmt.Sprintf("%s/%s/bucket-%d-seq-%d.parquet", tbl.Path, g.part, g.bucket, seq)
		if g.part == "" {
			path = fmt.Sprintf("%s/bucket-%d-seq-%d.parquet", tbl.Path, g.bucket, seq)
		}
		file := buildRecord(memory.DefaultAllocator, schema, rs)
		opts := m.opts
		opts.RowGroupRows = rowGroupRows
		fs, err := lsio.WriteParquet(m.ctx, m.st, path, schema, []arrow.RecordBatch{file}, opts)
		if err != nil {
			file.Release()
			m.t.Fatal(err)
		}
		df := catalog.DataFile{Path: path, Partition: g.part, Bucket: g.bucket, Seq: seq, Rows: fs.Rows, Size: fs.Size}
		if len(tbl.PrimaryKey) > 0 {
			first := file.Column(file.Schema().FieldIndices(tbl.PrimaryKey[0])[0])
			df.KeyMin, _ = keyenc.Append(nil, first, 0)
			df.KeyMax, _ = keyenc.Append(nil, first, first.Len()-1)
		}
		file.Release()
		m.files = append(m.files, df)
	}
}

func compareCells(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case string:
		return strings.Compare(x, b.(string))
	}
	panic(fmt.Sprintf("compareCells: %T", a))
}

// snapshot returns the table with its files in snapshot order.
func (m *memTable) snapshot(version int64) *catalog.Snapshot {
	files := slices.Clone(m.files)
	slices.SortFunc(files, func(a, b catalog.DataFile) int {
		return cmp.Or(strings.Compare(a.Partition, b.Partition), cmp.Compare(a.Bucket, b.Bucket),
			cmp.Compare(a.Seq, b.Seq), strings.Compare(a.Path, b.Path))
	})
	return &catalog.Snapshot{Table: m.tbl, Version: version, Files: files}
}

// plan plans a read of the current files with the table's checked
// allocator, failing the test on error.
func (m *memTable) plan(opts ScanOptions) *Plan {
	m.t.Helper()
	if opts.Allocator == nil {
		opts.Allocator = m.mem
	}
	p, err := NewPlan(m.snapshot(1), opts)
	if err != nil {
		m.t.Fatalf("NewPlan(%v): %v", opts.Filter, err)
	}
	return p
}

// rowStrings drains rr into sorted "col=value,..." strings and releases it.
func rowStrings(t *testing.T, rr array.RecordReader) []string {
	t.Helper()
	defer rr.Release()
	var out []string
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			parts := make([]string, rec.NumCols())
			for j, f := range rec.Schema().Fields() {
				v := cellValue(rec.Column(j), i)
				if v == nil {
					v = "NULL"
				}
				parts[j] = fmt.Sprintf("%s=%v", f.Name, v)
			}
			out = append(out, strings.Join(parts, ","))
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	slices.Sort(out)
	return out
}

// scanRows reads a whole plan.
func scanRows(t *testing.T, st lsio.Storage, p *Plan) []string {
	t.Helper()
	return rowStrings(t, p.Scan(context.Background(), st))
}

// peopleRows returns rows with ids from..to-1, dt alternating x and y.
func peopleRows(from, to int) []row {
	var rows []row
	for i := from; i < to; i++ {
		rows = append(rows, row{"id": int64(i), "name": "n", "score": 1.0, "dt": []string{"x", "y"}[i%2]})
	}
	return rows
}

func bucketOf(t *testing.T, id int64, buckets int) int {
	t.Helper()
	b, err := bucket.Value([]arrow.DataType{arrow.PrimitiveTypes.Int64}, []any{id}, buckets)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPruning(t *testing.T) {
	m := peopleTable(t)
	m.write(1, peopleSchema, 0, peopleRows(0, 200))
	m.write(2, peopleSchema, 0, []row{{"id": int64(7), "name": "seven", "score": 7.0, "dt": "y"}})
	// 2 partitions x 4 buckets, one file each from write 1, plus one file.
	b7 := bucketOf(t, 7, 4)
	for _, c := range []struct {
		name   string
		opts   ScanOptions
		tasks  int
		stats  PruneStats
		want   []string
		nrows  int // when want is nil
		bucket int // when >= 0, the bucket every task must have
	}{
		{
			name:  "point lookup",
			opts:  ScanOptions{Filter: And(Eq("id", 7), Eq("dt", "y"))},
			tasks: 1, bucket: b7,
			stats: PruneStats{Partitions: 2, PartitionsPruned: 1, Buckets: 8, BucketsPruned: 3, Files: 9, FilesPruned: 7},
			want:  []string{"id=7,name=seven,score=7,dt=y"},
		},
		{
			// Bucket pruning leaves bucket b7 of both partitions; x's file
			// there holds even keys above 7 only (none of 0, 2, 4, 6 hashes
			// to b7), so its key bounds prune it too.
			name:  "key only",
			opts:  ScanOptions{Filter: Eq("id", int32(7)), Columns: []string{"id", "name"}},
			tasks: 1, bucket: b7,
			stats: PruneStats{Partitions: 2, Buckets: 8, BucketsPruned: 6, Files: 9, FilesPruned: 7},
			want:  []string{"id=7,name=seven"},
		},
		{
			name:  "partition only",
			opts:  ScanOptions{Filter: Eq("dt", "x"), Columns: []string{"id"}, Limit: 3},
			tasks: 4, bucket: -1,
			stats: PruneStats{Partitions: 2, PartitionsPruned: 1, Buckets: 8, Files: 9, FilesPruned: 5},
			nrows: 3,
		},
		{
			name:  "in",
			opts:  ScanOptions{Filter: In("id", 3, 150, 999), Columns: []string{"id"}},
			tasks: -1, bucket: -1,
			want: []string{"id=150", "id=3"},
		},
		{
			name:  "range",
			opts:  ScanOptions{Filter: And(Ge("id", 195), Lt("id", 198)), Columns: []string{"id"}},
			tasks: -1, bucket: -1,
			want: []string{"id=195", "id=196", "id=197"},
		},
		{
			name:  "beyond every key",
			opts:  ScanOptions{Filter: Gt("id", 1000)},
			tasks: 0, bucket: -1,
			stats: PruneStats{Partitions: 2, Buckets: 8, Files: 9, FilesPruned: 9},
		},
		{
			name:  "limit",
			opts:  ScanOptions{Limit: 5},
			tasks: 8, bucket: -1,
			stats: PruneStats{Partitions: 2, Buckets: 8, Files: 9},
			nrows: 5,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := m.plan(c.opts)
			if c.tasks >= 0 && len(p.Tasks) != c.tasks {
				t.Fatalf("tasks = %d, want %d (stats %+v)", len(p.Tasks), c.tasks, p.Stats())
			}
			if c.stats != (PruneStats{}) && p.Stats() != c.stats {
				t.Fatalf("stats = %+v, want %+v", p.Stats(), c.stats)
			}
			for _, task := range p.Tasks {
				if c.bucket >= 0 && task.Bucket != c.bucket {
					t.Fatalf("task of bucket %d, want %d", task.Bucket, c.bucket)
				}
				if !slices.IsSortedFunc(task.Files, func(a, b catalog.DataFile) int { return cmp.Compare(a.Seq, b.Seq) }) {
					t.Fatalf("task files not sorted by seq: %+v", task.Files)
				}
			}
			got := scanRows(t, m.st, p)
			if c.want != nil || c.nrows == 0 {
				if !slices.Equal(got, c.want) {
					t.Fatalf("rows = %v, want %v", got, c.want)
				}
			} else if len(got) != c.nrows {
				t.Fatalf("%d rows, want %d: %v", len(got), c.nrows, got)
			}
		})
	}
}

// A key whose newest value stopped matching a non-key predicate must not be
// returned, even though an older version of the row matches.
func TestNonKeyPredicateAfterMerge(t *testing.T) {
	m := newMemTable(t, peopleSchema, []string{"id"}, []string{"dt"}, 4)
	m.write(1, peopleSchema, 0, []row{{"id": int64(1), "name": "a", "score": 90.0, "dt": "d"}, {"id": int64(2), "name": "b", "score": 95.0, "dt": "d"}})
	m.write(2, schemaOf(peopleSchema.Field(0), peopleSchema.Field(2), peopleSchema.Field(3)), 0, []row{{"id": int64(1), "score": 10.0, "dt": "d"}})
	m.write(3, schemaOf(peopleSchema.Field(0), peopleSchema.Field(1), peopleSchema.Field(3)), 0, []row{{"id": int64(2), "name": "z", "dt": "d"}})
	for _, c := range []struct {
		opts ScanOptions
		want []string
	}{
		{ScanOptions{Filter: Gt("score", 50)}, []string{"id=2,name=z,score=95,dt=d"}},
		{ScanOptions{Filter: Eq("name", "a")}, []string{"id=1,name=a,score=10,dt=d"}},
		{ScanOptions{Filter: Eq("name", "b")}, nil},
		{ScanOptions{Filter: Or(Gt("score", 50), Eq("name", "a")), Columns: []string{"id"}}, []string{"id=1", "id=2"}},
		{ScanOptions{Filter: And(Eq("id", 1), Gt("score", 50))}, nil},
	} {
		t.Run(c.opts.Filter.String(), func(t *testing.T) {
			if got := scanRows(t, m.st, m.plan(c.opts)); !slices.Equal(got, c.want) {
				t.Fatalf("rows = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPlanValidation(t *testing.T) {
	m := peopleTable(t)
	m.write(1, peopleSchema, 0, peopleRows(0, 10))
	withOp := *m.tbl
	withOp.Properties = map[string]string{catalog.PropMergeOpPrefix + "score": "median"}
	for _, c := range []struct {
		name    string
		tbl     *catalog.Table
		opts    ScanOptions
		invalid bool // the error wraps ErrInvalidFilter
	}{
		{"unknown column", m.tbl, ScanOptions{Columns: []string{"id", "nope"}}, true},
		{"column twice", m.tbl, ScanOptions{Columns: []string{"id", "id"}}, true},
		{"filter on unknown column", m.tbl, ScanOptions{Filter: Eq("nope", 1)}, true},
		{"mistyped literal", m.tbl, ScanOptions{Filter: Eq("id", "not a number")}, true},
		{"comparison with NULL", m.tbl, ScanOptions{Filter: Lt("score", nil)}, true},
		{"nested mistyped literal", m.tbl, ScanOptions{Filter: Or(IsNull("name"), Not(In("dt", 1.5)))}, true},
		{"unknown merge operator", &withOp, ScanOptions{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			snap := m.snapshot(1)
			snap.Table = c.tbl
			_, err1 := NewPlan(snap, c.opts)
			_, err2 := PlanTasks(c.tbl, 1, c.opts, []Task{{Partition: "dt=x", Files: m.files[:1]}})
			for _, err := range []error{err1, err2} {
				if err == nil || errors.Is(err, ErrInvalidFilter) != c.invalid {
					t.Fatalf("NewPlan: %v; PlanTasks: %v", err1, err2)
				}
			}
			if err1.Error() != err2.Error() {
				t.Fatalf("NewPlan: %v; PlanTasks: %v", err1, err2)
			}
		})
	}
	if _, err := PlanTasks(nil, 1, ScanOptions{}, nil); err == nil {
		t.Fatal("PlanTasks without a table succeeded")
	}
}

func TestPlanTasks(t *testing.T) {
	m := peopleTable(t)
	m.write(1, peopleSchema, 0, peopleRows(0, 300))
	m.write(2, peopleSchema, 0, peopleRows(100, 130))
	m.write(3, schemaOf(peopleSchema.Field(0), peopleSchema.Field(1), peopleSchema.Field(3)), 0,
		[]row{{"id": int64(5), "name": "five", "dt": "y"}, {"id": int64(120), "name": "x120", "dt": "x"}})
	for _, opts := range []ScanOptions{
		{},
		{Filter: Eq("id", 5)},
		{Filter: And(Ge("id", 100), Lt("id", 140), Eq("dt", "x")), Columns: []string{"name", "id"}},
		{Filter: Or(Eq("name", "five"), Lt("id", 3)), Columns: []string{"id"}},
		{Filter: Gt("id", 10_000)},
		{Limit: 7, Columns: []string{"dt"}},
	} {
		name := fmt.Sprintf("%v limit %d", opts.Filter, opts.Limit)
		t.Run(name, func(t *testing.T) {
			opts.Allocator = m.mem
			full := m.plan(opts)
			snap := full.Snapshot
			re, err := PlanTasks(m.tbl, snap.Version, opts, full.Tasks)
			if err != nil {
				t.Fatal(err)
			}
			if re.Snapshot.Version != snap.Version || re.Snapshot.Table != m.tbl || re.Snapshot.Files != nil {
				t.Fatalf("snapshot %+v", re.Snapshot)
			}
			if re.Stats() != (PruneStats{}) {
				t.Fatalf("stats %+v", re.Stats())
			}
			if !re.Schema.Equal(full.Schema) {
				t.Fatalf("schema %v, want %v", re.Schema, full.Schema)
			}
			want := scanRows(t, m.st, full)
			got := scanRows(t, m.st, re)
			if opts.Limit > 0 {
				if len(got) != int(opts.Limit) || len(want) != int(opts.Limit) {
					t.Fatalf("limit %d: %d and %d rows", opts.Limit, len(got), len(want))
				}
			} else if !slices.Equal(got, want) {
				t.Fatalf("PlanTasks rows %v\nNewPlan rows %v", got, want)
			}
			if opts.Limit > 0 {
				return
			}
			// PlanTasks prunes nothing: over the unpruned tasks it opens
			// every file and still yields the same rows.
			unpruned := m.plan(ScanOptions{}).Tasks
			all, err := PlanTasks(m.tbl, snap.Version, opts, unpruned)
			if err != nil {
				t.Fatal(err)
			}
			m.st.takeOpened()
			if got := scanRows(t, m.st, all); !slices.Equal(got, want) {
				t.Fatalf("over unpruned tasks %v, want %v", got, want)
			}
			if opened := m.st.takeOpened(); len(opened) != len(m.files) {
				t.Fatalf("over unpruned tasks opened %d files, want %d", len(opened), len(m.files))
			}
			// Each task alone reads its own files and yields its own rows;
			// together the tasks yield the plan's rows.
			var union []string
			for _, task := range full.Tasks {
				sub, err := PlanTasks(m.tbl, snap.Version, opts, []Task{task})
				if err != nil {
					t.Fatal(err)
				}
				m.st.takeOpened()
				rows := scanRows(t, m.st, sub)
				var paths []string
				for _, f := range task.Files {
					paths = append(paths, f.Path)
				}
				slices.Sort(paths)
				if opened := m.st.takeOpened(); !slices.Equal(opened, paths) {
					t.Fatalf("task %s/%d opened %v, want %v", task.Partition, task.Bucket, opened, paths)
				}
				rr, err := full.OpenTask(context.Background(), m.st, task)
				if err != nil {
					t.Fatal(err)
				}
				if direct := rowStrings(t, rr); !slices.Equal(rows, direct) {
					t.Fatalf("task %s/%d: %v, OpenTask gives %v", task.Partition, task.Bucket, rows, direct)
				}
				union = append(union, rows...)
			}
			slices.Sort(union)
			if !slices.Equal(union, want) {
				t.Fatalf("tasks one by one gave %v, want %v", union, want)
			}
		})
	}
}

// A subset of the tasks reads exactly those tasks, in the order given.
func TestPlanTasksSubset(t *testing.T) {
	m := peopleTable(t)
	m.write(1, peopleSchema, 0, peopleRows(0, 100))
	full := m.plan(ScanOptions{Columns: []string{"id", "dt"}})
	if len(full.Tasks) != 8 {
		t.Fatalf("%d tasks, want 8", len(full.Tasks))
	}
	subset := []Task{full.Tasks[5], full.Tasks[0], full.Tasks[6]}
	p, err := PlanTasks(m.tbl, 1, ScanOptions{Columns: []string{"id", "dt"}, Parallelism: 1, Allocator: m.mem}, subset)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range peopleRows(0, 100) {
		for _, task := range subset {
			if "dt="+r["dt"].(string) == task.Partition && bucketOf(t, r["id"].(int64), 4) == task.Bucket {
				want = append(want, fmt.Sprintf("id=%d,dt=%s", r["id"], r["dt"]))
			}
		}
	}
	slices.Sort(want)
	m.st.takeOpened()
	got := scanRows(t, m.st, p)
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	var paths []string
	for _, task := range subset {
		paths = append(paths, task.Files[0].Path)
	}
	slices.Sort(paths)
	if opened := m.st.takeOpened(); !slices.Equal(opened, paths) {
		t.Fatalf("opened %v, want %v", opened, paths)
	}
	if !slices.EqualFunc(p.Tasks, subset, func(a, b Task) bool { return a.Partition == b.Partition && a.Bucket == b.Bucket }) {
		t.Fatalf("tasks reordered: %+v", p.Tasks)
	}
}

func TestBelowAboveMerge(t *testing.T) {
	keyed := peopleTable(t)
	unkeyed := newMemTable(t, peopleSchema, nil, []string{"dt"}, 1)
	for _, c := range []struct {
		name  string
		m     *memTable
		f     Expr
		below []string
		above string
	}{
		{"no filter", keyed, nil, nil, ""},
		{"key only", keyed, And(Eq("id", 1), Lt("id", 9)), []string{"id = 1", "id < 9"}, ""},
		{"mixed", keyed, And(Eq("id", 1), Eq("dt", "x"), Gt("score", 2)), []string{"id = 1"}, "(dt = 'x') AND (score > 2)"},
		{"one above", keyed, And(In("id", 1, 2), IsNull("name")), []string{"id IN (1, 2)"}, "name IS NULL"},
		{"or over key and value", keyed, Or(Eq("id", 1), Eq("name", "a")), nil, "(id = 1) OR (name = 'a')"},
		{"nested and", keyed, And(And(Ge("id", 1), Eq("name", "a")), Not(Eq("id", 3))), []string{"id >= 1", "NOT (id = 3)"}, "name = 'a'"},
		{"no key", unkeyed, And(Eq("id", 1), Gt("score", 2)), []string{"id = 1", "score > 2"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.m.plan(ScanOptions{Filter: c.f})
			var below []string
			for _, e := range p.BelowMerge() {
				below = append(below, e.String())
			}
			if !slices.Equal(below, c.below) {
				t.Fatalf("BelowMerge = %q, want %q", below, c.below)
			}
			above := ""
			if e := p.AboveMerge(); e != nil {
				above = e.String()
			}
			if above != c.above {
				t.Fatalf("AboveMerge = %q, want %q", above, c.above)
			}
		})
	}
}

func TestRowGroups(t *testing.T) {
	// One bucket, three runs with disjoint key ranges, row groups of 10 rows.
	m := newMemTable(t, peopleSchema, []string{"id"}, nil, 1)
	for seq := range 3 {
		m.write(int64(seq+1), peopleSchema, 10, peopleRows(seq*100, seq*100+100))
	}
	for _, c := range []struct {
		name          string
		f             Expr
		files         int // files planned
		total, kept   int
		wantRowsCount int
	}{
		{"no filter", nil, 3, 30, 30, 300},
		{"non-key filter", Eq("name", "n"), 3, 30, 30, 300},
		{"key range in one file", And(Ge("id", 150), Lt("id", 160)), 1, 10, 1, 10},
		{"key range over two row groups", And(Ge("id", 155), Le("id", 165)), 1, 10, 2, 11},
		{"point", Eq("id", 42), 1, 10, 1, 1},
		{"in", In("id", 5, 205), 2, 20, 2, 2},
		{"no match", Gt("id", 1000), 0, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := m.plan(ScanOptions{Filter: c.f, Columns: []string{"id"}})
			files := 0
			for _, task := range p.Tasks {
				files += len(task.Files)
			}
			if files != c.files {
				t.Fatalf("%d files planned, want %d", files, c.files)
			}
			total, kept, err := p.RowGroups(context.Background(), m.st)
			if err != nil {
				t.Fatal(err)
			}
			if total != c.total || kept != c.kept {
				t.Fatalf("row groups %d of %d, want %d of %d", kept, total, c.kept, c.total)
			}
			if got := scanRows(t, m.st, p); len(got) != c.wantRowsCount {
				t.Fatalf("%d rows, want %d", len(got), c.wantRowsCount)
			}
		})
	}
	// A missing file is an error.
	p, err := PlanTasks(m.tbl, 1, ScanOptions{}, []Task{{Files: []catalog.DataFile{{Path: "t1/missing.parquet"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.RowGroups(context.Background(), m.st); !errors.Is(err, lsio.ErrNotExist) {
		t.Fatalf("RowGroups over a missing file: %v", err)
	}
}

// Releasing a scan early stops its goroutines and frees what it buffered.
func TestScanEarlyRelease(t *testing.T) {
	m := peopleTable(t)
	m.write(1, peopleSchema, 0, peopleRows(0, 2000))
	for _, parallelism := range []int{1, 2, 8} {
		for _, batches := range []int{0, 1, 5} {
			t.Run(fmt.Sprintf("parallelism %d, %d batches", parallelism, batches), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				p := m.plan(ScanOptions{BatchSize: 16, Parallelism: parallelism, Allocator: mem})
				rr := p.Scan(context.Background(), m.st)
				for range batches {
					if !rr.Next() {
						t.Fatalf("batch missing: %v", rr.Err())
					}
				}
				rr.Release()
				goleak.VerifyNone(t)
				mem.AssertSize(t, 0)
			})
		}
	}
}
