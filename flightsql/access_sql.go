package flightsql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/crypto/bcrypt"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
)

// The statements that manage users, roles and grants. Each change is one
// compare-and-swap of the catalog's access data: it applies whole or not at
// all. Only admins run them, except that a user may change its own
// password and see its own grants.

var (
	showGrantsSchema = arrow.NewSchema([]arrow.Field{
		str("grantee"), str("privilege"), str("object_type"), str("schema_name"), nstr("table_name"),
	}, nil)
	showUsersSchema = arrow.NewSchema([]arrow.Field{str("user_name"), str("roles"), str("source")}, nil)
	showRolesSchema = arrow.NewSchema([]arrow.Field{str("role_name")}, nil)
)

func (s *Server) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cfg.PasswordCost)
	if err != nil {
		return "", invalidf("password: %v", err)
	}
	return string(h), nil
}

func (s *Server) createUser(ctx context.Context, x *sqlparse.CreateUser, _ updateEnv) (int64, error) {
	if err := s.requireAdmin(ctx, "create users"); err != nil {
		return 0, err
	}
	if s.isConfigAdmin(x.Name) {
		return 0, fmt.Errorf("%w: %s is a user of the server's configuration", catalog.ErrAlreadyExists, x.Name)
	}
	hash, err := s.hashPassword(x.Password)
	if err != nil {
		return 0, err
	}
	return 0, s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error { return a.CreateUser(x.Name, hash) })
}

func (s *Server) alterUser(ctx context.Context, x *sqlparse.AlterUser, _ updateEnv) (int64, error) {
	if userOf(ctx) != x.Name {
		if err := s.requireAdmin(ctx, "change another user's password"); err != nil {
			return 0, err
		}
	}
	if s.isConfigAdmin(x.Name) {
		return 0, invalidf("user %s comes from the server's configuration; change its password there", x.Name)
	}
	hash, err := s.hashPassword(x.Password)
	if err != nil {
		return 0, err
	}
	return 0, s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error { return a.SetPassword(x.Name, hash) })
}

func (s *Server) dropUser(ctx context.Context, x *sqlparse.DropUser, _ updateEnv) (int64, error) {
	if err := s.requireAdmin(ctx, "drop users"); err != nil {
		return 0, err
	}
	if s.isConfigAdmin(x.Name) {
		return 0, invalidf("user %s comes from the server's configuration and cannot be dropped", x.Name)
	}
	err := s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error { return a.DropUser(x.Name) })
	if x.IfExists && errors.Is(err, catalog.ErrNotFound) {
		err = nil
	}
	return 0, err
}

func (s *Server) createRole(ctx context.Context, x *sqlparse.CreateRole, _ updateEnv) (int64, error) {
	if err := s.requireAdmin(ctx, "create roles"); err != nil {
		return 0, err
	}
	if s.isConfigAdmin(x.Name) {
		return 0, fmt.Errorf("%w: %s is a user of the server's configuration", catalog.ErrAlreadyExists, x.Name)
	}
	return 0, s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error { return a.CreateRole(x.Name) })
}

func (s *Server) dropRole(ctx context.Context, x *sqlparse.DropRole, _ updateEnv) (int64, error) {
	if err := s.requireAdmin(ctx, "drop roles"); err != nil {
		return 0, err
	}
	err := s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error { return a.DropRole(x.Name) })
	if x.IfExists && errors.Is(err, catalog.ErrNotFound) {
		err = nil
	}
	return 0, err
}

// grant runs GRANT and REVOKE of privileges.
func (s *Server) grant(ctx context.Context, x *sqlparse.Grant, env updateEnv) (int64, error) {
	if err := s.requireAdmin(ctx, "grant or revoke privileges"); err != nil {
		return 0, err
	}
	if s.isConfigAdmin(x.Grantee) {
		return 0, invalidf("user %s comes from the server's configuration and holds every privilege", x.Grantee)
	}
	var obj catalog.Object
	if x.OnSchema {
		obj.Namespace = x.Schema
	} else {
		ns, name, err := s.qualify(x.Table, env.schema)
		if err != nil {
			return 0, err
		}
		obj = catalog.Object{Namespace: ns, Table: name}
	}
	if !x.Revoke {
		// Granting on something that does not exist is most likely a typo.
		// Revoking is allowed whatever happened to the object since.
		if err := s.objectExists(ctx, obj); err != nil {
			return 0, err
		}
	}
	var privs []catalog.Privilege
	if x.All {
		privs = slices.Clone(catalog.AllPrivileges)
		if obj.Table != "" {
			privs = slices.DeleteFunc(privs, func(p catalog.Privilege) bool { return p == catalog.PrivCreate })
		}
	} else {
		for _, p := range x.Privileges {
			pr, _ := catalog.ParsePrivilege(p)
			privs = append(privs, pr)
		}
	}
	err := s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error {
		if x.Revoke {
			return a.Revoke(x.Grantee, obj, privs)
		}
		return a.Grant(x.Grantee, obj, privs)
	})
	return 0, err
}

