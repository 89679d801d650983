package auth_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth/authtest"
)

func clientTLS(t *testing.T, caFile, certFile, keyFile string) credentials.TransportCredentials {
	t.Helper()
	pool, err := auth.CertPool(caFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg)
}

func TestTLS(t *testing.T) {
	certs := authtest.WriteCerts(t)
	cfg, err := auth.TLSConfig(certs.ServerCert, certs.ServerKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.NoClientCert {
		t.Fatalf("config: min version %x, client auth %v", cfg.MinVersion, cfg.ClientAuth)
	}
	a := newAuth(t, auth.Config{Secret: secretA, Users: auth.SingleUser("alice", "pw")})
	addr := startServer(t, a, grpc.Creds(credentials.NewTLS(cfg)))
	ctx := ctxT(t)

	cl := newClient(t, addr, clientTLS(t, certs.CA, "", ""), nil)
	authCtx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if user, err := whoami(authCtx, cl); err != nil || user != "alice" {
		t.Fatalf("over TLS: %q, %v", user, err)
	}

	// A client that does not trust the server's CA fails the TLS handshake.
	untrusting := newClient(t, addr, clientTLS(t, certs.OtherCA, "", ""), nil)
	if _, err := untrusting.Client.AuthenticateBasicToken(ctx, "alice", "pw"); err == nil {
		t.Fatal("client with the wrong CA connected")
	}
}

func TestMutualTLS(t *testing.T) {
	certs := authtest.WriteCerts(t)
	cfg, err := auth.TLSConfig(certs.ServerCert, certs.ServerKey, certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("client auth %v, want RequireAndVerifyClientCert", cfg.ClientAuth)
	}
	a := newAuth(t, auth.Config{Secret: secretA, Users: auth.SingleUser("alice", "pw")})
	addr := startServer(t, a, grpc.Creds(credentials.NewTLS(cfg)))
	ctx := ctxT(t)

	cl := newClient(t, addr, clientTLS(t, certs.CA, certs.ClientCert, certs.ClientKey), nil)
	authCtx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if user, err := whoami(authCtx, cl); err != nil || user != "alice" {
		t.Fatalf("over mTLS: %q, %v", user, err)
	}

	for name, creds := range map[string]credentials.TransportCredentials{
		"no client certificate":     clientTLS(t, certs.CA, "", ""),
		"certificate of another CA": clientTLS(t, certs.CA, certs.OtherClientCert, certs.OtherClientKey),
	} {
		c := newClient(t, addr, creds, nil)
		if _, err := c.Client.AuthenticateBasicToken(ctx, "alice", "pw"); err == nil {
			t.Errorf("%s: connected", name)
		}
	}
}

func TestTLSConfigErrors(t *testing.T) {
	certs := authtest.WriteCerts(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name               string
		cert, key, ca, msg string
	}{
		{"nothing", "", "", "", "needs a certificate and a key"},
		{"cert only", certs.ServerCert, "", "", "without a key file"},
		{"key only", "", certs.ServerKey, "", "without a certificate file"},
		{"missing cert", missing, certs.ServerKey, "", "read TLS certificate: open " + missing},
		{"missing key", certs.ServerCert, missing, "", "read TLS key: open " + missing},
		{"mismatched pair", certs.ServerCert, certs.ClientKey, "", "does not match"},
		{"missing CA", certs.ServerCert, certs.ServerKey, missing, "read CA certificates: open " + missing},
		{"CA not PEM", certs.ServerCert, certs.ServerKey, notPEM, "no PEM certificates in " + notPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.TLSConfig(tt.cert, tt.key, tt.ca)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want an error containing %q", err, tt.msg)
			}
		})
	}
	// The CA file must hold certificates: the helper reads them as a pool.
	if pool, err := auth.CertPool(certs.CA); err != nil || pool.Equal(x509.NewCertPool()) {
		t.Fatalf("CertPool: %v", err)
	}
}
