package upsert

import (
	"context"
	"maps"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
)

// TestIcebergUpsertSemantics checks the Iceberg peer's upserts on a few
// rows: an upsert's equality deletes drop the older row of every key it
// names but not the rows committed with them, time travel sees each
// snapshot's state, and a row filter never returns a replaced row.
func TestIcebergUpsertSemantics(t *testing.T) {
	ctx := context.Background()
	p, err := openIceberg(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tbl, err := p.createTable(ctx, "semantics")
	if err != nil {
		t.Fatal(err)
	}

	write := func(round int, rows map[string]string) {
		t.Helper()
		rec := cityRecord(rows)
		defer rec.Release()
		recs := []arrow.RecordBatch{rec}
		if round == 0 {
			tbl, err = icebergAppend(ctx, tbl, recs)
		} else {
			tbl, err = icebergUpsert(ctx, tbl, recs, round)
		}
		if err != nil {
			t.Fatalf("write %d: %v", round, err)
		}
	}
	check := func(what string, snap int64, filter iceberg.BooleanExpression, want map[string]string) {
		t.Helper()
		got := scanCities(t, tbl, snap, filter)
		if !maps.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
		// The suite's scan, in one ReadTasks call and with every task read
		// on its own, must count the same rows.
		for _, budget := range []int64{icebergDeleteKeyBudget, 1} {
			n, _, err := icebergScanBudget(ctx, tbl, snap, filter, budget)
			if err != nil || n != int64(len(want)) {
				t.Errorf("%s: icebergScan with a budget of %d keys counted %d rows (%v), want %d", what, budget, n, err, len(want))
			}
		}
	}

	write(0, map[string]string{"a": "Oslo", "b": "Oslo", "c": "Oslo"})
	base := tbl.CurrentSnapshot().SnapshotID
	// One update (a) and one insert (d).
	write(1, map[string]string{"a": "Lima", "d": "Lima"})
	first := tbl.CurrentSnapshot().SnapshotID
	// a is updated again, b for the first time, e is new.
	write(2, map[string]string{"a": "Berlin", "b": "Berlin", "e": "Berlin"})

	check("latest", 0, nil, map[string]string{"a": "Berlin", "b": "Berlin", "c": "Oslo", "d": "Lima", "e": "Berlin"})
	check("after upsert 1", first, nil, map[string]string{"a": "Lima", "b": "Oslo", "c": "Oslo", "d": "Lima"})
	check("base", base, nil, map[string]string{"a": "Oslo", "b": "Oslo", "c": "Oslo"})
	check("city = Oslo", 0, iceberg.EqualTo(iceberg.Reference("city"), "Oslo"), map[string]string{"c": "Oslo"})
	check("city = Lima", 0, iceberg.EqualTo(iceberg.Reference("city"), "Lima"), map[string]string{"d": "Lima"})
	check("uuid = a", 0, iceberg.EqualTo(iceberg.Reference("uuid"), "a"), map[string]string{"a": "Berlin"})

	// With a budget of one key, every task with equality deletes is read by
	// its own ReadTasks call.
	tasks := plannedTasks(t, tbl)
	withDeletes := 0
	for _, task := range tasks {
		if len(task.EqualityDeleteFiles) > 0 {
			withDeletes++
		}
	}
	if withDeletes == 0 {
		t.Error("no planned task has equality delete files")
	}
	if _, calls, err := icebergScanBudget(ctx, tbl, 0, nil, 1); err != nil || calls < withDeletes || calls > len(tasks) {
		t.Errorf("budget of 1 key: %d ReadTasks calls (%v), want %d to %d", calls, err, withDeletes, len(tasks))
	}

	// Each upsert is one snapshot holding both data and equality delete files.
	snap := tbl.CurrentSnapshot()
	if snap.Summary == nil || snap.Summary.Properties["added-equality-delete-files"] == "" || snap.Summary.Properties["added-data-files"] == "" {
		t.Errorf("last snapshot summary %v: want added data files and equality delete files", snap.Summary)
	}
	if n := len(tbl.Metadata().Snapshots()); n != 3 {
		t.Errorf("%d snapshots, want 3 (base and one per upsert)", n)
	}
}

// cityRecord builds one record of workload.Schema with the given uuid and
// city values.
func cityRecord(rows map[string]string) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, workload.Schema)
	defer b.Release()
	for k, city := range rows {
		for i := range workload.Schema.NumFields() {
			switch {
			case i == 0:
				b.Field(i).(*array.StringBuilder).Append(k)
			case i == 5:
				b.Field(i).(*array.StringBuilder).Append(city)
			case workload.Schema.Field(i).Type.ID() == arrow.INT64:
				b.Field(i).(*array.Int64Builder).Append(1)
			default:
				b.Field(i).(*array.StringBuilder).Append("x")
			}
		}
	}
	return b.NewRecordBatch()
}

// scanCities reads a snapshot (0: the current one) and returns city by
// uuid, failing on a key returned twice.
func scanCities(t *testing.T, tbl *table.Table, snap int64, filter iceberg.BooleanExpression) map[string]string {
	t.Helper()
	opts := []table.ScanOption{table.WithSelectedFields("uuid", "city")}
	if snap != 0 {
		opts = append(opts, table.WithSnapshotID(snap))
	}
	if filter != nil {
		opts = append(opts, table.WithRowFilter(filter))
	}
	_, recs, err := tbl.Scan(opts...).ToArrowRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rec, err := range recs {
		if err != nil {
			t.Fatal(err)
		}
		uuid := rec.Column(int(rec.Schema().FieldIndices("uuid")[0])).(*array.String)
		city := rec.Column(int(rec.Schema().FieldIndices("city")[0])).(*array.String)
		for i := range uuid.Len() {
			if _, dup := out[uuid.Value(i)]; dup {
				t.Errorf("key %s returned twice", uuid.Value(i))
			}
			out[uuid.Value(i)] = city.Value(i)
		}
		rec.Release()
	}
	return out
}

// plannedTasks plans a scan of the current snapshot and returns its tasks.
func plannedTasks(t *testing.T, tbl *table.Table) []table.FileScanTask {
	t.Helper()
	tasks, err := tbl.Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}
