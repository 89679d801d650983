package txn

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
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
	modelSeed  = flag.Uint64("model.seed", 0, "seed of the randomized model test (0: random)")
	modelSteps = flag.Int("model.steps", 0, "steps of the randomized model test (0: default)")
)

// mrow is one row of the reference model; nil is NULL.
type mrow map[string]*string

// modelConfig is one table shape the model test runs against.
type modelConfig struct {
	name        string
	keyType     arrow.DataType
	key         func(n int) any // key value for key number n
	partitioned bool
	buckets     int
}

var modelConfigs = []modelConfig{
	{name: "int64-key-partitioned", keyType: arrow.PrimitiveTypes.Int64, key: func(n int) any { return int64(n) }, partitioned: true, buckets: 4},
	{name: "string-key", keyType: arrow.BinaryTypes.String, key: func(n int) any { return fmt.Sprintf("k%03d", n) }, buckets: 3},
}

func TestRandomizedModel(t *testing.T) {
	for _, cfg := range modelConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			seed := *modelSeed
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			steps := *modelSteps
			if steps == 0 {
				// Fewer steps than the 1200 run before schema changes were
				// part of the model: its extra columns make each step
				// dearer, and the whole run about as long as before.
				steps = 1000
				if testing.Short() {
					steps = 150
				}
			}
			t.Logf("seed %d (rerun with -model.seed=%d), %d steps", seed, seed, steps)
			m := newModel(t, cfg, seed)
			for i := 0; i < steps; i++ {
				m.step(i)
				if t.Failed() {
					t.Fatalf("failed at step %d; reproduce with -run 'TestRandomizedModel/%s' -model.seed=%d", i, cfg.name, seed)
				}
			}
			t.Logf("final version %d, %d live keys; ops %v", m.head, len(m.state), m.counts)
		})
	}
}

type model struct {
	t      *testing.T
	e      *env
	cfg    modelConfig
	seed   uint64
	r      *rand.Rand
	tbl    *catalog.Table
	schema *arrow.Schema
	state  map[string]mrow           // key "dt/id" -> row
	hist   map[int64]map[string]mrow // version -> state
	head   int64
	oldest int64 // the oldest version that can be read
	counts map[string]int
	// extras are the columns schema changes added (model_schema_test.go);
	// histCols are the columns of each version.
	extras   []*mcol
	nextCol  int
	histCols map[int64][]colRef
}

// modelAlterPct is the share of steps, in percent, that change the schema.
var modelAlterPct = 3

var modelColumns = []string{"id", "dt", "name", "score", "tag"}

func newModel(t *testing.T, cfg modelConfig, seed uint64) *model {
	e := newEnv(t, localStorage)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: cfg.keyType},
		{Name: "dt", Type: arrow.BinaryTypes.String},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	spec := catalog.TableSpec{Name: "model", Schema: schema, PrimaryKey: []string{"id"}, HashBucketNum: cfg.buckets}
	if cfg.partitioned {
		spec.PartitionBy = []string{"dt"}
	}
	m := &model{
		t: t, e: e, cfg: cfg, seed: seed, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		tbl: e.table(spec), schema: schema,
		state: map[string]mrow{}, hist: map[int64]map[string]mrow{0: {}},
		counts: map[string]int{},
	}
	m.histCols = map[int64][]colRef{0: m.refs()}
	return m
}

func sp(s string) *string { return &s }

func (m *model) keyText(n int) string { return fmt.Sprint(m.cfg.key(n)) }

// dt returns a partition value; unpartitioned tables still carry the column
// but then it is part of the row, so keys are unique across it: use one value.
func (m *model) dt() string {
	if !m.cfg.partitioned {
		return "all"
	}
	return []string{"p0", "p1", "p2"}[m.r.IntN(3)]
}

func (m *model) randName() *string {
	if m.r.IntN(6) == 0 {
		return nil
	}
	return sp([]string{"ann", "bob", "cy", "dee"}[m.r.IntN(4)])
}

func (m *model) randScore() *string {
	if m.r.IntN(8) == 0 {
		return nil
	}
	return sp(strconv.Itoa(m.r.IntN(100)))
}

func (m *model) randTag() *string {
	if m.r.IntN(3) == 0 {
		return nil
	}
	return sp(fmt.Sprintf("t%d", m.r.IntN(1000)))
}

func (m *model) step(i int) {
	switch x := m.r.IntN(100); {
	case x < 30:
		m.upsert(false)
	case x < 48:
		m.upsert(true)
	case x < 56:
		m.deleteKeys()
	case x < 62:
		m.deleteWhere()
	case x < 68:
		m.updateWhere()
	case x < 71:
		m.compact()
	case x < 73:
		m.rollback()
	case x < 75:
		m.expire()
	case x < 78:
		m.timeTravel()
	case x < 78+modelAlterPct:
		m.alterSchema()
	default:
		m.read()
	}
	m.checkFull()
}

