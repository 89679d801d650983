package mor

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// The uuid workload: a base run of N rows and 10 upsert runs of N/5 rows,
// half of them updating keys of the base, half inserting new keys; random
// 36-character uuid keys; 8 columns.

const (
	benchBaseRows  = 200_000
	benchUpserts   = 10
	benchBatchRows = 8192
)

var uuidSchema = schemaOf(
	field("uuid", arrow.BinaryTypes.String),
	field("ip", arrow.BinaryTypes.String),
	field("hostname", arrow.BinaryTypes.String),
	field("requests", arrow.PrimitiveTypes.Int64),
	field("name", arrow.BinaryTypes.String),
	field("city", arrow.BinaryTypes.String),
	field("job", arrow.BinaryTypes.String),
	field("phonenum", arrow.BinaryTypes.String),
)

type uuidWorkload struct {
	runs    [][]arrow.RecordBatch // oldest first, each sorted by uuid
	inRows  int
	outRows int
}

var (
	uuidOnce sync.Once
	uuidData *uuidWorkload
)

// benchUUIDWorkload builds the workload once per test binary.
func benchUUIDWorkload() *uuidWorkload {
	uuidOnce.Do(func() { uuidData = genUUIDWorkload(memory.DefaultAllocator, benchBaseRows, 42) })
	return uuidData
}

func randomUUID(r *rand.Rand) string {
	const hexdig = "0123456789abcdef"
	var b [36]byte
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hexdig[r.IntN(16)]
		}
	}
	return string(b[:])
}

func genUUIDWorkload(mem memory.Allocator, n int, seed uint64) *uuidWorkload {
	r := rand.New(rand.NewPCG(seed, seed))
	seen := make(map[string]bool, 3*n)
	fresh := func() string {
		for {
			u := randomUUID(r)
			if !seen[u] {
				seen[u] = true
				return u
			}
		}
	}
	base := make([]string, n)
	for i := range base {
		base[i] = fresh()
	}
	w := &uuidWorkload{}
	w.runs = append(w.runs, uuidRun(mem, r, base))
	w.inRows, w.outRows = n, n
	for u := 0; u < benchUpserts; u++ {
		m := n / 5
		keys := make([]string, 0, m)
		picked := map[int]bool{}
		for len(keys) < m/2 {
			if i := r.IntN(n); !picked[i] {
				picked[i] = true
				keys = append(keys, base[i])
			}
		}
		for len(keys) < m {
			keys = append(keys, fresh())
			w.outRows++
		}
		w.runs = append(w.runs, uuidRun(mem, r, keys))
		w.inRows += m
	}
	return w
}

// uuidRun builds one sorted run of the given keys with random values.
func uuidRun(mem memory.Allocator, r *rand.Rand, keys []string) []arrow.RecordBatch {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
	cities := []string{"Hangzhou", "Beijing", "Shanghai", "Berlin", "Paris", "Lima", "Oslo"}
	jobs := []string{"engineer", "teacher", "doctor", "artist", "pilot", "chef"}
	b := array.NewRecordBuilder(mem, uuidSchema)
	defer b.Release()
	var recs []arrow.RecordBatch
	for i, k := range keys {
		b.Field(0).(*array.StringBuilder).Append(k)
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256)))
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("host-%05d.example.com", r.IntN(100000)))
		b.Field(3).(*array.Int64Builder).Append(r.Int64N(1 << 40))
		b.Field(4).(*array.StringBuilder).Append(names[r.IntN(len(names))])
		b.Field(5).(*array.StringBuilder).Append(cities[r.IntN(len(cities))])
		b.Field(6).(*array.StringBuilder).Append(jobs[r.IntN(len(jobs))])
		b.Field(7).(*array.StringBuilder).Append(fmt.Sprintf("+86-1%02d-%04d-%04d", r.IntN(100), r.IntN(10000), r.IntN(10000)))
		if (i+1)%benchBatchRows == 0 || i == len(keys)-1 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	return recs
}

// logicalBytes is the size of the values of a record (what a consumer reads),
// independent of whether its buffers are shared with the input.
func logicalBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		switch a := c.(type) {
		case *array.String:
			offs := a.ValueOffsets()
			n += int64(offs[len(offs)-1]-offs[0]) + 4*int64(a.Len())
		default:
			n += int64(a.Len()) * int64(fixedWidth(a.DataType()))
		}
	}
	return n
}

func benchRuns(recs [][]arrow.RecordBatch) []Run {
	runs := make([]Run, len(recs))
	for i, rs := range recs {
		rr, err := array.NewRecordReader(uuidSchema, rs)
		if err != nil {
			panic(err)
		}
		runs[i] = Run{Reader: rr, Seq: int64(i + 1)}
	}
	return runs
}

