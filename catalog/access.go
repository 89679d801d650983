package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Access control data (users, roles, role memberships and grants) is one
// JSON document under the key "access". Every change is a compare-and-swap
// of that key, so a change is atomic and every replica sees either all of
// it or none. With the state cache on, readers take the document the
// cache's watch decoded: a change applies to the next call of the replica
// that made it and, on other replicas, as soon as their watch delivers it.
// Without the cache, readers check the key's revision on each call (a
// keys-only read, no value transferred) and decode the document again
// only when it changed. A change is always stored against the document
// read from etcd (UpdateAccess retries with a fresh read).

// AdminRole is the built-in role that may do everything, including managing
// users, roles and grants. It always exists and cannot be dropped.
const AdminRole = "admin"

// Privilege is a right on a schema or a table.
type Privilege string

// Privileges.
const (
	PrivSelect Privilege = "SELECT"
	PrivInsert Privilege = "INSERT"
	PrivUpdate Privilege = "UPDATE"
	PrivDelete Privilege = "DELETE"
	PrivAlter  Privilege = "ALTER"
	PrivDrop   Privilege = "DROP"
	PrivCreate Privilege = "CREATE"
)

// AllPrivileges lists every privilege, in the order SHOW GRANTS prints them.
var AllPrivileges = []Privilege{PrivSelect, PrivInsert, PrivUpdate, PrivDelete, PrivAlter, PrivDrop, PrivCreate}

// ParsePrivilege returns the privilege named s (any case).
func ParsePrivilege(s string) (Privilege, bool) {
	p := Privilege(strings.ToUpper(s))
	return p, slices.Contains(AllPrivileges, p)
}

// Object is what a grant applies to: a whole schema (Table empty) or one
// table or view.
type Object struct {
	Namespace string `json:"ns"`
	Table     string `json:"t,omitempty"`
}

// String is "schema ns" or "table ns.t".
func (o Object) String() string {
	if o.Table == "" {
		return "schema " + o.Namespace
	}
	return "table " + o.Namespace + "." + o.Table
}

// User is a user created by SQL.
type User struct {
	Name  string   `json:"name"`
	Hash  string   `json:"hash"` // bcrypt
	Roles []string `json:"roles,omitempty"`
}

// Grant is the privileges a user or role holds on one object.
type Grant struct {
	Grantee    string      `json:"grantee"`
	Object     Object      `json:"object"`
	Privileges []Privilege `json:"privs"`
}

// Access is a consistent view of the access control data. Values returned
// by Catalog.Access are shared and must not be modified; UpdateAccess hands
// its function a private copy.
type Access struct {
	Users  map[string]*User `json:"users,omitempty"`
	Roles  []string         `json:"roles,omitempty"` // sorted, without AdminRole
	Grants []Grant          `json:"grants,omitempty"`
	// Rev is the etcd mod revision the data was read at; 0 when nothing
	// was ever stored.
	Rev int64 `json:"-"`
}

func (a *Access) clone() *Access {
	out := &Access{Users: make(map[string]*User, len(a.Users)), Roles: slices.Clone(a.Roles), Rev: a.Rev}
	for k, u := range a.Users {
		c := *u
		c.Roles = slices.Clone(u.Roles)
		out.Users[k] = &c
	}
	for _, g := range a.Grants {
		g.Privileges = slices.Clone(g.Privileges)
		out.Grants = append(out.Grants, g)
	}
	return out
}

// HasRole reports whether role exists (AdminRole always does).
func (a *Access) HasRole(role string) bool {
	return role == AdminRole || slices.Contains(a.Roles, role)
}

// principals returns user and its roles.
func (a *Access) principals(user string) []string {
	out := []string{user}
	if u, ok := a.Users[user]; ok {
		out = append(out, u.Roles...)
	}
	return out
}

// IsAdmin reports whether user holds AdminRole.
func (a *Access) IsAdmin(user string) bool {
	u, ok := a.Users[user]
	return ok && slices.Contains(u.Roles, AdminRole)
}

