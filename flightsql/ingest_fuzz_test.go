package flightsql

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/internal/ipccheck"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// fuzzIngestSchema is the schema of the tables FuzzIngest writes to.
var fuzzIngestSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// ipcStream encodes records as an Arrow IPC stream.
func ipcStream(tb testing.TB, sch *arrow.Schema, recs ...arrow.RecordBatch) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(sch))
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func ingestSeeds(tb testing.TB) [][]byte {
	mem := memory.DefaultAllocator
	full := array.NewRecordBuilder(mem, fuzzIngestSchema)
	defer full.Release()
	full.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 2, 3}, nil)
	full.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "", "b", "c"}, []bool{true, false, true, true})
	full.Field(2).(*array.Float64Builder).AppendValues([]float64{1.5, 0, 2, -1}, nil)
	r1 := full.NewRecordBatch()
	defer r1.Release()

	partial := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "v", Type: arrow.BinaryTypes.LargeString, Nullable: true}}, nil)
	pb := array.NewRecordBuilder(mem, partial)
	defer pb.Release()
	pb.Field(0).(*array.Int32Builder).AppendValues([]int32{7, 0}, []bool{true, false})
	pb.Field(1).(*array.LargeStringBuilder).AppendValues([]string{"x", "y"}, nil)
	r2 := pb.NewRecordBatch()
	defer r2.Release()

	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	dsch := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: dictType, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int16}))}}, nil)
	db := array.NewRecordBuilder(mem, dsch)
	defer db.Release()
	db.Field(0).(*array.Int64Builder).Append(9)
	if err := db.Field(1).(*array.BinaryDictionaryBuilder).AppendString("d"); err != nil {
		tb.Fatal(err)
	}
	lb := db.Field(2).(*array.ListBuilder)
	lb.Append(true)
	sb := lb.ValueBuilder().(*array.StructBuilder)
	sb.Append(true)
	sb.FieldBuilder(0).(*array.Int16Builder).Append(3)
	r3 := db.NewRecordBatch()
	defer r3.Release()

	return [][]byte{
		ipcStream(tb, fuzzIngestSchema, r1),
		ipcStream(tb, fuzzIngestSchema, r1, r1),
		ipcStream(tb, fuzzIngestSchema),
		ipcStream(tb, partial, r2),
		ipcStream(tb, dsch, r3),
	}
}

// ipcFrames is a DataStreamReader that cuts an IPC stream into the
// FlightData messages a client would send, the first with the descriptor.
// A body shorter than its message declares is sent short.
type ipcFrames struct {
	b     []byte
	first bool
}

func (f *ipcFrames) Recv() (*flight.FlightData, error) {
	if len(f.b) >= 4 && binary.LittleEndian.Uint32(f.b) == 0xFFFFFFFF {
		f.b = f.b[4:]
	}
	if len(f.b) < 4 {
		return nil, io.EOF
	}
	n := int(binary.LittleEndian.Uint32(f.b))
	f.b = f.b[4:]
	if n == 0 {
		return nil, io.EOF
	}
	n = min(n, len(f.b))
	fd := &flight.FlightData{DataHeader: f.b[:n]}
	f.b = f.b[n:]
	if bl, err := ipccheck.BodyLength(fd.DataHeader); err == nil && bl > 0 {
		m := int(min(bl, int64(len(f.b))))
		fd.DataBody, f.b = f.b[:m], f.b[m:]
	}
	if f.first {
		fd.FlightDescriptor = &flight.FlightDescriptor{Type: flight.DescriptorCMD}
		f.first = false
	}
	return fd, nil
}

// FuzzIngest sends fuzzed Arrow IPC streams through what DoPut ingest runs:
// the FlightData checks, arrow-go's Flight reader, the schema checks against
// the table, conversion and the write. Every input must end in rows
// committed or an error, never a panic, and release all Arrow memory.
func FuzzIngest(f *testing.F) {
	for _, s := range ingestSeeds(f) {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	ctx := context.Background()
	st := lsio.NewMem()
	ccfg := catalog.DefaultConfig()
	ccfg.Client = etcdtest.Start(f)
	ccfg.Manifests = txn.ManifestStore(st)
	cat, err := catalog.New(ctx, ccfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = cat.Close() })
	w, err := txn.New(txn.Config{Catalog: cat, Storage: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	for _, spec := range []catalog.TableSpec{
		{Namespace: "default", Name: "pk", Schema: fuzzIngestSchema, PrimaryKey: []string{"id"}, HashBucketNum: 2},
		{Namespace: "default", Name: "plain", Schema: fuzzIngestSchema},
	} {
		if _, err := cat.CreateTable(ctx, spec); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		s := &Server{cfg: Config{Catalog: cat, Storage: st, Writer: w, Allocator: mem, Secret: fuzzSecret}.withDefaults()}
		rdr, err := flight.NewRecordReader(checkedDataStream{&ipcFrames{b: data, first: true}}, ipc.WithAllocator(mem))
		if err != nil {
			return
		}
		defer rdr.Release()
		table := "pk"
		if mode&1 == 1 {
			table = "plain"
		}
		schema := "default"
		cmd := &pb.CommandStatementIngest{Table: table, Schema: &schema,
			TableDefinitionOptions: &pb.CommandStatementIngest_TableDefinitionOptions{
				IfNotExist: pb.CommandStatementIngest_TableDefinitionOptions_TABLE_NOT_EXIST_OPTION_FAIL,
				IfExists:   pb.CommandStatementIngest_TableDefinitionOptions_TABLE_EXISTS_OPTION_APPEND,
			}}
		n, err := s.ingest(ctx, cmd, rdr)
		if err == nil && n < 0 {
			t.Fatalf("ingest returned %d rows", n)
		}
	})
}
