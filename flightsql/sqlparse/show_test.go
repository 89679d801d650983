package sqlparse

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseSurface covers the statements a user types first: SHOW,
// DESCRIBE, EXPLAIN, TRUNCATE and views. A statement holding a query is
// compared without it; query gives the query's Text and tables its
// references (refString, space separated).
func TestParseSurface(t *testing.T) {
	tbl := func(parts ...string) TableName { return tableNameOf(parts) }
	tests := []struct {
		name, sql string
		want      Statement
		query     string
		tables    string
	}{
		{"show schemas", "SHOW SCHEMAS", &ShowSchemas{}, "", ""},
		{"show databases like", "show databases like 'sal%';", &ShowSchemas{Like: "sal%"}, "", ""},
		{"show tables", "SHOW TABLES", &ShowTables{}, "", ""},
		{"show tables in", "SHOW TABLES IN Sales", &ShowTables{Schema: "sales"}, "", ""},
		{"show tables from quoted like", `SHOW TABLES FROM "Sales" LIKE 'o\_%'`, &ShowTables{Schema: "Sales", Like: `o\_%`}, "", ""},
		{"show tables from catalog", "SHOW TABLES FROM lakesoul.ns", &ShowTables{Catalog: "lakesoul", Schema: "ns"}, "", ""},
		{"show tables like", "SHOW TABLES LIKE '%x'", &ShowTables{Like: "%x"}, "", ""},
		{"show columns from", "SHOW COLUMNS FROM t", &ShowColumns{Table: tbl("t")}, "", ""},
		{"show columns in qualified", "SHOW COLUMNS IN ns.T", &ShowColumns{Table: tbl("ns", "t")}, "", ""},
		{"show columns from from", "SHOW COLUMNS FROM t FROM ns", &ShowColumns{Table: tbl("ns", "t")}, "", ""},
		{"show columns in in catalog", "SHOW COLUMNS IN t IN lakesoul.ns", &ShowColumns{Table: tbl("lakesoul", "ns", "t")}, "", ""},
		{"describe", "DESCRIBE t", &ShowColumns{Table: tbl("t")}, "", ""},
		{"desc qualified", "desc lakesoul.ns.\"T\";", &ShowColumns{Table: tbl("lakesoul", "ns", "T")}, "", ""},
		{"describe reserved word quoted", `DESCRIBE "select"`, &ShowColumns{Table: tbl("select")}, "", ""},
		{"describe version", "DESCRIBE t FOR VERSION AS OF 3", &ShowColumns{Table: tbl("t"), AsOf: &AsOf{Version: 3, HasVersion: true}}, "", ""},
		{"describe timestamp", "DESCRIBE ns.t FOR TIMESTAMP AS OF '2026-01-31'",
			&ShowColumns{Table: tbl("ns", "t"), AsOf: &AsOf{Timestamp: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}}, "", ""},
		{"show create table", "SHOW CREATE TABLE ns.t", &ShowCreateTable{Table: tbl("ns", "t")}, "", ""},
		{"show create view", "SHOW CREATE VIEW v", &ShowCreateTable{Table: tbl("v"), View: true}, "", ""},
		{"explain", "EXPLAIN SELECT * FROM t JOIN u ON true;", &Explain{}, "SELECT * FROM t JOIN u ON true", "t u"},
		{"explain analyze", "EXPLAIN ANALYZE FROM ns.t", &Explain{Analyze: true}, "FROM ns.t", "ns.t"},
		{"explain analyse", "EXPLAIN ANALYSE WITH c AS (SELECT 1) TABLE c", &Explain{Analyze: true}, "WITH c AS (SELECT 1) TABLE c", ""},
		{"explain parenthesised", "EXPLAIN ((SELECT 1 FROM t))", &Explain{}, "((SELECT 1 FROM t))", "t"},
		{"explain values", "explain values (1)", &Explain{}, "values (1)", ""},
		{"truncate", "TRUNCATE t", &Truncate{Table: tbl("t")}, "", ""},
		{"truncate table", "TRUNCATE TABLE ns.T;", &Truncate{Table: tbl("ns", "t")}, "", ""},
		{"create view", "CREATE VIEW v AS SELECT a FROM t WHERE b > 1",
			&CreateView{View: tbl("v"), Text: "SELECT a FROM t WHERE b > 1"}, "SELECT a FROM t WHERE b > 1", "t"},
		{"create or replace view with columns", "CREATE OR REPLACE VIEW ns.v (x, \"Y\") AS (SELECT 1, 2) ;",
			&CreateView{View: tbl("ns", "v"), OrReplace: true, Columns: []string{"x", "Y"}, Text: "(SELECT 1, 2)"}, "(SELECT 1, 2)", ""},
		{"create view if not exists", "create view if not exists v as\n  from t  -- all\n",
			&CreateView{View: tbl("v"), IfNotExists: true, Text: "from t"}, "from t", "t"},
		{"create view with as of", "CREATE VIEW old AS SELECT * FROM t FOR VERSION AS OF 2",
			&CreateView{View: tbl("old"), Text: "SELECT * FROM t FOR VERSION AS OF 2"}, "SELECT * FROM t FOR VERSION AS OF 2", "t@v2"},
		{"drop view", "DROP VIEW v", &DropView{View: tbl("v")}, "", ""},
		{"drop view if exists", "DROP VIEW IF EXISTS lakesoul.ns.v", &DropView{View: tbl("lakesoul", "ns", "v"), IfExists: true}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.sql, err)
			}
			if n := st.NumParams(); n != 0 {
				t.Errorf("NumParams = %d, want 0", n)
			}
			var q *Query
			switch s := st.(type) {
			case *Explain:
				q, s.Query = s.Query, nil
			case *CreateView:
				q, s.Query = s.Query, nil
			}
			if !reflect.DeepEqual(st, tt.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.sql, st, tt.want)
			}
			if q == nil {
				if tt.query != "" {
					t.Fatalf("no query, want %q", tt.query)
				}
				return
			}
			if q.Text != tt.query {
				t.Errorf("query text %q, want %q", q.Text, tt.query)
			}
			var refs []string
			for _, r := range q.Tables {
				refs = append(refs, refString(r))
			}
			if got := strings.Join(refs, " "); got != tt.tables {
				t.Errorf("references %q, want %q", got, tt.tables)
			}
		})
	}
}