// Allowed reports whether user (through its own grants or its roles') holds
// priv on table ns.table, directly or through a grant on schema ns. An
// empty table asks about the schema itself (schema grants only).
func (a *Access) Allowed(user string, priv Privilege, ns, table string) bool {
	if a.IsAdmin(user) {
		return true
	}
	who := a.principals(user)
	for _, g := range a.Grants {
		if !slices.Contains(who, g.Grantee) || g.Object.Namespace != ns {
			continue
		}
		if g.Object.Table != "" && g.Object.Table != table {
			continue
		}
		if slices.Contains(g.Privileges, priv) {
			return true
		}
	}
	return false
}

// Visible reports whether user holds any privilege on ns.table (table
// empty: on schema ns or anything in it).
func (a *Access) Visible(user, ns, table string) bool {
	if a.IsAdmin(user) {
		return true
	}
	who := a.principals(user)
	for _, g := range a.Grants {
		if !slices.Contains(who, g.Grantee) || g.Object.Namespace != ns || len(g.Privileges) == 0 {
			continue
		}
		if table == "" || g.Object.Table == "" || g.Object.Table == table {
			return true
		}
	}
	return false
}

// GrantsOf returns the grants held by grantee itself (not through roles).
func (a *Access) GrantsOf(grantee string) []Grant {
	var out []Grant
	for _, g := range a.Grants {
		if g.Grantee == grantee {
			out = append(out, g)
		}
	}
	return out
}

// CreateUser adds a user with a bcrypt hash.
func (a *Access) CreateUser(name, hash string) error {
	if err := a.checkNewPrincipal("user", name); err != nil {
		return err
	}
	if a.Users == nil {
		a.Users = map[string]*User{}
	}
	a.Users[name] = &User{Name: name, Hash: hash}
	return nil
}

// SetPassword replaces a user's hash.
func (a *Access) SetPassword(name, hash string) error {
	u, ok := a.Users[name]
	if !ok {
		return userNotFound(name)
	}
	u.Hash = hash
	return nil
}

// DropUser removes a user and its grants.
func (a *Access) DropUser(name string) error {
	if _, ok := a.Users[name]; !ok {
		return userNotFound(name)
	}
	delete(a.Users, name)
	a.dropGrantsOf(name)
	return nil
}

// CreateRole adds a role.
func (a *Access) CreateRole(name string) error {
	if err := a.checkNewPrincipal("role", name); err != nil {
		return err
	}
	a.Roles = append(a.Roles, name)
	slices.Sort(a.Roles)
	return nil
}

// DropRole removes a role, its grants and its memberships.
func (a *Access) DropRole(name string) error {
	if name == AdminRole {
		return fmt.Errorf("%w: the role %s is built in and cannot be dropped", ErrInvalid, AdminRole)
	}
	i := slices.Index(a.Roles, name)
	if i < 0 {
		return roleNotFound(name)
	}
	a.Roles = slices.Delete(a.Roles, i, i+1)
	for _, u := range a.Users {
		u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == name })
	}
	a.dropGrantsOf(name)
	return nil
}

// GrantRole makes user a member of role.
func (a *Access) GrantRole(role, user string) error {
	if !a.HasRole(role) {
		return roleNotFound(role)
	}
	u, ok := a.Users[user]
	if !ok {
		return userNotFound(user)
	}
	if !slices.Contains(u.Roles, role) {
		u.Roles = append(u.Roles, role)
		slices.Sort(u.Roles)
	}
	return nil
}

// RevokeRole ends user's membership of role.
func (a *Access) RevokeRole(role, user string) error {
	if !a.HasRole(role) {
		return roleNotFound(role)
	}
	u, ok := a.Users[user]
	if !ok {
		return userNotFound(user)
	}
	u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == role })
	return nil
}

