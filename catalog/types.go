package catalog

import (
	"errors"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Sentinel errors, wrapped with %w and context by every call.
var (
	ErrNotFound      = errors.New("catalog: not found")
	ErrAlreadyExists = errors.New("catalog: already exists")
	ErrInvalid       = errors.New("catalog: invalid argument")
	ErrNotEmpty      = errors.New("catalog: namespace not empty")
	// ErrVersionMismatch means the table's head moved since the caller read
	// it; the commit was not applied. Callers decide whether to rebase.
	ErrVersionMismatch = errors.New("catalog: table version changed concurrently")
	// ErrExpired means a version existed but was removed by ExpireVersions.
	// Errors the catalog returns for expired versions match both ErrExpired
	// and ErrNotFound, so callers that only know ErrNotFound keep working.
	ErrExpired = errors.New("catalog: version expired")
)

// DefaultNamespace is the namespace that always exists.
const DefaultNamespace = "default"

// FieldIDKey is the Arrow field metadata key holding a field's stable id.
// It is the key pqarrow maps to Parquet field ids.
const FieldIDKey = "PARQUET:field_id"

// Well-known table properties.
const (
	// PropCDCColumn names a string column whose value "delete" marks a row
	// that deletes its key (LakeSoul's CDC change column).
	PropCDCColumn = "lakesoul_cdc_change_column"
	// PropMergeOpPrefix + column name sets the column's merge operator:
	// last (default), last_non_null, sum, concat.
	PropMergeOpPrefix = "merge_op."
)

// Namespace groups tables (a Flight SQL "db schema").
type Namespace struct {
	Name       string            `json:"name"`
	Properties map[string]string `json:"properties,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
}

// TableSpec is what a caller gives to create a table.
type TableSpec struct {
	Namespace     string
	Name          string
	Schema        *arrow.Schema
	PrimaryKey    []string // ordered; empty for append-only tables
	PartitionBy   []string // range partition columns, in path order
	HashBucketNum int      // >= 1 for primary-key tables; ignored (1) otherwise
	Properties    map[string]string
}

// Table is a table's metadata at its current schema.
type Table struct {
	ID            string
	Namespace     string
	Name          string
	Path          string        // root of the table's files, relative to the warehouse
	Schema        *arrow.Schema // fields carry FieldIDKey metadata
	SchemaID      int64
	PrimaryKey    []string
	PartitionBy   []string
	HashBucketNum int
	Properties    map[string]string
	CreatedAt     time.Time
}

// Operation names what a commit did.
type Operation string

// Operations recorded in commits.
const (
	OpCreate       Operation = "create"
	OpAppend       Operation = "append"
	OpUpsert       Operation = "upsert"
	OpDelete       Operation = "delete"
	OpUpdate       Operation = "update"
	OpOverwrite    Operation = "overwrite"
	OpCompaction   Operation = "compaction"
	OpSchemaChange Operation = "schema_change"
	OpRollback     Operation = "rollback"
)

// DataFile is one immutable data file of a table.
type DataFile struct {
	Path      string `json:"path"`                // relative to the warehouse root
	Partition string `json:"partition,omitempty"` // Hive-style "dt=2024-01-01/x=1", "" when unpartitioned
	Bucket    int    `json:"bucket"`              // hash bucket; 0 for tables without primary key
	// Seq orders files for merge-on-read within a bucket: a higher Seq wins
	// for equal keys. Commit sets it to the commit's version when zero;
	// compaction keeps the highest Seq of the files it replaces.
	Seq      int64    `json:"seq"`
	Rows     int64    `json:"rows"`
	Size     int64    `json:"size"`
	Columns  []string `json:"columns,omitempty"` // columns present; nil means every column of SchemaID
	SchemaID int64    `json:"schema_id"`
	// Deletes is set when the file holds delete markers (rows that remove
	// their key).
	Deletes bool `json:"deletes,omitempty"`
	// KeyMin and KeyMax bound the first primary-key column of the file's
	// rows, order-preservingly encoded (internal/keyenc); empty if unknown.
	KeyMin []byte `json:"key_min,omitempty"`
	KeyMax []byte `json:"key_max,omitempty"`
}

// Commit is one version of a table.
type Commit struct {
	Version     int64             `json:"version"`
	ReadVersion int64             `json:"read_version"` // the snapshot the writer read, -1 if none
	Timestamp   time.Time         `json:"timestamp"`
	Operation   Operation         `json:"operation"`
	SchemaID    int64             `json:"schema_id"`
	Added       []DataFile        `json:"added,omitempty"`
	Removed     []DataFile        `json:"removed,omitempty"`
	Summary     map[string]string `json:"summary,omitempty"` // free-form (writer, predicate, ...)
}

// Partitions returns the sorted, distinct partitions the commit touched.
func (c *Commit) Partitions() []string {
	seen := map[string]struct{}{}
	var out []string
	for _, list := range [][]DataFile{c.Added, c.Removed} {
		for _, f := range list {
			if _, ok := seen[f.Partition]; !ok {
				seen[f.Partition] = struct{}{}
				out = append(out, f.Partition)
			}
		}
	}
	sortStrings(out)
	return out
}

// Snapshot is the state of a table at one version: its schema and live files.
type Snapshot struct {
	Table     *Table // with Schema and SchemaID as of this version
	Version   int64
	Timestamp time.Time
	// Files are the live files sorted by (Partition, Bucket, Seq, Path).
	Files []DataFile
}

// SnapshotSpec selects a snapshot: the latest one when both fields are
// zero, an exact version, or the newest version committed at or before AsOf.
type SnapshotSpec struct {
	Version *int64
	AsOf    *time.Time
}
