package sqlparse

import (
	"strings"
)

// AlterKind is what one action of ALTER TABLE does to a column.
type AlterKind uint8

// Column actions of ALTER TABLE.
const (
	AlterAddColumn    AlterKind = iota + 1 // ADD [COLUMN] [IF NOT EXISTS] c type [NULL | NOT NULL] [DEFAULT literal]
	AlterDropColumn                        // DROP [COLUMN] [IF EXISTS] c
	AlterRenameColumn                      // RENAME [COLUMN] a TO b
	AlterColumnType                        // ALTER [COLUMN] c [SET DATA] TYPE type
	AlterDropNotNull                       // ALTER [COLUMN] c DROP NOT NULL
)

// AlterAction is one column action of ALTER TABLE.
type AlterAction struct {
	Kind AlterKind
	// Column is the column acted on; for AlterAddColumn it is the whole new
	// column (name, type, NOT NULL), for AlterColumnType its name and new
	// type, for the others its name only.
	Column ColumnDef
	// NewName is the new name of AlterRenameColumn.
	NewName string
	// Default is the text of AlterAddColumn's DEFAULT literal (the number
	// as written, a string's content, "true"/"false", a date or timestamp
	// as written inside its quotes); nil without DEFAULT. DEFAULT NULL is
	// no default.
	Default *string
	// IfExists (DROP COLUMN IF EXISTS) and IfNotExists (ADD COLUMN IF NOT
	// EXISTS) make the action do nothing instead of failing.
	IfExists, IfNotExists bool
}

// AlterTable is
//
//	ALTER TABLE [IF EXISTS] name action [, action ...]
//	ALTER TABLE [IF EXISTS] name RENAME TO new_name
//	ALTER TABLE [IF EXISTS] name SET TBLPROPERTIES (key = value, ...)
//	ALTER TABLE [IF EXISTS] name UNSET TBLPROPERTIES [IF EXISTS] (key, ...)
//
// with the column actions of AlterKind, all applied as one schema change.
// SET PROPERTIES and SET (...) are accepted for SET TBLPROPERTIES.
type AlterTable struct {
	Table    TableName
	IfExists bool
	Actions  []AlterAction
	// RenameTo is the new name of RENAME TO; its schema is the table's own
	// when not written.
	RenameTo *TableName
	// SetProperties (keys lower-cased, values as text) and UnsetProperties
	// are the TBLPROPERTIES forms; UnsetIfExists is UNSET TBLPROPERTIES IF
	// EXISTS.
	SetProperties   map[string]string
	UnsetProperties []string
	UnsetIfExists   bool
}

func (*AlterTable) NumParams() int { return 0 }
func (*AlterTable) statement()     {}

// alter parses ALTER TABLE.
func (p *parser) alter() (Statement, error) {
	p.next()
	if p.peek().is("user") {
		return p.alterUser()
	}
	if t := p.peek(); !t.is("table") {
		if t.kind == tokIdent {
			return nil, errorf(p.src, t.pos, "unsupported statement \"ALTER %s\": only ALTER TABLE and ALTER USER are supported", strings.ToUpper(t.text))
		}
		return nil, p.expected("TABLE after ALTER")
	}
	p.next()
	at := &AlterTable{}
	var err error
	if at.IfExists, err = p.ifExists(); err != nil {
		return nil, err
	}
	if at.Table, err = p.tableName(); err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.is("rename") && p.peekAt(1).is("to"):
		p.i += 2
		n, err := p.tableName()
		if err != nil {
			return nil, err
		}
		at.RenameTo = &n
		return at, nil
	case t.is("set") && (p.peekAt(1).is("tblproperties") || p.peekAt(1).is("properties") || p.peekAt(1).isOp("(")):
		p.next()
		if !p.peek().isOp("(") {
			p.next()
		}
		if at.SetProperties, err = p.options(); err != nil {
			return nil, err
		}
		return at, nil
	case t.is("unset") || t.is("reset"):
		p.next()
		if !p.accept("tblproperties") && !p.accept("properties") && !p.peek().isOp("(") {
			return nil, p.expected("TBLPROPERTIES after " + strings.ToUpper(t.text))
		}
		if at.UnsetIfExists, err = p.ifExists(); err != nil {
			return nil, err
		}
		if at.UnsetProperties, err = p.keyList(); err != nil {
			return nil, err
		}
		return at, nil
	}
	for {
		a, err := p.alterAction()
		if err != nil {
			return nil, err
		}
		at.Actions = append(at.Actions, a)
		if !p.acceptOp(",") {
			return at, nil
		}
	}
}

