package sqlparse

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds cover every statement form and the tricky corners of the
// table-reference scanner.
var fuzzSeeds = []string{
	"SELECT * FROM t",
	"SELECT a, b FROM ns.t AS x FOR VERSION AS OF 3 WHERE a = ? AND b IN (1, 2) LIMIT 10;",
	"SELECT * FROM t FOR TIMESTAMP AS OF '2026-01-31 12:00:00+02:00' x JOIN u ON x.id = u.id, v",
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r, t",
	"WITH t AS (SELECT * FROM t) SELECT * FROM t",
	"SELECT EXTRACT(year FROM ts), TRIM(BOTH 'x' FROM s) FROM t WHERE a IS NOT DISTINCT FROM b",
	"SELECT * FROM (SELECT * FROM a) s, LATERAL (SELECT * FROM b WHERE b.id = s.id) l",
	"SELECT * FROM t WHERE id IN (SELECT id FROM other)",
	"FROM t SELECT a WHERE b > 1",
	"DESCRIBE t",
	"SHOW TABLES",
	"TABLE ns.\"t$history\"",
	"VALUES (1, 'a'), (2, 'b')",
	"(SELECT 1 FROM a) UNION (SELECT 2 FROM b)",
	"CREATE SCHEMA IF NOT EXISTS s",
	"DROP SCHEMA s CASCADE",
	"CREATE TABLE IF NOT EXISTS ns.t (id BIGINT PRIMARY KEY, v DECIMAL(10,2) NOT NULL, dt DATE) PARTITIONED BY (dt) WITH (hash_bucket_num = 4)",
	"CREATE TABLE t (a INT, b VARCHAR(3), PRIMARY KEY (a)) WITH ('merge_op.b' = 'concat') PARTITION BY (b)",
	"CREATE TABLE t WITH (x = 1) AS SELECT * FROM u",
	"DROP TABLE IF EXISTS a.b.c",
	"INSERT INTO t (a, b) VALUES (1, 'x'), (?, ?)",
	"INSERT INTO t SELECT * FROM u",
	"DELETE FROM t WHERE a BETWEEN $1 AND $2 OR NOT b LIKE 'x%'",
	"UPDATE t SET a = CASE WHEN b THEN -1 ELSE CAST(c AS BIGINT) END, d = e::text || 'x' WHERE ts < TIMESTAMP '2026-01-01'",
	"USE ns",
	"SET search_path = ns",
	"SELECT 'unterminated",
	"SELECT \"a\"\"b\" /* c /* nested */ */ -- d\n FROM \"t\"",
	"SELECT 1e10, .5, 1., -2.5E-3, INTERVAL 1 DAY",
	"SELECT 1; SELECT 2",
	"GRANT ALL ON t TO u",
	"SELECT dt, count(*) FROM t AS q WHERE q.id > 5 AND name LIKE 'a%' OR x BETWEEN 1 AND 2 GROUP BY dt QUALIFY 1",
	"SELECT x.*, u.a * 2 FROM t x NATURAL JOIN u WHERE CASE WHEN a AND b THEN 1 END = 1 AND EXISTS (SELECT * FROM w WHERE w.k = x.k AND v > ?)",
	"FROM t SELECT a WHERE a IS DISTINCT FROM b AND ts::timestamp with time zone > now() AND (c OR d) LIMIT 1",
	"SELECT COLUMNS('a'), t FROM t AS z(a, b) TABLESAMPLE 10% WHERE a = 1 UNION SELECT * EXCLUDE (a) FROM (SELECT a FROM u WHERE u.a IN ($1, $2)) s",
	"SHOW SCHEMAS LIKE 'a%'",
	"SHOW DATABASES",
	"SHOW TABLES FROM lakesoul.ns LIKE 't\\_%'",
	"SHOW COLUMNS FROM t IN ns",
	"SHOW CREATE VIEW ns.v",
	"SHOW ALL TABLES",
	"DESC ns.t FOR TIMESTAMP AS OF '2026-01-31'",
	"DESCRIBE SELECT a FROM t",
	"EXPLAIN ANALYZE SELECT current_user, version() FROM t WHERE a = ?",
	"EXPLAIN (FORMAT JSON) SELECT 1",
	"TRUNCATE TABLE ns.t",
	"CREATE OR REPLACE VIEW v (a, b) AS SELECT x, current_schema() FROM information_schema.tables",
	"CREATE VIEW IF NOT EXISTS v AS SELECT $1",
	"DROP VIEW IF EXISTS v",
	"SELECT session_user, current_catalog, t.version(), 'current_user' AS current_user FROM version(), current_user u",
	"CALL sys.compact('ns.t')",
	"CALL sys.compact('ns.t', 'dt=2026-01-01/region=eu');",
	"CALL sys.rollback_to_version('t', -5)",
	"CALL sys.rollback_to_timestamp('t', TIMESTAMP '2026-01-02 03:04:05')",
	"CALL sys.expire_versions('ns.t', older_than => '2026-01-01 00:00:00', retain_last => 10)",
	"CALL lakesoul.\"Sys\".x(?, table => $1)",
	"CALL sys.expire_versions(retain_last => ?, table => ?)",
	"CALL sys.x(a => 1, 2)",
	"CALL sys.x(a => 1, a => 2)",
	"CALL sys.x(keep => INTERVAL '7 days', at => DATE '2026-01-01')",
}

