package sqlparse

import (
	"strings"
)

// create parses CREATE SCHEMA, CREATE TABLE and CREATE VIEW.
func (p *parser) create() (Statement, error) {
	p.next()
	t := p.peek()
	switch {
	case p.accept("view"):
		return p.createView(false)
	case p.accept("or"):
		if err := p.expectKw("replace", "after CREATE OR"); err != nil {
			return nil, err
		}
		if p.accept("view") {
			return p.createView(true)
		}
		if w := p.peek(); w.kind == tokIdent {
			return nil, errorf(p.src, w.pos, "unsupported statement \"CREATE OR REPLACE %s\": OR REPLACE is supported for views only", strings.ToUpper(w.text))
		}
		return nil, p.expected("VIEW after CREATE OR REPLACE")
	case p.accept("schema"):
		ifNotExists, err := p.ifNotExists()
		if err != nil {
			return nil, err
		}
		name, err := p.schemaName()
		if err != nil {
			return nil, err
		}
		return &CreateSchema{Name: name, IfNotExists: ifNotExists}, nil
	case p.accept("table"):
		return p.createTable()
	case t.is("user") || t.is("role"):
		return p.createPrincipal()
	case t.is("database"):
		return nil, errorf(p.src, t.pos, `unsupported statement "CREATE DATABASE": use CREATE SCHEMA`)
	case t.kind == tokIdent:
		return nil, errorf(p.src, t.pos, "unsupported statement \"CREATE %s\": only CREATE SCHEMA, CREATE TABLE, CREATE VIEW, CREATE USER and CREATE ROLE are supported", strings.ToUpper(t.text))
	}
	return nil, p.expected("SCHEMA, TABLE or VIEW after CREATE")
}

// drop parses DROP SCHEMA, DROP TABLE and DROP VIEW.
func (p *parser) drop() (Statement, error) {
	p.next()
	t := p.peek()
	switch {
	case p.accept("schema"):
		ifExists, err := p.ifExists()
		if err != nil {
			return nil, err
		}
		name, err := p.schemaName()
		if err != nil {
			return nil, err
		}
		cascade := p.accept("cascade")
		if !cascade {
			p.accept("restrict")
		}
		return &DropSchema{Name: name, IfExists: ifExists, Cascade: cascade}, nil
	case p.accept("table"):
		ifExists, err := p.ifExists()
		if err != nil {
			return nil, err
		}
		name, err := p.tableName()
		if err != nil {
			return nil, err
		}
		return &DropTable{Table: name, IfExists: ifExists}, nil
	case p.accept("view"):
		ifExists, err := p.ifExists()
		if err != nil {
			return nil, err
		}
		name, err := p.tableName()
		if err != nil {
			return nil, err
		}
		return &DropView{View: name, IfExists: ifExists}, nil
	case t.is("user") || t.is("role"):
		return p.dropPrincipal()
	case t.kind == tokIdent:
		return nil, errorf(p.src, t.pos, "unsupported statement \"DROP %s\": only DROP SCHEMA, DROP TABLE, DROP VIEW, DROP USER and DROP ROLE are supported", strings.ToUpper(t.text))
	}
	return nil, p.expected("SCHEMA, TABLE or VIEW after DROP")
}

func (p *parser) ifNotExists() (bool, error) {
	if !p.accept("if") {
		return false, nil
	}
	if err := p.expectKw("not", "after IF"); err != nil {
		return false, err
	}
	return true, p.expectKw("exists", "after IF NOT")
}

func (p *parser) ifExists() (bool, error) {
	if !p.accept("if") {
		return false, nil
	}
	return true, p.expectKw("exists", "after IF")
}

