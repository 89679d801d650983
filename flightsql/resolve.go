package flightsql

import (
	"context"
	"fmt"
	"strings"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// historySuffix turns a table name into its history table: t$history.
const historySuffix = "$history"

// pin is one table reference of a query resolved to a table and version.
type pin struct {
	ID      string `json:"i"`
	Version int64  `json:"v"`
	History bool   `json:"h,omitempty"`
}

// resolved is a table reference with its table and (for data reads) its
// snapshot.
type resolved struct {
	pin
	table *catalog.Table
	snap  *catalog.Snapshot // nil for history tables
}

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

// resolveRef loads the table of a query's reference and resolves its
// snapshot: the AS OF clause, or the latest.
func (s *Server) resolveRef(ctx context.Context, ref sqlparse.TableRef, schema string) (*resolved, error) {
	ns, name, err := s.qualify(ref.Name, schema)
	if err != nil {
		return nil, err
	}
	history := false
	if base, ok := strings.CutSuffix(name, historySuffix); ok && base != "" {
		history, name = true, base
	}
	t, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	if err != nil {
		return nil, err
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
	if history {
		if ref.AsOf != nil {
			return nil, invalidf("%s.%s%s is a history table; it has no versions to travel to", ns, name, historySuffix)
		}
		head, err := s.cfg.Catalog.Head(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		return &resolved{pin: pin{ID: t.ID, Version: head, History: true}, table: t}, nil
	}
	snap, err := s.cfg.Catalog.Snapshot(ctx, t.ID, spec)
	if err != nil {
		return nil, err
	}
	return &resolved{pin: pin{ID: t.ID, Version: snap.Version}, table: snap.Table, snap: snap}, nil
}

// loadPin re-resolves a pinned reference when a ticket is redeemed.
func (s *Server) loadPin(ctx context.Context, p pin) (*resolved, error) {
	t, err := s.cfg.Catalog.LoadTableByID(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if p.History {
		return &resolved{pin: p, table: t}, nil
	}
	v := p.Version
	snap, err := s.cfg.Catalog.Snapshot(ctx, p.ID, catalog.SnapshotSpec{Version: &v})
	if err != nil {
		return nil, err
	}
	return &resolved{pin: p, table: snap.Table, snap: snap}, nil
}
