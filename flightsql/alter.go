package flightsql

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// alterTable runs ALTER TABLE: the column actions as one schema change
// (a new version, shown in t$history), RENAME TO, or a change of table
// properties (which creates no version).
func (s *Server) alterTable(ctx context.Context, x *sqlparse.AlterTable, env updateEnv) (int64, error) {
	ns, name, err := s.qualify(x.Table, env.schema)
	if err != nil {
		return 0, err
	}
	if err := s.requireTable(ctx, catalog.PrivAlter, ns, name); err != nil {
		return 0, err
	}
	tbl, err := s.cfg.Catalog.LoadTable(ctx, ns, name)
	if err != nil {
		if x.IfExists && errors.Is(err, catalog.ErrNotFound) {
			return 0, nil
		}
		return 0, err
	}
	switch {
	case x.RenameTo != nil:
		newNS, newName, err := s.qualify(*x.RenameTo, tbl.Namespace)
		if err != nil {
			return 0, err
		}
		if newNS != tbl.Namespace {
			if err := s.requireSchema(ctx, catalog.PrivCreate, newNS); err != nil {
				return 0, err
			}
		}
		if _, err = s.cfg.Catalog.RenameTable(ctx, tbl.Namespace, tbl.Name, newNS, newName); err != nil {
			return 0, err
		}
		s.followObject(ctx, catalog.Object{Namespace: tbl.Namespace, Table: tbl.Name}, &catalog.Object{Namespace: newNS, Table: newName})
		return 0, nil
	case x.SetProperties != nil:
		props := maps.Clone(tbl.Properties)
		if props == nil {
			props = map[string]string{}
		}
		maps.Copy(props, x.SetProperties)
		if err := checkMaintenanceProps(&catalog.TableSpec{Namespace: tbl.Namespace, Name: tbl.Name,
			PrimaryKey: tbl.PrimaryKey, PartitionBy: tbl.PartitionBy, Properties: props}); err != nil {
			return 0, err
		}
		_, err := s.cfg.Catalog.SetProperties(ctx, tbl.ID, x.SetProperties, nil)
		return 0, err
	case x.UnsetProperties != nil:
		if !x.UnsetIfExists {
			for _, k := range x.UnsetProperties {
				if _, ok := tbl.Properties[k]; !ok {
					return 0, invalidf("table %s.%s has no property %q (UNSET TBLPROPERTIES IF EXISTS ignores missing ones)", tbl.Namespace, tbl.Name, k)
				}
			}
		}
		_, err := s.cfg.Catalog.SetProperties(ctx, tbl.ID, nil, x.UnsetProperties)
		return 0, err
	}
	changes, err := alterations(tbl, x.Actions)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	_, err = s.cfg.Catalog.AlterSchema(ctx, tbl.ID, changes)
	return 0, err
}

// alterations turns the column actions of ALTER TABLE into catalog
// alterations, leaving out those whose IF [NOT] EXISTS makes them no-ops
// on tbl's current schema.
func alterations(tbl *catalog.Table, actions []sqlparse.AlterAction) ([]catalog.Alteration, error) {
	var out []catalog.Alteration
	exists := func(name string) bool {
		_, ok := plan.FieldOf(tbl.Schema, columnName(tbl, name))
		return ok
	}
	for _, a := range actions {
		c := a.Column
		switch a.Kind {
		case sqlparse.AlterAddColumn:
			if a.IfNotExists && exists(c.Name) {
				continue
			}
			out = append(out, catalog.Alteration{Kind: catalog.AddColumn, Name: c.Name, Type: c.Type, Nullable: !c.NotNull, Default: a.Default})
		case sqlparse.AlterDropColumn:
			if a.IfExists && !exists(c.Name) {
				continue
			}
			out = append(out, catalog.Alteration{Kind: catalog.DropColumn, Name: columnName(tbl, c.Name)})
		case sqlparse.AlterRenameColumn:
			out = append(out, catalog.Alteration{Kind: catalog.RenameColumn, Name: columnName(tbl, c.Name), NewName: a.NewName})
		case sqlparse.AlterColumnType:
			out = append(out, catalog.Alteration{Kind: catalog.WidenColumn, Name: columnName(tbl, c.Name), Type: c.Type})
		case sqlparse.AlterDropNotNull:
			out = append(out, catalog.Alteration{Kind: catalog.DropNotNull, Name: columnName(tbl, c.Name)})
		default:
			return nil, invalidf("unknown ALTER TABLE action %d", a.Kind)
		}
	}
	return out, nil
}

// columnName returns the stored name of a column named as in SQL (ignoring
// case when nothing matches exactly), or name itself when the table has no
// such column, for the catalog to report.
func columnName(tbl *catalog.Table, name string) string {
	if f, ok := plan.FieldOf(tbl.Schema, name); ok {
		return f.Name
	}
	for _, f := range tbl.Schema.Fields() {
		if strings.EqualFold(f.Name, name) {
			return f.Name
		}
	}
	return name
}
