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
// The query path is split by job:
//   - sqlparse parses SQL;
//   - plan (package) resolves table references through this package's
//     resolver (resolve.go: stored tables and their t$files and
//     t$partitions listings at a pinned snapshot, t$history,
//     information_schema, stored views) and returns a native scan plan or a
//     DuckDB plan; lowering SQL to table-store predicates lives there;
//   - duck (package) runs DuckDB over record streams;
//   - this package decodes requests, plans (query.go), seals the plan into
//     tickets (ticket.go), and on DoGet executes exactly what the ticket
//     says (exec.go) and streams it.
//
// Statement kinds dispatch through two tables in statements.go: those that
// return rows (SELECT-like queries, EXPLAIN, SHOW, DESCRIBE) and those that
// change something (DDL, DML, TRUNCATE, views, USE). CALL is in both.
//
// # Access control
//
// access.go checks the privileges of authenticated calls against the
// catalog's grants (access_sql.go runs the statements that manage them).
// Every table reference a query resolves needs SELECT (the resolver checks
// it, so views and DuckDB queries are covered table by table); DML, DDL,
// ingest and CALL check the privilege they need before they change
// anything; listings show only what the user holds a privilege on. Tickets
// and prepared statement handles carry their user and are refused to any
// other; a ticket's tables are checked again when it is redeemed. Calls
// without an authenticated user are not checked.
//
// # Procedures
//
// CALL sys.<name>(...) runs a table maintenance job (procedures.go
// declares them with their parameters and result row; procedures_run.go
// wires each to what runs it). A call's arguments are bound and checked
// (the table loaded, the partition parsed, kinds and ranges checked) before
// anything runs, so a bad call changes nothing. As a query, the procedure
// runs when GetFlightInfo plans it and its row travels in the ticket, so
// reading the ticket again does not run it again; describing it (a
// prepared statement's schema) runs nothing. As an update it runs once per
// parameter row and reports the number of calls.
//
// A plain scan (one table, a column list or *, a WHERE the table store
// evaluates, LIMIT) runs natively: GetFlightInfo returns one endpoint per
// (partition, bucket) task group, fewer for the JDBC driver, which opens
// every endpoint at once. Everything else runs in an embedded in-memory
// DuckDB that loads each referenced table from a merge-on-read scan of its
// pinned snapshot, narrowed to the columns the query may name and filtered
// by the WHERE conjuncts the table store evaluates. Tables are copied into
// DuckDB temporary tables rather than scanned as Arrow views because
// DuckDB's C API hands its Arrow producers no projection or filter, yet
// expects projected, filtered streams back. information_schema, SHOW and
// DESCRIBE answer from the catalog, and version(), current_schema() and
// current_catalog() from the server.
// A result stream joins runs of small batches, such as one per file of a
// table written by many small commits, into batches of up to BatchRows (at
// least 64Ki) rows (coalesce.go); big batches pass through as they are.
//
// # Statelessness
//
// The service keeps no per-client state. A ticket is its part of the plan:
// for a native scan the table definition at the pinned version, columns,
// predicate, limit and its tasks with their files; for DuckDB the
// statements, the pinned version, columns and predicate of every table
// they read, and the bound parameters; sealed with HMAC-SHA256
// (ticket.go); a prepared statement handle is sealed the same
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
