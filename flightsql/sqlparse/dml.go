package sqlparse

// insert parses INSERT INTO name [(columns)] VALUES ... | query.
func (p *parser) insert() (Statement, error) {
	p.next()
	if err := p.expectKw("into", "after INSERT"); err != nil {
		return nil, err
	}
	ins := &Insert{}
	var err error
	if ins.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	if p.peek().isOp("(") && !startsQuery(p.peekAt(1)) && !p.peekAt(1).isOp("(") {
		if ins.Columns, _, err = p.nameList("column"); err != nil {
			return nil, err
		}
	}
	t := p.peek()
	switch {
	case t.is("values"):
		p.next()
		if ins.Rows, err = p.rows(len(ins.Columns)); err != nil {
			return nil, err
		}
	case t.isOp("(") || startsQuery(t):
		if ins.Query, err = p.query(); err != nil {
			return nil, err
		}
	default:
		return nil, p.expected("VALUES or a query")
	}
	return ins, nil
}

// startsQuery reports whether t can begin the query of INSERT ... query.
func startsQuery(t token) bool {
	return t.is("select") || t.is("with") || t.is("from") || t.is("table") || t.is("values")
}

// rows parses (e, ...), (e, ...) after VALUES; every row has the same
// length, equal to ncols when ncols > 0.
func (p *parser) rows(ncols int) ([][]Expr, error) {
	var rows [][]Expr
	for {
		open := p.peek()
		if err := p.expectOp("(", "to start a VALUES row"); err != nil {
			return nil, err
		}
		row, err := p.exprList()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")", `or "," in the VALUES row`); err != nil {
			return nil, err
		}
		switch {
		case ncols > 0 && len(row) != ncols:
			return nil, errorf(p.src, open.pos, "VALUES row %d has %d values but %d columns are named", len(rows)+1, len(row), ncols)
		case len(rows) > 0 && len(row) != len(rows[0]):
			return nil, errorf(p.src, open.pos, "VALUES row %d has %d values but row 1 has %d", len(rows)+1, len(row), len(rows[0]))
		}
		rows = append(rows, row)
		if !p.acceptOp(",") {
			return rows, nil
		}
	}
}

// delete parses DELETE FROM name [WHERE expr].
func (p *parser) delete() (Statement, error) {
	p.next()
	if err := p.expectKw("from", "after DELETE"); err != nil {
		return nil, err
	}
	d := &Delete{}
	var err error
	if d.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	if p.accept("where") {
		if d.Where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// update parses UPDATE name SET col = expr, ... [WHERE expr].
func (p *parser) update() (Statement, error) {
	p.next()
	u := &Update{}
	var err error
	if u.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	if err := p.expectKw("set", "after the table name"); err != nil {
		return nil, err
	}
	for {
		at := p.peek().pos
		col, err := p.name("a column name")
		if err != nil {
			return nil, err
		}
		for _, a := range u.Set {
			if a.Column == col {
				return nil, errorf(p.src, at, "column %q is set twice", col)
			}
		}
		if err := p.expectOp("=", "after the column name "+col); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		u.Set = append(u.Set, Assignment{Column: col, Value: v})
		if !p.acceptOp(",") {
			break
		}
	}
	if p.accept("where") {
		if u.Where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// truncate parses TRUNCATE [TABLE] name.
func (p *parser) truncate() (Statement, error) {
	p.next()
	p.accept("table")
	n, err := p.tableName()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.isOp(",") {
		return nil, errorf(p.src, t.pos, "TRUNCATE takes one table")
	}
	return &Truncate{Table: n}, nil
}
