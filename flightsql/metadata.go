package flightsql

import (
	"context"
	"errors"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
)

// The table types: LakeSoul tables and stored views.
const (
	tableType = "TABLE"
	viewType  = "VIEW"
)

// metadataInfo is the FlightInfo of a metadata command: one endpoint whose
// ticket is the command itself, as the flightsql base routes them.
func metadataInfo(desc *flight.FlightDescriptor, s *arrow.Schema) *flight.FlightInfo {
	mem := memory.DefaultAllocator
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(s, mem),
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: desc.Cmd}}},
		TotalRecords:     -1,
		TotalBytes:       -1,
	}
}

// oneRecord streams a single record batch.
func oneRecord(rec arrow.RecordBatch) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: rec}
	close(ch)
	return rec.Schema(), ch, nil
}

// strings answers a one-column result of the given strings.
func (s *Server) strings(sc *arrow.Schema, vs ...string) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.cfg.Allocator, sc)
	defer b.Release()
	for _, v := range vs {
		b.Field(0).(*array.StringBuilder).Append(v)
	}
	return oneRecord(b.NewRecordBatch())
}

// catalogMatches reports whether a request's catalog filter admits ours.
func catalogMatches(c *string) bool {
	return c == nil || *c == "" || strings.EqualFold(*c, catalogName)
}

// GetFlightInfoCatalogs describes the catalog listing.
func (s *Server) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.Catalogs), nil
}

// DoGetCatalogs lists the one catalog.
func (s *Server) DoGetCatalogs(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.strings(schema_ref.Catalogs, catalogName)
}

// GetFlightInfoSchemas describes the schema listing.
func (s *Server) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.DBSchemas), nil
}

// DoGetDBSchemas lists namespaces matching the LIKE pattern.
func (s *Server) DoGetDBSchemas(ctx context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.cfg.Allocator, schema_ref.DBSchemas)
	defer b.Release()
	if catalogMatches(cmd.GetCatalog()) {
		nss, err := s.listNamespaces(ctx)
		if err != nil {
			return nil, nil, toStatus(err)
		}
		for _, ns := range nss {
			if !likeMatch(cmd.GetDBSchemaFilterPattern(), ns.Name) {
				continue
			}
			b.Field(0).(*array.StringBuilder).Append(catalogName)
			b.Field(1).(*array.StringBuilder).Append(ns.Name)
		}
	}
	return oneRecord(b.NewRecordBatch())
}

// GetFlightInfoTables describes the table listing.
func (s *Server) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if cmd.GetIncludeSchema() {
		return metadataInfo(desc, schema_ref.TablesWithIncludedSchema), nil
	}
	return metadataInfo(desc, schema_ref.Tables), nil
}

// DoGetTables lists tables matching the schema and table LIKE patterns and
// types, with their Arrow schemas when asked.
func (s *Server) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rs := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		rs = schema_ref.TablesWithIncludedSchema
	}
	b := array.NewRecordBuilder(s.cfg.Allocator, rs)
	defer b.Release()
	wantType := func(t string) bool {
		if len(cmd.GetTableTypes()) == 0 {
			return true
		}
		for _, want := range cmd.GetTableTypes() {
			if strings.EqualFold(want, t) {
				return true
			}
		}
		return false
	}
	if catalogMatches(cmd.GetCatalog()) {
		rels, err := s.relations(ctx, cmd.GetDBSchemaFilterPattern(), cmd.GetTableNameFilterPattern())
		if err != nil {
			return nil, nil, toStatus(err)
		}
		for _, r := range rels {
			if !wantType(r.typeName()) {
				continue
			}
			var ser []byte
			if cmd.GetIncludeSchema() {
				sch, err := s.schemaOfRelation(ctx, r)
				if err != nil {
					continue // a view that no longer plans is not listed with columns
				}
				ser = flight.SerializeSchema(withColumnMetadata(sch, r.Namespace, r.Name), s.cfg.Allocator)
			}
			b.Field(0).(*array.StringBuilder).Append(catalogName)
			b.Field(1).(*array.StringBuilder).Append(r.Namespace)
			b.Field(2).(*array.StringBuilder).Append(r.Name)
			b.Field(3).(*array.StringBuilder).Append(r.typeName())
			if cmd.GetIncludeSchema() {
				b.Field(4).(*array.BinaryBuilder).Append(ser)
			}
		}
	}
	return oneRecord(b.NewRecordBatch())
}

