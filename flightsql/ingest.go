package flightsql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/txn"
)

// DoPutCommandStatementIngest bulk-loads a stream of record batches into a
// table in one commit: append (or upsert, for primary-key tables), create,
// or replace, as the table definition options say. Options primary_key and
// partition_by (comma-separated) and hash_bucket_num shape a created table;
// other options become its properties.
func (s *Server) DoPutCommandStatementIngest(ctx context.Context, cmd flightsql.StatementIngest, r flight.MessageReader) (int64, error) {
	n, err := s.ingest(ctx, cmd, r)
	if err == nil && n > 0 {
		s.metrics.rowsWritten.WithLabelValues("ingest").Add(float64(n))
	}
	return n, toStatus(err)
}

func (s *Server) ingest(ctx context.Context, cmd flightsql.StatementIngest, r flight.MessageReader) (int64, error) {
	if cmd.GetTemporary() {
		return 0, invalidf("temporary tables are not supported")
	}
	if len(cmd.GetTransactionId()) > 0 {
		return 0, invalidf("transactions are not supported")
	}
	if c := cmd.GetCatalog(); c != "" && !strings.EqualFold(c, catalogName) {
		return 0, catalog.ErrNotFound
	}
	ns := cmd.GetSchema()
	if ns == "" {
		ns = s.schemaOf(ctx)
	}
	name := cmd.GetTable()
	var ifNotExist flightsql.TableDefinitionOptionsTableNotExistOption
	var ifExists flightsql.TableDefinitionOptionsTableExistsOption
	if o := cmd.GetTableDefinitionOptions(); o != nil {
		ifNotExist, ifExists = o.IfNotExist, o.IfExists
	}

	// Read everything first: a stream that fails midway commits nothing.
	recs, err := readBatches(r, "the ingest stream")
	defer arrowconv.ReleaseAll(recs)
	if err != nil {
		return 0, err
	}
	inSchema := r.Schema()
	if inSchema == nil {
		return 0, invalidf("the ingest stream has no schema")
	}

	tbl, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	exists := err == nil
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return 0, err
	}
	replace := ifExists == flightsql.TableDefinitionOptionsTableExistsOptionReplace
	create := ifNotExist == flightsql.TableDefinitionOptionsTableNotExistOptionCreate
	if err := s.checkIngest(ctx, ns, name, exists, create, replace); err != nil {
		return 0, err
	}
	switch {
	case exists && ifExists == flightsql.TableDefinitionOptionsTableExistsOptionReplace:
		if err := checkIngestSchema(tbl, inSchema); err == nil {
			if _, err := s.cfg.Writer.Overwrite(ctx, tbl, txn.OverwriteOptions{}, recs...); err != nil {
				return 0, err
			}
			return arrowconv.CountRows(recs), nil
		}
		// A new shape: replace the table itself.
		if err := s.requireTable(ctx, catalog.PrivDrop, ns, name); err != nil {
			return 0, err
		}
		if err := s.requireSchema(ctx, catalog.PrivCreate, ns); err != nil {
			return 0, err
		}
		if _, err := s.cfg.Catalog.DropTable(ctx, ns, name); err != nil {
			return 0, err
		}
		exists = false
	case exists && ifExists == flightsql.TableDefinitionOptionsTableExistsOptionAppend:
	case exists:
		return 0, alreadyExists(ns, name)
	case ifNotExist != flightsql.TableDefinitionOptionsTableNotExistOptionCreate:
		return 0, notFound(ns, name)
	}
	if !exists {
		spec, err := ingestSpec(ns, name, inSchema, cmd.GetOptions())
		if err != nil {
			return 0, err
		}
		if tbl, err = s.cfg.Catalog.CreateTable(ctx, spec); err != nil {
			return 0, err
		}
		if err := s.grantOwner(ctx, ns, name); err != nil {
			return 0, err
		}
	} else if err := checkIngestSchema(tbl, inSchema); err != nil {
		if ifExists != flightsql.TableDefinitionOptionsTableExistsOptionAppend {
			return 0, err
		}
		if aerr := s.requireTable(ctx, catalog.PrivAlter, ns, name); aerr != nil {
			return 0, fmt.Errorf("%w (%v)", aerr, err)
		}
		if tbl, err = s.autoEvolve(ctx, tbl, inSchema, err); err != nil {
			return 0, err
		}
	}
	if len(recs) == 0 {
		return 0, nil
	}
	if _, err := s.cfg.Writer.Write(ctx, tbl, recs...); err != nil {
		return 0, err
	}
	return arrowconv.CountRows(recs), nil
}

