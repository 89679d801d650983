package flightsql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
)

// Access control. A call whose context carries an authenticated user is
// checked against the grants stored in the catalog; a call without one
// (authentication off) is not checked at all.
//
// The users of the server's own configuration (Config.Admins: the users
// file, or the single --user) and the SQL users holding the admin role may
// do everything. Any other user must be a user created by SQL, and holds
// the privileges granted to it and to its roles. The access data comes
// from the catalog's watched cache (see the catalog package's "Cached
// state"): a grant or revoke applies to the next call on the replica that
// made it, and on the others as soon as their etcd watch delivers it.

// ErrPermission is a call the user is not allowed to make.
var ErrPermission = errors.New("permission denied")

// access is the access check of one call; nil means no checks.
type access struct {
	user  string
	admin bool
	data  *catalog.Access
}

// accessOf returns the access check of ctx's user, nil when the call is not
// authenticated.
func (s *Server) accessOf(ctx context.Context) (*access, error) {
	user, ok := auth.UserFromContext(ctx)
	if !ok {
		return nil, nil
	}
	data, err := s.cfg.Catalog.Access(ctx)
	if err != nil {
		return nil, err
	}
	a := &access{user: user, data: data, admin: s.isConfigAdmin(user) || data.IsAdmin(user)}
	if !a.admin {
		if _, ok := data.Users[user]; !ok {
			return nil, fmt.Errorf("%w: user %s does not exist", ErrPermission, user)
		}
	}
	return a, nil
}

func (s *Server) isConfigAdmin(user string) bool { return slices.Contains(s.cfg.Admins, user) }

// allowed reports whether the user holds priv on ns.table (table empty:
// on the schema).
func (a *access) allowed(priv catalog.Privilege, ns, table string) bool {
	return a == nil || a.admin || a.data.Allowed(a.user, priv, ns, table)
}

// visible reports whether the user holds any privilege on ns.table (table
// empty: on schema ns or on anything in it).
func (a *access) visible(ns, table string) bool {
	return a == nil || a.admin || a.data.Visible(a.user, ns, table)
}

func (a *access) denied(priv catalog.Privilege, obj catalog.Object) error {
	return fmt.Errorf("%w: user %s lacks %s on %s", ErrPermission, a.user, priv, obj)
}

// requireTable checks priv on table (or view) ns.name.
func (s *Server) requireTable(ctx context.Context, priv catalog.Privilege, ns, name string) error {
	a, err := s.accessOf(ctx)
	if err != nil {
		return err
	}
	if !a.allowed(priv, ns, name) {
		return a.denied(priv, catalog.Object{Namespace: ns, Table: name})
	}
	return nil
}

// requireSchema checks priv on schema ns itself.
func (s *Server) requireSchema(ctx context.Context, priv catalog.Privilege, ns string) error {
	a, err := s.accessOf(ctx)
	if err != nil {
		return err
	}
	if !a.allowed(priv, ns, "") {
		return a.denied(priv, catalog.Object{Namespace: ns})
	}
	return nil
}

// requireAdmin checks that the user holds the admin role; what says what
// it wanted to do.
func (s *Server) requireAdmin(ctx context.Context, what string) error {
	a, err := s.accessOf(ctx)
	if err != nil || a == nil || a.admin {
		return err
	}
	return fmt.Errorf("%w: user %s may not %s: it needs the %s role", ErrPermission, a.user, what, catalog.AdminRole)
}

// requireVisible checks that the user may see table or view ns.name; an
// invisible object is reported as missing, as if it did not exist.
func (s *Server) requireVisible(ctx context.Context, ns, name string) error {
	a, err := s.accessOf(ctx)
	if err != nil {
		return err
	}
	if !a.visible(ns, name) {
		return fmt.Errorf("%w: user %s lacks any privilege on %s", ErrPermission, a.user, catalog.Object{Namespace: ns, Table: name})
	}
	return nil
}

