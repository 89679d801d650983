// Package duck runs the queries the native scan path does not (joins,
// aggregates, ORDER BY, functions, expressions) in an embedded, in-memory
// DuckDB.
//
// It owns the DuckDB connection pool and the way tables reach DuckDB: each
// Table is a record stream opened on first use and copied into a temporary
// table of the connection that runs the query, then dropped. DuckDB holds
// no data of its own between queries, cannot read local files or the
// network, and loads no extensions.
//
// Invariants:
//   - every stream a query opens is released when the query ends, whether
//     or not DuckDB consumed it;
//   - errors DuckDB raises for a statement wrap ErrInvalid.
package duck
