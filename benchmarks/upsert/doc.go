// Package upsert runs LakeSoul's published upsert benchmark against
// lakesoul-flight and the systems a user would pick instead, side by side in
// one run, and writes a Markdown report with charts.
//
// The workload (internal/workload) is a base write followed by upserts of
// which half update existing keys and half insert new ones, into a table
// keyed by uuid with 4 hash buckets. Run generates it once from a seed as
// Arrow IPC files under the work directory, so every system ingests the same
// rows; an upsert's duplicate keys are dropped beforehand (the last row of a
// key wins) because some peers reject a batch that names a key twice.
//
// Systems:
//
//   - lakesoul-flight on a local warehouse and on MinIO (txn.Writer.Upsert,
//     mor.Scan, txn.Writer.Compact), and end to end over Flight SQL with the
//     server started in-process on a loopback gRPC listener;
//   - DuckDB (go-duckdb) as a native table with a primary key taking
//     INSERT OR REPLACE, and over one Parquet file per write merged at read
//     time with a window function;
//   - LanceDB through its Node.js package (benchmarks/lancedb), which reads
//     the same IPC files and reports its own timings as JSON;
//   - Apache Iceberg through iceberg-go on a local Hadoop-style catalog, a
//     format-v2 table bucketed by uuid taking merge-on-read upserts: each
//     upsert is one RowDelta snapshot of new data files and equality
//     delete files on uuid, applied at read time;
//   - LakeSoul's published figures, as reference rows that are not run here.
//
// The selective mode (Config.Selective, selective.go) builds only the
// 10-upsert table on lakesoul-flight, DuckDB's native table and LanceDB
// (indexed), then times point lookups, IN-lists of 100 keys and filtered
// scans, over Flight SQL and in-process, and checks that every system
// returns the same rows.
//
// Every timed step reads its input from memory (loading an IPC file is never
// timed) and each read step checks that it returned the number of rows the
// generator says the table must hold, so the run doubles as a correctness
// cross-check of every system's upsert semantics.
//
// Invariants: Run never leaves a process running and removes nothing
// outside Config.WorkDir (inside it, the catalog, warehouses and databases
// of an earlier run, which would clash with this one's); a step that fails
// stops the run with its error.
package upsert
