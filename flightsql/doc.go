// Package flightsql is lakesoul-flight's Arrow Flight SQL service: what
// JDBC (DBeaver), ADBC, the arrow-go clients and query engines talk to.
//
// It owns the metadata RPCs (catalogs, schemas, tables with their Arrow
// schemas and JDBC column metadata, primary keys, SqlInfo, type info),
// statements and prepared statements, DDL and DML through statement
// updates, bulk ingest, sessions, and the mapping of every error to a gRPC
// code (errors.go, the one place where that happens).
//
// # Queries
//
// SQL is parsed by the sqlparse subpackage. A plain scan (one table, a
// column list or *, a WHERE the table store evaluates, LIMIT) runs on the
// native path: mor plans it, and GetFlightInfo returns one endpoint per
// (partition, bucket) task group, fewer for the JDBC driver, which opens
// every endpoint at once. Everything else runs in an embedded in-memory
// DuckDB (duck.go) that loads each referenced table from a merge-on-read
// scan of its pinned snapshot, narrowed to the columns the query may name
// and filtered by the WHERE conjuncts the table store evaluates
// (duckquery.go); `t$history` tables are loaded the same way. Tables are
// copied into DuckDB temporary tables rather than scanned as Arrow views
// because DuckDB's C API hands its Arrow producers no projection or
// filter, yet expects projected, filtered streams back.
// Either way, a result stream joins runs of small batches, such as one per
// file of a table written by many small commits, into batches of up to
// BatchRows (at least 64Ki) rows (coalesce.go); big batches pass through
// as they are.
//
// # Statelessness
//
// The service keeps no per-client state. A ticket is the statement, the
// session schema, the snapshot version pinned for every table reference,
// the tasks of its endpoint and the bound parameters, sealed with
// HMAC-SHA256 (ticket.go); a prepared statement handle is sealed the same
// way and binding parameters returns a new handle; session options travel
// in a cookie. Any replica that shares the secret serves any call, and a
// ticket reads the same snapshot however many commits happen before it is
// redeemed. Forged, altered or expired tickets and handles are refused with
// PermissionDenied.
//
// # Writes
//
// Each statement is one commit through txn: INSERT upserts into primary-key
// tables (a column list without some non-key columns is a partial upsert)
// and appends to others; a prepared INSERT bound with N parameter rows is
// one commit of N rows; UPDATE evaluates its SET expressions in DuckDB over
// the matched rows; DELETE and UPDATE take predicates the table store
// evaluates. A statement that fails commits nothing.
package flightsql
