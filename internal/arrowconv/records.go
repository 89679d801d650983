package arrowconv

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ConcatRecords joins recs into one record of schema, which the caller
// owns. Every record must have schema's column types, in order; names and
// nullability are taken from schema. A nil schema means that of the first
// record. Without records the result is an empty record of schema (a nil
// schema is then an error). A single record with the same schema is
// returned itself, retained.
func ConcatRecords(mem memory.Allocator, recs []arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	if schema == nil {
		if len(recs) == 0 {
			return nil, fmt.Errorf("%w: no records and no schema", ErrSchema)
		}
		schema = recs[0].Schema()
	}
	for i, r := range recs {
		if err := sameTypes(schema, r.Schema()); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	switch len(recs) {
	case 0:
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		return b.NewRecordBatch(), nil
	case 1:
		if recs[0].Schema().Equal(schema) {
			recs[0].Retain()
			return recs[0], nil
		}
		return array.NewRecordBatch(schema, recs[0].Columns(), recs[0].NumRows()), nil
	}
	cols := make([]arrow.Array, 0, schema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	parts := make([]arrow.Array, len(recs))
	for i, f := range schema.Fields() {
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, fmt.Errorf("concatenate column %q: %w", f.Name, err)
		}
		cols = append(cols, c)
	}
	return array.NewRecordBatch(schema, cols, CountRows(recs)), nil
}

// sameTypes checks that got has the column types of want, in order.
func sameTypes(want, got *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%w: %d columns, want %d", ErrSchema, got.NumFields(), want.NumFields())
	}
	for i, f := range want.Fields() {
		if g := got.Field(i).Type; !arrow.TypeEqual(g, f.Type) {
			return fmt.Errorf("%w: column %d (%q) is %s, want %s", ErrSchema, i, f.Name, g, f.Type)
		}
	}
	return nil
}

// ReleaseAll releases every record of every list.
func ReleaseAll(lists ...[]arrow.RecordBatch) {
	for _, l := range lists {
		for _, r := range l {
			r.Release()
		}
	}
}

// CountRows is the number of rows of all recs together.
func CountRows(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

// FirstNull returns the index of the first NULL of a, or -1 when it has
// none.
func FirstNull(a arrow.Array) int {
	switch {
	case a.NullN() == 0:
		return -1
	case a.DataType().ID() == arrow.NULL:
		return 0 // every value is NULL, without a validity bitmap
	}
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			return i
		}
	}
	return -1
}
