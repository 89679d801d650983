package mor

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// Late materialisation of filters on value columns (see the package doc).
// The merge runs on narrow runs (key, filter, delete-marker and CDC
// columns) that carry where each row came from: the run (runColumn) and
// the row's position in its file (posColumn). Every other column is read
// afterwards, for the rows that passed the filter only, from the file and
// position of the newest version of each key.
const (
	runColumn = "_lakesoul_run"
	posColumn = "_lakesoul_pos"
)

// lateRun is one file of a late-materialised task.
type lateRun struct {
	pf   *lsio.ParquetFile
	proj projection      // the wide columns, nil read when the file has none
	rows *lsio.RowReader // opened on first use
}

// lateColumns splits the plan's read schema for late materialisation:
// narrow columns take part in the merge, wide ones are read afterwards. ok
// is false when the plan does not qualify: no primary key, no filter on a
// value column, a key lookup (the key path reads little anyway), no wide
// column, or a wide column the merge would not take from the newest row
// alone (a merge operator other than MergeLast) or that lsio cannot read by
// row.
func (p *Plan) lateColumns() (narrow, wide []arrow.Field, ok bool) {
	tbl := p.Snapshot.Table
	if len(tbl.PrimaryKey) == 0 || p.opts.Filter == nil || pointFilter(p.keyConj) {
		return nil, nil, false
	}
	filterCols := Columns(p.opts.Filter)
	if allIn(filterCols, tbl.PrimaryKey) {
		return nil, nil, false
	}
	cdc := tbl.Properties[catalog.PropCDCColumn]
	for _, f := range p.readSchema.Fields() {
		if slices.Contains(tbl.PrimaryKey, f.Name) || slices.Contains(filterCols, f.Name) || f.Name == cdc {
			narrow = append(narrow, f)
			continue
		}
		if op, ok := p.mergeOps[f.Name]; (ok && op != MergeLast) || !lsio.RowsReadable(f.Type) {
			return nil, nil, false
		}
		wide = append(wide, f)
	}
	return narrow, wide, len(wide) > 0
}

