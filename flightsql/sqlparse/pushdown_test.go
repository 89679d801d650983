package sqlparse

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// factsString renders the pushdown facts of a query's references:
// "name[ all][ where <SQL>]" for each, joined with "; ".
func factsString(q *Query) string {
	var s []string
	for _, r := range q.Tables {
		f := refString(r)
		if r.AllColumns {
			f += " all"
		}
		if r.Where != nil {
			f += " where " + r.Where.SQL()
		}
		s = append(s, f)
	}
	return strings.Join(s, "; ")
}

func TestPushdown(t *testing.T) {
	tests := []struct {
		name, sql string
		facts     string // factsString
		uses      string // names every reference without AllColumns must list
	}{
		// WHERE pushdown.
		{"aggregate query", "SELECT dt, count(*) FROM t WHERE id > 5 AND name LIKE 'a%' GROUP BY dt",
			"t where id > 5 AND name LIKE 'a%'", "dt id name"},
		{"star", "SELECT * FROM t WHERE x = 1",
			"t all where x = 1", ""},
		{"join has no pushdown", "SELECT a.id FROM t a JOIN u b ON a.id = b.id WHERE a.x = 1",
			"t; u", "id x"},
		{"comma join has no pushdown", "SELECT 1 FROM t, u WHERE a = 1",
			"t; u", "a"},
		{"subquery conjunct stays", "SELECT id FROM t WHERE id IN (SELECT id FROM u WHERE v = 2)",
			"t; u where v = 2", "id v"},
		{"subquery conjunct among others", "SELECT a FROM t WHERE a = 1 AND b IN (SELECT b FROM u) AND c = 2",
			"t where a = 1 AND c = 2; u", "a b c"},
		{"alias qualifier stripped", "SELECT sum(v) FROM t AS q WHERE q.k = 'x' OR q.k = 'y'",
			"t where k = 'x' OR k = 'y'", "k v"},
		{"table name qualifier stripped", "SELECT a FROM ns.t WHERE ns.t.a = 1 AND t.b = 2 AND other.t.c = 3 AND u.d = 4",
			"ns.t where a = 1 AND b = 2", "a b c d"},
		{"table name is no qualifier beside an alias", "SELECT 1 FROM t AS x WHERE t.a = 1 AND x.b = 2",
			"t where b = 2", "a b"},
		{"qualifiers compare exactly", `SELECT a FROM t x WHERE "X".a = 1 AND x.b = 2`,
			"t where b = 2", "a b"},
		{"cte", "WITH c AS (SELECT * FROM t WHERE a = 1) SELECT * FROM c WHERE b = 2",
			"t all where a = 1", ""},
		{"union branches", "SELECT a FROM t WHERE a > 1 UNION ALL SELECT a FROM u WHERE b < 2 ORDER BY a",
			"t where a > 1; u where b < 2", "a b"},
		{"parenthesised union", "(SELECT a FROM t WHERE a = 1) UNION (SELECT a FROM u WHERE b = 2) LIMIT 3",
			"t where a = 1; u where b = 2", "a b"},
		{"question mark parameters", "SELECT * FROM t WHERE a = ? AND b > ?",
			"t all where a = $1 AND b > $2", ""},
		{"dollar parameters", "SELECT x FROM t WHERE a = $2 AND b > $1",
			"t where a = $2 AND b > $1", "a b x"},
		{"parameters keep statement indexes", "SELECT x FROM t WHERE x IN (SELECT y FROM u WHERE z = ?) AND a = ?",
			"t where a = $2; u where z = $1", "a x y z"},
		{"correlated exists", "SELECT x FROM t WHERE a = 1 AND EXISTS (SELECT 1 FROM u WHERE u.k = t.k AND u.v > 0 AND w = 3) AND b = 2",
			"t where a = 1 AND b = 2; u where v > 0 AND w = 3", "a b k v w x"},
		{"lateral", "SELECT * FROM u, LATERAL (SELECT * FROM t WHERE t.k = u.k AND t.v > 0) l",
			"u all; t all where v > 0", ""},
		{"outer aggregate in a subquery", "SELECT g FROM o GROUP BY g HAVING EXISTS (SELECT 1 FROM t WHERE t.v < max(o.w) AND v < count(*) AND v > sum(1) AND v > 0)",
			"o; t where v > 0", "g v w"},
		{"qualify, order and limit", "SELECT a, row_number() OVER (PARTITION BY a ORDER BY b) AS rn FROM t WHERE c = 1 AND d <> 2 QUALIFY rn = 1 ORDER BY a LIMIT 10",
			"t where c = 1 AND d <> 2", "a b c d rn"},
		{"window clause", "SELECT sum(a) OVER w FROM t WHERE b = 1 WINDOW w AS (ORDER BY c)",
			"t where b = 1", "a b c w"},
		{"group by all having", "SELECT a, sum(b) FROM t WHERE c = 1 GROUP BY ALL HAVING sum(b) > 0",
			"t where c = 1", "a b c"},
		{"or at the top", "SELECT a FROM t WHERE a = 1 OR b = 2 AND c = 3",
			"t where a = 1 OR b = 2 AND c = 3", "a b c"},
		{"parenthesised or", "SELECT a FROM t WHERE (a = 1 OR b = 2) AND c = 3",
			"t where (a = 1 OR b = 2) AND c = 3", "a b c"},
		{"between", "SELECT a FROM t WHERE a BETWEEN 1 AND 5 AND b NOT BETWEEN 2 AND 3 AND c = 1",
			"t where a BETWEEN 1 AND 5 AND b NOT BETWEEN 2 AND 3 AND c = 1", "a b c"},
		{"case", "SELECT a FROM t WHERE CASE WHEN a AND b THEN 1 ELSE 0 END = 1 AND c",
			"t where CASE WHEN a AND b THEN 1 ELSE 0 END = 1 AND c", "a b c"},
		{"is distinct from", "SELECT a FROM t WHERE a IS DISTINCT FROM b AND c IS NOT DISTINCT FROM 1",
			"t where a IS DISTINCT FROM b AND c IS NOT DISTINCT FROM 1", "a b c"},
		{"time zone cast", "SELECT a FROM t WHERE ts::TIMESTAMP WITH TIME ZONE > TIMESTAMPTZ '2026-01-01' AND a = 1",
			"t where CAST(ts AS TIMESTAMP WITH TIME ZONE) > TIMESTAMPTZ '2026-01-01' AND a = 1", "a ts"},
		{"unparseable conjuncts dropped", "SELECT a FROM t WHERE a = 1 AND b::int[] IS NULL AND c LIKE 'x' ESCAPE '!' AND list_any(l, x -> x > 1) AND d = 4",
			"t where a = 1 AND d = 4", "a b c d l"},
		{"volatile and clock functions dropped", "SELECT a FROM t WHERE random() < 0.5 AND ts > now() - INTERVAL 1 DAY AND d < current_date AND a = 1",
			"t where a = 1", "a d ts"},
		{"quoted current_date is a column", `SELECT a FROM t WHERE "current_date" = DATE '2026-01-01'`,
			`t where "current_date" = DATE '2026-01-01'`, "a current_date"},
		{"columns in where", "SELECT * FROM t WHERE COLUMNS(*) > 0 AND a = 1",
			"t all where a = 1", ""},
		{"struct field is no qualifier", "SELECT a FROM t WHERE s.f = 1 AND a = 2",
			"t where a = 2", "a f s"},
		{"as of and alias", "SELECT a FROM t FOR VERSION AS OF 3 AS x WHERE x.a = 1",
			"t@v3 where a = 1", "a"},
		{"from-first", "FROM t WHERE a = 1",
			"t all where a = 1", ""},
		{"from-first with select", "FROM t SELECT b, (c) WHERE a = 1 AND c ORDER BY b",
			"t where a = 1 AND c", "a b c"},
		{"where after an unknown clause end", "SELECT a FROM t WHERE a = 1 AND b = 2 INTO c",
			"t", "a b c"},
		{"no where", "SELECT a FROM t ORDER BY a",
			"t", "a"},
		{"tablesample", "SELECT a FROM t TABLESAMPLE 10% WHERE a = 1",
			"t", "a"},
		{"using sample", "SELECT a FROM t x WHERE a = 1 USING SAMPLE 10",
			"t", "a"},
		{"parenthesised table", "SELECT a FROM (t) WHERE a = 1",
			"t", "a"},

		// Columns and AllColumns.
		{"count star", "SELECT count(*) FROM t",
			"t", "count"},
		{"products", "SELECT a * b, (a) * 2, 3 * CAST(c AS INT), a*-1 FROM t",
			"t", "a b c"},
		{"star after distinct on", "SELECT DISTINCT ON (a) * FROM t",
			"t all", ""},
		{"star item and columns", "SELECT a, * FROM t",
			"t all", ""},
		{"star in a function", "SELECT struct_pack(*) FROM t",
			"t all", ""},
		{"qualified star", "SELECT t.* FROM t JOIN u ON t.id = u.id",
			"t all; u", "id"},
		{"alias star", "SELECT x.*, y.b FROM t x JOIN u y ON true",
			"t all; u", "b"},
		{"star of a derived table", "SELECT s.* FROM (SELECT a FROM t) s JOIN u ON true",
			"t; u all", "a"},
		{"star of a struct column", "SELECT s.* FROM t",
			"t all", ""},
		{"star over a subquery", "SELECT * FROM (SELECT a FROM t) s",
			"t", "a"},
		{"star inside a subquery", "SELECT a FROM (SELECT * FROM t) s",
			"t all", ""},
		{"star and IN subquery", "SELECT * FROM t WHERE id IN (SELECT id FROM u)",
			"t all; u", "id"},
		{"star in one union branch", "SELECT * FROM t UNION SELECT a FROM u",
			"t all; u", "a"},
		{"star in a parenthesised join", "SELECT * FROM (t JOIN u USING (id)), w",
			"t all; u all; w all", ""},
		{"columns expression", "SELECT COLUMNS('a.*') FROM t",
			"t all", ""},
		{"columns in an aggregate", "SELECT min(COLUMNS(*)) FROM t",
			"t all", ""},
		{"star modifiers", "SELECT * EXCLUDE (a) REPLACE (b + 1 AS b) FROM t",
			"t all", ""},
		{"natural join", "SELECT a FROM t NATURAL JOIN u",
			"t all; u all", ""},
		{"using join", "SELECT a FROM t JOIN u USING (id)",
			"t; u", "a id"},
		{"table function beside", "SELECT a FROM t, range(10) r",
			"t all", ""},
		{"table function elsewhere", "SELECT a FROM t WHERE b IN (SELECT x FROM range(3) r(x))",
			"t", "a b x"},
		{"whole row", "SELECT t FROM t",
			"t all", ""},
		{"whole row by alias", "SELECT to_json(x) FROM t x JOIN u ON true",
			"t all; u", "x"},
		{"column alias list", "SELECT c1 FROM t AS x(c1, c2)",
			"t all", ""},
		{"pivot", "SELECT a FROM t PIVOT (sum(v) FOR y IN (1, 2))",
			"t all", ""},
		{"positional reference", "SELECT #1 FROM t",
			"t all", ""},
		{"from-first without select", "WITH c AS (FROM t) SELECT a FROM c",
			"t all", ""},
		{"table statement", "TABLE t", "t all", ""},
		{"describe table statement", "DESCRIBE TABLE t", "t all", ""},
		{"summarize", "SUMMARIZE ns.t", "ns.t all", ""},
		{"describe query", "DESCRIBE SELECT a FROM t WHERE b = 1",
			"t where b = 1", "a b"},
		{"everything named", "SELECT (SELECT max(z) FROM u) AS m FROM t WHERE y > 0 ORDER BY x.\"Y\"",
			"u; t where y > 0", "m u x y z Y max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.sql, err)
			}
			q := st.(*Query)
			if got := factsString(q); got != tt.facts {
				t.Errorf("facts of %q\n got %s\nwant %s", tt.sql, got, tt.facts)
			}
			for _, r := range q.Tables {
				checkFacts(t, q, r)
				if r.AllColumns {
					continue
				}
				for _, c := range strings.Fields(tt.uses) {
					if !slices.Contains(r.Columns, c) {
						t.Errorf("columns of %s %q lack %q", refString(r), r.Columns, c)
					}
				}
			}
		})
	}
}