// Grant gives grantee (a user or a role) privs on obj.
func (a *Access) Grant(grantee string, obj Object, privs []Privilege) error {
	if err := a.checkGrantee(grantee); err != nil {
		return err
	}
	if err := checkObjectPrivileges(obj, privs); err != nil {
		return err
	}
	for i := range a.Grants {
		g := &a.Grants[i]
		if g.Grantee == grantee && g.Object == obj {
			for _, p := range privs {
				if !slices.Contains(g.Privileges, p) {
					g.Privileges = append(g.Privileges, p)
				}
			}
			sortPrivileges(g.Privileges)
			return nil
		}
	}
	ps := slices.Clone(privs)
	sortPrivileges(ps)
	a.Grants = append(a.Grants, Grant{Grantee: grantee, Object: obj, Privileges: slices.Compact(ps)})
	return nil
}

// Revoke takes privs on obj away from grantee. Revoking what was not
// granted changes nothing.
func (a *Access) Revoke(grantee string, obj Object, privs []Privilege) error {
	if err := a.checkGrantee(grantee); err != nil {
		return err
	}
	if err := checkObjectPrivileges(obj, privs); err != nil {
		return err
	}
	for i := range a.Grants {
		g := &a.Grants[i]
		if g.Grantee == grantee && g.Object == obj {
			g.Privileges = slices.DeleteFunc(g.Privileges, func(p Privilege) bool { return slices.Contains(privs, p) })
		}
	}
	a.Grants = slices.DeleteFunc(a.Grants, func(g Grant) bool { return len(g.Privileges) == 0 })
	return nil
}

func checkObjectPrivileges(obj Object, privs []Privilege) error {
	if err := ValidateName("namespace", obj.Namespace); err != nil {
		return err
	}
	if obj.Table != "" {
		if err := ValidateName("table", obj.Table); err != nil {
			return err
		}
		if slices.Contains(privs, PrivCreate) {
			return fmt.Errorf("%w: CREATE is granted on a schema, not on %s", ErrInvalid, obj)
		}
	}
	if len(privs) == 0 {
		return fmt.Errorf("%w: no privileges given", ErrInvalid)
	}
	return nil
}

func sortPrivileges(ps []Privilege) {
	slices.SortFunc(ps, func(a, b Privilege) int {
		return slices.Index(AllPrivileges, a) - slices.Index(AllPrivileges, b)
	})
}

func (a *Access) dropGrantsOf(grantee string) {
	a.Grants = slices.DeleteFunc(a.Grants, func(g Grant) bool { return g.Grantee == grantee })
}

// checkNewPrincipal checks that name is valid and names no user or role:
// users and roles share one namespace, so GRANT ... TO name is never
// ambiguous.
func (a *Access) checkNewPrincipal(kind, name string) error {
	if err := ValidateName(kind, name); err != nil {
		return err
	}
	if _, ok := a.Users[name]; ok {
		return fmt.Errorf("%w: %s is already a user", ErrAlreadyExists, name)
	}
	if a.HasRole(name) {
		return fmt.Errorf("%w: %s is already a role", ErrAlreadyExists, name)
	}
	return nil
}

func (a *Access) checkGrantee(name string) error {
	if _, ok := a.Users[name]; ok || a.HasRole(name) {
		return nil
	}
	return fmt.Errorf("%w: no user or role %s", ErrNotFound, name)
}

func userNotFound(name string) error {
	return fmt.Errorf("%w: user %s does not exist", ErrNotFound, name)
}
func roleNotFound(name string) error {
	return fmt.Errorf("%w: role %s does not exist", ErrNotFound, name)
}

func (c *Catalog) accessKey() string { return c.prefix + "access" }

// accessCache holds the last decoded access document of a Catalog.
type accessCache struct {
	mu  sync.Mutex
	cur *Access
}

func decodeAccess(b []byte, rev int64) (*Access, error) {
	a := &Access{}
	if err := json.Unmarshal(b, a); err != nil {
		return nil, fmt.Errorf("catalog: decode access data: %w", err)
	}
	if a.Users == nil {
		a.Users = map[string]*User{}
	}
	a.Rev = rev
	return a, nil
}