// alterAction parses one column action of ALTER TABLE.
func (p *parser) alterAction() (AlterAction, error) {
	var a AlterAction
	var err error
	t := p.peek()
	switch {
	case p.accept("add"):
		if p.peek().is("primary") || p.peek().is("constraint") {
			return a, errorf(p.src, p.peek().pos, "the primary key of a table cannot be changed")
		}
		p.accept("column")
		if a.IfNotExists, err = p.ifNotExists(); err != nil {
			return a, err
		}
		a.Kind = AlterAddColumn
		if a.Column, a.Default, err = p.addedColumn(); err != nil {
			return a, err
		}
		return a, nil
	case p.accept("drop"):
		if p.peek().is("primary") || p.peek().is("constraint") {
			return a, errorf(p.src, p.peek().pos, "the primary key of a table cannot be changed")
		}
		p.accept("column")
		if a.IfExists, err = p.ifExists(); err != nil {
			return a, err
		}
		a.Kind = AlterDropColumn
		a.Column.Name, err = p.name("a column name")
		return a, err
	case p.accept("rename"):
		p.accept("column")
		a.Kind = AlterRenameColumn
		if a.Column.Name, err = p.name("a column name"); err != nil {
			return a, err
		}
		if err := p.expectKw("to", "after RENAME COLUMN "+a.Column.Name); err != nil {
			return a, err
		}
		a.NewName, err = p.name("the new column name")
		return a, err
	case p.accept("alter") || p.accept("modify"):
		p.accept("column")
		if a.Column.Name, err = p.name("a column name"); err != nil {
			return a, err
		}
		switch {
		case p.accept("drop"):
			if err := p.expectKw("not", "after DROP"); err != nil {
				return a, err
			}
			if err := p.expectKw("null", "after DROP NOT"); err != nil {
				return a, err
			}
			a.Kind = AlterDropNotNull
			return a, nil
		case p.peek().is("set") && p.peekAt(1).is("not"):
			return a, errorf(p.src, p.peek().pos, "SET NOT NULL is not supported: existing rows may hold nulls")
		case p.peek().is("set") && p.peekAt(1).is("default"), p.peek().is("default"):
			return a, errorf(p.src, p.peek().pos, "the default of an existing column cannot be changed")
		}
		if p.accept("set") {
			if err := p.expectKw("data", "after SET"); err != nil {
				return a, err
			}
		}
		if err := p.expectKw("type", "after ALTER COLUMN "+a.Column.Name); err != nil {
			return a, err
		}
		a.Kind = AlterColumnType
		a.Column.Type, a.Column.TypeName, err = p.parseType()
		return a, err
	}
	if t.kind == tokIdent {
		return a, errorf(p.src, t.pos, "unsupported ALTER TABLE action %q: use ADD COLUMN, DROP COLUMN, RENAME COLUMN, ALTER COLUMN ... TYPE, ALTER COLUMN ... DROP NOT NULL, RENAME TO, SET TBLPROPERTIES or UNSET TBLPROPERTIES", strings.ToUpper(t.text))
	}
	return a, p.expected("an ALTER TABLE action")
}

// addedColumn parses the column of ADD COLUMN: name type [NULL | NOT NULL]
// [DEFAULT literal], the clauses in any order.
func (p *parser) addedColumn() (ColumnDef, *string, error) {
	var c ColumnDef
	var def *string
	var err error
	start := p.peek().pos
	if c.Name, err = p.name("a column name"); err != nil {
		return c, nil, err
	}
	if c.Type, c.TypeName, err = p.parseType(); err != nil {
		return c, nil, err
	}
	nullable, seenDefault := false, false
	for {
		t := p.peek()
		switch {
		case p.accept("not"):
			if err := p.expectKw("null", "after NOT"); err != nil {
				return c, nil, err
			}
			c.NotNull = true
		case p.accept("null"):
			nullable = true
		case t.is("primary"):
			return c, nil, errorf(p.src, t.pos, "the primary key of a table cannot be changed")
		case p.accept("default"):
			if seenDefault {
				return c, nil, errorf(p.src, t.pos, "column %q has DEFAULT twice", c.Name)
			}
			seenDefault = true
			if def, err = p.defaultLiteral(); err != nil {
				return c, nil, err
			}
		case p.accept("comment"):
			if p.peek().kind != tokString {
				return c, nil, p.expected("a string after COMMENT")
			}
			p.next()
		default:
			if c.NotNull && nullable {
				return c, nil, errorf(p.src, start, "column %q is declared both NULL and NOT NULL", c.Name)
			}
			return c, def, nil
		}
	}
}

// defaultLiteral parses the literal after DEFAULT; NULL gives nil.
func (p *parser) defaultLiteral() (*string, error) {
	at := p.peek()
	e, err := p.unary()
	if err != nil {
		return nil, err
	}
	if u, ok := e.(*Unary); ok && u.Op == "-" {
		if l, ok := u.X.(*Literal); ok && (l.Kind == LitInt || l.Kind == LitFloat) {
			s := "-" + l.Text
			return &s, nil
		}
	}
	l, ok := e.(*Literal)
	if !ok || l.Kind == LitInterval {
		return nil, errorf(p.src, at.pos, "DEFAULT must be a constant: a number, a string, TRUE, FALSE, NULL, DATE '...' or TIMESTAMP '...'")
	}
	if l.Kind == LitNull {
		return nil, nil
	}
	s := l.Text
	return &s, nil
}

// keyList parses (key, ...) of UNSET TBLPROPERTIES, keys lower-cased.
func (p *parser) keyList() ([]string, error) {
	if err := p.expectOp("(", "before the property names"); err != nil {
		return nil, err
	}
	var keys []string
	for {
		at := p.peek().pos
		k, err := p.optionKey()
		if err != nil {
			return nil, err
		}
		for _, m := range keys {
			if m == k {
				return nil, errorf(p.src, at, "property %q is listed twice", k)
			}
		}
		keys = append(keys, k)
		if p.acceptOp(",") {
			continue
		}
		if err := p.expectOp(")", `or "," after a property name`); err != nil {
			return nil, err
		}
		return keys, nil
	}
}
