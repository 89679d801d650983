package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeDefaults(t *testing.T) {
	c, err := parseServeConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(defaultDataDir)
	want := serveConfig{
		Listen:          "127.0.0.1:32010",
		DataDir:         abs,
		EtcdPrefix:      "/lakesoul/",
		Warehouse:       "file://" + filepath.ToSlash(filepath.Join(abs, "warehouse")),
		TokenTTL:        12 * time.Hour,
		MetricsListen:   "127.0.0.1:9464",
		LogLevel:        slog.LevelInfo,
		LogFormat:       "text",
		ShutdownTimeout: 30 * time.Second,
	}
	if c.Listen != want.Listen || c.DataDir != want.DataDir || c.EtcdPrefix != want.EtcdPrefix ||
		c.Warehouse != want.Warehouse || c.TokenTTL != want.TokenTTL || c.MetricsListen != want.MetricsListen ||
		c.LogLevel != want.LogLevel || c.LogFormat != want.LogFormat || c.ShutdownTimeout != want.ShutdownTimeout ||
		!c.embedded() || c.tls() || c.passwordAuth() {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if c.authMode() != "disabled" {
		t.Errorf("auth mode %q", c.authMode())
	}
}

func TestServeFlagsAndEnv(t *testing.T) {
	e := env(map[string]string{
		"LAKESOUL_LISTEN":         "127.0.0.1:1000",
		"LAKESOUL_DATA_DIR":       "/env/data",
		"LAKESOUL_ETCD_ENDPOINTS": "http://e1:2379, http://e2:2379,",
		"LAKESOUL_WAREHOUSE":      "s3://bucket/prefix",
		"LAKESOUL_S3_ENDPOINT":    "minio:9000",
		"LAKESOUL_S3_ACCESS_KEY":  "env-access",
		"LAKESOUL_S3_SECRET_KEY":  "env-secret-key",
		"LAKESOUL_S3_INSECURE":    "true",
		"LAKESOUL_USER":           "env-user",
		"LAKESOUL_PASSWORD":       "env-password",
		"LAKESOUL_SECRET":         "0123456789abcdef0123",
		"LAKESOUL_TOKEN_TTL":      "1h",
		"LAKESOUL_LOG_LEVEL":      "debug",
		"LAKESOUL_METRICS_LISTEN": "",
	})
	c, err := parseServeConfig([]string{"--listen", "127.0.0.1:2000", "-s3-access-key=flag-access", "--user", "flag-user", "--log-format=json"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"listen (flag wins)", c.Listen, "127.0.0.1:2000"},
		{"data dir (env)", c.DataDir, "/env/data"},
		{"etcd", strings.Join(c.EtcdEndpoints, " "), "http://e1:2379 http://e2:2379"},
		{"warehouse", c.Warehouse, "s3://bucket/prefix"},
		{"s3 endpoint", c.S3Endpoint, "minio:9000"},
		{"s3 access key (flag wins)", c.S3AccessKey, "flag-access"},
		{"s3 secret key", c.S3SecretKey, "env-secret-key"},
		{"user (flag wins)", c.User, "flag-user"},
		{"password (env)", c.Password, "env-password"},
		{"secret", c.Secret, "0123456789abcdef0123"},
		{"token ttl", c.TokenTTL.String(), "1h0m0s"},
		{"log level", c.LogLevel.String(), "DEBUG"},
		{"log format", c.LogFormat, "json"},
		// An empty variable counts as unset.
		{"metrics", c.MetricsListen, defaultMetricsListen},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	if !c.S3Insecure || c.embedded() {
		t.Errorf("s3 insecure %v, embedded %v", c.S3Insecure, c.embedded())
	}
	// A flag can switch a boolean from the environment off again.
	c, err = parseServeConfig([]string{"--s3-insecure=false", "--metrics-listen="}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3Insecure || c.MetricsListen != "" {
		t.Errorf("flag did not override: s3 insecure %v, metrics %q", c.S3Insecure, c.MetricsListen)
	}
}

func TestServeConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"public without auth", []string{"--listen", "0.0.0.0:32010"}, nil, "refusing to listen on 0.0.0.0:32010 without authentication"},
		{"ipv6 wildcard", []string{"--listen", "[::]:32010"}, nil, "refusing to listen"},
		{"empty host", []string{"--listen", ":32010"}, nil, "refusing to listen"},
		{"lan address", []string{"--listen", "10.1.2.3:32010"}, nil, "--insecure-no-auth"},
		{"public via env", nil, map[string]string{"LAKESOUL_LISTEN": "example.com:1"}, "refusing to listen on example.com:1"},
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, "--tls-cert needs --tls-key"},
		{"key without cert", []string{"--tls-key", "k.pem"}, nil, "--tls-key needs --tls-cert"},
		{"client CA without cert", []string{"--tls-client-ca", "ca.pem"}, nil, "needs --tls-cert"},
		{"user without password", []string{"--user", "u"}, nil, "--user needs a password"},
		{"password without user", nil, map[string]string{"LAKESOUL_PASSWORD": "p"}, "--user is not"},
		{"users file and user", []string{"--users-file", "f", "--user", "u", "--password", "p"}, nil, "exclude each other"},
		{"no auth contradiction", []string{"--insecure-no-auth", "--user", "u", "--password", "p"}, nil, "contradicts"},
		{"short secret", []string{"--secret", "short"}, nil, "at least 16 bytes"},
		{"bad listen", []string{"--listen", "32010"}, nil, "want host:port"},
		{"bad metrics listen", []string{"--metrics-listen", "nope"}, nil, "--metrics-listen"},
		{"bad log level", []string{"--log-level", "loud"}, nil, "--log-level"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"bad ttl", []string{"--token-ttl", "0s"}, nil, "--token-ttl"},
		{"bad env duration", nil, map[string]string{"LAKESOUL_TOKEN_TTL": "soon"}, "LAKESOUL_TOKEN_TTL"},
		{"bad prefix", []string{"--etcd-prefix", "/x"}, nil, "must end with /"},
		{"unknown flag", []string{"--nope"}, nil, "not defined"},
		{"stray argument", []string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseServeConfig(tt.args, env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestServeNonLoopbackAllowed(t *testing.T) {
	for name, args := range map[string][]string{
		"insecure-no-auth": {"--listen", "0.0.0.0:1", "--insecure-no-auth"},
		"single user":      {"--listen", "0.0.0.0:1", "--user", "u", "--password", "p"},
		"users file":       {"--listen", "0.0.0.0:1", "--users-file", "users"},
		"mutual TLS":       {"--listen", "0.0.0.0:1", "--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "ca"},
		"localhost":        {"--listen", "localhost:1"},
		"ipv6 loopback":    {"--listen", "[::1]:1"},
	} {
		if _, err := parseServeConfig(args, env(nil), io.Discard); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// With a users file, LAKESOUL_PASSWORD (meant for the sql client) is ignored.
	c, err := parseServeConfig([]string{"--users-file", "users"}, env(map[string]string{"LAKESOUL_PASSWORD": "p"}), io.Discard)
	if err != nil || c.Password != "" {
		t.Errorf("users file with LAKESOUL_PASSWORD: %v, password %q", err, c.Password)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:1": true, "127.1.2.3:1": true, "[::1]:1": true, "localhost:1": true, "LOCALHOST:1": true,
		"0.0.0.0:1": false, "[::]:1": false, ":1": false, "10.0.0.1:1": false, "myhost:1": false, "garbage": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestServeHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := parseServeConfig([]string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got %v, want flag.ErrHelp", err)
	}
	help := out.String()
	for _, want := range []string{
		"--listen host:port", "env LAKESOUL_LISTEN", "default 127.0.0.1:32010",
		"--data-dir dir", "env LAKESOUL_DATA_DIR", "env LAKESOUL_PASSWORD", "env LAKESOUL_SECRET",
		"env LAKESOUL_S3_SECRET_KEY", "--insecure-no-auth", "env LAKESOUL_INSECURE_NO_AUTH",
		"wins over the variable",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	// Every flag appears in a help group.
	for _, name := range []string{"listen", "data-dir", "etcd-endpoints", "etcd-prefix", "warehouse", "s3-endpoint",
		"s3-access-key", "s3-secret-key", "s3-region", "s3-insecure", "tls-cert", "tls-key", "tls-client-ca",
		"users-file", "user", "password", "secret", "token-ttl", "insecure-no-auth", "metrics-listen",
		"log-level", "log-format", "shutdown-timeout"} {
		if !strings.Contains(help, "--"+name) {
			t.Errorf("help lacks --%s", name)
		}
	}
}

func TestSQLConfig(t *testing.T) {
	c, err := parseSQLConfig([]string{"-e", "select 1"}, env(map[string]string{
		"LAKESOUL_ADDR": "db:1", "LAKESOUL_USER": "u", "LAKESOUL_PASSWORD": "p", "LAKESOUL_TLS_CA": "ca.pem",
		// Variables of the server are not the client's.
		"LAKESOUL_TLS_CERT": "server.pem", "LAKESOUL_E": "drop table x",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "db:1" || c.User != "u" || c.Password != "p" || c.TLSCA != "ca.pem" || !c.TLS || c.Exec != "select 1" || c.TLSClientCert != "" {
		t.Fatalf("got %+v", c)
	}
	c, err = parseSQLConfig(nil, env(nil), io.Discard)
	if err != nil || c.Addr != defaultListen || c.TLS {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	for _, args := range [][]string{{"--user", "u"}, {"--addr", "nope"}, {"--tls-client-cert", "c"}, {"select 1"}} {
		if _, err := parseSQLConfig(args, env(nil), io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
