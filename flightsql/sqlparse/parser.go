package sqlparse

import (
	"strings"
)

// Parse parses one SQL statement, optionally followed by ";". The result is
// one of *CreateSchema, *DropSchema, *CreateTable, *DropTable, *CreateView,
// *DropView, *AlterTable, *Insert, *Delete, *Update, *Truncate, *Use, *ShowSchemas,
// *ShowTables, *ShowColumns (SHOW COLUMNS, DESCRIBE table),
// *ShowCreateTable, *Explain, *Call, the access statements (*CreateUser,
// *AlterUser, *DropUser, *CreateRole, *DropRole, *Grant, *GrantRole,
// *ShowGrants, *ShowUsers, *ShowRoles) or *Query (SELECT, WITH, VALUES,
// FROM-first, TABLE, DESCRIBE query, SUMMARIZE and any other SHOW). Errors
// are *Error.
func Parse(sql string) (Statement, error) {
	toks, nparams, err := lex(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{src: sql, toks: toks, nparams: nparams}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return st, nil
}

// maxDepth bounds expression nesting so that hostile input cannot exhaust
// the stack.
const maxDepth = 1000

// parser is a recursive-descent parser over a token slice that ends with a
// tokEOF token.
type parser struct {
	src     string
	toks    []token
	i       int
	nparams int // parameters of the whole statement, from the lexer
	depth   int // current expression nesting
}

func (p *parser) peek() token { return p.toks[p.i] }

// peekAt returns the token n places ahead, or the final tokEOF.
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

// next consumes and returns the current token; it never moves past tokEOF.
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// accept consumes the keyword kw if it is next.
func (p *parser) accept(kw string) bool {
	if p.peek().is(kw) {
		p.i++
		return true
	}
	return false
}

// acceptOp consumes the operator op if it is next.
func (p *parser) acceptOp(op string) bool {
	if p.peek().isOp(op) {
		p.i++
		return true
	}
	return false
}

// expected reports that what was expected where the current token is.
func (p *parser) expected(what string) error {
	t := p.peek()
	return errorf(p.src, t.pos, "expected %s, found %s", what, describe(p.src, t))
}

// expectKw consumes keyword kw or fails; where says where it belongs
// ("after DROP").
func (p *parser) expectKw(kw, where string) error {
	if p.accept(kw) {
		return nil
	}
	return p.expected(strings.ToUpper(kw) + " " + where)
}

// expectOp consumes operator op or fails.
func (p *parser) expectOp(op, where string) error {
	if p.acceptOp(op) {
		return nil
	}
	return p.expected(`"` + op + `" ` + where)
}

// name reads one identifier; what names it in errors ("a column name").
func (p *parser) name(what string) (string, error) {
	t := p.peek()
	if !t.isName() {
		if t.kind == tokIdent {
			return "", errorf(p.src, t.pos, "expected %s, found the reserved word %s (quote it to use it as a name)", what, describe(p.src, t))
		}
		return "", p.expected(what)
	}
	p.next()
	return t.text, nil
}

// nameList reads "(a, b, ...)", rejecting duplicates, and returns the
// names with their offsets.
func (p *parser) nameList(what string) ([]string, []int, error) {
	if err := p.expectOp("(", "before the "+what+" list"); err != nil {
		return nil, nil, err
	}
	var names []string
	var offsets []int
	for {
		at := p.peek().pos
		n, err := p.name("a " + what + " name")
		if err != nil {
			return nil, nil, err
		}
		for _, m := range names {
			if m == n {
				return nil, nil, errorf(p.src, at, "%s %q is listed twice", what, n)
			}
		}
		names = append(names, n)
		offsets = append(offsets, at)
		if p.acceptOp(",") {
			continue
		}
		if err := p.expectOp(")", "after the "+what+" list"); err != nil {
			return nil, nil, err
		}
		return names, offsets, nil
	}
}

// tableName reads name, schema.name or catalog.schema.name.
func (p *parser) tableName() (TableName, error) {
	var parts []string
	for {
		n, err := p.name("a table name")
		if err != nil {
			return TableName{}, err
		}
		parts = append(parts, n)
		if !p.peek().isOp(".") {
			break
		}
		if len(parts) == 3 {
			return TableName{}, errorf(p.src, p.peek().pos, "a table name has at most three parts (catalog.schema.table)")
		}
		p.next()
	}
	return tableNameOf(parts), nil
}

func tableNameOf(parts []string) TableName {
	switch len(parts) {
	case 1:
		return TableName{Name: parts[0]}
	case 2:
		return TableName{Schema: parts[0], Name: parts[1]}
	default:
		return TableName{Catalog: parts[0], Schema: parts[1], Name: parts[2]}
	}
}

// finish accepts trailing semicolons and requires the end of input.
func (p *parser) finish() error {
	semi := false
	for p.acceptOp(";") {
		semi = true
	}
	t := p.peek()
	switch {
	case t.kind == tokEOF:
		return nil
	case semi:
		return errorf(p.src, t.pos, "only one statement is allowed, found a second statement starting with %s", describe(p.src, t))
	default:
		return errorf(p.src, t.pos, "expected end of statement, found %s", describe(p.src, t))
	}
}

// queryStart lists the keywords that begin a Query statement. SHOW and
// DESCRIBE begin one in some of their forms (see show and describe).
var queryStart = setOf("select", "with", "values", "from", "table", "summarize")

// statement dispatches on the first keyword.
func (p *parser) statement() (Statement, error) {
	t := p.peek()
	switch {
	case t.kind == tokEOF || t.isOp(";"):
		return nil, errorf(p.src, t.pos, "empty statement")
	case t.isOp("("):
		return p.query()
	case t.kind != tokIdent:
		return nil, errorf(p.src, t.pos, "expected a statement, found %s", describe(p.src, t))
	case queryStart[t.text]:
		return p.query()
	}
	switch t.text {
	case "create":
		return p.create()
	case "drop":
		return p.drop()
	case "alter":
		return p.alter()
	case "insert":
		return p.insert()
	case "delete":
		return p.delete()
	case "update":
		return p.update()
	case "truncate":
		return p.truncate()
	case "show":
		return p.show()
	case "describe", "desc":
		return p.describe()
	case "explain":
		return p.explain()
	case "grant", "revoke":
		return p.grant()
	case "call":
		return p.callStatement()
	case "use":
		p.next()
		n, err := p.name("a schema name after USE")
		if err != nil {
			return nil, err
		}
		return &Use{Schema: n}, nil
	case "set":
		return p.set()
	}
	return nil, errorf(p.src, t.pos, "unsupported statement %q", strings.ToUpper(t.text))
}

// set parses SET schema = 'ns' and SET search_path = ns (also with TO or
// without either), the only SET statements the server runs.
func (p *parser) set() (Statement, error) {
	p.next()
	v := p.peek()
	if v.kind != tokIdent {
		return nil, p.expected("schema or search_path after SET")
	}
	if !v.is("schema") && !v.is("search_path") {
		return nil, errorf(p.src, v.pos, "unsupported statement \"SET %s\": only SET schema and SET search_path are supported", strings.ToUpper(v.text))
	}
	p.next()
	if !p.acceptOp("=") {
		p.accept("to")
	}
	t := p.peek()
	if t.kind != tokString && !t.isName() {
		return nil, p.expected("a schema name")
	}
	if t.text == "" {
		return nil, errorf(p.src, t.pos, "the schema name must not be empty")
	}
	p.next()
	if p.peek().isOp(",") {
		return nil, errorf(p.src, p.peek().pos, "SET %s accepts one schema, not a list", v.text)
	}
	return &Use{Schema: t.text}, nil
}
