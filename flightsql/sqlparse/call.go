package sqlparse

import (
	"strings"
	"time"
)

// Call is CALL name(arg, ...): a procedure the server runs, such as
// sys.compact('ns.t'). Arguments are positional, named (name => value) or
// both, the positional ones first; a name is given at most once. Which
// procedures exist and what their arguments mean is the server's business.
type Call struct {
	// Procedure is the dotted name, one entry per part: unquoted parts
	// folded to lower case, quoted ones kept exactly.
	Procedure []string
	Args      []CallArg
}

// CallArg is one argument of a Call.
type CallArg struct {
	// Name is the parameter a named argument sets (folded to lower case
	// unless quoted); "" for a positional argument.
	Name  string
	Value Expr
}

// ProcedureName renders the procedure's name, quoting the parts that need
// it.
func (s *Call) ProcedureName() string {
	parts := make([]string, len(s.Procedure))
	for i, p := range s.Procedure {
		parts[i] = ident(p)
	}
	return strings.Join(parts, ".")
}

func (s *Call) NumParams() int {
	n := 0
	for _, a := range s.Args {
		n = max(n, exprParams(a.Value))
	}
	return n
}

func (*Call) statement() {}

// callStatement parses CALL name(arg, ...).
func (p *parser) callStatement() (Statement, error) {
	p.next()
	c := &Call{}
	for {
		n, err := p.name("a procedure name")
		if err != nil {
			return nil, err
		}
		c.Procedure = append(c.Procedure, n)
		if !p.acceptOp(".") {
			break
		}
	}
	if err := p.expectOp("(", "after the procedure name"); err != nil {
		return nil, err
	}
	if p.acceptOp(")") {
		return c, nil
	}
	named := map[string]bool{}
	for {
		at := p.peek()
		arg := CallArg{}
		if at.kind == tokIdent || at.kind == tokQuoted {
			if p.peekAt(1).isOp("=>") {
				arg.Name = at.text
				p.i += 2
			}
		}
		switch {
		case arg.Name != "" && named[arg.Name]:
			return nil, errorf(p.src, at.pos, "argument %q is given twice", arg.Name)
		case arg.Name == "" && len(named) > 0:
			return nil, errorf(p.src, at.pos, "a positional argument cannot follow named arguments (name => value)")
		}
		if arg.Name != "" {
			named[arg.Name] = true
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		arg.Value = v
		c.Args = append(c.Args, arg)
		if p.acceptOp(",") {
			continue
		}
		if err := p.expectOp(")", `or "," after the argument`); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// ParseTableName parses a table name written as text, such as the
// argument 'ns.t' of a procedure: one to three dotted parts, unquoted ones
// folded to lower case. Nothing but a name can stand there, so reserved
// words need no quotes ('default.t'). Errors are *Error.
func ParseTableName(s string) (TableName, error) {
	toks, _, err := lex(s)
	if err != nil {
		return TableName{}, err
	}
	for i := range toks {
		if toks[i].kind == tokIdent {
			toks[i].kind = tokQuoted // already folded; now never reserved
		}
	}
	p := &parser{src: s, toks: toks}
	n, err := p.tableName()
	if err != nil {
		return TableName{}, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return TableName{}, errorf(s, t.pos, "expected end of the table name, found %s", describe(s, t))
	}
	return n, nil
}

// ParseTimestamp parses a timestamp written as text in the forms
// TIMESTAMP literals and FOR TIMESTAMP AS OF accept (UTC without a zone).
// Errors are *Error.
func ParseTimestamp(s string) (time.Time, error) {
	t, err := parseTimestamp(s)
	if err != nil {
		return time.Time{}, errorf(s, 0, "invalid timestamp %s: %v", quoteString(s), err)
	}
	return t, nil
}
