package catalog

import (
	"context"
	"fmt"
	"testing"

	"github.com/lakesoul-io/lakesoul-flight/internal/etcdtest"
)

// BenchmarkAccess measures what a privilege check costs: reading the access
// data's revision from etcd (the decoded document is cached), with 100
// users and 1000 grants stored.
func BenchmarkAccess(b *testing.B) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Client = etcdtest.Start(b)
	c, err := New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	err = c.UpdateAccess(ctx, func(a *Access) error {
		for i := range 100 {
			if err := a.CreateUser(fmt.Sprintf("u%d", i), "$2a$04$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); err != nil {
				return err
			}
		}
		for i := range 1000 {
			if err := a.Grant(fmt.Sprintf("u%d", i%100), Object{Namespace: "ns", Table: fmt.Sprintf("t%d", i)}, []Privilege{PrivSelect}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		a, err := c.Access(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !a.Allowed("u7", PrivSelect, "ns", "t907") {
			b.Fatal("not allowed")
		}
	}
}
