package sqlparse

import (
	"fmt"
	"strings"
	"testing"
)

// tokString renders tokens as kind:text@pos, space separated.
func renderTokens(toks []token) string {
	kinds := [...]string{"eof", "id", "qid", "str", "num", "param", "op"}
	var parts []string
	for _, t := range toks {
		if t.kind == tokEOF {
			break
		}
		s := fmt.Sprintf("%s:%s@%d", kinds[t.kind], t.text, t.pos)
		if t.kind == tokParam {
			s += fmt.Sprintf("#%d", t.param)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestLex(t *testing.T) {
	tests := []struct {
		name, in, want string
		params         int
	}{
		{"folds unquoted", "SELECT Foo", "id:select@0 id:foo@7", 0},
		{"quoted kept", `"Foo Bar"`, "qid:Foo Bar@0", 0},
		{"quoted escape", `"a""b"`, `qid:a"b@0`, 0},
		{"quoted dollar and dot", `ns."t$history"`, `id:ns@0 op:.@2 qid:t$history@3`, 0},
		{"string escape", `'it''s'`, "str:it's@0", 0},
		{"empty string", `''`, "str:@0", 0},
		{"string keeps case and newlines", "'A\nb'", "str:A\nb@0", 0},
		{"string with comment markers", `'-- not /* a comment'`, "str:-- not /* a comment@0", 0},
		{"unicode identifier", "SELECT Ünïcödé_1 FROM 表", "id:select@0 id:ünïcödé_1@7 id:from@21 id:表@26", 0},
		{"dollar inside identifier", "a$b", "id:a$b@0", 0},
		{"integer", "42", "num:42@0", 0},
		{"decimal", "3.25", "num:3.25@0", 0},
		{"leading dot", ".5", "num:.5@0", 0},
		{"trailing dot", "1.", "num:1.@0", 0},
		{"exponent", "1e10", "num:1e10@0", 0},
		{"signed exponent", "2.5E-3", "num:2.5E-3@0", 0},
		{"minus is an operator", "-1", "op:-@0 num:1@1", 0},
		{"qualified name", "a.b", "id:a@0 op:.@1 id:b@2", 0},
		{"number then dot name", "1.e5", "num:1.e5@0", 0},
		{"operators", "= <> != < <= > >= + - * / % || :: ( ) , . ;",
			"op:=@0 op:<>@2 op:!=@5 op:<@8 op:<=@10 op:>@13 op:>=@15 op:+@18 op:-@20 op:*@22 op:/@24 op:%@26 op:||@28 op:::@31 op:(@34 op:)@36 op:,@38 op:.@40 op:;@42", 0},
		{"adjacent operators", "a<=-1", "id:a@0 op:<=@1 op:-@3 num:1@4", 0},
		{"pass-through operators", "[1]->>'k'", "op:[@0 num:1@1 op:]@2 op:->>@3 str:k@6", 0},
		{"line comment", "a -- comment\nb", "id:a@0 id:b@13", 0},
		{"line comment at end", "a --", "id:a@0", 0},
		{"block comment", "a /* x */ b", "id:a@0 id:b@10", 0},
		{"nested block comment", "a /* x /* y */ z */ b", "id:a@0 id:b@20", 0},
		{"comment between minus signs", "1 -/**/- 2", "num:1@0 op:-@2 op:-@7 num:2@9", 0},
		{"question marks", "? + ?", "param:?@0#0 op:+@2 param:?@4#1", 2},
		{"dollar params", "$2 + $1", "param:$2@0#1 op:+@3 param:$1@5#0", 2},
		{"dollar count is the highest", "$3", "param:$3@0#2", 3},
		{"unicode space", "a\u00a0b", "id:a@0 id:b@3", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, params, err := lex(tt.in)
			if err != nil {
				t.Fatalf("lex(%q): %v", tt.in, err)
			}
			if got := renderTokens(toks); got != tt.want {
				t.Errorf("lex(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if params != tt.params {
				t.Errorf("lex(%q) params = %d, want %d", tt.in, params, tt.params)
			}
			last := toks[len(toks)-1]
			if last.kind != tokEOF || last.pos != len(tt.in) {
				t.Errorf("lex(%q) does not end with EOF at %d: %+v", tt.in, len(tt.in), last)
			}
			for _, tok := range toks[:len(toks)-1] {
				if tok.end <= tok.pos || tok.end > len(tt.in) {
					t.Errorf("token %+v has a bad span", tok)
				}
			}
		})
	}
}

func TestLexErrors(t *testing.T) {
	tests := []struct {
		name, in string
		pos      int
		msg      string
	}{
		{"unterminated string", "SELECT 'abc", 7, "unterminated string literal"},
		{"unterminated string after escape", "SELECT 'it''", 7, "unterminated string literal"},
		{"unterminated quoted identifier", `SELECT "abc`, 7, "unterminated quoted identifier"},
		{"empty quoted identifier", `SELECT ""`, 7, "empty quoted identifier"},
		{"unterminated comment", "SELECT 1 /* x", 9, "unterminated comment"},
		{"unterminated nested comment", "SELECT 1 /* /* x */", 9, "unterminated comment"},
		{"dollar zero", "SELECT $0", 7, "$0"},
		{"bare dollar", "SELECT $a", 7, `unexpected "$"`},
		{"huge dollar", "SELECT $99999999999999999999", 7, "too large"},
		{"mixed params", "SELECT ? + $1", 11, "cannot mix"},
		{"mixed params other order", "SELECT $1 + ?", 12, "cannot mix"},
		{"junk after number", "SELECT 12abc", 7, "invalid number"},
		{"unknown character", "SELECT `a`", 7, "unexpected character"},
		{"invalid utf-8", "SELECT \xff", 7, "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := lex(tt.in)
			checkError(t, tt.in, err, tt.pos, tt.msg)
		})
	}
}
