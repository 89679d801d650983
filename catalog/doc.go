// Package catalog is lakesoul-flight's versioned table catalog, stored in etcd.
//
// It owns namespaces, tables, schemas and the linear version history of each
// table. Every table starts at version 0 (the empty table, written with the
// table itself); each successful Commit adds exactly one version through a
// single etcd transaction that compares and swaps the table's head version.
// A snapshot is the set of live data files at one version, resolved from the
// newest checkpoint at or below it plus the commits after it. It also
// stores views: named queries, kept as written and expanded by the SQL
// layer where they are read.
//
// Invariants:
//   - versions are gapless: head moves from v to v+1 only in the transaction
//     that writes commit v+1;
//   - commit timestamps strictly increase with the version, so "the newest
//     version committed at or before t" is well defined;
//   - a commit's description (file lists) larger than what fits one etcd
//     request is stored through the ManifestStore and only its key is
//     committed, so commits of any size stay within etcd's limits;
//   - names of namespaces, tables and views never contain path separators,
//     "..", or control characters;
//   - within a namespace, a name belongs to at most one table or view.
//
// # etcd layout
//
// All keys live under Config.Prefix (default "/lakesoul/"); numbers in keys
// are zero-padded to 20 digits so that keys sort numerically.
//
//	ns/<namespace>                 Namespace as JSON
//	tname/<namespace>/<table>      the table's id (16 hex digits)
//	view/<namespace>/<view>        View as JSON: the query as written, the
//	                               optional column names, created and
//	                               updated times
//	t/<id>/meta                    table metadata as JSON; its "schema" field
//	                               is the current schema as an Arrow IPC
//	                               stream (base64 in JSON), with the highest
//	                               field id ever assigned
//	t/<id>/schema/<schema id>      every schema version, Arrow IPC stream
//	t/<id>/head                    {"version":v,"ts":unix nanoseconds}
//	t/<id>/commit/<version>        Commit as JSON, or {"manifest":key,
//	                               "version":v} when the JSON is larger than
//	                               Config.InlineLimit
//	t/<id>/ts/<unix nanoseconds>   version committed at that time
//	t/<id>/ckpt/<version>          checkpoint: {"version","timestamp",
//	                               "schema_id","files"}, or a manifest pointer
//
// A commit is one transaction comparing the exact bytes of the head key
// read before (and that the table's metadata exists) and writing the head,
// commit and timestamp keys. Creating a table writes its name, metadata,
// schema 0 and version 0 in one transaction; dropping it deletes the name
// and the whole t/<id>/ range in one transaction.
//
// Creating a table or a view is one transaction comparing that the
// namespace key exists and that the name is free under tname/ and view/
// (a view replaced by CREATE OR REPLACE compares the view key's mod
// revision seen before instead, and retries when it moved). Dropping a
// namespace compares that nothing exists under tname/<namespace>/ and
// view/<namespace>/, so a namespace is never dropped under a table or view
// created concurrently, and no name is ever both a table and a view.
//
// Manifests are stored through the ManifestStore under
// "<table path>/_manifests/", named commit-<version>-<random>.json and
// checkpoint-<version>-<random>.json; a manifest written for a commit that
// then lost its race is never referenced and may be removed by cleanup.
//
// Timestamps are UTC with microsecond precision. The catalog, not the
// caller, sets a commit's Timestamp and SchemaID (the table's schema when
// it commits) and the Seq of added files left at zero. Field ids of a
// schema (metadata key FieldIDKey) are assigned once and follow a column
// through schema changes; an id is never reused after its column is
// dropped.
//
// Snapshots returned by the catalog are shared with its cache and with
// other callers and must be treated as read-only.
//
// The catalog knows nothing of Parquet: a DataFile is an opaque path with
// statistics. It imports no other package of lakesoul-flight.
package catalog
