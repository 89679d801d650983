package flightsql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/duck"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/maintain"
	"github.com/lakesoul-io/lakesoul-flight/mor"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// DefaultHashBuckets is hash_bucket_num for a primary-key table created
// without one.
const DefaultHashBuckets = 4

// DoPutCommandStatementUpdate runs DDL and DML and reports affected rows.
func (s *Server) DoPutCommandStatementUpdate(ctx context.Context, cmd flightsql.StatementUpdate) (int64, error) {
	st, err := sqlparse.Parse(cmd.GetQuery())
	if err != nil {
		return 0, toStatus(err)
	}
	n, err := s.execUpdate(ctx, st, nil)
	return n, toStatus(err)
}

// kindOf names a statement for metrics.
func kindOf(st sqlparse.Statement) string {
	switch st.(type) {
	case *sqlparse.Insert:
		return "insert"
	case *sqlparse.Update:
		return "update"
	case *sqlparse.Delete:
		return "delete"
	case *sqlparse.CreateTable:
		return "create_table_as"
	case *sqlparse.Call:
		return "" // counts calls, not rows
	}
	return "other"
}

// execUpdate runs a statement that is not a query; params are the bound
// parameter rows (nil without parameters).
func (s *Server) execUpdate(ctx context.Context, st sqlparse.Statement, params paramRows) (int64, error) {
	n, err := s.runStatement(ctx, st, params)
	if err == nil && n > 0 && kindOf(st) != "" {
		s.metrics.rowsWritten.WithLabelValues(kindOf(st)).Add(float64(n))
	}
	return n, err
}

func (s *Server) runStatement(ctx context.Context, st sqlparse.Statement, params paramRows) (int64, error) {
	if n := sqlparse.NumParams(st); n > 0 {
		if len(params) == 0 {
			return 0, invalidf("the statement has %d parameters and none were bound", n)
		}
		if len(params[0]) < n {
			return 0, invalidf("the statement has %d parameters but %d were bound", n, len(params[0]))
		}
	}
	fn, ok := updateKinds[typeOf(st)]
	if !ok {
		if isQuery(st) {
			return 0, invalidf("the statement is a query; run it as a query")
		}
		return 0, invalidf("unsupported statement %T", st)
	}
	return fn(s, ctx, st, updateEnv{schema: s.schemaOf(ctx), params: params})
}

func (s *Server) createSchema(ctx context.Context, x *sqlparse.CreateSchema, _ updateEnv) (int64, error) {
	if err := s.requireAdmin(ctx, "create schemas"); err != nil {
		return 0, err
	}
	_, err := s.cfg.Catalog.CreateNamespace(ctx, x.Name, nil)
	if x.IfNotExists && errors.Is(err, catalog.ErrAlreadyExists) {
		err = nil
	}
	return 0, err
}

func (s *Server) use(ctx context.Context, x *sqlparse.Use, _ updateEnv) (int64, error) {
	if _, err := s.cfg.Catalog.GetNamespace(ctx, x.Schema); err != nil {
		return 0, err
	}
	setSession(ctx, session{Schema: x.Schema})
	return 0, nil
}

func (s *Server) dropTable(ctx context.Context, x *sqlparse.DropTable, env updateEnv) (int64, error) {
	ns, name, err := s.qualify(x.Table, env.schema)
	if err != nil {
		return 0, err
	}
	if err := s.requireTable(ctx, catalog.PrivDrop, ns, name); err != nil {
		return 0, err
	}
	_, err = s.cfg.Catalog.DropTable(ctx, ns, name)
	if err == nil {
		s.followObject(ctx, catalog.Object{Namespace: ns, Table: name}, nil)
	}
	if x.IfExists && errors.Is(err, catalog.ErrNotFound) {
		err = nil
	}
	return 0, err
}

