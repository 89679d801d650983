package txn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

var peopleSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "dt", Type: arrow.BinaryTypes.String},
}, nil)

func peopleTable(e *env, name string) *catalog.Table {
	return e.table(catalog.TableSpec{
		Name: name, Schema: peopleSchema,
		PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 4,
	})
}

func (e *env) upsert(tbl *catalog.Table, schema *arrow.Schema, rows string) *catalog.Commit {
	e.t.Helper()
	rec := e.record(schema, rows)
	defer rec.Release()
	cm, err := e.w.Upsert(e.ctx, tbl, rec)
	if err != nil {
		e.t.Fatalf("upsert: %v", err)
	}
	return cm
}

func subSchema(s *arrow.Schema, names ...string) *arrow.Schema {
	var fs []arrow.Field
	for _, n := range names {
		f, _ := s.FieldsByName(n)
		fs = append(fs, f[0])
	}
	return arrow.NewSchema(fs, nil)
}

func TestUpsertPartialDeleteRead(t *testing.T) {
	for _, kind := range []storageKind{localStorage, s3Storage} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, kind)
			tbl := peopleTable(e, "people")
			e.upsert(tbl, peopleSchema, `[
				{"id": 1, "name": "ann", "score": 1.5, "dt": "d1"},
				{"id": 2, "name": "bob", "score": 2.5, "dt": "d1"},
				{"id": 3, "name": "cy", "score": 3.5, "dt": "d2"},
				{"id": 1, "name": "ann2", "score": 9, "dt": "d2"},
				{"id": 2, "name": "bob-old", "score": 0, "dt": "d1"},
				{"id": 2, "name": "bob", "score": 2.5, "dt": "d1"}]`)
			// A partial upsert keeps the columns it does not carry; a new key
			// gets NULLs in them.
			e.upsert(tbl, subSchema(peopleSchema, "id", "score", "dt"), `[
				{"id": 1, "score": 10, "dt": "d1"},
				{"id": 4, "score": 4, "dt": "d1"}]`)
			want := []string{
				"id=1,name=ann,score=10,dt=d1",
				"id=1,name=ann2,score=9,dt=d2",
				"id=2,name=bob,score=2.5,dt=d1",
				"id=3,name=cy,score=3.5,dt=d2",
				"id=4,name=NULL,score=4,dt=d1",
			}
			equalRows(t, "after partial upsert", e.scan(tbl, latest(), mor.ScanOptions{}), want)

			keys := e.record(subSchema(peopleSchema, "id", "dt"), `[{"id": 2, "dt": "d1"}, {"id": 99, "dt": "d1"}]`)
			if _, err := e.w.DeleteKeys(e.ctx, tbl, keys); err != nil {
				t.Fatal(err)
			}
			keys.Release()
			_, n, err := e.w.Delete(e.ctx, tbl, mor.Eq("name", "cy"))
			if err != nil || n != 1 {
				t.Fatalf("delete by predicate: n=%d err=%v", n, err)
			}
			equalRows(t, "after deletes", e.scan(tbl, latest(), mor.ScanOptions{}), []string{
				"id=1,name=ann,score=10,dt=d1",
				"id=1,name=ann2,score=9,dt=d2",
				"id=4,name=NULL,score=4,dt=d1",
			})
			// Reinserting a deleted key partially must not resurrect old values.
			e.upsert(tbl, subSchema(peopleSchema, "id", "score", "dt"), `[{"id": 2, "score": 7, "dt": "d1"}]`)
			equalRows(t, "reinsert", e.scan(tbl, latest(), mor.ScanOptions{Filter: mor.Eq("id", 2)}),
				[]string{"id=2,name=NULL,score=7,dt=d1"})

			// Time travel: version 1 is the first upsert.
			equalRows(t, "version 1", e.scan(tbl, atVersion(1), mor.ScanOptions{Columns: []string{"id", "name"}}), []string{
				"id=1,name=ann", "id=1,name=ann2", "id=2,name=bob", "id=3,name=cy",
			})
		})
	}
}

