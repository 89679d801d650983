package auth_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
)

var (
	secretA = []byte("0123456789abcdef-secret-A")
	secretB = []byte("0123456789abcdef-secret-B")
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newAuth(t testing.TB, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTokenRoundTrip(t *testing.T) {
	a := newAuth(t, auth.Config{Secret: secretA})
	tok, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	user, err := a.Verify(tok)
	if err != nil || user != "alice" {
		t.Fatalf("Verify = %q, %v", user, err)
	}
	// Another authenticator with the same secret (another replica) accepts it.
	if user, err := newAuth(t, auth.Config{Secret: secretA}).Verify(tok); err != nil || user != "alice" {
		t.Fatalf("replica Verify = %q, %v", user, err)
	}
	if _, err := newAuth(t, auth.Config{Secret: secretB}).Verify(tok); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("other secret: got %v, want ErrInvalidToken", err)
	}
	if _, err := a.Issue(""); err == nil {
		t.Fatal("issued a token for an empty user")
	}
}

func TestTokenExpiry(t *testing.T) {
	clk := newFakeClock()
	a := newAuth(t, auth.Config{Secret: secretA, TokenTTL: time.Hour, Now: clk.Now})
	tok, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Minute)
	if _, err := a.Verify(tok); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clk.Advance(2 * time.Minute)
	if _, err := a.Verify(tok); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("after expiry: got %v, want ErrTokenExpired", err)
	}
}

func TestTokenTampered(t *testing.T) {
	a := newAuth(t, auth.Config{Secret: secretA})
	tok, err := a.Issue("alice")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", tok)
	}
	// Claim to be someone else, keeping the signature.
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(claims), `"sub":"alice"`, `"sub":"admin"`, 1)
	if forged == string(claims) {
		t.Fatalf("claims %s have no subject", claims)
	}
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	sig := []byte(parts[2])
	sig[len(sig)/2] ^= 1
	for name, bad := range map[string]string{
		"claims":    parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2],
		"signature": parts[0] + "." + parts[1] + "." + string(sig),
		"alg none":  noneHeader + "." + parts[1] + ".",
		"garbage":   "not a token",
		"empty":     "",
	} {
		if user, err := a.Verify(bad); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s: Verify = %q, %v; want ErrInvalidToken", name, user, err)
		}
	}
}
