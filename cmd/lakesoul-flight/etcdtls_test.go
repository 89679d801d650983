package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/auth/authtest"
)

// TestOpenEtcdMutualTLS connects to an etcd server that requires client
// certificates, as serve and compact do with --etcd-ca, --etcd-cert and
// --etcd-key; without a client certificate the connection is refused.
func TestOpenEtcdMutualTLS(t *testing.T) {
	certs := authtest.WriteCerts(t)
	ports := make([]int, 2)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cu, _ := url.Parse(fmt.Sprintf("https://localhost:%d", ports[0]))
	pu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[1]))
	ec := embed.NewConfig()
	ec.Dir = t.TempDir()
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	ec.UnsafeNoFsync = true
	ec.TickMs, ec.ElectionMs = 10, 100
	ec.ClientTLSInfo.CertFile, ec.ClientTLSInfo.KeyFile = certs.ServerCert, certs.ServerKey
	ec.ClientTLSInfo.TrustedCAFile = certs.CA
	ec.ClientTLSInfo.ClientCertAuth = true
	e, err := embed.StartEtcd(ec)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		t.Fatal("etcd not ready")
	}

	ctx := context.Background()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	base := []string{"--etcd-endpoints", cu.String(), "--etcd-ca", certs.CA}
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"client certificate", []string{"--etcd-cert", certs.ClientCert, "--etcd-key", certs.ClientKey}, true},
		{"no client certificate", nil, false},
		{"certificate of another CA", []string{"--etcd-cert", certs.OtherClientCert, "--etcd-key", certs.OtherClientKey}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServeConfig(append(append([]string{}, base...), tc.args...), env(nil), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			timeout := time.Second // a refused handshake only ends with the deadline
			if tc.ok {
				timeout = 10 * time.Second
			}
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			cl := &closers{lg: lg}
			defer cl.closeAll()
			cli, err := openEtcd(cctx, cfg, runEnv{}, lg, cl, prometheus.NewRegistry())
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := cli.Put(ctx, cfg.EtcdPrefix+"probe", "x"); err != nil {
					t.Fatal(err)
				}
			} else if err == nil {
				t.Fatal("connected without a certificate the server trusts")
			}
		})
	}
}
