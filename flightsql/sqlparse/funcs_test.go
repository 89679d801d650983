package sqlparse

import (
	"fmt"
	"strings"
	"testing"
)

func TestFuncs(t *testing.T) {
	tests := []struct {
		name, sql string
		funcs     string // name=span text of each call, space separated
		rewrite   string // RewriteAll with tables T0, T1, ... and funcs F0, F1, ...
	}{
		{"version", "SELECT version()",
			"version=version()", "SELECT F0"},
		{"spaces and case", "SELECT VERSION ( ) AS v",
			"version=VERSION ( )", "SELECT F0 AS v"},
		{"user forms", "select Current_User, session_user, current_user(), SESSION_USER() from t",
			"current_user=Current_User session_user=session_user current_user=current_user() session_user=SESSION_USER()",
			"select F0, F1, F2, F3 from T0"},
		{"schema catalog database", "SELECT current_schema(), current_database(), current_catalog(), current_catalog",
			"current_schema=current_schema() current_database=current_database() current_catalog=current_catalog() current_catalog=current_catalog",
			"SELECT F0, F1, F2, F3"},
		{"interleaved with tables", "SELECT * FROM t WHERE owner = current_user AND a IN (SELECT version() FROM u)",
			"current_user=current_user version=version()",
			"SELECT * FROM T0 WHERE owner = F0 AND a IN (SELECT F1 FROM T1)"},
		{"inside a cte and a join condition", "WITH c AS (SELECT version() v) SELECT * FROM c JOIN t ON current_schema() = t.s",
			"version=version() current_schema=current_schema()",
			"WITH c AS (SELECT F0 v) SELECT * FROM c JOIN T0 ON F1 = t.s"},
		{"method call on the result", "SELECT version().upper()",
			"version=version()", "SELECT F0.upper()"},
		{"as of beside a call", "SELECT current_user FROM t FOR VERSION AS OF 2",
			"current_user=current_user", "SELECT F0 FROM T0"},
		{"strings are not calls", "SELECT 'version()', 'current_user' FROM t",
			"", "SELECT 'version()', 'current_user' FROM T0"},
		{"column names are not calls", "SELECT version, current_schema, current_database FROM t",
			"", "SELECT version, current_schema, current_database FROM T0"},
		{"qualified names are not calls", "SELECT t.version(), x.current_user, current_user.y FROM t",
			"", "SELECT t.version(), x.current_user, current_user.y FROM T0"},
		{"quoted names are not calls", `SELECT "version"(), "current_user" FROM t`,
			"", `SELECT "version"(), "current_user" FROM T0`},
		{"aliases are not calls", "SELECT 1 AS current_user FROM t session_user",
			"", "SELECT 1 AS current_user FROM T0 session_user"},
		{"calls with arguments are other functions", "SELECT version(1), current_schemas(true)",
			"", "SELECT version(1), current_schemas(true)"},
		{"named argument", "SELECT f(current_user := 1, session_user => 2)",
			"", "SELECT f(current_user := 1, session_user => 2)"},
		{"table function is not a call", "SELECT * FROM version(), current_user",
			"", "SELECT * FROM version(), T0"},
		{"for version as of", "SELECT * FROM t FOR VERSION AS OF 1",
			"", "SELECT * FROM T0"},
		{"describe query", "DESCRIBE SELECT current_user",
			"current_user=current_user", "DESCRIBE SELECT F0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.sql, err)
			}
			q := st.(*Query)
			checkQuery(t, tt.sql, q)
			var got, funcs, tables []string
			for j, f := range q.Funcs {
				got = append(got, f.Name+"="+q.Text[f.Start:f.End])
				funcs = append(funcs, fmt.Sprintf("F%d", j))
			}
			for i := range q.Tables {
				tables = append(tables, fmt.Sprintf("T%d", i))
			}
			if g := strings.Join(got, " "); g != tt.funcs {
				t.Errorf("calls of %q\n got %s\nwant %s", tt.sql, g, tt.funcs)
			}
			if g := q.RewriteAll(tables, funcs); g != tt.rewrite {
				t.Errorf("RewriteAll of %q\n got %s\nwant %s", tt.sql, g, tt.rewrite)
			}
			if g, want := q.Rewrite(tables), q.RewriteAll(tables, spanTexts(q)); g != want {
				t.Errorf("Rewrite of %q = %q, want the calls untouched: %q", tt.sql, g, want)
			}
		})
	}
}

// spanTexts returns the text of each call of q.Funcs.
func spanTexts(q *Query) []string {
	s := make([]string, len(q.Funcs))
	for j, f := range q.Funcs {
		s[j] = q.Text[f.Start:f.End]
	}
	return s
}

// TestFuncsInStatements checks that the queries held by other statements
// find their calls too.
func TestFuncsInStatements(t *testing.T) {
	for _, sql := range []string{
		"CREATE TABLE x AS SELECT current_user AS u",
		"INSERT INTO x SELECT version()",
		"EXPLAIN SELECT current_schema()",
		"CREATE VIEW v AS SELECT session_user",
	} {
		t.Run(sql, func(t *testing.T) {
			st, err := Parse(sql)
			if err != nil {
				t.Fatal(err)
			}
			var q *Query
			switch s := st.(type) {
			case *CreateTable:
				q = s.AsQuery
			case *Insert:
				q = s.Query
			case *Explain:
				q = s.Query
			case *CreateView:
				q = s.Query
			}
			if q == nil || len(q.Funcs) != 1 {
				t.Fatalf("Parse(%q): %#v, want a query with one call", sql, st)
			}
		})
	}
}

func TestRewriteAllPanicsOnCountMismatch(t *testing.T) {
	st, err := Parse("SELECT version() FROM t")
	if err != nil {
		t.Fatal(err)
	}
	q := st.(*Query)
	for _, c := range []struct{ tables, funcs []string }{
		{nil, []string{"x"}},
		{[]string{"t"}, nil},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RewriteAll(%q, %q) did not panic", c.tables, c.funcs)
				}
			}()
			q.RewriteAll(c.tables, c.funcs)
		}()
	}
}

func TestInformationSchema(t *testing.T) {
	sql := "SELECT t.table_name, c.column_name FROM information_schema.tables t JOIN INFORMATION_SCHEMA.\"columns\" c ON c.table_name = t.table_name"
	st, err := Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	q := st.(*Query)
	want := []struct {
		name TableName
		span string
	}{
		{TableName{Schema: "information_schema", Name: "tables"}, "information_schema.tables"},
		{TableName{Schema: "information_schema", Name: "columns"}, `INFORMATION_SCHEMA."columns"`},
	}
	if len(q.Tables) != len(want) {
		t.Fatalf("%d references, want %d", len(q.Tables), len(want))
	}
	for i, r := range q.Tables {
		if r.Name != want[i].name || q.Text[r.Start:r.End] != want[i].span || !IsInformationSchema(r.Name) {
			t.Errorf("reference %d = %+v (%q), want %+v (%q)", i, r.Name, q.Text[r.Start:r.End], want[i].name, want[i].span)
		}
	}
	for _, n := range []TableName{
		{Catalog: "lakesoul", Schema: "Information_Schema", Name: "tables"},
	} {
		if !IsInformationSchema(n) {
			t.Errorf("IsInformationSchema(%+v) = false", n)
		}
	}
	for _, n := range []TableName{
		{Name: "tables"},
		{Schema: "ns", Name: "information_schema"},
		{Catalog: "information_schema", Schema: "ns", Name: "t"},
	} {
		if IsInformationSchema(n) {
			t.Errorf("IsInformationSchema(%+v) = true", n)
		}
	}
}