// GetFlightInfoTableTypes describes the table type listing.
func (s *Server) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.TableTypes), nil
}

// DoGetTableTypes lists the table types.
func (s *Server) DoGetTableTypes(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.strings(schema_ref.TableTypes, tableType, viewType)
}

// GetFlightInfoPrimaryKeys describes a primary key listing.
func (s *Server) GetFlightInfoPrimaryKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.PrimaryKeys), nil
}

// DoGetPrimaryKeys lists the primary key columns of a table, in key order.
// An unknown table has no keys (JDBC asks for tables it half-knows).
func (s *Server) DoGetPrimaryKeys(ctx context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.cfg.Allocator, schema_ref.PrimaryKeys)
	defer b.Release()
	ns := s.schemaOf(ctx)
	if ref.DBSchema != nil && *ref.DBSchema != "" {
		ns = *ref.DBSchema
	}
	if catalogMatches(ref.Catalog) {
		t, err := s.cfg.Catalog.LoadTable(ctx, ns, ref.Table)
		if err == nil {
			if verr := s.requireVisible(ctx, ns, ref.Table); verr != nil {
				if !errors.Is(verr, ErrPermission) {
					return nil, nil, toStatus(verr)
				}
				t = &catalog.Table{} // listed as if it did not exist
			}
		}
		switch {
		case err == nil:
			for i, col := range t.PrimaryKey {
				b.Field(0).(*array.StringBuilder).Append(catalogName)
				b.Field(1).(*array.StringBuilder).Append(t.Namespace)
				b.Field(2).(*array.StringBuilder).Append(t.Name)
				b.Field(3).(*array.StringBuilder).Append(col)
				b.Field(4).(*array.Int32Builder).Append(int32(i + 1))
				b.Field(5).(*array.StringBuilder).Append(t.Name + "_pkey")
			}
		case isNotFound(err):
		default:
			return nil, nil, toStatus(err)
		}
	}
	return oneRecord(b.NewRecordBatch())
}

// Foreign keys do not exist; the listings are empty but well formed.

func (s *Server) GetFlightInfoExportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.ExportedKeys), nil
}

func (s *Server) DoGetExportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.emptyRecord(schema_ref.ExportedKeys)
}

func (s *Server) GetFlightInfoImportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.ImportedKeys), nil
}

func (s *Server) DoGetImportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.emptyRecord(schema_ref.ImportedKeys)
}

func (s *Server) GetFlightInfoCrossReference(_ context.Context, _ flightsql.CrossTableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.CrossReference), nil
}

func (s *Server) DoGetCrossReference(context.Context, flightsql.CrossTableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.emptyRecord(schema_ref.CrossReference)
}

// GetFlightInfoXdbcTypeInfo describes the type listing.
func (s *Server) GetFlightInfoXdbcTypeInfo(_ context.Context, _ flightsql.GetXdbcTypeInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return metadataInfo(desc, schema_ref.XdbcTypeInfo), nil
}

// DoGetXdbcTypeInfo lists the SQL types of CREATE TABLE.
func (s *Server) DoGetXdbcTypeInfo(_ context.Context, cmd flightsql.GetXdbcTypeInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return oneRecord(typeInfoRecord(s.cfg.Allocator, cmd.GetDataType()))
}

func (s *Server) emptyRecord(sc *arrow.Schema) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.cfg.Allocator, sc)
	defer b.Release()
	return oneRecord(b.NewRecordBatch())
}

// publicSchema is a table schema as clients see it: without the internal
// field id metadata.
var publicSchema = plan.PublicSchema

// fieldOf returns the field of s called name, if there is exactly one.
var fieldOf = plan.FieldOf

func isNotFound(err error) bool { return err != nil && errors.Is(err, catalog.ErrNotFound) }

// likeMatch matches s against a SQL LIKE pattern (% any run, _ one
// character, \ escapes); a nil or empty pattern matches everything.
func likeMatch(pattern *string, s string) bool {
	if pattern == nil || *pattern == "" {
		return true
	}
	return like([]rune(*pattern), []rune(s))
}

func like(p, s []rune) bool {
	for len(p) > 0 {
		switch p[0] {
		case '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if like(p, s[i:]) {
					return true
				}
			}
			return false
		case '_':
			if len(s) == 0 {
				return false
			}
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || s[0] != p[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return len(s) == 0
}
