package lsio_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// writeAllTypes writes rows [0, total) of allTypesSchema in records of
// recRows rows and returns them concatenated (for comparison) and the stats.
func writeAllTypes(t *testing.T, mem memory.Allocator, st lsio.Storage, path string, total, recRows int, wopts lsio.WriteOptions) (arrow.RecordBatch, lsio.FileStats) {
	t.Helper()
	var recs []arrow.RecordBatch
	for start := 0; start < total; start += recRows {
		recs = append(recs, buildAllTypes(mem, start, min(recRows, total-start)))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	fs, err := lsio.WriteParquet(context.Background(), st, path, allTypesSchema, recs, wopts)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Path != path || fs.Rows != int64(total) {
		t.Fatalf("FileStats = %+v", fs)
	}
	info, err := st.Stat(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != fs.Size {
		t.Fatalf("FileStats.Size = %d, stored object has %d bytes", fs.Size, info.Size)
	}
	return concatRecords(t, mem, allTypesSchema, recs), fs
}

func openParquet(t *testing.T, st lsio.Storage, path string, opts lsio.ReadOptions) *lsio.ParquetFile {
	t.Helper()
	pf, err := lsio.OpenParquet(context.Background(), st, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pf.Close() })
	return pf
}

func fieldNames(s *arrow.Schema) []string {
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	return names
}

func TestParquetRoundTrip(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	want, _ := writeAllTypes(t, mem, st, "rt.parquet", 1000, 300, lsio.WriteOptions{RowGroupRows: 256, Allocator: mem})
	defer want.Release()

	pf := openParquet(t, st, "rt.parquet", lsio.ReadOptions{Allocator: mem, BatchSize: 100})
	if !pf.Schema().Equal(allTypesSchema) {
		t.Fatalf("schema changed:\n got %s\nwant %s", pf.Schema(), allTypesSchema)
	}
	if pf.Schema().Metadata().Len() != 0 {
		t.Fatalf("schema carries file metadata: %v", pf.Schema().Metadata())
	}
	if pf.NumRows() != 1000 || pf.NumRowGroups() != 4 {
		t.Fatalf("rows %d, row groups %d", pf.NumRows(), pf.NumRowGroups())
	}
	for i, wantRows := range []int64{256, 256, 256, 232} {
		if got := pf.RowGroupRows(i); got != wantRows {
			t.Fatalf("row group %d has %d rows, want %d", i, got, wantRows)
		}
	}
	rr, err := pf.Read(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rr.Schema().Equal(allTypesSchema) {
		t.Fatalf("reader schema %s", rr.Schema())
	}
	got, batches := readAll(t, mem, rr)
	defer got.Release()
	if batches != 10 {
		t.Fatalf("read %d batches of up to 100 rows, want 10", batches)
	}
	assertColumnsEqual(t, want, got, fieldNames(allTypesSchema))

	t.Run("encoding", func(t *testing.T) {
		rg := pf.Metadata().RowGroup(0)
		for i, f := range allTypesSchema.Fields() {
			cc, err := rg.ColumnChunk(i)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Compression() != compress.Codecs.Zstd {
				t.Errorf("%s compressed with %v", f.Name, cc.Compression())
			}
			wantDict := f.Name == "s" || f.Name == "ls" || f.Name == "bin"
			if cc.HasDictionaryPage() != wantDict {
				t.Errorf("%s: dictionary page %v, want %v", f.Name, cc.HasDictionaryPage(), wantDict)
			}
		}
	})
}

func TestParquetProjectionAndRowGroups(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	want, _ := writeAllTypes(t, mem, st, "p.parquet", 1000, 1000, lsio.WriteOptions{RowGroupRows: 100, Allocator: mem})
	defer want.Release()
	pf := openParquet(t, st, "p.parquet", lsio.ReadOptions{Allocator: mem, BatchSize: 64})
	ctx := context.Background()

	t.Run("projection order", func(t *testing.T) {
		cols := []string{"tstz", "s", "id", "dec", "b"}
		rr, err := pf.Read(ctx, cols, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(t, mem, rr)
		defer got.Release()
		assertColumnsEqual(t, want, got, cols)
	})

	t.Run("row group selection", func(t *testing.T) {
		cols := []string{"id", "ls"}
		rr, err := pf.Read(ctx, cols, []int{7, 2})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(t, mem, rr)
		defer got.Release()
		ids := got.Column(0).(*array.Int64)
		if ids.Len() != 200 {
			t.Fatalf("read %d rows, want 200", ids.Len())
		}
		for i := range 200 {
			wantID := int64(700 + i)
			if i >= 100 {
				wantID = int64(200 + i - 100)
			}
			if ids.Value(i) != wantID {
				t.Fatalf("row %d has id %d, want %d", i, ids.Value(i), wantID)
			}
		}
	})

	t.Run("count only", func(t *testing.T) {
		rr, err := pf.Read(ctx, []string{}, []int{0, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Release()
		var rows int64
		for rr.Next() {
			if rr.RecordBatch().NumCols() != 0 {
				t.Fatal("count-only record has columns")
			}
			rows += rr.RecordBatch().NumRows()
		}
		if rr.Err() != nil || rows != 300 {
			t.Fatalf("counted %d rows, err %v", rows, rr.Err())
		}
	})

	t.Run("empty row group list", func(t *testing.T) {
		rr, err := pf.Read(ctx, []string{"id"}, []int{})
		if err != nil {
			t.Fatal(err)
		}
		got, n := readAll(t, mem, rr)
		if got != nil || n != 0 {
			t.Fatalf("read %d records from no row groups", n)
		}
	})

	errCases := []struct {
		name      string
		cols      []string
		rowGroups []int
	}{
		{"unknown column", []string{"id", "nope"}, nil},
		{"duplicate column", []string{"id", "id"}, nil},
		{"row group too large", []string{"id"}, []int{10}},
		{"negative row group", []string{"id"}, []int{-1}},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pf.Read(ctx, tc.cols, tc.rowGroups); err == nil {
				t.Fatal("Read succeeded")
			}
		})
	}
}

func TestParquetManyRowGroups(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	want, _ := writeAllTypes(t, mem, st, "many.parquet", 10_000, 999, lsio.WriteOptions{RowGroupRows: 64, Allocator: mem})
	defer want.Release()
	pf := openParquet(t, st, "many.parquet", lsio.ReadOptions{Allocator: mem})
	if pf.NumRowGroups() != 157 {
		t.Fatalf("%d row groups, want 157", pf.NumRowGroups())
	}
	var sum int64
	for i := range pf.NumRowGroups() {
		sum += pf.RowGroupRows(i)
		st, ok := pf.ColumnStats(i, "id")
		if !ok || !st.HasMinMax || st.Min != int64(i*64) || st.Max != min(int64(i*64+63), 9999) {
			t.Fatalf("row group %d id stats %+v, %v", i, st, ok)
		}
	}
	if sum != 10_000 {
		t.Fatalf("row groups hold %d rows", sum)
	}
	rr, err := pf.Read(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, mem, rr)
	defer got.Release()
	assertColumnsEqual(t, want, got, fieldNames(allTypesSchema))
}

func TestParquetEmptyFile(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	ctx := context.Background()
	empty := buildAllTypes(mem, 0, 0)
	defer empty.Release()
	cases := []struct {
		name string
		recs []arrow.RecordBatch
	}{
		{"no records", nil},
		{"one empty record", []arrow.RecordBatch{empty}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := lsio.WriteParquet(ctx, st, "empty.parquet", allTypesSchema, tc.recs, lsio.WriteOptions{Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			if fs.Rows != 0 || fs.Size == 0 {
				t.Fatalf("FileStats = %+v", fs)
			}
			pf := openParquet(t, st, "empty.parquet", lsio.ReadOptions{Allocator: mem})
			if pf.NumRows() != 0 || !pf.Schema().Equal(allTypesSchema) {
				t.Fatalf("rows %d schema %s", pf.NumRows(), pf.Schema())
			}
			for _, cols := range [][]string{nil, {"s", "id"}, {}} {
				rr, err := pf.Read(ctx, cols, nil)
				if err != nil {
					t.Fatal(err)
				}
				if cols != nil && len(rr.Schema().Fields()) != len(cols) {
					t.Fatalf("schema %s for columns %v", rr.Schema(), cols)
				}
				if got, n := readAll(t, mem, rr); got != nil || n != 0 {
					t.Fatalf("read %d records from an empty file", n)
				}
			}
		})
	}
}

func TestParquetColumnStats(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	ctx := context.Background()
	huge := uint64(math.MaxInt64) + 10
	cases := []struct {
		name     string
		typ      arrow.DataType
		build    func(b array.Builder)
		min, max any
		nulls    int64
		noMinMax bool
	}{
		{"bool", arrow.FixedWidthTypes.Boolean, func(b array.Builder) {
			b.(*array.BooleanBuilder).AppendValues([]bool{true, false}, nil)
			b.AppendNull()
		}, false, true, 1, false},
		{"int8", arrow.PrimitiveTypes.Int8, func(b array.Builder) {
			b.(*array.Int8Builder).AppendValues([]int8{-5, 100, 3}, nil)
		}, int64(-5), int64(100), 0, false},
		{"int16", arrow.PrimitiveTypes.Int16, func(b array.Builder) {
			b.(*array.Int16Builder).AppendValues([]int16{-300, 300}, nil)
			b.AppendNull()
			b.AppendNull()
		}, int64(-300), int64(300), 2, false},
		{"int32", arrow.PrimitiveTypes.Int32, func(b array.Builder) {
			b.(*array.Int32Builder).AppendValues([]int32{math.MinInt32, 7}, nil)
		}, int64(math.MinInt32), int64(7), 0, false},
		{"int64", arrow.PrimitiveTypes.Int64, func(b array.Builder) {
			b.(*array.Int64Builder).AppendValues([]int64{math.MaxInt64, -1}, nil)
		}, int64(-1), int64(math.MaxInt64), 0, false},
		{"uint8", arrow.PrimitiveTypes.Uint8, func(b array.Builder) {
			b.(*array.Uint8Builder).AppendValues([]uint8{200, 3}, nil)
		}, int64(3), int64(200), 0, false},
		{"uint16", arrow.PrimitiveTypes.Uint16, func(b array.Builder) {
			b.(*array.Uint16Builder).AppendValues([]uint16{65535, 1}, nil)
		}, int64(1), int64(65535), 0, false},
		{"uint32", arrow.PrimitiveTypes.Uint32, func(b array.Builder) {
			b.(*array.Uint32Builder).AppendValues([]uint32{4_000_000_000, 5}, nil)
		}, int64(5), int64(4_000_000_000), 0, false},
		{"uint64", arrow.PrimitiveTypes.Uint64, func(b array.Builder) {
			b.(*array.Uint64Builder).AppendValues([]uint64{1 << 40, 7}, nil)
		}, int64(7), int64(1 << 40), 0, false},
		{"uint64 beyond int64", arrow.PrimitiveTypes.Uint64, func(b array.Builder) {
			b.(*array.Uint64Builder).AppendValues([]uint64{huge, 1}, nil)
		}, nil, nil, 0, true},
		{"float32", arrow.PrimitiveTypes.Float32, func(b array.Builder) {
			b.(*array.Float32Builder).AppendValues([]float32{1.5, -2.25}, nil)
		}, float64(-2.25), float64(1.5), 0, false},
		{"float64", arrow.PrimitiveTypes.Float64, func(b array.Builder) {
			b.(*array.Float64Builder).AppendValues([]float64{1e300, -0.5}, nil)
			b.AppendNull()
		}, -0.5, 1e300, 1, false},
		{"string", arrow.BinaryTypes.String, func(b array.Builder) {
			b.(*array.StringBuilder).AppendValues([]string{"pear", "apple", "zebra"}, nil)
			b.AppendNull()
		}, "apple", "zebra", 1, false},
		{"large string", arrow.BinaryTypes.LargeString, func(b array.Builder) {
			b.(*array.LargeStringBuilder).AppendValues([]string{"b", "a", "é"}, nil)
		}, "a", "é", 0, false},
		{"binary", arrow.BinaryTypes.Binary, func(b array.Builder) {
			b.(*array.BinaryBuilder).AppendValues([][]byte{{0xff}, {0x00, 0x01}}, nil)
		}, []byte{0x00, 0x01}, []byte{0xff}, 0, false},
		{"date32", arrow.FixedWidthTypes.Date32, func(b array.Builder) {
			b.(*array.Date32Builder).AppendValues([]arrow.Date32{19000, 18000}, nil)
		}, int64(18000), int64(19000), 0, false},
		{"timestamp", &arrow.TimestampType{Unit: arrow.Microsecond}, func(b array.Builder) {
			b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1_700_000_000_000_000, -5}, nil)
		}, int64(-5), int64(1_700_000_000_000_000), 0, false},
		{"timestamp with zone", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, func(b array.Builder) {
			b.(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{3, 2, 1}, nil)
		}, int64(1), int64(3), 0, false},
		{"decimal", &arrow.Decimal128Type{Precision: 10, Scale: 2}, func(b array.Builder) {
			b.(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(678), decimal128.FromI64(-12345)}, nil)
		}, decimal128.FromI64(-12345), decimal128.FromI64(678), 0, false},
		{"wide decimal", &arrow.Decimal128Type{Precision: 38, Scale: 0}, func(b array.Builder) {
			b.(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.New(1<<40, 5), decimal128.New(-1<<40, 9)}, nil)
		}, decimal128.New(-1<<40, 9), decimal128.New(1<<40, 5), 0, false},
		{"all null", arrow.PrimitiveTypes.Int64, func(b array.Builder) {
			b.AppendNulls(3)
		}, nil, nil, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: tc.typ, Nullable: true}}, nil)
			b := array.NewBuilder(mem, tc.typ)
			tc.build(b)
			col := b.NewArray()
			b.Release()
			rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
			col.Release()
			defer rec.Release()
			if _, err := lsio.WriteParquet(ctx, st, "stats.parquet", schema, []arrow.RecordBatch{rec}, lsio.WriteOptions{Allocator: mem}); err != nil {
				t.Fatal(err)
			}
			pf := openParquet(t, st, "stats.parquet", lsio.ReadOptions{Allocator: mem})
			stats, ok := pf.ColumnStats(0, "c")
			if !ok {
				t.Fatal("no statistics")
			}
			if stats.NullCount != tc.nulls {
				t.Errorf("NullCount = %d, want %d", stats.NullCount, tc.nulls)
			}
			if stats.HasMinMax == tc.noMinMax {
				t.Fatalf("HasMinMax = %v", stats.HasMinMax)
			}
			if !tc.noMinMax && (!equalStat(stats.Min, tc.min) || !equalStat(stats.Max, tc.max)) {
				t.Fatalf("min/max = %#v/%#v, want %#v/%#v", stats.Min, stats.Max, tc.min, tc.max)
			}
			if _, ok := pf.ColumnStats(0, "missing"); ok {
				t.Fatal("stats for a missing column")
			}
			if _, ok := pf.ColumnStats(1, "c"); ok {
				t.Fatal("stats for a missing row group")
			}
		})
	}
}