func (s *Server) objectExists(ctx context.Context, obj catalog.Object) error {
	if obj.Table == "" {
		_, err := s.cfg.Catalog.GetNamespace(ctx, obj.Namespace)
		return err
	}
	_, err := s.lookupRelation(ctx, sqlparse.TableName{Schema: obj.Namespace, Name: obj.Table}, obj.Namespace)
	return err
}

// grantRole runs GRANT role TO user and REVOKE role FROM user.
func (s *Server) grantRole(ctx context.Context, x *sqlparse.GrantRole, _ updateEnv) (int64, error) {
	if err := s.requireAdmin(ctx, "grant or revoke roles"); err != nil {
		return 0, err
	}
	if s.isConfigAdmin(x.User) {
		return 0, invalidf("user %s comes from the server's configuration and holds every privilege", x.User)
	}
	return 0, s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error {
		if x.Revoke {
			return a.RevokeRole(x.Role, x.User)
		}
		return a.GrantRole(x.Role, x.User)
	})
}

// showGrants lists grants: of one user (with those of its roles) or role,
// or all of them. Without FOR a non-admin sees its own.
func (s *Server) showGrants(ctx context.Context, x *sqlparse.ShowGrants, env queryEnv) (*queryPlan, error) {
	acc, err := s.accessOf(ctx)
	if err != nil {
		return nil, err
	}
	data, err := s.cfg.Catalog.Access(ctx)
	if err != nil {
		return nil, err
	}
	who := x.For
	if who == "" && acc != nil && !acc.admin {
		who = acc.user
	}
	var grantees []string
	switch {
	case who == "":
		grantees = nil // every grant
	case s.isConfigAdmin(who):
		grantees = []string{}
	case data.Users[who] != nil:
		grantees = append([]string{who}, data.Users[who].Roles...)
	case data.HasRole(who):
		grantees = []string{who}
	default:
		return nil, fmt.Errorf("%w: no user or role %s", catalog.ErrNotFound, who)
	}
	if acc != nil && !acc.admin && who != acc.user && !slices.Contains(data.Users[acc.user].Roles, who) {
		return nil, fmt.Errorf("%w: user %s may only see its own grants and those of its roles", ErrPermission, acc.user)
	}
	var rows [][]any
	if grantees != nil && slices.Contains(grantees, catalog.AdminRole) || s.isConfigAdmin(who) {
		rows = append(rows, []any{who, "ALL", "admin", "*", nil})
	}
	for _, g := range data.Grants {
		if grantees != nil && !slices.Contains(grantees, g.Grantee) {
			continue
		}
		typ, table := "schema", any(nil)
		if g.Object.Table != "" {
			typ, table = "table", g.Object.Table
		}
		for _, p := range g.Privileges {
			rows = append(rows, []any{g.Grantee, string(p), typ, g.Object.Namespace, table})
		}
	}
	return s.rowsResult(showGrantsSchema, rows, env)
}

func (s *Server) showUsers(ctx context.Context, _ *sqlparse.ShowUsers, env queryEnv) (*queryPlan, error) {
	if err := s.requireAdmin(ctx, "list users"); err != nil {
		return nil, err
	}
	data, err := s.cfg.Catalog.Access(ctx)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, u := range slices.Sorted(slices.Values(s.cfg.Admins)) {
		rows = append(rows, []any{u, catalog.AdminRole, "configuration"})
	}
	for _, name := range data.UserNames() {
		rows = append(rows, []any{name, strings.Join(data.Users[name].Roles, ", "), "sql"})
	}
	return s.rowsResult(showUsersSchema, rows, env)
}

func (s *Server) showRoles(ctx context.Context, _ *sqlparse.ShowRoles, env queryEnv) (*queryPlan, error) {
	if err := s.requireAdmin(ctx, "list roles"); err != nil {
		return nil, err
	}
	data, err := s.cfg.Catalog.Access(ctx)
	if err != nil {
		return nil, err
	}
	rows := [][]any{{catalog.AdminRole}}
	for _, r := range data.Roles {
		rows = append(rows, []any{r})
	}
	return s.rowsResult(showRolesSchema, rows, env)
}