// checkIngest checks the privileges an ingest needs: INSERT into an
// existing table (and DELETE to replace its rows), CREATE on the schema to
// create one.
func (s *Server) checkIngest(ctx context.Context, ns, name string, exists, create, replace bool) error {
	if !exists {
		if !create {
			return nil // not found, whoever asks
		}
		return s.requireSchema(ctx, catalog.PrivCreate, ns)
	}
	if err := s.requireTable(ctx, catalog.PrivInsert, ns, name); err != nil {
		return err
	}
	if replace {
		return s.requireTable(ctx, catalog.PrivDelete, ns, name)
	}
	return nil
}

func alreadyExists(ns, name string) error {
	return errors.Join(catalog.ErrAlreadyExists, invalidTableMsg("table %s.%s already exists (ingest with mode append or replace)", ns, name))
}

func notFound(ns, name string) error {
	return errors.Join(catalog.ErrNotFound, invalidTableMsg("table %s.%s does not exist (ingest with mode create)", ns, name))
}

func invalidTableMsg(format, ns, name string) error {
	return errors.New(strings.Replace(strings.Replace(format, "%s", ns, 1), "%s", name, 1))
}

// PropAutoEvolve is the table property that lets an ingest in append mode
// add the stream's new columns to the table (as nullable columns).
const PropAutoEvolve = "schema.auto_evolve"

// autoEvolve adds the columns of in that tbl lacks, when the table's
// schema.auto_evolve property allows it, and returns the table as it is
// then; otherwise it returns refused, the error of the schema check.
func (s *Server) autoEvolve(ctx context.Context, tbl *catalog.Table, in *arrow.Schema, refused error) (*catalog.Table, error) {
	v, ok := tbl.Properties[PropAutoEvolve]
	if !ok {
		return nil, refused
	}
	on, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return nil, invalidf("table %s.%s: property %s = %q, want true or false", tbl.Namespace, tbl.Name, PropAutoEvolve, v)
	}
	if !on {
		return nil, refused
	}
	var changes []catalog.Alteration
	for _, f := range in.Fields() {
		if _, ok := fieldOf(tbl.Schema, f.Name); !ok {
			changes = append(changes, catalog.Alteration{Kind: catalog.AddColumn, Name: f.Name, Type: f.Type, Nullable: true})
		}
	}
	_, err = s.cfg.Catalog.AlterSchema(ctx, tbl.ID, changes)
	// Another ingest may have added the same columns meanwhile: what
	// counts is that the table has them now.
	cur, lerr := s.cfg.Catalog.LoadTableByID(ctx, tbl.ID)
	if lerr != nil {
		return nil, lerr
	}
	if cerr := checkIngestSchema(cur, in); cerr != nil {
		if err != nil {
			return nil, err
		}
		return nil, cerr
	}
	return cur, nil
}

// checkIngestSchema checks an ingest stream against an existing table: every
// column must exist in the table.
func checkIngestSchema(tbl *catalog.Table, in *arrow.Schema) error {
	for _, f := range in.Fields() {
		if _, ok := fieldOf(tbl.Schema, f.Name); !ok {
			return invalidf("table %s.%s has no column %q", tbl.Namespace, tbl.Name, f.Name)
		}
	}
	return nil
}

// ingestSpec is the table an ingest creates.
func ingestSpec(ns, name string, in *arrow.Schema, opts map[string]string) (catalog.TableSpec, error) {
	spec := catalog.TableSpec{Namespace: ns, Name: name, Schema: publicSchema(in)}
	props := map[string]string{}
	for k, v := range opts {
		switch k {
		case "primary_key":
			spec.PrimaryKey = splitList(v)
		case "partition_by":
			spec.PartitionBy = splitList(v)
		case "hash_bucket_num":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return spec, invalidf("hash_bucket_num must be a positive integer, got %q", v)
			}
			spec.HashBucketNum = n
		default:
			props[k] = v
		}
	}
	if len(spec.PrimaryKey) > 0 && spec.HashBucketNum == 0 {
		spec.HashBucketNum = DefaultHashBuckets
	}
	if len(props) > 0 {
		spec.Properties = props
	}
	return spec, checkMaintenanceProps(&spec)
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
