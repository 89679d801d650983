package sqlparse

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// refString renders a reference as name, name@v<version> or
// name@<timestamp>, for comparison.
func refString(r TableRef) string {
	s := r.Name.SQL()
	if c := r.Changes; c != nil {
		s = "changes(" + s + "," + c.From.String()
		if c.HasTo {
			s += "," + c.To.String()
		}
		if c.Follow {
			s += ",follow"
		}
		s += ")"
	}
	switch {
	case r.AsOf == nil:
	case r.AsOf.HasVersion:
		s += fmt.Sprintf("@v%d", r.AsOf.Version)
	default:
		s += "@" + r.AsOf.Timestamp.Format(time.RFC3339Nano)
	}
	return s
}

func TestTableRefs(t *testing.T) {
	tests := []struct {
		name, sql string
		refs      string // refString of each reference, space separated
		rewrite   string // Rewrite with names v0, v1, ...
	}{
		{"single", "SELECT * FROM t",
			"t", "SELECT * FROM v0"},
		{"table changes", "SELECT * FROM table_changes('ns.t', 3) c JOIN u ON c.id = u.id",
			"changes(ns.t,3) u", "SELECT * FROM v0 c JOIN v1 ON c.id = u.id"},
		{"table changes range and follow", "FROM TABLE_CHANGES('T', 3, 7), table_changes('t', TIMESTAMP '2026-01-01', follow => true) AS f",
			"changes(t,3,7) changes(t,'2026-01-01 00:00:00',follow)", "FROM v0, v1 AS f"},
		{"quoted table_changes is a table", `SELECT * FROM "table_changes"`,
			"table_changes", "SELECT * FROM v0"},
		{"qualified", "select a from lakesoul.NS.T where b > 1",
			"lakesoul.ns.t", "select a from v0 where b > 1"},
		{"alias", "SELECT x.a FROM ns.t AS x",
			"ns.t", "SELECT x.a FROM v0 AS x"},
		{"join", "SELECT * FROM a JOIN b ON a.id = b.id LEFT OUTER JOIN c USING (id) CROSS JOIN d NATURAL FULL JOIN e",
			"a b c d e", "SELECT * FROM v0 JOIN v1 ON a.id = b.id LEFT OUTER JOIN v2 USING (id) CROSS JOIN v3 NATURAL FULL JOIN v4"},
		{"comma join", "SELECT * FROM a x, b AS y, ns.c WHERE x.id = y.id",
			"a b ns.c", "SELECT * FROM v0 x, v1 AS y, v2 WHERE x.id = y.id"},
		{"comma after join condition", "SELECT * FROM a JOIN b ON a.id = b.id, c",
			"a b c", "SELECT * FROM v0 JOIN v1 ON a.id = b.id, v2"},
		{"commas after FROM clause are not tables", "SELECT a, b FROM t GROUP BY a, b ORDER BY a, b",
			"t", "SELECT a, b FROM v0 GROUP BY a, b ORDER BY a, b"},
		{"cte shadows table", "WITH t AS (SELECT * FROM src) SELECT * FROM t",
			"src", "WITH t AS (SELECT * FROM v0) SELECT * FROM t"},
		{"cte body sees the table of the same name", "WITH t AS (SELECT * FROM t WHERE a > 0) SELECT * FROM t JOIN u ON true",
			"t u", "WITH t AS (SELECT * FROM v0 WHERE a > 0) SELECT * FROM t JOIN v1 ON true"},
		{"several ctes with columns", "WITH a AS (SELECT 1), b(x, y) AS (SELECT * FROM a, c) SELECT * FROM a, b, d",
			"c d", "WITH a AS (SELECT 1), b(x, y) AS (SELECT * FROM a, v0) SELECT * FROM a, b, v1"},
		{"recursive cte", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r",
			"", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r"},
		{"materialized cte", "WITH m AS MATERIALIZED (FROM t) FROM m",
			"t", "WITH m AS MATERIALIZED (FROM v0) FROM m"},
		{"qualified name is not the cte", "WITH t AS (SELECT 1) SELECT * FROM t, ns.t",
			"ns.t", "WITH t AS (SELECT 1) SELECT * FROM t, v0"},
		{"cte scope ends with its subquery", "SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) s, t",
			"t", "SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) s, v0"},
		{"subquery in FROM", "SELECT * FROM (SELECT * FROM a JOIN b ON true) AS s JOIN c ON true",
			"a b c", "SELECT * FROM (SELECT * FROM v0 JOIN v1 ON true) AS s JOIN v2 ON true"},
		{"nested subqueries", "SELECT * FROM (SELECT * FROM (SELECT * FROM deep) x) y",
			"deep", "SELECT * FROM (SELECT * FROM (SELECT * FROM v0) x) y"},
		{"subquery in WHERE", "SELECT * FROM t WHERE id IN (SELECT id FROM other) AND EXISTS (SELECT 1 FROM third WHERE third.id = t.id)",
			"t other third", "SELECT * FROM v0 WHERE id IN (SELECT id FROM v1) AND EXISTS (SELECT 1 FROM v2 WHERE third.id = t.id)"},
		{"scalar subquery in select list", "SELECT (SELECT max(v) FROM m), coalesce((SELECT 1 FROM n), 0) FROM t",
			"m n t", "SELECT (SELECT max(v) FROM v0), coalesce((SELECT 1 FROM v1), 0) FROM v2"},
		{"parenthesised join", "SELECT * FROM (a JOIN b ON a.x = b.x), c",
			"a b c", "SELECT * FROM (v0 JOIN v1 ON a.x = b.x), v2"},
		{"VALUES in FROM", "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(id, name) JOIN t USING (id)",
			"t", "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(id, name) JOIN v0 USING (id)"},
		{"lateral", "SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.id = t.id) l",
			"t u", "SELECT * FROM v0, LATERAL (SELECT * FROM v1 WHERE u.id = t.id) l"},
		{"extract substring trim", "SELECT EXTRACT(year FROM ts), SUBSTRING(s FROM 2 FOR 3), TRIM(BOTH 'x' FROM s) FROM t",
			"t", "SELECT EXTRACT(year FROM ts), SUBSTRING(s FROM 2 FOR 3), TRIM(BOTH 'x' FROM s) FROM v0"},
		{"trim from", "SELECT trim(FROM s) FROM t",
			"t", "SELECT trim(FROM s) FROM v0"},
		{"is distinct from", "SELECT * FROM t WHERE a IS DISTINCT FROM b OR a IS NOT DISTINCT FROM c",
			"t", "SELECT * FROM v0 WHERE a IS DISTINCT FROM b OR a IS NOT DISTINCT FROM c"},
		{"subquery inside a function call", "SELECT coalesce((SELECT x FROM u LIMIT 1), EXTRACT(day FROM now()))",
			"u", "SELECT coalesce((SELECT x FROM v0 LIMIT 1), EXTRACT(day FROM now()))"},
		{"table functions", "SELECT * FROM range(10) r, read_parquet('x.parquet') p JOIN t ON true, generate_series(1, 3)",
			"t", "SELECT * FROM range(10) r, read_parquet('x.parquet') p JOIN v0 ON true, generate_series(1, 3)"},
		{"file scan is not a table", "SELECT * FROM 'data.csv'",
			"", "SELECT * FROM 'data.csv'"},
		{"from-first", "FROM t",
			"t", "FROM v0"},
		{"from-first with select", "FROM ns.t, u SELECT a, b WHERE a > 1",
			"ns.t u", "FROM v0, v1 SELECT a, b WHERE a > 1"},
		{"union", "SELECT a FROM t UNION ALL SELECT a FROM u EXCEPT SELECT a FROM w INTERSECT FROM x",
			"t u w x", "SELECT a FROM v0 UNION ALL SELECT a FROM v1 EXCEPT SELECT a FROM v2 INTERSECT FROM v3"},
		{"parenthesised union", "(SELECT 1 FROM a) UNION (SELECT 2 FROM b) ORDER BY 1",
			"a b", "(SELECT 1 FROM v0) UNION (SELECT 2 FROM v1) ORDER BY 1"},
		{"version as of", "SELECT * FROM t FOR VERSION AS OF 3",
			"t@v3", "SELECT * FROM v0"},
		{"version as of with alias", "SELECT x.a FROM ns.t FOR VERSION AS OF 12 AS x JOIN u FOR VERSION AS OF 0 y ON x.id = y.id",
			"ns.t@v12 u@v0", "SELECT x.a FROM v0 AS x JOIN v1 y ON x.id = y.id"},
		{"timestamp as of", "SELECT * FROM t FOR TIMESTAMP AS OF '2026-01-31 12:00:00' WHERE a = 1",
			"t@2026-01-31T12:00:00Z", "SELECT * FROM v0 WHERE a = 1"},
		{"timestamp as of with zone and keyword", "SELECT * FROM t FOR TIMESTAMP AS OF TIMESTAMP '2026-01-31T12:00:00.25+02:00' t2",
			"t@2026-01-31T10:00:00.25Z", "SELECT * FROM v0 t2"},
		{"timestamp as of date only", "SELECT * FROM a FOR TIMESTAMP AS OF '2026-01-31', b FOR VERSION AS OF 1",
			"a@2026-01-31T00:00:00Z b@v1", "SELECT * FROM v0, v1"},
		{"quoted names with dots and dollars", `SELECT * FROM ns."t$history" h, "My.Schema"."Tab le"`,
			`ns."t$history" "My.Schema"."Tab le"`, `SELECT * FROM v0 h, v1`},
		{"quoted keyword table", `SELECT * FROM "select" JOIN "from" ON true`,
			`"select" "from"`, `SELECT * FROM v0 JOIN v1 ON true`},
		{"unicode table", "SELECT * FROM 表 WHERE ü = 'é'",
			`"表"`, "SELECT * FROM v0 WHERE ü = 'é'"},
		{"comments keep their place", "SELECT * /* FROM x */ FROM -- y\n t",
			"t", "SELECT * /* FROM x */ FROM -- y\n v0"},
		{"strings are not tables", "SELECT 'FROM x' FROM t WHERE s = 'JOIN y'",
			"t", "SELECT 'FROM x' FROM v0 WHERE s = 'JOIN y'"},
		{"summarize table", "SUMMARIZE t",
			"t", "SUMMARIZE v0"},
		{"describe query", "DESCRIBE SELECT * FROM t",
			"t", "DESCRIBE SELECT * FROM v0"},
		{"describe table statement", "DESCRIBE TABLE ns.t",
			"ns.t", "DESCRIBE TABLE v0"},
		{"table statement", "TABLE ns.t",
			"ns.t", "TABLE v0"},
		{"other show has no references", "SHOW ALL TABLES",
			"", "SHOW ALL TABLES"},
		{"values has no references", "VALUES (1), (2)",
			"", "VALUES (1), (2)"},
		{"window and qualify", "SELECT a, row_number() OVER (PARTITION BY a ORDER BY b) rn FROM t QUALIFY rn = 1",
			"t", "SELECT a, row_number() OVER (PARTITION BY a ORDER BY b) rn FROM v0 QUALIFY rn = 1"},
		{"star modifiers", "SELECT * EXCLUDE (a) REPLACE (b + 1 AS b) FROM t",
			"t", "SELECT * EXCLUDE (a) REPLACE (b + 1 AS b) FROM v0"},
		{"timestamp type with time zone", "SELECT ts::timestamp with time zone FROM t",
			"t", "SELECT ts::timestamp with time zone FROM v0"},
		{"trailing semicolon and comment", "  -- lead\n  SELECT 1 FROM t ; -- trail",
			"t", "SELECT 1 FROM v0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.sql, err)
			}
			q, ok := st.(*Query)
			if !ok {
				t.Fatalf("Parse(%q) = %T, want *Query", tt.sql, st)
			}
			var refs, names []string
			for i, r := range q.Tables {
				refs = append(refs, refString(r))
				names = append(names, fmt.Sprintf("v%d", i))
			}
			if got := strings.Join(refs, " "); got != tt.refs {
				t.Errorf("references of %q\n got %s\nwant %s", tt.sql, got, tt.refs)
			}
			if got := q.Rewrite(names); got != tt.rewrite {
				t.Errorf("Rewrite of %q\n got %s\nwant %s", tt.sql, got, tt.rewrite)
			}
		})
	}
}

