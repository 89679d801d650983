package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
)

// secretFile is where a generated secret is kept, under the data directory.
const secretFile = "secret"

// resolveSecret returns the key that signs tokens and tickets: --secret when
// given; otherwise, with the embedded etcd, the one kept in
// <data-dir>/secret (generated on first start, mode 0600), so restarts keep
// tokens and tickets valid; otherwise a random one, which replicas cannot
// share.
func resolveSecret(c serveConfig, lg *slog.Logger) ([]byte, error) {
	if c.Secret != "" {
		return []byte(c.Secret), nil
	}
	if !c.embedded() {
		lg.Warn("no --secret (LAKESOUL_SECRET) set: using a random one; replicas behind one address must share a secret, or tokens and tickets from one fail on the others")
		return randomSecret()
	}
	return loadOrCreateSecret(filepath.Join(c.DataDir, secretFile), lg)
}

func randomSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random secret: %w", err)
	}
	return []byte(hex.EncodeToString(b)), nil
}

// loadOrCreateSecret reads the secret kept at path, creating it when
// missing.
func loadOrCreateSecret(path string, lg *slog.Logger) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		s := strings.TrimSpace(string(b))
		if len(s) < auth.MinSecretLen {
			return nil, fmt.Errorf("secret file %s holds %d bytes, want at least %d", path, len(s), auth.MinSecretLen)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			lg.Warn("secret file is readable by other users", "path", path, "mode", fi.Mode().Perm().String())
		}
		return []byte(s), nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read secret: %w", err)
	}
	s, err := randomSecret()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateSecret(path, lg) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("create secret file: %w", err)
	}
	_, err = f.Write(append(s, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("write secret file: %w", err)
	}
	lg.Info("generated a secret for tokens and tickets", "path", path)
	return s, nil
}
