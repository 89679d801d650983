package sqlparse

import (
	"reflect"
	"testing"
)

func TestSimple(t *testing.T) {
	tests := []struct {
		sql     string
		columns []string
		table   string // refString of the table
		where   string // dump of WHERE
		limit   int64
	}{
		{"SELECT * FROM t", nil, "t", "<nil>", -1},
		{"select * from NS.T;", nil, "ns.t", "<nil>", -1},
		{"SELECT a, \"B\", c FROM lakesoul.ns.t", []string{"a", "B", "c"}, "lakesoul.ns.t", "<nil>", -1},
		{"SELECT * FROM t WHERE a = 1 AND b IS NOT NULL", nil, "t", "(AND (= a 1) (IS NOT NULL b))", -1},
		{"SELECT a FROM t LIMIT 10", []string{"a"}, "t", "<nil>", 10},
		{"SELECT a FROM t WHERE a > ? LIMIT 0", []string{"a"}, "t", "(> a ?0)", 0},
		{"SELECT * FROM t x WHERE x.a = 1", nil, "t", "(= x.a 1)", -1},
		{"SELECT * FROM t AS x LIMIT 5", nil, "t", "<nil>", 5},
		{"SELECT * FROM t FOR VERSION AS OF 7", nil, "t@v7", "<nil>", -1},
		{"SELECT id FROM t FOR TIMESTAMP AS OF '2026-01-01' AS x WHERE id IN (1, 2) LIMIT 3", []string{"id"}, "t@2026-01-01T00:00:00Z", "(IN id [1 2])", 3},
		{"SELECT date, timestamp FROM t WHERE date = DATE '2026-01-01'", []string{"date", "timestamp"}, "t", `(= "date" date:2026-01-01@2026-01-01T00:00:00Z)`, -1},
		{"SELECT * FROM t WHERE s LIKE 'a%' OR f(x) BETWEEN 1 AND 2", nil, "t", "(OR (LIKE s 'a%') (BETWEEN f(x) 1 2))", -1},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			q := st.(*Query)
			s := q.Simple
			if s == nil {
				t.Fatalf("Simple is nil for %q", tt.sql)
			}
			if !reflect.DeepEqual(s.Columns, tt.columns) {
				t.Errorf("columns %#v, want %#v", s.Columns, tt.columns)
			}
			if got := refString(s.Table); got != tt.table {
				t.Errorf("table %s, want %s", got, tt.table)
			}
			if !reflect.DeepEqual(s.Table, q.Tables[0]) {
				t.Errorf("Simple.Table %+v differs from Tables[0] %+v", s.Table, q.Tables[0])
			}
			if got := dump(s.Where); got != tt.where {
				t.Errorf("where %s, want %s", got, tt.where)
			}
			if s.Limit != tt.limit {
				t.Errorf("limit %d, want %d", s.Limit, tt.limit)
			}
		})
	}
}

func TestNotSimple(t *testing.T) {
	for _, sql := range []string{
		"SELECT DISTINCT a FROM t",
		"SELECT a AS b FROM t",
		"SELECT a b FROM t",
		"SELECT a + 1 FROM t",
		"SELECT count(*) FROM t",
		"SELECT t.a FROM t",
		"SELECT t.* FROM t",
		"SELECT *, a FROM t",
		"SELECT a, FROM t",
		"SELECT * FROM t ORDER BY a",
		"SELECT a FROM t GROUP BY a",
		"SELECT * FROM t LIMIT 10 OFFSET 5",
		"SELECT * FROM t OFFSET 5",
		"SELECT * FROM t LIMIT ?",
		"SELECT * FROM t LIMIT ALL",
		"SELECT * FROM t LIMIT 1.5",
		"SELECT * FROM t LIMIT 99999999999999999999",
		"SELECT * FROM t, u",
		"SELECT * FROM t JOIN u ON true",
		"SELECT * FROM t WHERE id IN (SELECT id FROM u)",
		"SELECT * FROM t WHERE EXISTS (SELECT 1)",
		"SELECT * FROM (SELECT * FROM t)",
		"SELECT * FROM (SELECT * FROM t) x",
		"WITH x AS (SELECT 1) SELECT * FROM t",
		"SELECT * FROM t UNION SELECT * FROM t",
		"SELECT * FROM range(10)",
		"SELECT * FROM t x(a, b)",
		"SELECT * FROM t WHERE a = 1 QUALIFY true",
		"SELECT * FROM t WINDOW w AS ()",
		"SELECT * FROM t TABLESAMPLE 10%",
		"SELECT * FROM t WHERE a::int[] IS NULL",
		"SELECT * EXCLUDE (a) FROM t",
		"FROM t",
		"FROM t SELECT *",
		"TABLE t",
		"DESCRIBE SELECT * FROM t",
		"SELECT 1",
		"(SELECT * FROM t)",
		"SELECT version() FROM t",
		"SELECT current_user FROM t",
		"SELECT * FROM t WHERE owner = current_user",
	} {
		t.Run(sql, func(t *testing.T) {
			st, err := Parse(sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", sql, err)
			}
			if s := st.(*Query).Simple; s != nil {
				t.Errorf("Simple = %+v, want nil", s)
			}
		})
	}
}
