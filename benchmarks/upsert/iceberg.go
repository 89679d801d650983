package upsert

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"

	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
)

// icebergNamespace holds the suite's Iceberg tables.
const icebergNamespace = "bench"

// icebergKeyID is the Iceberg field id of uuid: the identifier field and
// the equality field of every delete file the suite writes.
const icebergKeyID = 1

// icebergSchema is workload.Schema with Iceberg field ids 1..8, uuid
// required and declared the table's identifier (primary key).
var icebergSchema = iceberg.NewSchemaWithIdentifiers(0, []int{icebergKeyID},
	iceberg.NestedField{ID: icebergKeyID, Name: "uuid", Type: iceberg.PrimitiveTypes.String, Required: true},
	iceberg.NestedField{ID: 2, Name: "ip", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 3, Name: "hostname", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 4, Name: "requests", Type: iceberg.PrimitiveTypes.Int64},
	iceberg.NestedField{ID: 5, Name: "name", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 6, Name: "city", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 7, Name: "job", Type: iceberg.PrimitiveTypes.String},
	iceberg.NestedField{ID: 8, Name: "phonenum", Type: iceberg.PrimitiveTypes.String},
)

// icebergKeySchema is the Arrow schema of the equality delete records: the
// key column alone.
var icebergKeySchema = arrow.NewSchema([]arrow.Field{workload.Schema.Field(0)}, nil)

// icebergPeer is an Iceberg warehouse behind iceberg-go's Hadoop-style
// catalog: a directory tree of tables whose versioned metadata JSON files
// are the catalog, with no server, database or cgo involved.
type icebergPeer struct {
	cat *hadoop.Catalog
}

// openIceberg creates the warehouse directory dir and its namespace.
func openIceberg(ctx context.Context, dir string) (*icebergPeer, error) {
	cat, err := hadoop.NewCatalog("upsertbench", dir, iceberg.Properties{})
	if err != nil {
		return nil, fmt.Errorf("iceberg: catalog in %s: %w", dir, err)
	}
	if err := cat.CreateNamespace(ctx, table.Identifier{icebergNamespace}, nil); err != nil {
		_ = cat.Close()
		return nil, fmt.Errorf("iceberg: namespace %s: %w", icebergNamespace, err)
	}
	return &icebergPeer{cat: cat}, nil
}

func (p *icebergPeer) Close() error { return p.cat.Close() }

// createTable creates a format-v2 table of the workload, partitioned by
// bucket[4](uuid) like lakesoul-flight's 4 hash buckets, so an equality
// delete only applies to the data files of its own bucket.
func (p *icebergPeer) createTable(ctx context.Context, name string) (*table.Table, error) {
	spec := iceberg.NewPartitionSpec(iceberg.PartitionField{
		SourceIDs: []int{icebergKeyID}, FieldID: 1000, Name: "uuid_bucket",
		Transform: iceberg.BucketTransform{NumBuckets: buckets},
	})
	tbl, err := p.cat.CreateTable(ctx, table.Identifier{icebergNamespace, name}, icebergSchema,
		catalog.WithPartitionSpec(&spec),
		catalog.WithProperties(iceberg.Properties{
			table.PropertyFormatVersion: "2",
			"write.delete.mode":         "merge-on-read",
			"write.update.mode":         "merge-on-read",
			"write.merge.mode":          "merge-on-read",
		}))
	if err != nil {
		return nil, fmt.Errorf("iceberg: create table %s: %w", name, err)
	}
	return tbl, nil
}

// icebergSeries is one written series: the table and the snapshot id after
// the base (index 0) and after every upsert i (index i).
type icebergSeries struct {
	tbl   *table.Table
	snaps []int64
}

