package txn

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// put upserts rows holding the given columns and applies them to the model.
func (m *model) put(cols []string, rows []mrow) {
	m.t.Helper()
	rec := m.build(cols, rows)
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
		for _, c := range cols {
			cur[c] = row[c]
		}
	}
	m.commit(cm, "put")
}

// seqRows are rows for keys [from, to) whose score is the key plus add:
// keys and scores ascend together, as in append-style data, so row-group
// statistics of score separate row groups.
func (m *model) seqRows(from, to, add int) []mrow {
	var rows []mrow
	for n := from; n < to; n++ {
		rows = append(rows, mrow{
			"id": sp(m.keyText(n)), "dt": sp(m.dt()),
			"name":  sp([]string{"ann", "bob", "cy", "dee"}[n/100%4]),
			"score": sp(strconv.Itoa(n + add)),
			"tag":   sp(fmt.Sprintf("t%d", n)),
		})
	}
	return rows
}

// TestFilteredReadRuns checks filters on value columns against the model
// through the shapes late materialisation and row-group pruning care
// about: one run, an older run matching where a newer one no longer does,
// deletes, a partial-column upsert (the fallback), and a compaction into
// one run.
func TestFilteredReadRuns(t *testing.T) {
	cfg := modelConfig{name: "filter", keyType: arrow.PrimitiveTypes.Int64, key: func(n int) any { return int64(n) }, buckets: 1}
	m := newModel(t, cfg, 1)
	all := []string{"id", "dt", "name", "score", "tag"}
	score := func(lo, hi int) filter {
		return filter{mor.And(mor.Ge("score", lo), mor.Le("score", hi)), func(r mrow) bool {
			v, ok := intOf(r["score"])
			return ok && v >= lo && v <= hi
		}}
	}
	filters := []filter{
		score(100, 199),
		score(150, 2050),
		{mor.Eq("name", "bob"), func(r mrow) bool { return r["name"] != nil && *r["name"] == "bob" }},
		{mor.Or(mor.Lt("score", 30), mor.Eq("name", "cy")), func(r mrow) bool {
			v, ok := intOf(r["score"])
			return (ok && v < 30) || (r["name"] != nil && *r["name"] == "cy")
		}},
		{mor.In("id", int64(5), int64(155), int64(2001), int64(3000)), func(r mrow) bool {
			return *r["id"] == "5" || *r["id"] == "155" || *r["id"] == "2001"
		}},
		{mor.Eq("id", int64(170)), func(r mrow) bool { return *r["id"] == "170" }},
	}
	check := func(stage string) {
		t.Helper()
		for _, f := range filters {
			for _, cols := range [][]string{all, {"tag"}, {"id", "score"}} {
				refs := make([]colRef, len(cols))
				for i, c := range cols {
					refs[i] = colRef{c, c}
				}
				for _, bs := range []int{7, 8192} {
					got := m.e.scan(m.tbl, latest(), mor.ScanOptions{Columns: cols, Filter: f.expr, BatchSize: bs})
					equalRows(t, fmt.Sprintf("%s: %v where %s", stage, cols, f.expr), got, expect(m.state, refs, f.match))
				}
			}
		}
	}
	m.put(all, m.seqRows(0, 1000, 0))
	check("one run")
	// Newer versions of keys 150..159 stop matching score <= 199.
	m.put(all, m.seqRows(150, 160, 5000))
	check("older run matches")
	m.put(all, m.seqRows(2000, 2100, 0))
	check("appended keys")
	m.deleteRows(120, 125)
	check("deleted keys")
	m.put([]string{"id", "dt", "tag"}, []mrow{{"id": sp("170"), "dt": sp(m.dt()), "tag": sp("partial")}})
	check("partial upsert")
	cm, err := m.e.w.Compact(m.e.ctx, m.tbl, CompactOptions{MinFiles: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.commit(cm, "compact")
	check("compacted")
	m.put(all, m.seqRows(180, 185, 7000))
	check("after compaction")
}

// deleteRows deletes keys [from, to).
func (m *model) deleteRows(from, to int) {
	var rows []mrow
	for n := from; n < to; n++ {
		rows = append(rows, mrow{"id": sp(m.keyText(n)), "dt": sp(m.dt())})
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