func (s *Server) dropSchema(ctx context.Context, x *sqlparse.DropSchema, _ updateEnv) (int64, error) {
	if err := s.requireSchema(ctx, catalog.PrivDrop, x.Name); err != nil {
		return 0, err
	}
	if x.Cascade {
		tables, err := s.cfg.Catalog.ListTables(ctx, x.Name)
		if err != nil && !(x.IfExists && errors.Is(err, catalog.ErrNotFound)) {
			return 0, err
		}
		for _, t := range tables {
			if _, err := s.cfg.Catalog.DropTable(ctx, t.Namespace, t.Name); err != nil && !errors.Is(err, catalog.ErrNotFound) {
				return 0, err
			}
		}
		views, err := s.cfg.Catalog.ListViews(ctx, x.Name)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return 0, err
		}
		for _, v := range views {
			if err := s.cfg.Catalog.DropView(ctx, v.Namespace, v.Name); err != nil && !errors.Is(err, catalog.ErrNotFound) {
				return 0, err
			}
		}
	}
	err := s.cfg.Catalog.DropNamespace(ctx, x.Name)
	if err == nil {
		s.followObject(ctx, catalog.Object{Namespace: x.Name}, nil)
	}
	if x.IfExists && errors.Is(err, catalog.ErrNotFound) {
		err = nil
	}
	if errors.Is(err, catalog.ErrNotEmpty) {
		err = fmt.Errorf("%w (drop its tables and views first, or use DROP SCHEMA %s CASCADE)", err, x.Name)
	}
	return 0, err
}

// tableOptions applies WITH (...) options to spec: hash_bucket_num, and
// for CREATE TABLE AS SELECT primary_key and partition_by (comma-separated
// column lists); the other options become table properties.
func tableOptions(spec *catalog.TableSpec, opts map[string]string) error {
	props := map[string]string{}
	for k, v := range opts {
		switch k {
		case "hash_bucket_num":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return invalidf("%s must be a positive integer, got %q", k, v)
			}
			spec.HashBucketNum = n
		case "primary_key":
			if len(spec.PrimaryKey) > 0 {
				return invalidf("the primary key is given twice (PRIMARY KEY and the primary_key option)")
			}
			spec.PrimaryKey = splitList(v)
		case "partition_by":
			if len(spec.PartitionBy) > 0 {
				return invalidf("partition columns are given twice (PARTITIONED BY and the partition_by option)")
			}
			spec.PartitionBy = splitList(v)
		default:
			props[k] = v
		}
	}
	hasKey := len(spec.PrimaryKey) > 0
	if spec.HashBucketNum == 0 && hasKey {
		spec.HashBucketNum = DefaultHashBuckets
	}
	if !hasKey && spec.HashBucketNum > 1 {
		return invalidf("hash_bucket_num needs a primary key: rows are bucketed by the hash of their key")
	}
	if len(props) > 0 {
		spec.Properties = props
	}
	return checkMaintenanceProps(spec)
}

// checkMaintenanceProps refuses maintenance properties the maintenance
// service could not use (a trigger of 1, a negative retention, a duration
// that does not parse), so that a table never silently goes unmaintained.
func checkMaintenanceProps(spec *catalog.TableSpec) error {
	_, err := maintain.PolicyOf(&catalog.Table{Namespace: spec.Namespace, Name: spec.Name,
		PrimaryKey: spec.PrimaryKey, PartitionBy: spec.PartitionBy, Properties: spec.Properties})
	if err != nil {
		return invalidf("%v", err)
	}
	return nil
}

func (s *Server) createTable(ctx context.Context, x *sqlparse.CreateTable, env updateEnv) (int64, error) {
	schema := env.schema
	ns, name, err := s.qualify(x.Table, schema)
	if err != nil {
		return 0, err
	}
	if err := s.requireSchema(ctx, catalog.PrivCreate, ns); err != nil {
		return 0, err
	}
	spec := catalog.TableSpec{Namespace: ns, Name: name, PrimaryKey: x.PrimaryKey, PartitionBy: x.PartitionBy}
	if err := tableOptions(&spec, x.Options); err != nil {
		return 0, err
	}
	if x.AsQuery != nil {
		recs, sch, err := s.runQuery(ctx, x.AsQuery, schema, nil)
		if err != nil {
			return 0, err
		}
		defer arrowconv.ReleaseAll(recs)
		spec.Schema = publicSchema(sch)
		tbl, err := s.cfg.Catalog.CreateTable(ctx, spec)
		if err != nil {
			if x.IfNotExists && errors.Is(err, catalog.ErrAlreadyExists) {
				return 0, nil
			}
			return 0, err
		}
		if err := s.grantOwner(ctx, ns, name); err != nil {
			return 0, err
		}
		if len(recs) == 0 {
			return 0, nil
		}
		if _, err := s.cfg.Writer.Write(ctx, tbl, recs...); err != nil {
			if _, derr := s.cfg.Catalog.DropTable(ctx, ns, name); derr == nil {
				s.followObject(ctx, catalog.Object{Namespace: ns, Table: name}, nil)
			}
			return 0, err
		}
		return arrowconv.CountRows(recs), nil
	}
	fields := make([]arrow.Field, len(x.Columns))
	for i, c := range x.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: !c.NotNull && !slices.Contains(spec.PrimaryKey, c.Name)}
	}
	spec.Schema = arrow.NewSchema(fields, nil)
	_, err = s.cfg.Catalog.CreateTable(ctx, spec)
	if x.IfNotExists && errors.Is(err, catalog.ErrAlreadyExists) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return 0, s.grantOwner(ctx, ns, name)
}

