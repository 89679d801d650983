package mor

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// joinSide is the read position in one of the two merged streams.
type joinSide struct {
	rdr    array.RecordReader
	rec    arrow.RecordBatch
	keyIdx []int
	cols   []arrow.Array
	kb     keyBatch
	row, n int
	slot   int32 // slot of rec in the pending output, -1 if none
	done   bool
}

// changeJoin merge-joins the merged rows of a task at the older version
// (side 0) and at the newer one (side 1), both restricted to the
// candidate keys, into change rows.
type changeJoin struct {
	p     *ChangePlan
	ctx   context.Context
	sides [2]joinSide
	cand  *candidates
	spec  *keySpec
	isKey []bool // per merge column
	vj    int    // candidates before vj sort before the current keys

	// Pending output: per row its source (slot, row), kind and version.
	slots []arrow.RecordBatch
	refs  []ref
	kinds []changeKind
	vers  []int64
}

func (p *ChangePlan) newJoin(ctx context.Context, before, after array.RecordReader, cand *candidates, spec *keySpec) array.RecordReader {
	j := &changeJoin{p: p, ctx: ctx, cand: cand, spec: spec}
	pk := p.table.PrimaryKey
	for i, rdr := range []array.RecordReader{before, after} {
		s := &j.sides[i]
		s.rdr, s.slot = rdr, -1
		for _, k := range pk {
			s.keyIdx = append(s.keyIdx, p.merge.FieldIndices(k)[0])
		}
		s.cols = make([]arrow.Array, len(pk))
	}
	j.isKey = make([]bool, p.merge.NumFields())
	for i, f := range p.merge.Fields() {
		j.isKey[i] = slices.Contains(pk, f.Name)
	}
	return newIterReader(p.schema, j.next, j.release)
}

func (j *changeJoin) release() {
	j.reset()
	for i := range j.sides {
		s := &j.sides[i]
		if s.rec != nil {
			s.rec.Release()
			s.rec = nil
		}
		if s.rdr != nil {
			s.rdr.Release()
			s.rdr = nil
		}
	}
}

// fill makes the side's current row valid, loading the next non-empty
// batch when needed, or marks the side done.
func (j *changeJoin) fill(s *joinSide) error {
	if s.done || s.row < s.n {
		return nil
	}
	if s.rec != nil {
		s.rec.Release()
		s.rec = nil
	}
	s.slot, s.row, s.n = -1, 0, 0
	for s.rdr.Next() {
		rec := s.rdr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		rec.Retain()
		s.rec, s.n = rec, int(rec.NumRows())
		for i, ci := range s.keyIdx {
			s.cols[i] = rec.Column(ci)
		}
		return j.spec.load(&s.kb, s.cols)
	}
	s.done = true
	err := s.rdr.Err()
	s.rdr.Release()
	s.rdr = nil
	return err
}

// compare orders the current keys of the two sides; a finished side sorts
// last.
func (j *changeJoin) compare() int {
	a, b := &j.sides[0], &j.sides[1]
	switch {
	case a.done:
		return 1
	case b.done:
		return -1
	case j.spec.mode == keyUint:
		return cmp.Compare(a.kb.u[a.row], b.kb.u[b.row])
	}
	return bytes.Compare(a.kb.bytesAt(a.row), b.kb.bytesAt(b.row))
}

// sameRow reports whether the current rows of the two sides hold the same
// value in every column.
func (j *changeJoin) sameRow() bool {
	a, b := &j.sides[0], &j.sides[1]
	for c := range j.isKey {
		if !j.isKey[c] && !valueEqual(a.rec.Column(c), a.row, b.rec.Column(c), b.row) {
			return false
		}
	}
	return true
}

// version returns the last version that touched the current key of s.
// Keys are asked for in ascending order.
func (j *changeJoin) version(s *joinSide) (int64, error) {
	c := j.cand
	lo := j.vj
	if c.mode == keyUint {
		k := s.kb.u[s.row]
		j.vj = lo + sort.Search(len(c.u)-lo, func(x int) bool { return c.u[lo+x] >= k })
		if j.vj < len(c.u) && c.u[j.vj] == k {
			return c.ver[j.vj], nil
		}
	} else {
		k := viewString(s.kb.bytesAt(s.row))
		j.vj = lo + sort.Search(len(c.s)-lo, func(x int) bool { return c.s[lo+x] >= k })
		if j.vj < len(c.s) && c.s[j.vj] == k {
			return c.ver[j.vj], nil
		}
	}
	return 0, fmt.Errorf("mor: change read: merged key is not a candidate key")
}

