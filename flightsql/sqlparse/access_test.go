package sqlparse

import (
	"reflect"
	"testing"
)

func TestParseAccess(t *testing.T) {
	tbl := func(parts ...string) TableName { return tableNameOf(parts) }
	tests := []struct {
		sql  string
		want Statement
	}{
		{"CREATE USER bob PASSWORD 'x1'", &CreateUser{Name: "bob", Password: "x1"}},
		{`create user "Bob" password 'it''s';`, &CreateUser{Name: "Bob", Password: "it's"}},
		{"ALTER USER bob PASSWORD 'y'", &AlterUser{Name: "bob", Password: "y"}},
		{"DROP USER bob", &DropUser{Name: "bob"}},
		{"DROP USER IF EXISTS bob", &DropUser{Name: "bob", IfExists: true}},
		{"CREATE ROLE analyst", &CreateRole{Name: "analyst"}},
		{"DROP ROLE analyst", &DropRole{Name: "analyst"}},
		{"DROP ROLE IF EXISTS analyst", &DropRole{Name: "analyst", IfExists: true}},
		{"GRANT SELECT ON SCHEMA sales TO analyst",
			&Grant{Privileges: []string{"SELECT"}, OnSchema: true, Schema: "sales", Grantee: "analyst"}},
		{"GRANT select, insert , Update ON TABLE ns.t TO bob",
			&Grant{Privileges: []string{"SELECT", "INSERT", "UPDATE"}, Table: tbl("ns", "t"), Grantee: "bob"}},
		{"GRANT DELETE, ALTER, DROP ON ns.t TO bob",
			&Grant{Privileges: []string{"DELETE", "ALTER", "DROP"}, Table: tbl("ns", "t"), Grantee: "bob"}},
		{"GRANT CREATE ON SCHEMA ns TO bob", &Grant{Privileges: []string{"CREATE"}, OnSchema: true, Schema: "ns", Grantee: "bob"}},
		{"GRANT ALL ON t TO bob", &Grant{All: true, Table: tbl("t"), Grantee: "bob"}},
		{"GRANT ALL PRIVILEGES ON SCHEMA ns TO bob", &Grant{All: true, OnSchema: true, Schema: "ns", Grantee: "bob"}},
		{"REVOKE SELECT ON SCHEMA sales FROM analyst",
			&Grant{Revoke: true, Privileges: []string{"SELECT"}, OnSchema: true, Schema: "sales", Grantee: "analyst"}},
		{"REVOKE ALL ON ns.t FROM bob", &Grant{Revoke: true, All: true, Table: tbl("ns", "t"), Grantee: "bob"}},
		{"GRANT analyst TO bob", &GrantRole{Role: "analyst", User: "bob"}},
		{"GRANT admin TO bob", &GrantRole{Role: "admin", User: "bob"}},
		{"REVOKE analyst FROM bob", &GrantRole{Revoke: true, Role: "analyst", User: "bob"}},
		{"SHOW GRANTS", &ShowGrants{}},
		{"SHOW GRANTS FOR bob", &ShowGrants{For: "bob"}},
		{"SHOW USERS", &ShowUsers{}},
		{"show roles;", &ShowRoles{}},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			got, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.sql, got, tt.want)
			}
			if got.NumParams() != 0 {
				t.Error("NumParams")
			}
		})
	}
}

func TestParseAccessErrors(t *testing.T) {
	tests := []struct {
		name, sql string
		pos       int
		msg       string
	}{
		{"user without password", "CREATE USER bob", 15, "expected PASSWORD after CREATE USER bob, found end of input"},
		{"password not a string", "CREATE USER bob PASSWORD x", 25, "expected the password as a string literal"},
		{"empty password", "CREATE USER bob PASSWORD ''", 25, "the password must not be empty"},
		{"user reserved name", "CREATE USER select PASSWORD 'x'", 12, "expected a user name, found the reserved word"},
		{"alter user without password", "ALTER USER bob", 14, "expected PASSWORD after ALTER USER bob"},
		{"drop user without name", "DROP USER", 9, "expected a user name"},
		{"create role without name", "CREATE ROLE", 11, "expected a role name"},
		{"drop role if", "DROP ROLE IF r", 13, "expected EXISTS after IF"},
		{"unknown privilege", "GRANT SELECT, TRUNCATE ON t TO bob", 14, "unknown privilege TRUNCATE"},
		{"privilege twice", "GRANT SELECT, SELECT ON t TO bob", 14, "privilege SELECT is listed twice"},
		{"grant without on", "GRANT SELECT TO bob", 13, "expected ON after the privileges"},
		{"grant without to", "GRANT SELECT ON t bob", 18, "expected TO after the object of GRANT"},
		{"revoke with to", "REVOKE SELECT ON t TO bob", 19, "expected FROM after the object of REVOKE"},
		{"grant without grantee", "GRANT ALL ON SCHEMA ns TO", 25, "expected a user or role name"},
		{"schema with two parts", "GRANT SELECT ON SCHEMA a.b TO bob", 24, "a schema name has one part"},
		{"grant role without to", "GRANT analyst bob", 14, "expected TO after the role name"},
		{"revoke role with to", "REVOKE analyst TO bob", 15, "expected FROM after the role name"},
		{"grant nothing", "GRANT", 5, "expected a privilege or a role name after GRANT"},
		{"show grants for nothing", "SHOW GRANTS FOR", 15, "expected a user or role name after FOR"},
		{"trailing", "SHOW USERS x", 11, "expected end of statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err == nil {
				t.Fatalf("Parse(%q) = %#v, want an error", tt.sql, st)
			}
			checkError(t, tt.sql, err, tt.pos, tt.msg)
		})
	}
}