// openLate opens task t for late materialisation. ok is false (and nothing
// is left open) when the plan or a file of the task does not qualify: a
// file holding some but not all wide columns (a partial-column upsert), or
// one whose wide columns lsio cannot read by row. A file holding none of
// them (a delete file) takes part in the merge without provenance, so that
// a row of it that is not a delete gives the provenance of the newest
// older version, as the merge does for every column the run lacks.
func (p *Plan) openLate(ctx context.Context, st lsio.Storage, t Task) (_ array.RecordReader, ok bool, err error) {
	narrow, wide, ok := p.lateColumns()
	if !ok {
		return nil, false, nil
	}
	tbl := p.Snapshot.Table
	cdc := tbl.Properties[catalog.PropCDCColumn]
	ropts := lsio.ReadOptions{BatchSize: int64(p.opts.BatchSize), Allocator: p.opts.Allocator, WholeObjectBelow: p.opts.WholeObjectBelow, Cache: p.opts.Cache}
	mem := p.opts.Allocator
	runs := make([]lateRun, 0, len(t.Files))
	var merging []Run
	closeAll := func() {
		for _, r := range merging {
			r.Reader.Release()
		}
		for _, r := range runs {
			_ = r.pf.Close()
		}
	}
	defer func() {
		if !ok || err != nil {
			closeAll()
		}
	}()
	narrowWanted := slices.Clone(narrow)
	for _, tf := range tbl.Schema.Fields() {
		if (slices.Contains(tbl.PrimaryKey, tf.Name) || tf.Name == cdc) && !slices.ContainsFunc(narrowWanted, func(f arrow.Field) bool { return f.Name == tf.Name }) {
			narrowWanted = append(narrowWanted, tf)
		}
	}
	for _, f := range t.Files {
		pf, err := lsio.OpenParquet(ctx, st, f.Path, ropts)
		if err != nil {
			return nil, false, fmt.Errorf("open %s: %w", f.Path, err)
		}
		wproj := project(pf.Schema(), f, wide, nil, false)
		held := 0
		for i, fl := range wproj.fill {
			if fl == fillNone {
				ff, _ := pf.Schema().FieldsByName(wproj.src[i])
				if len(ff) != 1 || !lsio.RowsReadable(ff[0].Type) {
					_ = pf.Close()
					return nil, false, nil
				}
			}
			if fl == fillNone || fl == fillDefault {
				held++
			}
		}
		whole := held == len(wide)
		if !whole && (held > 0 || len(wproj.read) > 0) {
			_ = pf.Close()
			return nil, false, nil
		}
		idx := int32(len(runs))
		runs = append(runs, lateRun{pf: pf, proj: wproj})
		rgs := p.valueRowGroups(pf, f, t, p.rowGroups(pf))
		if len(rgs) == 0 {
			continue
		}
		nproj := project(pf.Schema(), f, narrowWanted, []string{DeleteMarkerColumn}, false)
		rr, err := pf.Read(ctx, nproj.read, rgs)
		if err != nil {
			return nil, false, fmt.Errorf("read %s: %w", f.Path, err)
		}
		run := projectReader(rr, nproj, mem)
		if whole {
			run = withProvenance(run, pf, rgs, idx, mem)
		}
		if len(p.keyConj) > 0 {
			run = filterReader(ctx, run, And(p.keyConj...), mem)
		}
		merging = append(merging, Run{Reader: run, Seq: f.Seq})
	}
	outFields := make([]arrow.Field, 0, len(narrow)+2)
	for _, f := range narrow {
		f.Nullable = f.Nullable || !slices.Contains(tbl.PrimaryKey, f.Name)
		outFields = append(outFields, f)
	}
	outFields = append(outFields,
		arrow.Field{Name: runColumn, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: posColumn, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	mops := make(map[string]MergeOp, len(p.mergeOps))
	for name, op := range p.mergeOps {
		if slices.ContainsFunc(narrow, func(f arrow.Field) bool { return f.Name == name }) {
			mops[name] = op
		}
	}
	toMerge := merging
	merging = nil // the merge reader owns them now
	merged, err := NewMergeReader(ctx, toMerge, MergeOptions{
		PrimaryKey: tbl.PrimaryKey,
		Schema:     arrow.NewSchema(outFields, nil),
		MergeOps:   mops,
		CDCColumn:  cdc,
		BatchSize:  p.opts.BatchSize,
		Allocator:  mem,
	})
	if err != nil {
		return nil, false, err
	}
	out := make([]arrow.Field, p.readSchema.NumFields())
	for i, f := range p.readSchema.Fields() {
		f.Nullable = f.Nullable || !slices.Contains(tbl.PrimaryKey, f.Name)
		out[i] = f
	}
	m := &materializer{ctx: ctx, mem: mem, filter: p.opts.Filter, in: merged, runs: runs, schema: arrow.NewSchema(out, nil), wide: wide}
	return newIterReader(m.schema, m.next, m.close), true, nil
}

// withProvenance appends runColumn (run, on every row) and posColumn (the
// row's position in the file) to the records of in, which reads the row
// groups rgs of pf in full and in order.
func withProvenance(in array.RecordReader, pf *lsio.ParquetFile, rgs []int, run int32, mem memory.Allocator) array.RecordReader {
	fields := append(slices.Clone(in.Schema().Fields()),
		arrow.Field{Name: runColumn, Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: posColumn, Type: arrow.PrimitiveTypes.Int64})
	schema := arrow.NewSchema(fields, nil)
	starts := make([]int64, pf.NumRowGroups())
	var at int64
	for i := range starts {
		starts[i] = at
		at += pf.RowGroupRows(i)
	}
	k := 0        // index into rgs of the current row group
	var off int64 // rows of it already read
	return newIterReader(schema, func() (arrow.RecordBatch, error) {
		if !in.Next() {
			return nil, in.Err()
		}
		rec := in.RecordBatch()
		n := int(rec.NumRows())
		rb := array.NewInt32Builder(mem)
		defer rb.Release()
		pb := array.NewInt64Builder(mem)
		defer pb.Release()
		rb.Reserve(n)
		pb.Reserve(n)
		for i := 0; i < n; i++ {
			for k < len(rgs) && off >= pf.RowGroupRows(rgs[k]) {
				k, off = k+1, 0
			}
			if k == len(rgs) {
				return nil, fmt.Errorf("mor: %s yields more rows than its row groups hold", pf.Path())
			}
			rb.UnsafeAppend(run)
			pb.UnsafeAppend(starts[rgs[k]] + off)
			off++
		}
		ra, pa := rb.NewArray(), pb.NewArray()
		defer ra.Release()
		defer pa.Release()
		cols := append(slices.Clone(rec.Columns()), ra, pa)
		return array.NewRecordBatch(schema, cols, int64(n)), nil
	}, in.Release)
}

// materializer filters the merged narrow rows and adds the wide columns of
// the rows left, read by position from the files of their newest versions.
type materializer struct {
	ctx    context.Context // the OpenTask call's; RecordReader.Next takes none
	mem    memory.Allocator
	filter Expr
	in     array.RecordReader
	runs   []lateRun
	schema *arrow.Schema
	wide   []arrow.Field

	pos  [][]int64 // per run: the positions to read for the current batch
	refs []ref     // per output row: (run, index into pos[run])
}

func (m *materializer) close() {
	m.in.Release()
	for _, r := range m.runs {
		_ = r.pf.Close()
	}
}

func (m *materializer) next() (arrow.RecordBatch, error) {
	for {
		if !m.in.Next() {
			return nil, m.in.Err()
		}
		rec, err := filterRecord(m.ctx, m.in.RecordBatch(), m.filter, m.mem)
		if err != nil {
			return nil, err
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		out, err := m.materialize(rec)
		rec.Release()
		return out, err
	}
}

// materialize returns rec (narrow columns and provenance) with the wide
// columns added, in the output schema's order.
func (m *materializer) materialize(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	s := rec.Schema()
	runs := rec.Column(s.FieldIndices(runColumn)[0]).(*array.Int32)
	poss := rec.Column(s.FieldIndices(posColumn)[0]).(*array.Int64)
	if m.pos == nil {
		m.pos = make([][]int64, len(m.runs))
	}
	for i := range m.pos {
		m.pos[i] = m.pos[i][:0]
	}
	m.refs = m.refs[:0]
	for i := 0; i < int(rec.NumRows()); i++ {
		if runs.IsNull(i) {
			m.refs = append(m.refs, nullRef)
			continue
		}
		r := runs.Value(i)
		m.refs = append(m.refs, ref{b: r, r: int32(len(m.pos[r]))})
		m.pos[r] = append(m.pos[r], poss.Value(i))
	}
	// srcs[c][r]: wide column c of the rows read from run r.
	srcs := make([][]arrow.Array, len(m.wide))
	for c := range srcs {
		srcs[c] = make([]arrow.Array, len(m.runs))
	}
	defer func() {
		for _, cs := range srcs {
			for _, a := range cs {
				if a != nil {
					a.Release()
				}
			}
		}
	}()
	for r, pos := range m.pos {
		if len(pos) == 0 {
			continue
		}
		got, err := m.readRows(&m.runs[r], pos)
		if err != nil {
			return nil, err
		}
		for c := range m.wide {
			srcs[c][r] = got.Column(c)
			srcs[c][r].Retain()
		}
		got.Release()
	}
	cols := make([]arrow.Array, m.schema.NumFields())
	defer func() {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
	}()
	wi := 0
	for i, f := range m.schema.Fields() {
		if wi < len(m.wide) && m.wide[wi].Name == f.Name {
			a, err := gather(m.mem, f.Type, srcs[wi], m.refs)
			if err != nil {
				return nil, err
			}
			cols[i] = a
			wi++
			continue
		}
		cols[i] = rec.Column(s.FieldIndices(f.Name)[0])
		cols[i].Retain()
	}
	return array.NewRecordBatch(m.schema, cols, rec.NumRows()), nil
}

// readRows reads the wide columns of the rows pos of run r, projected to
// the table's names and types.
func (m *materializer) readRows(r *lateRun, pos []int64) (arrow.RecordBatch, error) {
	if r.rows == nil {
		rr, err := r.pf.NewRowReader(m.ctx, r.proj.read, m.mem)
		if err != nil {
			return nil, err
		}
		r.rows = rr
	}
	rec, err := r.rows.ReadRows(pos)
	if err != nil {
		return nil, err
	}
	in, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	rec.Release()
	if err != nil {
		return nil, err
	}
	pr := projectReader(in, r.proj, m.mem)
	defer pr.Release()
	if !pr.Next() {
		if err := pr.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("mor: %s: no rows read", r.pf.Path())
	}
	out := pr.RecordBatch()
	out.Retain()
	return out, nil
}