// recheckTicket checks again, when a ticket is redeemed, that its user may
// still read the tables it reads: a REVOKE applies to tickets issued before
// it too.
func (s *Server) recheckTicket(ctx context.Context, b *ticketBody) error {
	a, err := s.accessOf(ctx)
	if err != nil || a == nil || a.admin {
		return err
	}
	check := func(ns, name string) error {
		if !a.allowed(catalog.PrivSelect, ns, name) {
			return a.denied(catalog.PrivSelect, catalog.Object{Namespace: ns, Table: name})
		}
		return nil
	}
	switch {
	case b.Scan != nil:
		return check(b.Scan.Table.Namespace, b.Scan.Table.Name)
	case b.Changes != nil:
		return check(b.Changes.Table.Namespace, b.Changes.Table.Name)
	case b.Follow != nil:
		return check(b.Follow.Table.Namespace, b.Follow.Table.Name)
	case b.Duck != nil:
		seen := map[string]bool{}
		for _, run := range b.Duck.Runs {
			for _, rd := range run.Reads {
				if rd.ID == "" || seen[rd.ID] {
					continue
				}
				seen[rd.ID] = true
				t, err := s.cfg.Catalog.LoadTableByID(ctx, rd.ID)
				if errors.Is(err, catalog.ErrNotFound) {
					continue // dropped since: the read reports it
				}
				if err != nil {
					return err
				}
				if err := check(t.Namespace, t.Name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// followObject keeps grants in step with a table, view or schema that was
// dropped (to is nil) or renamed: a later object of the old name does not
// inherit them. The object's change is already done, so a failure here is
// logged, not returned.
func (s *Server) followObject(ctx context.Context, from catalog.Object, to *catalog.Object) {
	data, err := s.cfg.Catalog.Access(ctx)
	if err == nil && !data.HasGrantsOn(from) {
		return
	}
	if err == nil {
		err = s.cfg.Catalog.UpdateAccess(ctx, func(a *catalog.Access) error {
			if to != nil {
				a.MoveObject(from, *to)
			} else {
				a.ForgetObject(from)
			}
			return nil
		})
	}
	if err != nil {
		s.cfg.Logger.Warn("updating the grants of a dropped or renamed object", "object", from.String(), "error", err)
	}
}

// grantOwner gives the user that created table or view ns.name every
// privilege on it, so that CREATE on a schema is enough to work with what
// one creates there. Admins need no grant.
func (s *Server) grantOwner(ctx context.Context, ns, name string) error {
	a, err := s.accessOf(ctx)
	if err != nil || a == nil || a.admin {
		return err
	}
	privs := slices.DeleteFunc(slices.Clone(catalog.AllPrivileges), func(p catalog.Privilege) bool { return p == catalog.PrivCreate })
	return s.cfg.Catalog.UpdateAccess(ctx, func(d *catalog.Access) error {
		return d.Grant(a.user, catalog.Object{Namespace: ns, Table: name}, privs)
	})
}

// listNamespaces lists the namespaces the user may see.
func (s *Server) listNamespaces(ctx context.Context) ([]catalog.Namespace, error) {
	nss, err := s.cfg.Catalog.ListNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.accessOf(ctx)
	if err != nil || a == nil {
		return nss, err
	}
	return slices.DeleteFunc(nss, func(ns catalog.Namespace) bool { return !a.visible(ns.Name, "") }), nil
}

// UserStore returns the users created by SQL as an auth.UserStore, to be
// chained after the users of the server's configuration.
func (s *Server) UserStore() auth.UserStore { return sqlUsers{s} }

type sqlUsers struct{ s *Server }

// dummyHash is compared against for unknown users, so that a missing user
// costs about as much as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("lakesoul-flight: no such user"), bcrypt.MinCost)

func (u sqlUsers) Verify(user, password string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	data, err := u.s.cfg.Catalog.Access(ctx)
	if err != nil {
		u.s.cfg.Logger.Warn("reading users", "error", err)
		return false
	}
	rec, ok := data.Users[user]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(rec.Hash), []byte(password)) == nil
}
