// Package catalog is lakesoul-flight's versioned table catalog, stored in etcd.
//
// It owns namespaces, tables, schemas and the linear version history of each
// table. Every table starts at version 0 (the empty table, written with the
// table itself); each successful Commit adds exactly one version through a
// single etcd transaction that compares and swaps the table's head version.
// A snapshot is the set of live data files at one version, resolved from the
// newest checkpoint at or below it plus the commits after it.
//
// Invariants:
//   - versions are gapless: head moves from v to v+1 only in the transaction
//     that writes commit v+1;
//   - commit timestamps strictly increase with the version, so "the newest
//     version committed at or before t" is well defined;
//   - a commit's description (file lists) larger than what fits one etcd
//     request is stored through the ManifestStore and only its key is
//     committed, so commits of any size stay within etcd's limits;
//   - names of namespaces and tables never contain path separators, "..",
//     or control characters.
//
// The catalog knows nothing of Parquet: a DataFile is an opaque path with
// statistics. It imports no other package of lakesoul-flight.
package catalog