func TestQueryText(t *testing.T) {
	tests := []struct{ sql, text string }{
		{"SELECT 1;", "SELECT 1"},
		{"SELECT 1 ;;", "SELECT 1"},
		{"/* hint */ SELECT 1 -- done", "SELECT 1"},
		{"(SELECT 1)", "(SELECT 1)"},
		{"SHOW timezone;", "SHOW timezone"},
	}
	for _, tt := range tests {
		st, err := Parse(tt.sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.sql, err)
		}
		if q := st.(*Query); q.Text != tt.text {
			t.Errorf("Parse(%q).Text = %q, want %q", tt.sql, q.Text, tt.text)
		}
	}
}

func TestRewritePanicsOnCountMismatch(t *testing.T) {
	st, err := Parse("SELECT * FROM a, b")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Rewrite with one name for two references did not panic")
		}
	}()
	st.(*Query).Rewrite([]string{"x"})
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-01-31", "2026-01-31T00:00:00Z"},
		{"2026-01-31 12:34", "2026-01-31T12:34:00Z"},
		{"2026-01-31T12:34:56", "2026-01-31T12:34:56Z"},
		{"2026-01-31t12:34:56.5", "2026-01-31T12:34:56.5Z"},
		{"2026-01-31 12:34:56.000001", "2026-01-31T12:34:56.000001Z"},
		{"2026-01-31 12:34:56Z", "2026-01-31T12:34:56Z"},
		{"2026-01-31 12:34:56 UTC", "2026-01-31T12:34:56Z"},
		{"2026-01-31 12:34:56+02:00", "2026-01-31T10:34:56Z"},
		{"2026-01-31 12:34:56 +0200", "2026-01-31T10:34:56Z"},
		{"2026-01-31 01:00:00-05", "2026-01-31T06:00:00Z"},
		{"2024-02-29 23:59:59.999999-01:30", "2024-03-01T01:29:59.999999Z"},
	}
	for _, tt := range tests {
		got, err := parseTimestamp(tt.in)
		if err != nil {
			t.Errorf("parseTimestamp(%q): %v", tt.in, err)
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want || got.Location() != time.UTC {
			t.Errorf("parseTimestamp(%q) = %s (%v), want %s UTC", tt.in, s, got.Location(), tt.want)
		}
	}
	for _, bad := range []string{
		"", "2026", "2026-1-31", "2026-01-31 1:00", "2026-01-31 12", "2026-01-31 12:00:",
		"2026-01-31 12:00:00.", "2026-01-31 12:00:00.1234567", "2026-02-29", "2026-01-32",
		"2026-01-31 24:00", "2026-01-31 12:60", "2026-01-31 12:00:00+25:00", "2026-01-31 12:00:00+02:0",
		"2026-01-31 12:00:00 PST", "2026-01-31 12:00:00Zjunk", "0000-01-01",
	} {
		if got, err := parseTimestamp(bad); err == nil {
			t.Errorf("parseTimestamp(%q) = %v, want an error", bad, got)
		}
	}
}

