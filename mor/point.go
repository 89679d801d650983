package mor

import (
	"context"
	"maps"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// Key lookups. A filter naming single keys (equality or IN-lists on key
// columns) reads each file of a bucket as follows: row groups whose
// min/max statistics exclude the keys are skipped (NewPlan's pruning),
// then those whose bloom filter of a constrained key column holds none of
// the wanted values; in the rest, the page index of the first constrained
// key column narrows the rows to the pages whose bounds admit a value; the
// key columns of those pages are read and the filter evaluated; finally
// the other columns are read at the matching rows only, decoding one page
// per column and match. The rows of a file that reach the merge are
// exactly those the key filter keeps, as on the general path.

// pointValues returns the values each primary-key column may take under
// the key filter's equalities and IN-lists, normalised as column
// statistics are (see lsio.ColumnStats). Columns without such a conjunct
// are absent; a column with two conjuncts keeps the values of the first.
func (p *Plan) pointValues(keyFilter []Expr) map[string][]any {
	tbl := p.Snapshot.Table
	out := map[string][]any{}
	add := func(col string, vals []any) {
		if _, done := out[col]; done || !slices.Contains(tbl.PrimaryKey, col) {
			return
		}
		f, err := fieldOf(tbl.Schema, col)
		if err != nil {
			return
		}
		var norm []any
		for _, v := range vals {
			if v == nil {
				continue // NULL equals nothing
			}
			n, err := normalizeLiteral(f.Type, v)
			if err != nil {
				return
			}
			norm = append(norm, n)
		}
		out[col] = norm
	}
	for _, c := range keyFilter {
		switch e := c.(type) {
		case *Cmp:
			if e.Op == OpEq {
				add(e.Column, []any{e.Value})
			}
		case *InList:
			add(e.Column, e.Values)
		}
	}
	return out
}

// locateKeys returns, for each row group of rgs that holds rows matching
// the key filter, the ranges of those rows (sorted). It reads only key
// columns, and of those only the pages that may hold a wanted key.
func (p *Plan) locateKeys(ctx context.Context, pf *lsio.ParquetFile, rgs []int, keyFilter []Expr) (map[int][]lsio.RowRange, error) {
	tbl := p.Snapshot.Table
	vals := p.pointValues(keyFilter)
	probe := ""
	for _, k := range tbl.PrimaryKey {
		if _, ok := vals[k]; ok {
			probe = k
			break
		}
	}
	pred := And(keyFilter...)
	out := map[int][]lsio.RowRange{}
	cand := map[int][]lsio.RowRange{} // candidate rows of each row group
	for _, rg := range rgs {
		// The values each key column's bloom filter admits in this row
		// group; the page search looks only for those.
		var admitted []any
		skip := false
		for _, k := range tbl.PrimaryKey {
			vs, ok := vals[k]
			if !ok {
				continue
			}
			kept, err := pf.MayContain(ctx, rg, k, vs)
			if err != nil {
				return nil, err
			}
			if len(kept) == 0 {
				skip = true
				break
			}
			if k == probe {
				admitted = kept
			}
		}
		if skip {
			continue
		}
		ranges := []lsio.RowRange{{Start: 0, Rows: pf.RowGroupRows(rg)}}
		if probe != "" {
			pages, ok, err := pf.PageStats(ctx, rg, probe)
			if err != nil {
				return nil, err
			}
			if ok {
				ranges = p.pagesMayMatch(pages, probe, append(slices.Clone(keyFilter), &InList{Column: probe, Values: admitted}))
			}
		}
		if len(ranges) > 0 {
			cand[rg] = ranges
		}
	}
	if len(cand) == 0 {
		return out, nil
	}
	// One read of the key columns of every candidate page of the file.
	keys, err := readRanges(ctx, pf, tbl.PrimaryKey, cand, p.opts.Allocator)
	if err != nil {
		return nil, err
	}
	ok, err := Matches(pred, keys)
	keys.Release()
	if err != nil {
		return nil, err
	}
	i := 0
	for _, rg := range slices.Sorted(maps.Keys(cand)) {
		var hits []lsio.RowRange
		for _, r := range cand[rg] {
			for j := int64(0); j < r.Rows; j, i = j+1, i+1 {
				if ok[i] {
					hits = appendRow(hits, r.Start+j)
				}
			}
		}
		if len(hits) > 0 {
			out[rg] = hits
		}
	}
	return out, nil
}

// appendRow adds row (greater than every row in rs) to rs, extending the
// last range when it ends just before row.
func appendRow(rs []lsio.RowRange, row int64) []lsio.RowRange {
	if n := len(rs); n > 0 && rs[n-1].Start+rs[n-1].Rows == row {
		rs[n-1].Rows++
		return rs
	}
	return append(rs, lsio.RowRange{Start: row, Rows: 1})
}

// pagesMayMatch returns the row ranges of the pages whose statistics admit
// the filter's conjuncts on column, adjacent pages joined.
func (p *Plan) pagesMayMatch(pages []lsio.PageStats, column string, conj []Expr) []lsio.RowRange {
	f, err := fieldOf(p.Snapshot.Table.Schema, column)
	if err != nil {
		return nil
	}
	var out []lsio.RowRange
	for _, pg := range pages {
		if !statsMayMatch(conj, column, f.Type, pg.ColumnStats) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Start+out[n-1].Rows == pg.FirstRow {
			out[n-1].Rows += pg.Rows
		} else {
			out = append(out, lsio.RowRange{Start: pg.FirstRow, Rows: pg.Rows})
		}
	}
	return out
}

// statsMayMatch checks statistics of column (of type t) against the
// conjuncts that name it.
func statsMayMatch(conj []Expr, column string, t arrow.DataType, st lsio.ColumnStats) bool {
	bounds := func(v any) (int, int, bool) {
		if !st.HasMinMax {
			return 0, 0, false
		}
		lit, err := normalizeLiteral(t, v)
		if err != nil {
			return 0, 0, false
		}
		lo, ok1 := compareValues(st.Min, lit)
		hi, ok2 := compareValues(st.Max, lit)
		return lo, hi, ok1 && ok2
	}
	// A negative null count means unknown: assume nulls.
	return rangeMayMatch(conj, column, bounds, st.NullCount != 0)
}

// readLocated reads the named columns at the located rows, row group after
// row group.
func readLocated(ctx context.Context, pf *lsio.ParquetFile, columns []string, loc map[int][]lsio.RowRange, mem memory.Allocator) (array.RecordReader, error) {
	rec, err := readRanges(ctx, pf, columns, loc, mem)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	return array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
}

// readRanges reads the named columns of the given row ranges of some row
// groups as one record, in file order: with a sparse row reader when every
// column's type allows, else with lsio's page-range reader.
func readRanges(ctx context.Context, pf *lsio.ParquetFile, columns []string, loc map[int][]lsio.RowRange, mem memory.Allocator) (arrow.RecordBatch, error) {
	rgs := make([]int, 0, len(loc))
	for rg := range loc {
		rgs = append(rgs, rg)
	}
	slices.Sort(rgs)
	readable := true
	for _, c := range columns {
		f, ok := pf.Schema().FieldsByName(c)
		readable = readable && ok && len(f) == 1 && lsio.RowsReadable(f[0].Type)
	}
	if readable {
		starts := make([]int64, pf.NumRowGroups())
		for i := 1; i < len(starts); i++ {
			starts[i] = starts[i-1] + pf.RowGroupRows(i-1)
		}
		var rows []int64
		for _, rg := range rgs {
			for _, r := range loc[rg] {
				for j := int64(0); j < r.Rows; j++ {
					rows = append(rows, starts[rg]+r.Start+j)
				}
			}
		}
		rr, err := pf.NewSparseRowReader(ctx, columns, mem)
		if err != nil {
			return nil, err
		}
		return rr.ReadRows(rows)
	}
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, rg := range rgs {
		rec, err := pf.ReadRanges(ctx, columns, rg, loc[rg])
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	cols := make([]arrow.Array, recs[0].NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	for i := range cols {
		parts := make([]arrow.Array, len(recs))
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(recs[0].Schema(), cols, n), nil
}