func TestMultiPartitionWriteIsOneCommit(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	cm := e.upsert(tbl, peopleSchema, `[{"id": 1, "dt": "a"}, {"id": 2, "dt": "b"}, {"id": 3, "dt": "c"}, {"id": 4, "dt": "d"}]`)
	if cm.Version != 1 {
		t.Fatalf("version = %d, want 1", cm.Version)
	}
	if got := len(cm.Partitions()); got != 4 {
		t.Fatalf("partitions = %d, want 4", got)
	}
	hist, err := e.cat.History(e.ctx, tbl.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Operation != catalog.OpUpsert || hist[0].Summary["rows_added"] != "4" {
		t.Fatalf("history = %+v", hist)
	}
	// One file per (partition, bucket), named with its bucket.
	for _, f := range cm.Added {
		if f.Rows != 1 || f.Bucket < 0 || f.Bucket >= 4 {
			t.Fatalf("file %+v", f)
		}
	}
}

// The planner prunes files written through the writer to the one task
// that holds a key: the writer's partition paths, hash buckets and key
// bounds agree with the planner's. mor's pruning tests cover the planner
// itself on files laid out by hand.
func TestWrittenFilesPrune(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	rows := `[`
	for i := 0; i < 200; i++ {
		if i > 0 {
			rows += ","
		}
		rows += `{"id": ` + itoa(i) + `, "name": "n", "score": 1, "dt": "` + []string{"x", "y"}[i%2] + `"}`
	}
	e.upsert(tbl, peopleSchema, rows+`]`)
	e.upsert(tbl, peopleSchema, `[{"id": 7, "name": "seven", "score": 7, "dt": "y"}]`)
	snap, err := e.cat.Snapshot(e.ctx, tbl.ID, latest())
	if err != nil {
		t.Fatal(err)
	}
	filter := mor.And(mor.Eq("id", 7), mor.Eq("dt", "y"))
	plan, err := mor.NewPlan(snap, mor.ScanOptions{Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Tasks) != 1 || len(plan.Tasks[0].Files) != 2 {
		t.Fatalf("tasks = %+v, want one with both runs of key 7 (stats %+v)", plan.Tasks, plan.Stats())
	}
	equalRows(t, "point lookup", e.scan(tbl, latest(), mor.ScanOptions{Filter: filter}),
		[]string{"id=7,name=seven,score=7,dt=y"})
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

func TestUpdateByPredicate(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "a", "score": 1, "dt": "d"}, {"id": 2, "name": "b", "score": 2, "dt": "d"}, {"id": 3, "name": "c", "score": 3, "dt": "e"}]`)
	plusOne := func(ctx context.Context, rows arrow.RecordBatch) (arrow.RecordBatch, error) {
		score := rows.Column(rows.Schema().FieldIndices("score")[0])
		in := compute.NewDatum(score) // retains score
		defer in.Release()
		out, err := compute.Add(ctx, compute.ArithmeticOptions{}, in, compute.NewDatum(1.0))
		if err != nil {
			return nil, err
		}
		arr := out.(*compute.ArrayDatum).MakeArray()
		out.Release()
		defer arr.Release()
		return array.NewRecordBatch(subSchema(peopleSchema, "score"), []arrow.Array{arr}, rows.NumRows()), nil
	}
	_, n, err := e.w.Update(e.ctx, tbl, mor.Ge("score", 2), plusOne)
	if err != nil || n != 2 {
		t.Fatalf("update: n=%d err=%v", n, err)
	}
	equalRows(t, "updated", e.scan(tbl, latest(), mor.ScanOptions{Columns: []string{"id", "score"}}),
		[]string{"id=1,score=1", "id=2,score=3", "id=3,score=4"})
	// Changing a key is refused and commits nothing.
	head, _ := e.cat.Head(e.ctx, tbl.ID)
	_, _, err = e.w.Update(e.ctx, tbl, nil, func(ctx context.Context, rows arrow.RecordBatch) (arrow.RecordBatch, error) {
		ids := e.record(subSchema(peopleSchema, "id"), `[{"id": 100}, {"id": 101}, {"id": 102}]`)
		return ids, nil
	})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("key update: err = %v, want ErrInvalid", err)
	}
	if h, _ := e.cat.Head(e.ctx, tbl.ID); h != head {
		t.Fatalf("head moved from %d to %d after a failed update", head, h)
	}
}

func TestMergeOperatorsAndCDC(t *testing.T) {
	e := newEnv(t, localStorage)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String},
		{Name: "total", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "tags", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "op", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	tbl := e.table(catalog.TableSpec{Name: "m", Schema: schema, PrimaryKey: []string{"k"}, HashBucketNum: 2,
		Properties: map[string]string{
			"merge_op.total": "sum", "merge_op.tags": "concat", "merge_op.note": "last_non_null",
			catalog.PropCDCColumn: "op",
		}})
	e.upsert(tbl, schema, `[{"k": "a", "total": 1, "tags": "x", "note": "first", "op": "insert"},
		{"k": "b", "total": 5, "tags": "y", "note": "b", "op": "insert"}]`)
	e.upsert(tbl, schema, `[{"k": "a", "total": 2, "tags": "z", "note": null, "op": "update"},
		{"k": "b", "op": "delete"}]`)
	equalRows(t, "merged", e.scan(tbl, latest(), mor.ScanOptions{}),
		[]string{"k=a,total=3,tags=x,z,note=first,op=update"})
}

func TestAppendTableCopyOnWrite(t *testing.T) {
	e := newEnv(t, localStorage)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	tbl := e.table(catalog.TableSpec{Name: "log", Schema: schema})
	for _, rows := range []string{`[{"msg": "a", "n": 1}, {"msg": "b", "n": 2}]`, `[{"msg": "a", "n": 3}]`} {
		rec := e.record(schema, rows)
		if _, err := e.w.Append(e.ctx, tbl, rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if _, n, err := e.w.Delete(e.ctx, tbl, mor.Eq("msg", "a")); err != nil || n != 2 {
		t.Fatalf("delete: n=%d err=%v", n, err)
	}
	equalRows(t, "after delete", e.scan(tbl, latest(), mor.ScanOptions{}), []string{"msg=b,n=2"})
	// Appending a subset of nullable columns fills NULLs.
	rec := e.record(subSchema(schema, "n"), `[{"n": 9}]`)
	defer rec.Release()
	if _, err := e.w.Append(e.ctx, tbl, rec); err != nil {
		t.Fatal(err)
	}
	equalRows(t, "after append", e.scan(tbl, latest(), mor.ScanOptions{}), []string{"msg=NULL,n=9", "msg=b,n=2"})
	if _, err := e.w.Upsert(e.ctx, tbl, rec); !errors.Is(err, ErrInvalid) {
		t.Fatalf("upsert into a table without key: %v", err)
	}
}

func TestCompaction(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "a", "score": 1, "dt": "d"}, {"id": 2, "name": "b", "score": 2, "dt": "d"}]`)
	e.upsert(tbl, subSchema(peopleSchema, "id", "score", "dt"), `[{"id": 1, "score": 5, "dt": "d"}]`)
	keys := e.record(subSchema(peopleSchema, "id", "dt"), `[{"id": 2, "dt": "d"}]`)
	if _, err := e.w.DeleteKeys(e.ctx, tbl, keys); err != nil {
		t.Fatal(err)
	}
	keys.Release()
	before := e.scan(tbl, latest(), mor.ScanOptions{})
	cm, err := e.w.Compact(e.ctx, tbl, CompactOptions{})
	if err != nil || cm == nil {
		t.Fatalf("compact: %v %v", cm, err)
	}
	equalRows(t, "after compaction", e.scan(tbl, latest(), mor.ScanOptions{}), before)
	snap, _ := e.cat.Snapshot(e.ctx, tbl.ID, latest())
	for _, f := range snap.Files {
		if f.Deletes {
			t.Fatalf("delete file survived compaction: %+v", f)
		}
	}
	// A newer upsert still wins over the compacted file.
	e.upsert(tbl, subSchema(peopleSchema, "id", "name", "dt"), `[{"id": 1, "name": "new", "dt": "d"}]`)
	equalRows(t, "upsert after compaction", e.scan(tbl, latest(), mor.ScanOptions{}), []string{"id=1,name=new,score=5,dt=d"})
	// Nothing to do is not a commit.
	if _, err := e.w.Compact(e.ctx, tbl, CompactOptions{MinFiles: 5}); err != nil {
		t.Fatal(err)
	}
}