// commit records a new version of the model.
func (m *model) commit(cm *catalog.Commit, op string) {
	m.counts[op]++
	if cm == nil {
		return
	}
	if cm.Version != m.head+1 {
		m.t.Fatalf("%s committed version %d after %d", op, cm.Version, m.head)
	}
	m.head = cm.Version
	m.hist[m.head] = cloneState(m.state)
	m.histCols[m.head] = m.refs()
}

func cloneState(s map[string]mrow) map[string]mrow {
	out := make(map[string]mrow, len(s))
	for k, r := range s {
		out[k] = maps.Clone(r)
	}
	return out
}

// upsert writes a batch of random rows, possibly with repeated keys and,
// when partial, only some value columns.
func (m *model) upsert(partial bool) {
	cols := []string{"id", "dt", "name", "score", "tag"}
	if partial {
		cols = []string{"id", "dt"}
		for _, c := range []string{"name", "score", "tag"} {
			if m.r.IntN(2) == 0 {
				cols = append(cols, c)
			}
		}
	}
	var extras []*mcol
	for _, x := range m.extras {
		if m.r.IntN(2) == 0 {
			extras = append(extras, x)
		}
	}
	n := 1 + m.r.IntN(30)
	rows := make([]mrow, n)
	for i := range rows {
		row := mrow{"id": sp(m.keyText(m.r.IntN(60))), "dt": sp(m.dt())}
		for _, c := range cols[2:] {
			switch c {
			case "name":
				row[c] = m.randName()
			case "score":
				row[c] = m.randScore()
			case "tag":
				row[c] = m.randTag()
			}
		}
		for _, x := range extras {
			row[x.key] = m.randExtraValue(x)
		}
		rows[i] = row
	}
	refs := make([]colRef, 0, len(cols)+len(extras))
	for _, c := range cols {
		refs = append(refs, colRef{c, c})
	}
	for _, x := range extras {
		refs = append(refs, colRef{x.key, x.name})
		cols = append(cols, x.name)
	}
	rec := m.buildRefs(refs, rows)
	m.fillDefaults(cols, rows)
	defer rec.Release()
	cm, err := m.e.w.Upsert(m.e.ctx, m.tbl, rec)
	if err != nil {
		m.t.Fatalf("upsert: %v", err)
	}
	for _, row := range rows {
		k := *row["dt"] + "/" + *row["id"]
		cur, ok := m.state[k]
		if !ok {
			cur = mrow{}
			for _, c := range modelColumns {
				cur[c] = nil
			}
			m.state[k] = cur
		}
		for c, v := range row {
			cur[c] = v
		}
	}
	m.commit(cm, map[bool]string{false: "upsert", true: "partial"}[partial])
}

// build makes a record of the given columns from model rows.
func (m *model) build(cols []string, rows []mrow) arrow.RecordBatch {
	refs := make([]colRef, len(cols))
	for i, c := range cols {
		refs[i] = colRef{c, c}
	}
	return m.buildRefs(refs, rows)
}