// writeSeries appends the base baseReps times, each into a fresh table
// (the last one is named name and kept), then commits every upsert into it.
// It returns the kept series and the base and upsert times.
func (p *icebergPeer) writeSeries(ctx context.Context, name string, base step, ups []step, baseReps int) (*icebergSeries, []float64, []float64, error) {
	s := &icebergSeries{}
	baseSecs, upSecs, err := timeSeries(name, base, ups, baseReps,
		func(name string) error { var err error; s.tbl, err = p.createTable(ctx, name); return err },
		func(recs []arrow.RecordBatch) error {
			tbl, err := icebergAppend(ctx, s.tbl, recs)
			if err != nil {
				return fmt.Errorf("iceberg: %w", err)
			}
			s.tbl, s.snaps = tbl, []int64{tbl.CurrentSnapshot().SnapshotID}
			return nil
		},
		func(i int, recs []arrow.RecordBatch) error {
			tbl, err := icebergUpsert(ctx, s.tbl, recs, i+1)
			if err != nil {
				return fmt.Errorf("iceberg: %w", err)
			}
			s.tbl, s.snaps = tbl, append(s.snaps, tbl.CurrentSnapshot().SnapshotID)
			return nil
		})
	if err != nil {
		return nil, nil, nil, err
	}
	return s, baseSecs, upSecs, nil
}

// icebergAppend commits recs as one Append snapshot. recs stay the
// caller's.
func icebergAppend(ctx context.Context, tbl *table.Table, recs []arrow.RecordBatch) (*table.Table, error) {
	rr, err := array.NewRecordReader(workload.Schema, recs)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	return tbl.Append(ctx, rr, iceberg.Properties{"upsertbench.write": "base"})
}

// icebergUpsert commits recs, which name every key at most once, as one
// merge-on-read snapshot: a RowDelta that adds the rows as new data files
// together with equality delete files on uuid holding every key of recs.
// The data files and the delete files get the snapshot's sequence number,
// and Iceberg applies an equality delete only to data files of a strictly
// smaller data sequence number: the deletes drop each key's older row and
// leave the rows added in the same snapshot. Inserting a key that does not
// exist yet costs a delete entry that matches nothing, as with any upsert
// writer that does not look keys up first. recs stay the caller's.
func icebergUpsert(ctx context.Context, tbl *table.Table, recs []arrow.RecordBatch, round int) (*table.Table, error) {
	tx := tbl.NewTransaction()
	var data []iceberg.DataFile
	for df, err := range table.WriteRecords(ctx, tbl, workload.Schema, retained(recs)) {
		if err != nil {
			return nil, fmt.Errorf("writing data files: %w", err)
		}
		data = append(data, df)
	}
	deletes, err := tx.WriteEqualityDeletes(ctx, []int{icebergKeyID}, keyRecords(recs))
	if err != nil {
		return nil, fmt.Errorf("writing equality deletes: %w", err)
	}
	props := iceberg.Properties{"upsertbench.write": fmt.Sprintf("upsert %d", round)}
	if err := tx.NewRowDelta(props).AddRows(data...).AddDeletes(deletes...).Commit(ctx); err != nil {
		return nil, fmt.Errorf("row delta: %w", err)
	}
	out, err := tx.Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return out, nil
}

// retained yields recs, each retained once: table.WriteRecords releases
// every record it consumes, and recs stay the caller's.
func retained(recs []arrow.RecordBatch) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for _, r := range recs {
			r.Retain()
			if !yield(r, nil) {
				return
			}
		}
	}
}

// keyRecords yields the uuid column of recs as records of
// icebergKeySchema; each is released once the next is asked for.
func keyRecords(recs []arrow.RecordBatch) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for _, r := range recs {
			k := array.NewRecordBatch(icebergKeySchema, []arrow.Array{r.Column(0)}, r.NumRows())
			ok := yield(k, nil)
			k.Release()
			if !ok {
				return
			}
		}
	}
}

// icebergDeleteKeyBudget bounds the equality delete keys one
// Scan.ReadTasks call may hold (see icebergScan): 64 Mi keys, about 4 GB
// at the 60 bytes a key measured at scale 0.1.
const icebergDeleteKeyBudget int64 = 64 << 20