// loadTarget loads the table a DML statement writes.
func (s *Server) loadTarget(ctx context.Context, n sqlparse.TableName, schema string, priv catalog.Privilege) (*catalog.Table, error) {
	ns, name, err := s.qualify(n, schema)
	if err != nil {
		return nil, err
	}
	if err := s.requireTable(ctx, priv, ns, name); err != nil {
		return nil, err
	}
	if _, _, _, meta := metaTable(name); meta {
		return nil, invalidf("%s.%s is a metadata table and cannot be written", ns, name)
	}
	return s.cfg.Catalog.LoadTable(ctx, ns, name)
}

func (s *Server) insert(ctx context.Context, x *sqlparse.Insert, env updateEnv) (int64, error) {
	schema, params := env.schema, env.params
	tbl, err := s.loadTarget(ctx, x.Table, schema, catalog.PrivInsert)
	if err != nil {
		return 0, err
	}
	target, err := targetFields(tbl, x.Columns)
	if err != nil {
		return 0, err
	}
	var recs []arrow.RecordBatch
	defer func() { arrowconv.ReleaseAll(recs) }()
	if x.Query != nil {
		var args []any
		if len(params) > 0 {
			args = params[0]
		}
		res, sch, err := s.runQuery(ctx, x.Query, schema, args)
		if err != nil {
			return 0, err
		}
		defer arrowconv.ReleaseAll(res)
		if sch.NumFields() != len(target) {
			return 0, invalidf("INSERT has %d target columns but the query returns %d", len(target), sch.NumFields())
		}
		for _, r := range res {
			renamed := renameColumns(r, target)
			c, err := arrowconv.CastRecord(s.cfg.Allocator, renamed, target)
			renamed.Release()
			if err != nil {
				return 0, err
			}
			recs = append(recs, c)
		}
	} else {
		rec, err := s.valuesRecord(ctx, target, x.Rows, params)
		if err != nil {
			return 0, err
		}
		recs = append(recs, rec)
	}
	n := arrowconv.CountRows(recs)
	if n == 0 {
		return 0, nil
	}
	if _, err := s.cfg.Writer.Write(ctx, tbl, recs...); err != nil {
		return 0, err
	}
	return n, nil
}

// targetFields returns the table fields an INSERT names (all without a
// list), checking that key columns are present.
func targetFields(tbl *catalog.Table, cols []string) ([]arrow.Field, error) {
	if len(cols) == 0 {
		return publicSchema(tbl.Schema).Fields(), nil
	}
	out := make([]arrow.Field, 0, len(cols))
	seen := map[string]bool{}
	for _, c := range cols {
		f, ok := fieldOf(tbl.Schema, c)
		if !ok {
			return nil, invalidf("table %s.%s has no column %q", tbl.Namespace, tbl.Name, c)
		}
		if seen[c] {
			return nil, invalidf("column %q is listed twice", c)
		}
		seen[c] = true
		out = append(out, arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable})
	}
	for _, k := range slices.Concat(tbl.PrimaryKey, tbl.PartitionBy) {
		if !seen[k] {
			return nil, invalidf("INSERT into %s.%s must set primary key and partition column %q", tbl.Namespace, tbl.Name, k)
		}
	}
	return out, nil
}

// valuesRecord builds the rows of INSERT ... VALUES: once per parameter row
// when the statement has parameters (a JDBC batch is one commit).
func (s *Server) valuesRecord(ctx context.Context, target []arrow.Field, rows [][]sqlparse.Expr, params paramRows) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, len(target))
	for i, f := range target {
		fields[i] = arrow.Field{Name: f.Name, Type: f.Type, Nullable: true}
	}
	b := array.NewRecordBuilder(s.cfg.Allocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	sets := params
	if len(sets) == 0 {
		sets = paramRows{nil}
	}
	for _, args := range sets {
		for ri, row := range rows {
			if len(row) != len(target) {
				return nil, invalidf("VALUES row %d has %d values for %d columns", ri+1, len(row), len(target))
			}
			vals, ok := literalRow(row, args)
			if !ok {
				var err error
				if vals, err = s.evalRow(ctx, row, args); err != nil {
					return nil, err
				}
			}
			for i, v := range vals {
				if err := arrowconv.AppendValue(b.Field(i), v); err != nil {
					return nil, invalidf("VALUES row %d, column %q: %v", ri+1, target[i].Name, err)
				}
			}
		}
	}
	return b.NewRecordBatch(), nil
}

