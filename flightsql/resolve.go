package flightsql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// historySuffix turns a table name into its history table: t$history.
const historySuffix = plan.HistorySuffix

// metaTables are the suffixes that name a table's metadata tables, and the
// source kind and row schema of each.
var metaTables = []struct {
	suffix string
	kind   plan.SourceKind
	schema *arrow.Schema
}{
	{plan.HistorySuffix, plan.SourceHistory, historySchema},
	{plan.FilesSuffix, plan.SourceFiles, filesSchema},
	{plan.PartitionsSuffix, plan.SourcePartitions, partitionsSchema},
}

// metaTable splits a metadata table's name into its table's name and kind;
// ok is false for any other name.
func metaTable(name string) (base string, kind plan.SourceKind, schema *arrow.Schema, ok bool) {
	for _, m := range metaTables {
		if b, found := strings.CutSuffix(name, m.suffix); found && b != "" {
			return b, m.kind, m.schema, true
		}
	}
	return name, plan.SourceTable, nil, false
}

// infoSchema is the schema of the information_schema tables.
const infoSchema = "information_schema"

// qualify resolves a possibly unqualified name to (namespace, table).
func (s *Server) qualify(n sqlparse.TableName, schema string) (string, string, error) {
	if n.Catalog != "" && !strings.EqualFold(n.Catalog, catalogName) {
		return "", "", fmt.Errorf("%w: catalog %q (the only catalog is %q)", catalog.ErrNotFound, n.Catalog, catalogName)
	}
	ns := n.Schema
	if ns == "" {
		ns = schema
	}
	return ns, n.Name, nil
}

// resolver resolves the table references of the queries of one call.
type resolver struct{ s *Server }

// Resolve implements plan.Resolver: information_schema tables, t$history
// tables, stored views, and stored tables and their t$files and
// t$partitions tables at the AS OF clause's snapshot (the latest without
// one).
//
// Every table and view a query reads needs SELECT: stored tables, their
// metadata tables and change feeds, views, and the tables a view reads
// (views run with the rights of the user reading them).
func (r resolver) Resolve(ctx context.Context, ref sqlparse.TableRef, schema string) (*plan.Source, error) {
	src, err := r.resolve(ctx, ref, schema)
	if err != nil {
		return nil, err
	}
	var ns, name string
	switch src.Kind {
	case plan.SourceInfo:
		return src, nil // lists only what the user may see
	case plan.SourceView:
		ns, name = src.View.Namespace, src.View.Name
	case plan.SourceChanges:
		ns, name = src.Changes.To.Table.Namespace, src.Changes.To.Table.Name
	default:
		ns, name = src.Table.Namespace, src.Table.Name
	}
	if err := r.s.requireTable(ctx, catalog.PrivSelect, ns, name); err != nil {
		return nil, err
	}
	return src, nil
}

func (r resolver) resolve(ctx context.Context, ref sqlparse.TableRef, schema string) (*plan.Source, error) {
	s := r.s
	ns, name, err := s.qualify(ref.Name, schema)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(ns, infoSchema) {
		sch, ok := infoSchemas[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("%w: information_schema has no table %q (it has %s)", catalog.ErrNotFound, name, strings.Join(infoTableNames(), ", "))
		}
		if ref.AsOf != nil {
			return nil, invalidf("information_schema.%s has no versions to travel to", name)
		}
		return &plan.Source{Kind: plan.SourceInfo, Info: strings.ToLower(name), Schema: sch}, nil
	}
	if ref.Changes != nil {
		return s.resolveChanges(ctx, ns, name, ref.Changes)
	}
	base, kind, metaSchema, meta := metaTable(name)
	if meta {
		name = base
	}
	t, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	if errors.Is(err, catalog.ErrNotFound) && !meta {
		if v, verr := s.loadView(ctx, ns, name); verr == nil {
			if ref.AsOf != nil {
				return nil, invalidf("%s.%s is a view; it has no versions to travel to", ns, name)
			}
			return &plan.Source{Kind: plan.SourceView, View: v}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if kind == plan.SourceHistory {
		if ref.AsOf != nil {
			return nil, invalidf("%s.%s%s is a history table; it has no versions to travel to", ns, name, historySuffix)
		}
		head, err := s.cfg.Catalog.Head(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		return &plan.Source{Kind: plan.SourceHistory, Table: t, Version: head, Schema: metaSchema}, nil
	}
	var spec catalog.SnapshotSpec
	if ref.AsOf != nil {
		if ref.AsOf.HasVersion {
			v := ref.AsOf.Version
			spec.Version = &v
		} else {
			ts := ref.AsOf.Timestamp
			spec.AsOf = &ts
		}
	}
	snap, err := s.cfg.Catalog.Snapshot(ctx, t.ID, spec)
	if err != nil {
		return nil, err
	}
	return &plan.Source{Kind: kind, Snapshot: snap, Table: snap.Table, Schema: metaSchema}, nil
}