// TestSurfaceQueries lists the forms that stay queries passed through.
func TestSurfaceQueries(t *testing.T) {
	tests := []struct{ sql, tables string }{
		{"DESCRIBE SELECT * FROM t", "t"},
		{"DESCRIBE WITH c AS (SELECT 1) SELECT * FROM c, u", "u"},
		{"DESCRIBE FROM ns.t", "ns.t"},
		{"DESCRIBE VALUES (1)", ""},
		{"DESCRIBE (SELECT a FROM t)", "t"},
		{"DESCRIBE TABLE t", "t"},
		{"DESC SELECT 1", ""},
		{"SUMMARIZE t", "t"},
		{"SHOW ALL TABLES", ""},
		{"SHOW timezone", ""},
		{"SHOW", ""},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.sql, err)
			}
			q, ok := st.(*Query)
			if !ok {
				t.Fatalf("Parse(%q) = %T, want *Query", tt.sql, st)
			}
			if q.Text != tt.sql {
				t.Errorf("Text = %q, want %q", q.Text, tt.sql)
			}
			var refs []string
			for _, r := range q.Tables {
				refs = append(refs, refString(r))
			}
			if got := strings.Join(refs, " "); got != tt.tables {
				t.Errorf("references %q, want %q", got, tt.tables)
			}
		})
	}
}

func TestExplainParams(t *testing.T) {
	st, err := Parse("EXPLAIN SELECT * FROM t WHERE a = ? AND b = ?")
	if err != nil {
		t.Fatal(err)
	}
	if n := st.NumParams(); n != 2 {
		t.Errorf("NumParams = %d, want 2", n)
	}
}

