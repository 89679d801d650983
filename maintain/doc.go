// Package maintain keeps tables in shape without anyone asking: it compacts
// the sorted runs of each (partition, bucket) as commits add them, expires
// old versions, drops partitions past their TTL, and removes orphan files
// and the files of dropped tables. It runs inside `lakesoul-flight serve`
// by default, or alone as `lakesoul-flight compact` (the production shape:
// stateless query replicas, maintenance as its own deployment).
//
// # Compaction
//
// Every commit moves a table's head key in etcd; the service watches those
// keys (no polling) and looks at the table whose head moved. A (partition,
// bucket) is due for compaction when it has compaction.trigger_runs files
// (default 5) whose newer runs add up to compaction.size_ratio (default
// 0.5) of its oldest, and in any case once it has three quarters of
// compaction.max_runs (default 2·trigger). What is merged is tiered by
// size, universal-compaction style: the whole bucket (deleted keys
// dropped) once its newer runs reach size_ratio of the base; before that
// only the newest runs, an older run joining while it is at most twice the
// runs picked so far. Small upserts are so merged with one another, and a
// row is rewritten about log2(base/upsert) times before it joins the base,
// instead of the base being rewritten every few small upserts. Merging
// only the newest runs is exact only when they carry every column and no
// deletes (a partial-column row merged without its older version would
// read NULL in the columns it lacks; a dropped delete would resurrect the
// key); otherwise the whole bucket is merged. A writer
// whose write touches a bucket with compaction.max_runs files waits
// for a compaction of that table, at most Config.StallTimeout, and then
// writes anyway: compaction never fails or blocks a write for long. A
// writer does not wait when no compactor runs anywhere (each announces
// itself in etcd under its lease).
//
// Compaction commits rebase over concurrent upserts (txn's rules), so a
// writer never loses a race to it; a compaction that loses to an UPDATE,
// DELETE or overwrite gives up quietly and is tried again on the next
// commit. Across replicas, one compactor works on a (table, partition,
// bucket) at a time: each holds an etcd lock per bucket under a lease that
// ends with its process.
//
// # Retention
//
// Every Config.RetentionInterval the service applies each table's
// retention.versions (keep the newest N versions), retention.age (expire
// versions older than this, always keeping the head) and partition.ttl
// (drop partitions whose first partition column, a date or timestamp, is
// older than this); every Config.OrphanInterval it removes files no
// retained version references and that are older than Config.OrphanGrace,
// and the files of tables dropped before that. Each job holds an etcd lock
// per table, so replicas do not repeat one another's work.
//
// Table properties: compaction.enabled (true), compaction.trigger_runs,
// compaction.max_runs, retention.versions, retention.age, partition.ttl.
// Durations are Go durations or whole days ("7d").
package maintain
