package lsio_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

const benchRows = 1 << 20

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "qty", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "comment", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

// benchRecords builds benchRows rows of a typical table (sorted key,
// low- and high-cardinality strings, a few nulls) in records of 64Ki rows,
// and returns them with their Arrow size in bytes.
func benchRecords(mem memory.Allocator) ([]arrow.RecordBatch, int64) {
	r := rand.New(rand.NewPCG(42, 7))
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("customer-%04d", i)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	var recs []arrow.RecordBatch
	var size int64
	const per = 64 << 10
	for start := 0; start < benchRows; start += per {
		b := array.NewRecordBuilder(mem, benchSchema)
		ids := b.Field(0).(*array.Int64Builder)
		users := b.Field(1).(*array.Int32Builder)
		prices := b.Field(2).(*array.Float64Builder)
		qtys := b.Field(3).(*array.Int64Builder)
		nameB := b.Field(4).(*array.StringBuilder)
		comments := b.Field(5).(*array.StringBuilder)
		tss := b.Field(6).(*array.TimestampBuilder)
		flags := b.Field(7).(*array.BooleanBuilder)
		for i := start; i < start+per; i++ {
			ids.Append(int64(i))
			users.Append(r.Int32N(1_000_000))
			prices.Append(float64(r.IntN(1_000_000)) / 100)
			if i%50 == 0 {
				qtys.AppendNull()
			} else {
				qtys.Append(int64(r.IntN(100)))
			}
			nameB.Append(names[r.IntN(len(names))])
			comments.Append(fmt.Sprintf("order %d note %x", i, r.Uint32()))
			tss.Append(arrow.Timestamp(base + int64(i)*1000 + int64(r.IntN(1000))))
			flags.Append(r.IntN(2) == 0)
		}
		rec := b.NewRecordBatch()
		b.Release()
		for _, col := range rec.Columns() {
			for _, buf := range col.Data().Buffers() {
				if buf != nil {
					size += int64(buf.Len())
				}
			}
		}
		recs = append(recs, rec)
	}
	return recs, size
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

func BenchmarkParquetWrite(b *testing.B) {
	mem := memory.NewGoAllocator()
	recs, size := benchRecords(mem)
	defer releaseAll(recs)
	st := lsio.NewMem()
	ctx := context.Background()
	var fileSize int64
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		fs, err := lsio.WriteParquet(ctx, st, "bench.parquet", benchSchema, recs, lsio.WriteOptions{Allocator: mem})
		if err != nil {
			b.Fatal(err)
		}
		fileSize = fs.Size
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(fileSize)/float64(size), "ratio")
}

func BenchmarkParquetRead(b *testing.B) {
	mem := memory.NewGoAllocator()
	recs, size := benchRecords(mem)
	st := lsio.NewMem()
	ctx := context.Background()
	if _, err := lsio.WriteParquet(ctx, st, "bench.parquet", benchSchema, recs, lsio.WriteOptions{Allocator: mem}); err != nil {
		b.Fatal(err)
	}
	releaseAll(recs)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		pf, err := lsio.OpenParquet(ctx, st, "bench.parquet", lsio.ReadOptions{Allocator: mem})
		if err != nil {
			b.Fatal(err)
		}
		rr, err := pf.Read(ctx, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for rr.Next() {
			rows += rr.RecordBatch().NumRows()
		}
		if rr.Err() != nil || rows != benchRows {
			b.Fatalf("read %d rows: %v", rows, rr.Err())
		}
		rr.Release()
		_ = pf.Close()
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParquetReadS3 reads the benchmark file from MinIO, fetched whole
// and by coalesced ranged requests.
func BenchmarkParquetReadS3(b *testing.B) {
	mem := memory.NewGoAllocator()
	recs, size := benchRecords(mem)
	srv := miniotest.Shared(b)
	cfg := lsio.DefaultS3Config()
	cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Insecure = srv.Endpoint, srv.AccessKey, srv.SecretKey, true
	cfg.Bucket = srv.NewBucket(b)
	ctx := context.Background()
	st, err := lsio.NewS3(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := lsio.WriteParquet(ctx, st, "bench.parquet", benchSchema, recs, lsio.WriteOptions{Allocator: mem}); err != nil {
		b.Fatal(err)
	}
	releaseAll(recs)
	for _, mode := range []struct {
		name       string
		wholeBelow int64
	}{{"whole", 1 << 40}, {"ranged", -1}} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				pf, err := lsio.OpenParquet(ctx, st, "bench.parquet", lsio.ReadOptions{Allocator: mem, WholeObjectBelow: mode.wholeBelow})
				if err != nil {
					b.Fatal(err)
				}
				rr, err := pf.Read(ctx, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				for rr.Next() {
				}
				if rr.Err() != nil {
					b.Fatal(rr.Err())
				}
				rr.Release()
				_ = pf.Close()
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
