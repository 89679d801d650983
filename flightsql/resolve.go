package flightsql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// historySuffix turns a table name into its history table: t$history.
const historySuffix = "$history"

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
// tables, stored views and stored tables at the AS OF clause's snapshot
// (the latest without one).
func (r resolver) Resolve(ctx context.Context, ref sqlparse.TableRef, schema string) (*plan.Source, error) {
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
	history := false
	if base, ok := strings.CutSuffix(name, historySuffix); ok && base != "" {
		history, name = true, base
	}
	t, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	if errors.Is(err, catalog.ErrNotFound) && !history {
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
	if history {
		if ref.AsOf != nil {
			return nil, invalidf("%s.%s%s is a history table; it has no versions to travel to", ns, name, historySuffix)
		}
		head, err := s.cfg.Catalog.Head(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		return &plan.Source{Kind: plan.SourceHistory, Table: t, Version: head, Schema: historySchema}, nil
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
	return &plan.Source{Kind: plan.SourceTable, Snapshot: snap, Table: snap.Table}, nil
}
