package catalog

import (
	"errors"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestConfigValidate(t *testing.T) {
	cli := &clientv3.Client{} // never used: Validate only checks presence
	tests := []struct {
		name string
		mod  func(*Config)
		msg  string
	}{
		{"defaults", func(*Config) {}, ""},
		{"zero values", func(c *Config) { *c = Config{Client: cli} }, ""},
		{"negative disables", func(c *Config) { c.CheckpointEvery = -1; c.SnapshotCacheSize = -1 }, ""},
		{"no client", func(c *Config) { c.Client = nil }, "Client is required"},
		{"prefix without slash", func(c *Config) { c.Prefix = "/x" }, "must end with"},
		{"inline limit too large", func(c *Config) { c.InlineLimit = 2 << 20 }, "InlineLimit"},
		{"negative inline limit", func(c *Config) { c.InlineLimit = -1 }, "InlineLimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Client = cli
			tt.mod(&cfg)
			err := cfg.Validate()
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want ErrInvalid mentioning %q", err, tt.msg)
			}
		})
	}
}

func TestPrefixIsolation(t *testing.T) {
	a, cli := newTestCatalog(t, func(cfg *Config) { cfg.Prefix = "/a/" })
	b := openCatalog(t, cli, func(cfg *Config) { cfg.Prefix = "/b/" })
	ctx := ctxT(t)
	mustCreate(t, a, pkSpec("only_in_a"))
	if _, err := b.LoadTable(ctx, DefaultNamespace, "only_in_a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("table leaked across prefixes: %v", err)
	}
	mustCreate(t, b, pkSpec("only_in_a")) // the same name is free under /b/
}
