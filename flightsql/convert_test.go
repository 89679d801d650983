package flightsql_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestInsertSelectConversions: INSERT ... SELECT stores DuckDB's result
// types in the table's columns when every value converts exactly, and
// refuses the rest without writing anything.
func TestInsertSelectConversions(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	exec(t, c, "CREATE TABLE conv (id BIGINT NOT NULL, small SMALLINT, score DOUBLE, name VARCHAR, PRIMARY KEY (id))")

	// INTEGER into BIGINT and SMALLINT, DECIMAL(2,1) into DOUBLE.
	if n := exec(t, c, "INSERT INTO conv SELECT 1, 2, 1.5, 'a'"); n != 1 {
		t.Fatalf("inserted %d rows, want 1", n)
	}
	// INTEGER into DOUBLE, HUGEINT (a sum) into SMALLINT.
	exec(t, c, "INSERT INTO conv (id, small, score) SELECT 2, sum(x), 7 FROM (VALUES (1), (2)) v(x)")

	for _, tc := range []struct {
		name, sql, contains string
	}{
		{"overflowing narrowing", "INSERT INTO conv (id, small) SELECT 3, 100000", `column "small"`},
		{"fraction into an integer", "INSERT INTO conv (id, small) SELECT 4, 1.5", `column "small"`},
		{"number into text", "INSERT INTO conv (id, name) SELECT 5, 6", "cannot convert int32 to VARCHAR"},
		{"NULL key", "INSERT INTO conv (id, name) SELECT NULL, 'x'", "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ExecuteUpdate(context.Background(), tc.sql)
			wantCode(t, err, codes.InvalidArgument, tc.contains)
		})
	}
	wantRows(t, sortRows(query(t, c, "SELECT * FROM conv")),
		[]any{int64(1), "2", 1.5, "a"}, []any{int64(2), "3", 7.0, nil})
}
