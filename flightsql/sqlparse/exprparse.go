package sqlparse

import (
	"strconv"
	"strings"
)

// ParseExpr parses a single expression, such as the text of a WHERE clause.
// Parameters are numbered as in a statement of their own.
func ParseExpr(sql string) (Expr, error) {
	toks, nparams, err := lex(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{src: sql, toks: toks, nparams: nparams}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, errorf(sql, t.pos, "expected end of expression, found %s", describe(sql, t))
	}
	return e, nil
}

// expr parses an expression at the loosest level (OR).
func (p *parser) expr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errorf(p.src, p.peek().pos, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	return p.or()
}

func (p *parser) or() (Expr, error)  { return p.keywordLevel("or", p.and) }
func (p *parser) and() (Expr, error) { return p.keywordLevel("and", p.not) }

// keywordLevel parses a left-associative level whose operator is the
// keyword kw (AND, OR).
func (p *parser) keywordLevel(kw string, sub func() (Expr, error)) (Expr, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for p.accept(kw) {
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &Binary{node: node{l.Pos()}, Op: strings.ToUpper(kw), L: l, R: r}
	}
	return l, nil
}

func (p *parser) not() (Expr, error) {
	t := p.peek()
	if !t.is("not") {
		return p.comparison()
	}
	p.next()
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errorf(p.src, t.pos, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	x, err := p.not()
	if err != nil {
		return nil, err
	}
	return &Unary{node: node{t.pos}, Op: "NOT", X: x}, nil
}

var comparisonOps = setOf("=", "<>", "!=", "<", "<=", ">", ">=")

// comparison parses the non-associative level: comparisons, IS, IN,
// BETWEEN, LIKE, ILIKE. Chains such as a = b = c group to the left.
func (p *parser) comparison() (Expr, error) {
	l, err := p.concat()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		pos := node{l.Pos()}
		switch {
		case t.kind == tokOp && comparisonOps[t.text]:
			p.next()
			r, err := p.concat()
			if err != nil {
				return nil, err
			}
			op := t.text
			if op == "!=" {
				op = "<>"
			}
			l = &Binary{node: pos, Op: op, L: l, R: r}
			continue
		case t.is("is"):
			p.next()
			not := p.accept("not")
			switch {
			case p.accept("null"):
				l = &IsNull{node: pos, X: l, Not: not}
			case p.accept("distinct"):
				if err := p.expectKw("from", "after IS DISTINCT"); err != nil {
					return nil, err
				}
				r, err := p.concat()
				if err != nil {
					return nil, err
				}
				op := "IS DISTINCT FROM"
				if not {
					op = "IS NOT DISTINCT FROM"
				}
				l = &Binary{node: pos, Op: op, L: l, R: r}
			default:
				return nil, p.expected("NULL or DISTINCT FROM after IS")
			}
			continue
		}
		not := false
		if t.is("not") {
			switch n := p.peekAt(1); {
			case n.is("in"), n.is("between"), n.is("like"), n.is("ilike"):
				p.next()
				not = true
			default:
				return l, nil
			}
		}
		op := p.peek()
		if !op.is("in") && !op.is("between") && !op.is("like") && !op.is("ilike") {
			return l, nil
		}
		p.next()
		switch op.text {
		case "in":
			list, err := p.inList()
			if err != nil {
				return nil, err
			}
			l = &InList{node: pos, X: l, List: list, Not: not}
		case "between":
			lo, err := p.concat()
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("and", "between the bounds of BETWEEN"); err != nil {
				return nil, err
			}
			hi, err := p.concat()
			if err != nil {
				return nil, err
			}
			l = &Between{node: pos, X: l, Lo: lo, Hi: hi, Not: not}
		default:
			pat, err := p.concat()
			if err != nil {
				return nil, err
			}
			l = &Like{node: pos, X: l, Pattern: pat, Not: not, CaseInsensitive: op.text == "ilike"}
		}
	}
}

// inList parses "(a, b, ...)" after IN.
func (p *parser) inList() ([]Expr, error) {
	if err := p.expectOp("(", "after IN"); err != nil {
		return nil, err
	}
	if t := p.peek(); t.is("select") || t.is("with") || t.is("from") {
		return nil, errorf(p.src, t.pos, "subqueries are not supported here")
	}
	list, err := p.exprList()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp(")", "after the IN list"); err != nil {
		return nil, err
	}
	return list, nil
}

// exprList parses "e [, e]...".
func (p *parser) exprList() ([]Expr, error) {
	var list []Expr
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if !p.acceptOp(",") {
			return list, nil
		}
	}
}

