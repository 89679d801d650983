package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// tableRecord is the stored form of a table's metadata (key t/<id>/meta).
type tableRecord struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Path      string `json:"path"`
	// Schema is the current schema as an Arrow IPC stream holding only the
	// schema message.
	Schema   []byte `json:"schema"`
	SchemaID int64  `json:"schema_id"`
	// LastFieldID is the highest field id ever assigned, so that a dropped
	// column's id is never given to a new column.
	LastFieldID   int               `json:"last_field_id"`
	PrimaryKey    []string          `json:"primary_key,omitempty"`
	PartitionBy   []string          `json:"partition_by,omitempty"`
	HashBucketNum int               `json:"hash_bucket_num"`
	Properties    map[string]string `json:"properties,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
}

func newTableRecord(t *Table, schemaBytes []byte, lastFieldID int) *tableRecord {
	return &tableRecord{
		ID:            t.ID,
		Namespace:     t.Namespace,
		Name:          t.Name,
		Path:          t.Path,
		Schema:        schemaBytes,
		SchemaID:      t.SchemaID,
		LastFieldID:   lastFieldID,
		PrimaryKey:    t.PrimaryKey,
		PartitionBy:   t.PartitionBy,
		HashBucketNum: t.HashBucketNum,
		Properties:    t.Properties,
		CreatedAt:     t.CreatedAt,
	}
}

func decodeTableRecord(b []byte) (*tableRecord, error) {
	var r tableRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode table metadata: %w", err)
	}
	return &r, nil
}

// table returns the Table described by r.
func (c *Catalog) table(r *tableRecord) (*Table, error) {
	s, err := c.cachedSchema(r.ID, r.SchemaID, r.Schema)
	if err != nil {
		return nil, err
	}
	return &Table{
		ID:            r.ID,
		Namespace:     r.Namespace,
		Name:          r.Name,
		Path:          r.Path,
		Schema:        s,
		SchemaID:      r.SchemaID,
		PrimaryKey:    r.PrimaryKey,
		PartitionBy:   r.PartitionBy,
		HashBucketNum: r.HashBucketNum,
		Properties:    r.Properties,
		CreatedAt:     r.CreatedAt,
	}, nil
}

// encodeSchema serializes s as an Arrow IPC stream with no record batches.
func encodeSchema(s *arrow.Schema) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(s))
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("catalog: encode schema: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeSchema(b []byte) (*arrow.Schema, error) {
	r, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("catalog: decode schema: %w", err)
	}
	defer r.Release()
	return r.Schema(), nil
}

// CreateTable validates spec and creates the table with its version 0 (an
// empty table, recorded as an OpCreate commit) in one transaction. It fails
// with ErrInvalid for a bad spec, ErrNotFound when the namespace does not
// exist and ErrAlreadyExists when a table or a view has the name.
func (c *Catalog) CreateTable(ctx context.Context, spec TableSpec) (*Table, error) {
	t, lastFieldID, err := prepareTable(spec)
	if err != nil {
		return nil, err
	}
	if t.ID, err = newTableID(); err != nil {
		return nil, err
	}
	now := c.now()
	t.Path = t.Namespace + "/" + t.Name + "-" + t.ID
	t.CreatedAt = now
	schemaBytes, err := encodeSchema(t.Schema)
	if err != nil {
		return nil, err
	}
	meta, err := json.Marshal(newTableRecord(t, schemaBytes, lastFieldID))
	if err != nil {
		return nil, fmt.Errorf("catalog: encode table: %w", err)
	}
	first := Commit{Version: 0, ReadVersion: -1, Timestamp: now, Operation: OpCreate}
	commitJSON, err := json.Marshal(&first)
	if err != nil {
		return nil, fmt.Errorf("catalog: encode commit: %w", err)
	}

	nsKey, nameKey := c.nsKey(t.Namespace), c.tnameKey(t.Namespace, t.Name)
	viewKey := c.viewKey(t.Namespace, t.Name)
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.CreateRevision(nsKey), ">", 0),
			clientv3.Compare(clientv3.CreateRevision(nameKey), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(viewKey), "=", 0),
			clientv3.Compare(clientv3.CreateRevision(c.metaKey(t.ID)), "=", 0),
		).
		Then(
			clientv3.OpPut(nameKey, t.ID),
			clientv3.OpPut(c.metaKey(t.ID), string(meta)),
			clientv3.OpPut(c.schemaKey(t.ID, 0), string(schemaBytes)),
			clientv3.OpPut(c.headKey(t.ID), encodeHead(0, now)),
			clientv3.OpPut(c.commitKey(t.ID, 0), string(commitJSON)),
			clientv3.OpPut(c.tsKey(t.ID, now.UnixNano()), "0"),
		).
		Else(
			clientv3.OpGet(nsKey, clientv3.WithCountOnly()),
			clientv3.OpGet(nameKey, clientv3.WithCountOnly()),
			clientv3.OpGet(viewKey, clientv3.WithCountOnly()),
		).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("catalog: create table %s.%s: %w", t.Namespace, t.Name, err)
	}
	if !resp.Succeeded {
		switch {
		case resp.Responses[0].GetResponseRange().Count == 0:
			return nil, namespaceNotFound(t.Namespace)
		case resp.Responses[1].GetResponseRange().Count > 0:
			return nil, fmt.Errorf("%w: table %s.%s already exists", ErrAlreadyExists, t.Namespace, t.Name)
		case resp.Responses[2].GetResponseRange().Count > 0:
			return nil, fmt.Errorf("%w: %s.%s already exists as a view", ErrAlreadyExists, t.Namespace, t.Name)
		default:
			return nil, fmt.Errorf("catalog: create table %s.%s: table id %s collided, retry", t.Namespace, t.Name, t.ID)
		}
	}
	c.schemas.put(t.ID, 0, t.Schema)
	return t, nil
}

func tableNotFound(ns, name string) error {
	return fmt.Errorf("%w: table %s.%s does not exist", ErrNotFound, ns, name)
}

// tableID returns the id of the table ns.name, from the cache when it is
// current.
func (c *Catalog) tableID(ctx context.Context, ns, name string) (string, error) {
	return c.lookupTableID(ctx, ns, name, c.cache(ctx))
}

// readTableID returns the id of the table ns.name read from etcd, for
// changes made by name: they compare it in their transaction.
func (c *Catalog) readTableID(ctx context.Context, ns, name string) (string, error) {
	return c.lookupTableID(ctx, ns, name, nil)
}

// lookupTableID looks ns.name up in sc, unless nil, else in etcd.
func (c *Catalog) lookupTableID(ctx context.Context, ns, name string, sc *stateCache) (string, error) {
	if ValidateName("namespace", ns) != nil || ValidateName("table", name) != nil {
		return "", tableNotFound(ns, name)
	}
	if sc != nil {
		if id, ok := sc.tableID(ns, name); ok {
			return id, nil
		}
	}
	resp, err := c.cli.Get(ctx, c.tnameKey(ns, name))
	if err != nil {
		return "", fmt.Errorf("catalog: look up table %s.%s: %w", ns, name, err)
	}
	if len(resp.Kvs) == 0 {
		return "", tableNotFound(ns, name)
	}
	id := string(resp.Kvs[0].Value)
	if sc != nil {
		sc.putName(ns, name, id, resp.Header.Revision)
	}
	return id, nil
}

// LoadTable returns the current metadata of table ns.name, or ErrNotFound.
func (c *Catalog) LoadTable(ctx context.Context, namespace, name string) (*Table, error) {
	id, err := c.tableID(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	t, err := c.LoadTableByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, tableNotFound(namespace, name) // dropped meanwhile
	}
	return t, err
}

// LoadTableByID returns the current metadata of the table with id, or
// ErrNotFound.
func (c *Catalog) LoadTableByID(ctx context.Context, id string) (*Table, error) {
	if !isTableID(id) {
		return nil, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, id)
	}
	if c.state != nil {
		st, err := c.cachedState(ctx, id)
		if err != nil {
			return nil, err
		}
		return c.table(st.rec)
	}
	resp, err := c.cli.Get(ctx, c.metaKey(id))
	if err != nil {
		return nil, fmt.Errorf("catalog: load table %s: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, id)
	}
	rec, err := decodeTableRecord(resp.Kvs[0].Value)
	if err != nil {
		return nil, fmt.Errorf("catalog: table %s: %w", id, err)
	}
	return c.table(rec)
}

// ListTables returns the tables of a namespace sorted by name, or
// ErrNotFound when the namespace does not exist.
func (c *Catalog) ListTables(ctx context.Context, namespace string) ([]*Table, error) {
	if _, err := c.GetNamespace(ctx, namespace); err != nil {
		return nil, err
	}
	var ids []string
	p := c.tnamePrefix(namespace)
	err := c.rangeAll(ctx, p, clientv3.GetPrefixRangeEnd(p), func(kv *mvccpb.KeyValue) error {
		ids = append(ids, string(kv.Value))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Table, 0, len(ids))
	const chunk = 64 // gets per transaction, below etcd's 128 operations
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		ops := make([]clientv3.Op, n)
		for i, id := range ids[:n] {
			ops[i] = clientv3.OpGet(c.metaKey(id))
		}
		resp, err := c.txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, fmt.Errorf("catalog: list tables of %q: %w", namespace, err)
		}
		for i, r := range resp.Responses {
			kvs := r.GetResponseRange().Kvs
			if len(kvs) == 0 {
				continue // dropped meanwhile
			}
			rec, err := decodeTableRecord(kvs[0].Value)
			if err != nil {
				return nil, fmt.Errorf("catalog: table %s: %w", ids[i], err)
			}
			t, err := c.table(rec)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		ids = ids[n:]
	}
	return out, nil
}

// DropTable removes table ns.name and its whole history from the catalog in
// one transaction and returns its last metadata. The same transaction
// records the table under dropped/<id> (see DroppedTables): data files and
// manifests under Table.Path are left to the caller, who removes them and
// then calls ForgetDroppedTable.
func (c *Catalog) DropTable(ctx context.Context, namespace, name string) (*Table, error) {
	for {
		t, retry, err := c.dropTable(ctx, namespace, name)
		if !retry {
			return t, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// dropTable makes one attempt of DropTable; retry reports that the table's
// metadata changed between its read and the transaction.
func (c *Catalog) dropTable(ctx context.Context, namespace, name string) (_ *Table, retry bool, _ error) {
	id, err := c.readTableID(ctx, namespace, name)
	if err != nil {
		return nil, false, err
	}
	meta, err := c.cli.Get(ctx, c.metaKey(id))
	if err != nil {
		return nil, false, fmt.Errorf("catalog: drop table %s.%s: %w", namespace, name, err)
	}
	if len(meta.Kvs) == 0 {
		return nil, false, tableNotFound(namespace, name) // dropped meanwhile
	}
	rec, err := decodeTableRecord(meta.Kvs[0].Value)
	if err != nil {
		return nil, false, fmt.Errorf("catalog: drop table %s: %w", id, err)
	}
	record, err := json.Marshal(DroppedTable{
		ID: id, Namespace: rec.Namespace, Name: rec.Name, Path: rec.Path, DroppedAt: c.now(),
	})
	if err != nil {
		return nil, false, fmt.Errorf("catalog: drop table %s.%s: %w", namespace, name, err)
	}
	nameKey := c.tnameKey(namespace, name)
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.Value(nameKey), "=", id),
			clientv3.Compare(clientv3.ModRevision(c.metaKey(id)), "=", meta.Kvs[0].ModRevision),
		).
		Then(
			clientv3.OpDelete(nameKey),
			clientv3.OpDelete(c.tablePrefix(id), clientv3.WithPrefix()),
			clientv3.OpPut(c.droppedKey(id), string(record)),
		).
		Else(clientv3.OpGet(nameKey)).
		Commit()
	if err != nil {
		return nil, false, fmt.Errorf("catalog: drop table %s.%s: %w", namespace, name, err)
	}
	if !resp.Succeeded {
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 || string(kvs[0].Value) != id {
			return nil, false, tableNotFound(namespace, name)
		}
		return nil, true, nil
	}
	c.snaps.dropTable(id)
	defer c.schemas.dropTable(id)
	t, err := c.table(rec)
	return t, false, err
}
