package txn

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
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
func conform(ctx context.Context, tbl *catalog.Table, recs []arrow.RecordBatch, kind writeKind, mem memory.Allocator) (arrow.RecordBatch, error) {
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
		if !castable(f.Type, tf[0].Type) {
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
	if kind == kindAppend {
		for _, f := range tbl.Schema.Fields() {
			if _, ok := present[f.Name]; !ok && !f.Nullable {
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
		case ok || kind == kindAppend:
			fields = append(fields, f)
		}
	}
	schema := arrow.NewSchema(fields, nil)
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	cols := make([]arrow.Array, len(fields))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range fields {
		parts := make([]arrow.Array, 0, len(recs))
		release := func() {
			for _, p := range parts {
				p.Release()
			}
		}
		for _, r := range recs {
			idx := r.Schema().FieldIndices(f.Name)
			var col arrow.Array
			if len(idx) == 0 {
				col = array.MakeArrayOfNull(mem, f.Type, int(r.NumRows()))
			} else {
				c, err := castColumn(ctx, r.Column(idx[0]), f, mem)
				if err != nil {
					release()
					return nil, err
				}
				col = c
			}
			parts = append(parts, col)
		}
		var col arrow.Array
		if len(parts) == 1 {
			col = parts[0]
			col.Retain()
		} else {
			c, err := array.Concatenate(parts, mem)
			if err != nil {
				release()
				return nil, fmt.Errorf("concatenate column %q: %w", f.Name, err)
			}
			col = c
		}
		release()
		if !f.Nullable && col.NullN() > 0 {
			row := firstNull(col)
			col.Release()
			what := "NOT NULL column"
			if slices.Contains(tbl.PrimaryKey, f.Name) {
				what = "primary key column"
			}
			return nil, fmt.Errorf("%w: %s %q is NULL in row %d", ErrInvalid, what, f.Name, row)
		}
		cols[i] = col
	}
	return array.NewRecordBatch(schema, cols, rows), nil
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

func firstNull(a arrow.Array) int {
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			return i
		}
	}
	return -1
}

// castColumn converts col to the field's type, refusing lossy conversions.
func castColumn(ctx context.Context, col arrow.Array, f arrow.Field, mem memory.Allocator) (arrow.Array, error) {
	if arrow.TypeEqual(col.DataType(), f.Type) {
		col.Retain()
		return col, nil
	}
	if col.DataType().ID() == arrow.NULL {
		return array.MakeArrayOfNull(mem, f.Type, col.Len()), nil
	}
	out, err := compute.CastArray(compute.WithAllocator(ctx, mem), col, compute.SafeCastOptions(f.Type))
	if err != nil {
		return nil, fmt.Errorf("%w: column %q: cannot convert %s to %s: %v", ErrInvalid, f.Name, col.DataType(), f.Type, err)
	}
	return out, nil
}

// castable lists the conversions a write accepts: widening of integers and
// floats, between string (and binary) encodings, dictionary-encoded values,
// timestamp units and zones, dates and decimals (checked value by value).
func castable(from, to arrow.DataType) bool {
	if arrow.TypeEqual(from, to) || from.ID() == arrow.NULL {
		return true
	}
	if d, ok := from.(*arrow.DictionaryType); ok {
		return castable(d.ValueType, to)
	}
	fw, fs, fint := intInfo(from)
	tw, ts, tint := intInfo(to)
	switch {
	case fint && tint:
		if fs == ts {
			return fw <= tw
		}
		return !fs && ts && fw < tw // unsigned into a wider signed
	case fint && to.ID() == arrow.FLOAT64:
		return fw <= 32
	case fint && to.ID() == arrow.DECIMAL128:
		return true
	}
	fam := func(t arrow.DataType) string {
		switch t.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
			return "string"
		case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
			return "binary"
		case arrow.TIMESTAMP:
			return "timestamp"
		case arrow.DATE32, arrow.DATE64:
			return "date"
		case arrow.DECIMAL128:
			return "decimal"
		case arrow.FLOAT32, arrow.FLOAT64, arrow.FLOAT16:
			return "float"
		}
		return t.ID().String()
	}
	switch fam(from) {
	case "float":
		return fam(to) == "float" && bitWidth(from) <= bitWidth(to)
	case "string", "binary", "timestamp", "date", "decimal":
		return fam(from) == fam(to)
	}
	return false
}

func intInfo(t arrow.DataType) (width int, signed, ok bool) {
	switch t.ID() {
	case arrow.INT8:
		return 8, true, true
	case arrow.INT16:
		return 16, true, true
	case arrow.INT32:
		return 32, true, true
	case arrow.INT64:
		return 64, true, true
	case arrow.UINT8:
		return 8, false, true
	case arrow.UINT16:
		return 16, false, true
	case arrow.UINT32:
		return 32, false, true
	case arrow.UINT64:
		return 64, false, true
	}
	return 0, false, false
}

func bitWidth(t arrow.DataType) int {
	if fw, ok := t.(arrow.FixedWidthDataType); ok {
		return fw.BitWidth()
	}
	return 0
}
