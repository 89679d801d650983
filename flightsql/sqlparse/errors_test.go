package sqlparse

import (
	"errors"
	"strings"
	"testing"
)

// checkError requires err to be an *Error at byte offset pos of src whose
// message contains msg, with a consistent line and column.
func checkError(t *testing.T, src string, err error, pos int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%q: no error, want one containing %q", src, msg)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v is a %T, not an *Error", src, err, err)
	}
	if !errors.Is(err, ErrSyntax) {
		t.Errorf("%q: error %v does not match ErrSyntax", src, err)
	}
	if e.Pos != pos {
		t.Errorf("%q: error at %d, want %d: %v", src, e.Pos, pos, err)
	}
	if !strings.Contains(e.Msg, msg) {
		t.Errorf("%q: message %q does not contain %q", src, e.Msg, msg)
	}
	want := newError(src, pos, "")
	if e.Line != want.Line || e.Column != want.Column {
		t.Errorf("%q: line %d column %d, want line %d column %d", src, e.Line, e.Column, want.Line, want.Column)
	}
}

func TestErrorPosition(t *testing.T) {
	tests := []struct {
		src            string
		pos            int
		line, col      int
		wantErrorTextt string
	}{
		{"SELECT", 0, 1, 1, "syntax error at line 1, column 1: m"},
		{"SELECT x", 7, 1, 8, "syntax error at line 1, column 8: m"},
		{"a\nbc\nd", 4, 2, 3, "syntax error at line 2, column 3: m"},
		{"a\nbc\nd", 5, 3, 1, "syntax error at line 3, column 1: m"},
		{"'é' x", 5, 1, 5, "syntax error at line 1, column 5: m"}, // columns count characters
		{"ab", 99, 1, 3, "syntax error at line 1, column 3: m"},   // clamped to the end
	}
	for _, tt := range tests {
		e := newError(tt.src, tt.pos, "m")
		if e.Line != tt.line || e.Column != tt.col || e.Error() != tt.wantErrorTextt {
			t.Errorf("newError(%q, %d) = %+v %q, want line %d column %d", tt.src, tt.pos, e, e.Error(), tt.line, tt.col)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, sql string
		pos       int
		msg       string
	}{
		// The example of the brief, word for word.
		{"column list", "INSERT INTO t (a, b WHERE", 20, `expected ")" after the column list, found "WHERE"`},
		{"unknown type on line 2", "CREATE TABLE t (\n  id VARCHA(10)\n)", 22, `unknown type "VARCHA"; known types:`},
		{"bad decimal precision", "CREATE TABLE t (v DECIMAL(39, 2))", 26, "decimal precision must be between 1 and 38, got 39"},
		{"bad decimal scale", "CREATE TABLE t (v DECIMAL(4, 5))", 29, "decimal scale must be between 0 and 4, got 5"},
		{"unterminated string", "SELECT * FROM t WHERE a = 'x", 26, "unterminated string literal"},
		{"unterminated quoted identifier", `SELECT * FROM "t`, 14, "unterminated quoted identifier"},
		{"unterminated comment", "SELECT 1 /* never closed", 9, "unterminated comment"},
		{"dollar zero", "DELETE FROM t WHERE id = $0", 25, "parameter $0 does not exist"},
		{"two statements", "SELECT 1; SELECT 2", 10, `only one statement is allowed, found a second statement starting with "SELECT"`},
		{"two statements after DDL", "DROP TABLE a; DROP TABLE b", 14, "only one statement is allowed"},
		{"unsupported statement", "VACUUM t", 0, `unsupported statement "VACUUM"`},
		{"unsupported lower case", "  vacuum", 2, `unsupported statement "VACUUM"`},
		{"unsupported create", "CREATE INDEX i ON t (a)", 7, `unsupported statement "CREATE INDEX": only CREATE SCHEMA, CREATE TABLE, CREATE VIEW, CREATE USER and CREATE ROLE are supported`},
		{"create database", "CREATE DATABASE d", 7, `unsupported statement "CREATE DATABASE": use CREATE SCHEMA`},
		{"create or replace", "CREATE OR REPLACE TABLE t (a INT)", 18, `unsupported statement "CREATE OR REPLACE TABLE": OR REPLACE is supported for views only`},
		{"unsupported drop", "DROP INDEX i", 5, `unsupported statement "DROP INDEX": only DROP SCHEMA, DROP TABLE, DROP VIEW, DROP USER and DROP ROLE are supported`},
		{"unsupported set", "SET threads = 4", 4, `unsupported statement "SET THREADS"`},
		{"empty", "  ", 2, "empty statement"},
		{"only semicolon", ";", 0, "empty statement"},
		{"not a statement", "42", 0, `expected a statement, found "42"`},
		{"trailing junk", "DROP TABLE t u", 13, `expected end of statement, found "u"`},
		{"if without not", "CREATE TABLE IF EXISTS t (a INT)", 16, "expected NOT after IF"},
		{"reserved column name", "CREATE TABLE t (select INT)", 16, `found the reserved word "select" (quote it`},
		{"missing type", "CREATE TABLE t (a)", 17, `expected a type name, found ")"`},
		{"missing column list", "CREATE TABLE t", 14, `expected "(" and a column list, or AS and a query`},
		{"no columns", "CREATE TABLE t ()", 16, "expected a column name"},
		{"duplicate column", "CREATE TABLE t (a INT, A BIGINT)", 23, `column "a" is defined twice`},
		{"unknown key column", "CREATE TABLE t (a INT, PRIMARY KEY (b))", 36, `primary key column "b" is not a column`},
		{"unknown partition column", "CREATE TABLE t (a INT) PARTITIONED BY (b)", 39, `partition column "b" is not a column`},
		{"key twice", "CREATE TABLE t (a INT PRIMARY KEY, PRIMARY KEY (a))", 16, "primary key is given both inline and as PRIMARY KEY"},
		{"two key constraints", "CREATE TABLE t (a INT, PRIMARY KEY (a), PRIMARY KEY (a))", 40, "primary key is given twice"},
		{"null and not null", "CREATE TABLE t (a INT NULL NOT NULL)", 16, "both NULL and NOT NULL"},
		{"default", "CREATE TABLE t (a INT DEFAULT 1)", 22, "DEFAULT values are not supported"},
		{"other constraint", "CREATE TABLE t (a INT, UNIQUE (a))", 23, "found the reserved word \"UNIQUE\""},
		{"clause twice", "CREATE TABLE t (a INT) WITH (x = 1) WITH (y = 2)", 36, "WITH is given twice"},
		{"partition clause twice", "CREATE TABLE t (a INT) PARTITION BY (a) PARTITIONED BY (a)", 40, "PARTITIONED is given twice"},
		{"option twice", "CREATE TABLE t (a INT) WITH (X = 1, x = 2)", 36, `option "x" is given twice`},
		{"option without value", "CREATE TABLE t (a INT) WITH (x = )", 33, "expected a value for option x"},
		{"option parameter", "CREATE TABLE t (a INT) WITH (x = ?)", 33, "expected a value for option x"},
		{"ctas with columns", "CREATE TABLE t (a INT) AS SELECT 1", 23, "remove the column list"},
		{"ctas without query", "CREATE TABLE t AS DELETE FROM u", 18, "expected a query after AS"},
		{"schema with two parts", "CREATE SCHEMA a.b", 15, "a schema name has one part"},
		{"table name with four parts", "DROP TABLE a.b.c.d", 16, "at most three parts"},
		{"insert without into", "INSERT t VALUES (1)", 7, "expected INTO after INSERT"},
		{"insert row length", "INSERT INTO t (a, b) VALUES (1, 2), (3)", 36, "VALUES row 2 has 1 values but 2 columns are named"},
		{"insert ragged rows", "INSERT INTO t VALUES (1, 2), (3)", 29, "VALUES row 2 has 1 values but row 1 has 2"},
		{"insert subquery value", "INSERT INTO t VALUES ((SELECT 1))", 23, "subqueries are not supported here"},
		{"insert default values", "INSERT INTO t DEFAULT VALUES", 14, "expected VALUES or a query"},
		{"update set twice", "UPDATE t SET a = 1, a = 2", 20, `column "a" is set twice`},
		{"update without set", "UPDATE t WHERE a = 1", 9, "expected SET after the table name"},
		{"delete where subquery", "DELETE FROM t WHERE id IN (SELECT id FROM u)", 27, "subqueries are not supported here"},
		{"delete exists", "DELETE FROM t WHERE EXISTS (SELECT 1)", 20, "subqueries are not supported here"},
		{"where missing operand", "DELETE FROM t WHERE a =", 23, "expected an expression, found end of input"},
		{"where dangling and", "DELETE FROM t WHERE a = 1 AND", 29, "expected an expression"},
		{"unclosed paren in expr", "DELETE FROM t WHERE (a = 1", 26, `expected ")" to close the parenthesis`},
		{"is without null", "DELETE FROM t WHERE a IS 1", 25, "expected NULL or DISTINCT FROM after IS"},
		{"between without and", "DELETE FROM t WHERE a BETWEEN 1 OR 2", 32, "expected AND between the bounds of BETWEEN"},
		{"case without when", "DELETE FROM t WHERE CASE END", 25, "expected WHEN in CASE"},
		{"case without end", "UPDATE t SET a = CASE WHEN b THEN 1", 35, "expected END to close CASE"},
		{"cast without as", "UPDATE t SET a = CAST(b INT)", 24, "expected AS in CAST(... AS type)"},
		{"bad cast type", "UPDATE t SET a = b::VARCHA", 20, `unknown type "VARCHA"`},
		{"bad date literal", "DELETE FROM t WHERE d = DATE '2026-02-30'", 29, "2026-02 has no day 30"},
		{"bad timestamp literal", "DELETE FROM t WHERE d < TIMESTAMP '2026-01-01 25:00'", 34, "hour 25 out of range"},
		{"too precise timestamp", "DELETE FROM t WHERE d < TIMESTAMP '2026-01-01 00:00:00.1234567'", 34, "microsecond precision"},
		{"qualified function", "DELETE FROM t WHERE s.f(1) = 1", 20, "qualified function names are not supported"},
		{"unbalanced close", "SELECT 1)", 8, `")" has no matching "("`},
		{"unbalanced open", "SELECT (1", 7, `"(" is never closed`},
		{"semicolon in parens", "SELECT (1; SELECT 2)", 7, `"(" is not closed before ";"`},
		{"version not a number", "SELECT * FROM t FOR VERSION AS OF 'x'", 34, "expected a version number"},
		{"version negative", "SELECT * FROM t FOR VERSION AS OF -1", 34, "expected a version number"},
		{"version param", "SELECT * FROM t FOR VERSION AS OF ?", 34, "expected a version number"},
		{"as of without of", "SELECT * FROM t FOR TIMESTAMP AS '2026-01-01'", 33, `expected FOR TIMESTAMP AS OF, found "'2026-01-01'"`},
		{"bad as of timestamp", "SELECT * FROM t FOR TIMESTAMP AS OF '2026-13-01'", 36, "invalid timestamp '2026-13-01' after FOR TIMESTAMP AS OF: month 13 out of range"},
		{"as of timestamp not a string", "SELECT * FROM t FOR TIMESTAMP AS OF 20260101", 36, "expected a timestamp string"},
		{"as of after alias", "SELECT * FROM t AS x FOR VERSION AS OF 2", 21, "FOR VERSION AS OF must directly follow a table name"},
		{"error after unicode", "SELECT 'é', \"ü\" FROM t WHERE a = 'x", 35, "unterminated string"},
		{"use without name", "USE", 3, "expected a schema name after USE, found end of input"},
		{"set search_path list", "SET search_path = a, b", 19, "accepts one schema"},
		{"set nothing", "SET", 3, "expected schema or search_path after SET, found end of input"},
		{"set empty schema", "SET schema = ''", 13, "must not be empty"},
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

func TestErrorText(t *testing.T) {
	_, err := Parse("CREATE TABLE t (\n  a INT,\n  b VARCHA\n)")
	want := `syntax error at line 3, column 5: unknown type "VARCHA"; known types: BIGINT,`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want prefix %q", err, want)
	}
}
