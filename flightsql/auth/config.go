package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures an Authenticator.
type Config struct {
	// Secret is the HMAC key tokens are signed with. Replicas that serve the
	// same clients must share it. It must be at least 16 bytes; when empty,
	// New draws a random one, which suits a single server whose tokens need
	// not survive a restart.
	Secret []byte
	// TokenTTL is how long an issued token stays valid; default 12h.
	TokenTTL time.Duration
	// Users checks passwords. Nil disables authentication.
	Users UserStore
	// CacheTTL is how long a successful password check is remembered;
	// default one minute, negative disables the cache.
	CacheTTL time.Duration
	// Logger receives failed authentications and handshakes; default
	// slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives the authentication counters.
	Registerer prometheus.Registerer
	// Now is the clock used for issuing and checking tokens; default
	// time.Now. Tests inject a fake clock here.
	Now func() time.Time
}

// MinSecretLen is the shortest accepted Config.Secret.
const MinSecretLen = 16

// DefaultConfig returns the defaults, with no secret and no users
// (authentication disabled).
func DefaultConfig() Config {
	return Config{
		TokenTTL: 12 * time.Hour,
		CacheTTL: time.Minute,
		Logger:   slog.Default(),
		Now:      time.Now,
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case len(c.Secret) > 0 && len(c.Secret) < MinSecretLen:
		return fmt.Errorf("auth: Secret must be at least %d bytes, got %d", MinSecretLen, len(c.Secret))
	case c.TokenTTL < 0:
		return errors.New("auth: TokenTTL must not be negative")
	}
	return nil
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.TokenTTL == 0 {
		c.TokenTTL = d.TokenTTL
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = d.CacheTTL
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	return c
}
