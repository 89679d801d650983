package mor

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// fill says how a column a file lacks is filled.
type fill int

const (
	fillNone    fill = iota // the file holds the column
	fillDefault             // the column's default on every row
	fillNull                // NULL on every row
)

// projection says how the columns of one file become the columns of a
// read: which file columns to read, and for each output column the file
// column it comes from or how it is filled.
type projection struct {
	read []string      // file columns to read, by their names in the file
	out  *arrow.Schema // the columns produced
	src  []string      // per output column: its file column, "" when filled
	fill []fill        // per output column
}

// fileMatcher finds the file column holding a table column: by field id
// when both carry one, by name when either lacks one. A file column whose
// id is not the table column's never matches by name, so a column dropped
// and added again under the same name does not bring back old values.
type fileMatcher struct {
	byID   map[int]arrow.Field
	byName map[string]arrow.Field // every file column
}

func newFileMatcher(fileSchema *arrow.Schema) *fileMatcher {
	m := &fileMatcher{byID: map[int]arrow.Field{}, byName: map[string]arrow.Field{}}
	for _, f := range fileSchema.Fields() {
		if id := catalog.FieldID(f); id >= 0 {
			m.byID[id] = f
		}
		m.byName[f.Name] = f
	}
	return m
}

// lookup returns the file column holding table column tf.
func (m *fileMatcher) lookup(tf arrow.Field) (arrow.Field, bool) {
	id := catalog.FieldID(tf)
	if id >= 0 {
		if f, ok := m.byID[id]; ok {
			return f, true
		}
	}
	f, ok := m.byName[tf.Name]
	if !ok {
		return arrow.Field{}, false
	}
	if fid := catalog.FieldID(f); fid >= 0 && id >= 0 && fid != id {
		return arrow.Field{}, false
	}
	return f, true
}

// defaultApplies reports whether the rows of file df read column tf's
// default rather than having no value: the file was written before the
// column was added, and the column has a default. This holds for files of
// partial-column upserts too: a row that existed when the column was added
// takes the default, whichever write created it.
func defaultApplies(df catalog.DataFile, tf arrow.Field) bool {
	if df.Deletes {
		return false
	}
	if _, ok := catalog.DefaultOf(tf); !ok {
		return false
	}
	return df.SchemaID < catalog.AddedIn(tf)
}

// project maps the columns of a file (fileSchema, written as df) onto the
// wanted table columns. A wanted column the file lacks gets its default
// when defaultApplies, otherwise NULL when nullFill, otherwise it is left
// out (a partial run: older runs supply it in the merge). Columns named in
// byName (the delete marker) are taken from the file by name when present.
func project(fileSchema *arrow.Schema, df catalog.DataFile, wanted []arrow.Field, byName []string, nullFill bool) projection {
	m := newFileMatcher(fileSchema)
	var p projection
	var out []arrow.Field
	add := func(f arrow.Field, src string, how fill) {
		out = append(out, f)
		p.src = append(p.src, src)
		p.fill = append(p.fill, how)
		if src != "" {
			p.read = append(p.read, src)
		}
	}
	for _, tf := range wanted {
		if ff, ok := m.lookup(tf); ok {
			add(tf, ff.Name, fillNone)
			continue
		}
		switch {
		case defaultApplies(df, tf):
			add(tf, "", fillDefault)
		case nullFill:
			add(tf, "", fillNull)
		}
	}
	for _, name := range byName {
		if ff, ok := m.byName[name]; ok {
			add(ff, ff.Name, fillNone)
		}
	}
	p.out = arrow.NewSchema(out, nil)
	return p
}

// identity reports whether the file's columns, as read, already are the
// projection's output.
func (p projection) identity(in *arrow.Schema) bool {
	if in.NumFields() != p.out.NumFields() {
		return false
	}
	for i, f := range in.Fields() {
		o := p.out.Field(i)
		if p.fill[i] != fillNone || p.src[i] != f.Name || o.Name != f.Name || !arrow.TypeEqual(f.Type, o.Type) {
			return false
		}
	}
	return true
}

// projectReader turns the records of in (the file columns p.read) into
// records of p.out: columns renamed, widened types cast, missing columns
// filled with their default or NULL.
func projectReader(in array.RecordReader, p projection, mem memory.Allocator) array.RecordReader {
	if p.identity(in.Schema()) {
		return in
	}
	defaults := make([]arrow.Array, p.out.NumFields()) // cached, sliced per record
	release := func() {
		for _, d := range defaults {
			if d != nil {
				d.Release()
			}
		}
	}
	next := func() (arrow.RecordBatch, error) {
		if !in.Next() {
			return nil, in.Err()
		}
		rec := in.RecordBatch()
		n := int(rec.NumRows())
		cols := make([]arrow.Array, p.out.NumFields())
		done := func() {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
		}
		for i, f := range p.out.Fields() {
			switch p.fill[i] {
			case fillNull:
				cols[i] = array.MakeArrayOfNull(mem, f.Type, n)
				continue
			case fillDefault:
				if defaults[i] == nil || defaults[i].Len() < n {
					if defaults[i] != nil {
						defaults[i].Release()
						defaults[i] = nil
					}
					d, _, err := catalog.DefaultArray(mem, f, max(n, 1))
					if err != nil {
						done()
						return nil, err
					}
					defaults[i] = d
				}
				cols[i] = array.NewSlice(defaults[i], 0, int64(n))
				continue
			}
			idx := rec.Schema().FieldIndices(p.src[i])
			if len(idx) == 0 {
				done()
				return nil, fmt.Errorf("column %s missing from the file's records", p.src[i])
			}
			c, err := castTo(mem, rec.Column(idx[0]), f.Type)
			if err != nil {
				done()
				return nil, fmt.Errorf("cast column %s: %w", f.Name, err)
			}
			cols[i] = c
		}
		out := array.NewRecordBatch(p.out, cols, int64(n))
		done()
		return out, nil
	}
	return newIterReader(p.out, next, func() {
		release()
		in.Release()
	})
}

// castTo converts a file column to the type the table gives it: another
// encoding of the same type (arrowconv's policy) or a type the column was
// widened to.
func castTo(mem memory.Allocator, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := arr.DataType()
	if arrow.TypeEqual(from, to) {
		arr.Retain()
		return arr, nil
	}
	if from.ID() == arrow.DATE32 && to.ID() == arrow.TIMESTAMP {
		ctx := compute.WithAllocator(context.Background(), mem)
		return compute.CastArray(ctx, arr, compute.SafeCastOptions(to))
	}
	return arrowconv.CastColumn(mem, arr, to)
}
