// Package txn writes to tables: appends, upserts (full and partial-column),
// deletes and updates, overwrites, and the maintenance jobs that are writes
// too (compaction, rollback, partition drops, version expiry and cleanup),
// each as at most one atomic commit.
//
// A write validates and casts its input to the table schema by column name
// (under the conversion policy of internal/arrowconv), splits it by range partition,
// assigns each row its hash bucket (Spark-compatible Murmur3 of the primary
// key), sorts each (partition, bucket) by primary key keeping the last row of
// each key, and writes one Parquet file per (partition, bucket). Only then
// does it commit, in one catalog transaction, however many partitions it
// touched. Config.Throttle, when set, may hold back (fail) an append, upsert
// or delete by key after the split and before any file is written.
//
// A column with a default (added by catalog.AlterSchema) that a full-row
// write lacks takes its default: an append, or an upsert lacking only
// columns that have a default. An upsert lacking another column is a
// partial-column upsert and leaves every column it lacks as it was. Files
// record the schema id they were written under and carry the field ids of
// its columns, so a write prepared under an older schema commits after a
// schema change and reads correctly under the new one.
//
// When another writer committed first, the conflict rules decide:
//   - appends, upserts and deletes by key are blind writes: they rebase on
//     the new head and retry;
//   - a schema change or table rename conflicts with no write but
//     rollback;
//   - compaction rebases unless one of the files it replaces was removed
//     meanwhile, or a concurrent commit put runs older than its own version
//     (a rollback) into a bucket it rewrites: its output takes the highest
//     Seq of its inputs, so runs of new writes keep precedence over it;
//   - delete and update by predicate, overwrite and partition drops read
//     the table; they fail with ErrConflict if a concurrent commit (other
//     than compaction) touched one of their partitions. Disjoint partitions
//     never conflict;
//   - rollback fails with ErrConflict on any concurrent commit;
//   - when an expiry removed versions a retrying write has not seen, a
//     blind write commits; any other write fails with ErrConflict.
//
// # Maintenance
//
// Compaction merges the runs of each selected (partition, bucket) into one
// file. Rollback commits a version whose live files are those of an older
// version, adding back its files with their original Seq, so it reads
// exactly like it. DropPartitions removes whole partitions in one commit.
//
// A data file is referenced while a retained version needs it: it is live
// at the oldest retained version, or a later commit added it (a rollback
// may add back a file an earlier commit removed). Expire removes old
// versions from the catalog first and only then deletes the files nothing
// retained references, so a crash in between leaves orphans, never a
// version without its files. RemoveOrphans deletes unreferenced data files
// and manifests once they are older than a grace period, which protects
// writes whose files are stored but not yet committed.
//
// Invariants: a failed write commits nothing; its files are removed on a
// clean failure and, after a crash, are orphans that no snapshot references
// (Orphans lists them). No file a retained version references is ever
// deleted.
package txn
