package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth/authtest"
	"github.com/lakesoul-io/lakesoul-flight/internal/etcdembed"
)

func TestEtcdClientFlagsAndEnv(t *testing.T) {
	e := env(map[string]string{
		"LAKESOUL_ETCD_ENDPOINTS": "https://e1:2379,https://e2:2379",
		"LAKESOUL_ETCD_CA":        "/env/ca.pem",
		"LAKESOUL_ETCD_CERT":      "/env/cert.pem",
		"LAKESOUL_ETCD_KEY":       "/env/key.pem",
		"LAKESOUL_ETCD_USER":      "env-user",
		"LAKESOUL_ETCD_PASSWORD":  "env-password",
	})
	c, err := parseServeConfig([]string{"--etcd-ca", "/flag/ca.pem", "--etcd-user=flag-user"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.EtcdCA != "/flag/ca.pem" || c.EtcdCert != "/env/cert.pem" || c.EtcdKey != "/env/key.pem" ||
		c.EtcdUser != "flag-user" || c.EtcdPassword != "env-password" {
		t.Fatalf("etcd client settings: %+v", c)
	}
	if !c.etcdTLS() {
		t.Error("a CA and https endpoints should mean TLS")
	}

	// serve and compact both read them: a contradiction stops either at
	// the flags, before anything starts.
	for _, sub := range []string{"serve", "compact"} {
		var stdout, stderr strings.Builder
		code := mainArgs(context.Background(), []string{sub, "--etcd-cert=c.pem", "--etcd-endpoints=https://e:2379"}, strings.NewReader(""), &stdout, &stderr, env(nil))
		if code != 2 || !strings.Contains(stderr.String(), "--etcd-cert needs --etcd-key") {
			t.Errorf("%s: exit %d, stderr %q", sub, code, stderr.String())
		}
		stdout.Reset()
		if code := mainArgs(context.Background(), []string{sub, "--help"}, strings.NewReader(""), &stdout, &stderr, env(nil)); code != 0 {
			t.Errorf("%s --help: exit %d", sub, code)
		}
		for _, f := range etcdClientFlagNames {
			if !strings.Contains(stdout.String(), "--"+f) {
				t.Errorf("%s --help does not list --%s", sub, f)
			}
		}
	}
}

func TestEtcdClientFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"credentials without endpoints", []string{"--etcd-user=u", "--etcd-password=p"}, "need --etcd-endpoints"},
		{"ca without endpoints", []string{"--etcd-ca=ca.pem"}, "need --etcd-endpoints"},
		{"cert without key", []string{"--etcd-endpoints=https://e:2379", "--etcd-cert=c.pem"}, "--etcd-cert needs --etcd-key"},
		{"key without cert", []string{"--etcd-endpoints=https://e:2379", "--etcd-key=k.pem"}, "--etcd-key needs --etcd-cert"},
		{"user without password", []string{"--etcd-endpoints=http://e:2379", "--etcd-user=u"}, "--etcd-user needs a password"},
		{"password without user", []string{"--etcd-endpoints=http://e:2379", "--etcd-password=p"}, "--etcd-user is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseServeConfig(tc.args, env(nil), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestEtcdClientConfig(t *testing.T) {
	certs := authtest.WriteCerts(t)
	base := serveConfig{EtcdEndpoints: []string{"http://e1:2379"}}

	t.Run("plaintext", func(t *testing.T) {
		cc, err := etcdClientConfig(base)
		if err != nil {
			t.Fatal(err)
		}
		if cc.TLS != nil || cc.Username != "" || cc.Password != "" || len(cc.Endpoints) != 1 {
			t.Fatalf("plaintext config: %+v", cc)
		}
	})
	t.Run("password", func(t *testing.T) {
		c := base
		c.EtcdUser, c.EtcdPassword = "root", "pw"
		cc, err := etcdClientConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		if cc.Username != "root" || cc.Password != "pw" || cc.TLS != nil {
			t.Fatalf("password config: %+v", cc)
		}
	})
	t.Run("https endpoint uses system roots", func(t *testing.T) {
		c := serveConfig{EtcdEndpoints: []string{"https://e1:2379"}}
		cc, err := etcdClientConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		if cc.TLS == nil || cc.TLS.RootCAs != nil || len(cc.TLS.Certificates) != 0 {
			t.Fatalf("TLS config: %+v", cc.TLS)
		}
	})
	t.Run("mutual TLS", func(t *testing.T) {
		c := base
		c.EtcdCA, c.EtcdCert, c.EtcdKey = certs.CA, certs.ClientCert, certs.ClientKey
		cc, err := etcdClientConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		if cc.TLS == nil || cc.TLS.RootCAs == nil || len(cc.TLS.Certificates) != 1 {
			t.Fatalf("TLS config: %+v", cc.TLS)
		}
		leaf, err := x509.ParseCertificate(cc.TLS.Certificates[0].Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if leaf.Subject.CommonName != "alice" {
			t.Errorf("client certificate %q, want alice", leaf.Subject.CommonName)
		}
		// A server certificate of the same CA verifies against RootCAs.
		pair, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
		if err != nil {
			t.Fatal(err)
		}
		server, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := server.Verify(x509.VerifyOptions{Roots: cc.TLS.RootCAs, DNSName: "localhost"}); err != nil {
			t.Errorf("server certificate does not verify against --etcd-ca: %v", err)
		}
	})
	t.Run("bad files", func(t *testing.T) {
		notPEM := filepath.Join(t.TempDir(), "x.pem")
		if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]serveConfig{
			"missing ca":    {EtcdEndpoints: base.EtcdEndpoints, EtcdCA: filepath.Join(t.TempDir(), "none.pem")},
			"ca not pem":    {EtcdEndpoints: base.EtcdEndpoints, EtcdCA: notPEM},
			"key not match": {EtcdEndpoints: base.EtcdEndpoints, EtcdCert: certs.ClientCert, EtcdKey: certs.ServerKey},
		} {
			if _, err := etcdClientConfig(c); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
	})
}

// TestOpenEtcdWithPassword connects to an etcd cluster that has
// authentication enabled, as serve and compact do, and checks that the calls
// are timed.
func TestOpenEtcdWithPassword(t *testing.T) {
	ctx := context.Background()
	ecfg := etcdembed.DefaultConfig()
	ecfg.Dir = t.TempDir()
	ecfg.Fast, ecfg.UnsafeNoFsync = true, true
	ecfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	es, err := etcdembed.Start(ctx, ecfg)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	admin, err := es.Client()
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { _, err := admin.UserAdd(ctx, "root", "root-pw"); return err },
		func() error { _, err := admin.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := admin.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	admin.Close()

	args := []string{"--etcd-endpoints", strings.Join(es.Endpoints(), ","), "--etcd-user", "root"}
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))

	// Without the password the server refuses.
	bad, err := parseServeConfig(append(args, "--etcd-password", "wrong"), env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cl := &closers{lg: lg}
	if _, err := openEtcd(ctx, bad, runEnv{}, lg, cl, prometheus.NewRegistry()); err == nil {
		t.Error("a wrong etcd password was accepted")
	}
	cl.closeAll()

	good, err := parseServeConfig(args, env(map[string]string{"LAKESOUL_ETCD_PASSWORD": "root-pw"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cl = &closers{lg: lg}
	defer cl.closeAll()
	cli, err := openEtcd(ctx, good, runEnv{}, lg, cl, reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, good.EtcdPrefix+"probe", "x"); err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(reg, "lakesoul_etcd_request_duration_seconds")
	if err != nil || n == 0 {
		t.Fatalf("etcd calls not timed: %d series, %v", n, err)
	}
}
