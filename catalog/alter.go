package catalog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// AlterKind names one kind of schema alteration.
type AlterKind int

// Alteration kinds, with the Alteration fields each one uses.
const (
	AddColumn    AlterKind = iota + 1 // Name, Type, Nullable, Default
	DropColumn                        // Name
	RenameColumn                      // Name, NewName
	WidenColumn                       // Name, Type
	DropNotNull                       // Name (the column becomes nullable)
)

func (k AlterKind) String() string {
	switch k {
	case AddColumn:
		return "add column"
	case DropColumn:
		return "drop column"
	case RenameColumn:
		return "rename column"
	case WidenColumn:
		return "widen column"
	case DropNotNull:
		return "drop not null"
	}
	return "alteration " + strconv.Itoa(int(k))
}

// Alteration is one change of a table's schema.
type Alteration struct {
	Kind     AlterKind
	Name     string         // the column
	NewName  string         // RenameColumn
	Type     arrow.DataType // AddColumn, WidenColumn
	Nullable bool           // AddColumn
	Default  *string        // AddColumn: the default as text, nil for none
}

// ReservedPrefix starts the names of columns the system keeps for itself
// (such as the delete-marker column of delete files): AlterSchema refuses
// to add or rename a column to such a name.
const ReservedPrefix = "_lakesoul_"

