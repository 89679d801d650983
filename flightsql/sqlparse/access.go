package sqlparse

import "strings"

// CreateUser is CREATE USER name PASSWORD 'secret'.
type CreateUser struct {
	Name, Password string
}

// AlterUser is ALTER USER name PASSWORD 'secret'.
type AlterUser struct {
	Name, Password string
}

// DropUser is DROP USER [IF EXISTS] name.
type DropUser struct {
	Name     string
	IfExists bool
}

// CreateRole is CREATE ROLE name.
type CreateRole struct {
	Name string
}

// DropRole is DROP ROLE [IF EXISTS] name.
type DropRole struct {
	Name     string
	IfExists bool
}

// Grant is GRANT privileges ON object TO grantee or, with Revoke set,
// REVOKE privileges ON object FROM grantee.
type Grant struct {
	Revoke bool
	// Privileges are upper case (SELECT, INSERT, UPDATE, DELETE, ALTER,
	// DROP, CREATE), in the order written; ALL [PRIVILEGES] is every one
	// the object takes, with All set.
	Privileges []string
	All        bool
	// OnSchema says the object is the schema Schema; otherwise it is the
	// table or view Table.
	OnSchema bool
	Schema   string
	Table    TableName
	Grantee  string
}

// GrantRole is GRANT role TO user or, with Revoke set, REVOKE role FROM
// user.
type GrantRole struct {
	Revoke     bool
	Role, User string
}

// ShowGrants is SHOW GRANTS [FOR name]: the grants of a user or role, every
// grant without FOR.
type ShowGrants struct {
	For string
}

// ShowUsers is SHOW USERS.
type ShowUsers struct{}

// ShowRoles is SHOW ROLES.
type ShowRoles struct{}

func (*CreateUser) NumParams() int { return 0 }
func (*AlterUser) NumParams() int  { return 0 }
func (*DropUser) NumParams() int   { return 0 }
func (*CreateRole) NumParams() int { return 0 }
func (*DropRole) NumParams() int   { return 0 }
func (*Grant) NumParams() int      { return 0 }
func (*GrantRole) NumParams() int  { return 0 }
func (*ShowGrants) NumParams() int { return 0 }
func (*ShowUsers) NumParams() int  { return 0 }
func (*ShowRoles) NumParams() int  { return 0 }

func (*CreateUser) statement() {}
func (*AlterUser) statement()  {}
func (*DropUser) statement()   {}
func (*CreateRole) statement() {}
func (*DropRole) statement()   {}
func (*Grant) statement()      {}
func (*GrantRole) statement()  {}
func (*ShowGrants) statement() {}
func (*ShowUsers) statement()  {}
func (*ShowRoles) statement()  {}

// privilegeWords are the privileges GRANT and REVOKE take.
var privilegeWords = setOf("select", "insert", "update", "delete", "alter", "drop", "create")

// userPassword parses "name PASSWORD 'secret'" after CREATE USER or ALTER
// USER.
func (p *parser) userPassword(verb string) (string, string, error) {
	name, err := p.name("a user name")
	if err != nil {
		return "", "", err
	}
	if err := p.expectKw("password", "after "+verb+" USER "+name); err != nil {
		return "", "", err
	}
	t := p.peek()
	if t.kind != tokString {
		return "", "", p.expected("the password as a string literal")
	}
	if t.text == "" {
		return "", "", errorf(p.src, t.pos, "the password must not be empty")
	}
	p.next()
	return name, t.text, nil
}

// createPrincipal parses CREATE USER and CREATE ROLE, after CREATE.
func (p *parser) createPrincipal() (Statement, error) {
	if p.accept("user") {
		name, pw, err := p.userPassword("CREATE")
		if err != nil {
			return nil, err
		}
		return &CreateUser{Name: name, Password: pw}, nil
	}
	p.next() // ROLE
	name, err := p.name("a role name")
	if err != nil {
		return nil, err
	}
	return &CreateRole{Name: name}, nil
}

