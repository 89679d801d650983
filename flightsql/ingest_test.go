package flightsql_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"

	"github.com/lakesoul-io/lakesoul-flight/internal/miniotest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

func ingestBatch(t *testing.T, sch *arrow.Schema, ids []int64, names []string) array.RecordReader {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sch)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(names, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(sch, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func ingestOpts(table string, ifNot flightsql.TableDefinitionOptionsTableNotExistOption, ifExists flightsql.TableDefinitionOptionsTableExistsOption, opts map[string]string) *flightsql.ExecuteIngestOpts {
	return &flightsql.ExecuteIngestOpts{
		Table:                  table,
		TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfNotExist: ifNot, IfExists: ifExists},
		Options:                opts,
	}
}

// TestIngest covers the ADBC ingest modes and their errors.
func TestIngest(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	sch := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	const (
		create   = flightsql.TableDefinitionOptionsTableNotExistOptionCreate
		failNot  = flightsql.TableDefinitionOptionsTableNotExistOptionFail
		fail     = flightsql.TableDefinitionOptionsTableExistsOptionFail
		appendTo = flightsql.TableDefinitionOptionsTableExistsOptionAppend
		replace  = flightsql.TableDefinitionOptionsTableExistsOptionReplace
	)
	pk := map[string]string{"primary_key": "id", "hash_bucket_num": "2"}

	// create: (CREATE, FAIL)
	n, err := c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{1, 2}, []string{"a", "b"}), ingestOpts("people", create, fail, pk))
	if err != nil || n != 2 {
		t.Fatalf("create: %d, %v", n, err)
	}
	_, err = c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{3}, []string{"c"}), ingestOpts("people", create, fail, pk))
	wantCode(t, err, codes.AlreadyExists, "already exists")
	// append: (FAIL, APPEND) upserts into a primary-key table.
	n, err = c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{2, 3}, []string{"B", "c"}), ingestOpts("people", failNot, appendTo, nil))
	if err != nil || n != 2 {
		t.Fatalf("append: %d, %v", n, err)
	}
	wantRows(t, sortRows(query(t, c, "SELECT id, name FROM people")), []any{int64(1), "a"}, []any{int64(2), "B"}, []any{int64(3), "c"})
	_, err = c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{1}, []string{"a"}), ingestOpts("nobody", failNot, appendTo, nil))
	wantCode(t, err, codes.NotFound, "does not exist")
	// A stream whose schema does not match commits nothing.
	bad := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "nickname", Type: arrow.BinaryTypes.String}}, nil)
	_, err = c.ExecuteIngest(ctx, ingestBatch(t, bad, []int64{9}, []string{"z"}), ingestOpts("people", failNot, appendTo, nil))
	wantCode(t, err, codes.InvalidArgument, "nickname")
	badType := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	bb := array.NewRecordBuilder(memory.DefaultAllocator, badType)
	bb.Field(0).(*array.StringBuilder).Append("x")
	bb.Field(1).(*array.StringBuilder).Append("y")
	brec := bb.NewRecordBatch()
	bb.Release()
	brr, _ := array.NewRecordReader(badType, []arrow.RecordBatch{brec})
	brec.Release()
	_, err = c.ExecuteIngest(ctx, brr, ingestOpts("people", failNot, appendTo, nil))
	wantCode(t, err, codes.InvalidArgument, "id")
	wantRows(t, query(t, c, `SELECT count(*) FROM "people$history"`), []any{int64(3)})
	// replace: (CREATE, REPLACE)
	n, err = c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{7}, []string{"g"}), ingestOpts("people", create, replace, nil))
	if err != nil || n != 1 {
		t.Fatalf("replace: %d, %v", n, err)
	}
	wantRows(t, query(t, c, "SELECT id, name FROM people"), []any{int64(7), "g"})
	// create_append: (CREATE, APPEND) on a new table without key.
	n, err = c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{1, 1}, []string{"x", "x"}), ingestOpts("log", create, appendTo, nil))
	if err != nil || n != 2 {
		t.Fatalf("create_append: %d, %v", n, err)
	}
	wantRows(t, query(t, c, "SELECT count(*) FROM log"), []any{int64(2)})
}

// TestS3Warehouse runs SQL against a warehouse on a real MinIO server.
func TestS3Warehouse(t *testing.T) {
	srv := miniotest.Shared(t)
	cfg := lsio.DefaultS3Config()
	cfg.Endpoint, cfg.AccessKey, cfg.SecretKey = srv.Endpoint, srv.AccessKey, srv.SecretKey
	cfg.Bucket, cfg.Prefix, cfg.Insecure = srv.NewBucket(t), "warehouse", true
	st, err := lsio.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{storage: st})
	c := s.client(t)
	fillTable(t, c, 50)
	exec(t, c, "UPDATE t SET v = 'changed' WHERE id = 7")
	wantRows(t, query(t, c, "SELECT v FROM t WHERE id = 7"), []any{"changed"})
	wantRows(t, query(t, c, "SELECT count(*), count(DISTINCT dt) FROM t"), []any{int64(50), int64(2)})
}

// TestIngestAutoEvolve: an append ingest with a new column adds it when
// the table's schema.auto_evolve property is true, and fails otherwise.
func TestIngestAutoEvolve(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	ctx := context.Background()
	exec(t, c, "CREATE TABLE people (id BIGINT NOT NULL, name VARCHAR, PRIMARY KEY (id)) WITH (hash_bucket_num = 2)")
	exec(t, c, "INSERT INTO people VALUES (1, 'a')")
	wide := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "city", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	appendTo := ingestOpts("people", flightsql.TableDefinitionOptionsTableNotExistOptionFail, flightsql.TableDefinitionOptionsTableExistsOptionAppend, nil)

	_, err := c.ExecuteIngest(ctx, ingestBatch(t, wide, []int64{2}, []string{"Berlin"}), appendTo)
	wantCode(t, err, codes.InvalidArgument, `no column "city"`)
	exec(t, c, "ALTER TABLE people SET TBLPROPERTIES ('schema.auto_evolve' = 'true')")
	n, err := c.ExecuteIngest(ctx, ingestBatch(t, wide, []int64{1, 2}, []string{"Paris", "Berlin"}), appendTo)
	if err != nil || n != 2 {
		t.Fatalf("ingest with a new column: %d, %v", n, err)
	}
	// A partial upsert of key 1 keeps its name; key 2 is new.
	wantRows(t, query(t, c, "SELECT id, name, city FROM people ORDER BY id"),
		[]any{int64(1), "a", "Paris"}, []any{int64(2), nil, "Berlin"})
	wantRows(t, query(t, c, `SELECT operation FROM "people$history" ORDER BY version DESC LIMIT 2`),
		[]any{"upsert"}, []any{"schema_change"})
}