// FuzzParse requires that Parse never panics, that errors carry sane
// positions, that a query's references and server-function calls are
// ordered, disjoint spans whose own text rewrites to the query unchanged, that their pushdown facts are well
// formed, and that every expression renders to SQL that parses back to the
// same tree.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		st, err := Parse(sql)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %v is a %T", sql, err, err)
			}
			if e.Pos < 0 || e.Pos > len(sql) || e.Line < 1 || e.Column < 1 {
				t.Fatalf("Parse(%q) error has a bad place: %+v", sql, e)
			}
			return
		}
		var exprs []Expr
		switch s := st.(type) {
		case *Query:
			checkQuery(t, sql, s)
			if s.Simple != nil {
				exprs = append(exprs, s.Simple.Where)
			}
		case *Explain:
			checkQuery(t, sql, s.Query)
		case *CreateView:
			checkQuery(t, sql, s.Query)
			if s.Text != s.Query.Text || s.Query.Params != 0 {
				t.Fatalf("view text %q or parameters %d do not match the query %q", s.Text, s.Query.Params, s.Query.Text)
			}
		case *CreateTable:
			if s.AsQuery != nil {
				checkQuery(t, sql, s.AsQuery)
			}
		case *Insert:
			if s.Query != nil {
				checkQuery(t, sql, s.Query)
			}
			for _, row := range s.Rows {
				exprs = append(exprs, row...)
			}
		case *Call:
			if len(s.Procedure) == 0 {
				t.Fatalf("CALL without a procedure name: %q", sql)
			}
			named := map[string]bool{}
			for _, a := range s.Args {
				if a.Name == "" && len(named) > 0 || named[a.Name] {
					t.Fatalf("CALL arguments out of order or repeated: %q", sql)
				}
				if a.Name != "" {
					named[a.Name] = true
				}
				exprs = append(exprs, a.Value)
			}
		case *Delete:
			exprs = append(exprs, s.Where)
		case *Update:
			exprs = append(exprs, s.Where)
			for _, a := range s.Set {
				exprs = append(exprs, a.Value)
			}
		}
		for _, e := range exprs {
			if e != nil {
				checkExprRoundTrip(t, e)
			}
		}
		if n := st.NumParams(); n < 0 {
			t.Fatalf("NumParams = %d", n)
		}
	})
}

func checkQuery(t *testing.T, sql string, q *Query) {
	t.Helper()
	if !strings.Contains(sql, q.Text) {
		t.Fatalf("query text %q is not part of %q", q.Text, sql)
	}
	originals := make([]string, len(q.Tables))
	views := make([]string, len(q.Tables))
	last := 0
	for i, r := range q.Tables {
		if r.Start < last || r.End <= r.Start || r.End > len(q.Text) {
			t.Fatalf("reference %d of %q has a bad span %d..%d (previous end %d)", i, q.Text, r.Start, r.End, last)
		}
		last = r.End
		originals[i] = q.Text[r.Start:r.End]
		views[i] = r.Replacement(`"v"`)
	}
	if got := q.Rewrite(originals); got != q.Text {
		t.Fatalf("Rewrite with the original names changed %q into %q", q.Text, got)
	}
	q.Rewrite(views)
	calls := make([]string, len(q.Funcs))
	last, k := 0, 0
	for j, f := range q.Funcs {
		if f.Start < last || f.End <= f.Start || f.End > len(q.Text) {
			t.Fatalf("call %d of %q has a bad span %d..%d (previous end %d)", j, q.Text, f.Start, f.End, last)
		}
		last = f.End
		calls[j] = q.Text[f.Start:f.End]
		if _, ok := serverFuncs[f.Name]; !ok || !strings.HasPrefix(strings.ToLower(calls[j]), f.Name) {
			t.Fatalf("call %d of %q is %q, named %q", j, q.Text, calls[j], f.Name)
		}
		for k < len(q.Tables) && q.Tables[k].End <= f.Start {
			k++
		}
		if k < len(q.Tables) && q.Tables[k].Start < f.End {
			t.Fatalf("call %q of %q overlaps reference %q", calls[j], q.Text, originals[k])
		}
	}
	if got := q.RewriteAll(originals, calls); got != q.Text {
		t.Fatalf("RewriteAll with the original texts changed %q into %q", q.Text, got)
	}
	if q.Simple != nil && len(q.Funcs) > 0 {
		t.Fatalf("%q is Simple but calls server functions", q.Text)
	}
	if q.Simple != nil && !reflect.DeepEqual(q.Simple.Table, q.Tables[0]) {
		t.Fatalf("Simple.Table %+v is not Tables[0] %+v", q.Simple.Table, q.Tables[0])
	}
	for _, r := range q.Tables {
		checkFacts(t, q, r)
		if r.Where != nil {
			checkExprRoundTrip(t, r.Where)
		}
	}
}

func checkExprRoundTrip(t *testing.T, e Expr) {
	t.Helper()
	s := e.SQL()
	back, err := ParseExpr(s)
	if err != nil {
		if strings.Contains(err.Error(), "nested too deeply") {
			return // rendering may add parentheses up to the nesting limit
		}
		t.Fatalf("ParseExpr(%q) (rendered from %s): %v", s, dump(e), err)
	}
	zeroPos(e)
	zeroPos(back)
	if !reflect.DeepEqual(back, e) {
		t.Fatalf("round trip through %q\n got %s\nwant %s", s, dump(back), dump(e))
	}
}
