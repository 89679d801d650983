package sqlparse

import "testing"

func TestParseChangesErrors(t *testing.T) {
	tests := []struct {
		name, sql string
		pos       int
		msg       string
	}{
		{"no arguments", "SELECT * FROM table_changes()", 28, "expected the table name as a string after table_changes("},
		{"unquoted table", "SELECT * FROM table_changes(t, 1)", 28, "expected the table name as a string"},
		{"bad table name", "SELECT * FROM table_changes('a.b.c.d', 1)", 28, "invalid table name 'a.b.c.d'"},
		{"no from", "SELECT * FROM table_changes('t')", 31, "needs the version or timestamp to start after"},
		{"negative", "SELECT * FROM table_changes('t', -1)", 33, "expected a version (a non-negative integer) or a timestamp string"},
		{"bad timestamp", "SELECT * FROM table_changes('t', 'yesterday')", 33, "invalid timestamp 'yesterday' in table_changes"},
		{"reversed", "SELECT * FROM table_changes('t', 5, 2)", 37, "the range is reversed: to (2) is before from (5)"},
		{"reversed times", "SELECT * FROM table_changes('t', '2026-02-01', '2026-01-01')", 59, "the range is reversed"},
		{"three bounds", "SELECT * FROM table_changes('t', 1, 2, 3)", 39, "at most two bounds"},
		{"unknown parameter", "SELECT * FROM table_changes('t', 1, live => true)", 36, `has no parameter "live"`},
		{"follow not bool", "SELECT * FROM table_changes('t', 1, follow => 1)", 46, "expected TRUE or FALSE after follow =>"},
		{"follow with to", "SELECT * FROM table_changes('t', 1, 4, follow => true)", 53, "leave out the upper bound"},
		{"bound after follow", "SELECT * FROM table_changes('t', 1, follow => false, 3)", 53, "cannot follow follow =>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err == nil {
				t.Fatalf("Parse(%q) = %#v, want an error", tt.sql, st)
			}
			checkError(t, tt.sql, err, tt.pos, tt.msg)
		})
	}
}