func TestTimeTravelByTimestamp(t *testing.T) {
	e := newEnv(t, localStorage)
	tbl := peopleTable(e, "p")
	c1 := e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "v1", "dt": "d"}]`)
	c2 := e.upsert(tbl, peopleSchema, `[{"id": 1, "name": "v2", "dt": "d"}]`)
	at := func(ts time.Time) catalog.SnapshotSpec { return catalog.SnapshotSpec{AsOf: &ts} }
	equalRows(t, "as of c1", e.scan(tbl, at(c1.Timestamp), mor.ScanOptions{Columns: []string{"name"}}), []string{"name=v1"})
	equalRows(t, "between", e.scan(tbl, at(c2.Timestamp.Add(-time.Nanosecond)), mor.ScanOptions{Columns: []string{"name"}}), []string{"name=v1"})
	equalRows(t, "as of c2", e.scan(tbl, at(c2.Timestamp.Add(time.Hour)), mor.ScanOptions{Columns: []string{"name"}}), []string{"name=v2"})
	if _, err := e.scanErr(tbl, at(time.Unix(0, 0)), mor.ScanOptions{}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("before creation: %v", err)
	}
	if _, err := e.scanErr(tbl, atVersion(9), mor.ScanOptions{}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("future version: %v", err)
	}
}
