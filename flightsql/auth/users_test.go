package auth_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
)

func bcryptHash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadUsersFile(t *testing.T) {
	alice, bob := bcryptHash(t, "alice-pw"), bcryptHash(t, "bob pw:with colon")
	// htpasswd -B writes $2y$; bcrypt treats it like $2a$.
	bobY := "$2y$" + strings.TrimPrefix(bob, "$2a$")
	content := fmt.Sprintf("# lakesoul users\n\nalice:%s\n  bob:%s  \n", alice, bobY)
	users, err := auth.LoadUsersFile(writeFile(t, "users", content))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user, pass string
		ok         bool
	}{
		{"alice", "alice-pw", true},
		{"bob", "bob pw:with colon", true},
		{"alice", "bob pw:with colon", false},
		{"alice", "", false},
		{"carol", "alice-pw", false},
		{"", "", false},
	}
	for _, c := range cases {
		if got := users.Verify(c.user, c.pass); got != c.ok {
			t.Errorf("Verify(%q, %q) = %v, want %v", c.user, c.pass, got, c.ok)
		}
	}
}

func TestLoadUsersFileErrors(t *testing.T) {
	good := bcryptHash(t, "x")
	tests := []struct {
		name, content, want string
	}{
		{"no colon", "# c\nalice\n", "line 2: expected user:bcrypt-hash"},
		{"empty user", ":" + good + "\n", "line 1: empty user name"},
		{"no hash", "alice:\n", `line 1: user "alice" has no password hash`},
		{"plain text", "alice:secret\n", `line 1: user "alice": hash is not bcrypt`},
		{"md5 htpasswd", "alice:$apr1$abc$def\n", "hash is not bcrypt"},
		{"sha htpasswd", "alice:{SHA}abc=\n", "hash is not bcrypt"},
		{"truncated bcrypt", "alice:$2a$04$short\n", `line 1: user "alice": malformed bcrypt hash`},
		{"duplicate", "a:" + good + "\n\nb:" + good + "\na:" + good + "\n", `line 4: duplicate user "a"`},
		{"empty", "# nobody\n\n", "no users defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "users", tt.content)
			_, err := auth.LoadUsersFile(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := auth.LoadUsersFile(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: got %v", err)
	}
}

func TestSingleUser(t *testing.T) {
	u := auth.SingleUser("admin", "s3cret")
	for _, c := range []struct {
		user, pass string
		ok         bool
	}{
		{"admin", "s3cret", true},
		{"admin", "s3cre", false},
		{"admin", "s3cret ", false},
		{"Admin", "s3cret", false},
		{"", "", false},
	} {
		if got := u.Verify(c.user, c.pass); got != c.ok {
			t.Errorf("Verify(%q, %q) = %v, want %v", c.user, c.pass, got, c.ok)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := auth.HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	users, err := auth.ParseUsers(strings.NewReader("u:"+h), "inline")
	if err != nil {
		t.Fatal(err)
	}
	if !users.Verify("u", "pw") {
		t.Fatal("hash does not verify")
	}
	if _, err := auth.HashPassword(""); err == nil {
		t.Fatal("empty password accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (auth.Config{Secret: []byte("short")}).Validate(); err == nil || !strings.Contains(err.Error(), "at least 16 bytes") {
		t.Errorf("short secret: %v", err)
	}
	if err := (auth.Config{TokenTTL: -1}).Validate(); err == nil {
		t.Error("negative TTL accepted")
	}
	if err := auth.DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if _, err := auth.New(auth.Config{Secret: []byte("short")}); err == nil {
		t.Error("New accepted a short secret")
	}
}

// mapStore is a UserStore of plain passwords.
type mapStore map[string]string

func (m mapStore) Verify(user, password string) bool { p, ok := m[user]; return ok && p == password }

func TestChainAndNames(t *testing.T) {
	file, err := auth.ParseUsers(strings.NewReader("zed:"+bcryptHash(t, "z")+"\nann:"+bcryptHash(t, "a")+"\n"), "users")
	if err != nil {
		t.Fatal(err)
	}
	single := auth.SingleUser("root", "r")
	c := auth.Chain(file, nil, mapStore{"bob": "b"})
	for _, tc := range []struct {
		user, pw string
		want     bool
	}{{"zed", "z", true}, {"ann", "a", true}, {"bob", "b", true}, {"bob", "z", false}, {"nobody", "x", false}} {
		if got := c.Verify(tc.user, tc.pw); got != tc.want {
			t.Errorf("Verify(%s, %s) = %v", tc.user, tc.pw, got)
		}
	}
	if got := fmt.Sprint(auth.Names(file)); got != "[ann zed]" {
		t.Errorf("Names(file) = %s", got)
	}
	if got := fmt.Sprint(auth.Names(single)); got != "[root]" {
		t.Errorf("Names(single) = %s", got)
	}
	if got := fmt.Sprint(auth.Names(auth.Chain(single, file, mapStore{}))); got != "[ann root zed]" {
		t.Errorf("Names(chain) = %s", got)
	}
	if auth.Names(mapStore{}) != nil || auth.Names(nil) != nil {
		t.Error("Names of a store that is not of the configuration")
	}
}
