package flightsql

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/duck"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// SHOW, DESCRIBE and EXPLAIN answer from the catalog and the planner: their
// small results are computed when the statement is planned and travel in
// the ticket.

var (
	showSchemasSchema = arrow.NewSchema([]arrow.Field{str("schema_name")}, nil)
	showTablesSchema  = arrow.NewSchema([]arrow.Field{str("table_name"), str("table_type")}, nil)
	showColumnsSchema = arrow.NewSchema([]arrow.Field{
		str("column_name"), str("column_type"), str("null"), nstr("key"), nstr("default"), nstr("extra"),
	}, nil)
	showCreateSchema = arrow.NewSchema([]arrow.Field{str("name"), str("create_statement")}, nil)
	explainSchema    = arrow.NewSchema([]arrow.Field{str("plan")}, nil)
)

// record builds a one-batch result row by row.
func (s *Server) record(sch *arrow.Schema, rows [][]any) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(s.cfg.Allocator, sch)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			if err := arrowconv.AppendValue(b.Field(i), v); err != nil {
				return nil, err
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func (s *Server) rowsResult(sch *arrow.Schema, rows [][]any, env queryEnv) (*queryPlan, error) {
	rec, err := s.record(sch, rows)
	if err != nil {
		return nil, err
	}
	return s.rowsPlan(rec, env)
}

func likePattern(p string) *string {
	if p == "" {
		return nil
	}
	return &p
}

func (s *Server) showSchemas(ctx context.Context, x *sqlparse.ShowSchemas, env queryEnv) (*queryPlan, error) {
	nss, err := s.listNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, ns := range nss {
		if likeMatch(likePattern(x.Like), ns.Name) {
			rows = append(rows, []any{ns.Name})
		}
	}
	return s.rowsResult(showSchemasSchema, rows, env)
}

func (s *Server) showTables(ctx context.Context, x *sqlparse.ShowTables, env queryEnv) (*queryPlan, error) {
	ns, _, err := s.qualify(sqlparse.TableName{Catalog: x.Catalog, Schema: x.Schema}, env.schema)
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Catalog.GetNamespace(ctx, ns); err != nil {
		return nil, err
	}
	rels, err := s.relations(ctx, &ns, likePattern(x.Like))
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, r := range rels {
		if r.Namespace == ns { // the pattern is exact, but LIKE treats _ as a wildcard
			rows = append(rows, []any{r.Name, r.typeName()})
		}
	}
	return s.rowsResult(showTablesSchema, rows, env)
}

// lookupRelation finds the table or view a name refers to.
func (s *Server) lookupRelation(ctx context.Context, n sqlparse.TableName, schema string) (relation, error) {
	ns, name, err := s.qualify(n, schema)
	if err != nil {
		return relation{}, err
	}
	if err := s.requireVisible(ctx, ns, name); err != nil {
		return relation{}, err
	}
	t, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	if err == nil {
		return relation{Namespace: ns, Name: name, Table: t}, nil
	}
	if !isNotFound(err) {
		return relation{}, err
	}
	v, verr := s.cfg.Catalog.LoadView(ctx, ns, name)
	if verr != nil {
		return relation{}, err // the table's "not found" names what was looked for
	}
	return relation{Namespace: ns, Name: name, View: v}, nil
}

func (s *Server) showColumns(ctx context.Context, x *sqlparse.ShowColumns, env queryEnv) (*queryPlan, error) {
	r, err := s.lookupRelation(ctx, x.Table, env.schema)
	if err != nil {
		return nil, err
	}
	sch, err := s.schemaOfRelation(ctx, r)
	if err != nil {
		return nil, err
	}
	if x.AsOf != nil {
		// The columns of a past version: resolve it as a query would.
		src, err := (resolver{s}).Resolve(ctx, sqlparse.TableRef{Name: x.Table, AsOf: x.AsOf}, env.schema)
		if err != nil {
			return nil, err
		}
		if src.Kind != plan.SourceTable {
			return nil, invalidf("%s.%s has no versions to travel to", r.Namespace, r.Name)
		}
		sch = publicSchema(src.Snapshot.Table.Schema)
	}
	var rows [][]any
	for _, f := range sch.Fields() {
		null := "YES"
		if !f.Nullable {
			null = "NO"
		}
		var key, extra any
		if r.Table != nil {
			if slices.Contains(r.Table.PrimaryKey, f.Name) {
				key, null = "PRI", "NO"
			}
			if slices.Contains(r.Table.PartitionBy, f.Name) {
				extra = "partition key"
			}
		}
		rows = append(rows, []any{f.Name, arrowconv.TypeName(f.Type), null, key, nil, extra})
	}
	return s.rowsResult(showColumnsSchema, rows, env)
}

func (s *Server) showCreateTable(ctx context.Context, x *sqlparse.ShowCreateTable, env queryEnv) (*queryPlan, error) {
	r, err := s.lookupRelation(ctx, x.Table, env.schema)
	if err != nil {
		return nil, err
	}
	if x.View && r.View == nil {
		return nil, invalidf("%s.%s is a table, not a view (use SHOW CREATE TABLE)", r.Namespace, r.Name)
	}
	full := plan.QuoteName(r.Namespace, r.Name)
	var ddl string
	if r.View != nil {
		cols := ""
		if len(r.View.Columns) > 0 {
			q := make([]string, len(r.View.Columns))
			for i, c := range r.View.Columns {
				q[i] = duck.Quote(c)
			}
			cols = " (" + strings.Join(q, ", ") + ")"
		}
		ddl = "CREATE VIEW " + full + cols + " AS\n" + r.View.SQL
	} else {
		ddl = createTableDDL(r.Table)
	}
	return s.rowsResult(showCreateSchema, [][]any{{r.Namespace + "." + r.Name, ddl}}, env)
}

// createTableDDL renders the CREATE TABLE statement that makes a table
// like t (same columns, key, partitioning, buckets and properties).
func createTableDDL(t *catalog.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", plan.QuoteName(t.Namespace, t.Name))
	for i, f := range t.Schema.Fields() {
		fmt.Fprintf(&b, "  %s %s", duck.Quote(f.Name), arrowconv.TypeName(f.Type))
		if !f.Nullable && !slices.Contains(t.PrimaryKey, f.Name) {
			b.WriteString(" NOT NULL")
		}
		if i < t.Schema.NumFields()-1 || len(t.PrimaryKey) > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	if len(t.PrimaryKey) > 0 {
		fmt.Fprintf(&b, "  PRIMARY KEY (%s)\n", quoteList(t.PrimaryKey))
	}
	b.WriteString(")")
	if len(t.PartitionBy) > 0 {
		fmt.Fprintf(&b, " PARTITIONED BY (%s)", quoteList(t.PartitionBy))
	}
	var opts []string
	if len(t.PrimaryKey) > 0 {
		opts = append(opts, fmt.Sprintf("hash_bucket_num = %d", t.HashBucketNum))
	}
	for _, k := range slices.Sorted(maps.Keys(t.Properties)) {
		opts = append(opts, sqlString(k)+" = "+sqlString(t.Properties[k]))
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, " WITH (%s)", strings.Join(opts, ", "))
	}
	return b.String()
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = duck.Quote(n)
	}
	return strings.Join(q, ", ")
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// explain plans a query and returns its plan as rows of text.
func (s *Server) explain(ctx context.Context, x *sqlparse.Explain, env queryEnv) (*queryPlan, error) {
	if x.Analyze {
		return nil, invalidf("EXPLAIN ANALYZE is not supported; EXPLAIN shows the plan without running it")
	}
	p, err := s.buildPlan(ctx, x.Query, queryEnv{schema: env.schema, params: env.params})
	if err != nil {
		return nil, err
	}
	lines, err := plan.Explain(ctx, p, s.cfg.Storage)
	if err != nil {
		return nil, err
	}
	rows := make([][]any, len(lines))
	for i, l := range lines {
		rows[i] = []any{l}
	}
	return s.rowsResult(explainSchema, rows, env)
}

// truncate removes every row of a table in one commit.
func (s *Server) truncate(ctx context.Context, x *sqlparse.Truncate, env updateEnv) (int64, error) {
	tbl, err := s.loadTarget(ctx, x.Table, env.schema, catalog.PrivDelete)
	if err != nil {
		return 0, err
	}
	_, err = s.cfg.Writer.Overwrite(ctx, tbl, txn.OverwriteOptions{})
	return 0, err
}
