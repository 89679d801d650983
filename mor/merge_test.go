package mor

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ---- randomized model test ----

// modelColumn is a value column of the model test.
type modelColumn struct {
	f   arrow.Field
	op  MergeOp
	gen func(r *rand.Rand) any
}

var modelColumns = []modelColumn{
	{field("a", arrow.PrimitiveTypes.Int64), MergeLast, func(r *rand.Rand) any { return r.Int64N(1000) }},
	{field("b", arrow.BinaryTypes.String), MergeLastNonNull, func(r *rand.Rand) any { return fmt.Sprintf("b%d", r.IntN(100)) }},
	{field("c", arrow.PrimitiveTypes.Int64), MergeSum, func(r *rand.Rand) any { return r.Int64N(100) - 50 }},
	{field("d", arrow.PrimitiveTypes.Float64), MergeSum, func(r *rand.Rand) any { return float64(r.IntN(100)) }},
	{field("e", arrow.BinaryTypes.String), MergeConcat, func(r *rand.Rand) any { return fmt.Sprintf("e%d", r.IntN(10)) }},
	{field("f", arrow.FixedWidthTypes.Boolean), MergeLast, func(r *rand.Rand) any { return r.IntN(2) == 0 }},
	{field("g", &arrow.Decimal128Type{Precision: 20, Scale: 2}), MergeLast, func(r *rand.Rand) any {
		return decimal128.New(r.Int64N(3)-1, r.Uint64())
	}},
	{field("h", arrow.FixedWidthTypes.Timestamp_us), MergeLastNonNull, func(r *rand.Rand) any { return arrow.Timestamp(r.Int64N(1e12)) }},
	{field("i", arrow.BinaryTypes.LargeString), MergeLast, func(r *rand.Rand) any { return strings.Repeat("i", r.IntN(5)) }},
	{field("cdc", arrow.BinaryTypes.String), MergeLast, func(r *rand.Rand) any {
		return []string{"insert", "update", "delete", "delete"}[r.IntN(4)]
	}},
}

// modelKey describes the key variants of the model test.
type modelKey struct {
	name   string
	fields []arrow.Field
	gen    func(r *rand.Rand, universe int) []any // one key, per key column
	cmp    func(a, b []any) int
}

var modelKeys = []modelKey{
	{
		name:   "int64",
		fields: []arrow.Field{field("k", arrow.PrimitiveTypes.Int64)},
		gen:    func(r *rand.Rand, u int) []any { return []any{r.Int64N(int64(u)) - int64(u)/2} },
		cmp:    func(a, b []any) int { return cmp.Compare(a[0].(int64), b[0].(int64)) },
	},
	{
		name:   "string",
		fields: []arrow.Field{field("k", arrow.BinaryTypes.String)},
		gen:    func(r *rand.Rand, u int) []any { return []any{fmt.Sprintf("%x", r.IntN(u))} },
		cmp:    func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) },
	},
	{
		name:   "int32+string",
		fields: []arrow.Field{field("k1", arrow.PrimitiveTypes.Int32), field("k2", arrow.BinaryTypes.String)},
		gen: func(r *rand.Rand, u int) []any {
			return []any{int32(r.IntN(4) - 2), []string{"", "a", "a\x00", "ab", "b", "\x00"}[r.IntN(6)] + fmt.Sprint(r.IntN(u/4+1))}
		},
		cmp: func(a, b []any) int {
			if c := cmp.Compare(a[0].(int32), b[0].(int32)); c != 0 {
				return c
			}
			return strings.Compare(a[1].(string), b[1].(string))
		},
	},
}

type modelRun struct {
	seq    int64
	schema *arrow.Schema
	rows   []row
}

// isDelete reports whether a model row deletes its key.
func isDelete(r row) bool {
	if v, ok := r[DeleteMarkerColumn]; ok && v != nil && v.(bool) {
		return true
	}
	v, ok := r["cdc"]
	return ok && v == "delete"
}

