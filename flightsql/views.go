package flightsql

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// Views are stored in the catalog as the text of their query and the
// namespace its unqualified names resolve in; package plan expands them
// where they are read, so a view always reads the latest snapshots (or
// those its own AS OF clauses pin).

// loadView loads a stored view for the planner.
func (s *Server) loadView(ctx context.Context, ns, name string) (*plan.View, error) {
	v, err := s.cfg.Catalog.LoadView(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	return &plan.View{Namespace: v.Namespace, Name: v.Name, SQL: v.SQL, Columns: v.Columns}, nil
}

// viewSchema is the result schema of a view's query.
func (s *Server) viewSchema(ctx context.Context, v *catalog.View) (*arrow.Schema, error) {
	q, err := s.viewQuery(v.Namespace, v.Name)
	if err != nil {
		return nil, err
	}
	p, err := s.planQuery(ctx, q, queryEnv{schema: v.Namespace, schemaOnly: true})
	if err != nil {
		return nil, err
	}
	return p.schema, nil
}

// viewQuery is the query that reads a view as a whole.
func (s *Server) viewQuery(ns, name string) (*sqlparse.Query, error) {
	st, err := sqlparse.Parse("SELECT * FROM " + plan.QuoteName(ns, name))
	if err != nil {
		return nil, err
	}
	return st.(*sqlparse.Query), nil
}

// createView stores a view after checking that its query plans and that
// the column names, when given, match its result.
func (s *Server) createView(ctx context.Context, x *sqlparse.CreateView, env updateEnv) (int64, error) {
	ns, name, err := s.qualify(x.View, env.schema)
	if err != nil {
		return 0, err
	}
	if err := s.requireSchema(ctx, catalog.PrivCreate, ns); err != nil {
		return 0, err
	}
	if x.OrReplace {
		if _, err := s.cfg.Catalog.LoadView(ctx, ns, name); err == nil {
			if err := s.requireTable(ctx, catalog.PrivDrop, ns, name); err != nil {
				return 0, err
			}
		}
	}
	if x.Query.Params > 0 {
		return 0, invalidf("a view's query cannot have parameters")
	}
	p, err := s.planQuery(ctx, x.Query, queryEnv{schema: ns, schemaOnly: true})
	if err != nil {
		return 0, err
	}
	if len(x.Columns) > 0 && len(x.Columns) != p.schema.NumFields() {
		return 0, invalidf("view %s.%s names %d columns but its query returns %d", ns, name, len(x.Columns), p.schema.NumFields())
	}
	_, err = s.cfg.Catalog.CreateView(ctx, catalog.View{Namespace: ns, Name: name, SQL: x.Query.Text, Columns: x.Columns}, x.OrReplace)
	if x.IfNotExists && errors.Is(err, catalog.ErrAlreadyExists) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return 0, s.grantOwner(ctx, ns, name)
}

func (s *Server) dropView(ctx context.Context, x *sqlparse.DropView, env updateEnv) (int64, error) {
	ns, name, err := s.qualify(x.View, env.schema)
	if err != nil {
		return 0, err
	}
	if err := s.requireTable(ctx, catalog.PrivDrop, ns, name); err != nil {
		return 0, err
	}
	err = s.cfg.Catalog.DropView(ctx, ns, name)
	if err == nil {
		s.followObject(ctx, catalog.Object{Namespace: ns, Table: name}, nil)
	}
	if x.IfExists && errors.Is(err, catalog.ErrNotFound) {
		err = nil
	}
	return 0, err
}
