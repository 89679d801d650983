package catalog

import (
	"errors"
	"testing"
)

// TestAccess: users, roles and grants are stored atomically, seen by a
// second Catalog on the same etcd at its next read, and failed changes
// store nothing.
func TestAccess(t *testing.T) {
	ctx := ctxT(t)
	c, cli := newTestCatalog(t, nil)
	other := openCatalog(t, cli, nil)

	must := func(fn func(*Access) error) {
		t.Helper()
		if err := c.UpdateAccess(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	must(func(a *Access) error { return a.CreateUser("bob", "$2a$04$x") })
	must(func(a *Access) error { return a.CreateRole("analyst") })
	must(func(a *Access) error { return a.GrantRole("analyst", "bob") })
	must(func(a *Access) error {
		return a.Grant("analyst", Object{Namespace: "sales"}, []Privilege{PrivSelect})
	})
	must(func(a *Access) error {
		return a.Grant("bob", Object{Namespace: "hr", Table: "pay"}, []Privilege{PrivInsert, PrivDelete})
	})

	a, err := other.Access(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		priv      Privilege
		ns, table string
		want      bool
	}{
		{PrivSelect, "sales", "orders", true},
		{PrivSelect, "sales", "later", true},
		{PrivInsert, "sales", "orders", false},
		{PrivInsert, "hr", "pay", true},
		{PrivSelect, "hr", "pay", false},
		{PrivDelete, "hr", "other", false},
	}
	for _, ck := range checks {
		if got := a.Allowed("bob", ck.priv, ck.ns, ck.table); got != ck.want {
			t.Errorf("Allowed(bob, %s, %s.%s) = %v", ck.priv, ck.ns, ck.table, got)
		}
	}
	if !a.Visible("bob", "hr", "") || a.Visible("bob", "hr", "x") || !a.Visible("bob", "sales", "x") || a.Visible("bob", "ops", "") {
		t.Error("Visible")
	}

	errs := []struct {
		fn   func(*Access) error
		want error
	}{
		{func(a *Access) error { return a.CreateUser("bob", "h") }, ErrAlreadyExists},
		{func(a *Access) error { return a.CreateRole("bob") }, ErrAlreadyExists},
		{func(a *Access) error { return a.CreateUser("admin", "h") }, ErrAlreadyExists},
		{func(a *Access) error { return a.DropUser("carol") }, ErrNotFound},
		{func(a *Access) error { return a.DropRole("nope") }, ErrNotFound},
		{func(a *Access) error { return a.DropRole(AdminRole) }, ErrInvalid},
		{func(a *Access) error { return a.GrantRole("nope", "bob") }, ErrNotFound},
		{func(a *Access) error { return a.Grant("carol", Object{Namespace: "x"}, []Privilege{PrivSelect}) }, ErrNotFound},
		{func(a *Access) error {
			return a.Grant("bob", Object{Namespace: "x", Table: "t"}, []Privilege{PrivCreate})
		}, ErrInvalid},
	}
	before, _ := c.Access(ctx)
	for i, e := range errs {
		if err := c.UpdateAccess(ctx, e.fn); !errors.Is(err, e.want) {
			t.Errorf("case %d: %v, want %v", i, err, e.want)
		}
	}
	after, _ := c.Access(ctx)
	if before.Rev != after.Rev {
		t.Error("a failed change stored something")
	}

	must(func(a *Access) error { return a.Revoke("analyst", Object{Namespace: "sales"}, []Privilege{PrivSelect}) })
	must(func(a *Access) error { return a.DropRole("analyst") })
	a, _ = other.Access(ctx)
	if a.Allowed("bob", PrivSelect, "sales", "orders") || len(a.Users["bob"].Roles) != 0 || len(a.Grants) != 1 {
		t.Errorf("after revoke and drop role: %+v", a)
	}
	must(func(a *Access) error { return a.GrantRole(AdminRole, "bob") })
	a, _ = other.Access(ctx)
	if !a.Allowed("bob", PrivDrop, "any", "thing") {
		t.Error("admin role")
	}
	must(func(a *Access) error { return a.DropUser("bob") })
	a, _ = other.Access(ctx)
	if len(a.Users) != 0 || len(a.Grants) != 0 {
		t.Errorf("after drop user: %+v", a)
	}
}