// referenceMerge merges the model runs with a map, the simple way.
func referenceMerge(mk modelKey, runs []modelRun, out *arrow.Schema, ops map[string]MergeOp) []row {
	byKey := map[string][]row{} // newest first
	keys := map[string][]any{}
	ordered := slices.Clone(runs)
	slices.SortFunc(ordered, func(a, b modelRun) int { return cmp.Compare(b.seq, a.seq) })
	for _, run := range ordered {
		for _, r := range run.rows {
			var kv []any
			for _, f := range mk.fields {
				kv = append(kv, r[f.Name])
			}
			id := fmt.Sprintf("%#v", kv)
			keys[id] = kv
			byKey[id] = append(byKey[id], r)
		}
	}
	var res [][]any
	var resRows []row
	for id, rows := range byKey {
		if isDelete(rows[0]) {
			continue
		}
		live := rows
		for i, r := range rows {
			if isDelete(r) {
				live = rows[:i]
				break
			}
		}
		o := row{}
		for _, f := range out.Fields() {
			if slices.ContainsFunc(mk.fields, func(kf arrow.Field) bool { return kf.Name == f.Name }) {
				o[f.Name] = rows[0][f.Name]
				continue
			}
			var vals []any // counting rows, newest first
			for _, r := range live {
				if v, ok := r[f.Name]; ok {
					vals = append(vals, v)
				}
			}
			var nonNull []any
			for _, v := range vals {
				if v != nil {
					nonNull = append(nonNull, v)
				}
			}
			var v any
			switch ops[f.Name] {
			case MergeLast:
				if len(vals) > 0 {
					v = vals[0]
				}
			case MergeLastNonNull:
				if len(nonNull) > 0 {
					v = nonNull[0]
				}
			case MergeSum:
				if len(nonNull) > 0 {
					switch nonNull[0].(type) {
					case int64:
						var s int64
						for _, x := range nonNull {
							s += x.(int64)
						}
						v = s
					case float64:
						var s float64
						for _, x := range nonNull {
							s += x.(float64)
						}
						v = s
					}
				}
			case MergeConcat:
				if len(nonNull) > 0 {
					var parts []string
					for i := len(nonNull) - 1; i >= 0; i-- {
						parts = append(parts, nonNull[i].(string))
					}
					v = strings.Join(parts, ",")
				}
			}
			o[f.Name] = v
		}
		res = append(res, keys[id])
		resRows = append(resRows, o)
	}
	idx := make([]int, len(res))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return mk.cmp(res[a], res[b]) })
	sorted := make([]row, len(idx))
	for i, j := range idx {
		sorted[i] = resRows[j]
	}
	return sorted
}

