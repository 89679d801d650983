package sqlparse

import (
	"reflect"
	"testing"
)

func TestParseInsert(t *testing.T) {
	tests := []struct {
		name, sql string
		table     TableName
		columns   []string
		rows      [][]string // dumps of the VALUES items
		query     string     // Query.Text for INSERT ... query
		params    int
	}{
		{
			name: "values", sql: "INSERT INTO t VALUES (1, 'a', NULL, -2.5, TRUE)",
			table: TableName{Name: "t"},
			rows:  [][]string{{"1", "'a'", "NULL", "float:-2.5", "true"}},
		},
		{
			name: "columns and rows", sql: "insert into ns.T (A, \"B\") values (1, 'x'), (2 + 3, upper('y'));",
			table: TableName{Schema: "ns", Name: "t"}, columns: []string{"a", "B"},
			rows: [][]string{{"1", "'x'"}, {"(+ 2 3)", "upper('y')"}},
		},
		{
			name: "parameters", sql: "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)",
			table: TableName{Name: "t"}, columns: []string{"a", "b"},
			rows:   [][]string{{"?0", "?1"}, {"?2", "?3"}},
			params: 4,
		},
		{
			name: "dollar parameters", sql: "INSERT INTO t VALUES ($2, $1)",
			table: TableName{Name: "t"},
			rows:  [][]string{{"?1", "?0"}}, params: 2,
		},
		{
			name: "typed literals", sql: "INSERT INTO t VALUES (DATE '2026-01-02', TIMESTAMP '2026-01-02 03:04:05.5', CAST('1.5' AS DECIMAL(4,1)))",
			table: TableName{Name: "t"},
			rows: [][]string{{
				"date:2026-01-02@2026-01-02T00:00:00Z",
				"timestamp:2026-01-02 03:04:05.5@2026-01-02T03:04:05.5Z",
				"(CAST '1.5' DECIMAL(4,1) decimal(4, 1))",
			}},
		},
		{
			name: "select", sql: "INSERT INTO t SELECT * FROM u WHERE a = ?",
			table: TableName{Name: "t"}, query: "SELECT * FROM u WHERE a = ?", params: 1,
		},
		{
			name: "columns and with", sql: "INSERT INTO t (a) WITH x AS (SELECT 1) SELECT * FROM x;",
			table: TableName{Name: "t"}, columns: []string{"a"}, query: "WITH x AS (SELECT 1) SELECT * FROM x",
		},
		{
			name: "parenthesised query", sql: "INSERT INTO t (SELECT a FROM u)",
			table: TableName{Name: "t"}, query: "(SELECT a FROM u)",
		},
		{
			name: "from-first query", sql: "INSERT INTO t FROM u",
			table: TableName{Name: "t"}, query: "FROM u",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			ins := st.(*Insert)
			if ins.Table != tt.table || !reflect.DeepEqual(ins.Columns, tt.columns) {
				t.Errorf("table %v columns %#v, want %v %#v", ins.Table, ins.Columns, tt.table, tt.columns)
			}
			var rows [][]string
			for _, r := range ins.Rows {
				var items []string
				for _, e := range r {
					items = append(items, dump(e))
				}
				rows = append(rows, items)
			}
			if !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows\n got %q\nwant %q", rows, tt.rows)
			}
			switch {
			case tt.query == "" && ins.Query != nil:
				t.Errorf("unexpected query %q", ins.Query.Text)
			case tt.query != "" && (ins.Query == nil || ins.Query.Text != tt.query):
				t.Errorf("query = %+v, want %q", ins.Query, tt.query)
			}
			if st.NumParams() != tt.params {
				t.Errorf("NumParams = %d, want %d", st.NumParams(), tt.params)
			}
		})
	}
}

func TestParseDeleteUpdate(t *testing.T) {
	tests := []struct {
		name, sql string
		want      string // a compact rendering of the statement
		params    int
	}{
		{"delete all", "DELETE FROM t", "DELETE t WHERE <nil>", 0},
		{"delete where", "DELETE FROM ns.t WHERE id = 3;", "DELETE ns.t WHERE (= id 3)", 0},
		{"delete params", "DELETE FROM t WHERE a = ? AND b IN (?, ?)", "DELETE t WHERE (AND (= a ?0) (IN b [?1 ?2]))", 3},
		{"delete dollar params", "DELETE FROM t WHERE a = $3", "DELETE t WHERE (= a ?2)", 3},
		{"delete time range", "DELETE FROM t WHERE ts >= TIMESTAMPTZ '2026-01-01 00:00:00+02:00' AND ts < TIMESTAMP '2026-02-01'",
			"DELETE t WHERE (AND (>= ts timestamptz:2026-01-01 00:00:00+02:00@2025-12-31T22:00:00Z) (< ts timestamp:2026-02-01@2026-02-01T00:00:00Z))", 0},
		{"update", "UPDATE t SET a = 1", "UPDATE t SET a=1 WHERE <nil>", 0},
		{"update many", "UPDATE ns.t SET a = a + 1, \"B\" = ?, c = NULL WHERE id BETWEEN ? AND ?",
			"UPDATE ns.t SET a=(+ a 1) B=?0 c=NULL WHERE (BETWEEN id ?1 ?2)", 3},
		{"update case", "UPDATE t SET s = CASE WHEN a > 0 THEN 'pos' ELSE 'neg' END",
			"UPDATE t SET s=(CASE WHEN (> a 0) THEN 'pos' ELSE 'neg') WHERE <nil>", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			switch s := st.(type) {
			case *Delete:
				got = "DELETE " + s.Table.SQL() + " WHERE " + dump(s.Where)
			case *Update:
				got = "UPDATE " + s.Table.SQL() + " SET"
				for _, a := range s.Set {
					got += " " + a.Column + "=" + dump(a.Value)
				}
				got += " WHERE " + dump(s.Where)
			default:
				t.Fatalf("Parse returned %T", st)
			}
			if got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.sql, got, tt.want)
			}
			if st.NumParams() != tt.params {
				t.Errorf("NumParams = %d, want %d", st.NumParams(), tt.params)
			}
		})
	}
}
