package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs are the PEM files WriteCerts wrote.
type Certs struct {
	CA                    string // CA certificate; signs the others
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	// OtherCA is a second, unrelated CA, for certificates that must not be
	// trusted.
	OtherCA string
	// OtherClientCert and OtherClientKey are a client certificate signed by
	// OtherCA.
	OtherClientCert, OtherClientKey string
}

// WriteCerts writes fresh certificates to a temporary directory of t.
func WriteCerts(t testing.TB) Certs {
	t.Helper()
	dir := t.TempDir()
	w := &writer{t: t, dir: dir}
	caKey, ca := w.ca("lakesoul-test-ca", "ca.pem")
	otherKey, other := w.ca("other-test-ca", "other-ca.pem")
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "lakesoul-flight"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	client := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "alice"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	otherClient := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "mallory"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	c := Certs{CA: filepath.Join(dir, "ca.pem"), OtherCA: filepath.Join(dir, "other-ca.pem")}
	c.ServerCert, c.ServerKey = w.leaf(server, ca, caKey, "server")
	c.ClientCert, c.ClientKey = w.leaf(client, ca, caKey, "client")
	c.OtherClientCert, c.OtherClientKey = w.leaf(otherClient, other, otherKey, "other-client")
	return c
}

type writer struct {
	t      testing.TB
	dir    string
	serial int64
}

func (w *writer) template(tmpl *x509.Certificate) *x509.Certificate {
	w.serial++
	tmpl.SerialNumber = big.NewInt(w.serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	return tmpl
}

func (w *writer) key() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		w.t.Fatal(err)
	}
	return k
}

func (w *writer) ca(name, file string) (*ecdsa.PrivateKey, *x509.Certificate) {
	key := w.key()
	tmpl := w.template(&x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	})
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		w.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		w.t.Fatal(err)
	}
	w.pem(file, "CERTIFICATE", der)
	return key, cert
}

func (w *writer) leaf(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, name string) (certFile, keyFile string) {
	key := w.key()
	tmpl = w.template(tmpl)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		w.t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.pem(name+".pem", "CERTIFICATE", der), w.pem(name+"-key.pem", "PRIVATE KEY", keyDER)
}

func (w *writer) pem(file, typ string, der []byte) string {
	p := filepath.Join(w.dir, file)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}
