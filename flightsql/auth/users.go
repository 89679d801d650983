package auth

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// UserStore checks user names and passwords. Implementations must be safe
// for concurrent use and should take the same time whether or not the user
// exists.
type UserStore interface {
	Verify(user, password string) bool
}

// SingleUser returns a UserStore that knows one user. The comparison runs in
// constant time.
func SingleUser(user, password string) UserStore {
	return &singleUser{name: user, user: sha256.Sum256([]byte(user)), password: sha256.Sum256([]byte(password))}
}

type singleUser struct {
	name           string
	user, password [sha256.Size]byte
}

// Names returns the user names a store of the configuration (SingleUser,
// a users file, or a Chain of them) knows, sorted; nil for other stores.
func Names(s UserStore) []string {
	switch s := s.(type) {
	case *singleUser:
		return []string{s.name}
	case *fileUsers:
		return slices.Sorted(maps.Keys(s.hashes))
	case chain:
		var out []string
		for _, c := range s {
			out = append(out, Names(c)...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return nil
}

// Chain returns a UserStore that accepts what any of stores accepts, asking
// them in order. Nil stores are skipped.
func Chain(stores ...UserStore) UserStore {
	var c chain
	for _, s := range stores {
		if s != nil {
			c = append(c, s)
		}
	}
	return c
}

type chain []UserStore

func (c chain) Verify(user, password string) bool {
	for _, s := range c {
		if s.Verify(user, password) {
			return true
		}
	}
	return false
}

func (s *singleUser) Verify(user, password string) bool {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(password))
	// Both comparisons always run: no early exit on a wrong user name.
	ok := subtle.ConstantTimeCompare(u[:], s.user[:]) & subtle.ConstantTimeCompare(p[:], s.password[:])
	return ok == 1
}

// fileUsers is a UserStore of bcrypt password hashes, as read from an
// htpasswd-style file.
type fileUsers struct {
	hashes map[string][]byte
	// dummy is compared against for unknown users, so that a missing user
	// costs as much as a wrong password.
	dummy []byte
}

// LoadUsersFile reads a users file: one "user:hash" per line, where hash is
// a bcrypt hash ($2a$, $2b$ or $2y$, as written by `htpasswd -nB user`).
// Blank lines and lines starting with '#' are ignored. Errors name the file
// and line.
func LoadUsersFile(path string) (UserStore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: users file: %w", err)
	}
	defer f.Close()
	return ParseUsers(f, path)
}

// ParseUsers reads users in the format of LoadUsersFile from r; name is used
// in error messages.
func ParseUsers(r io.Reader, name string) (UserStore, error) {
	fu := &fileUsers{hashes: map[string][]byte{}}
	maxCost := bcrypt.MinCost
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		user, hash = strings.TrimSpace(user), strings.TrimSpace(hash)
		switch {
		case !ok:
			return nil, fmt.Errorf("auth: %s line %d: expected user:bcrypt-hash, found no ':'", name, n)
		case user == "":
			return nil, fmt.Errorf("auth: %s line %d: empty user name", name, n)
		case hash == "":
			return nil, fmt.Errorf("auth: %s line %d: user %q has no password hash", name, n, user)
		case !isBcryptPrefix(hash):
			return nil, fmt.Errorf("auth: %s line %d: user %q: hash is not bcrypt (want $2a$, $2b$ or $2y$; create one with `htpasswd -nB %s`)", name, n, user, user)
		}
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return nil, fmt.Errorf("auth: %s line %d: user %q: malformed bcrypt hash: %v", name, n, user, err)
		}
		if _, dup := fu.hashes[user]; dup {
			return nil, fmt.Errorf("auth: %s line %d: duplicate user %q", name, n, user)
		}
		fu.hashes[user] = []byte(hash)
		maxCost = max(maxCost, cost)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("auth: %s: %w", name, err)
	}
	if len(fu.hashes) == 0 {
		return nil, fmt.Errorf("auth: %s: no users defined", name)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("lakesoul-flight: no such user"), maxCost)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	fu.dummy = dummy
	return fu, nil
}

func isBcryptPrefix(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// Verify implements UserStore.
func (fu *fileUsers) Verify(user, password string) bool {
	hash, ok := fu.hashes[user]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(fu.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// HashPassword returns a bcrypt hash of password at the default cost, in the
// form the users file expects after "user:".
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("auth: empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	return string(h), nil
}