// dropPrincipal parses DROP USER and DROP ROLE, after DROP.
func (p *parser) dropPrincipal() (Statement, error) {
	user := p.accept("user")
	if !user {
		p.next() // ROLE
	}
	ifExists, err := p.ifExists()
	if err != nil {
		return nil, err
	}
	if user {
		name, err := p.name("a user name")
		if err != nil {
			return nil, err
		}
		return &DropUser{Name: name, IfExists: ifExists}, nil
	}
	name, err := p.name("a role name")
	if err != nil {
		return nil, err
	}
	return &DropRole{Name: name, IfExists: ifExists}, nil
}

// alterUser parses ALTER USER, after ALTER.
func (p *parser) alterUser() (Statement, error) {
	p.next() // USER
	name, pw, err := p.userPassword("ALTER")
	if err != nil {
		return nil, err
	}
	return &AlterUser{Name: name, Password: pw}, nil
}

// grant parses GRANT and REVOKE, of privileges or of a role.
func (p *parser) grant() (Statement, error) {
	revoke := p.next().is("revoke")
	verb, prep := "GRANT", "TO"
	if revoke {
		verb, prep = "REVOKE", "FROM"
	}
	t := p.peek()
	if t.kind == tokIdent && (privilegeWords[t.text] || t.text == "all") {
		return p.grantPrivileges(revoke, verb, prep)
	}
	role, err := p.name("a privilege or a role name after " + verb)
	if err != nil {
		return nil, err
	}
	if err := p.expectKw(strings.ToLower(prep), "after the role name"); err != nil {
		return nil, err
	}
	user, err := p.name("a user name")
	if err != nil {
		return nil, err
	}
	return &GrantRole{Revoke: revoke, Role: role, User: user}, nil
}

// grantPrivileges parses what follows GRANT or REVOKE when it starts with a
// privilege.
func (p *parser) grantPrivileges(revoke bool, verb, prep string) (Statement, error) {
	g := &Grant{Revoke: revoke}
	if p.accept("all") {
		p.accept("privileges")
		g.All = true
	} else {
		for {
			t := p.peek()
			if t.kind != tokIdent || !privilegeWords[t.text] {
				if t.kind == tokIdent && !t.is("on") {
					return nil, errorf(p.src, t.pos, "unknown privilege %s: want SELECT, INSERT, UPDATE, DELETE, ALTER, DROP, CREATE or ALL", strings.ToUpper(t.text))
				}
				return nil, p.expected("a privilege")
			}
			up := strings.ToUpper(t.text)
			for _, have := range g.Privileges {
				if have == up {
					return nil, errorf(p.src, t.pos, "privilege %s is listed twice", up)
				}
			}
			p.next()
			g.Privileges = append(g.Privileges, up)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if err := p.expectKw("on", "after the privileges"); err != nil {
		return nil, err
	}
	switch {
	case p.accept("schema"):
		name, err := p.schemaName()
		if err != nil {
			return nil, err
		}
		g.OnSchema, g.Schema = true, name
	default:
		p.accept("table")
		n, err := p.tableName()
		if err != nil {
			return nil, err
		}
		g.Table = n
	}
	if err := p.expectKw(strings.ToLower(prep), "after the object of "+verb); err != nil {
		return nil, err
	}
	name, err := p.name("a user or role name")
	if err != nil {
		return nil, err
	}
	g.Grantee = name
	return g, nil
}

// showAccess parses SHOW GRANTS, SHOW USERS and SHOW ROLES, the current
// token being SHOW.
func (p *parser) showAccess() (Statement, error) {
	p.next()
	switch w := p.next(); {
	case w.is("users"):
		return &ShowUsers{}, nil
	case w.is("roles"):
		return &ShowRoles{}, nil
	}
	s := &ShowGrants{}
	if p.accept("for") {
		n, err := p.name("a user or role name after FOR")
		if err != nil {
			return nil, err
		}
		s.For = n
	}
	return s, nil
}