// randomModel draws the runs, output schema and options of one iteration.
func randomModel(r *rand.Rand, mk modelKey) ([]modelRun, *arrow.Schema, map[string]MergeOp) {
	universe := 4 + r.IntN(80)
	if r.IntN(10) == 0 {
		universe = 500 + r.IntN(1500) // long runs for the range fast paths
	}
	nruns := r.IntN(7)
	switch r.IntN(8) {
	case 0, 1:
		nruns = 1
	case 2:
		nruns = 7 + r.IntN(9) // deeper, unbalanced loser trees
	}
	seqs := r.Perm(nruns * 3)[:nruns]
	runs := make([]modelRun, nruns)
	for i := range runs {
		fields := slices.Clone(mk.fields)
		var present []modelColumn
		for _, c := range modelColumns {
			if r.IntN(10) < 6 {
				present = append(present, c)
				fields = append(fields, c.f)
			}
		}
		hasMarker := r.IntN(3) == 0
		if hasMarker {
			fields = append(fields, field(DeleteMarkerColumn, arrow.FixedWidthTypes.Boolean))
		}
		r.Shuffle(len(fields), func(a, b int) { fields[a], fields[b] = fields[b], fields[a] })
		// Draw distinct keys, then sort them.
		seen := map[string]bool{}
		var keys [][]any
		for n := r.IntN(universe); n > 0; n-- {
			k := mk.gen(r, universe)
			id := fmt.Sprintf("%#v", k)
			if !seen[id] {
				seen[id] = true
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, mk.cmp)
		rows := make([]row, len(keys))
		for ri, k := range keys {
			rw := row{}
			for ki, f := range mk.fields {
				rw[f.Name] = k[ki]
			}
			for _, c := range present {
				if r.IntN(5) == 0 {
					rw[c.f.Name] = nil
				} else {
					rw[c.f.Name] = c.gen(r)
				}
			}
			if hasMarker {
				switch r.IntN(10) {
				case 0, 1:
					rw[DeleteMarkerColumn] = true
				case 2:
					rw[DeleteMarkerColumn] = nil
				default:
					rw[DeleteMarkerColumn] = false
				}
			}
			rows[ri] = rw
		}
		runs[i] = modelRun{seq: int64(seqs[i]), schema: schemaOf(fields...), rows: rows}
	}
	// Output: a random non-empty projection in random order.
	var all []arrow.Field
	all = append(all, mk.fields...)
	ops := map[string]MergeOp{}
	for _, c := range modelColumns {
		all = append(all, c.f)
		ops[c.f.Name] = c.op
	}
	r.Shuffle(len(all), func(a, b int) { all[a], all[b] = all[b], all[a] })
	out := all[:1+r.IntN(len(all))]
	return runs, schemaOf(out...), ops
}

var modelSeed = flag.Uint64("merge.seed", 0, "run TestMergeModel for this seed only")

func TestMergeModel(t *testing.T) {
	iters := 250
	if testing.Short() {
		iters = 60
	}
	seed := uint64(time.Now().UnixNano())
	if *modelSeed != 0 {
		seed, iters = *modelSeed, 1
	}
	for _, mk := range modelKeys {
		t.Run(mk.name, func(t *testing.T) {
			for it := 0; it < iters; it++ {
				s := seed + uint64(it)
				if !runModelIteration(t, mk, s) {
					t.Fatalf("model mismatch with key %s; reproduce with: go test ./mor -run 'TestMergeModel/%s' -merge.seed %d",
						mk.name, mk.name, s)
				}
			}
		})
	}
}

// runModelIteration runs one randomized comparison; it reports false after
// logging the first difference.
func runModelIteration(t *testing.T, mk modelKey, seed uint64) bool {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	runs, out, ops := randomModel(r, mk)
	want := referenceMerge(mk, runs, out, ops)

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var inputs []Run
	for _, mr := range runs {
		sizes := make([]int, 1+r.IntN(4))
		for i := range sizes {
			sizes[i] = 1 + r.IntN(50)
			if r.IntN(10) == 0 {
				sizes[i] = 0
			}
		}
		inputs = append(inputs, newRun(mem, mr.schema, mr.seq, mr.rows, sizes...))
	}
	r.Shuffle(len(inputs), func(a, b int) { inputs[a], inputs[b] = inputs[b], inputs[a] })
	bs := 1 + r.IntN(50)
	tune := tuning{streak: 1 + r.IntN(5), zeroCopyMin: 1 + r.IntN(20), noPassthrough: r.IntN(2) == 0}
	opts := MergeOptions{PrimaryKey: fieldNames(mk.fields), Schema: out, MergeOps: ops, CDCColumn: "cdc", BatchSize: bs, Allocator: mem}
	rr, err := newMergeReader(context.Background(), inputs, opts, tune)
	if err != nil {
		t.Errorf("seed %d: NewMergeReader: %v", seed, err)
		return false
	}
	got, err := drain(t, rr, bs)
	if err != nil {
		t.Errorf("seed %d: merge: %v", seed, err)
		return false
	}
	if len(got) != len(want) {
		t.Errorf("seed %d: %d rows, want %d", seed, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("seed %d: row %d:\n got  %v\n want %v", seed, i, got[i], want[i])
			return false
		}
	}
	return len(got) == len(want)
}

func fieldNames(fs []arrow.Field) []string {
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	return names
}

// ---- edge cases ----

var (
	edgeK     = field("k", arrow.PrimitiveTypes.Int64)
	edgeA     = field("a", arrow.PrimitiveTypes.Int64)
	edgeB     = field("b", arrow.BinaryTypes.String)
	edgeDel   = field(DeleteMarkerColumn, arrow.FixedWidthTypes.Boolean)
	edgeCDC   = field("op", arrow.BinaryTypes.String)
	edgeFull  = schemaOf(edgeK, edgeA, edgeB)
	edgeOnlyA = schemaOf(edgeK, edgeA)
	edgeOnlyB = schemaOf(edgeK, edgeB)
	edgeDelS  = schemaOf(edgeK, edgeDel)
)

func TestMergeEdgeCases(t *testing.T) {
	type runSpec struct {
		schema *arrow.Schema
		seq    int64
		rows   []row
		sizes  []int
	}
	tests := []struct {
		name string
		runs []runSpec
		out  *arrow.Schema
		ops  map[string]MergeOp
		want []row
	}{
		{
			name: "no runs",
			out:  edgeFull,
		},
		{
			name: "empty runs",
			runs: []runSpec{{schema: edgeFull, seq: 1}, {schema: edgeFull, seq: 2, sizes: []int{0, 0}}},
			out:  edgeFull,
		},
		{
			name: "all deleted",
			runs: []runSpec{
				{schema: edgeFull, seq: 1, rows: []row{{"k": int64(1), "a": int64(1), "b": "x"}, {"k": int64(2), "a": int64(2), "b": "y"}}},
				{schema: edgeDelS, seq: 2, rows: []row{{"k": int64(1), DeleteMarkerColumn: true}, {"k": int64(2), DeleteMarkerColumn: true}}},
			},
			out: edgeFull,
		},
		{
			name: "delete then partial reinsert",
			runs: []runSpec{
				{schema: edgeFull, seq: 1, rows: []row{{"k": int64(1), "a": int64(1), "b": "x"}}},
				{schema: edgeDelS, seq: 2, rows: []row{{"k": int64(1), DeleteMarkerColumn: true}}},
				{schema: edgeOnlyA, seq: 3, rows: []row{{"k": int64(1), "a": int64(5)}}},
			},
			out:  edgeFull,
			want: []row{{"k": int64(1), "a": int64(5), "b": nil}},
		},
		{
			name: "null is a value, absence is not",
			runs: []runSpec{
				{schema: edgeFull, seq: 1, rows: []row{{"k": int64(1), "a": int64(1), "b": "x"}}},
				{schema: edgeOnlyB, seq: 2, rows: []row{{"k": int64(1), "b": nil}}},
			},
			out:  edgeFull,
			want: []row{{"k": int64(1), "a": int64(1), "b": nil}},
		},
		{
			name: "null delete marker is no delete",
			runs: []runSpec{
				{schema: edgeFull, seq: 1, rows: []row{{"k": int64(1), "a": int64(1), "b": "x"}}},
				{schema: schemaOf(edgeK, edgeA, edgeDel), seq: 2, rows: []row{{"k": int64(1), "a": int64(2), DeleteMarkerColumn: nil}}},
			},
			out:  edgeFull,
			want: []row{{"k": int64(1), "a": int64(2), "b": "x"}},
		},
		{
			name: "single run passthrough drops deletes and projects",
			runs: []runSpec{{schema: schemaOf(edgeB, edgeK, edgeDel), seq: 7, sizes: []int{2, 1}, rows: []row{
				{"k": int64(1), "b": "x", DeleteMarkerColumn: false},
				{"k": int64(2), "b": "y", DeleteMarkerColumn: true},
				{"k": int64(3), "b": nil, DeleteMarkerColumn: nil},
				{"k": int64(4), "b": "z", DeleteMarkerColumn: false},
			}}},
			out:  schemaOf(edgeA, edgeB),
			want: []row{{"a": nil, "b": "x"}, {"a": nil, "b": nil}, {"a": nil, "b": "z"}},
		},
		{
			name: "disjoint runs",
			runs: []runSpec{
				{schema: edgeFull, seq: 2, sizes: []int{3}, rows: seqRows(10, 16)},
				{schema: edgeFull, seq: 1, sizes: []int{2}, rows: seqRows(0, 6)},
				{schema: edgeOnlyA, seq: 3, rows: []row{{"k": int64(20), "a": int64(20)}}},
			},
			out:  edgeFull,
			want: append(append(seqRows(0, 6), seqRows(10, 16)...), row{"k": int64(20), "a": int64(20), "b": nil}),
		},
		{
			name: "cdc delete and cdc output",
			runs: []runSpec{
				{schema: schemaOf(edgeK, edgeA, edgeCDC), seq: 1, rows: []row{
					{"k": int64(1), "a": int64(1), "op": "insert"},
					{"k": int64(2), "a": int64(2), "op": "insert"},
				}},
				{schema: schemaOf(edgeK, edgeA, edgeCDC), seq: 2, rows: []row{
					{"k": int64(1), "a": int64(10), "op": "update"},
					{"k": int64(2), "a": nil, "op": "delete"},
				}},
			},
			out:  schemaOf(edgeK, edgeA, edgeCDC),
			want: []row{{"k": int64(1), "a": int64(10), "op": "update"}},
		},
		{
			name: "merge operators with partial runs",
			runs: []runSpec{
				{schema: edgeFull, seq: 1, rows: []row{{"k": int64(1), "a": int64(1), "b": "x"}}},
				{schema: edgeOnlyA, seq: 2, rows: []row{{"k": int64(1), "a": nil}}},
				{schema: edgeFull, seq: 3, rows: []row{{"k": int64(1), "a": int64(2), "b": nil}}},
				{schema: edgeOnlyB, seq: 4, rows: []row{{"k": int64(1), "b": "y"}}},
			},
			out:  schemaOf(edgeB, edgeA),
			ops:  map[string]MergeOp{"a": MergeSum, "b": MergeConcat},
			want: []row{{"a": int64(3), "b": "x,y"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var runs []Run
			for _, rs := range tc.runs {
				runs = append(runs, newRun(mem, rs.schema, rs.seq, rs.rows, rs.sizes...))
			}
			rr, err := NewMergeReader(context.Background(), runs, MergeOptions{
				PrimaryKey: []string{"k"}, Schema: tc.out, MergeOps: tc.ops, CDCColumn: "op", BatchSize: 4, Allocator: mem,
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(t, rr, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && !reflect.DeepEqual(got, tc.want)) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// seqRows returns full rows for keys [from, to).
func seqRows(from, to int) []row {
	var rows []row
	for k := from; k < to; k++ {
		rows = append(rows, row{"k": int64(k), "a": int64(k * 10), "b": fmt.Sprint(k)})
	}
	return rows
}

func TestMergeErrors(t *testing.T) {
	full := []row{{"k": int64(1), "a": int64(1), "b": "x"}}
	tests := []struct {
		name    string
		runs    func(mem memory.Allocator) []Run
		opts    MergeOptions
		ctx     func() context.Context
		atOpen  bool
		wantErr error
	}{
		{
			name: "duplicate seq",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 1, full), newRun(mem, edgeFull, 1, full)}
			},
			atOpen: true, wantErr: ErrDuplicateSeq,
		},
		{
			name: "missing key column",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 1, full), newRun(mem, schemaOf(edgeA), 2, []row{{"a": int64(1)}})}
			},
			atOpen: true, wantErr: ErrRunSchema,
		},
		{
			name: "value type mismatch",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, schemaOf(edgeK, field("a", arrow.BinaryTypes.String)), 1, []row{{"k": int64(1), "a": "1"}})}
			},
			atOpen: true, wantErr: ErrRunSchema,
		},
		{
			name: "sum on strings",
			runs: func(mem memory.Allocator) []Run { return []Run{newRun(mem, edgeFull, 1, full)} },
			opts: MergeOptions{MergeOps: map[string]MergeOp{"b": MergeSum}}, atOpen: true, wantErr: ErrMergeOptions,
		},
		{
			name: "delete marker in output",
			runs: func(mem memory.Allocator) []Run { return []Run{newRun(mem, edgeFull, 1, full)} },
			opts: MergeOptions{Schema: schemaOf(edgeK, edgeDel)}, atOpen: true, wantErr: ErrMergeOptions,
		},
		{
			name: "unsupported key type",
			runs: func(mem memory.Allocator) []Run {
				s := schemaOf(field("k", arrow.PrimitiveTypes.Float64))
				return []Run{newRun(mem, s, 1, []row{{"k": 1.0}}), newRun(mem, s, 2, []row{{"k": 2.0}})}
			},
			opts: MergeOptions{Schema: schemaOf(field("k", arrow.PrimitiveTypes.Float64))}, atOpen: true, wantErr: ErrMergeOptions,
		},
		{
			name: "unsorted run",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 1, full), newRun(mem, edgeFull, 2, append(seqRows(5, 8), seqRows(0, 3)...), 3)}
			},
			wantErr: ErrRunOrder,
		},
		{
			name: "duplicate key in run",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 1, full), newRun(mem, edgeFull, 2, append(seqRows(0, 3), seqRows(2, 3)...))}
			},
			wantErr: ErrRunOrder,
		},
		{
			name: "null key",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 1, full), newRun(mem, edgeFull, 2, []row{{"k": nil, "a": int64(1)}})}
			},
			wantErr: ErrNullKey,
		},
		{
			name: "null key in passthrough",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 2, []row{{"k": nil, "a": int64(1)}})}
			},
			wantErr: ErrNullKey,
		},
		{
			name: "canceled context",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 1, full), newRun(mem, edgeFull, 2, full)}
			},
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantErr: context.Canceled,
		},
		{
			name: "failing reader",
			runs: func(mem memory.Allocator) []Run {
				return []Run{newRun(mem, edgeFull, 1, full), {Reader: &failingReader{schema: edgeFull}, Seq: 2}}
			},
			wantErr: errReaderBroke,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			opts := tc.opts
			opts.PrimaryKey = []string{"k"}
			if opts.Schema == nil {
				opts.Schema = edgeFull
			}
			opts.Allocator = mem
			ctx := context.Background()
			if tc.ctx != nil {
				ctx = tc.ctx()
			}
			rr, err := NewMergeReader(ctx, tc.runs(mem), opts)
			if tc.atOpen {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("NewMergeReader error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = drain(t, rr, 0)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("merge error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

var errReaderBroke = errors.New("reader broke")

// failingReader is a record reader whose first Next fails.
type failingReader struct {
	schema *arrow.Schema
	err    error
}

func (f *failingReader) Retain()                        {}
func (f *failingReader) Release()                       {}
func (f *failingReader) Schema() *arrow.Schema          { return f.schema }
func (f *failingReader) Next() bool                     { f.err = errReaderBroke; return false }
func (f *failingReader) RecordBatch() arrow.RecordBatch { return nil }
func (f *failingReader) Record() arrow.RecordBatch      { return nil }
func (f *failingReader) Err() error                     { return f.err }

// TestMergeZeroCopy checks that non-overlapping ranges reach the output
// without copying: the output columns share the input's buffers.
func TestMergeZeroCopy(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	old := newRun(mem, edgeFull, 1, seqRows(0, 1000), 1000)
	newer := newRun(mem, edgeFull, 2, seqRows(1000, 2000), 1000)
	rr, err := NewMergeReader(context.Background(), []Run{old, newer}, MergeOptions{
		PrimaryKey: []string{"k"}, Schema: edgeFull, BatchSize: 500, Allocator: mem,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var rows, copied int
	before := mem.CurrentAlloc()
	for rr.Next() {
		rec := rr.RecordBatch()
		if k := rec.Column(0).(*array.Int64).Value(0); k != int64(rows) {
			t.Fatalf("batch starts at key %d, want %d", k, rows)
		}
		rows += int(rec.NumRows())
		if mem.CurrentAlloc() > before {
			copied += int(rec.NumRows())
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	if rows != 2000 {
		t.Fatalf("%d rows", rows)
	}
	// The first rows of each run go through the regular path until the
	// streak is detected and fill their output batch; the rest must not be
	// copied.
	if copied > 1000 {
		t.Fatalf("%d of %d rows were copied", copied, rows)
	}
}

func TestParseMergeOp(t *testing.T) {
	tests := []struct {
		in   string
		want MergeOp
		err  bool
	}{
		{"last", MergeLast, false},
		{"LAST_NON_NULL", MergeLastNonNull, false},
		{" sum ", MergeSum, false},
		{"concat", MergeConcat, false},
		{"max", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseMergeOp(tc.in)
			if tc.err {
				if !errors.Is(err, ErrUnknownMergeOp) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v", got, err)
			}
			if back, _ := ParseMergeOp(got.String()); back != got {
				t.Fatalf("String() %q does not parse back", got.String())
			}
		})
	}
	if s := MergeOp(42).String(); s != "MergeOp(42)" {
		t.Fatalf("String of unknown op: %q", s)
	}
}

func TestMergeSumTypes(t *testing.T) {
	tests := []struct {
		dt         arrow.DataType
		old, newer any
		want       any
	}{
		{arrow.PrimitiveTypes.Int8, int8(100), int8(100), int8(-56)}, // wraps
		{arrow.PrimitiveTypes.Int16, int16(-7), int16(3), int16(-4)},
		{arrow.PrimitiveTypes.Int32, int32(1 << 30), int32(1 << 30), int32(math.MinInt32)},
		{arrow.PrimitiveTypes.Int64, int64(5), int64(-9), int64(-4)},
		{arrow.PrimitiveTypes.Uint8, uint8(200), uint8(100), uint8(44)},
		{arrow.PrimitiveTypes.Uint16, uint16(1), uint16(2), uint16(3)},
		{arrow.PrimitiveTypes.Uint32, uint32(7), uint32(8), uint32(15)},
		{arrow.PrimitiveTypes.Uint64, uint64(math.MaxUint64), uint64(2), uint64(1)},
		{arrow.PrimitiveTypes.Float32, float32(1.5), float32(2.25), float32(3.75)},
		{arrow.PrimitiveTypes.Float64, 0.5, 0.25, 0.75},
	}
	for _, tc := range tests {
		t.Run(tc.dt.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s := schemaOf(edgeK, field("v", tc.dt))
			rows := func(v any) []row { return []row{{"k": int64(1), "v": v}, {"k": int64(2), "v": v}} }
			// Key 2 has a null in the newest run: a single value is kept as is.
			newer := rows(tc.newer)
			newer[1]["v"] = nil
			rr, err := NewMergeReader(context.Background(), []Run{newRun(mem, s, 1, rows(tc.old)), newRun(mem, s, 2, newer)},
				MergeOptions{PrimaryKey: []string{"k"}, Schema: s, MergeOps: map[string]MergeOp{"v": MergeSum}, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(t, rr, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := []row{{"k": int64(1), "v": tc.want}, {"k": int64(2), "v": tc.old}}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestMergeEarlyRelease releases a merge in the middle of the stream: every
// input batch and reader must be freed.
func TestMergeEarlyRelease(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	runs := []Run{
		newRun(mem, edgeFull, 1, seqRows(0, 100), 7),
		newRun(mem, edgeFull, 2, seqRows(50, 150), 9),
		newRun(mem, edgeOnlyA, 3, []row{{"k": int64(60), "a": int64(1)}}),
	}
	rr, err := NewMergeReader(context.Background(), runs, MergeOptions{
		PrimaryKey: []string{"k"}, Schema: edgeFull, BatchSize: 10, Allocator: mem,
	})
	if err != nil {
		t.Fatal(err)
	}
	rr.Retain()
	for i := 0; i < 3 && rr.Next(); i++ {
	}
	rec := rr.Record()
	rec.Retain()
	rr.Release()
	rr.Release()
	if rec.NumRows() != 10 {
		t.Fatalf("batch of %d rows", rec.NumRows())
	}
	rec.Release()
}
