package sqlparse

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokIdent          // unquoted identifier or keyword; text folded to lower case
	tokQuoted         // "quoted identifier"; text unescaped, case kept
	tokString         // 'string literal'; text unescaped
	tokNumber         // numeric literal; text as written
	tokParam          // ? or $n; param holds the 0-based index
	tokOp             // operator or punctuation; text as written
)

// token is one lexical unit of SQL text.
type token struct {
	kind     tokKind
	text     string
	pos, end int // byte span in the source
	param    int // tokParam only: 0-based index
}

// is reports whether t is the unquoted keyword kw (lower case).
func (t token) is(kw string) bool { return t.kind == tokIdent && t.text == kw }

// isOp reports whether t is the operator op.
func (t token) isOp(op string) bool { return t.kind == tokOp && t.text == op }

// isName reports whether t can name something: a quoted identifier, or an
// unquoted one that is not a reserved word.
func (t token) isName() bool {
	return t.kind == tokQuoted || (t.kind == tokIdent && !reserved[t.text])
}

// maxParam bounds $n so that parameter counts stay small integers.
const maxParam = 65535

// operators lists the multi-character operators, longest first; any other
// character of singleOps is a one-character operator. Operators the
// expression grammar does not use are still tokens, so that queries passed
// through to DuckDB (lists, structs, lambdas, JSON arrows) tokenize.
var operators = []string{"->>", "<=", ">=", "<>", "!=", "||", "::", "->", "=>", "**", "//", "<<", ">>", ":="}

const singleOps = "=<>!+-*/%|:()[]{},.;@#~^&"

// lex splits src into tokens ending with a tokEOF token, and counts the
// statement's parameters.
func lex(src string) ([]token, int, error) {
	l := lexer{src: src, firstQ: -1, firstDollar: -1}
	for {
		t, err := l.next()
		if err != nil {
			return nil, 0, err
		}
		l.toks = append(l.toks, t)
		if t.kind == tokEOF {
			break
		}
	}
	switch {
	case l.qmarks > 0 && l.maxDollar > 0:
		pos, msg := l.firstDollar, "cannot mix $n parameters with ? parameters"
		if l.firstQ > l.firstDollar {
			pos, msg = l.firstQ, "cannot mix ? parameters with $n parameters"
		}
		return nil, 0, newError(src, pos, msg)
	case l.qmarks > 0:
		return l.toks, l.qmarks, nil
	default:
		return l.toks, l.maxDollar, nil
	}
}

type lexer struct {
	src    string
	pos    int
	toks   []token
	qmarks int // ? parameters seen
	// maxDollar is the highest n of the $n parameters seen.
	maxDollar           int
	firstQ, firstDollar int // offsets of the first parameter of each style
}

func (l *lexer) peekByte(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

// next returns the next token, skipping white space and comments.
func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tokEOF, pos: start, end: start}, nil
	}
	c := l.src[start]
	switch {
	case c == '\'':
		return l.quoted(tokString, '\'', "string literal")
	case c == '"':
		return l.quoted(tokQuoted, '"', "quoted identifier")
	case isDigit(c) || (c == '.' && isDigit(l.peekByte(1))):
		return l.number()
	case c == '?':
		l.pos++
		if l.firstQ < 0 {
			l.firstQ = start
		}
		l.qmarks++
		return token{kind: tokParam, text: "?", pos: start, end: l.pos, param: l.qmarks - 1}, nil
	case c == '$':
		return l.dollar()
	}
	r, size := utf8.DecodeRuneInString(l.src[start:])
	if r == '_' || unicode.IsLetter(r) {
		l.pos += size
		for l.pos < len(l.src) {
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if !isIdentPart(r) {
				break
			}
			l.pos += size
		}
		raw := l.src[start:l.pos]
		return token{kind: tokIdent, text: strings.ToLower(raw), pos: start, end: l.pos}, nil
	}
	for _, op := range operators {
		if strings.HasPrefix(l.src[start:], op) {
			l.pos += len(op)
			return token{kind: tokOp, text: op, pos: start, end: l.pos}, nil
		}
	}
	if strings.IndexByte(singleOps, c) >= 0 {
		l.pos++
		return token{kind: tokOp, text: string(c), pos: start, end: l.pos}, nil
	}
	if r == utf8.RuneError && size <= 1 {
		return token{}, errorf(l.src, start, "invalid UTF-8 byte 0x%02x", c)
	}
	return token{}, errorf(l.src, start, "unexpected character %q", r)
}

