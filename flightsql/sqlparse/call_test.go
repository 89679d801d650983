package sqlparse

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseCall(t *testing.T) {
	tests := []struct {
		name, sql string
		proc      []string
		args      []string // name=dump, or the dump alone for positional ones
		params    int
	}{
		{name: "no arguments", sql: "CALL sys.compact()", proc: []string{"sys", "compact"}},
		{name: "positional", sql: "call SYS.Compact('ns.t', 'dt=2026-01-01');",
			proc: []string{"sys", "compact"}, args: []string{"'ns.t'", "'dt=2026-01-01'"}},
		{name: "numbers", sql: "CALL sys.rollback_to_version('t', 5)",
			proc: []string{"sys", "rollback_to_version"}, args: []string{"'t'", "5"}},
		{name: "negative number", sql: "CALL sys.rollback_to_version('t', -5)",
			proc: []string{"sys", "rollback_to_version"}, args: []string{"'t'", "-5"}},
		{name: "timestamp literal", sql: "CALL sys.rollback_to_timestamp('t', TIMESTAMP '2026-01-02 03:04:05')",
			proc: []string{"sys", "rollback_to_timestamp"},
			args: []string{"'t'", "timestamp:2026-01-02 03:04:05@2026-01-02T03:04:05Z"}},
		{name: "named", sql: "CALL sys.expire_versions('ns.t', older_than => '2026-01-01 00:00:00', retain_last => 10)",
			proc: []string{"sys", "expire_versions"},
			args: []string{"'ns.t'", "older_than='2026-01-01 00:00:00'", "retain_last=10"}},
		{name: "all named, reserved word as a name", sql: "CALL sys.expire_versions(retain_last=>2, table => 'ns.t')",
			proc: []string{"sys", "expire_versions"}, args: []string{"retain_last=2", "table='ns.t'"}},
		{name: "quoted names", sql: `CALL "Sys"."Odd Name"("Table" => 't')`,
			proc: []string{"Sys", "Odd Name"}, args: []string{"Table='t'"}},
		{name: "parameters", sql: "CALL sys.expire_versions(?, retain_last => ?)",
			proc: []string{"sys", "expire_versions"}, args: []string{"?0", "retain_last=?1"}, params: 2},
		{name: "dollar parameters", sql: "CALL sys.rollback_to_version($2, $1)",
			proc: []string{"sys", "rollback_to_version"}, args: []string{"?1", "?0"}, params: 2},
		{name: "one part", sql: "CALL compact('t')", proc: []string{"compact"}, args: []string{"'t'"}},
		{name: "many parts", sql: "CALL lakesoul.sys.x.compact('t')", proc: []string{"lakesoul", "sys", "x", "compact"}, args: []string{"'t'"}},
		{name: "interval", sql: "CALL sys.x(keep => INTERVAL '7 days')", proc: []string{"sys", "x"}, args: []string{"keep=interval:7 days"}},
		{name: "expression", sql: "CALL sys.x(1 + 2)", proc: []string{"sys", "x"}, args: []string{"(+ 1 2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.sql, err)
			}
			c, ok := st.(*Call)
			if !ok {
				t.Fatalf("Parse(%q) = %T, want *Call", tt.sql, st)
			}
			if !reflect.DeepEqual(c.Procedure, tt.proc) {
				t.Errorf("Procedure = %q, want %q", c.Procedure, tt.proc)
			}
			var args []string
			for _, a := range c.Args {
				d := dump(a.Value)
				if a.Name != "" {
					d = a.Name + "=" + d
				}
				args = append(args, d)
			}
			if !reflect.DeepEqual(args, tt.args) {
				t.Errorf("Args = %q, want %q", args, tt.args)
			}
			if n := st.NumParams(); n != tt.params {
				t.Errorf("NumParams = %d, want %d", n, tt.params)
			}
		})
	}
}

func TestCallProcedureName(t *testing.T) {
	st, err := Parse(`CALL sys."Odd Name"()`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.(*Call).ProcedureName(), `sys."Odd Name"`; got != want {
		t.Errorf("ProcedureName = %s, want %s", got, want)
	}
}

func TestParseCallErrors(t *testing.T) {
	tests := []struct {
		name, sql string
		pos       int
		msg       string
	}{
		{"no name", "CALL", 4, "expected a procedure name, found end of input"},
		{"no parenthesis", "CALL sys.compact", 16, `expected "(" after the procedure name`},
		{"trailing dot", "CALL sys.(", 9, "expected a procedure name"},
		{"unclosed", "CALL sys.compact('t'", 20, `expected ")" or "," after the argument, found end of input`},
		{"positional after named", "CALL sys.x(a => 1, 2)", 19, "a positional argument cannot follow named arguments"},
		{"named twice", "CALL sys.x('t', retain_last => 1, RETAIN_LAST => 2)", 34, `argument "retain_last" is given twice`},
		{"missing value", "CALL sys.x(a => )", 16, "expected an expression"},
		{"empty argument", "CALL sys.x('t', )", 16, "expected an expression"},
		{"trailing junk", "CALL sys.x() y", 13, `expected end of statement, found "y"`},
		{"on two lines", "CALL sys.x(\n  a => 1,\n  a => 2)", 24, `argument "a" is given twice`},
		{"subquery", "CALL sys.x((SELECT 1))", 12, "subqueries are not supported here"},
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

func TestParseTableName(t *testing.T) {
	for s, want := range map[string]TableName{
		"t":                {Name: "t"},
		"NS.T":             {Schema: "ns", Name: "t"},
		`lakesoul.ns."T"`:  {Catalog: "lakesoul", Schema: "ns", Name: "T"},
		` ns . "t$files" `: {Schema: "ns", Name: "t$files"},
		"default.Select":   {Schema: "default", Name: "select"},
	} {
		got, err := ParseTableName(s)
		if err != nil || got != want {
			t.Errorf("ParseTableName(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for s, msg := range map[string]string{
		"":        "expected a table name",
		"a.b.c.d": "at most three parts",
		"a b":     `expected end of the table name, found "b"`,
		"a.":      "expected a table name, found end of input",
		"'t'":     "expected a table name",
	} {
		_, err := ParseTableName(s)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseTableName(%q) error = %v, want one containing %q", s, err, msg)
		}
	}
}

func TestParseTimestampText(t *testing.T) {
	got, err := ParseTimestamp("2026-01-02 03:04:05+01:00")
	if want := time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("ParseTimestamp = %v, %v; want %v", got, err, want)
	}
	if _, err := ParseTimestamp("yesterday"); err == nil || !strings.Contains(err.Error(), `invalid timestamp 'yesterday'`) {
		t.Errorf("ParseTimestamp(yesterday) error = %v", err)
	}
}
