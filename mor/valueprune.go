package mor

import (
	"bytes"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/keyenc"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// valueRowGroups drops from rgs, the row groups of file f of task t, those
// whose statistics prove the filter's conjuncts on value columns false on
// every row, where the package doc's rule allows it: no other file of the
// task may hold a key of the row group, so that its rows are the only
// version of their keys and skipping them hides nothing older and changes
// no merged value.
func (p *Plan) valueRowGroups(pf *lsio.ParquetFile, f catalog.DataFile, t Task, rgs []int) []int {
	tbl := p.Snapshot.Table
	if len(tbl.PrimaryKey) == 0 || p.opts.Filter == nil {
		return rgs
	}
	var conj []Expr
	for _, c := range Conjuncts(p.opts.Filter) {
		cols := Columns(c)
		if len(cols) == 1 && !slices.Contains(tbl.PrimaryKey, cols[0]) {
			conj = append(conj, c)
		}
	}
	if len(conj) == 0 {
		return rgs
	}
	keyFld, err := fieldOf(tbl.Schema, tbl.PrimaryKey[0])
	if err != nil {
		return rgs
	}
	var others [][2][]byte // key bounds of the task's other files
	for _, o := range t.Files {
		if o.Path == f.Path {
			continue
		}
		if len(o.KeyMin) == 0 || len(o.KeyMax) == 0 {
			return rgs // unknown bounds: any key may be there
		}
		others = append(others, [2][]byte{o.KeyMin, o.KeyMax})
	}
	m := newFileMatcher(pf.Schema())
	kept := rgs[:0:0]
	for _, rg := range rgs {
		if p.alone(pf, rg, keyFld, others) && !valueMayMatch(pf, rg, tbl.Schema, m, conj) {
			continue
		}
		kept = append(kept, rg)
	}
	return kept
}

// alone reports whether no key of row group rg of pf can be in a file with
// the given key bounds (by the bounds of the first key column).
func (p *Plan) alone(pf *lsio.ParquetFile, rg int, keyFld arrow.Field, others [][2][]byte) bool {
	if len(others) == 0 {
		return true
	}
	st, ok := pf.ColumnStats(rg, keyFld.Name)
	if !ok || !st.HasMinMax {
		return false
	}
	enc := func(v any) ([]byte, bool) {
		bv, ok := bucketLiteral(keyFld.Type, v)
		if !ok {
			return nil, false
		}
		b, err := keyenc.AppendValue(nil, keyFld.Type, bv)
		return b, err == nil
	}
	lo, ok1 := enc(st.Min)
	hi, ok2 := enc(st.Max)
	if !ok1 || !ok2 {
		return false
	}
	for _, o := range others {
		if bytes.Compare(o[0], hi) <= 0 && bytes.Compare(lo, o[1]) <= 0 {
			return false
		}
	}
	return true
}

// valueMayMatch checks row group rg's statistics against conjuncts on one
// value column each. Only statistics of the file column that holds the
// table column, under the same name and type, are used: a column the file
// lacks (filled with a default or NULL), renamed or widened since, is never
// pruned on.
func valueMayMatch(pf *lsio.ParquetFile, rg int, schema *arrow.Schema, m *fileMatcher, conj []Expr) bool {
	for _, c := range conj {
		col := Columns(c)[0]
		tf, err := fieldOf(schema, col)
		if err != nil {
			continue
		}
		ff, ok := m.lookup(tf)
		if !ok || ff.Name != tf.Name || !arrow.TypeEqual(ff.Type, tf.Type) {
			continue
		}
		st, ok := pf.ColumnStats(rg, ff.Name)
		if !ok {
			continue
		}
		bounds := func(v any) (int, int, bool) {
			if !st.HasMinMax {
				return 0, 0, false
			}
			lit, err := normalizeLiteral(tf.Type, v)
			if err != nil {
				return 0, 0, false
			}
			lo, ok1 := compareValues(st.Min, lit)
			hi, ok2 := compareValues(st.Max, lit)
			return lo, hi, ok1 && ok2
		}
		if !rangeMayMatch([]Expr{c}, col, bounds, st.NullCount > 0) {
			return false
		}
	}
	return true
}