// emit adds the current row of s to the pending output.
func (j *changeJoin) emit(s *joinSide, kind changeKind) error {
	v, err := j.version(s)
	if err != nil {
		return err
	}
	if s.slot < 0 {
		s.rec.Retain()
		s.slot = int32(len(j.slots))
		j.slots = append(j.slots, s.rec)
	}
	j.refs = append(j.refs, ref{b: s.slot, r: int32(s.row)})
	j.kinds = append(j.kinds, kind)
	j.vers = append(j.vers, v)
	return nil
}

func (j *changeJoin) next() (arrow.RecordBatch, error) {
	bs := j.p.opts.BatchSize
	for {
		if err := j.ctx.Err(); err != nil {
			return nil, err
		}
		a, b := &j.sides[0], &j.sides[1]
	fill:
		for len(j.refs) < bs {
			if err := j.fill(a); err != nil {
				return nil, err
			}
			if err := j.fill(b); err != nil {
				return nil, err
			}
			if a.done && b.done {
				break
			}
			var err error
			switch c := j.compare(); {
			case c < 0:
				err = j.emit(a, kindDelete)
				a.row++
			case c > 0:
				err = j.emit(b, kindInsert)
				b.row++
			default:
				if !j.sameRow() {
					if len(j.refs) > 0 && len(j.refs)+2 > bs {
						break fill // keep the pair in one record
					}
					if err = j.emit(a, kindBefore); err == nil {
						err = j.emit(b, kindAfter)
					}
				}
				a.row++
				b.row++
			}
			if err != nil {
				return nil, err
			}
		}
		if len(j.refs) == 0 {
			return nil, nil
		}
		rec, err := j.flush()
		if err != nil || rec != nil {
			return rec, err
		}
	}
}

// flush builds the pending output, filtered and projected.
func (j *changeJoin) flush() (arrow.RecordBatch, error) {
	p := j.p
	defer j.reset()
	n := len(j.refs)
	cols := make([]arrow.Array, 0, p.readSchema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	srcs := make([]arrow.Array, len(j.slots))
	for _, mi := range p.readCols {
		for s, rec := range j.slots {
			srcs[s] = rec.Column(mi)
		}
		arr, err := gather(p.opts.Allocator, p.merge.Field(mi).Type, srcs, j.refs)
		if err != nil {
			return nil, err
		}
		cols = append(cols, arr)
	}
	cols = append(cols, p.changeArrays(n,
		func(i int) changeKind { return j.kinds[i] },
		func(i int) int64 { return j.vers[i] },
		func(v int64) time.Time { return j.cand.ts[v] })...)
	return p.finishRecord(j.ctx, array.NewRecordBatch(p.readSchema, cols, int64(n)))
}

// reset drops the pending output and the batches it refers to.
func (j *changeJoin) reset() {
	for _, rec := range j.slots {
		rec.Release()
	}
	clear(j.slots)
	j.slots = j.slots[:0]
	j.refs, j.kinds, j.vers = j.refs[:0], j.kinds[:0], j.vers[:0]
	for i := range j.sides {
		j.sides[i].slot = -1
	}
}

// valueEqual reports whether x[i] and y[j], of the same type, hold the
// same value (two nulls are equal).
func valueEqual(x arrow.Array, i int, y arrow.Array, j int) bool {
	xn, yn := x.IsNull(i), y.IsNull(j)
	if xn || yn {
		return xn == yn
	}
	switch a := x.(type) {
	case *array.String:
		return a.Value(i) == y.(*array.String).Value(j)
	case *array.LargeString:
		return a.Value(i) == y.(*array.LargeString).Value(j)
	case *array.Binary:
		return bytes.Equal(a.Value(i), y.(*array.Binary).Value(j))
	case *array.LargeBinary:
		return bytes.Equal(a.Value(i), y.(*array.LargeBinary).Value(j))
	case *array.Boolean:
		return a.Value(i) == y.(*array.Boolean).Value(j)
	}
	if w := fixedWidth(x.DataType()); w > 0 {
		xd, yd := x.Data(), y.Data()
		xo, yo := (xd.Offset()+i)*w, (yd.Offset()+j)*w
		return bytes.Equal(xd.Buffers()[1].Bytes()[xo:xo+w], yd.Buffers()[1].Bytes()[yo:yo+w])
	}
	return array.SliceEqual(x, int64(i), int64(i+1), y, int64(j), int64(j+1))
}