// createTable parses what follows CREATE TABLE.
func (p *parser) createTable() (Statement, error) {
	ct := &CreateTable{}
	var pos tablePositions
	var err error
	if ct.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if ct.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	if p.peek().isOp("(") {
		if err := p.columns(ct, &pos); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for {
		t := p.peek()
		clause := t.text
		switch {
		case t.is("partitioned") || t.is("partition"):
			clause = "partitioned"
		case t.is("with"), t.is("comment"):
		case t.is("as"):
			if ct.Columns != nil {
				return nil, errorf(p.src, t.pos, "CREATE TABLE ... AS takes its columns from the query: remove the column list")
			}
			p.next()
			return p.createTableAs(ct)
		default:
			if ct.Columns == nil {
				return nil, p.expected(`"(" and a column list, or AS and a query, after the table name`)
			}
			if err := p.checkTable(ct, &pos); err != nil {
				return nil, err
			}
			return ct, nil
		}
		if seen[clause] {
			return nil, errorf(p.src, t.pos, "%s is given twice", strings.ToUpper(t.text))
		}
		seen[clause] = true
		p.next()
		switch clause {
		case "partitioned":
			if err := p.expectKw("by", "after "+strings.ToUpper(t.text)); err != nil {
				return nil, err
			}
			if ct.PartitionBy, pos.partition, err = p.nameList("partition column"); err != nil {
				return nil, err
			}
		case "with":
			if ct.Options, err = p.options(); err != nil {
				return nil, err
			}
		case "comment":
			if p.peek().kind != tokString {
				return nil, p.expected("a string after COMMENT")
			}
			p.next()
		}
	}
}

// createTableAs parses the query of CREATE TABLE ... AS.
func (p *parser) createTableAs(ct *CreateTable) (Statement, error) {
	t := p.peek()
	if !t.isOp("(") && !t.is("select") && !t.is("with") && !t.is("values") && !t.is("from") && !t.is("table") {
		return nil, p.expected("a query after AS")
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	ct.AsQuery = q
	return ct, nil
}

// createView parses what follows CREATE [OR REPLACE] VIEW.
func (p *parser) createView(orReplace bool) (Statement, error) {
	v := &CreateView{OrReplace: orReplace}
	var err error
	at := p.peek()
	if v.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if orReplace && v.IfNotExists {
		return nil, errorf(p.src, at.pos, "OR REPLACE and IF NOT EXISTS cannot be used together")
	}
	if v.View, err = p.tableName(); err != nil {
		return nil, err
	}
	if p.peek().isOp("(") {
		if v.Columns, _, err = p.nameList("view column"); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("as", "and a query after the view name"); err != nil {
		return nil, err
	}
	if t := p.peek(); !t.isOp("(") && !startsQuery(t) {
		return nil, p.expected("a query after AS")
	}
	start := p.i
	if v.Query, err = p.query(); err != nil {
		return nil, err
	}
	if v.Query.Params > 0 {
		for _, t := range p.toks[start:p.i] {
			if t.kind == tokParam {
				return nil, errorf(p.src, t.pos, "a view's query cannot have parameters")
			}
		}
	}
	v.Text = v.Query.Text
	return v, nil
}

// tablePositions keeps the offsets of names that checkTable may report.
type tablePositions struct {
	list      int            // the "(" of the column list
	columns   map[string]int // first definition of each column
	inlineKey []int          // columns marked PRIMARY KEY
	key       []int          // PRIMARY KEY (...) names
	partition []int          // PARTITIONED BY (...) names
}

// columns parses the parenthesised column and constraint list.
func (p *parser) columns(ct *CreateTable, pos *tablePositions) error {
	pos.list = p.next().pos
	pos.columns = map[string]int{}
	ct.Columns = []ColumnDef{}
	for {
		switch t := p.peek(); {
		case t.is("primary") || t.is("constraint"):
			if err := p.primaryKeyConstraint(ct, pos); err != nil {
				return err
			}
		default:
			c, err := p.columnDef()
			if err != nil {
				return err
			}
			if _, dup := pos.columns[c.Name]; dup {
				return errorf(p.src, t.pos, "column %q is defined twice", c.Name)
			}
			pos.columns[c.Name] = t.pos
			if c.PrimaryKey {
				pos.inlineKey = append(pos.inlineKey, t.pos)
			}
			ct.Columns = append(ct.Columns, c)
		}
		if p.acceptOp(",") {
			continue
		}
		return p.expectOp(")", `or "," after a column definition`)
	}
}

// primaryKeyConstraint parses [CONSTRAINT name] PRIMARY KEY (a, ...).
func (p *parser) primaryKeyConstraint(ct *CreateTable, pos *tablePositions) error {
	start := p.peek()
	if p.accept("constraint") {
		if _, err := p.name("a constraint name"); err != nil {
			return err
		}
	}
	if err := p.expectKw("primary", "KEY (...): the only table constraint supported is the primary key"); err != nil {
		return err
	}
	if err := p.expectKw("key", "after PRIMARY"); err != nil {
		return err
	}
	if ct.PrimaryKey != nil {
		return errorf(p.src, start.pos, "the primary key is given twice")
	}
	keys, offsets, err := p.nameList("primary key column")
	if err != nil {
		return err
	}
	ct.PrimaryKey, pos.key = keys, offsets
	return nil
}

// columnDef parses name type [NOT NULL | NULL | PRIMARY KEY | COMMENT '...']...
func (p *parser) columnDef() (ColumnDef, error) {
	var c ColumnDef
	var err error
	start := p.peek().pos
	if c.Name, err = p.name("a column name"); err != nil {
		return c, err
	}
	if c.Type, c.TypeName, err = p.parseType(); err != nil {
		return c, err
	}
	nullable := false
	for {
		t := p.peek()
		switch {
		case p.accept("not"):
			if err := p.expectKw("null", "after NOT"); err != nil {
				return c, err
			}
			c.NotNull = true
		case p.accept("null"):
			nullable = true
		case p.accept("primary"):
			if err := p.expectKw("key", "after PRIMARY"); err != nil {
				return c, err
			}
			c.PrimaryKey = true
		case p.accept("comment"):
			if p.peek().kind != tokString {
				return c, p.expected("a string after COMMENT")
			}
			p.next()
		case t.is("default"):
			return c, errorf(p.src, t.pos, "DEFAULT values are not supported")
		default:
			if c.NotNull && nullable {
				return c, errorf(p.src, start, "column %q is declared both NULL and NOT NULL", c.Name)
			}
			return c, nil
		}
	}
}

// options parses (key = value, ...) after WITH.
func (p *parser) options() (map[string]string, error) {
	if err := p.expectOp("(", "after WITH"); err != nil {
		return nil, err
	}
	opts := map[string]string{}
	for {
		at := p.peek().pos
		key, err := p.optionKey()
		if err != nil {
			return nil, err
		}
		if _, dup := opts[key]; dup {
			return nil, errorf(p.src, at, "option %q is given twice", key)
		}
		if err := p.expectOp("=", "after the option name "+key); err != nil {
			return nil, err
		}
		v := p.peek()
		switch {
		case v.kind == tokString, v.kind == tokNumber, v.kind == tokIdent, v.kind == tokQuoted:
			p.next()
			opts[key] = v.text
		case (v.isOp("-") || v.isOp("+")) && p.peekAt(1).kind == tokNumber:
			p.next()
			n := p.next()
			opts[key] = strings.TrimPrefix(v.text, "+") + n.text
		default:
			return nil, p.expected("a value for option " + key)
		}
		if p.acceptOp(",") {
			continue
		}
		if err := p.expectOp(")", `or "," after an option`); err != nil {
			return nil, err
		}
		return opts, nil
	}
}

// optionKey reads an option name: an identifier, a dotted path of them
// (merge_op.price) or a string, lower-cased.
func (p *parser) optionKey() (string, error) {
	t := p.peek()
	if t.kind == tokString {
		p.next()
		return strings.ToLower(t.text), nil
	}
	if t.kind != tokIdent && t.kind != tokQuoted {
		return "", p.expected("an option name")
	}
	p.next()
	key := t.text
	for p.acceptOp(".") {
		n := p.peek()
		if n.kind != tokIdent && n.kind != tokQuoted {
			return "", p.expected(`an option name after "."`)
		}
		p.next()
		key += "." + n.text
	}
	return strings.ToLower(key), nil
}

// checkTable validates the key and partition columns against the columns
// and settles the primary key.
func (p *parser) checkTable(ct *CreateTable, pos *tablePositions) error {
	if len(ct.Columns) == 0 {
		return errorf(p.src, pos.list, "a table needs at least one column")
	}
	var inline []string
	for _, c := range ct.Columns {
		if c.PrimaryKey {
			inline = append(inline, c.Name)
		}
	}
	switch {
	case inline != nil && ct.PrimaryKey != nil:
		return errorf(p.src, pos.inlineKey[0], "the primary key is given both inline and as PRIMARY KEY (...)")
	case inline != nil:
		ct.PrimaryKey = inline
	}
	for i, k := range ct.PrimaryKey {
		if _, ok := pos.columns[k]; !ok && pos.key != nil {
			return errorf(p.src, pos.key[i], "primary key column %q is not a column of the table", k)
		}
	}
	for i, k := range ct.PartitionBy {
		if _, ok := pos.columns[k]; !ok {
			return errorf(p.src, pos.partition[i], "partition column %q is not a column of the table", k)
		}
	}
	return nil
}

// schemaName parses a one-part schema name.
func (p *parser) schemaName() (string, error) {
	name, err := p.name("a schema name")
	if err != nil {
		return "", err
	}
	if p.peek().isOp(".") {
		return "", errorf(p.src, p.peek().pos, "a schema name has one part")
	}
	return name, nil
}
