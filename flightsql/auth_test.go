package flightsql_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	lsflight "github.com/lakesoul-io/lakesoul-flight/flightsql"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth"
)

// TestAuth: with users configured, calls need a token from the Basic
// handshake; a wrong password and a missing token are Unauthenticated.
func TestAuth(t *testing.T) {
	a, err := auth.New(auth.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), Users: auth.SingleUser("alice", "s3cret")})
	if err != nil {
		t.Fatal(err)
	}
	// alice is a user of the configuration, so she may do everything.
	s := startServer(t, serverOpts{auth: a, cfg: func(c *lsflight.Config) { c.Admins = []string{"alice"} }})
	c := s.client(t)
	ctx := context.Background()

	_, err = c.Execute(ctx, "SELECT 1")
	wantCode(t, err, codes.Unauthenticated, "")
	_, err = c.Client.AuthenticateBasicToken(ctx, "alice", "wrong")
	wantCode(t, err, codes.Unauthenticated, "")
	actx, err := c.Client.AuthenticateBasicToken(ctx, "alice", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteUpdate(actx, "CREATE TABLE x (a BIGINT)"); err != nil {
		t.Fatal(err)
	}
	exec := func(q string) {
		if _, err := c.ExecuteUpdate(actx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("INSERT INTO x VALUES (1), (2)")
	info, err := c.Execute(actx, "SELECT sum(a) FROM x")
	if err != nil {
		t.Fatal(err)
	}
	// DoGet needs the token too.
	if _, err := c.DoGet(ctx, info.Endpoint[0].Ticket); err == nil {
		r, _ := c.DoGet(ctx, info.Endpoint[0].Ticket)
		for r.Next() {
		}
		wantCode(t, r.Err(), codes.Unauthenticated, "")
	}
	r, err := c.DoGet(actx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	if got := r.RecordBatch().Column(0).ValueStr(0); got != "3" {
		t.Fatalf("sum %s", got)
	}
	r.Release()
}

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lakesoul-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestTLS: a TLS server answers TLS clients and refuses plaintext ones.
func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s := startServer(t, serverOpts{tls: creds})
	c := s.client(t, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	fillTable(t, c, 5)
	wantRows(t, query(t, c, "SELECT count(*) FROM t"), []any{int64(5)})

	plain := s.client(t, grpc.WithTransportCredentials(insecure.NewCredentials()))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := plain.Execute(ctx, "SELECT 1"); err == nil {
		t.Fatal("a plaintext client reached a TLS server")
	}
}
