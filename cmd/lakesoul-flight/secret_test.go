package main

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateSecret(t *testing.T) {
	var logs bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&logs, nil))
	path := filepath.Join(t.TempDir(), "data", secretFile)
	s1, err := loadOrCreateSecret(path, lg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) < 32 {
		t.Fatalf("secret of %d bytes", len(s1))
	}
	s2, err := loadOrCreateSecret(path, lg)
	if err != nil || string(s2) != string(s1) {
		t.Fatalf("second load: %q, %v; want the same secret", s2, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(path, lg); err != nil || !strings.Contains(logs.String(), "readable by other users") {
		t.Fatalf("world-readable file: %v, logs %q", err, logs.String())
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(path, lg); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Fatalf("short secret file: %v", err)
	}

	// A configured secret wins; external etcd without one gets a random one.
	c := serveConfig{DataDir: t.TempDir(), Secret: "0123456789abcdef"}
	if s, err := resolveSecret(c, lg); err != nil || string(s) != c.Secret {
		t.Fatalf("configured: %q, %v", s, err)
	}
	c = serveConfig{DataDir: t.TempDir(), EtcdEndpoints: []string{"http://e:2379"}}
	logs.Reset()
	if s, err := resolveSecret(c, lg); err != nil || len(s) < 32 || !strings.Contains(logs.String(), "replicas") {
		t.Fatalf("external etcd: %q, %v, logs %q", s, err, logs.String())
	}
	if _, err := os.Stat(filepath.Join(c.DataDir, secretFile)); !os.IsNotExist(err) {
		t.Fatalf("secret persisted with external etcd: %v", err)
	}
}

func TestAdvertisedAddr(t *testing.T) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	bound := &net.TCPAddr{IP: net.IPv4zero, Port: 4242}
	for listen, want := range map[string]string{
		"127.0.0.1:0":   "127.0.0.1:4242",
		"0.0.0.0:4242":  net.JoinHostPort(host, "4242"),
		"[::]:4242":     net.JoinHostPort(host, "4242"),
		":4242":         net.JoinHostPort(host, "4242"),
		"[::1]:4242":    "[::1]:4242",
		"db.example:42": "db.example:4242",
	} {
		if got := advertisedAddr(listen, bound); got != want {
			t.Errorf("advertisedAddr(%q) = %q, want %q", listen, got, want)
		}
	}
}

func TestConnectionURLs(t *testing.T) {
	tests := []struct {
		cfg        serveConfig
		jdbc, adbc string
	}{
		{serveConfig{}, "jdbc:arrow-flight-sql://h:1?useEncryption=false", "grpc://h:1"},
		{serveConfig{User: "bob"}, "jdbc:arrow-flight-sql://h:1?useEncryption=false&user=bob&password=<password>", "grpc://h:1"},
		{serveConfig{UsersFile: "f", TLSCert: "c"}, "jdbc:arrow-flight-sql://h:1?useEncryption=true&user=<user>&password=<password>", "grpc+tls://h:1"},
	}
	for _, tt := range tests {
		jdbc, adbc := connectionURLs(tt.cfg, "h:1")
		if jdbc != tt.jdbc || adbc != tt.adbc {
			t.Errorf("%+v: got %q %q, want %q %q", tt.cfg, jdbc, adbc, tt.jdbc, tt.adbc)
		}
	}
}
