package flightsql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/codes"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// login authenticates user on c and returns the context carrying its token.
func login(t *testing.T, c *flightsql.Client, user, password string) context.Context {
	t.Helper()
	ctx, err := c.Client.AuthenticateBasicToken(context.Background(), user, password)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return ctx
}

func execAs(t *testing.T, ctx context.Context, c *flightsql.Client, q string) {
	t.Helper()
	if _, err := c.ExecuteUpdate(ctx, q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// queryAs runs a query as the user of ctx and returns its rows.
func queryAs(t *testing.T, ctx context.Context, c *flightsql.Client, q string) ([][]any, error) {
	t.Helper()
	info, err := c.Execute(ctx, q)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, ep := range info.Endpoint {
		r, err := c.DoGet(ctx, ep.Ticket)
		if err != nil {
			return nil, err
		}
		for r.Next() {
			rows = append(rows, recordRows(r.RecordBatch())...)
		}
		err = r.Err()
		r.Release()
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// tablesOf lists the tables GetTables shows the user of ctx, as ns.name.
func tablesOf(t *testing.T, ctx context.Context, c *flightsql.Client) []string {
	t.Helper()
	info, err := c.GetTables(ctx, &flightsql.GetTablesOpts{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	r, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	for r.Next() {
		for _, row := range recordRows(r.RecordBatch()) {
			out = append(out, row[1].(string)+"."+row[2].(string))
		}
	}
	return out
}

func schemasOf(t *testing.T, ctx context.Context, c *flightsql.Client) []string {
	t.Helper()
	info, err := c.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	r, err := c.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	for r.Next() {
		for _, row := range recordRows(r.RecordBatch()) {
			out = append(out, row[1].(string))
		}
	}
	return out
}

// TestAccessControl: an admin creates users, roles and grants; a user sees
// and does only what is granted to it, from the next call on.
func TestAccessControl(t *testing.T) {
	s := startServer(t, serverOpts{access: true})
	c := s.client(t)
	root := login(t, c, accessRoot, accessRootPassword)
	for _, q := range []string{
		"CREATE SCHEMA sales", "CREATE SCHEMA hr",
		"CREATE TABLE sales.orders (id BIGINT NOT NULL, v VARCHAR, PRIMARY KEY (id))",
		"INSERT INTO sales.orders VALUES (1, 'a'), (2, 'b')",
		"CREATE TABLE hr.pay (id BIGINT NOT NULL, amount DOUBLE, PRIMARY KEY (id))",
		"INSERT INTO hr.pay VALUES (1, 10.5)",
		"CREATE VIEW sales.big AS SELECT * FROM hr.pay WHERE amount > 1",
		"CREATE USER bob PASSWORD 'bobpw'",
		"CREATE USER alice PASSWORD 'alicepw'",
		"CREATE ROLE analyst",
	} {
		execAs(t, root, c, q)
	}
	bob := login(t, c, "bob", "bobpw")
	sales := "sales"
	_, err := c.Client.AuthenticateBasicToken(context.Background(), "bob", "wrong")
	wantCode(t, err, codes.Unauthenticated, "")

	// No grants: nothing to see, nothing to do.
	if got := tablesOf(t, bob, c); len(got) != 0 {
		t.Fatalf("bob sees tables %v", got)
	}
	if got := schemasOf(t, bob, c); len(got) != 0 {
		t.Fatalf("bob sees schemas %v", got)
	}
	if rows, err := queryAs(t, bob, c, "SHOW TABLES IN sales"); err != nil || len(rows) != 0 {
		t.Fatalf("SHOW TABLES: %v %v", rows, err)
	}
	if rows, err := queryAs(t, bob, c, "SELECT table_name FROM information_schema.tables"); err != nil || len(rows) != 0 {
		t.Fatalf("information_schema.tables: %v %v", rows, err)
	}
	denied := func(ctx context.Context, q, msg string) {
		t.Helper()
		var err error
		if strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "CALL") || strings.HasPrefix(q, "DESCRIBE") {
			_, err = queryAs(t, ctx, c, q)
		} else {
			_, err = c.ExecuteUpdate(ctx, q)
		}
		wantCode(t, err, codes.PermissionDenied, msg)
	}
	denied(bob, "SELECT * FROM sales.orders", "user bob lacks SELECT on table sales.orders")
	denied(bob, "SELECT count(*) FROM sales.orders", "user bob lacks SELECT on table sales.orders")
	denied(bob, `SELECT * FROM sales."orders$history"`, "user bob lacks SELECT on table sales.orders")
	denied(bob, `SELECT * FROM sales."orders$files"`, "user bob lacks SELECT on table sales.orders")
	denied(bob, "SELECT * FROM table_changes('sales.orders', 0)", "user bob lacks SELECT on table sales.orders")
	denied(bob, "INSERT INTO sales.orders VALUES (3, 'c')", "user bob lacks INSERT on table sales.orders")
	denied(bob, "DELETE FROM sales.orders WHERE id = 1", "user bob lacks DELETE on table sales.orders")
	denied(bob, "UPDATE sales.orders SET v = 'z' WHERE id = 1", "user bob lacks UPDATE on table sales.orders")
	denied(bob, "TRUNCATE sales.orders", "user bob lacks DELETE on table sales.orders")
	denied(bob, "ALTER TABLE sales.orders ADD COLUMN w INT", "user bob lacks ALTER on table sales.orders")
	denied(bob, "DROP TABLE sales.orders", "user bob lacks DROP on table sales.orders")
	denied(bob, "CREATE TABLE sales.mine (a BIGINT)", "user bob lacks CREATE on schema sales")
	denied(bob, "CREATE SCHEMA mine", "user bob may not create schemas")
	denied(bob, "CALL sys.compact('sales.orders')", "user bob lacks ALTER on table sales.orders")
	denied(bob, "DESCRIBE sales.orders", "user bob lacks any privilege on table sales.orders")
	denied(bob, "CREATE USER carol PASSWORD 'x'", "user bob may not create users")
	denied(bob, "GRANT SELECT ON sales.orders TO bob", "user bob may not grant")
	denied(bob, "GRANT admin TO bob", "user bob may not grant")
	_, err = c.Prepare(bob, "SELECT * FROM sales.orders")
	wantCode(t, err, codes.PermissionDenied, "user bob lacks SELECT on table sales.orders")
	_, err = c.Prepare(bob, "DELETE FROM sales.orders WHERE id = ?")
	wantCode(t, err, codes.PermissionDenied, "user bob lacks DELETE on table sales.orders")
	sch := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	ingest := func(ctx context.Context) error {
		o := ingestOpts("orders", flightsql.TableDefinitionOptionsTableNotExistOptionFail, flightsql.TableDefinitionOptionsTableExistsOptionAppend, nil)
		sales := "sales"
		o.Schema = &sales
		_, err := c.ExecuteIngest(ctx, ingestBatch(t, sch, []int64{7}, []string{"g"}), o)
		return err
	}
	wantCode(t, ingest(bob), codes.PermissionDenied, "user bob lacks INSERT on table sales.orders")
	o := ingestOpts("fresh", flightsql.TableDefinitionOptionsTableNotExistOptionCreate, flightsql.TableDefinitionOptionsTableExistsOptionFail, nil)
	_, err = c.ExecuteIngest(bob, ingestBatch(t, sch, []int64{7}, []string{"g"}), o)
	wantCode(t, err, codes.PermissionDenied, "user bob lacks CREATE on schema default")
	pk, err := c.GetPrimaryKeys(bob, flightsql.TableRef{DBSchema: &sales, Table: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.DoGet(bob, pk.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		if n := r.RecordBatch().NumRows(); n != 0 {
			t.Fatalf("bob sees %d key columns of sales.orders", n)
		}
	}
	r.Release()

	// Grants through a role apply to the next call.
	execAs(t, root, c, "GRANT SELECT ON TABLE sales.orders TO analyst")
	execAs(t, root, c, "GRANT analyst TO bob")
	if rows, err := queryAs(t, bob, c, "SELECT id FROM sales.orders ORDER BY id"); err != nil || len(rows) != 2 {
		t.Fatalf("bob reads: %v %v", rows, err)
	}
	if got := tablesOf(t, bob, c); strings.Join(got, ",") != "sales.orders" {
		t.Fatalf("bob sees %v", got)
	}
	for _, q := range []string{`SELECT * FROM sales."orders$history"`, "SELECT * FROM table_changes('sales.orders', 0)", "DESCRIBE sales.orders"} {
		if _, err := queryAs(t, bob, c, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ps, err := c.Prepare(bob, "SELECT * FROM sales.orders")
	if err != nil {
		t.Fatal(err)
	}
	// A DuckDB join reads every table it names; a view, the tables it reads.
	denied(bob, "SELECT * FROM sales.orders o JOIN hr.pay p ON o.id = p.id", "user bob lacks SELECT on table hr.pay")
	execAs(t, root, c, "GRANT SELECT ON sales.big TO bob")
	denied(bob, "SELECT * FROM sales.big", "user bob lacks SELECT on table hr.pay")

	execAs(t, root, c, "GRANT INSERT, UPDATE, DELETE, ALTER, DROP ON TABLE sales.orders TO bob")
	for _, q := range []string{
		"INSERT INTO sales.orders VALUES (3, 'c')",
		"UPDATE sales.orders SET v = 'z' WHERE id = 3",
		"DELETE FROM sales.orders WHERE id = 3",
		"ALTER TABLE sales.orders ADD COLUMN w INT",
	} {
		execAs(t, bob, c, q)
	}
	if _, err := queryAs(t, bob, c, "CALL sys.compact('sales.orders')"); err != nil {
		t.Fatal(err)
	}
	sch = arrow.NewSchema(append(sch.Fields(), arrow.Field{Name: "w", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), nil)
	if err := ingestW(t, c, bob, sch); err != nil {
		t.Fatal(err)
	}

	// Revoked: refused again, also for a statement prepared before and
	// for tickets planned before.
	scan, err := c.Execute(bob, "SELECT * FROM sales.orders")
	if err != nil {
		t.Fatal(err)
	}
	agg, err := c.Execute(bob, "SELECT count(*) FROM sales.orders")
	if err != nil {
		t.Fatal(err)
	}
	execAs(t, root, c, "REVOKE SELECT ON sales.orders FROM analyst")
	for _, info := range []*flight.FlightInfo{scan, agg} {
		r, err := c.DoGet(bob, info.Endpoint[0].Ticket)
		if err == nil {
			for r.Next() {
			}
			err = r.Err()
			r.Release()
		}
		wantCode(t, err, codes.PermissionDenied, "user bob lacks SELECT on table sales.orders")
	}
	denied(bob, "SELECT * FROM sales.orders", "user bob lacks SELECT on table sales.orders")
	_, err = ps.Execute(bob)
	wantCode(t, err, codes.PermissionDenied, "user bob lacks SELECT on table sales.orders")
	_ = ps.Close(bob)
	execAs(t, root, c, "REVOKE ALL ON sales.orders FROM bob")
	denied(bob, "INSERT INTO sales.orders VALUES (4, 'd')", "user bob lacks INSERT on table sales.orders")

	// A schema grant covers tables created later.
	execAs(t, root, c, "GRANT SELECT, CREATE ON SCHEMA sales TO bob")
	execAs(t, root, c, "CREATE TABLE sales.later (a BIGINT)")
	if _, err := queryAs(t, bob, c, "SELECT * FROM sales.later"); err != nil {
		t.Fatal(err)
	}
	execAs(t, bob, c, "CREATE TABLE sales.mine (a BIGINT)")
	denied(bob, "INSERT INTO sales.later VALUES (1)", "user bob lacks INSERT on table sales.later")
	// The creator of a table holds every privilege on it.
	execAs(t, bob, c, "INSERT INTO sales.mine VALUES (1)")
	execAs(t, bob, c, "DROP TABLE sales.mine")
	execAs(t, bob, c, "CREATE TABLE sales.mine AS SELECT * FROM sales.later")
	execAs(t, bob, c, "CREATE VIEW sales.mv AS SELECT * FROM sales.mine")
	if _, err := queryAs(t, bob, c, "SELECT * FROM sales.mv"); err != nil {
		t.Fatal(err)
	}
	denied(bob, "CREATE TABLE hr.x AS SELECT * FROM sales.later", "user bob lacks CREATE on schema hr")
	if rows, err := queryAs(t, bob, c, "SHOW GRANTS"); err != nil || len(rows) != 3+6+6 {
		t.Fatalf("SHOW GRANTS: %v %v", rows, err)
	}

	// A ticket planned for alice is refused to bob, and a prepared
	// statement too.
	execAs(t, root, c, "GRANT SELECT ON SCHEMA sales TO alice")
	alice := login(t, c, "alice", "alicepw")
	info, err := c.Execute(alice, "SELECT * FROM sales.later")
	if err != nil {
		t.Fatal(err)
	}
	r, err = c.DoGet(bob, info.Endpoint[0].Ticket)
	if err == nil {
		for r.Next() {
		}
		err = r.Err()
		r.Release()
	}
	wantCode(t, err, codes.PermissionDenied, "another user")
	aps, err := c.Prepare(alice, "SELECT * FROM sales.later")
	if err != nil {
		t.Fatal(err)
	}
	_, err = aps.Execute(bob) // the handle alice got, sent with bob's token
	wantCode(t, err, codes.PermissionDenied, "another user")
	_ = aps.Close(alice)

	// Errors change nothing.
	errs := []struct {
		q    string
		code codes.Code
		msg  string
	}{
		{"CREATE USER bob PASSWORD 'x'", codes.AlreadyExists, "bob is already a user"},
		{"CREATE ROLE bob", codes.AlreadyExists, "bob is already a user"},
		{"CREATE USER root PASSWORD 'x'", codes.AlreadyExists, "configuration"},
		{"DROP USER nobody", codes.NotFound, "user nobody does not exist"},
		{"DROP ROLE nobody", codes.NotFound, "role nobody does not exist"},
		{"GRANT SELECT ON sales.orders TO nobody", codes.NotFound, "no user or role nobody"},
		{"GRANT SELECT ON sales.nothing TO bob", codes.NotFound, "nothing"},
		{"GRANT nobody TO bob", codes.NotFound, "role nobody does not exist"},
		{"GRANT CREATE ON sales.orders TO bob", codes.InvalidArgument, "CREATE is granted on a schema"},
		{"GRANT SELECT ON TO bob", codes.InvalidArgument, "column 17"},
		{"DROP ROLE admin", codes.InvalidArgument, "built in"},
	}
	for _, e := range errs {
		_, err := c.ExecuteUpdate(root, e.q)
		wantCode(t, err, e.code, e.msg)
	}
	execAs(t, root, c, "DROP USER IF EXISTS nobody")

	// Users change their own password; a dropped user's token stops working.
	execAs(t, bob, c, "ALTER USER bob PASSWORD 'newpw'")
	denied(bob, "ALTER USER alice PASSWORD 'x'", "may not change another user's password")
	_, err = c.Client.AuthenticateBasicToken(context.Background(), "bob", "bobpw")
	wantCode(t, err, codes.Unauthenticated, "")
	bob = login(t, c, "bob", "newpw")
	rows, err := queryAs(t, root, c, "SHOW USERS")
	if err != nil || len(rows) != 3 {
		t.Fatalf("SHOW USERS: %v %v", rows, err)
	}
	if rows, err := queryAs(t, root, c, "SHOW ROLES"); err != nil || len(rows) != 2 {
		t.Fatalf("SHOW ROLES: %v %v", rows, err)
	}
	execAs(t, root, c, "DROP USER bob")
	denied(bob, "SELECT * FROM sales.later", "user bob does not exist")

	// Grants follow a renamed table and go with a dropped one.
	execAs(t, root, c, "GRANT SELECT ON sales.orders TO alice")
	execAs(t, root, c, "ALTER TABLE sales.orders RENAME TO sales.orders2")
	if _, err := queryAs(t, alice, c, "SELECT * FROM sales.orders2"); err != nil {
		t.Fatal(err)
	}
	execAs(t, root, c, "REVOKE SELECT ON SCHEMA sales FROM alice")
	execAs(t, root, c, "DROP TABLE sales.orders2")
	execAs(t, root, c, "CREATE TABLE sales.orders2 (a BIGINT)")
	denied(alice, "SELECT * FROM sales.orders2", "user alice lacks SELECT on table sales.orders2")

	// The admin role makes a SQL user an admin.
	execAs(t, root, c, "GRANT admin TO alice")
	execAs(t, alice, c, "CREATE USER dave PASSWORD 'd'")
	if got := tablesOf(t, alice, c); len(got) < 4 {
		t.Fatalf("admin alice sees %v", got)
	}
}

func ingestW(t *testing.T, c *flightsql.Client, ctx context.Context, sch *arrow.Schema) error {
	t.Helper()
	o := ingestOpts("orders", flightsql.TableDefinitionOptionsTableNotExistOptionFail, flightsql.TableDefinitionOptionsTableExistsOptionAppend, nil)
	sales := "sales"
	o.Schema = &sales
	rr := ingestBatch(t, arrow.NewSchema(sch.Fields()[:2], nil), []int64{8}, []string{"h"})
	_, err := c.ExecuteIngest(ctx, rr, o)
	return err
}

// TestAccessReplicas: two servers on one etcd see each other's grants on
// the next call.
func TestAccessReplicas(t *testing.T) {
	cli := etcdtest.Start(t)
	st, err := lsio.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s1 := startServer(t, serverOpts{access: true, etcd: cli, storage: st})
	s2 := startServer(t, serverOpts{access: true, etcd: cli, storage: st})
	c1, c2 := s1.client(t), s2.client(t)
	root1 := login(t, c1, accessRoot, accessRootPassword)
	root2 := login(t, c2, accessRoot, accessRootPassword)
	execAs(t, root1, c1, "CREATE TABLE t (a BIGINT)")
	execAs(t, root1, c1, "CREATE USER bob PASSWORD 'pw'")
	bob2 := login(t, c2, "bob", "pw") // a user created on s1 logs in on s2
	_, err = queryAs(t, bob2, c2, "SELECT * FROM t")
	wantCode(t, err, codes.PermissionDenied, "user bob lacks SELECT on table default.t")
	execAs(t, root1, c1, "GRANT SELECT ON t TO bob")
	if _, err := queryAs(t, bob2, c2, "SELECT * FROM t"); err != nil {
		t.Fatal(err)
	}
	bob1 := login(t, c1, "bob", "pw")
	execAs(t, root2, c2, "REVOKE SELECT ON t FROM bob")
	_, err = queryAs(t, bob1, c1, "SELECT * FROM t")
	wantCode(t, err, codes.PermissionDenied, "user bob lacks SELECT on table default.t")
}

// TestAccessOff: without authentication nothing is checked, and the
// statements still manage users.
func TestAccessOff(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client(t)
	exec(t, c, "CREATE TABLE t (a BIGINT)")
	exec(t, c, "CREATE USER bob PASSWORD 'pw'")
	exec(t, c, "GRANT SELECT ON t TO bob")
	if rows := query(t, c, "SHOW GRANTS FOR bob"); len(rows) != 1 {
		t.Fatalf("SHOW GRANTS: %v", rows)
	}
	_ = auth.AnonymousUser
}
