// Package mor plans and executes reads of a table snapshot with
// merge-on-read.
//
// A read resolves to a Plan: the snapshot's live files grouped into tasks,
// one per non-empty (partition, bucket), after pruning partitions by
// predicates on partition columns, buckets by equality predicates on the
// whole primary key, and files and row groups by min/max statistics of
// primary-key columns. Each task is independent and can be read on its own,
// which is what makes buckets the unit of parallelism and of Flight
// endpoints.
//
// A plan can be carried to another process and rebuilt there without
// planning again: PlanTasks rebuilds it over the tasks NewPlan chose,
// validating the options the same way but pruning nothing, and
// MarshalExpr and UnmarshalExpr (exprcodec.go) carry the filter as JSON,
// every literal keeping its Go type (an int becomes an int64). For EXPLAIN, a plan reports the
// conjuncts it uses below the merge (BelowMerge), those only merged rows
// can decide (AboveMerge), and how many row groups the former leave
// (RowGroups).
//
// Within a task the files are sorted runs ordered by Seq; the merge engine
// (merge.go) combines them by primary key, newest run winning column by
// column, honouring partial-column files, merge operators and delete
// markers.
//
// # Schema evolution
//
// Files are read under the snapshot's schema whatever schema they were
// written with (project.go). A file column maps to the table column with
// the same field id, and by name only when either side has no field id;
// it comes out under the table column's name (renames) and type (widened
// columns are cast). A file column whose id the schema no longer has is
// ignored even when a current column has its name: a column dropped and
// added again never shows old values. The delete-marker column is taken by
// name. A table column a file lacks:
//   - carries its default on every row of the file when the file was
//     written under a schema id older than the one that added the column
//     (catalog.AddedIn) and the column has a default (catalog.DefaultOf),
//     partial-column files included: rows that existed before the column
//     take the default;
//   - otherwise is absent from the file's run, so that the merge's rule for
//     partial-column runs applies: the newest older run holding the column
//     gives its value, NULL when none does. Tables without a primary key
//     fill it with NULL.
//
// Primary-key and partition columns can never be renamed, retyped or
// dropped, so pruning by key statistics and by partition values reads them
// by name from every file.
//
// Key lookups (point.go): when the key predicates name single keys
// (equality or IN-lists on key columns), each file goes through three more
// sieves before any column is decoded: the bloom filter of each
// constrained key column (written per row group for key columns) drops
// the row groups that hold none of the wanted values, and the values it
// admits are the only ones looked for; the page index of the first
// constrained key column keeps the pages whose bounds admit one of them;
// the key columns of those pages are read and the key predicates evaluated.
// The remaining columns are then read at the matching rows only, a page
// per column and match. A bloom filter never drops a row group holding a
// wanted value, and page bounds are the exact bounds of the page's values,
// so a run yields exactly the rows the key predicates keep, as on the
// general path. Parsed footers, bloom filters and page indexes are kept in
// a bounded lsio.FileCache when the plan has one.
//
// Change reads (changes.go) return the net changes between two versions
// (insert, update_before and update_after, delete, with the version and
// time of the last commit that touched each key). A ChangePlan has one
// ChangeTask per (partition, bucket) that a commit other than a compaction
// added or removed files of; a task merges its live files at both
// versions, each restricted to the keys the touched files hold, and joins
// the two key-ordered streams. Tasks are plain data and travel like Tasks.
//
// # Filters on value columns
//
// A filter on columns outside the primary key is decided on merged rows
// only, but two things make it cheap on primary-key tables (latemat.go,
// valueprune.go).
//
// Late materialisation. The merged value of a column depends only on that
// column (and the delete marker and CDC column) of the key's rows, so the
// merge runs on narrow runs holding the key, filter, delete-marker and CDC
// columns, and the filter is evaluated on its output. Each narrow row also
// carries its run and its position in the file; with MergeLast these come
// out of the merge as the run and position of the key's newest row, and
// the other columns of the rows that passed are read at those positions
// alone (lsio.RowReader), in key order, a batch at a time. This holds only
// when every run supplies either every other column of its rows or none of
// them: a run holding none (a delete file) carries no position, so a row of
// it that is not a delete takes the position of the newest older version,
// as the merge does for any column a run lacks. A task with a
// partial-column file, a merge operator other than MergeLast on an other
// column, or an other column lsio cannot read by row takes the plain path:
// merge every column, then filter. Key lookups keep the plain path too.
//
// Row groups pruned by value statistics. A row group may be skipped on
// statistics of value columns only when skipping it cannot change a merged
// row: the read would combine none of its rows with any other version. It
// is skipped when (1) no other file of the task can hold a key of the row
// group (the bounds of the first key column of the other files do not
// overlap the row group's), so each of its rows is the only version of its
// key: no older matching version is exposed by skipping a newer
// non-matching one, no newer partial-column row needs its values, and no
// merge operator combines it with anything; and (2) min/max and null
// counts of the file column holding a filter column, under the table's
// name and type, prove a conjunct of the filter false on every row. A
// bucket compacted into one run, and runs of append-style keys, are where
// this fires; uniformly random keys written in many runs overlap
// everywhere and are never pruned this way. It applies on the late
// materialisation path.
//
// Invariants:
//   - predicates on primary-key columns are used below the merge: to skip
//     whole buckets, files or row groups, and to drop rows of each run,
//     which keeps or drops every version of a key alike. A predicate on a
//     value column skips a row group only under the rule above. The full
//     filter is evaluated on merged rows, so an older version of a row can
//     never leak out after a newer one stopped matching;
//   - a scan holds at most a bounded number of batches per task in flight,
//     however large the table.
package mor
