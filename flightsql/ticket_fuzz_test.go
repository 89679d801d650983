package flightsql

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// Tickets and prepared-statement handles arrive from clients. Without the
// secret a client can only send bytes that fail the signature check; a
// replica that holds the secret, or a bug that signs the wrong thing, can
// present any payload. The fuzz targets below therefore also sign the
// fuzzed bytes and run everything DoGet and the prepared-statement calls do
// with a payload before they need the catalog: none of it may panic or leak
// Arrow memory.

var fuzzSecret = []byte("fuzz-secret-0123456789abcdef")

// fuzzTicketServer is a Server without catalog or writer: enough for the
// decode paths, with an empty in-memory warehouse for the scans a ticket
// plans.
func fuzzTicketServer(mem memory.Allocator) *Server {
	cfg := Config{Secret: fuzzSecret, Allocator: mem, Storage: lsio.NewMem()}.withDefaults()
	return &Server{cfg: cfg}
}

// sealings returns b as the signed payloads a server could meet: plain,
// deflated, and the raw bytes presented as a deflate stream.
func sealings(s *Server, b []byte) [][]byte {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return [][]byte{s.sign(sealPlain, b), s.sign(sealDeflated, buf.Bytes()), s.sign(sealDeflated, b)}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fuzzTable is the table the seed tickets describe.
func fuzzTable() *catalog.Table {
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "dt", Type: arrow.BinaryTypes.String},
	}, nil)
	return &catalog.Table{ID: "t1", Namespace: "default", Name: "t", Path: "default/t", Schema: sch,
		PrimaryKey: []string{"id"}, PartitionBy: []string{"dt"}, HashBucketNum: 2,
		Properties: map[string]string{"merge_op.v": "concat"}}
}

// fuzzIPC is an Arrow IPC stream of a few rows.
func fuzzIPC(tb testing.TB) []byte {
	tb.Helper()
	sch := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer bld.Release()
	bld.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, []bool{true, false})
	bld.Field(1).(*array.StringBuilder).AppendValues([]string{"x", "y"}, nil)
	rec := bld.NewRecordBatch()
	defer rec.Release()
	b, err := encodeIPC(memory.DefaultAllocator, []arrow.RecordBatch{rec})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func ticketSeeds(tb testing.TB) [][]byte {
	tbl := fuzzTable()
	tt := encodeTable(tbl)
	filter, err := mor.MarshalExpr(mor.And(mor.Gt("id", int64(3)), mor.In("dt", "2026-01-01", "2026-01-02"), mor.IsNull("v")))
	if err != nil {
		tb.Fatal(err)
	}
	file := catalog.DataFile{Path: "default/t/dt=2026-01-01/part-a_0001.parquet", Partition: "dt=2026-01-01", Bucket: 1, Seq: 3, Rows: 10, Size: 900}
	tasks := encodeTasks(tbl, []mor.Task{{Partition: "dt=2026-01-01", Bucket: 1, Files: []catalog.DataFile{file}}}, 100)
	exp := int64(1) << 50
	ipcRows := fuzzIPC(tb)
	bodies := []ticketBody{
		{Kind: ticketScan, Expires: exp, Scan: &scanTicket{Table: tt, Version: 4, Columns: []string{"id", "v"}, Filter: filter, Limit: -1, Tasks: tasks}},
		{Kind: ticketScan, Expires: exp, Scan: &scanTicket{Table: tt, Version: 4, Limit: 5, Tasks: []taskTicket{{Partition: "dt=x", Bucket: 0, Files: []fileTicket{{Path: "../../etc/passwd", Rows: 1}}}}}},
		{Kind: ticketRows, Expires: exp, Rows: ipcRows},
		{Kind: ticketDuck, Expires: exp, Duck: &duckTicket{Runs: []duckRunTicket{{SQL: "SELECT * FROM v0", Reads: []readTicket{{Name: "v0", Kind: plan.SourceKind(0), ID: "t1", Version: 2, Columns: []string{"id"}, Filter: filter}}}}, Params: ipcRows}},
		{Kind: ticketChanges, Expires: exp, Changes: &changesTicket{Table: tt, From: 1, To: 3, Filter: filter,
			Tasks: []mor.ChangeTask{{Partition: "dt=2026-01-01", Bucket: 1, Before: []catalog.DataFile{file}, After: []catalog.DataFile{file}}}}},
		{Kind: ticketFollow, Expires: exp, Follow: &followTicket{Table: tt, From: 2, Columns: []string{"id"}}},
		{Kind: "nonsense", Expires: exp},
	}
	var out [][]byte
	for _, b := range bodies {
		out = append(out, mustJSON(tb, b))
	}
	return append(out, []byte(`{"k":"scan","n":{"t":{"s":"AAAA"},"p":[{"f":[{}]}]},"e":1}`), []byte(`null`), nil)
}