// skipSpace skips white space, -- line comments and /* block comments */
// (which nest, as in PostgreSQL and DuckDB).
func (l *lexer) skipSpace() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case c == '-' && l.peekByte(1) == '-':
			nl := strings.IndexByte(l.src[l.pos:], '\n')
			if nl < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += nl + 1
			}
		case c == '/' && l.peekByte(1) == '*':
			start := l.pos
			depth := 0
			for {
				if l.pos >= len(l.src) {
					return newError(l.src, start, `unterminated comment: "/*" has no matching "*/"`)
				}
				switch {
				case l.src[l.pos] == '/' && l.peekByte(1) == '*':
					depth++
					l.pos += 2
				case l.src[l.pos] == '*' && l.peekByte(1) == '/':
					depth--
					l.pos += 2
				default:
					l.pos++
				}
				if depth == 0 {
					break
				}
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if !unicode.IsSpace(r) {
				return nil
			}
			l.pos += size
		default:
			return nil
		}
	}
	return nil
}

// quoted reads a string literal or quoted identifier delimited by q, where
// a doubled q stands for one.
func (l *lexer) quoted(kind tokKind, q byte, what string) (token, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for {
		i := strings.IndexByte(l.src[l.pos:], q)
		if i < 0 {
			return token{}, errorf(l.src, start, "unterminated %s: missing closing %c", what, q)
		}
		b.WriteString(l.src[l.pos : l.pos+i])
		l.pos += i + 1
		if l.peekByte(0) != q {
			break
		}
		b.WriteByte(q)
		l.pos++
	}
	if kind == tokQuoted && b.Len() == 0 {
		return token{}, newError(l.src, start, `empty quoted identifier ""`)
	}
	return token{kind: kind, text: b.String(), pos: start, end: l.pos}, nil
}

// number reads 12, 1.5, 1., .5, 1e10, 2.5E-3.
func (l *lexer) number() (token, error) {
	start := l.pos
	l.digits()
	if l.peekByte(0) == '.' {
		l.pos++
		l.digits()
	}
	if c := l.peekByte(0); c == 'e' || c == 'E' {
		switch d := l.peekByte(1); {
		case isDigit(d):
			l.pos++
			l.digits()
		case (d == '+' || d == '-') && isDigit(l.peekByte(2)):
			l.pos += 2
			l.digits()
		}
	}
	if l.pos < len(l.src) {
		if r, _ := utf8.DecodeRuneInString(l.src[l.pos:]); isIdentPart(r) {
			return token{}, errorf(l.src, start, "invalid number %q: a number must not be directly followed by a letter", l.src[start:l.pos]+string(r))
		}
	}
	return token{kind: tokNumber, text: l.src[start:l.pos], pos: start, end: l.pos}, nil
}

func (l *lexer) digits() {
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
}

// dollar reads a $n parameter.
func (l *lexer) dollar() (token, error) {
	start := l.pos
	l.pos++
	l.digits()
	text := l.src[start+1 : l.pos]
	if text == "" {
		return token{}, newError(l.src, start, `unexpected "$": parameters are written ? or $1, $2, ...`)
	}
	n, err := strconv.Atoi(text)
	if err != nil || n > maxParam {
		return token{}, errorf(l.src, start, "parameter $%s is too large: at most $%d", text, maxParam)
	}
	if n == 0 {
		return token{}, newError(l.src, start, "parameter $0 does not exist: parameters are numbered from $1")
	}
	if l.firstDollar < 0 {
		l.firstDollar = start
	}
	l.maxDollar = max(l.maxDollar, n)
	return token{kind: tokParam, text: l.src[start:l.pos], pos: start, end: l.pos, param: n - 1}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}
