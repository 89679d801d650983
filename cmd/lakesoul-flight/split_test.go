package main

import (
	"slices"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		stmts []string
		rest  string
	}{
		{"one", "select 1;", []string{"select 1"}, ""},
		{"several", " select 1 ;\nselect 2;select 3", []string{"select 1", "select 2"}, "select 3"},
		{"empty statements", ";; ;\n;", nil, ""},
		{"single quotes", "select 'a;b';", []string{"select 'a;b'"}, ""},
		{"escaped quote", "select 'it''s; fine';x", []string{"select 'it''s; fine'"}, "x"},
		{"double quotes", `select "a;b" from t;`, []string{`select "a;b" from t`}, ""},
		{"backticks", "select `a;b`;", []string{"select `a;b`"}, ""},
		{"line comment", "select 1 -- not here; nor here\n, 2;", []string{"select 1 -- not here; nor here\n, 2"}, ""},
		{"block comment", "select /* ; */ 1;", []string{"select /* ; */ 1"}, ""},
		{"comment only", "-- just a comment;\n/* and ; another */;select 1;", []string{"select 1"}, ""},
		{"quote in comment", "-- it's\nselect 1;", []string{"-- it's\nselect 1"}, ""},
		{"dollar quoted", "select $$a;b$$; select $tag$x;$$;y$tag$;", []string{"select $$a;b$$", "select $tag$x;$$;y$tag$"}, ""},
		{"parameter", "select $1; select $2", []string{"select $1"}, " select $2"},
		{"unclosed quote", "select 'a;b", nil, "select 'a;b"},
		{"unclosed comment", "select 1 /* ; ", nil, "select 1 /* ; "},
		{"unicode", "select '数据;'; select 'é'", []string{"select '数据;'"}, " select 'é'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts, rest := splitStatements(tt.src)
			if !slices.Equal(stmts, tt.stmts) || rest != tt.rest {
				t.Fatalf("splitStatements(%q) = %q, %q; want %q, %q", tt.src, stmts, rest, tt.stmts, tt.rest)
			}
		})
	}
}

func TestIsQuery(t *testing.T) {
	for stmt, want := range map[string]bool{
		"SELECT 1":                               true,
		"select * from t":                        true,
		"  with x as (select 1) select * from x": true,
		"VALUES (1)":                             true,
		"show tables":                            true,
		"describe t":                             true,
		"explain select 1":                       true,
		"from t":                                 true,
		"table t":                                true,
		"(select 1) union (select 2)":            true,
		"-- comment\n/* c */ select 1":           true,
		"CALL sys.compact('ns.t')":               true,
		"call sys.expire_versions('t')":          true,
		"insert into t values (1)":               false,
		"update t set a = 1":                     false,
		"delete from t":                          false,
		"create table t (a int)":                 false,
		"selectx":                                false,
		"":                                       false,
	} {
		if got := isQuery(stmt); got != want {
			t.Errorf("isQuery(%q) = %v, want %v", stmt, got, want)
		}
	}
}

func TestIsQuitCommand(t *testing.T) {
	for line, want := range map[string]bool{"quit": true, " EXIT; ": true, `\q`: true, "quit now": false, "select": false} {
		if got := isQuitCommand(line); got != want {
			t.Errorf("isQuitCommand(%q) = %v", line, got)
		}
	}
}
