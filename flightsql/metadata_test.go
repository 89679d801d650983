package flightsql_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readOne reads a metadata result and checks its schema against the spec.
func readOne(t *testing.T, c *flightsql.Client, info *flight.FlightInfo, want *arrow.Schema) [][]any {
	t.Helper()
	sch, rows := readAll(t, c, info)
	if !sch.Equal(want) {
		t.Fatalf("schema:\n got %s\nwant %s", sch, want)
	}
	got, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("FlightInfo schema:\n got %s\nwant %s", got, want)
	}
	return rows
}

// TestMetadata browses as DBeaver and ADBC do.
func TestMetadata(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE SCHEMA sales")
	exec(t, c, "CREATE TABLE sales.orders (id BIGINT NOT NULL, region VARCHAR NOT NULL, amount DECIMAL(10,2), at TIMESTAMPTZ, PRIMARY KEY (region, id))")
	exec(t, c, "CREATE TABLE sales.notes (txt VARCHAR)")

	info, err := c.GetCatalogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, readOne(t, c, info, schema_ref.Catalogs), []any{"lakesoul"})

	pat := "sal%"
	info, err = c.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{DbSchemaFilterPattern: &pat})
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, readOne(t, c, info, schema_ref.DBSchemas), []any{"lakesoul", "sales"})

	tpat := "ord_rs"
	info, err = c.GetTables(ctx, &flightsql.GetTablesOpts{DbSchemaFilterPattern: &pat, TableNameFilterPattern: &tpat, IncludeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	sch, rows := readAll(t, c, info)
	if !sch.Equal(schema_ref.TablesWithIncludedSchema) {
		t.Fatalf("schema %s", sch)
	}
	if len(rows) != 1 || rows[0][2] != "orders" || rows[0][3] != "TABLE" {
		t.Fatalf("tables %v", rows)
	}
	// The included schema is an IPC schema with JDBC column metadata.
	info2, _ := c.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: &tpat, IncludeSchema: true})
	r, err := c.DoGet(ctx, info2.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	raw := r.RecordBatch().Column(4).(*array.Binary).Value(0)
	ts, err := flight.DeserializeSchema(raw, memory.DefaultAllocator)
	r.Release()
	if err != nil {
		t.Fatal(err)
	}
	if ts.NumFields() != 4 || ts.Field(0).Name != "id" || ts.Field(0).Nullable {
		t.Fatalf("table schema %s", ts)
	}
	fmd := ts.Field(2).Metadata
	md := flightsql.ColumnMetadata{Data: &fmd}
	if tn, _ := md.TypeName(); tn != "DECIMAL(10,2)" {
		t.Fatalf("type name %q", tn)
	}
	if p, _ := md.Precision(); p != 10 {
		t.Fatalf("precision %d", p)
	}

	info, err = c.GetTableTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, readOne(t, c, info, schema_ref.TableTypes), []any{"TABLE"})

	sales := "sales"
	info, err = c.GetPrimaryKeys(ctx, flightsql.TableRef{DBSchema: &sales, Table: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, readOne(t, c, info, schema_ref.PrimaryKeys),
		[]any{"lakesoul", "sales", "orders", "region", int64(1), "orders_pkey"},
		[]any{"lakesoul", "sales", "orders", "id", int64(2), "orders_pkey"})

	for name, get := range map[string]func() (*flight.FlightInfo, error){
		"imported": func() (*flight.FlightInfo, error) { return c.GetImportedKeys(ctx, flightsql.TableRef{Table: "orders"}) },
		"exported": func() (*flight.FlightInfo, error) { return c.GetExportedKeys(ctx, flightsql.TableRef{Table: "orders"}) },
		"cross": func() (*flight.FlightInfo, error) {
			return c.GetCrossReference(ctx, flightsql.TableRef{Table: "orders"}, flightsql.TableRef{Table: "notes"})
		},
	} {
		info, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantRows(t, readOne(t, c, info, schema_ref.ImportedKeys))
	}

	info, err = c.GetXdbcTypeInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rows := readOne(t, c, info, schema_ref.XdbcTypeInfo); len(rows) < 10 {
		t.Fatalf("%d types", len(rows))
	}
}

// TestSqlInfo checks every id the JDBC driver reads is present with the
// wire type it casts to.
func TestSqlInfo(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	want := map[uint32]arrow.UnionTypeCode{}
	set := func(code arrow.UnionTypeCode, ids ...uint32) {
		for _, id := range ids {
			want[id] = code
		}
	}
	rng := func(a, b uint32) []uint32 {
		var out []uint32
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
		return out
	}
	const str, boolean, bigint, bitmask, list, mapping = 0, 1, 2, 3, 4, 5
	set(str, 0, 1, 2, 6, 7, 504, 513, 514, 529, 530, 531)
	set(boolean, 3, 4, 5, 9, 12, 13, 500, 501, 502, 506, 515, 516, 518, 519, 520, 521, 523, 524, 527, 532, 536, 537, 539, 556, 563, 565, 566, 572, 573, 574, 575, 576)
	set(list, rng(508, 512)...)
	set(mapping, 517)
	set(bitmask, 8, 10, 11, 503, 505, 507, 522, 525, 526, 528, 533, 534, 535, 538, 540, 564, 567, 568, 569, 570, 571)
	set(bigint, append(rng(541, 555), rng(557, 562)...)...)

	info, err := c.GetSqlInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	got := map[uint32]arrow.UnionTypeCode{}
	for r.Next() {
		rec := r.RecordBatch()
		ids := rec.Column(0).(*array.Uint32)
		vals := rec.Column(1).(*array.DenseUnion)
		for i := 0; i < ids.Len(); i++ {
			got[ids.Value(i)] = vals.TypeCode(i)
		}
	}
	for id, code := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("SqlInfo %d is missing", id)
		} else if g != code {
			t.Errorf("SqlInfo %d has type code %d, want %d", id, g, code)
		}
	}
	// Asking for one id works too (ADBC asks for a few).
	info, err = c.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName})
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readAll(t, c, info)
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
}
