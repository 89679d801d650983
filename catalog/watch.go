package catalog

import (
	"context"
	"encoding/json"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// HeadEvent says that a table's head moved to Version.
type HeadEvent struct {
	TableID string
	Version int64
}

// WatchHeads reports every commit of every table (and of one table when
// tableID is not empty) until ctx ends, through an etcd watch of the
// tables' head keys: no polling. Events of one table arrive in version
// order; a slow reader delays only itself, and the channel closes when the
// watch ends (ctx done, or etcd gone for good). A consumer that must not
// miss a commit re-reads the heads it cares about after (re)starting a
// watch. Once an event is received, reads through this Catalog (and the
// others sharing its etcd client) see its commit.
func (c *Catalog) WatchHeads(ctx context.Context, tableID string) <-chan HeadEvent {
	out := make(chan HeadEvent, 64)
	key := c.prefix + "t/"
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if tableID != "" {
		key, opts = c.headKey(tableID), nil
	}
	wch := c.cli.Watch(clientv3.WithRequireLeader(ctx), key, opts...)
	go func() {
		defer close(out)
		for resp := range wch {
			if resp.Err() != nil {
				return
			}
			for _, ev := range resp.Events {
				if ev.Type != clientv3.EventTypePut {
					continue
				}
				k := string(ev.Kv.Key)
				if !strings.HasSuffix(k, "/head") {
					continue
				}
				id := strings.TrimSuffix(strings.TrimPrefix(k, c.prefix+"t/"), "/head")
				var h head
				if json.Unmarshal(ev.Kv.Value, &h) != nil {
					continue
				}
				c.mustSee(ev.Kv.ModRevision)
				select {
				case out <- HeadEvent{TableID: id, Version: h.Version}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