func equalStat(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && slices.Equal(ab, bb)
	}
	return a == b
}

func TestParquetWriterErrors(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	ctx := context.Background()
	rec := buildAllTypes(mem, 0, 10)
	defer rec.Release()

	t.Run("schema mismatch", func(t *testing.T) {
		other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32}}, nil)
		w, err := lsio.NewParquetWriter(ctx, st, "mismatch.parquet", other, lsio.WriteOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err == nil {
			t.Fatal("Write with another schema succeeded")
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx, "mismatch.parquet"); !errors.Is(err, lsio.ErrNotExist) {
			t.Fatalf("aborted file exists: %v", err)
		}
	})
	t.Run("abort", func(t *testing.T) {
		w, err := lsio.NewParquetWriter(ctx, st, "aborted.parquet", allTypesSchema, lsio.WriteOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); !errors.Is(err, lsio.ErrWriterClosed) {
			t.Fatalf("Write after Abort = %v", err)
		}
		if _, err := w.Close(); !errors.Is(err, lsio.ErrWriterClosed) {
			t.Fatalf("Close after Abort = %v", err)
		}
		if _, err := st.Stat(ctx, "aborted.parquet"); !errors.Is(err, lsio.ErrNotExist) {
			t.Fatalf("aborted file exists: %v", err)
		}
	})
	t.Run("not visible before close", func(t *testing.T) {
		w, err := lsio.NewParquetWriter(ctx, st, "pending.parquet", allTypesSchema, lsio.WriteOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if w.Rows() != 10 {
			t.Fatalf("Rows = %d", w.Rows())
		}
		if _, err := st.Stat(ctx, "pending.parquet"); !errors.Is(err, lsio.ErrNotExist) {
			t.Fatalf("file visible before Close: %v", err)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort after Close = %v", err)
		}
		if _, err := st.Stat(ctx, "pending.parquet"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := lsio.WriteParquet(cctx, st, "cancelled.parquet", allTypesSchema, []arrow.RecordBatch{rec}, lsio.WriteOptions{Allocator: mem}); !errors.Is(err, context.Canceled) {
			t.Fatalf("WriteParquet with a cancelled context = %v", err)
		}
	})
	t.Run("not parquet", func(t *testing.T) {
		for _, data := range [][]byte{nil, []byte("PAR1"), []byte("hello, this is not a parquet file at all")} {
			if err := st.Put(ctx, "junk", data); err != nil {
				t.Fatal(err)
			}
			if _, err := lsio.OpenParquet(ctx, st, "junk", lsio.ReadOptions{}); err == nil {
				t.Fatalf("OpenParquet of %q succeeded", data)
			}
		}
		if _, err := lsio.OpenParquet(ctx, st, "absent", lsio.ReadOptions{}); !errors.Is(err, lsio.ErrNotExist) {
			t.Fatalf("OpenParquet of a missing file = %v", err)
		}
	})
}

func TestParquetReadCancel(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	want, _ := writeAllTypes(t, mem, st, "c.parquet", 5000, 5000, lsio.WriteOptions{Allocator: mem})
	want.Release()
	pf := openParquet(t, st, "c.parquet", lsio.ReadOptions{Allocator: mem, BatchSize: 100})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rr, err := pf.Read(ctx, []string{"id", "s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	if !rr.Next() {
		t.Fatalf("no first batch: %v", rr.Err())
	}
	cancel()
	if rr.Next() {
		t.Fatal("Next succeeded after cancel")
	}
	if !errors.Is(rr.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", rr.Err())
	}
}

// TestParquetStreams checks that reading holds about one batch of Arrow
// memory at a time, not the whole file.
func TestParquetStreams(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	want, _ := writeAllTypes(t, mem, st, "big.parquet", 100_000, 10_000, lsio.WriteOptions{Allocator: mem})
	whole := int64(0)
	for _, col := range want.Columns() {
		for _, buf := range col.Data().Buffers() {
			if buf != nil {
				whole += int64(buf.Len())
			}
		}
	}
	want.Release()
	pf := openParquet(t, st, "big.parquet", lsio.ReadOptions{Allocator: mem, BatchSize: 1000})
	rr, err := pf.Read(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	peak, rows := 0, int64(0)
	for rr.Next() {
		rows += rr.RecordBatch().NumRows()
		peak = max(peak, mem.CurrentAlloc())
	}
	if rr.Err() != nil || rows != 100_000 {
		t.Fatalf("read %d rows: %v", rows, rr.Err())
	}
	if int64(peak) > whole/10 {
		t.Fatalf("peak Arrow memory %d bytes while reading a file of %d Arrow bytes", peak, whole)
	}
	t.Logf("peak %d bytes of %d", peak, whole)
}

func TestParquetRemoteReads(t *testing.T) {
	mem := checkedAlloc(t)
	ctx := context.Background()
	backends := []struct {
		name string
		st   func(t *testing.T) lsio.Storage
	}{
		{"mem", func(t *testing.T) lsio.Storage { return lsio.NewMem() }},
		{"s3", func(t *testing.T) lsio.Storage { return newS3(t, testS3Config(t)) }},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := &countingStorage{Storage: be.st(t)}
			want, _ := writeAllTypes(t, mem, st, "remote/f.parquet", 3000, 3000, lsio.WriteOptions{RowGroupRows: 1000, Allocator: mem})
			defer want.Release()
			cols := []string{"id", "s", "dec"}
			modes := []struct {
				name       string
				wholeBelow int64
				maxReads   int64
			}{
				{"whole object", 0, 1},
				{"ranged", -1, 1 + 3}, // the footer, then one coalesced read per row group
			}
			for _, m := range modes {
				t.Run(m.name, func(t *testing.T) {
					st.reads.Store(0)
					pf := openParquet(t, st, "remote/f.parquet", lsio.ReadOptions{Allocator: mem, WholeObjectBelow: m.wholeBelow})
					rr, err := pf.Read(ctx, cols, nil)
					if err != nil {
						t.Fatal(err)
					}
					got, _ := readAll(t, mem, rr)
					defer got.Release()
					assertColumnsEqual(t, want, got, cols)
					if n := st.reads.Load(); n > m.maxReads || n == 0 {
						t.Fatalf("%d reads reached the storage, want 1..%d", n, m.maxReads)
					}
				})
			}
			t.Run("release early", func(t *testing.T) {
				pf := openParquet(t, st, "remote/f.parquet", lsio.ReadOptions{Allocator: mem, WholeObjectBelow: -1, BatchSize: 10})
				rr, err := pf.Read(ctx, nil, []int{2, 0, 1})
				if err != nil {
					t.Fatal(err)
				}
				if !rr.Next() {
					t.Fatal(rr.Err())
				}
				if id := rr.RecordBatch().Column(0).(*array.Int64).Value(0); id != 2000 {
					t.Fatalf("first id %d, want 2000", id)
				}
				rr.Release()
			})
		})
	}
}

func TestParquetSchemaMetadata(t *testing.T) {
	mem := checkedAlloc(t)
	st := lsio.NewMem()
	fieldMeta := arrow.NewMetadata([]string{"PARQUET:field_id", "comment"}, []string{"7", "the key"})
	schemaMeta := arrow.NewMetadata([]string{"table"}, []string{"t1"})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int32, Metadata: fieldMeta},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, &schemaMeta)
	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.Int32Builder).Append(1)
	b.Field(1).(*array.StringBuilder).Append("x")
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	if _, err := lsio.WriteParquet(context.Background(), st, "m.parquet", schema, []arrow.RecordBatch{rec}, lsio.WriteOptions{Allocator: mem}); err != nil {
		t.Fatal(err)
	}
	pf := openParquet(t, st, "m.parquet", lsio.ReadOptions{Allocator: mem})
	if !pf.Schema().Equal(schema) || !pf.Schema().Metadata().Equal(schemaMeta) {
		t.Fatalf("schema\n got %s\nwant %s", pf.Schema(), schema)
	}
	if !pf.Schema().Field(0).Metadata.Equal(fieldMeta) {
		t.Fatalf("field metadata %v, want %v", pf.Schema().Field(0).Metadata, fieldMeta)
	}
}