// binaryLevel parses a left-associative level whose operators are ops.
func (p *parser) binaryLevel(ops map[string]bool, sub func() (Expr, error)) (Expr, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tokOp && ops[t.text]; t = p.peek() {
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &Binary{node: node{l.Pos()}, Op: t.text, L: l, R: r}
	}
	return l, nil
}

var (
	concatOps = setOf("||")
	addOps    = setOf("+", "-")
	mulOps    = setOf("*", "/", "%")
)

func (p *parser) concat() (Expr, error) { return p.binaryLevel(concatOps, p.additive) }
func (p *parser) additive() (Expr, error) {
	return p.binaryLevel(addOps, p.multiplicative)
}
func (p *parser) multiplicative() (Expr, error) { return p.binaryLevel(mulOps, p.unary) }

// unary parses - and + prefixes; a sign directly before a number folds into
// the literal (-1 is a literal, -(1) and -x are Unary).
func (p *parser) unary() (Expr, error) {
	t := p.peek()
	if !t.isOp("-") && !t.isOp("+") {
		return p.postfix()
	}
	p.next()
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errorf(p.src, t.pos, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	numberNext := p.peek().kind == tokNumber
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	if lit, ok := x.(*Literal); ok && numberNext && (lit.Kind == LitInt || lit.Kind == LitFloat) {
		text := lit.Text
		if t.text == "-" {
			text = "-" + text
		}
		return numberLiteral(t.pos, text), nil
	}
	return &Unary{node: node{t.pos}, Op: t.text, X: x}, nil
}

// postfix parses x::type, repeatedly.
func (p *parser) postfix() (Expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.peek().isOp("::") {
		p.next()
		typ, name, err := p.parseType()
		if err != nil {
			return nil, err
		}
		x = &Cast{node: node{x.Pos()}, X: x, Type: typ, TypeName: name}
	}
	return x, nil
}

// numberLiteral classifies a number's text as LitInt or LitFloat.
func numberLiteral(pos int, text string) *Literal {
	kind := LitFloat
	if !strings.ContainsAny(text, ".eE") {
		if _, err := strconv.ParseInt(text, 10, 64); err == nil {
			kind = LitInt
		}
	}
	return &Literal{node: node{pos}, Kind: kind, Text: text}
}

// primary parses literals, parameters, column references, function calls,
// CAST, CASE and parenthesised expressions.
func (p *parser) primary() (Expr, error) {
	t := p.peek()
	at := node{t.pos}
	switch t.kind {
	case tokNumber:
		p.next()
		return numberLiteral(t.pos, t.text), nil
	case tokString:
		p.next()
		return &Literal{node: at, Kind: LitString, Text: t.text}, nil
	case tokParam:
		p.next()
		return &Param{node: at, Index: t.param}, nil
	case tokQuoted:
		return p.nameExpr()
	case tokOp:
		if !t.isOp("(") {
			return nil, p.expected("an expression")
		}
		p.next()
		if n := p.peek(); n.is("select") || n.is("with") || n.is("from") || n.is("values") {
			return nil, errorf(p.src, n.pos, "subqueries are not supported here")
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")", "to close the parenthesis"); err != nil {
			return nil, err
		}
		return e, nil
	case tokIdent:
	default:
		return nil, p.expected("an expression")
	}
	switch t.text {
	case "null":
		p.next()
		return &Literal{node: at, Kind: LitNull}, nil
	case "true", "false":
		p.next()
		return &Literal{node: at, Kind: LitBool, Text: t.text}, nil
	case "cast":
		return p.cast()
	case "case":
		return p.caseExpr()
	case "exists":
		return nil, errorf(p.src, t.pos, "subqueries are not supported here")
	case "date", "timestamp", "timestamptz", "interval":
		if lit, ok, err := p.typedLiteral(); ok || err != nil {
			return lit, err
		}
	case "left", "right":
		if p.peekAt(1).isOp("(") {
			p.next()
			return p.call(t)
		}
	}
	if reserved[t.text] {
		return nil, errorf(p.src, t.pos, "expected an expression, found the reserved word %s (quote it to use it as a name)", describe(p.src, t))
	}
	return p.nameExpr()
}

// nameExpr parses a column reference (a, t.a, s.t.a) or a function call.
func (p *parser) nameExpr() (Expr, error) {
	first := p.next()
	if p.peek().isOp("(") {
		return p.call(first)
	}
	parts := []string{first.text}
	for p.acceptOp(".") {
		n, err := p.name("a column name after \".\"")
		if err != nil {
			return nil, err
		}
		parts = append(parts, n)
	}
	if p.peek().isOp("(") {
		return nil, errorf(p.src, first.pos, "qualified function names are not supported")
	}
	return &ColumnRef{node: node{first.pos}, Parts: parts}, nil
}

// call parses the argument list of a function named by fn; the current
// token is "(".
func (p *parser) call(fn token) (Expr, error) {
	p.next()
	f := &Func{node: node{fn.pos}, Name: fn.text}
	switch {
	case p.acceptOp(")"):
		return f, nil
	case p.peek().isOp("*") && p.peekAt(1).isOp(")"):
		p.i += 2
		f.Star = true
		return f, nil
	case p.peek().is("select") || p.peek().is("with"):
		return nil, errorf(p.src, p.peek().pos, "subqueries are not supported here")
	}
	f.Distinct = p.accept("distinct")
	args, err := p.exprList()
	if err != nil {
		return nil, err
	}
	f.Args = args
	if err := p.expectOp(")", "after the arguments of "+fn.text); err != nil {
		return nil, err
	}
	return f, nil
}

// cast parses CAST(x AS type).
func (p *parser) cast() (Expr, error) {
	start := p.next()
	if err := p.expectOp("(", "after CAST"); err != nil {
		return nil, err
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.expectKw("as", "in CAST(... AS type)"); err != nil {
		return nil, err
	}
	typ, name, err := p.parseType()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp(")", "after the type of CAST"); err != nil {
		return nil, err
	}
	return &Cast{node: node{start.pos}, X: x, Type: typ, TypeName: name}, nil
}

// caseExpr parses CASE [operand] WHEN c THEN r ... [ELSE e] END.
func (p *parser) caseExpr() (Expr, error) {
	start := p.next()
	c := &Case{node: node{start.pos}}
	if p.peek().is("end") {
		return nil, p.expected("WHEN in CASE")
	}
	if !p.peek().is("when") {
		op, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Operand = op
	}
	for p.accept("when") {
		cond, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("then", "after the WHEN condition"); err != nil {
			return nil, err
		}
		then, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
	}
	if len(c.Whens) == 0 {
		return nil, p.expected("WHEN in CASE")
	}
	if p.accept("else") {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.Else = e
	}
	if err := p.expectKw("end", "to close CASE"); err != nil {
		return nil, err
	}
	return c, nil
}

// intervalUnits are the units accepted after INTERVAL '...' or INTERVAL n.
var intervalUnits = setOf(
	"year", "years", "month", "months", "week", "weeks", "day", "days",
	"hour", "hours", "minute", "minutes", "second", "seconds",
	"millisecond", "milliseconds", "microsecond", "microseconds",
)

// typedLiteral parses DATE '...', TIMESTAMP '...', TIMESTAMPTZ '...',
// TIMESTAMP WITH TIME ZONE '...' and INTERVAL forms. ok is false (and
// nothing consumed) when the keyword is not followed by a literal, so that
// it reads as a column name.
func (p *parser) typedLiteral() (Expr, bool, error) {
	kw := p.peek()
	at := node{kw.pos}
	n := 1
	kind := map[string]LitKind{"date": LitDate, "timestamp": LitTimestamp, "timestamptz": LitTimestampTZ, "interval": LitInterval}[kw.text]
	if kw.is("timestamp") && p.peekAt(1).is("with") && p.peekAt(2).is("time") && p.peekAt(3).is("zone") {
		n, kind = 4, LitTimestampTZ
	}
	if kw.is("timestamp") && p.peekAt(1).is("without") && p.peekAt(2).is("time") && p.peekAt(3).is("zone") {
		n = 4
	}
	val := p.peekAt(n)
	if kind == LitInterval && val.kind == tokNumber && p.peekAt(n+1).kind == tokIdent && intervalUnits[p.peekAt(n+1).text] {
		p.i += n + 2
		return &Literal{node: at, Kind: LitInterval, Text: val.text + " " + p.toks[p.i-1].text}, true, nil
	}
	if val.kind != tokString {
		if n > 1 {
			p.i += n
			return nil, false, p.expected("a string literal after " + strings.ToUpper(kw.text) + " ... TIME ZONE")
		}
		return nil, false, nil
	}
	p.i += n + 1
	lit := &Literal{node: at, Kind: kind, Text: val.text}
	var err error
	switch kind {
	case LitDate:
		lit.Time, err = parseDate(val.text)
	case LitTimestamp, LitTimestampTZ:
		lit.Time, err = parseTimestamp(val.text)
	case LitInterval:
		if u := p.peek(); u.kind == tokIdent && intervalUnits[u.text] {
			p.next()
			lit.Text += " " + u.text
		}
	}
	if err != nil {
		return nil, false, errorf(p.src, val.pos, "invalid %s literal %s: %v", strings.ToUpper(kw.text), quoteString(val.text), err)
	}
	return lit, true, nil
}