// checkFacts requires r's facts to be well formed: Columns sorted and
// distinct, present exactly without AllColumns; Where's column references
// of one part and its parameters within the query's.
func checkFacts(t *testing.T, q *Query, r TableRef) {
	t.Helper()
	if r.AllColumns != (r.Columns == nil) {
		t.Fatalf("%s: AllColumns %v with Columns %q", refString(r), r.AllColumns, r.Columns)
	}
	for i := 1; i < len(r.Columns); i++ {
		if r.Columns[i-1] >= r.Columns[i] {
			t.Fatalf("%s: Columns %q are not sorted and distinct", refString(r), r.Columns)
		}
	}
	Walk(r.Where, func(e Expr) bool {
		switch e := e.(type) {
		case *ColumnRef:
			if len(e.Parts) != 1 {
				t.Fatalf("%s: Where %s has the qualified column %s", refString(r), r.Where.SQL(), e.SQL())
			}
		case *Param:
			if e.Index >= q.Params {
				t.Fatalf("%s: Where %s has parameter %d of %d", refString(r), r.Where.SQL(), e.Index, q.Params)
			}
		}
		return true
	})
}

func TestPushdownColumns(t *testing.T) {
	st, err := Parse(`SELECT a, "B", T.c FROM ns.T WHERE d > 1`)
	if err != nil {
		t.Fatal(err)
	}
	r := st.(*Query).Tables[0]
	want := []string{"B", "a", "c", "d", "from", "ns", "select", "t", "where"}
	if !reflect.DeepEqual(r.Columns, want) {
		t.Errorf("Columns = %q, want %q", r.Columns, want)
	}
	if got := dump(r.Where); got != "(> d 1)" {
		t.Errorf("Where = %s, want (> d 1)", got)
	}
	if r.Where.Pos() != strings.Index(`SELECT a, "B", T.c FROM ns.T WHERE d > 1`, "d >") {
		t.Errorf("Where.Pos() = %d, want the offset of d in the statement", r.Where.Pos())
	}
}

func TestPushdownInStatements(t *testing.T) {
	tests := []struct{ sql, facts string }{
		{"INSERT INTO x SELECT a FROM t WHERE a = ?", "t where a = $1"},
		{"INSERT INTO x (a) SELECT * FROM t WHERE b = 1 ON CONFLICT DO NOTHING", "t all where b = 1"},
		{"CREATE TABLE x AS SELECT a FROM t WHERE a > 0 AND b", "t where a > 0 AND b"},
	}
	for _, tt := range tests {
		st, err := Parse(tt.sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.sql, err)
		}
		var q *Query
		switch s := st.(type) {
		case *Insert:
			q = s.Query
		case *CreateTable:
			q = s.AsQuery
		}
		if got := factsString(q); got != tt.facts {
			t.Errorf("facts of %q\n got %s\nwant %s", tt.sql, got, tt.facts)
		}
	}
}
