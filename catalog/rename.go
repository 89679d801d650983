package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// RenameTable renames table namespace.name to newNamespace.newName (an
// existing namespace, possibly another one) in one transaction: the name
// moves, the table id, path and files stay. The rename is recorded as an
// OpSchemaChange commit keeping the schema id, with Summary renamed_from
// and renamed_to, so it shows in the history. Like properties, names are
// not versioned: snapshots of any version carry the new name.
//
// It fails with ErrNotFound for an unknown table or target namespace, and
// with ErrAlreadyExists when a table or a view has the new name.
func (c *Catalog) RenameTable(ctx context.Context, namespace, name, newNamespace, newName string) (*Table, error) {
	if err := ValidateName("namespace", newNamespace); err != nil {
		return nil, err
	}
	if err := ValidateName("table", newName); err != nil {
		return nil, err
	}
	if namespace == newNamespace && name == newName {
		return nil, fmt.Errorf("%w: table %s.%s already has that name", ErrAlreadyExists, namespace, name)
	}
	for {
		t, retry, err := c.renameTable(ctx, namespace, name, newNamespace, newName)
		if !retry {
			return t, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// renameTable makes one attempt of RenameTable; retry reports that the
// table changed between its read and the transaction.
func (c *Catalog) renameTable(ctx context.Context, ns, name, newNS, newName string) (_ *Table, retry bool, _ error) {
	id, err := c.readTableID(ctx, ns, name)
	if err != nil {
		return nil, false, err
	}
	st, err := c.readState(ctx, id)
	if err != nil {
		return nil, false, tableNotFound(ns, name)
	}
	rec := st.rec
	next := *rec
	next.Namespace, next.Name = newNS, newName
	meta, err := json.Marshal(&next)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: encode table: %w", err)
	}
	cm := Commit{
		Version:     st.head.Version + 1,
		ReadVersion: st.head.Version,
		Timestamp:   c.nextTimestamp(st.head.TS),
		Operation:   OpSchemaChange,
		SchemaID:    rec.SchemaID,
		Summary:     map[string]string{"renamed_from": ns + "." + name, "renamed_to": newNS + "." + newName},
	}
	commitJSON, err := json.Marshal(&cm)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: encode commit: %w", err)
	}
	nameKey, newNameKey := c.tnameKey(ns, name), c.tnameKey(newNS, newName)
	nsKey, viewKey := c.nsKey(newNS), c.viewKey(newNS, newName)
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.Value(nameKey), "=", id),
			clientv3.Compare(clientv3.CreateRevision(nsKey), ">", 0),
			clientv3.Compare(clientv3.CreateRevision(newNameKey), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(viewKey), "=", 0),
			clientv3.Compare(clientv3.Value(c.headKey(id)), "=", string(st.headRaw)),
			clientv3.Compare(clientv3.ModRevision(c.metaKey(id)), "=", st.metaRev),
		).
		Then(
			clientv3.OpDelete(nameKey),
			clientv3.OpPut(newNameKey, id),
			clientv3.OpPut(c.metaKey(id), string(meta)),
			clientv3.OpPut(c.headKey(id), encodeHead(cm.Version, cm.Timestamp)),
			clientv3.OpPut(c.commitKey(id, cm.Version), string(commitJSON)),
			clientv3.OpPut(c.tsKey(id, cm.Timestamp.UnixNano()), fmt.Sprint(cm.Version)),
		).
		Else(
			clientv3.OpGet(nameKey),
			clientv3.OpGet(nsKey, clientv3.WithCountOnly()),
			clientv3.OpGet(newNameKey, clientv3.WithCountOnly()),
			clientv3.OpGet(viewKey, clientv3.WithCountOnly()),
		).
		Commit()
	if err != nil {
		return nil, false, fmt.Errorf("catalog: rename table %s.%s: %w", ns, name, err)
	}
	if !resp.Succeeded {
		kvs := resp.Responses[0].GetResponseRange().Kvs
		switch {
		case len(kvs) == 0 || string(kvs[0].Value) != id:
			return nil, false, tableNotFound(ns, name)
		case resp.Responses[1].GetResponseRange().Count == 0:
			return nil, false, namespaceNotFound(newNS)
		case resp.Responses[2].GetResponseRange().Count > 0:
			return nil, false, fmt.Errorf("%w: table %s.%s already exists", ErrAlreadyExists, newNS, newName)
		case resp.Responses[3].GetResponseRange().Count > 0:
			return nil, false, fmt.Errorf("%w: %s.%s already exists as a view", ErrAlreadyExists, newNS, newName)
		}
		return nil, true, nil
	}
	c.cacheNext(ctx, st, &next, &cm)
	t, err := c.table(&next)
	return t, false, err
}