// drainBench reads a merge to the end and returns rows and logical bytes.
func drainBench(b *testing.B, rr array.RecordReader) (int64, int64) {
	var rows, size int64
	for rr.Next() {
		rec := rr.RecordBatch()
		rows += rec.NumRows()
		size += logicalBytes(rec)
	}
	if err := rr.Err(); err != nil {
		b.Fatal(err)
	}
	rr.Release()
	return rows, size
}

func reportRows(b *testing.B, outRows, inRows int64) {
	sec := b.Elapsed().Seconds()
	if sec == 0 {
		return
	}
	b.ReportMetric(float64(outRows)*float64(b.N)/sec, "rows/s")
	b.ReportMetric(float64(inRows)*float64(b.N)/sec, "in_rows/s")
}

// BenchmarkMerge11Runs merges the uuid workload (11 overlapping runs).
func BenchmarkMerge11Runs(b *testing.B) {
	w := benchUUIDWorkload()
	opts := MergeOptions{PrimaryKey: []string{"uuid"}, Schema: uuidSchema}
	var rows, size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rr, err := NewMergeReader(context.Background(), benchRuns(w.runs), opts)
		if err != nil {
			b.Fatal(err)
		}
		rows, size = drainBench(b, rr)
	}
	if rows != int64(w.outRows) {
		b.Fatalf("merged %d rows, want %d", rows, w.outRows)
	}
	b.SetBytes(size)
	reportRows(b, rows, int64(w.inRows))
}

// BenchmarkMergePassthrough reads the base run alone (no merging).
func BenchmarkMergePassthrough(b *testing.B) {
	w := benchUUIDWorkload()
	opts := MergeOptions{PrimaryKey: []string{"uuid"}, Schema: uuidSchema}
	var rows, size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rr, err := NewMergeReader(context.Background(), benchRuns(w.runs[:1]), opts)
		if err != nil {
			b.Fatal(err)
		}
		rows, size = drainBench(b, rr)
	}
	b.SetBytes(size)
	reportRows(b, rows, rows)
}

// BenchmarkMergeDisjoint merges 11 runs whose key ranges do not overlap,
// which the non-overlapping range fast path serves without copying.
func BenchmarkMergeDisjoint(b *testing.B) {
	w := benchUUIDWorkload()
	// Re-cut the base run into 11 consecutive key ranges.
	base := w.runs[0]
	var parts [][]arrow.RecordBatch
	per := (len(base) + 10) / 11
	for i := 0; i < len(base); i += per {
		parts = append(parts, base[i:min(i+per, len(base))])
	}
	opts := MergeOptions{PrimaryKey: []string{"uuid"}, Schema: uuidSchema}
	var rows, size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rr, err := NewMergeReader(context.Background(), benchRuns(parts), opts)
		if err != nil {
			b.Fatal(err)
		}
		rows, size = drainBench(b, rr)
	}
	b.SetBytes(size)
	reportRows(b, rows, rows)
}

// BenchmarkParquetDecode11Runs decodes the same 11 runs from in-memory
// Parquet files (ZSTD level 1, as the writer of this project does): the
// baseline the merge throughput is measured against.
func BenchmarkParquetDecode11Runs(b *testing.B) {
	w := benchUUIDWorkload()
	files := make([][]byte, len(w.runs))
	for i, rs := range w.runs {
		var buf bytes.Buffer
		props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd),
			parquet.WithCompressionLevel(1), parquet.WithStats(true), parquet.WithDictionaryDefault(false),
			parquet.WithMaxRowGroupLength(65536))
		fw, err := pqarrow.NewFileWriter(uuidSchema, &buf, props, pqarrow.DefaultWriterProps())
		if err != nil {
			b.Fatal(err)
		}
		for _, rec := range rs {
			if err := fw.WriteBuffered(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := fw.Close(); err != nil {
			b.Fatal(err)
		}
		files[i] = buf.Bytes()
	}
	var rows, size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rows, size = 0, 0
		for _, f := range files {
			pf, err := file.NewParquetReader(bytes.NewReader(f))
			if err != nil {
				b.Fatal(err)
			}
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: benchBatchRows}, memory.DefaultAllocator)
			if err != nil {
				b.Fatal(err)
			}
			rr, err := fr.GetRecordReader(context.Background(), nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			r, s := drainBench(b, rr)
			rows += r
			size += s
			pf.Close()
		}
	}
	b.SetBytes(size)
	reportRows(b, rows, rows)
}
