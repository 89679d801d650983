package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// etcdClientFlags registers the credentials used to reach an external etcd
// cluster: TLS (a CA to verify the servers, a client certificate for mutual
// TLS) and etcd's own user/password authentication.
func etcdClientFlags(fs *flag.FlagSet, c *serveConfig) {
	fs.StringVar(&c.EtcdCA, "etcd-ca", "", "PEM CA `file` verifying the etcd servers (implies TLS)")
	fs.StringVar(&c.EtcdCert, "etcd-cert", "", "PEM client certificate `file` for etcd (with --etcd-key; implies TLS)")
	fs.StringVar(&c.EtcdKey, "etcd-key", "", "PEM private key `file` of --etcd-cert")
	fs.StringVar(&c.EtcdUser, "etcd-user", "", "etcd user `name` (with --etcd-password)")
	fs.StringVar(&c.EtcdPassword, "etcd-password", "", "`password` of --etcd-user (prefer the environment variable)")
}

// etcdClientFlagNames lists the flags of etcdClientFlags, for the help text.
var etcdClientFlagNames = []string{"etcd-ca", "etcd-cert", "etcd-key", "etcd-user", "etcd-password"}

// etcdTLS reports whether the etcd client talks TLS: a CA or a client
// certificate is given, or an endpoint is https://.
func (c serveConfig) etcdTLS() bool {
	if c.EtcdCA != "" || c.EtcdCert != "" {
		return true
	}
	for _, e := range c.EtcdEndpoints {
		if strings.HasPrefix(strings.ToLower(e), "https://") {
			return true
		}
	}
	return false
}

// finishEtcdClient rejects contradictory etcd client settings.
func (c *serveConfig) finishEtcdClient() error {
	set := c.EtcdCA != "" || c.EtcdCert != "" || c.EtcdKey != "" || c.EtcdUser != "" || c.EtcdPassword != ""
	switch {
	case set && c.embedded():
		return errors.New("--etcd-ca, --etcd-cert, --etcd-key, --etcd-user and --etcd-password need --etcd-endpoints (the embedded etcd takes no credentials)")
	case c.EtcdCert != "" && c.EtcdKey == "":
		return errors.New("--etcd-cert needs --etcd-key")
	case c.EtcdKey != "" && c.EtcdCert == "":
		return errors.New("--etcd-key needs --etcd-cert")
	case c.EtcdUser != "" && c.EtcdPassword == "":
		return errors.New("--etcd-user needs a password: --etcd-password or LAKESOUL_ETCD_PASSWORD")
	case c.EtcdUser == "" && c.EtcdPassword != "":
		return errors.New("--etcd-password (or LAKESOUL_ETCD_PASSWORD) is set but --etcd-user is not")
	}
	return nil
}

// etcdClientConfig builds the client configuration of the external etcd
// cluster, loading the TLS files it names.
func etcdClientConfig(c serveConfig) (clientv3.Config, error) {
	cc := clientv3.Config{
		Endpoints:   c.EtcdEndpoints,
		DialTimeout: etcdTimeout,
		Logger:      zap.NewNop(),
		Username:    c.EtcdUser,
		Password:    c.EtcdPassword,
	}
	if !c.etcdTLS() {
		return cc, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.EtcdCA != "" {
		pem, err := os.ReadFile(c.EtcdCA)
		if err != nil {
			return cc, fmt.Errorf("--etcd-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return cc, fmt.Errorf("--etcd-ca %s: no PEM certificate in it", c.EtcdCA)
		}
		tc.RootCAs = pool
	}
	if c.EtcdCert != "" {
		cert, err := tls.LoadX509KeyPair(c.EtcdCert, c.EtcdKey)
		if err != nil {
			return cc, fmt.Errorf("--etcd-cert/--etcd-key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	cc.TLS = tc
	return cc, nil
}