func TestAliasAndReplacement(t *testing.T) {
	tests := []struct {
		sql     string
		aliases string // Alias of each reference ("-" for none)
		rewrite string // Rewrite with Replacement("v<i>")
	}{
		{"SELECT t.a FROM t JOIN ns.u ON t.id = u.id",
			"- -", "SELECT t.a FROM v0 AS t JOIN v1 AS u ON t.id = u.id"},
		{"SELECT x.a FROM t AS x, u y, w \"Z\"",
			"x y Z", "SELECT x.a FROM v0 AS x, v1 y, v2 \"Z\""},
		{"SELECT * FROM t FOR VERSION AS OF 1 AS old JOIN t FOR VERSION AS OF 2 ON true",
			"old -", "SELECT * FROM v0 AS old JOIN v1 AS t ON true"},
		{`SELECT * FROM ns."t$history"`,
			"-", `SELECT * FROM v0 AS "t$history"`},
		{"SELECT * FROM t TABLESAMPLE 10%",
			"-", "SELECT * FROM v0 AS t TABLESAMPLE 10%"},
		{"SELECT * FROM t WHERE a = 1",
			"-", "SELECT * FROM v0 AS t WHERE a = 1"},
		{"DESCRIBE SELECT * FROM t", "-", "DESCRIBE SELECT * FROM v0 AS t"},
		{"TABLE t", "-", "TABLE v0"},
		{"FROM t SELECT *", "-", "FROM v0 AS t SELECT *"},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			q := st.(*Query)
			var aliases, names []string
			for i, r := range q.Tables {
				a := r.Alias
				if a == "" {
					a = "-"
				}
				aliases = append(aliases, a)
				names = append(names, r.Replacement(fmt.Sprintf("v%d", i)))
			}
			if got := strings.Join(aliases, " "); got != tt.aliases {
				t.Errorf("aliases %q, want %q", got, tt.aliases)
			}
			if got := q.Rewrite(names); got != tt.rewrite {
				t.Errorf("Rewrite\n got %s\nwant %s", got, tt.rewrite)
			}
		})
	}
}
