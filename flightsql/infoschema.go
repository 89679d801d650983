package flightsql

import (
	"context"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// information_schema is answered from the catalog when a query reads it,
// so DuckDB joins it like any table. Names and column meanings follow the
// SQL standard's views of the same names.

func str(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.BinaryTypes.String}
}

func nstr(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}
}

func i64(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64}
}

func ni32(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int32, Nullable: true}
}

// infoSchemas are the information_schema tables and their columns.
var infoSchemas = map[string]*arrow.Schema{
	"schemata": arrow.NewSchema([]arrow.Field{str("catalog_name"), str("schema_name"), nstr("schema_owner")}, nil),
	"tables": arrow.NewSchema([]arrow.Field{
		str("table_catalog"), str("table_schema"), str("table_name"), str("table_type"),
	}, nil),
	"columns": arrow.NewSchema([]arrow.Field{
		str("table_catalog"), str("table_schema"), str("table_name"), str("column_name"),
		i64("ordinal_position"), nstr("column_default"), str("is_nullable"), str("data_type"),
		ni32("numeric_precision"), ni32("numeric_scale"),
		str("is_primary_key"), str("is_partition_key"),
	}, nil),
	"key_column_usage": arrow.NewSchema([]arrow.Field{
		str("constraint_catalog"), str("constraint_schema"), str("constraint_name"),
		str("table_catalog"), str("table_schema"), str("table_name"), str("column_name"),
		i64("ordinal_position"),
	}, nil),
	"views": arrow.NewSchema([]arrow.Field{
		str("table_catalog"), str("table_schema"), str("table_name"), str("view_definition"),
	}, nil),
}

func infoTableNames() []string {
	names := make([]string, 0, len(infoSchemas))
	for n := range infoSchemas {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// relation is a table or a view of the catalog.
type relation struct {
	Namespace, Name string
	Table           *catalog.Table // nil for a view
	View            *catalog.View  // nil for a table
}

// typeName is the table type GetTables and information_schema report.
func (r relation) typeName() string {
	if r.View != nil {
		return viewType
	}
	return tableType
}

// relations lists the tables and views of the namespaces and names that
// match the LIKE patterns (nil matches everything), sorted by namespace
// and name.
func (s *Server) relations(ctx context.Context, nsPattern, namePattern *string) ([]relation, error) {
	nss, err := s.listNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := s.accessOf(ctx)
	if err != nil {
		return nil, err
	}
	var out []relation
	for _, ns := range nss {
		if !likeMatch(nsPattern, ns.Name) {
			continue
		}
		tables, err := s.cfg.Catalog.ListTables(ctx, ns.Name)
		if isNotFound(err) {
			continue // dropped meanwhile
		}
		if err != nil {
			return nil, err
		}
		var rs []relation
		for _, t := range tables {
			if likeMatch(namePattern, t.Name) && acc.visible(t.Namespace, t.Name) {
				rs = append(rs, relation{Namespace: t.Namespace, Name: t.Name, Table: t})
			}
		}
		views, err := s.cfg.Catalog.ListViews(ctx, ns.Name)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		for _, v := range views {
			if likeMatch(namePattern, v.Name) && acc.visible(v.Namespace, v.Name) {
				rs = append(rs, relation{Namespace: v.Namespace, Name: v.Name, View: v})
			}
		}
		slices.SortFunc(rs, func(a, b relation) int {
			if a.Name < b.Name {
				return -1
			}
			if a.Name > b.Name {
				return 1
			}
			return 0
		})
		out = append(out, rs...)
	}
	return out, nil
}

// schemaOfRelation is the public schema of a table, or of a view's result.
func (s *Server) schemaOfRelation(ctx context.Context, r relation) (*arrow.Schema, error) {
	if r.Table != nil {
		return publicSchema(r.Table.Schema), nil
	}
	return s.viewSchema(ctx, r.View)
}

// infoReader lists one information_schema table from the catalog.
func (s *Server) infoReader(ctx context.Context, name string) (array.RecordReader, error) {
	sch := infoSchemas[name]
	var rows [][]any
	add := func(vals ...any) error {
		rows = append(rows, vals)
		return nil
	}
	switch name {
	case "schemata":
		nss, err := s.listNamespaces(ctx)
		if err != nil {
			return nil, err
		}
		for _, ns := range nss {
			if err := add(catalogName, ns.Name, nil); err != nil {
				return nil, err
			}
		}
		if err := add(catalogName, infoSchema, nil); err != nil {
			return nil, err
		}
	default:
		rels, err := s.relations(ctx, nil, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range rels {
			if err := s.infoRows(ctx, name, r, add); err != nil {
				return nil, err
			}
		}
	}
	rec, err := s.record(sch, rows)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	return array.NewRecordReader(sch, []arrow.RecordBatch{rec})
}

// infoRows adds the rows one relation contributes to an
// information_schema table.
func (s *Server) infoRows(ctx context.Context, name string, r relation, add func(...any) error) error {
	switch name {
	case "tables":
		typ := "BASE TABLE"
		if r.View != nil {
			typ = "VIEW"
		}
		return add(catalogName, r.Namespace, r.Name, typ)
	case "views":
		if r.View == nil {
			return nil
		}
		return add(catalogName, r.Namespace, r.Name, r.View.SQL)
	case "key_column_usage":
		if r.Table == nil {
			return nil
		}
		for i, k := range r.Table.PrimaryKey {
			if err := add(catalogName, r.Namespace, r.Name+"_pkey", catalogName, r.Namespace, r.Name, k, int64(i+1)); err != nil {
				return err
			}
		}
		return nil
	case "columns":
		sch, err := s.schemaOfRelation(ctx, r)
		if err != nil {
			return nil // a view that no longer plans has no columns to list
		}
		for i, f := range sch.Fields() {
			nullable := "YES"
			if !f.Nullable {
				nullable = "NO"
			}
			pk, part := "NO", "NO"
			if r.Table != nil && slices.Contains(r.Table.PrimaryKey, f.Name) {
				pk, nullable = "YES", "NO"
			}
			if r.Table != nil && slices.Contains(r.Table.PartitionBy, f.Name) {
				part = "YES"
			}
			var prec, scale any
			if p, sc, ok := precisionScale(f.Type); ok && isNumeric(f.Type) {
				prec, scale = int64(p), int64(sc)
			}
			if err := add(catalogName, r.Namespace, r.Name, f.Name, int64(i+1), nil, nullable,
				arrowconv.TypeName(f.Type), prec, scale, pk, part); err != nil {
				return err
			}
		}
	}
	return nil
}

// isNumeric reports whether a type has a numeric precision.
func isNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128:
		return true
	}
	return false
}

var _ = plan.SourceInfo