// evalRow evaluates a VALUES row of expressions in DuckDB.
func (s *Server) evalRow(ctx context.Context, row []sqlparse.Expr, args []any) ([]any, error) {
	parts := make([]string, len(row))
	for i, e := range row {
		parts[i] = e.SQL()
	}
	rr, err := s.duck.Query(ctx, "SELECT "+strings.Join(parts, ", "), nil, args)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	if !rr.Next() || rr.RecordBatch().NumRows() != 1 {
		return nil, invalidf("evaluating VALUES gave no row")
	}
	rec := rr.RecordBatch()
	out := make([]any, rec.NumCols())
	for i := range out {
		if out[i], err = arrowconv.GoValue(rec.Column(i), 0); err != nil {
			return nil, invalidf("VALUES: %v", err)
		}
	}
	return out, nil
}

// runQuery runs a query to completion and returns its batches; args are
// one row of parameter values (nil for none).
func (s *Server) runQuery(ctx context.Context, q *sqlparse.Query, schema string, args []any) ([]arrow.RecordBatch, *arrow.Schema, error) {
	env := queryEnv{schema: schema}
	if len(args) > 0 {
		var err error
		if env.paramsIPC, err = s.paramsIPC(args); err != nil {
			return nil, nil, err
		}
		if env.params, err = decodeParams(s.cfg.Allocator, env.paramsIPC); err != nil {
			return nil, nil, err
		}
	}
	p, err := s.planQuery(ctx, q, env)
	if err != nil {
		return nil, nil, err
	}
	recs, err := s.readAll(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	sch := p.schema
	if len(recs) > 0 {
		sch = recs[0].Schema()
	}
	return recs, sch, nil
}

// readAll reads every endpoint of a plan in this process.
func (s *Server) readAll(ctx context.Context, p *queryPlan) ([]arrow.RecordBatch, error) {
	var recs []arrow.RecordBatch
	for i := range p.tickets {
		rr, err := s.openTicket(ctx, &p.tickets[i])
		if err != nil {
			arrowconv.ReleaseAll(recs)
			return nil, err
		}
		for rr.Next() {
			r := rr.RecordBatch()
			r.Retain()
			recs = append(recs, r)
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			arrowconv.ReleaseAll(recs)
			return nil, err
		}
	}
	return recs, nil
}

// paramsIPC encodes one row of Go values as a parameter batch.
func (s *Server) paramsIPC(args []any) ([]byte, error) {
	fields := make([]arrow.Field, len(args))
	for i, a := range args {
		fields[i] = arrow.Field{Name: fmt.Sprintf("p%d", i+1), Type: goType(a), Nullable: true}
	}
	b := array.NewRecordBuilder(s.cfg.Allocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for i, a := range args {
		if err := arrowconv.AppendValue(b.Field(i), a); err != nil {
			return nil, invalidf("parameter %d: %v", i+1, err)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return encodeParams(s.cfg.Allocator, []arrow.RecordBatch{rec})
}

// goType is the Arrow type that holds a Go value of paramRows.
func goType(v any) arrow.DataType {
	switch v.(type) {
	case nil:
		return arrow.Null
	case bool:
		return arrow.FixedWidthTypes.Boolean
	case int64, uint64:
		return arrow.PrimitiveTypes.Int64
	case float64:
		return arrow.PrimitiveTypes.Float64
	case []byte:
		return arrow.BinaryTypes.Binary
	}
	if _, ok := v.(interface{ UnixMicro() int64 }); ok {
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// renameColumns gives rec's columns the names of target, by position.
func renameColumns(rec arrow.RecordBatch, target []arrow.Field) arrow.RecordBatch {
	fields := make([]arrow.Field, rec.NumCols())
	for i := range fields {
		f := rec.Schema().Field(i)
		fields[i] = arrow.Field{Name: target[i].Name, Type: f.Type, Nullable: true}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), rec.Columns(), rec.NumRows())
}

// whereFilter converts a DELETE or UPDATE predicate for each parameter
// row and ORs them, so a batch of parameter rows is one commit.
func whereFilter(verb string, where sqlparse.Expr, sch *arrow.Schema, sets paramRows) (mor.Expr, error) {
	if len(sets) == 0 {
		sets = paramRows{nil}
	}
	var ors []mor.Expr
	for _, args := range sets {
		filter, ok := plan.Filter(where, sch, args)
		if !ok {
			return nil, invalidf("%s supports WHERE predicates made of comparisons between a column and a constant, IN, BETWEEN, IS [NOT] NULL, AND, OR and NOT; %q is beyond that", verb, where.SQL())
		}
		if filter == nil {
			return nil, nil // no WHERE: every row
		}
		ors = append(ors, filter)
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return mor.Or(ors...), nil
}

func (s *Server) deleteWhere(ctx context.Context, x *sqlparse.Delete, env updateEnv) (int64, error) {
	schema, params := env.schema, env.params
	tbl, err := s.loadTarget(ctx, x.Table, schema, catalog.PrivDelete)
	if err != nil {
		return 0, err
	}
	filter, err := whereFilter("DELETE", x.Where, tbl.Schema, params)
	if err != nil {
		return 0, err
	}
	_, n, err := s.cfg.Writer.Delete(ctx, tbl, filter)
	return n, err
}

// update runs UPDATE. When the SET expressions take parameters, each
// parameter row is its own commit; otherwise the rows' predicates are ORed
// into one.
func (s *Server) update(ctx context.Context, x *sqlparse.Update, env updateEnv) (int64, error) {
	schema, params := env.schema, env.params
	tbl, err := s.loadTarget(ctx, x.Table, schema, catalog.PrivUpdate)
	if err != nil {
		return 0, err
	}
	keys := slices.Concat(tbl.PrimaryKey, tbl.PartitionBy)
	setParams := false
	for _, a := range x.Set {
		if _, ok := fieldOf(tbl.Schema, a.Column); !ok {
			return 0, invalidf("table %s.%s has no column %q", tbl.Namespace, tbl.Name, a.Column)
		}
		if slices.Contains(keys, a.Column) {
			return 0, invalidf("UPDATE cannot change primary key or partition column %q; delete the row and insert it", a.Column)
		}
		sqlparse.Walk(a.Value, func(e sqlparse.Expr) bool {
			if _, ok := e.(*sqlparse.Param); ok {
				setParams = true
			}
			return true
		})
	}
	batches := []paramRows{params}
	if setParams && len(params) > 1 {
		batches = batches[:0]
		for _, row := range params {
			batches = append(batches, paramRows{row})
		}
	}
	var total int64
	for _, rows := range batches {
		filter, err := whereFilter("UPDATE", x.Where, tbl.Schema, rows)
		if err != nil {
			return total, err
		}
		var args []any
		if len(rows) > 0 {
			args = rows[0]
		}
		_, n, err := s.cfg.Writer.Update(ctx, tbl, filter, s.updateFunc(tbl, x.Set, args))
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// updateFunc computes the SET expressions over matched rows in DuckDB.
func (s *Server) updateFunc(tbl *catalog.Table, set []sqlparse.Assignment, args []any) txn.UpdateFunc {
	return func(ctx context.Context, rows arrow.RecordBatch) (arrow.RecordBatch, error) {
		target := make([]arrow.Field, len(set))
		exprs := make([]string, len(set))
		for i, a := range set {
			f, _ := fieldOf(tbl.Schema, a.Column)
			target[i] = arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable}
			exprs[i] = fmt.Sprintf("CAST((%s) AS %s) AS %s", a.Value.SQL(), arrowconv.TypeName(f.Type), duck.Quote(f.Name))
		}
		pub := publicSchema(rows.Schema())
		in := array.NewRecordBatch(pub, rows.Columns(), rows.NumRows())
		defer in.Release()
		rr, err := array.NewRecordReader(pub, []arrow.RecordBatch{in})
		if err != nil {
			return nil, err
		}
		name := s.duck.TableName(0)
		table := duck.Table{Name: name, Schema: pub, Open: func() (array.RecordReader, error) { return rr, nil }}
		out, err := s.duck.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+duck.Quote(name), []duck.Table{table}, args)
		if err != nil {
			return nil, err
		}
		defer out.Release()
		var parts []arrow.RecordBatch
		defer func() { arrowconv.ReleaseAll(parts) }()
		for out.Next() {
			c, err := arrowconv.CastRecord(s.cfg.Allocator, out.RecordBatch(), target)
			if err != nil {
				return nil, err
			}
			parts = append(parts, c)
		}
		if err := out.Err(); err != nil {
			return nil, err
		}
		return arrowconv.ConcatRecords(s.cfg.Allocator, parts, arrow.NewSchema(target, nil))
	}
}