func TestParquetConcurrentReads(t *testing.T) {
	mem := checkedAlloc(t)
	st := &countingStorage{Storage: lsio.NewMem()}
	want, _ := writeAllTypes(t, mem, st, "conc.parquet", 2000, 2000, lsio.WriteOptions{RowGroupRows: 500, Allocator: mem})
	defer want.Release()
	for _, wholeBelow := range []int64{0, -1} {
		pf := openParquet(t, st, "conc.parquet", lsio.ReadOptions{Allocator: mem, WholeObjectBelow: wholeBelow, BatchSize: 128})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 4 {
			wg.Go(func() {
				cols := []string{"id", "s", "bigdec"}
				rr, err := pf.Read(context.Background(), cols, []int{g})
				if err != nil {
					errs <- err
					return
				}
				defer rr.Release()
				var rows int64
				for rr.Next() {
					ids := rr.RecordBatch().Column(0).(*array.Int64)
					if ids.Value(0) != int64(g*500)+rows {
						errs <- fmt.Errorf("group %d: id %d at row %d", g, ids.Value(0), rows)
						return
					}
					rows += int64(ids.Len())
				}
				if rr.Err() != nil || rows != 500 {
					errs <- fmt.Errorf("group %d: %d rows, %v", g, rows, rr.Err())
				}
				if s, ok := pf.ColumnStats(g, "id"); !ok || s.Min != int64(g*500) {
					errs <- fmt.Errorf("group %d: stats %+v", g, s)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}
