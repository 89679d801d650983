package duck

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/marcboeker/go-duckdb.(*Connector).Connect"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

var numbers = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// table returns a Table of n rows on mem, and how often it was opened.
func table(mem memory.Allocator, name string, n int) (Table, *int) {
	opened := new(int)
	return Table{Name: name, Schema: numbers, Open: func() (array.RecordReader, error) {
		*opened++
		b := array.NewRecordBuilder(mem, numbers)
		defer b.Release()
		for i := 0; i < n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append("n")
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		return array.NewRecordReader(numbers, []arrow.RecordBatch{rec})
	}}, opened
}

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestQuery(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e := newEngine(t)
	ctx := context.Background()
	tb, opened := table(mem, e.TableName(0), 100)
	rr, err := e.Query(ctx, "SELECT count(*), sum(id) FROM "+Quote(tb.Name)+" WHERE id >= ?", []Table{tb}, []any{int64(50)})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	if !rr.Next() {
		t.Fatal("no result")
	}
	rec := rr.RecordBatch()
	if got := rec.Column(0).(*array.Int64).Value(0); got != 50 {
		t.Fatalf("count %d", got)
	}
	if *opened != 1 {
		t.Fatalf("table opened %d times", *opened)
	}
	// The temporary table is gone after the query.
	if _, err := e.Query(ctx, "SELECT * FROM "+Quote(tb.Name), nil, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("temporary table still there: %v", err)
	}
}

func TestSchemaReadsNoRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e := newEngine(t)
	tb, opened := table(mem, e.TableName(0), 10)
	sch, err := e.Schema(context.Background(), "SELECT name, id * 2 AS twice FROM "+Quote(tb.Name), []Table{tb}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sch.NumFields() != 2 || sch.Field(1).Name != "twice" || !arrow.TypeEqual(sch.Field(1).Type, arrow.PrimitiveTypes.Int64) {
		t.Fatalf("schema %s", sch)
	}
	if *opened != 0 {
		t.Fatal("describing a query read its table")
	}
}

func TestParamTypes(t *testing.T) {
	e := newEngine(t)
	tb, _ := table(memory.DefaultAllocator, e.TableName(0), 1)
	types, err := e.ParamTypes(context.Background(), "SELECT * FROM "+Quote(tb.Name)+" WHERE id = ? AND name = ?", []Table{tb}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !arrow.TypeEqual(types[0], arrow.PrimitiveTypes.Int64) || !arrow.TypeEqual(types[1], arrow.BinaryTypes.String) {
		t.Fatalf("types %v", types)
	}
}

func TestErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e := newEngine(t)
	ctx := context.Background()
	if _, err := e.Query(ctx, "SELEC 1", nil, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad SQL: %v", err)
	}
	// External access is off.
	if _, err := e.Query(ctx, "SELECT * FROM read_csv('/etc/passwd')", nil, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("file access: %v", err)
	}
	boom := errors.New("boom")
	bad := Table{Name: e.TableName(0), Schema: numbers, Open: func() (array.RecordReader, error) { return nil, boom }}
	if _, err := e.Query(ctx, "SELECT * FROM "+Quote(bad.Name), []Table{bad}, nil); !errors.Is(err, boom) {
		t.Fatalf("open error: %v", err)
	}
	// A table the query fails after loading is still released.
	tb, _ := table(mem, e.TableName(1), 5)
	if _, err := e.Query(ctx, "SELECT nope FROM "+Quote(tb.Name), []Table{tb}, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown column: %v", err)
	}
}
