// Package catalog is lakesoul-flight's versioned table catalog, stored in etcd.
//
// It owns namespaces, tables, schemas and the linear version history of each
// table. Every table starts at version 0 (the empty table, written with the
// table itself); each successful Commit adds exactly one version through a
// single etcd transaction that compares and swaps the table's head version.
// CommitBatch adds several consecutive versions in one such transaction
// (group commit: each keeps its own commit key, timestamp and checks, as
// if committed one after another). A snapshot is the set of live data files at one version, resolved from the
// newest checkpoint at or below it plus the commits after it. It also
// stores views: named queries, kept as written and expanded by the SQL
// layer where they are read, and the access control data (users with
// bcrypt password hashes, roles, role memberships and grants), which the
// SQL layer checks.
//
// Old versions can be expired (ExpireVersions): the history then starts
// at the table's oldest version, and reading below it fails with an error
// matching ErrExpired and ErrNotFound. Table properties are not versioned:
// SetProperties changes them for every version without adding one.
//
// Invariants:
//   - versions are gapless: head moves from v to v+1 only in the transaction
//     that writes commit v+1;
//   - the commit and timestamp keys of a table are exactly those of the
//     versions in [oldest, head], where oldest is 0 until ExpireVersions
//     raises it; it only grows, and never above head;
//   - once oldest is above 0, a checkpoint exists at oldest and none below
//     it, so that every retained version resolves without the removed
//     commits;
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
//	access                         Access as JSON: users, roles, grants; every
//	                               change compares and swaps the whole key
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
//	t/<id>/oldest                  {"version":v,"ts":unix nanoseconds}: the
//	                               oldest version still readable and its
//	                               commit time, written by ExpireVersions;
//	                               absent means 0
//	dropped/<id>                   DroppedTable as JSON ({"id","namespace",
//	                               "name","path","dropped_at"}): a dropped
//	                               table whose files may remain, until
//	                               ForgetDroppedTable
//
// A commit is one transaction comparing the exact bytes of the head key
// read before (and that the table's metadata exists) and writing the head,
// commit and timestamp keys (those of every commit of a batch). Creating a table writes its name, metadata,
// schema 0 and version 0 in one transaction; dropping it deletes the name
// and the whole t/<id>/ range and writes dropped/<id> in one transaction
// that compares the name and the metadata's mod revision read before.
// A checkpoint is written only while its version's commit key exists, so
// none appears for a dropped table or below the oldest version.
//
// Expiring the versions below k first writes the checkpoint at k if there
// is none, then, in one transaction comparing that the metadata exists,
// that the oldest key's mod revision is the one read before and that the
// checkpoint at k exists, deletes the commit keys below k, the timestamp
// keys below k's commit time and the checkpoints below k, and writes
// oldest. It touches no key a commit compares or writes, so commits go on
// concurrently; two expiries of one table serialize on the oldest key.
//
// Reads of a table (Snapshot, Commits, History, and the base snapshot of a
// commit) read its head, metadata and oldest key in one transaction (or
// take them from the cache, see "Cached state"), then
// the checkpoint, timestamp and commit keys they need at that
// transaction's revision, so an expiry committed meanwhile never shows them
// a partial history. Cached snapshots below the oldest version are never
// served nor used as a base.
//
// SetProperties and EvolveSchema write the metadata key in transactions
// comparing its mod revision read before, and retry when only the
// metadata moved, so neither loses the other's change. AlterSchema writes
// the new schema, the metadata and an OpSchemaChange commit in one
// transaction comparing the head and the metadata's mod revision, and
// applies its alterations again on top of whatever landed meanwhile (data
// commits, properties). RenameTable moves the tname/ key, rewrites the
// metadata and records an OpSchemaChange commit keeping the schema id, in
// one transaction comparing the old name's id, that the target namespace
// exists, that the new name is free under tname/ and view/, and the head
// and metadata as read.
//
// # Cached state
//
// Resolving a table by name costs, read from etcd, its tname/ key and its
// head, metadata and oldest keys, and access checks read the access key.
// Unless Config.StateCacheSize is negative, a Catalog keeps these in memory
// (table names with their ids, each table's head, metadata and oldest
// version, and the access document; names and tables bounded by
// StateCacheSize entries each) and keeps them fresh with one etcd watch of
// the whole prefix, started at the revision of a read of the access key.
// Entries are filled on first use by reading etcd; an entry read at
// revision r is kept only when the watch has not yet applied a revision
// above r, and it then applies every event after r, so nothing it missed
// is skipped. Together with the resolved snapshots cached by version, a
// query for a table's latest snapshot by name needs no etcd round trip.
// Time travel (AS OF a time) still reads the timestamp index, and building
// a snapshot not cached reads the commits after the nearest cached one or
// checkpoint, at the revision the cached state is valid at.
//
// Freshness rules:
//   - a cached state is a consistent committed version: head, metadata and
//     oldest version all as of one revision, so snapshot isolation holds
//     whatever the cache's lag; commits check the head they read from etcd,
//     never from the cache;
//   - read your writes: every write transaction made through a Catalog
//     records its revision, shared by all the Catalogs of the process on
//     the same etcd client and prefix; their reads through the cache wait
//     until the watch has applied that revision (normally well under a
//     millisecond; a write that changed no key makes the reader ask etcd
//     for a progress notification). A reader that waited 50ms reads etcd
//     instead, and so do later readers until the watch gets there;
//   - a commit reported by WatchHeads counts as written: reads after the
//     event see it;
//   - other clients and processes: a change is seen as soon as the watch
//     delivers it. Sync makes a Catalog see everything committed before
//     the call, at the cost of one etcd read;
//   - when the watch fails (the revision it resumes from was compacted,
//     leader loss, a closed connection), the cache is emptied and every
//     read goes to etcd until a new watch has synced; nothing cached before
//     is served again;
//   - a drop deletes the table's keys, and the delete events remove its
//     entries; a rename deletes the old name and writes the new one and
//     the metadata; ALTER and SetProperties write the metadata; grants and
//     revokes write the access key: each is applied as its event arrives.
//
// Metrics (Config.Registerer): lakesoul_catalog_cache_lookups_total by
// kind and result, cache_names and cache_tables (entries), cache_evictions_total,
// cache_waits_total (reads that waited for their own write) and
// cache_resyncs_total.
//
// # Schema evolution
//
// AlterSchema adds, drops, renames and widens columns and drops NOT NULL.
// Columns keep their field id through renames and widening; an added
// column gets a fresh one, so a dropped name added again is a new column.
// An added column carries, in its field metadata, the schema id that added
// it (AddedInKey) and its default as text when it has one (DefaultKey, read
// with DefaultOf and DefaultArray). Readers map file columns by field id
// and give rows of files written under an older schema id than AddedInKey
// the default. DataFile.Columns records the names a partial-column file
// held when it was written; after a rename they are the old names, so
// readers go by the file's own field ids instead, and the names are only
// informative.
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
// Expiry keeps the schemas and leaves manifests alone: once the oldest
// version is k, a commit or checkpoint manifest whose name carries a
// version below k is no longer referenced and may be removed after a grace
// period for readers still resolving older revisions.
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
