package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// CreateNamespace creates a namespace. It fails with ErrAlreadyExists when
// the name is taken and ErrInvalid when the name is not valid.
func (c *Catalog) CreateNamespace(ctx context.Context, name string, props map[string]string) (*Namespace, error) {
	if err := ValidateName("namespace", name); err != nil {
		return nil, err
	}
	for k := range props {
		if k == "" {
			return nil, fmt.Errorf("%w: namespace %q: property names must not be empty", ErrInvalid, name)
		}
	}
	ns := &Namespace{Name: name, Properties: maps.Clone(props), CreatedAt: c.now()}
	if len(ns.Properties) == 0 {
		ns.Properties = nil
	}
	b, err := json.Marshal(ns)
	if err != nil {
		return nil, fmt.Errorf("catalog: encode namespace %q: %w", name, err)
	}
	key := c.nsKey(name)
	resp, err := c.txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(b))).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("catalog: create namespace %q: %w", name, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("%w: namespace %q already exists", ErrAlreadyExists, name)
	}
	return ns, nil
}

// ensureDefaultNamespace creates the default namespace unless it exists.
func (c *Catalog) ensureDefaultNamespace(ctx context.Context) error {
	_, err := c.CreateNamespace(ctx, DefaultNamespace, nil)
	if err != nil && !errors.Is(err, ErrAlreadyExists) {
		return err
	}
	return nil
}

// GetNamespace returns a namespace, or ErrNotFound.
func (c *Catalog) GetNamespace(ctx context.Context, name string) (*Namespace, error) {
	if ValidateName("namespace", name) != nil {
		return nil, namespaceNotFound(name)
	}
	resp, err := c.cli.Get(ctx, c.nsKey(name))
	if err != nil {
		return nil, fmt.Errorf("catalog: get namespace %q: %w", name, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, namespaceNotFound(name)
	}
	return decodeNamespace(resp.Kvs[0].Value)
}

func namespaceNotFound(name string) error {
	return fmt.Errorf("%w: namespace %q does not exist", ErrNotFound, name)
}

func decodeNamespace(b []byte) (*Namespace, error) {
	var ns Namespace
	if err := json.Unmarshal(b, &ns); err != nil {
		return nil, fmt.Errorf("catalog: decode namespace: %w", err)
	}
	return &ns, nil
}

// ListNamespaces returns every namespace, sorted by name.
func (c *Catalog) ListNamespaces(ctx context.Context) ([]Namespace, error) {
	var out []Namespace
	p := c.nsPrefix()
	err := c.rangeAll(ctx, p, clientv3.GetPrefixRangeEnd(p), func(kv *mvccpb.KeyValue) error {
		ns, err := decodeNamespace(kv.Value)
		if err != nil {
			return err
		}
		out = append(out, *ns)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DropNamespace removes an empty namespace. It fails with ErrNotFound when
// the namespace does not exist, ErrNotEmpty when it still holds tables or
// views and ErrInvalid for the default namespace.
func (c *Catalog) DropNamespace(ctx context.Context, name string) error {
	if name == DefaultNamespace {
		return fmt.Errorf("%w: namespace %q cannot be dropped", ErrInvalid, name)
	}
	if ValidateName("namespace", name) != nil {
		return namespaceNotFound(name)
	}
	key, tables, views := c.nsKey(name), c.tnamePrefix(name), c.viewPrefix(name)
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.CreateRevision(key), ">", 0),
			clientv3.Compare(clientv3.CreateRevision(tables), "=", 0).WithPrefix(),
			clientv3.Compare(clientv3.CreateRevision(views), "=", 0).WithPrefix(),
		).
		Then(clientv3.OpDelete(key)).
		Else(
			clientv3.OpGet(key, clientv3.WithCountOnly()),
			clientv3.OpGet(tables, clientv3.WithPrefix(), clientv3.WithCountOnly()),
			clientv3.OpGet(views, clientv3.WithPrefix(), clientv3.WithCountOnly()),
		).
		Commit()
	if err != nil {
		return fmt.Errorf("catalog: drop namespace %q: %w", name, err)
	}
	if resp.Succeeded {
		return nil
	}
	if resp.Responses[0].GetResponseRange().Count == 0 {
		return namespaceNotFound(name)
	}
	nt := resp.Responses[1].GetResponseRange().Count
	nv := resp.Responses[2].GetResponseRange().Count
	return fmt.Errorf("%w: namespace %q still holds %d table(s) and %d view(s)", ErrNotEmpty, name, nt, nv)
}