// AlterSchema applies the alterations in order and commits the result as
// one OpSchemaChange commit with a new schema id, against the table's head.
// When another commit (data, properties) lands meanwhile, the alterations
// are checked and applied again on top of it, until ctx ends.
//
//   - AddColumn gives the column a fresh field id above any the table ever
//     used, so a dropped name added again is a new column whose old values
//     never come back. A NOT NULL column needs a default; the default must
//     convert to the column's type. Rows written before the column existed
//     read its default (or NULL).
//   - DropColumn removes the column from the schema; files keep their
//     values, which readers no longer see.
//   - RenameColumn and WidenColumn keep the field id. Widening allows
//     integers to wider integers of the same signedness, float32 to
//     float64, decimal128 to a larger precision of the same scale, date32
//     to timestamp, and the identical type.
//   - DropNotNull makes a column nullable.
//
// Primary key and partition columns cannot be dropped, renamed or retyped,
// nor can columns named by table properties (merge operators, the CDC
// column) be dropped or renamed. An unknown table or column is
// ErrNotFound; any other refused change is ErrInvalid naming the column and
// the reason. Nothing changes on error.
func (c *Catalog) AlterSchema(ctx context.Context, tableID string, changes []Alteration) (*Commit, error) {
	if len(changes) == 0 {
		return nil, invalid("table %s: no schema change given", tableID)
	}
	backoff := time.Millisecond
	for {
		st, err := c.readState(ctx, tableID)
		if err != nil {
			return nil, err
		}
		old, err := c.cachedSchema(tableID, st.rec.SchemaID, st.rec.Schema)
		if err != nil {
			return nil, err
		}
		evolved, lastID, summary, err := alter(st.rec, old, changes)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", tableID, err)
		}
		cm, headKvs, err := c.commitSchema(ctx, st, evolved, lastID, summary)
		if err != nil || cm != nil {
			return cm, err
		}
		if len(headKvs) == 0 {
			return nil, c.lostRace(tableID, st.head.Version+1, nil)
		}
		select {
		case <-time.After(rand.N(backoff) + 1):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// alter applies changes to schema old of the table rec and returns the new
// schema, the new highest field id and a summary of the change.
func alter(rec *tableRecord, old *arrow.Schema, changes []Alteration) (*arrow.Schema, int, map[string]string, error) {
	fields := slices.Clone(old.Fields())
	lastID := rec.LastFieldID
	newSchemaID := rec.SchemaID + 1
	var added, dropped, renamed, widened, nullable []string
	find := func(name string) (int, error) {
		for i, f := range fields {
			if f.Name == name {
				return i, nil
			}
		}
		return -1, fmt.Errorf("%w: column %q does not exist", ErrNotFound, name)
	}
	clash := func(name string) error {
		if err := checkNewColumnName(name); err != nil {
			return err
		}
		if slices.ContainsFunc(fields, func(f arrow.Field) bool { return f.Name == name }) {
			return invalid("column %q already exists", name)
		}
		return nil
	}
	for _, ch := range changes {
		switch ch.Kind {
		case AddColumn:
			if err := clash(ch.Name); err != nil {
				return nil, 0, nil, err
			}
			if ch.Type == nil {
				return nil, 0, nil, invalid("new column %q needs a type", ch.Name)
			}
			md := arrow.Metadata{}
			if ch.Default != nil {
				d, err := parseDefault(memory.DefaultAllocator, *ch.Default, ch.Type)
				if err != nil {
					return nil, 0, nil, invalid("the default of column %q does not fit its type: %v", ch.Name, err)
				}
				d.Release()
				md = withMeta(md, DefaultKey, *ch.Default)
			} else if !ch.Nullable {
				return nil, 0, nil, invalid("new column %q is NOT NULL but has no default: existing rows have no value for it", ch.Name)
			}
			lastID++
			md = withMeta(md, AddedInKey, strconv.FormatInt(newSchemaID, 10))
			md = withFieldID(md, lastID)
			fields = append(fields, arrow.Field{Name: ch.Name, Type: ch.Type, Nullable: ch.Nullable, Metadata: md})
			added = append(added, ch.Name)
		case DropColumn:
			i, err := find(ch.Name)
			if err != nil {
				return nil, 0, nil, err
			}
			if err := checkKeptColumn(rec, ch.Name, "dropped", true); err != nil {
				return nil, 0, nil, err
			}
			fields = slices.Delete(fields, i, i+1)
			dropped = append(dropped, ch.Name)
		case RenameColumn:
			i, err := find(ch.Name)
			if err != nil {
				return nil, 0, nil, err
			}
			if err := checkKeptColumn(rec, ch.Name, "renamed", true); err != nil {
				return nil, 0, nil, err
			}
			if ch.NewName != ch.Name {
				if err := clash(ch.NewName); err != nil {
					return nil, 0, nil, err
				}
			}
			fields[i].Name = ch.NewName
			renamed = append(renamed, ch.Name+":"+ch.NewName)
		case WidenColumn:
			i, err := find(ch.Name)
			if err != nil {
				return nil, 0, nil, err
			}
			if ch.Type == nil {
				return nil, 0, nil, invalid("the new type of column %q is missing", ch.Name)
			}
			if err := checkKeptColumn(rec, ch.Name, "retyped", false); err != nil {
				return nil, 0, nil, err
			}
			f := fields[i]
			if !Widens(f.Type, ch.Type) {
				return nil, 0, nil, invalid("cannot change type of column %q from %s to %s: only widening is allowed", ch.Name, f.Type, ch.Type)
			}
			if text, ok := DefaultOf(f); ok {
				d, err := parseDefault(memory.DefaultAllocator, text, ch.Type)
				if err != nil {
					return nil, 0, nil, invalid("cannot change type of column %q to %s: its default does not fit: %v", ch.Name, ch.Type, err)
				}
				d.Release()
			}
			fields[i].Type = ch.Type
			widened = append(widened, ch.Name+":"+ch.Type.String())
		case DropNotNull:
			i, err := find(ch.Name)
			if err != nil {
				return nil, 0, nil, err
			}
			if slices.Contains(rec.PrimaryKey, ch.Name) {
				return nil, 0, nil, invalid("column %q is a primary key column: it stays NOT NULL", ch.Name)
			}
			fields[i].Nullable = true
			nullable = append(nullable, ch.Name)
		default:
			return nil, 0, nil, invalid("unknown schema change kind %d", int(ch.Kind))
		}
	}
	evolved := schemaWithFields(old, fields)
	if err := checkColumns(evolved); err != nil {
		return nil, 0, nil, err
	}
	if err := checkProperties(evolved, rec.PrimaryKey, rec.Properties); err != nil {
		return nil, 0, nil, err
	}
	summary := map[string]string{}
	for _, s := range []struct {
		key   string
		names []string
	}{
		{"added_columns", added}, {"dropped_columns", dropped}, {"renamed_columns", renamed},
		{"widened_columns", widened}, {"nullable_columns", nullable},
	} {
		if len(s.names) > 0 {
			summary[s.key] = strings.Join(s.names, ",")
		}
	}
	return evolved, lastID, summary, nil
}

// checkNewColumnName checks the name of a column being added or renamed.
func checkNewColumnName(name string) error {
	switch {
	case name == "":
		return invalid("a column name must not be empty")
	case strings.HasPrefix(name, ReservedPrefix):
		return invalid("column name %q is reserved (names starting with %q are kept for the system)", name, ReservedPrefix)
	}
	return nil
}

// checkKeptColumn refuses to drop, rename or retype (what) a primary key or
// partition column, and, when byProperty, to drop or rename a column a
// table property names.
func checkKeptColumn(rec *tableRecord, name, what string, byProperty bool) error {
	switch {
	case slices.Contains(rec.PrimaryKey, name):
		return invalid("column %q is a primary key column and cannot be %s", name, what)
	case slices.Contains(rec.PartitionBy, name):
		return invalid("column %q is a partition column and cannot be %s", name, what)
	}
	if !byProperty {
		return nil
	}
	if _, ok := rec.Properties[PropMergeOpPrefix+name]; ok {
		return invalid("column %q has a merge operator (property %s%s) and cannot be %s; unset the property first", name, PropMergeOpPrefix, name, what)
	}
	if rec.Properties[PropCDCColumn] == name {
		return invalid("column %q is the CDC change column (property %s) and cannot be %s", name, PropCDCColumn, what)
	}
	return nil
}

// Widens reports whether values of type from convert to type to without
// loss, as AlterSchema's WidenColumn allows.
func Widens(from, to arrow.DataType) bool {
	if arrow.TypeEqual(from, to) {
		return true
	}
	rank := func(t arrow.DataType) (signed bool, width int, ok bool) {
		switch t.ID() {
		case arrow.INT8:
			return true, 8, true
		case arrow.INT16:
			return true, 16, true
		case arrow.INT32:
			return true, 32, true
		case arrow.INT64:
			return true, 64, true
		case arrow.UINT8:
			return false, 8, true
		case arrow.UINT16:
			return false, 16, true
		case arrow.UINT32:
			return false, 32, true
		case arrow.UINT64:
			return false, 64, true
		}
		return false, 0, false
	}
	if fs, fw, ok := rank(from); ok {
		ts, tw, ok := rank(to)
		return ok && fs == ts && tw > fw
	}
	switch f := from.(type) {
	case *arrow.Float32Type:
		return to.ID() == arrow.FLOAT64
	case *arrow.Decimal128Type:
		t, ok := to.(*arrow.Decimal128Type)
		return ok && t.Scale == f.Scale && t.Precision > f.Precision
	case *arrow.Date32Type:
		return to.ID() == arrow.TIMESTAMP
	}
	return false
}

// withMeta returns md with key set to value, other keys kept.
func withMeta(md arrow.Metadata, key, value string) arrow.Metadata {
	keys := append([]string(nil), md.Keys()...)
	vals := append([]string(nil), md.Values()...)
	if i := md.FindKey(key); i >= 0 {
		vals[i] = value
	} else {
		keys = append(keys, key)
		vals = append(vals, value)
	}
	return arrow.NewMetadata(keys, vals)
}
