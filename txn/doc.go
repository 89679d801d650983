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
// # Group commit
//
// Commits to one table from one Writer do not race each other. They join
// the table's queue in arrival order; one goroutine per busy table takes
// everything waiting (up to catalog.MaxBatch) and sends it to etcd as one
// catalog.CommitBatch: one transaction, one compare on the table's head,
// each commit its own version (consecutive, so history stays gapless) with
// its own timestamp and history entry. Before sending, it applies the
// conflict rules to each commit twice: against the commits it has not
// seen (those since its read version, as before), then against the
// commits ahead of it in the batch, exactly as if they had committed one
// after another. A commit that conflicts fails with ErrConflict alone;
// the others go ahead. Its failure is settled only once the commits ahead
// of it are: if the batch does not commit, it is checked again in the next
// one. A malformed commit (catalog.BatchError) fails alone and the rest is
// resent at once. While one batch is in flight, the next one forms; N
// waiting writers cost one round trip, not N retries.
//
// Across processes (replicas sharing etcd, or two Writers in one process)
// batches still race for the head. The loser rebases: it reads the
// winners' commits, applies the rules, and retries after a short jittered
// backoff (Config.Backoff doubling up to Config.MaxBackoff), taking the
// commits that arrived meanwhile along. Each round commits a whole batch,
// so contention is between processes, not writers; a commit waits only for
// the rounds ahead of it in its own queue, never behind later arrivals.
// A per-table etcd lock held while committing would make replicas take
// turns, but costs a lease and two more round trips per batch even
// without contention, and a stalled holder blocks everyone until its lease
// expires; the compare-and-swap needs neither.
//
// A commit is acknowledged only after etcd confirmed its batch. A writer
// whose context ends is dropped before its batch is sent; once sent, the
// batch's etcd calls run until every writer of the batch has given up, so
// one cancellation does not fail the others. A writer that gives up while
// its commit is in flight, or a batch whose outcome etcd leaves unknown,
// gets an error and keeps its files, as a single commit would.
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