func TestSurfaceErrors(t *testing.T) {
	tests := []struct {
		name, sql string
		pos       int
		msg       string
	}{
		{"show schemas like number", "SHOW SCHEMAS LIKE 1", 18, "expected a pattern string after LIKE, found \"1\""},
		{"show schemas empty like", "SHOW SCHEMAS LIKE ''", 18, "the LIKE pattern must not be empty"},
		{"show schemas junk", "SHOW SCHEMAS x", 13, `expected end of statement, found "x"`},
		{"show tables in nothing", "SHOW TABLES IN", 14, "expected a schema name, found end of input"},
		{"show tables three parts", "SHOW TABLES FROM a.b.c", 20, "at most two parts (catalog.schema)"},
		{"show tables reserved schema", "SHOW TABLES FROM select", 17, `found the reserved word "select"`},
		{"show tables junk", "SHOW TABLES ns", 12, `expected end of statement, found "ns"`},
		{"show columns without from", "SHOW COLUMNS t", 13, `expected FROM or IN after SHOW COLUMNS, found "t"`},
		{"show columns two schemas", "SHOW COLUMNS FROM ns.t FROM other", 23, `the table name ns.t already has a schema: remove the FROM clause`},
		{"show columns no table", "SHOW COLUMNS FROM", 17, "expected a table name, found end of input"},
		{"show create nothing", "SHOW CREATE SCHEMA s", 12, `expected TABLE or VIEW after SHOW CREATE, found "SCHEMA"`},
		{"show create no name", "SHOW CREATE TABLE", 17, "expected a table name"},
		{"describe nothing", "DESCRIBE", 8, "expected a table name or a query after DESCRIBE, found end of input"},
		{"desc string", "DESC 'x.csv'", 5, `expected a table name or a query after DESC, found "'x.csv'"`},
		{"describe junk", "DESCRIBE t u", 11, `expected end of statement, found "u"`},
		{"describe bad version", "DESCRIBE t FOR VERSION AS OF x", 29, "expected a version number"},
		{"describe four parts", "DESCRIBE a.b.c.d", 14, "at most three parts"},
		{"explain insert", "EXPLAIN INSERT INTO t VALUES (1)", 8, `EXPLAIN supports queries only (SELECT, WITH, VALUES, FROM or TABLE), found "INSERT"`},
		{"explain analyze delete", "EXPLAIN ANALYZE DELETE FROM t", 16, `EXPLAIN supports queries only`},
		{"explain show", "EXPLAIN SHOW TABLES", 8, `EXPLAIN supports queries only`},
		{"explain nothing", "EXPLAIN", 7, "expected a query after EXPLAIN, found end of input"},
		{"explain options", "EXPLAIN (FORMAT JSON) SELECT 1", 9, `expected a query after EXPLAIN, found "FORMAT"`},
		{"explain unbalanced", "EXPLAIN (SELECT 1", 8, `"(" is never closed`},
		{"truncate nothing", "TRUNCATE", 8, "expected a table name, found end of input"},
		{"truncate two tables", "TRUNCATE a, b", 10, "TRUNCATE takes one table"},
		{"truncate junk", "TRUNCATE TABLE t CASCADE", 17, `expected end of statement, found "CASCADE"`},
		{"create view without as", "CREATE VIEW v SELECT 1", 14, `expected AS and a query after the view name, found "SELECT"`},
		{"create view without query", "CREATE VIEW v AS", 16, "expected a query after AS, found end of input"},
		{"create view of insert", "CREATE VIEW v AS INSERT INTO t VALUES (1)", 17, `expected a query after AS, found "INSERT"`},
		{"create view both", "CREATE OR REPLACE VIEW IF NOT EXISTS v AS SELECT 1", 23, "OR REPLACE and IF NOT EXISTS cannot be used together"},
		{"create or without replace", "CREATE OR VIEW v AS SELECT 1", 10, `expected REPLACE after CREATE OR, found "VIEW"`},
		{"create or replace nothing", "CREATE OR REPLACE", 17, "expected VIEW after CREATE OR REPLACE, found end of input"},
		{"create view duplicate column", "CREATE VIEW v (a, A) AS SELECT 1, 2", 18, `view column "a" is listed twice`},
		{"create view parameter", "CREATE VIEW v AS SELECT * FROM t WHERE a = ?", 43, "a view's query cannot have parameters"},
		{"create view dollar parameter", "CREATE VIEW v AS\nSELECT $2", 24, "a view's query cannot have parameters"},
		{"create view if not", "CREATE VIEW IF NOT v AS SELECT 1", 19, "expected EXISTS after IF NOT"},
		{"create view two statements", "CREATE VIEW v AS SELECT 1; SELECT 2", 27, "only one statement is allowed"},
		{"drop view nothing", "DROP VIEW", 9, "expected a table name"},
		{"drop view if", "DROP VIEW IF v", 13, "expected EXISTS after IF"},
		{"drop view junk", "DROP VIEW v CASCADE", 12, `expected end of statement, found "CASCADE"`},
		{"error on line 3", "SHOW TABLES\n\nFROM", 17, "expected a schema name"},
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
