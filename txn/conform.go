package txn

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// writeKind says which columns a write must carry.
type writeKind int

const (
	kindAppend     writeKind = iota // every non-nullable column; missing nullable ones become NULL
	kindUpsert                      // key and partition columns; others optional (partial upsert)
	kindDeleteKeys                  // key and partition columns only
)

// conform checks the records against the table schema and returns one
// record holding all their rows, with the table's column types, in table
// column order. Columns an upsert does not carry are absent from the result.
func conform(tbl *catalog.Table, recs []arrow.RecordBatch, kind writeKind, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: nothing to write", ErrInvalid)
	}
	first := recs[0].Schema()
	for _, r := range recs[1:] {
		if !sameNames(first, r.Schema()) {
			return nil, fmt.Errorf("%w: all batches of one write must have the same columns", ErrInvalid)
		}
	}
	present := map[string]arrow.Field{}
	for _, f := range first.Fields() {
		if _, dup := present[f.Name]; dup {
			return nil, fmt.Errorf("%w: column %q appears twice in the input", ErrInvalid, f.Name)
		}
		if f.Name == mor.DeleteMarkerColumn {
			return nil, fmt.Errorf("%w: column %q is reserved", ErrInvalid, f.Name)
		}
		tf, ok := tbl.Schema.FieldsByName(f.Name)
		if !ok || len(tf) == 0 {
			return nil, fmt.Errorf("%w: table %s.%s has no column %q", ErrInvalid, tbl.Namespace, tbl.Name, f.Name)
		}
		if !arrowconv.Castable(f.Type, tf[0].Type) {
			return nil, fmt.Errorf("%w: column %q is %s in the table but %s in the input", ErrInvalid, f.Name, tf[0].Type, f.Type)
		}
		present[f.Name] = f
	}
	required := slices.Concat(tbl.PrimaryKey, tbl.PartitionBy)
	for _, c := range required {
		if _, ok := present[c]; !ok {
			what := "primary key"
			if slices.Contains(tbl.PartitionBy, c) {
				what = "partition"
			}
			return nil, fmt.Errorf("%w: the input lacks %s column %q", ErrInvalid, what, c)
		}
	}
	defaulted := defaultedColumns(tbl, present, kind)
	if kind == kindAppend {
		for _, f := range tbl.Schema.Fields() {
			if _, ok := present[f.Name]; !ok && !f.Nullable && !defaulted[f.Name] {
				return nil, fmt.Errorf("%w: the input lacks column %q, which is NOT NULL", ErrInvalid, f.Name)
			}
		}
	}
	var fields []arrow.Field
	for _, f := range tbl.Schema.Fields() {
		_, ok := present[f.Name]
		switch {
		case kind == kindDeleteKeys && !slices.Contains(required, f.Name):
			continue
		case ok || kind == kindAppend || defaulted[f.Name]:
			fields = append(fields, f)
		}
	}
	schema := arrow.NewSchema(fields, nil)
	parts := make([]arrow.RecordBatch, 0, len(recs))
	defer func() { arrowconv.ReleaseAll(parts) }()
	for _, r := range recs {
		p, err := conformRecord(r, schema, defaulted, mem)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	rec, err := arrowconv.ConcatRecords(mem, parts, schema)
	if err != nil {
		return nil, err
	}
	for i, f := range fields {
		if col := rec.Column(i); !f.Nullable && col.NullN() > 0 {
			rec.Release()
			what := "NOT NULL column"
			if slices.Contains(tbl.PrimaryKey, f.Name) {
				what = "primary key column"
			}
			return nil, fmt.Errorf("%w: %s %q is NULL in row %d", ErrInvalid, what, f.Name, arrowconv.FirstNull(col))
		}
	}
	return rec, nil
}

// defaultedColumns returns the columns a write lacks that take their
// default (catalog.DefaultOf): those of a full-row write, which is an
// append, or an upsert lacking only columns that have a default. Other
// upserts are partial: the columns they lack keep their values.
func defaultedColumns(tbl *catalog.Table, present map[string]arrow.Field, kind writeKind) map[string]bool {
	if kind == kindDeleteKeys {
		return nil
	}
	out := map[string]bool{}
	for _, f := range tbl.Schema.Fields() {
		if _, ok := present[f.Name]; ok {
			continue
		}
		if _, ok := catalog.DefaultOf(f); !ok {
			if kind == kindUpsert {
				return nil
			}
			continue
		}
		out[f.Name] = true
	}
	return out
}

// conformRecord returns the columns of r, cast to the types of schema, with
// the columns r lacks filled with their default when defaulted names them,
// NULL otherwise.
func conformRecord(r arrow.RecordBatch, schema *arrow.Schema, defaulted map[string]bool, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, schema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, f := range schema.Fields() {
		idx := r.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			if defaulted[f.Name] {
				d, _, err := catalog.DefaultArray(mem, f, int(r.NumRows()))
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
				}
				cols = append(cols, d)
				continue
			}
			cols = append(cols, array.MakeArrayOfNull(mem, f.Type, int(r.NumRows())))
			continue
		}
		c, err := arrowconv.CastColumn(mem, r.Column(idx[0]), f.Type)
		if err != nil {
			return nil, fmt.Errorf("%w: column %q: %w", ErrInvalid, f.Name, err)
		}
		cols = append(cols, c)
	}
	return array.NewRecordBatch(schema, cols, r.NumRows()), nil
}

func sameNames(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		if a.Field(i).Name != b.Field(i).Name {
			return false
		}
	}
	return true
}
