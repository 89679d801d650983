package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// SetProperties changes a table's properties and returns the table: each
// key of set takes its value, each key of unset is removed (removing a key
// the table does not have is no error). Keys must not be empty, and no key
// may be both set and unset. Properties the catalog understands (merge
// operators, the CDC column) are checked against the current schema as
// CreateTable checks them; failures wrap ErrInvalid and change nothing.
//
// The change is one transaction comparing the metadata key's mod revision
// read before; when another change of the metadata (SetProperties or
// EvolveSchema) wins the race, it is read again and the change reapplied,
// until ctx ends. Concurrent callers setting different keys all land.
//
// Properties are not versioned: SetProperties creates no version, and
// every snapshot resolved afterwards, of any version, carries the new
// properties.
func (c *Catalog) SetProperties(ctx context.Context, tableID string, set map[string]string, unset []string) (*Table, error) {
	for k := range set {
		if k == "" {
			return nil, invalid("table %s: property names must not be empty", tableID)
		}
	}
	for _, k := range unset {
		if k == "" {
			return nil, invalid("table %s: property names must not be empty", tableID)
		}
		if _, ok := set[k]; ok {
			return nil, invalid("table %s: property %q is both set and unset", tableID, k)
		}
	}
	if !isTableID(tableID) {
		return nil, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, tableID)
	}
	backoff := time.Millisecond
	for {
		t, done, err := c.setProperties(ctx, tableID, set, unset)
		if err != nil || done {
			return t, err
		}
		// Lost a race: wait a little, with jitter, so that many writers of
		// one table do not retry in lockstep.
		select {
		case <-time.After(rand.N(backoff) + 1):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// setProperties makes one attempt of SetProperties; done is false when the
// metadata changed since it was read.
func (c *Catalog) setProperties(ctx context.Context, tableID string, set map[string]string, unset []string) (_ *Table, done bool, _ error) {
	resp, err := c.cli.Get(ctx, c.metaKey(tableID))
	if err != nil {
		return nil, false, fmt.Errorf("catalog: set properties of table %s: %w", tableID, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, false, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, tableID)
	}
	kv := resp.Kvs[0]
	rec, err := decodeTableRecord(kv.Value)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: table %s: %w", tableID, err)
	}
	props := maps.Clone(rec.Properties)
	if props == nil {
		props = map[string]string{}
	}
	for _, k := range unset {
		delete(props, k)
	}
	maps.Copy(props, set)
	if len(props) == 0 {
		props = nil
	}
	if maps.Equal(props, rec.Properties) {
		t, err := c.table(rec)
		return t, true, err
	}
	schema, err := c.cachedSchema(tableID, rec.SchemaID, rec.Schema)
	if err != nil {
		return nil, false, err
	}
	if err := checkProperties(schema, rec.PrimaryKey, props); err != nil {
		return nil, false, fmt.Errorf("table %s: %w", tableID, err)
	}
	next := *rec
	next.Properties = props
	meta, err := json.Marshal(&next)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: encode table: %w", err)
	}
	tr, err := c.txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(c.metaKey(tableID)), "=", kv.ModRevision)).
		Then(clientv3.OpPut(c.metaKey(tableID), string(meta))).
		Commit()
	if err != nil {
		return nil, false, fmt.Errorf("catalog: set properties of table %s: %w", tableID, err)
	}
	if !tr.Succeeded {
		return nil, false, nil
	}
	t, err := c.table(&next)
	return t, true, err
}