// buildRefs makes a record of the given columns from model rows.
func (m *model) buildRefs(refs []colRef, rows []mrow) arrow.RecordBatch {
	fields := make([]arrow.Field, len(refs))
	for i, c := range refs {
		f, _ := m.schema.FieldsByName(c.name)
		fields[i] = f[0]
	}
	b := array.NewRecordBuilder(m.e.mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, row := range rows {
		for i, c := range refs {
			v := row[c.key]
			if v == nil {
				b.Field(i).AppendNull()
			} else if err := b.Field(i).AppendValueFromString(*v); err != nil {
				m.t.Fatal(err)
			}
		}
	}
	return b.NewRecordBatch()
}

func (m *model) deleteKeys() {
	n := 1 + m.r.IntN(6)
	rows := make([]mrow, n)
	for i := range rows {
		rows[i] = mrow{"id": sp(m.keyText(m.r.IntN(60))), "dt": sp(m.dt())}
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

// filter is a predicate together with its reference evaluation.
type filter struct {
	expr  mor.Expr
	match func(mrow) bool
}

func intOf(s *string) (int, bool) {
	if s == nil {
		return 0, false
	}
	n, err := strconv.Atoi(*s)
	return n, err == nil
}

func (m *model) randFilter() filter {
	x := m.r.IntN(100)
	name := []string{"ann", "bob", "cy", "dee"}[m.r.IntN(4)]
	k1, k2 := m.r.IntN(60), m.r.IntN(60)
	if k1 > k2 {
		k1, k2 = k2, k1
	}
	keyIn := func(r mrow, lo, hi int) bool { // key number within [lo, hi)
		for n := lo; n < hi; n++ {
			if *r["id"] == m.keyText(n) {
				return true
			}
		}
		return false
	}
	y := m.r.IntN(100)
	lo, hi := min(x, y), max(x, y)
	name2 := []string{"ann", "bob", "cy", "dee"}[m.r.IntN(4)]
	switch m.r.IntN(15) {
	case 10: // a range on a value column
		return filter{mor.And(mor.Ge("score", lo), mor.Le("score", hi)), func(r mrow) bool {
			v, ok := intOf(r["score"])
			return ok && v >= lo && v <= hi
		}}
	case 11: // an IN-list on a value column
		return filter{mor.In("name", name, name2), func(r mrow) bool {
			return r["name"] != nil && (*r["name"] == name || *r["name"] == name2)
		}}
	case 12:
		return filter{mor.Or(mor.And(mor.Ge("score", lo), mor.Lt("score", hi)), mor.IsNull("tag")), func(r mrow) bool {
			v, ok := intOf(r["score"])
			return (ok && v >= lo && v < hi) || r["tag"] == nil
		}}
	case 13:
		return filter{mor.And(mor.Eq("name", name), mor.Gt("score", x)), func(r mrow) bool {
			v, ok := intOf(r["score"])
			return r["name"] != nil && *r["name"] == name && ok && v > x
		}}
	case 14: // an IN-list of keys
		keys := []any{m.cfg.key(k1), m.cfg.key(k2)}
		for range 4 {
			keys = append(keys, m.cfg.key(m.r.IntN(60)))
		}
		return filter{mor.In("id", keys...), func(r mrow) bool {
			for _, k := range keys {
				if *r["id"] == fmt.Sprint(k) {
					return true
				}
			}
			return false
		}}
	case 0:
		return filter{mor.Gt("score", x), func(r mrow) bool { v, ok := intOf(r["score"]); return ok && v > x }}
	case 1:
		return filter{mor.Eq("name", name), func(r mrow) bool { return r["name"] != nil && *r["name"] == name }}
	case 2:
		return filter{mor.In("id", m.cfg.key(k1), m.cfg.key(k2), m.cfg.key(7)), func(r mrow) bool {
			return keyIn(r, k1, k1+1) || keyIn(r, k2, k2+1) || keyIn(r, 7, 8)
		}}
	case 3:
		return filter{mor.And(mor.Ge("id", m.cfg.key(k1)), mor.Lt("id", m.cfg.key(k2))), func(r mrow) bool { return keyIn(r, k1, k2) }}
	case 4:
		dt := m.dt()
		return filter{mor.And(mor.Eq("dt", dt), mor.Le("score", x)), func(r mrow) bool {
			v, ok := intOf(r["score"])
			return *r["dt"] == dt && ok && v <= x
		}}
	case 5:
		return filter{mor.IsNull("name"), func(r mrow) bool { return r["name"] == nil }}
	case 6:
		return filter{mor.Not(mor.Gt("score", x)), func(r mrow) bool { v, ok := intOf(r["score"]); return ok && !(v > x) }}
	case 7:
		return filter{mor.Or(mor.Lt("score", x), mor.Eq("name", name)), func(r mrow) bool {
			v, ok := intOf(r["score"])
			return (ok && v < x) || (r["name"] != nil && *r["name"] == name)
		}}
	case 8:
		return filter{mor.Eq("id", m.cfg.key(k1)), func(r mrow) bool { return keyIn(r, k1, k1+1) }}
	default:
		return filter{mor.And(mor.Eq("id", m.cfg.key(k1)), mor.IsNotNull("tag")), func(r mrow) bool {
			return keyIn(r, k1, k1+1) && r["tag"] != nil
		}}
	}
}

func (m *model) deleteWhere() {
	f := m.randFilter()
	cm, n, err := m.e.w.Delete(m.e.ctx, m.tbl, f.expr)
	if err != nil {
		m.t.Fatalf("delete where %s: %v", f.expr, err)
	}
	want := 0
	for k, r := range m.state {
		if f.match(r) {
			delete(m.state, k)
			want++
		}
	}
	if int(n) != want {
		m.t.Errorf("delete where %s: %d rows, model says %d", f.expr, n, want)
	}
	if (cm == nil) != (want == 0) {
		m.t.Errorf("delete where %s: commit %v with %d rows", f.expr, cm != nil, want)
	}
	m.commit(cm, "deletewhere")
}

// updateWhere sets tag = 'u<step>' and score = score + 1 on matching rows.
func (m *model) updateWhere() {
	f := m.randFilter()
	tag := fmt.Sprintf("u%d", m.r.IntN(1000))
	fn := func(ctx context.Context, rows arrow.RecordBatch) (arrow.RecordBatch, error) {
		score := rows.Column(rows.Schema().FieldIndices("score")[0]).(*array.Int64)
		sb := array.NewInt64Builder(m.e.mem)
		defer sb.Release()
		tb := array.NewStringBuilder(m.e.mem)
		defer tb.Release()
		for i := 0; i < score.Len(); i++ {
			if score.IsNull(i) {
				sb.AppendNull()
			} else {
				sb.Append(score.Value(i) + 1)
			}
			tb.Append(tag)
		}
		s, tg := sb.NewArray(), tb.NewArray()
		defer s.Release()
		defer tg.Release()
		return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{
			{Name: "score", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil), []arrow.Array{s, tg}, rows.NumRows()), nil
	}
	cm, n, err := m.e.w.Update(m.e.ctx, m.tbl, f.expr, fn)
	if err != nil {
		m.t.Fatalf("update where %s: %v", f.expr, err)
	}
	want := 0
	for _, r := range m.state {
		if f.match(r) {
			want++
			if v, ok := intOf(r["score"]); ok {
				r["score"] = sp(strconv.Itoa(v + 1))
			}
			r["tag"] = sp(tag)
		}
	}
	if int(n) != want {
		m.t.Errorf("update where %s: %d rows, model says %d", f.expr, n, want)
	}
	m.commit(cm, "updatewhere")
}

// rollback restores a random earlier version.
func (m *model) rollback() {
	if m.head == 0 {
		return
	}
	v := m.oldest + m.r.Int64N(m.head-m.oldest)
	cm, err := m.e.w.Rollback(m.e.ctx, m.tbl, atVersion(v))
	if err != nil {
		m.t.Fatalf("rollback to %d: %v", v, err)
	}
	m.state = cloneState(m.hist[v])
	m.rollbackColumns(v)
	m.commit(cm, "rollback")
}

// expire keeps a window of recent versions; time travel and rollbacks
// stay inside it.
func (m *model) expire() {
	retain := 3 + m.r.IntN(8)
	res, err := m.e.w.Expire(m.e.ctx, m.tbl, ExpireOptions{RetainLast: retain})
	if err != nil {
		m.t.Fatalf("expire keeping %d: %v", retain, err)
	}
	if want := max(m.oldest, m.head-int64(retain)+1); res.Oldest != want {
		m.t.Fatalf("expire keeping %d of %d..%d: oldest %d, want %d", retain, m.oldest, m.head, res.Oldest, want)
	}
	for v := m.oldest; v < res.Oldest; v++ {
		delete(m.hist, v)
		delete(m.histCols, v)
	}
	m.oldest = res.Oldest
	m.counts["expire"]++
	if m.oldest > 0 {
		v := m.r.Int64N(m.oldest)
		if _, err := m.e.scanErr(m.tbl, atVersion(v), mor.ScanOptions{}); !errors.Is(err, catalog.ErrExpired) {
			m.t.Fatalf("reading expired version %d (oldest %d): err = %v, want ErrExpired", v, m.oldest, err)
		}
	}
}

func (m *model) compact() {
	cm, err := m.e.w.Compact(m.e.ctx, m.tbl, CompactOptions{MinFiles: 1 + m.r.IntN(4)})
	if err != nil {
		m.t.Fatalf("compact: %v", err)
	}
	m.commit(cm, "compact")
}

// expect renders the model rows matching f with the given columns, sorted.
func expect(state map[string]mrow, cols []colRef, match func(mrow) bool) []string {
	var out []string
	for _, r := range state {
		if match != nil && !match(r) {
			continue
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			v := "NULL"
			if r[c.key] != nil {
				v = *r[c.key]
			}
			parts[i] = c.name + "=" + v
		}
		out = append(out, strings.Join(parts, ","))
	}
	sort.Strings(out)
	return out
}

func (m *model) randColumns() []colRef {
	cols := m.refs()
	m.r.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
	return cols[:1+m.r.IntN(len(cols))]
}

func (m *model) read() {
	f := m.randFilter()
	cols := m.randColumns()
	got := m.e.scan(m.tbl, latest(), mor.ScanOptions{Columns: refNames(cols), Filter: f.expr, BatchSize: 1 + m.r.IntN(50)})
	equalRows(m.t, fmt.Sprintf("read %v where %s", refNames(cols), f.expr), got, expect(m.state, cols, f.match))
	m.counts["read"]++
}

func (m *model) timeTravel() {
	v := m.oldest + m.r.Int64N(m.head-m.oldest+1)
	cols := m.histCols[v]
	got := m.e.scan(m.tbl, atVersion(v), mor.ScanOptions{Columns: refNames(cols)})
	equalRows(m.t, fmt.Sprintf("version %d of %d", v, m.head), got, expect(m.hist[v], cols, nil))
	m.counts["timetravel"]++
}

func (m *model) checkFull() {
	cols := m.refs()
	got := m.e.scan(m.tbl, latest(), mor.ScanOptions{Columns: refNames(cols)})
	equalRows(m.t, "full read", got, expect(m.state, cols, nil))
}
