// Package txn writes to tables: appends, upserts (full and partial-column),
// deletes and updates, overwrites and compaction, each as one atomic commit.
//
// A write validates and casts its input to the table schema (under the
// conversion policy of internal/arrowconv), splits it by range partition,
// assigns each row its hash bucket (Spark-compatible Murmur3 of the primary
// key), sorts each (partition, bucket) by primary key keeping the last row of
// each key, and writes one Parquet file per (partition, bucket). Only then
// does it commit, in one catalog transaction, however many partitions it
// touched.
//
// When another writer committed first, the conflict rules decide:
//   - appends, upserts and deletes by key are blind writes: they rebase on
//     the new head and retry;
//   - compaction rebases unless one of the files it replaces was removed
//     meanwhile;
//   - delete and update by predicate and overwrite read the table; they fail
//     with ErrConflict if a concurrent commit (other than compaction) touched
//     one of their partitions. Disjoint partitions never conflict.
//
// Invariants: a failed write commits nothing; its files are removed on a
// clean failure and, after a crash, are orphans that no snapshot references
// (Orphans finds them).
package txn
