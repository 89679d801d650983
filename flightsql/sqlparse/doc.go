// Package sqlparse is the SQL front-end of the Flight SQL server: a
// hand-written tokenizer and parser for the statements the server runs
// itself, and a table-reference finder for the queries it hands to DuckDB.
//
// It owns:
//   - the tokenizer (identifiers, string and numeric literals, operators,
//     parameters, comments), every token carrying its byte offset;
//   - the statement AST: CREATE/DROP SCHEMA, CREATE/DROP TABLE (with
//     CREATE TABLE ... AS query), CREATE/DROP VIEW, INSERT, DELETE, UPDATE,
//     TRUNCATE, USE and the SET forms that change the current schema, the
//     statements that inspect the catalog (SHOW SCHEMAS, SHOW TABLES,
//     SHOW COLUMNS and DESCRIBE table, SHOW CREATE TABLE/VIEW), EXPLAIN,
//     CALL of a procedure, and Query for the rest of what is read-only
//     (SELECT, WITH, VALUES, FROM-first, TABLE, DESCRIBE query, SUMMARIZE,
//     other SHOW forms);
//   - the expression AST used by WHERE, SET and VALUES, and its rendering
//     back to SQL (Expr.SQL) in a form that DuckDB and PostgreSQL both read;
//   - the mapping from SQL type names to Arrow types (ParseType; the
//     reverse, internal/arrowconv.TypeName, is shared with the other
//     layers);
//   - finding the stored-table references of a query, with their
//     FOR VERSION AS OF / FOR TIMESTAMP AS OF clauses, and rewriting them
//     (Query.Rewrite), and recognising the plain single-table scans the
//     server runs natively (Query.Simple);
//   - finding the calls of the functions whose value the server gives
//     rather than the query engine (Query.Funcs: version(), current_user
//     ...), and rewriting them together with the references
//     (Query.RewriteAll);
//   - the pushdown facts of each reference (TableRef.AllColumns, Columns,
//     Where): which columns the query may use and which rows it may skip.
//
// It knows nothing of the catalog: names are returned as written (unquoted
// identifiers folded to lower case, quoted ones exact) and the server
// resolves them.
//
// Invariants:
//   - Parse never panics, whatever its input (FuzzParse checks this);
//   - every error is an *Error carrying the byte offset, 1-based line and
//     column (counted in characters) of the offending token, and matches
//     ErrSyntax with errors.Is;
//   - Query.Tables are in text order, their spans do not overlap, and
//     Rewrite with each span's own text returns Query.Text unchanged;
//   - Query.Funcs are in text order, their spans overlap neither each
//     other nor those of Query.Tables, RewriteAll with each span's own
//     text returns Query.Text unchanged, and a Query with Funcs is never
//     Simple;
//   - for an expression e produced by the parser, parsing e.SQL() gives an
//     expression of the same shape (precedence is kept with parentheses);
//   - a TableRef has Columns (sorted, distinct) exactly when it does not
//     have AllColumns, and every ColumnRef of its Where has one part.
//
// # Queries are not fully parsed
//
// Only the statements the server executes itself get a full grammar. A
// query is scanned token by token: a table reference is a dotted name of one
// to three parts that directly follows FROM, JOIN, a comma inside a FROM
// clause at the same parenthesis depth, TABLE, or SUMMARIZE at the start
// of the statement. A name followed by "(" is a table function; a
// one-part name that matches a common table expression in scope is not a
// stored table. The scope of a CTE is the rest of the query level that
// defines it, starting after its own body (inside its body too with WITH
// RECURSIVE). FROM inside a function call's parentheses (EXTRACT(y FROM x),
// SUBSTRING(s FROM 2), TRIM(BOTH 'x' FROM s)) does not start a table clause
// unless a SELECT precedes it in the same parentheses, and IS [NOT]
// DISTINCT FROM is skipped. A FROM clause ends at WHERE, GROUP, HAVING,
// QUALIFY, WINDOW, ORDER, LIMIT, OFFSET, FETCH, UNION, INTERSECT, EXCEPT,
// RETURNING, SELECT, VALUES or the parenthesis that closes its level. ON and
// USING do not end it: a comma after a join condition still starts a
// comma-joined table. The SHOW forms passed through as queries have no
// references.
//
// A reference whose schema is information_schema (in any case) names a
// table of the server's information schema, not a stored table;
// IsInformationSchema tells them apart and the server answers them.
//
// Rewrite replaces each reference's span (its name and AS OF clause) with
// the text the caller gives. A reference in a FROM clause without an alias
// must keep its table name as an alias, or columns qualified with it (t.a)
// stop resolving: TableRef.Replacement builds "view AS t" where needed.
//
// # The statements a user types first
//
// SHOW, DESCRIBE and EXPLAIN have statements of their own, so that the
// server answers them from its catalog rather than the query engine's:
//
//	SHOW SCHEMAS | DATABASES [LIKE 'p']                   ShowSchemas
//	SHOW TABLES [IN | FROM [catalog.]schema] [LIKE 'p']   ShowTables
//	SHOW COLUMNS FROM | IN t [FROM | IN [catalog.]schema] ShowColumns
//	DESCRIBE | DESC t [FOR ... AS OF ...]                 ShowColumns
//	SHOW CREATE TABLE | VIEW t                            ShowCreateTable
//	EXPLAIN [ANALYZE | ANALYSE] query                     Explain
//	TRUNCATE [TABLE] t                                    Truncate
//	CREATE [OR REPLACE] VIEW [IF NOT EXISTS] v
//	    [(column, ...)] AS query                          CreateView
//	DROP VIEW [IF EXISTS] v                               DropView
//	CALL name(arg, ..., param => arg, ...)                Call
//	ALTER TABLE [IF EXISTS] t action [, action ...]       AlterTable
//	ALTER TABLE t RENAME TO u | SET TBLPROPERTIES (...)
//	    | UNSET TBLPROPERTIES [IF EXISTS] (...)          AlterTable
//
// The column actions of ALTER TABLE are ADD [COLUMN] [IF NOT EXISTS] c
// type [NOT NULL] [DEFAULT literal], DROP [COLUMN] [IF EXISTS] c, RENAME
// [COLUMN] a TO b, ALTER [COLUMN] c [SET DATA] TYPE type and ALTER [COLUMN]
// c DROP NOT NULL; whether a change is allowed (widening only, no key
// columns) the server decides.
//
// A query may read a table's changes where a table stands:
// table_changes('ns.t', from [, to] [, follow => true]) is a TableRef with
// Changes set, its bounds versions or timestamp strings.
//
// DESCRIBE followed by a query (SELECT, WITH, FROM, VALUES, TABLE or "(")
// describes the query's result and is a Query, as is any other SHOW
// (settings, SHOW ALL TABLES). EXPLAIN takes a query only, and a view's
// query takes no parameters.
//
// CALL names a procedure with a dotted name of any number of parts and
// passes it expressions (usually literals and parameters): positional
// arguments first, then named ones (param => value), each name at most
// once. Which procedures exist, and whether a value fits its parameter,
// the server decides. ParseTableName and ParseTimestamp read the table
// names and timestamps that procedures take as strings.
//
// A query's Funcs are the calls of version(), current_schema(),
// current_database(), current_catalog[()], current_user[()] and
// session_user[()] (the brackets mark the parentheses that may be left
// out). A name is a call only unquoted and unqualified, with empty
// parentheses where they are required, and not where a table, an alias
// or a named argument stands; text inside string literals and comments
// never matches.
//
// # Pushdown facts
//
// The server streams each referenced table into the query engine, and
// reads less when a reference says so. Both facts err on the side of
// reading too much.
//
// Columns. A reference has AllColumns when the query may use columns of
// the table without naming them; otherwise its Columns are all the
// identifiers of the query, which include every column it names. The
// query is split into blocks: the top level, each parenthesised query
// (one starting with SELECT, WITH, FROM, VALUES or TABLE) and each
// operand of UNION, INTERSECT and EXCEPT; a parenthesised join or a
// function call's parentheses belong to the block around them. Every
// reference of a block gets AllColumns when the block has a "*" that is
// not clearly a product or count(*) (SELECT *, * EXCLUDE/REPLACE,
// struct_pack(*) ...), a COLUMNS(...) expression, NATURAL, a positional
// "#n", a table function where a table could stand, or no SELECT at all
// (FROM t [WHERE ...]); x.* gives AllColumns to the references named or
// aliased x, and to the whole block when none of its own is. A reference
// also gets AllColumns when its name or alias is used as a value (SELECT
// t FROM t reads the whole row), when a column alias list follows it
// (t AS x(a, b) renames columns by position), for TABLE and SUMMARIZE,
// and for every reference of a query with PIVOT or UNPIVOT.
//
// Where. A reference gets a predicate only when it is the only item of a
// FROM clause (FROM t [AS OF ...] [[AS] x], directly followed by WHERE,
// or by a select list and WHERE in the FROM-first form), and no
// TABLESAMPLE or USING SAMPLE appears in the query. The WHERE expression
// runs to GROUP, HAVING, WINDOW, QUALIFY, ORDER, LIMIT, OFFSET, FETCH,
// UNION, INTERSECT, EXCEPT, USING, FOR, RETURNING, ON, the parenthesis
// that closes its level or the end; meeting another reserved word outside
// parentheses gives no predicate, since the split could be wrong. The
// expression is split at the ANDs outside parentheses, CASE ... END and
// BETWEEN ... AND, and is kept whole when an OR stands outside them. Each
// operand is kept if the expression grammar parses it (so it has no
// subquery, window or lambda), calls no aggregate, clock, session or
// random function, names no CURRENT_DATE-like keyword, and qualifies its
// columns only with the reference's alias or, without one, its name; the
// qualifiers are dropped. The operands kept are joined with AND in text
// order. The predicate is implied by the block's WHERE, and the block
// reads its only table through nothing but that WHERE, so filtering the
// table first changes nothing; windows, QUALIFY, aggregates and LIMIT
// all come after WHERE.
//
// # Types
//
// SQL type names (case-insensitive) map to Arrow types as follows:
//
//	BOOLEAN, BOOL                                   Boolean
//	TINYINT, INT1                                   Int8
//	SMALLINT, INT2                                  Int16
//	INT, INTEGER, INT4                              Int32
//	BIGINT, INT8, LONG                              Int64
//	REAL, FLOAT, FLOAT4                             Float32
//	DOUBLE, DOUBLE PRECISION, FLOAT8                Float64
//	DECIMAL(p,s), NUMERIC(p,s)                      Decimal128(p,s), 1 <= p <= 38, 0 <= s <= p
//	DECIMAL(p), NUMERIC(p)                          Decimal128(p,0)
//	DECIMAL, NUMERIC                                Decimal128(18,3), DuckDB's default
//	VARCHAR[(n)], CHAR[(n)], STRING, TEXT           String (the length is checked, then dropped)
//	DATE                                            Date32
//	TIMESTAMP, TIMESTAMP WITHOUT TIME ZONE,
//	DATETIME                                        Timestamp(us), no zone
//	TIMESTAMPTZ, TIMESTAMP WITH TIME ZONE           Timestamp(us, "UTC")
//	BINARY, VARBINARY, BLOB, BYTEA                  Binary
//
// arrowconv.TypeName goes the other way and returns the canonical name of
// each row (BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, REAL, DOUBLE,
// DECIMAL(p,s), VARCHAR, DATE, TIMESTAMP, TIMESTAMP WITH TIME ZONE,
// VARBINARY), so that ParseType(arrowconv.TypeName(t)) is t for every type
// above.
//
// # Literals and parameters
//
// Timestamps written without a zone are UTC. Timestamp literals and the
// FOR TIMESTAMP AS OF clause accept 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM',
// 'YYYY-MM-DD HH:MM:SS' and 'YYYY-MM-DD HH:MM:SS.ffffff' (a 'T' may replace
// the space), optionally followed by a zone: Z, UTC, +HH, +HH:MM or +HHMM.
// A zone given in a TIMESTAMP (without time zone) literal converts the value
// to UTC. At most six fractional digits are accepted.
//
// Parameters are either all "?" (numbered 0, 1, ... from left to right across
// the whole statement) or all "$n" (index n-1); mixing them is an error.
// Expr.SQL renders every parameter as $n so that its index survives.
package sqlparse
