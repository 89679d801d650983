package catalog

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Merge operators accepted in PropMergeOpPrefix properties.
const (
	MergeLast        = "last"
	MergeLastNonNull = "last_non_null"
	MergeSum         = "sum"
	MergeConcat      = "concat"
)

// invalid returns an error wrapping ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// checkColumns checks the rules every stored schema follows.
func checkColumns(s *arrow.Schema) error {
	if s == nil {
		return invalid("a schema is required")
	}
	if s.NumFields() == 0 {
		return invalid("the schema must have at least one column")
	}
	seen := make(map[string]bool, s.NumFields())
	for i, f := range s.Fields() {
		if f.Name == "" {
			return invalid("column %d has an empty name", i+1)
		}
		if seen[f.Name] {
			return invalid("column %q appears more than once in the schema", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// fieldByName returns the schema's field named name.
func fieldByName(s *arrow.Schema, name string) (arrow.Field, bool) {
	idx := s.FieldIndices(name)
	if len(idx) == 0 {
		return arrow.Field{}, false
	}
	return s.Field(idx[0]), true
}

func isFloat(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}

func isInteger(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

func isString(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
}

// pkTypeOK reports whether a column of type t may be a primary key column.
func pkTypeOK(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.DATE32,
		arrow.TIMESTAMP, arrow.BOOL, arrow.DECIMAL128:
		return true
	}
	return isInteger(t)
}

// partitionTypeOK reports whether a column of type t may be a range
// partition column.
func partitionTypeOK(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.DATE32, arrow.BOOL:
		return true
	}
	return isInteger(t)
}

// checkKeys checks primary key and partition columns against s.
func checkKeys(s *arrow.Schema, pk, partitionBy []string) error {
	seen := map[string]bool{}
	for _, name := range pk {
		f, ok := fieldByName(s, name)
		if !ok {
			return invalid("primary key column %q is not in the schema", name)
		}
		if seen[name] {
			return invalid("primary key column %q is listed twice", name)
		}
		seen[name] = true
		if isFloat(f.Type) {
			return invalid("float columns cannot be primary keys (column %q is %s)", name, f.Type)
		}
		if !pkTypeOK(f.Type) {
			return invalid("column %q of type %s cannot be a primary key column (allowed: integers, string, large_string, binary, date32, timestamp, bool, decimal128)", name, f.Type)
		}
	}
	seen = map[string]bool{}
	for _, name := range partitionBy {
		f, ok := fieldByName(s, name)
		if !ok {
			return invalid("partition column %q is not in the schema", name)
		}
		if seen[name] {
			return invalid("partition column %q is listed twice", name)
		}
		seen[name] = true
		if !partitionTypeOK(f.Type) {
			return invalid("column %q of type %s cannot be a partition column (allowed: string, integers, date32, bool)", name, f.Type)
		}
	}
	return nil
}

// checkProperties checks the table properties the catalog understands.
func checkProperties(s *arrow.Schema, pk []string, props map[string]string) error {
	isPK := map[string]bool{}
	for _, name := range pk {
		isPK[name] = true
	}
	for k, v := range props {
		switch {
		case k == "":
			return invalid("property names must not be empty")
		case strings.HasPrefix(k, PropMergeOpPrefix):
			col := strings.TrimPrefix(k, PropMergeOpPrefix)
			f, ok := fieldByName(s, col)
			if !ok {
				return invalid("property %s: column %q is not in the schema", k, col)
			}
			if isPK[col] {
				return invalid("property %s: primary key column %q cannot have a merge operator", k, col)
			}
			switch v {
			case MergeLast, MergeLastNonNull:
			case MergeSum:
				if !isInteger(f.Type) && !isFloat(f.Type) && f.Type.ID() != arrow.DECIMAL128 {
					return invalid("property %s: merge operator sum needs a numeric column, %q is %s", k, col, f.Type)
				}
			case MergeConcat:
				if !isString(f.Type) {
					return invalid("property %s: merge operator concat needs a string column, %q is %s", k, col, f.Type)
				}
			default:
				return invalid("property %s: unknown merge operator %q (use last, last_non_null, sum or concat)", k, v)
			}
		case k == PropCDCColumn:
			f, ok := fieldByName(s, v)
			if !ok {
				return invalid("property %s: column %q is not in the schema", k, v)
			}
			if !isString(f.Type) {
				return invalid("property %s: column %q must be a string column, it is %s", k, v, f.Type)
			}
			if isPK[v] {
				return invalid("property %s: column %q is a primary key column", k, v)
			}
		}
	}
	return nil
}

// withFieldID returns md with FieldIDKey set to id, other keys kept.
func withFieldID(md arrow.Metadata, id int) arrow.Metadata {
	keys := append([]string(nil), md.Keys()...)
	vals := append([]string(nil), md.Values()...)
	sid := strconv.Itoa(id)
	if i := md.FindKey(FieldIDKey); i >= 0 {
		vals[i] = sid
	} else {
		keys = append(keys, FieldIDKey)
		vals = append(vals, sid)
	}
	return arrow.NewMetadata(keys, vals)
}

// FieldID returns the stable id of a field of a stored schema, or -1 when
// the field carries none.
func FieldID(f arrow.Field) int {
	v, ok := f.Metadata.GetValue(FieldIDKey)
	if !ok {
		return -1
	}
	id, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return id
}

// schemaWithFields rebuilds s with fields and the schema metadata of s.
func schemaWithFields(s *arrow.Schema, fields []arrow.Field) *arrow.Schema {
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

// prepareTable validates spec and returns the table to store (without id
// and path) and the highest field id it assigned.
func prepareTable(spec TableSpec) (*Table, int, error) {
	if err := ValidateName("namespace", spec.Namespace); err != nil {
		return nil, 0, err
	}
	if err := ValidateName("table", spec.Name); err != nil {
		return nil, 0, err
	}
	if err := checkColumns(spec.Schema); err != nil {
		return nil, 0, err
	}
	if err := checkKeys(spec.Schema, spec.PrimaryKey, spec.PartitionBy); err != nil {
		return nil, 0, err
	}
	buckets := spec.HashBucketNum
	if len(spec.PrimaryKey) > 0 {
		if buckets < 1 {
			return nil, 0, invalid("hash_bucket_num must be at least 1 for a table with a primary key (got %d)", buckets)
		}
	} else {
		if buckets != 0 && buckets != 1 {
			return nil, 0, invalid("hash_bucket_num must be 0 or 1 for a table without primary key (got %d)", buckets)
		}
		buckets = 1
	}
	if err := checkProperties(spec.Schema, spec.PrimaryKey, spec.Properties); err != nil {
		return nil, 0, err
	}

	isPK := map[string]bool{}
	for _, name := range spec.PrimaryKey {
		isPK[name] = true
	}
	fields := make([]arrow.Field, spec.Schema.NumFields())
	for i, f := range spec.Schema.Fields() {
		f.Metadata = withFieldID(f.Metadata, i+1)
		if isPK[f.Name] {
			f.Nullable = false
		}
		fields[i] = f
	}
	t := &Table{
		Namespace:     spec.Namespace,
		Name:          spec.Name,
		Schema:        schemaWithFields(spec.Schema, fields),
		PrimaryKey:    cloneStrings(spec.PrimaryKey),
		PartitionBy:   cloneStrings(spec.PartitionBy),
		HashBucketNum: buckets,
		Properties:    maps.Clone(spec.Properties),
	}
	if len(t.Properties) == 0 {
		t.Properties = nil
	}
	return t, len(fields), nil
}

func cloneStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
