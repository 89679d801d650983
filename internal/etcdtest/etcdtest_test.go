package etcdtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStart(t *testing.T) {
	begin := time.Now()
	c := etcdtest.Start(t)
	t.Logf("embedded etcd started in %s", time.Since(begin))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("got %v, want k=v", resp.Kvs)
	}
}

func TestTwoClients(t *testing.T) {
	s := etcdtest.StartServer(t)
	a, b := etcdtest.Client(t, s), etcdtest.Client(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Put(ctx, "x", "1"); err != nil {
		t.Fatal(err)
	}
	resp, err := b.Get(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "1" {
		t.Fatalf("second client read %v, want x=1", resp.Kvs)
	}
}
