package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// cachedSchema returns the decoded schema schemaID of a table, decoding b
// when it is not cached yet.
func (c *Catalog) cachedSchema(tableID string, schemaID int64, b []byte) (*arrow.Schema, error) {
	if s := c.schemas.get(tableID, schemaID); s != nil {
		return s, nil
	}
	s, err := decodeSchema(b)
	if err != nil {
		return nil, fmt.Errorf("table %s schema %d: %w", tableID, schemaID, err)
	}
	c.schemas.put(tableID, schemaID, s)
	return s, nil
}

// Schema returns schema schemaID of a table. Schemas never change once
// written, so it may be answered from memory.
func (c *Catalog) Schema(ctx context.Context, tableID string, schemaID int64) (*arrow.Schema, error) {
	if s := c.schemas.get(tableID, schemaID); s != nil {
		return s, nil
	}
	if !isTableID(tableID) {
		return nil, fmt.Errorf("%w: table id %q does not exist", ErrNotFound, tableID)
	}
	if schemaID < 0 {
		return nil, fmt.Errorf("%w: table %s has no schema %d", ErrNotFound, tableID, schemaID)
	}
	resp, err := c.cli.Get(ctx, c.schemaKey(tableID, schemaID))
	if err != nil {
		return nil, fmt.Errorf("catalog: table %s: read schema %d: %w", tableID, schemaID, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("%w: table %s has no schema %d", ErrNotFound, tableID, schemaID)
	}
	return c.cachedSchema(tableID, schemaID, resp.Kvs[0].Value)
}

// EvolveSchema replaces a table's schema, recording an OpSchemaChange
// commit with version expectVersion+1. expectVersion must be the table's
// head version, or the call fails with ErrVersionMismatch.
//
// Columns are matched by name (AlterSchema is the finer-grained way, with
// renames, widening and defaults): a column present in both schemas keeps its
// field id and must keep its type; it may become nullable but not NOT NULL.
// New columns get fresh field ids (above any id the table ever used) and
// must be nullable, since existing rows have no value for them. Columns
// may be dropped and reordered, except primary key and partition columns
// and columns named by table properties, which must stay. Primary key
// columns stay NOT NULL.
//
// When only the table's metadata changed meanwhile (SetProperties), the
// schema change is checked and attempted again against it.
func (c *Catalog) EvolveSchema(ctx context.Context, tableID string, expectVersion int64, newSchema *arrow.Schema) (*Commit, error) {
	for {
		cm, retry, err := c.evolveSchema(ctx, tableID, expectVersion, newSchema)
		if !retry {
			return cm, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// evolveSchema makes one attempt of EvolveSchema; retry reports that only
// the table's metadata changed meanwhile (SetProperties), so that the
// attempt can be repeated against it.
func (c *Catalog) evolveSchema(ctx context.Context, tableID string, expectVersion int64, newSchema *arrow.Schema) (_ *Commit, retry bool, _ error) {
	st, err := c.readState(ctx, tableID)
	if err != nil {
		return nil, false, err
	}
	if st.head.Version != expectVersion {
		return nil, false, fmt.Errorf("%w: table %s is at version %d, the schema change expected %d",
			ErrVersionMismatch, tableID, st.head.Version, expectVersion)
	}
	rec := st.rec
	old, err := c.cachedSchema(tableID, rec.SchemaID, rec.Schema)
	if err != nil {
		return nil, false, err
	}
	evolved, lastID, summary, err := evolve(rec, old, newSchema)
	if err != nil {
		return nil, false, fmt.Errorf("table %s: %w", tableID, err)
	}
	cm, headKvs, err := c.commitSchema(ctx, st, evolved, lastID, summary)
	if err != nil || cm != nil {
		return cm, false, err
	}
	if len(headKvs) > 0 && string(headKvs[0].Value) == string(st.headRaw) {
		return nil, true, nil
	}
	return nil, false, c.lostRace(tableID, st.head.Version+1, headKvs)
}

// commitSchema commits schema evolved (with the new highest field id
// lastID) as the table's next schema and version, recording an
// OpSchemaChange commit with summary. When the head or the metadata moved
// since st was read it returns no commit, and the head key as it is now
// (empty when the table was dropped).
func (c *Catalog) commitSchema(ctx context.Context, st *tableState, evolved *arrow.Schema, lastID int, summary map[string]string) (*Commit, []*mvccpb.KeyValue, error) {
	rec, tableID, expectVersion := st.rec, st.rec.ID, st.head.Version
	schemaBytes, err := encodeSchema(evolved)
	if err != nil {
		return nil, nil, err
	}
	next := *rec
	next.Schema, next.SchemaID, next.LastFieldID = schemaBytes, rec.SchemaID+1, lastID
	meta, err := json.Marshal(&next)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: encode table: %w", err)
	}
	cm := Commit{
		Version:     expectVersion + 1,
		ReadVersion: expectVersion,
		Timestamp:   c.nextTimestamp(st.head.TS),
		Operation:   OpSchemaChange,
		SchemaID:    next.SchemaID,
		Summary:     summary,
	}
	commitJSON, err := json.Marshal(&cm)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: encode commit: %w", err)
	}
	resp, err := c.txn(ctx).
		If(
			clientv3.Compare(clientv3.Value(c.headKey(tableID)), "=", string(st.headRaw)),
			clientv3.Compare(clientv3.ModRevision(c.metaKey(tableID)), "=", st.metaRev),
		).
		Then(
			clientv3.OpPut(c.schemaKey(tableID, next.SchemaID), string(schemaBytes)),
			clientv3.OpPut(c.metaKey(tableID), string(meta)),
			clientv3.OpPut(c.headKey(tableID), encodeHead(cm.Version, cm.Timestamp)),
			clientv3.OpPut(c.commitKey(tableID, cm.Version), string(commitJSON)),
			clientv3.OpPut(c.tsKey(tableID, cm.Timestamp.UnixNano()), fmt.Sprint(cm.Version)),
		).
		Else(
			clientv3.OpGet(c.headKey(tableID)),
			clientv3.OpGet(c.metaKey(tableID), clientv3.WithCountOnly()),
		).
		Commit()
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: change schema of table %s: %w", tableID, err)
	}
	if !resp.Succeeded {
		headKvs := resp.Responses[0].GetResponseRange().Kvs
		if resp.Responses[1].GetResponseRange().Count == 0 {
			headKvs = nil
		}
		return nil, headKvs, nil
	}
	c.schemas.put(tableID, next.SchemaID, evolved)
	c.cacheNext(ctx, st, &next, &cm)
	return &cm, nil, nil
}

// cacheNext caches the snapshot of metadata-only commit cm (made on top of
// st, leaving the files as they were) and writes a checkpoint when one is
// due.
func (c *Catalog) cacheNext(ctx context.Context, st *tableState, next *tableRecord, cm *Commit) {
	if base := c.snaps.get(st.rec.ID, st.head.Version); base != nil {
		t, err := c.table(next)
		if err == nil {
			c.snaps.put(&Snapshot{Table: t, Version: cm.Version, Timestamp: cm.Timestamp, Files: base.Files})
		}
	}
	if k := c.cfg.CheckpointEvery; k > 0 && cm.Version%k == 0 {
		if s, err := c.snapshotAt(ctx, &tableState{rec: next, oldest: st.oldest}, cm.Version); err == nil {
			c.checkpoint(ctx, st.rec.Path, s)
		}
	}
}

// evolve checks newSchema against the table and returns it with field ids
// assigned, the new highest field id and a summary of the change.
func evolve(rec *tableRecord, old, newSchema *arrow.Schema) (*arrow.Schema, int, map[string]string, error) {
	if err := checkColumns(newSchema); err != nil {
		return nil, 0, nil, err
	}
	isPK := map[string]bool{}
	for _, name := range rec.PrimaryKey {
		isPK[name] = true
	}
	for _, list := range []struct {
		what  string
		names []string
	}{{"primary key", rec.PrimaryKey}, {"partition", rec.PartitionBy}} {
		for _, name := range list.names {
			if _, ok := fieldByName(newSchema, name); !ok {
				return nil, 0, nil, invalid("%s column %q cannot be dropped", list.what, name)
			}
		}
	}
	lastID := rec.LastFieldID
	var added, dropped []string
	fields := make([]arrow.Field, newSchema.NumFields())
	for i, f := range newSchema.Fields() {
		prev, existed := fieldByName(old, f.Name)
		switch {
		case existed:
			if !arrow.TypeEqual(prev.Type, f.Type) {
				return nil, 0, nil, invalid("column %q cannot change type from %s to %s", f.Name, prev.Type, f.Type)
			}
			if prev.Nullable && !f.Nullable && !isPK[f.Name] {
				return nil, 0, nil, invalid("column %q cannot become NOT NULL: existing rows may hold nulls", f.Name)
			}
			f.Metadata = withFieldID(f.Metadata, FieldID(prev))
			for _, k := range []string{DefaultKey, AddedInKey} {
				if v, ok := prev.Metadata.GetValue(k); ok && f.Metadata.FindKey(k) < 0 {
					f.Metadata = withMeta(f.Metadata, k, v)
				}
			}
		default:
			if !f.Nullable {
				return nil, 0, nil, invalid("new column %q must be nullable: existing rows have no value for it", f.Name)
			}
			lastID++
			f.Metadata = withMeta(withFieldID(f.Metadata, lastID), AddedInKey, strconv.FormatInt(rec.SchemaID+1, 10))
			added = append(added, f.Name)
		}
		if isPK[f.Name] {
			f.Nullable = false
		}
		fields[i] = f
	}
	for _, f := range old.Fields() {
		if _, ok := fieldByName(newSchema, f.Name); !ok {
			dropped = append(dropped, f.Name)
		}
	}
	evolved := schemaWithFields(newSchema, fields)
	if err := checkProperties(evolved, rec.PrimaryKey, rec.Properties); err != nil {
		return nil, 0, nil, err
	}
	summary := map[string]string{}
	if len(added) > 0 {
		summary["added_columns"] = strings.Join(added, ",")
	}
	if len(dropped) > 0 {
		summary["dropped_columns"] = strings.Join(dropped, ",")
	}
	if len(summary) == 0 {
		summary = nil
	}
	return evolved, lastID, summary, nil
}
