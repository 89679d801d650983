// Package plan turns a parsed query and the snapshots its table references
// resolve to into an executable plan, with no I/O of its own beyond what
// its Resolver does.
//
// A plan is one of two kinds:
//   - Native: a plain scan of one table (a column list or *, a WHERE the
//     table store evaluates, LIMIT). It holds the pinned snapshot, the
//     columns, the lowered predicate, the limit and the (partition,
//     bucket) tasks that survive pruning, grouped into endpoints.
//   - Duck: anything else. It holds the SQL DuckDB runs, with every table
//     reference replaced by the name of a table read, and the reads: for a
//     stored table its pinned snapshot, the columns the query may name and
//     the WHERE conjuncts the table store evaluates; for a metadata table
//     (t$history, t$files, t$partitions) or an information_schema table
//     what to list, and for t$files and t$partitions the pinned snapshot
//     whose files are listed. Stored views are expanded in place,
//     recursively.
//
// Lowering SQL to table-store predicates (Filter), evaluating literals and
// parameters (Const), and typing parameters live here and nowhere else.
//
// Invariants:
//   - a query is planned natively only when the native path returns
//     exactly what DuckDB would; when it cannot, Build says why in
//     Plan.NotNative and plans for DuckDB instead — a literal that does not
//     fit its column is such a case, an unknown column is an error;
//   - a Duck plan's reads never filter rows the query could need: only the
//     conjuncts sqlparse proves safe (TableRef.Where) are pushed, and the
//     query still applies its whole WHERE;
//   - parameters bound with Arrow types keep those types in DuckDB, so
//     every parameter row of one query yields the same result schema.
//
// The golden tests in testdata/ pin plans as text (Explain); run
// `go test ./flightsql/plan -rewrite` to regenerate them after an intended
// change, and review the diff.
package plan
