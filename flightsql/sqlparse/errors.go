package sqlparse

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrSyntax is matched (errors.Is) by every *Error the package returns.
var ErrSyntax = errors.New("sqlparse: syntax error")

// Error is a problem found in SQL text, with its place.
type Error struct {
	Pos    int // byte offset in the text given to Parse, ParseExpr or ParseType
	Line   int // 1-based
	Column int // 1-based, in characters (runes) from the start of the line
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) hold.
func (e *Error) Unwrap() error { return ErrSyntax }

// newError places msg at byte offset pos of src.
func newError(src string, pos int, msg string) *Error {
	pos = max(0, min(pos, len(src)))
	before := src[:pos]
	line := 1 + strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	col := 1 + utf8.RuneCountInString(before[lineStart:])
	return &Error{Pos: pos, Line: line, Column: col, Msg: msg}
}

func errorf(src string, pos int, format string, args ...any) *Error {
	return newError(src, pos, fmt.Sprintf(format, args...))
}

// maxShown bounds how much of a token an error message quotes.
const maxShown = 40

// describe names a token for an error message: its source text, quoted,
// or "end of input".
func describe(src string, t token) string {
	if t.kind == tokEOF {
		return "end of input"
	}
	raw := src[t.pos:t.end]
	if utf8.RuneCountInString(raw) > maxShown {
		r := []rune(raw)
		raw = string(r[:maxShown]) + "..."
	}
	return fmt.Sprintf("%q", raw)
}