// icebergScan reads snapshot snap (0: the current one) of tbl to the end,
// equality deletes applied, with filter as the row filter when not nil. It
// returns the rows and the number of Scan.ReadTasks calls.
//
// Scan.ToArrowRecords is Scan.PlanFiles followed by one Scan.ReadTasks of
// every task, and within that call iceberg-go keeps, for each data file with
// two or more equality delete files, the union of their keys until the scan
// ends: a data file's deletes are those of every later snapshot, so the
// sets add up quadratically in the number of upserts (6.4 GB after the 100
// small upserts at scale 0.1). icebergScan plans once and calls ReadTasks on
// groups of tasks, bucket by bucket, each holding at most
// icebergDeleteKeyBudget keys; when the whole scan fits, that is one call
// and the same work as ToArrowRecords.
func icebergScan(ctx context.Context, tbl *table.Table, snap int64, filter iceberg.BooleanExpression) (int64, int, error) {
	return icebergScanBudget(ctx, tbl, snap, filter, icebergDeleteKeyBudget)
}

// icebergScanBudget is icebergScan with a budget of delete keys per
// ReadTasks call.
func icebergScanBudget(ctx context.Context, tbl *table.Table, snap int64, filter iceberg.BooleanExpression, budget int64) (int64, int, error) {
	var opts []table.ScanOption
	if snap != 0 {
		opts = append(opts, table.WithSnapshotID(snap))
	}
	if filter != nil {
		opts = append(opts, table.WithRowFilter(filter))
	}
	scan := tbl.Scan(opts...)
	defer scan.Close()
	tasks, err := scan.PlanFiles(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("planning: %w", err)
	}
	groups := icebergTaskGroups(tasks, budget)
	var rows int64
	for _, g := range groups {
		_, recs, err := scan.ReadTasks(ctx, g)
		if err != nil {
			return rows, 0, err
		}
		for rec, err := range recs {
			if err != nil {
				return rows, 0, err
			}
			rows += rec.NumRows()
			rec.Release()
		}
	}
	return rows, len(groups), nil
}

// icebergTaskGroups splits tasks, ordered by partition, into groups whose
// equality delete keys held by one Scan.ReadTasks call stay within budget
// (a single task above it forms its own group). The keys a group holds are
// every distinct delete file's rows, plus, for each task with two or more
// delete files, their union, counted as the sum of their rows.
func icebergTaskGroups(tasks []table.FileScanTask, budget int64) [][]table.FileScanTask {
	sorted := slices.Clone(tasks)
	slices.SortStableFunc(sorted, func(a, b table.FileScanTask) int {
		return strings.Compare(fmt.Sprint(a.File.Partition()), fmt.Sprint(b.File.Partition()))
	})
	var groups [][]table.FileScanTask
	var cur []table.FileScanTask
	var held int64
	files := map[string]bool{}
	cost := func(t table.FileScanTask) int64 {
		var fresh, union int64
		for _, d := range t.EqualityDeleteFiles {
			if !files[d.FilePath()] {
				fresh += d.Count()
			}
			union += d.Count()
		}
		if len(t.EqualityDeleteFiles) > 1 {
			return fresh + union
		}
		return fresh
	}
	for _, t := range sorted {
		c := cost(t)
		if len(cur) > 0 && held+c > budget {
			groups = append(groups, cur)
			cur, held = nil, 0
			clear(files)
			c = cost(t)
		}
		cur = append(cur, t)
		held += c
		for _, d := range t.EqualityDeleteFiles {
			files[d.FilePath()] = true
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// icebergScans scans reps times and checks every scan returns want rows
// (want < 0: any number, the same every time). It returns the times, the
// rows and the ReadTasks calls of one scan.
func icebergScans(ctx context.Context, tbl *table.Table, snap int64, filter iceberg.BooleanExpression, reps int, want int64) ([]float64, int64, int, error) {
	var secs []float64
	var rows int64
	var calls int
	for r := range reps {
		s, err := timeIt(func() error { var err error; rows, calls, err = icebergScan(ctx, tbl, snap, filter); return err })
		if err != nil {
			return nil, 0, 0, fmt.Errorf("iceberg: scan: %w", err)
		}
		if want >= 0 && rows != want {
			return nil, 0, 0, fmt.Errorf("iceberg: scan %d of %d returned %d rows, want %d", r+1, reps, rows, want)
		}
		want = rows
		secs = append(secs, s)
	}
	return secs, rows, calls, nil
}
