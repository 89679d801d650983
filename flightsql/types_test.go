package flightsql_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestTypes creates a table with every documented type, writes literals,
// and reads them back natively and through DuckDB.
func TestTypes(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	exec(t, c, `CREATE TABLE ty (
		id BIGINT NOT NULL, b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INT, i32b INTEGER, f REAL, f2 FLOAT,
		d DOUBLE, dec DECIMAL(10,2), s VARCHAR, s2 STRING, s3 TEXT, dt DATE, ts TIMESTAMP, tz TIMESTAMPTZ,
		bin BINARY, blb BLOB, PRIMARY KEY (id))`)
	exec(t, c, `INSERT INTO ty VALUES (1, true, -8, 16, 32, 33, 1.5, 2.5, 3.25, 12.34, 'a', 'b', 'c',
		DATE '2026-01-02', TIMESTAMP '2026-01-02 03:04:05.123456', '2026-01-02 03:04:05+02:00', 'xy', 'z')`)

	info, err := c.Execute(context.Background(), "SELECT * FROM ty")
	if err != nil {
		t.Fatal(err)
	}
	sch, rows := readAll(t, c, info)
	wantTypes := []arrow.DataType{
		arrow.PrimitiveTypes.Int64, arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16,
		arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float32,
		arrow.PrimitiveTypes.Float64, &arrow.Decimal128Type{Precision: 10, Scale: 2}, arrow.BinaryTypes.String,
		arrow.BinaryTypes.String, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Date32,
		&arrow.TimestampType{Unit: arrow.Microsecond}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		arrow.BinaryTypes.Binary, arrow.BinaryTypes.Binary,
	}
	for i, want := range wantTypes {
		if !arrow.TypeEqual(sch.Field(i).Type, want) {
			t.Errorf("column %s is %s, want %s", sch.Field(i).Name, sch.Field(i).Type, want)
		}
	}
	want := []any{int64(1), true, "-8", "16", int64(32), int64(33), "1.5", "2.5", 3.25, "12.34", "a", "b", "c",
		"2026-01-02", "2026-01-02T03:04:05.123456", "2026-01-02T01:04:05Z", "eHk=", "eg=="} // ValueStr forms
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, w := range want {
		if rows[0][i] != w {
			t.Errorf("column %s = %v (%T), want %v", sch.Field(i).Name, rows[0][i], rows[0][i], w)
		}
	}
	// Comparisons on every type work natively and in DuckDB.
	for _, q := range []string{
		"SELECT id FROM ty WHERE b = true AND i8 = -8 AND dec = 12.34 AND dt = '2026-01-02' AND ts >= '2026-01-02 03:04:05' AND tz = '2026-01-02 01:04:05'",
		"SELECT id FROM ty WHERE dt = DATE '2026-01-02' AND extract(year FROM ts) = 2026 ORDER BY id",
	} {
		wantRows(t, query(t, c, q), []any{int64(1)})
	}
}
