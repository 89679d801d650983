package sqlparse

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Statement is a parsed statement: *CreateSchema, *DropSchema,
// *CreateTable, *DropTable, *CreateView, *DropView, *Insert, *Delete,
// *Update, *Truncate, *Use, *ShowSchemas, *ShowTables, *ShowColumns,
// *ShowCreateTable, *Explain, *Call or *Query.
type Statement interface {
	// NumParams is the number of parameters the statement takes: the
	// number of "?", or the highest n of "$n".
	NumParams() int
	statement()
}

// NumParams is s.NumParams(), for callers that prefer a function.
func NumParams(s Statement) int { return s.NumParams() }

// TableName is a table name of one to three parts. Unquoted parts are
// folded to lower case; quoted ones are kept exactly.
type TableName struct {
	Catalog, Schema, Name string
}

// SQL renders the name, quoting the parts that need it.
func (n TableName) SQL() string {
	s := ident(n.Name)
	if n.Schema != "" || n.Catalog != "" {
		s = ident(n.Schema) + "." + s
	}
	if n.Catalog != "" {
		s = ident(n.Catalog) + "." + s
	}
	return s
}

// IsInformationSchema reports whether n names a table of the
// information_schema (its schema part, in any case), which the server
// answers from its own catalog rather than from stored tables. The
// catalog part, if any, is left for the server to check.
func IsInformationSchema(n TableName) bool {
	return strings.EqualFold(n.Schema, "information_schema")
}

// CreateSchema is CREATE SCHEMA [IF NOT EXISTS] name.
type CreateSchema struct {
	Name        string
	IfNotExists bool
}

// DropSchema is DROP SCHEMA [IF EXISTS] name [CASCADE | RESTRICT].
type DropSchema struct {
	Name     string
	IfExists bool
	Cascade  bool
}

// ColumnDef is one column of CREATE TABLE.
type ColumnDef struct {
	Name string
	Type arrow.DataType
	// TypeName is the type as written, normalised: upper case, single
	// spaces, arguments without spaces ("DECIMAL(10,2)").
	TypeName string
	// NotNull is set by an explicit NOT NULL only; PRIMARY KEY does not
	// imply it here.
	NotNull bool
	// PrimaryKey is set by an inline PRIMARY KEY constraint.
	PrimaryKey bool
}

// CreateTable is
//
//	CREATE TABLE [IF NOT EXISTS] name (column [, ...] [, PRIMARY KEY (a, ...)])
//	    [PARTITIONED BY (a, ...)] [WITH (key = value, ...)] [COMMENT '...']
//
// with the clauses after the column list in any order (PARTITION BY is the
// same as PARTITIONED BY), or CREATE TABLE name [clauses] AS query.
type CreateTable struct {
	Table       TableName
	IfNotExists bool
	Columns     []ColumnDef // empty with AsQuery
	// PrimaryKey is the table constraint's columns, or else the columns
	// marked PRIMARY KEY inline, in column order; nil without a key.
	PrimaryKey  []string
	PartitionBy []string
	// Options are the WITH (...) pairs: keys lower-cased (dotted keys such
	// as merge_op.price allowed), values as text ('x' -> x, 4 -> 4,
	// TRUE -> true); nil without WITH.
	Options map[string]string
	AsQuery *Query
}

// DropTable is DROP TABLE [IF EXISTS] name.
type DropTable struct {
	Table    TableName
	IfExists bool
}

// CreateView is
//
//	CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name [(column, ...)] AS query
//
// OR REPLACE and IF NOT EXISTS exclude each other, and the query takes no
// parameters.
type CreateView struct {
	View        TableName
	OrReplace   bool
	IfNotExists bool
	// Columns renames the query's columns by position; nil keeps the
	// query's own names.
	Columns []string
	Query   *Query
	// Text is the query as written (Query.Text), the definition to store.
	Text string
}

// DropView is DROP VIEW [IF EXISTS] name.
type DropView struct {
	View     TableName
	IfExists bool
}

// Insert is INSERT INTO name [(columns)] VALUES (...), ... or
// INSERT INTO name [(columns)] query.
type Insert struct {
	Table   TableName
	Columns []string // nil: all columns, in table order
	Rows    [][]Expr // VALUES rows, each as long as Columns when given
	Query   *Query   // set instead of Rows for INSERT ... SELECT
}

// Delete is DELETE FROM name [WHERE expr].
type Delete struct {
	Table TableName
	Where Expr // nil: every row
}

// Update is UPDATE name SET column = expr, ... [WHERE expr].
type Update struct {
	Table TableName
	Set   []Assignment
	Where Expr // nil: every row
}

// Truncate is TRUNCATE [TABLE] name: delete every row.
type Truncate struct {
	Table TableName
}

// Assignment is one column = value of UPDATE ... SET.
type Assignment struct {
	Column string
	Value  Expr
}

// Use changes the session's current schema: USE ns, SET schema = 'ns',
// SET search_path = ns.
type Use struct {
	Schema string
}

func (*CreateSchema) NumParams() int { return 0 }
func (*DropSchema) NumParams() int   { return 0 }
func (*DropTable) NumParams() int    { return 0 }
func (*Use) NumParams() int          { return 0 }
func (*DropView) NumParams() int     { return 0 }
func (*Truncate) NumParams() int     { return 0 }

// NumParams is always 0: the parser rejects a view query with parameters.
func (*CreateView) NumParams() int { return 0 }

func (s *CreateTable) NumParams() int {
	if s.AsQuery != nil {
		return s.AsQuery.Params
	}
	return 0
}

func (s *Insert) NumParams() int {
	if s.Query != nil {
		return s.Query.Params
	}
	n := 0
	for _, row := range s.Rows {
		for _, e := range row {
			n = max(n, exprParams(e))
		}
	}
	return n
}

func (s *Delete) NumParams() int { return exprParams(s.Where) }

func (s *Update) NumParams() int {
	n := exprParams(s.Where)
	for _, a := range s.Set {
		n = max(n, exprParams(a.Value))
	}
	return n
}

func (*CreateSchema) statement() {}
func (*DropSchema) statement()   {}
func (*CreateTable) statement()  {}
func (*DropTable) statement()    {}
func (*Insert) statement()       {}
func (*Delete) statement()       {}
func (*Update) statement()       {}
func (*Use) statement()          {}
func (*CreateView) statement()   {}
func (*DropView) statement()     {}
func (*Truncate) statement()     {}
func (*Query) statement()        {}