// Access returns the current access control data: from the watched cache
// when it is current (see "Cached state" in the package documentation),
// else with one keys-only etcd read, the document decoded again only when
// it changed since the last call.
func (c *Catalog) Access(ctx context.Context) (*Access, error) {
	if sc := c.cache(ctx); sc != nil {
		if a, ok := sc.accessDoc(); ok {
			return a, nil
		}
	}
	return c.readAccess(ctx)
}

// readAccess is Access reading etcd.
func (c *Catalog) readAccess(ctx context.Context) (*Access, error) {
	resp, err := c.cli.Get(ctx, c.accessKey(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("catalog: read access data: %w", err)
	}
	rev := int64(0)
	if len(resp.Kvs) > 0 {
		rev = resp.Kvs[0].ModRevision
	}
	c.access.mu.Lock()
	cur := c.access.cur
	c.access.mu.Unlock()
	if cur != nil && cur.Rev == rev {
		return cur, nil
	}
	if rev == 0 {
		cur = &Access{Users: map[string]*User{}}
	} else {
		full, err := c.cli.Get(ctx, c.accessKey())
		if err != nil {
			return nil, fmt.Errorf("catalog: read access data: %w", err)
		}
		if len(full.Kvs) == 0 {
			cur = &Access{Users: map[string]*User{}}
		} else if cur, err = decodeAccess(full.Kvs[0].Value, full.Kvs[0].ModRevision); err != nil {
			return nil, err
		}
	}
	c.access.mu.Lock()
	if c.access.cur == nil || c.access.cur.Rev < cur.Rev {
		c.access.cur = cur
	}
	c.access.mu.Unlock()
	return cur, nil
}

// UpdateAccess applies fn to a private copy of the access data and stores
// the result in one compare-and-swap, retrying with fresh data when another
// change came first. When fn fails nothing is stored and its error is
// returned.
func (c *Catalog) UpdateAccess(ctx context.Context, fn func(*Access) error) error {
	for attempt := 1; ; attempt++ {
		cur, err := c.Access(ctx)
		if attempt > 1 {
			// The cache may not have the change that came first yet.
			cur, err = c.readAccess(ctx)
		}
		if err != nil {
			return err
		}
		next := cur.clone()
		if err := fn(next); err != nil {
			return err
		}
		b, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("catalog: encode access data: %w", err)
		}
		key := c.accessKey()
		resp, err := c.txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", cur.Rev)).
			Then(clientv3.OpPut(key, string(b))).
			Commit()
		if err != nil {
			return fmt.Errorf("catalog: store access data: %w", err)
		}
		if resp.Succeeded {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("catalog: store access data: %w", err)
		}
	}
}

// UserNames returns the names of the users created by SQL, sorted.
func (a *Access) UserNames() []string {
	return slices.Sorted(maps.Keys(a.Users))
}

// matches reports whether a grant on o is covered by obj: o itself, or
// anything in schema obj.
func (obj Object) covers(o Object) bool {
	return o.Namespace == obj.Namespace && (obj.Table == "" || o.Table == obj.Table)
}

// HasGrantsOn reports whether any grant is on obj (for a schema: on it or
// anything in it).
func (a *Access) HasGrantsOn(obj Object) bool {
	return slices.ContainsFunc(a.Grants, func(g Grant) bool { return obj.covers(g.Object) })
}

// ForgetObject removes the grants on obj, a dropped table, view or schema
// (for a schema, also those on everything in it).
func (a *Access) ForgetObject(obj Object) {
	a.Grants = slices.DeleteFunc(a.Grants, func(g Grant) bool { return obj.covers(g.Object) })
}

// MoveObject moves the grants on table from to the table's new name to.
func (a *Access) MoveObject(from, to Object) {
	a.ForgetObject(to)
	for i := range a.Grants {
		if a.Grants[i].Object == from {
			a.Grants[i].Object = to
		}
	}
}
