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

	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
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
	wantRows(t, readOne(t, c, info, schema_ref.TableTypes), []any{"TABLE"}, []any{"VIEW"})

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

// TestSqlInfoMatchesProto pins every SqlInfo id the server registers to
// its number in FlightSql.proto and the union member clients read it as
// (the JDBC driver's types for 500 and up), checks that nothing else is
// registered, and pins the values of the server ids.
func TestSqlInfoMatchesProto(t *testing.T) {
	s := startServer(t, serverOpts{cfg: func(c *lsflight.Config) { c.Version = "1.2.3" }})
	c := s.client(t)
	ctx := context.Background()
	const str, boolean, bigint, bitmask, list, mapping = 0, 1, 2, 3, 4, 5

	// The server ids, with arrow-go's constants, which must carry the
	// proto's numbers, and the values the server reports.
	server := []struct {
		id    uint32
		named flightsql.SqlInfo
		code  arrow.UnionTypeCode
		value any
	}{
		{0, flightsql.SqlInfoFlightSqlServerName, str, "lakesoul-flight"},
		{1, flightsql.SqlInfoFlightSqlServerVersion, str, "1.2.3"},
		{2, flightsql.SqlInfoFlightSqlServerArrowVersion, str, "18.8.0"},
		{3, flightsql.SqlInfoFlightSqlServerReadOnly, boolean, false},
		{4, flightsql.SqlInfoFlightSqlServerSql, boolean, true},
		{5, flightsql.SqlInfoFlightSqlServerSubstrait, boolean, false},
		{6, flightsql.SqlInfoFlightSqlServerSubstraitMinVersion, str, ""},
		{7, flightsql.SqlInfoFlightSqlServerSubstraitMaxVersion, str, ""},
		{8, flightsql.SqlInfoFlightSqlServerTransaction, bitmask, int32(0)},
		{9, flightsql.SqlInfoFlightSqlServerCancel, boolean, true},
		{10, flightsql.SqlInfoFlightSqlServerBulkIngestion, boolean, true},
		{11, flightsql.SqlInfoFlightSqlServerIngestTransactionsSupported, boolean, false},
		{100, flightsql.SqlInfoFlightSqlServerStatementTimeout, bitmask, int32(0)},
		{101, flightsql.SqlInfoFlightSqlServerTransactionTimeout, bitmask, int32(0)},
	}
	want := map[uint32]arrow.UnionTypeCode{}
	for _, e := range server {
		if uint32(e.named) != e.id {
			t.Errorf("arrow-go's constant for id %d is %d", e.id, e.named)
		}
		want[e.id] = e.code
	}
	set := func(code arrow.UnionTypeCode, ids ...uint32) {
		for _, id := range ids {
			if _, dup := want[id]; dup {
				t.Fatalf("id %d listed twice", id)
			}
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
	set(str, 504, 513, 514, 529, 530, 531)
	set(boolean, 500, 501, 502, 506, 515, 516, 518, 519, 520, 521, 523, 524, 527, 532, 536, 537, 539, 556, 563, 565, 566)
	set(boolean, rng(572, 576)...)
	set(list, rng(508, 512)...)
	set(mapping, 517)
	set(bitmask, 503, 505, 507, 522, 525, 526, 528, 533, 534, 535, 538, 540, 564, 567)
	set(bitmask, rng(568, 571)...)
	set(bigint, rng(541, 555)...)
	set(bigint, rng(557, 562)...)
	if n := len(want); n != 14+77 {
		t.Fatalf("the expectations list %d ids, want 91", n)
	}

	// Everything: exactly the expected ids, each once, of the expected type.
	info, err := c.GetSqlInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := readSqlInfo(t, c, info)
	for id, code := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("SqlInfo %d is missing", id)
		case g.code != code:
			t.Errorf("SqlInfo %d has type code %d, want %d", id, g.code, code)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("SqlInfo %d is registered but the proto does not define it", id)
		}
	}
	for _, e := range server {
		if g := got[e.id]; g.value != e.value {
			t.Errorf("SqlInfo %d is %#v, want %#v", e.id, g.value, e.value)
		}
	}

	// The ids ADBC asks for on connect.
	adbc := []flightsql.SqlInfo{0, 1, 2, 4, 5, 6, 7}
	info, err = c.GetSqlInfo(ctx, adbc)
	if err != nil {
		t.Fatal(err)
	}
	if got := readSqlInfo(t, c, info); len(got) != len(adbc) {
		t.Fatalf("asked for %d ids, got %v", len(adbc), got)
	}
}

// sqlInfoValue is one SqlInfo answer: its union member and, for scalar
// members, its value.
type sqlInfoValue struct {
	code  arrow.UnionTypeCode
	value any
}

// readSqlInfo reads a GetSqlInfo result by id; an id answered twice fails.
func readSqlInfo(t *testing.T, c *flightsql.Client, info *flight.FlightInfo) map[uint32]sqlInfoValue {
	t.Helper()
	out := map[uint32]sqlInfoValue{}
	for _, ep := range info.Endpoint {
		r, err := c.DoGet(context.Background(), ep.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			rec := r.RecordBatch()
			ids := rec.Column(0).(*array.Uint32)
			vals := rec.Column(1).(*array.DenseUnion)
			for i := 0; i < ids.Len(); i++ {
				id := ids.Value(i)
				if _, dup := out[id]; dup {
					t.Errorf("SqlInfo %d answered twice", id)
				}
				v := sqlInfoValue{code: vals.TypeCode(i)}
				off := int(vals.ValueOffset(i))
				switch child := vals.Field(vals.ChildID(i)).(type) {
				case *array.String:
					v.value = child.Value(off)
				case *array.Boolean:
					v.value = child.Value(off)
				case *array.Int64:
					v.value = child.Value(off)
				case *array.Int32:
					v.value = child.Value(off)
				}
				out[id] = v
			}
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Release()
	}
	return out
}
