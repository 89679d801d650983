// Package etcdtest starts real embedded etcd servers for tests.
//
// Each server lives in its own t.TempDir, listens on free loopback ports,
// runs with fsync disabled and short raft timeouts, and is stopped by
// t.Cleanup. Clients returned by Start are closed before their server.
package etcdtest

import (
	"context"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/internal/etcdembed"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// StartServer starts an embedded etcd server that is closed when the test
// ends. A failure to start fails the test.
func StartServer(t testing.TB) *etcdembed.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := etcdembed.Start(ctx, etcdembed.Config{
		Dir:           t.TempDir(),
		UnsafeNoFsync: true,
		Fast:          true,
	})
	if err != nil {
		t.Fatalf("etcdtest: cannot start embedded etcd: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("etcdtest: close server: %v", err)
		}
	})
	return s
}

// Start starts an embedded etcd server and returns a client connected to it.
// Both are closed when the test ends.
func Start(t testing.TB) *clientv3.Client {
	t.Helper()
	return Client(t, StartServer(t))
}

// Client returns a new client of s, closed when the test ends (before s,
// when s was started by the same test).
func Client(t testing.TB, s *etcdembed.Server) *clientv3.Client {
	t.Helper()
	c, err := s.Client()
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("etcdtest: close client: %v", err)
		}
	})
	return c
}
