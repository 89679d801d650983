package sqlparse

import "strings"

// ShowSchemas is SHOW SCHEMAS [LIKE 'pattern'], also spelt SHOW DATABASES.
type ShowSchemas struct {
	// Like is the LIKE pattern (% and _ are wildcards), "" without LIKE.
	Like string
}

// ShowTables is SHOW TABLES [IN | FROM [catalog.]schema] [LIKE 'pattern'].
type ShowTables struct {
	// Catalog is the catalog written before the schema, "" if none.
	Catalog string
	// Schema is the schema whose tables are listed, "" for the session's
	// current schema.
	Schema string
	// Like is the LIKE pattern (% and _ are wildcards), "" without LIKE.
	Like string
}

// ShowColumns lists the columns of a table: SHOW COLUMNS FROM | IN table
// [FROM | IN [catalog.]schema], DESCRIBE table or DESC table. DESCRIBE
// followed by a query (SELECT, WITH, FROM, VALUES, TABLE or "(") is a
// Query instead, passed through like any other.
type ShowColumns struct {
	Table TableName
	// AsOf is the FOR VERSION AS OF / FOR TIMESTAMP AS OF clause of
	// DESCRIBE table FOR ... AS OF ..., nil for the current version.
	AsOf *AsOf
}

// ShowCreateTable is SHOW CREATE TABLE name or, with View, SHOW CREATE VIEW
// name: the statement that would create the table or view.
type ShowCreateTable struct {
	Table TableName
	View  bool
}

// Explain is EXPLAIN [ANALYZE] query: the plan of a query, with ANALYZE
// the plan annotated by running it. ANALYSE is the same as ANALYZE.
type Explain struct {
	Query   *Query
	Analyze bool
}

func (*ShowSchemas) NumParams() int     { return 0 }
func (*ShowTables) NumParams() int      { return 0 }
func (*ShowColumns) NumParams() int     { return 0 }
func (*ShowCreateTable) NumParams() int { return 0 }
func (s *Explain) NumParams() int       { return s.Query.Params }

func (*ShowSchemas) statement()     {}
func (*ShowTables) statement()      {}
func (*ShowColumns) statement()     {}
func (*ShowCreateTable) statement() {}
func (*Explain) statement()         {}

// show parses SHOW SCHEMAS, SHOW DATABASES, SHOW TABLES, SHOW COLUMNS and
// SHOW CREATE. Any other SHOW (a setting, DuckDB's SHOW ALL TABLES) is a
// query passed through.
func (p *parser) show() (Statement, error) {
	what := p.peekAt(1)
	switch {
	case what.is("schemas") || what.is("databases"):
		p.i += 2
		like, err := p.like()
		if err != nil {
			return nil, err
		}
		return &ShowSchemas{Like: like}, nil
	case what.is("tables"):
		p.i += 2
		s := &ShowTables{}
		if p.accept("in") || p.accept("from") {
			var err error
			if s.Catalog, s.Schema, err = p.schemaRef(); err != nil {
				return nil, err
			}
		}
		like, err := p.like()
		if err != nil {
			return nil, err
		}
		s.Like = like
		return s, nil
	case what.is("grants") || what.is("users") || what.is("roles"):
		return p.showAccess()
	case what.is("columns"):
		p.i += 2
		return p.showColumns()
	case what.is("create"):
		p.i += 2
		view := p.accept("view")
		if !view {
			if err := p.expectKw("table", "or VIEW after SHOW CREATE"); err != nil {
				return nil, err
			}
		}
		n, err := p.tableName()
		if err != nil {
			return nil, err
		}
		return &ShowCreateTable{Table: n, View: view}, nil
	}
	return p.query()
}

// showColumns parses what follows SHOW COLUMNS.
func (p *parser) showColumns() (Statement, error) {
	if !p.accept("from") && !p.accept("in") {
		return nil, p.expected("FROM or IN after SHOW COLUMNS")
	}
	n, err := p.tableName()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.is("from") || t.is("in") {
		if n.Schema != "" {
			return nil, errorf(p.src, t.pos, "the table name %s already has a schema: remove the %s clause or the qualifier", n.SQL(), strings.ToUpper(t.text))
		}
		p.next()
		if n.Catalog, n.Schema, err = p.schemaRef(); err != nil {
			return nil, err
		}
	}
	return &ShowColumns{Table: n}, nil
}

// describe parses DESCRIBE table and DESC table, with an optional AS OF
// clause. DESCRIBE followed by a query is a query.
func (p *parser) describe() (Statement, error) {
	kw, next := p.peek(), p.peekAt(1)
	if next.isOp("(") || startsQuery(next) {
		return p.query()
	}
	p.next()
	if !next.isName() {
		return nil, p.expected("a table name or a query after " + strings.ToUpper(kw.text))
	}
	n, err := p.tableName()
	if err != nil {
		return nil, err
	}
	s := &ShowColumns{Table: n}
	if p.peek().is("for") && (p.peekAt(1).is("version") || p.peekAt(1).is("timestamp")) {
		if s.AsOf, p.i, err = p.asOf(p.i); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// explain parses EXPLAIN [ANALYZE | ANALYSE] query.
func (p *parser) explain() (Statement, error) {
	p.next()
	analyze := p.accept("analyze") || p.accept("analyse")
	j := 0
	for p.peekAt(j).isOp("(") {
		j++
	}
	if t := p.peekAt(j); !startsQuery(t) {
		if j == 0 && t.kind == tokIdent {
			return nil, errorf(p.src, t.pos, "EXPLAIN supports queries only (SELECT, WITH, VALUES, FROM or TABLE), found %s", describe(p.src, t))
		}
		return nil, errorf(p.src, t.pos, "expected a query after EXPLAIN, found %s", describe(p.src, t))
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return &Explain{Query: q, Analyze: analyze}, nil
}

// like parses an optional LIKE 'pattern'.
func (p *parser) like() (string, error) {
	if !p.accept("like") {
		return "", nil
	}
	t := p.peek()
	if t.kind != tokString {
		return "", p.expected("a pattern string after LIKE")
	}
	if t.text == "" {
		return "", errorf(p.src, t.pos, "the LIKE pattern must not be empty")
	}
	p.next()
	return t.text, nil
}

// schemaRef parses schema or catalog.schema.
func (p *parser) schemaRef() (catalog, schema string, err error) {
	first, err := p.name("a schema name")
	if err != nil {
		return "", "", err
	}
	if !p.acceptOp(".") {
		return "", first, nil
	}
	second, err := p.name("a schema name")
	if err != nil {
		return "", "", err
	}
	if p.peek().isOp(".") {
		return "", "", errorf(p.src, p.peek().pos, "a schema name has at most two parts (catalog.schema)")
	}
	return first, second, nil
}
