package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// View is a stored view: a query expanded where the view is read.
type View struct {
	Namespace string
	Name      string
	SQL       string   // the query as written
	Columns   []string // optional column names, nil when not given
	CreatedAt time.Time
	UpdatedAt time.Time
}

// viewRecord is the stored form of a view (key view/<namespace>/<name>).
type viewRecord struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	SQL       string    `json:"sql"`
	Columns   []string  `json:"columns,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func decodeView(b []byte) (*View, error) {
	var r viewRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("catalog: decode view: %w", err)
	}
	return &View{
		Namespace: r.Namespace,
		Name:      r.Name,
		SQL:       r.SQL,
		Columns:   r.Columns,
		CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt,
	}, nil
}

func encodeView(v *View) (string, error) {
	b, err := json.Marshal(viewRecord{
		Namespace: v.Namespace,
		Name:      v.Name,
		SQL:       v.SQL,
		Columns:   v.Columns,
		CreatedAt: v.CreatedAt,
		UpdatedAt: v.UpdatedAt,
	})
	if err != nil {
		return "", fmt.Errorf("catalog: encode view %s.%s: %w", v.Namespace, v.Name, err)
	}
	return string(b), nil
}

// checkView validates what a caller gives to create a view and returns the
// view to store, with its own copy of the column names.
func checkView(v View) (*View, error) {
	if err := ValidateName("namespace", v.Namespace); err != nil {
		return nil, err
	}
	if err := ValidateName("view", v.Name); err != nil {
		return nil, err
	}
	if strings.TrimSpace(v.SQL) == "" {
		return nil, fmt.Errorf("%w: view %s.%s: the query must not be empty", ErrInvalid, v.Namespace, v.Name)
	}
	out := &View{Namespace: v.Namespace, Name: v.Name, SQL: v.SQL}
	if len(v.Columns) == 0 {
		return out, nil
	}
	seen := make(map[string]bool, len(v.Columns))
	for i, col := range v.Columns {
		if col == "" {
			return nil, fmt.Errorf("%w: view %s.%s: column %d has an empty name", ErrInvalid, v.Namespace, v.Name, i+1)
		}
		if seen[col] {
			return nil, fmt.Errorf("%w: view %s.%s: column %q is listed more than once", ErrInvalid, v.Namespace, v.Name, col)
		}
		seen[col] = true
	}
	out.Columns = slices.Clone(v.Columns)
	return out, nil
}

func viewNotFound(ns, name string) error {
	return fmt.Errorf("%w: view %s.%s does not exist", ErrNotFound, ns, name)
}

// CreateView stores a view and returns it as stored. The namespace must
// exist and no table may have the view's name. An existing view of that
// name is replaced when orReplace is set, keeping its CreatedAt; otherwise
// CreateView fails with ErrAlreadyExists. It fails with ErrInvalid for a
// bad name, an empty query, or column names that are empty or repeated.
//
// Each attempt is one transaction that checks the namespace exists, that
// no table holds the name and that the view key is unchanged since it was
// last seen; a replacement that loses a race with another one reads the
// newer view from the failed transaction and tries again.
func (c *Catalog) CreateView(ctx context.Context, v View, orReplace bool) (*View, error) {
	view, err := checkView(v)
	if err != nil {
		return nil, err
	}
	nsKey := c.nsKey(view.Namespace)
	nameKey := c.tnameKey(view.Namespace, view.Name)
	viewKey := c.viewKey(view.Namespace, view.Name)

	// old is the stored view the next attempt replaces, nil when the key
	// is believed absent; oldRev is its mod revision (0 when absent).
	var old *View
	var oldRev int64
	for {
		now := c.now()
		view.CreatedAt, view.UpdatedAt = now, now
		if old != nil {
			view.CreatedAt = old.CreatedAt
			if view.UpdatedAt.Before(view.CreatedAt) {
				view.UpdatedAt = view.CreatedAt // another process's clock ran ahead
			}
		}
		val, err := encodeView(view)
		if err != nil {
			return nil, err
		}
		resp, err := c.txn(ctx).
			If(
				clientv3.Compare(clientv3.CreateRevision(nsKey), ">", 0),
				clientv3.Compare(clientv3.CreateRevision(nameKey), "=", 0),
				clientv3.Compare(clientv3.ModRevision(viewKey), "=", oldRev),
			).
			Then(clientv3.OpPut(viewKey, val)).
			Else(
				clientv3.OpGet(nsKey, clientv3.WithCountOnly()),
				clientv3.OpGet(nameKey, clientv3.WithCountOnly()),
				clientv3.OpGet(viewKey),
			).
			Commit()
		if err != nil {
			return nil, fmt.Errorf("catalog: create view %s.%s: %w", view.Namespace, view.Name, err)
		}
		if resp.Succeeded {
			return view, nil
		}
		if resp.Responses[0].GetResponseRange().Count == 0 {
			return nil, namespaceNotFound(view.Namespace)
		}
		if resp.Responses[1].GetResponseRange().Count > 0 {
			return nil, fmt.Errorf("%w: %s.%s already exists as a table", ErrAlreadyExists, view.Namespace, view.Name)
		}
		kvs := resp.Responses[2].GetResponseRange().Kvs
		if len(kvs) > 0 && !orReplace {
			return nil, fmt.Errorf("%w: view %s.%s already exists", ErrAlreadyExists, view.Namespace, view.Name)
		}
		// The view appeared, changed or went away since the last attempt.
		old, oldRev = nil, 0
		if len(kvs) > 0 {
			if old, err = decodeView(kvs[0].Value); err != nil {
				return nil, fmt.Errorf("catalog: view %s.%s: %w", view.Namespace, view.Name, err)
			}
			oldRev = kvs[0].ModRevision
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("catalog: create view %s.%s: %w", view.Namespace, view.Name, err)
		}
	}
}

// LoadView returns view ns.name, or ErrNotFound.
func (c *Catalog) LoadView(ctx context.Context, namespace, name string) (*View, error) {
	if ValidateName("namespace", namespace) != nil || ValidateName("view", name) != nil {
		return nil, viewNotFound(namespace, name)
	}
	resp, err := c.cli.Get(ctx, c.viewKey(namespace, name))
	if err != nil {
		return nil, fmt.Errorf("catalog: load view %s.%s: %w", namespace, name, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, viewNotFound(namespace, name)
	}
	v, err := decodeView(resp.Kvs[0].Value)
	if err != nil {
		return nil, fmt.Errorf("catalog: view %s.%s: %w", namespace, name, err)
	}
	return v, nil
}

// ListViews returns the views of a namespace sorted by name, or
// ErrNotFound when the namespace does not exist.
func (c *Catalog) ListViews(ctx context.Context, namespace string) ([]*View, error) {
	if _, err := c.GetNamespace(ctx, namespace); err != nil {
		return nil, err
	}
	var out []*View
	p := c.viewPrefix(namespace)
	err := c.rangeAll(ctx, p, clientv3.GetPrefixRangeEnd(p), func(kv *mvccpb.KeyValue) error {
		v, err := decodeView(kv.Value)
		if err != nil {
			return fmt.Errorf("catalog: view %s: %w", kv.Key, err)
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DropView removes view ns.name, or fails with ErrNotFound.
func (c *Catalog) DropView(ctx context.Context, namespace, name string) error {
	if ValidateName("namespace", namespace) != nil || ValidateName("view", name) != nil {
		return viewNotFound(namespace, name)
	}
	resp, err := c.cli.Delete(ctx, c.viewKey(namespace, name))
	if err != nil {
		return fmt.Errorf("catalog: drop view %s.%s: %w", namespace, name, err)
	}
	if resp.Deleted == 0 {
		return viewNotFound(namespace, name)
	}
	return nil
}
