// LanceDB side of the lakesoul-flight upsert benchmark.
//
// The Go suite (benchmarks/upsert) writes the workload as Arrow IPC files and
// a JSON plan, runs `node bench.mjs plan.json`, and reads the timings this
// script prints on stdout as one JSON object. Reading an input file is never
// timed: only the LanceDB calls are.
//
// Plan:
//   {
//     "uri": "/tmp/x/lance",              // database location (a directory or s3://bucket/path)
//     "storageOptions": {...},            // optional, passed to connect
//     "series": [{
//       "name": "u10",
//       "base": "/tmp/x/base.arrow",       // base write
//       "baseReps": 3,                     // base written this many times into fresh tables
//       "upserts": ["/tmp/x/u10-001.arrow", ...],
//       "readAfter": [10],                 // full reads after these numbers of upserts
//       "readReps": 3,
//       "readRepsAt": {"100": 3},          // optional: reps for some reads
//       "selective": {                     // optional: selective reads after the upserts
//         "indexes": [{"column": "uuid", "type": "btree"}, ...],   // built first, each timed
//         "lookups": ["key", ...],         // point lookups uuid = 'key'
//         "inLists": [["key", ...], ...],  // uuid IN (...)
//         "filters": [{"name": "...", "where": "city = 'Berlin'"}],
//         "reps": 3,                       // times each filter is run
//         "budgetSeconds": 60,             // a loop of lookups or IN-lists stops after this,
//         "minCount": 20                   // once it has done at least this many (after twice
//                                          // the budget in any case)
//       }
//     }]
//   }
//
// Output: {"series": [{"name", "base": [s...], "upserts": [s...],
//          "reads": [{"upserts": k, "seconds": [s...], "rows": n}],
//          "selective": {"indexes": [{"column", "type", "seconds"}], "indexUsed": {"lookup": bool, "inList": bool, <filter name>: bool},
//                        "lookups": {"seconds": [...], "rows": [...]}, "inLists": {...},
//                        "filters": [{"name", "seconds": [...], "rows": [...]}]}}]}

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import * as lancedb from "@lancedb/lancedb";

// LanceDB loads apache-arrow's CommonJS build and checks tables with
// instanceof: load the same build, not the ES module one.
const require = createRequire(import.meta.url);
const { tableFromIPC } = require("apache-arrow");

function load(path) {
  return tableFromIPC(readFileSync(path));
}

async function timed(fn) {
  const t0 = performance.now();
  const v = await fn();
  return [(performance.now() - t0) / 1000, v];
}

// fullRead streams every row of the table's latest version and counts them.
function fullRead(tbl) {
  return countRows(tbl.query());
}

// countRows streams a query to the end and counts its rows.
async function countRows(q) {
  let rows = 0;
  for await (const batch of q) {
    rows += batch.numRows;
  }
  return rows;
}

function quote(key) {
  return "'" + key.replaceAll("'", "''") + "'";
}

// timedLoop runs fn on items in order until all are done or budget seconds
// have passed (after at least minCount; at twice the budget in any case),
// timing each call.
async function timedLoop(items, budget, minCount, fn) {
  const out = { seconds: [], rows: [] };
  const t0 = performance.now();
  for (let i = 0; i < items.length; i++) {
    const elapsed = (performance.now() - t0) / 1000;
    if ((i >= minCount && elapsed > budget) || (i > 0 && elapsed > 2 * budget)) break;
    const [secs, rows] = await timed(() => fn(items[i]));
    out.seconds.push(secs);
    out.rows.push(rows);
  }
  return out;
}

// runSelective indexes the table, then times point lookups, IN-lists and
// filtered scans on it.
async function runSelective(tbl, sel) {
  const out = { indexes: [], lookups: null, inLists: null, filters: [] };
  for (const ix of sel.indexes || []) {
    const config = ix.type === "bitmap" ? lancedb.Index.bitmap() : lancedb.Index.btree();
    const [secs] = await timed(async () => {
      await tbl.createIndex(ix.column, { config, replace: true });
      await tbl.waitForIndex([`${ix.column}_idx`], 3600);
    });
    out.indexes.push({ column: ix.column, type: ix.type, seconds: secs });
  }
  // Whether the plan of each kind of query reads through a scalar index
  // (not timed).
  out.indexUsed = {};
  const usesIndex = async (where) => (await tbl.query().where(where).explainPlan()).includes("ScalarIndexQuery");
  if (sel.lookups && sel.lookups.length > 0) out.indexUsed.lookup = await usesIndex(`uuid = ${quote(sel.lookups[0])}`);
  if (sel.inLists && sel.inLists.length > 0) out.indexUsed.inList = await usesIndex(`uuid IN (${sel.inLists[0].map(quote).join(", ")})`);
  for (const f of sel.filters || []) out.indexUsed[f.name] = await usesIndex(f.where);
  const budget = sel.budgetSeconds || 60;
  const minCount = sel.minCount || 20;
  out.lookups = await timedLoop(sel.lookups || [], budget, minCount, (k) =>
    countRows(tbl.query().where(`uuid = ${quote(k)}`)),
  );
  out.inLists = await timedLoop(sel.inLists || [], budget, minCount, (keys) =>
    countRows(tbl.query().where(`uuid IN (${keys.map(quote).join(", ")})`)),
  );
  const reps = Math.max(1, sel.reps || 1);
  for (const f of sel.filters || []) {
    const rec = { name: f.name, seconds: [], rows: [] };
    for (let r = 0; r < reps; r++) {
      const [secs, rows] = await timed(() => countRows(tbl.query().where(f.where)));
      rec.seconds.push(secs);
      rec.rows.push(rows);
    }
    out.filters.push(rec);
  }
  return out;
}

async function runSeries(db, s) {
  const out = { name: s.name, base: [], upserts: [], reads: [] };
  const base = load(s.base);
  let tbl = null;
  const reps = Math.max(1, s.baseReps || 1);
  for (let r = 0; r < reps; r++) {
    const name = `${s.name}_r${r}`;
    const [secs, t] = await timed(() => db.createTable(name, base, { mode: "overwrite" }));
    out.base.push(secs);
    if (tbl !== null) {
      const old = tbl.name;
      tbl.close();
      await db.dropTable(old);
    }
    tbl = t;
  }
  const readAfter = new Set(s.readAfter || []);
  const readReps = Math.max(1, s.readReps || 1);
  const read = async (k) => {
    const rec = { upserts: k, seconds: [], rows: 0 };
    const reps = Math.max(1, (s.readRepsAt && s.readRepsAt[k]) || readReps);
    for (let r = 0; r < reps; r++) {
      const [secs, rows] = await timed(() => fullRead(tbl));
      rec.seconds.push(secs);
      rec.rows = rows;
    }
    out.reads.push(rec);
  };
  if (readAfter.has(0)) await read(0);
  for (let i = 0; i < s.upserts.length; i++) {
    const data = load(s.upserts[i]);
    const [secs] = await timed(() =>
      tbl.mergeInsert("uuid").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data),
    );
    out.upserts.push(secs);
    if (readAfter.has(i + 1)) await read(i + 1);
  }
  if (s.selective) out.selective = await runSelective(tbl, s.selective);
  tbl.close();
  return out;
}

async function main() {
  if (process.argv.length < 3) {
    console.error("usage: node bench.mjs plan.json");
    process.exit(2);
  }
  const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const opts = plan.storageOptions ? { storageOptions: plan.storageOptions } : {};
  const db = await lancedb.connect(plan.uri, opts);
  const result = { series: [] };
  for (const s of plan.series) {
    result.series.push(await runSeries(db, s));
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
