package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// DroppedTable is a table removed by DropTable whose files may still exist:
// the catalog remembers where they were until ForgetDroppedTable.
type DroppedTable struct {
	ID        string    `json:"id"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Path      string    `json:"path"` // root of the table's files, as Table.Path
	DroppedAt time.Time `json:"dropped_at"`
}

// DroppedTables returns the dropped tables not forgotten yet, oldest drop
// first.
func (c *Catalog) DroppedTables(ctx context.Context) ([]DroppedTable, error) {
	var out []DroppedTable
	p := c.droppedPrefix()
	err := c.rangeAll(ctx, p, clientv3.GetPrefixRangeEnd(p), func(kv *mvccpb.KeyValue) error {
		var d DroppedTable
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			return fmt.Errorf("catalog: decode dropped table %s: %w", kv.Key, err)
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b DroppedTable) int {
		return cmp.Or(a.DroppedAt.Compare(b.DroppedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ForgetDroppedTable removes the record of a dropped table, once its files
// were removed. It fails with ErrNotFound when no dropped table has the id.
func (c *Catalog) ForgetDroppedTable(ctx context.Context, id string) error {
	if !isTableID(id) {
		return fmt.Errorf("%w: no dropped table has id %q", ErrNotFound, id)
	}
	resp, err := c.cli.Delete(ctx, c.droppedKey(id))
	if err != nil {
		return fmt.Errorf("catalog: forget dropped table %s: %w", id, err)
	}
	if resp.Deleted == 0 {
		return fmt.Errorf("%w: no dropped table has id %q", ErrNotFound, id)
	}
	return nil
}
