package main

import (
	"strings"
)

// splitStatements cuts src at semicolons that end statements: not inside
// '...' strings, "..." or `...` identifiers, $tag$...$tag$ dollar-quoted
// strings, -- line comments or /* */ comments. It returns the complete
// statements, trimmed, without their semicolons and skipping empty ones,
// and the text after the last semicolon (which may be an unfinished
// statement, or blank).
func splitStatements(src string) (stmts []string, rest string) {
	start := 0
	for i := 0; i < len(src); {
		switch c := src[i]; {
		case c == ';':
			if s := strings.TrimSpace(src[start:i]); !isBlankSQL(s) {
				stmts = append(stmts, s)
			}
			i++
			start = i
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(src, i, c)
		case c == '-' && strings.HasPrefix(src[i:], "--"):
			i = skipLineComment(src, i)
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			i = skipBlockComment(src, i)
		case c == '$':
			i = skipDollarQuoted(src, i)
		default:
			i++
		}
	}
	return stmts, src[start:]
}

// skipQuoted returns the index after the quoted text starting at src[i]
// (a doubled quote is an escaped quote), or len(src) when it is unclosed.
func skipQuoted(src string, i int, q byte) int {
	for j := i + 1; j < len(src); j++ {
		if src[j] == q {
			if j+1 < len(src) && src[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(src)
}

func skipLineComment(src string, i int) int {
	if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(src)
}

func skipBlockComment(src string, i int) int {
	if j := strings.Index(src[i+2:], "*/"); j >= 0 {
		return i + 2 + j + 2
	}
	return len(src)
}

// skipDollarQuoted skips a $tag$...$tag$ string starting at src[i]. A '$'
// that does not open one (such as the parameter $1) is skipped alone.
func skipDollarQuoted(src string, i int) int {
	j := i + 1
	for j < len(src) && (src[j] == '_' || isASCIILetter(src[j]) || (j > i+1 && isASCIIDigit(src[j]))) {
		j++
	}
	if j >= len(src) || src[j] != '$' {
		return i + 1
	}
	tag := src[i : j+1]
	if k := strings.Index(src[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag)
	}
	return len(src)
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isASCIIDigit(c byte) bool  { return c >= '0' && c <= '9' }

// stripLeadingComments removes whitespace and comments before the first
// token of s.
func stripLeadingComments(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n\f\v")
		switch {
		case strings.HasPrefix(s, "--"):
			s = s[skipLineComment(s, 0):]
		case strings.HasPrefix(s, "/*"):
			s = s[skipBlockComment(s, 0):]
		default:
			return s
		}
	}
}

// isBlankSQL reports whether s holds only whitespace and comments.
func isBlankSQL(s string) bool { return stripLeadingComments(s) == "" }

// queryKeywords start statements that return rows.
var queryKeywords = map[string]bool{
	"SELECT": true, "WITH": true, "VALUES": true, "FROM": true, "TABLE": true,
	"SHOW": true, "DESCRIBE": true, "DESC": true, "SUMMARIZE": true, "EXPLAIN": true,
	"CALL": true, // a procedure answers a row saying what it did
}

// isQuery reports whether stmt returns rows, judged by its first keyword
// (after comments and opening parentheses).
func isQuery(stmt string) bool {
	s := stmt
	for {
		s = stripLeadingComments(s)
		if !strings.HasPrefix(s, "(") {
			break
		}
		s = s[1:]
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r < 0x80 && (isASCIILetter(byte(r)) || isASCIIDigit(byte(r))))
	})
	if end < 0 {
		end = len(s)
	}
	return queryKeywords[strings.ToUpper(s[:end])]
}