// FuzzTicket feeds DoGet's decoding of statement tickets: the signature
// check on raw bytes, then every step up to the catalog on signed payloads.
func FuzzTicket(f *testing.F) {
	for _, s := range ticketSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		s := fuzzTicketServer(mem)
		var raw ticketBody
		if err := s.unseal(payload, "ticket", &raw); err == nil {
			t.Fatalf("unsigned bytes %q passed the signature check", payload)
		}
		for _, sealed := range sealings(s, payload) {
			var b ticketBody
			if err := s.unseal(sealed, "ticket", &b); err != nil {
				if !errors.Is(err, ErrTicket) {
					t.Fatalf("unseal error %v does not wrap ErrTicket", err)
				}
				continue
			}
			openTicketOffline(t, s, &b)
		}
	})
}

// openTicketOffline runs what DoGet runs for a ticket, except the steps that
// need the catalog (files not listed in the ticket, DuckDB reads, the
// follow watch), and drains the result.
func openTicketOffline(t *testing.T, s *Server, b *ticketBody) {
	ctx := context.Background()
	switch {
	case b.Kind == ticketScan && b.Scan != nil:
		tbl, err := decodeTable(b.Scan.Table)
		if err != nil {
			return
		}
		if _, ok := decodeTasks(tbl, b.Scan.Tasks); !ok {
			return
		}
	case b.Kind == ticketDuck && b.Duck != nil:
		p, err := decodeParams(s.cfg.Allocator, b.Duck.Params)
		if err == nil && p != nil && len(p.Rows) > 0 && len(p.Types) != len(p.Rows[0]) {
			t.Fatalf("parameters: %d types, %d values", len(p.Types), len(p.Rows[0]))
		}
		for _, r := range b.Duck.Runs {
			for _, rd := range r.Reads {
				_, _ = mor.UnmarshalExpr(rd.Filter)
			}
		}
		return
	case b.Kind == ticketFollow && b.Follow != nil:
		tbl, err := decodeTable(b.Follow.Table)
		if err != nil {
			return
		}
		filter, err := mor.UnmarshalExpr(b.Follow.Filter)
		if err != nil {
			return
		}
		opts := mor.ChangeOptions{Columns: plan.ChangeTableColumns(tbl, b.Follow.Columns), Filter: filter, BatchSize: s.cfg.BatchRows, Allocator: s.cfg.Allocator}
		if p, err := mor.PlanChangeTasks(tbl, b.Follow.From, b.Follow.From, opts, nil); err == nil {
			plan.ProjectSchema(plan.PublicSchema(p.Schema()), b.Follow.Columns)
		}
		return
	}
	rr, err := s.openTicket(ctx, b)
	if err != nil {
		return
	}
	defer rr.Release()
	for rows := int64(0); rows < 1<<12 && rr.Next(); {
		rows += rr.RecordBatch().NumRows()
	}
}

// FuzzPreparedHandle feeds the decoding of prepared-statement handles: the
// signature check, the payload, the bound parameters and the statement.
func FuzzPreparedHandle(f *testing.F) {
	ipcRows := fuzzIPC(f)
	for _, h := range []handleBody{
		{SQL: "SELECT * FROM t WHERE id = ? AND v = ?", Schema: "default", Params: ipcRows, Expires: 1 << 50},
		{SQL: "INSERT INTO t VALUES (?, ?)", Schema: "ns", Expires: 1 << 50},
		{SQL: "UPDATE t SET v = $2 WHERE id = $1", Params: ipcRows},
		{SQL: "SELECT * FROM table_changes('t', 1, 2)"},
	} {
		f.Add(mustJSON(f, h))
	}
	f.Add([]byte(`{"q":"SELECT 1","a":"QVJST1cxAAA="}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		s := fuzzTicketServer(mem)
		if _, err := s.openHandle(context.Background(), payload); err == nil {
			t.Fatalf("unsigned bytes %q passed the signature check", payload)
		}
		for _, sealed := range sealings(s, payload) {
			var h handleBody
			if err := s.unseal(sealed, "prepared statement handle", &h); err != nil {
				continue
			}
			if p, err := decodeParams(mem, h.Params); err == nil && p != nil {
				for _, row := range p.Rows {
					if len(row) != len(p.Types) {
						t.Fatalf("parameter row of %d values for %d types", len(row), len(p.Types))
					}
				}
			}
			_, _ = parseQuery(h.SQL)
		}
	})
}
