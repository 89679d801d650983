package flightsql

import (
	"bytes"
	"compress/flate"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/internal/ipccheck"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// Tickets and prepared-statement handles are self-contained: any replica
// sharing the secret can serve them. Each is a JSON payload followed by its
// HMAC-SHA256, so a client can neither forge nor alter one. JSON larger
// than deflateAbove is deflated before it is signed.
//
// A ticket carries its plan, so DoGet parses and plans nothing: a native
// scan ticket holds the table's definition at the pinned version, the
// columns, the encoded predicate, the limit and the tasks of its endpoint
// with their files; a DuckDB ticket holds the statements to run and, for
// each table they read, the pinned version, columns and predicate; a rows
// ticket holds a small result computed when the query was planned (SHOW,
// EXPLAIN).

// The first byte of a sealed payload says its format: JSON, or deflated
// JSON for payloads above deflateAbove bytes. Smaller payloads, such as
// the ticket of a point lookup, are not worth compressing: deflating costs
// more time than the bytes it saves on the wire.
const (
	sealPlain    byte = 2
	sealDeflated byte = 3
	deflateAbove      = 4 << 10
)

// deflaters keeps a few compressors for reuse: each holds about a megabyte
// of state, which a sync.Pool would drop at every garbage collection.
var deflaters = make(chan *flate.Writer, 4)

func getDeflater() *flate.Writer {
	select {
	case w := <-deflaters:
		return w
	default:
		w, _ := flate.NewWriter(nil, flate.BestSpeed)
		return w
	}
}

func putDeflater(w *flate.Writer) {
	select {
	case deflaters <- w:
	default:
	}
}

// maxSealedPayload bounds the decompressed payload of a ticket or handle.
const maxSealedPayload = 256 << 20

// Ticket kinds.
const (
	ticketScan    = "scan"
	ticketDuck    = "duck"
	ticketRows    = "rows"
	ticketChanges = "changes"
	ticketFollow  = "follow"
)

// ticketBody is what a statement ticket carries.
type ticketBody struct {
	Kind    string         `json:"k"`
	Scan    *scanTicket    `json:"n,omitempty"`
	Duck    *duckTicket    `json:"d,omitempty"`
	Rows    []byte         `json:"r,omitempty"` // Arrow IPC stream of the result
	Changes *changesTicket `json:"c,omitempty"`
	Follow  *followTicket  `json:"w,omitempty"`
	Expires int64          `json:"e"` // unix milliseconds
	// User is the authenticated user the ticket was planned for, "" for
	// none; only that user may redeem it.
	User string `json:"u,omitempty"`
}

// scanTicket is one endpoint of a native scan.
type scanTicket struct {
	Table   tableTicket     `json:"t"`
	Version int64           `json:"v"`
	Columns []string        `json:"c,omitempty"` // nil: every column
	Filter  json.RawMessage `json:"f,omitempty"` // mor.MarshalExpr
	Limit   int64           `json:"l"`           // -1: none
	Tasks   []taskTicket    `json:"p"`
}

// taskTicket is one (partition, bucket) task with its files; Files is
// nil when the endpoint has too many files to carry (Config.TicketMaxFiles), and
// DoGet then takes them from the pinned snapshot.
type taskTicket struct {
	Partition string       `json:"p,omitempty"`
	Bucket    int          `json:"b"`
	Files     []fileTicket `json:"f,omitempty"`
}

// fileTicket is what reading a data file needs of its catalog entry.
type fileTicket struct {
	Name     string   `json:"m,omitempty"` // the file name, under the table's partition directory
	Path     string   `json:"p,omitempty"` // else the path from the warehouse root
	Seq      int64    `json:"q"`
	Rows     int64    `json:"n"`
	Size     int64    `json:"z,omitempty"`
	Columns  []string `json:"c,omitempty"`
	SchemaID int64    `json:"v,omitempty"`
	Deletes  bool     `json:"d,omitempty"`
}

// tableTicket is a table's definition at a pinned version.
type tableTicket struct {
	ID            string            `json:"i"`
	Namespace     string            `json:"n"`
	Name          string            `json:"t"`
	Path          string            `json:"p"`
	Schema        []byte            `json:"s"` // Arrow IPC schema, with field ids
	SchemaID      int64             `json:"v"`
	PrimaryKey    []string          `json:"k,omitempty"`
	PartitionBy   []string          `json:"r,omitempty"`
	HashBucketNum int               `json:"b"`
	Properties    map[string]string `json:"o,omitempty"`
}

// duckTicket is a DuckDB query: one run per parameter row.
type duckTicket struct {
	Runs   []duckRunTicket `json:"r"`
	Params []byte          `json:"a,omitempty"` // Arrow IPC stream of the parameter rows
}

type duckRunTicket struct {
	SQL   string       `json:"q"`
	Reads []readTicket `json:"t,omitempty"`
}

// readTicket is one table a DuckDB run loads.
type readTicket struct {
	Name    string          `json:"n"`
	Kind    plan.SourceKind `json:"k"`
	ID      string          `json:"i,omitempty"`
	Version int64           `json:"v"`
	From    int64           `json:"a,omitempty"` // SourceChanges: the range is (From, Version]
	Info    string          `json:"s,omitempty"`
	Columns []string        `json:"c,omitempty"`
	Filter  json.RawMessage `json:"f,omitempty"`
}

// handleBody is a prepared statement handle: the statement and, once bound,
// its parameters.
type handleBody struct {
	SQL     string `json:"q"`
	Schema  string `json:"s"`
	Params  []byte `json:"a,omitempty"` // Arrow IPC stream of the parameter rows
	Expires int64  `json:"e"`
	// User is the authenticated user that prepared the statement, "" for
	// none; only that user may use the handle.
	User string `json:"u,omitempty"`
}

func encodeTable(t *catalog.Table) tableTicket {
	return tableTicket{
		ID: t.ID, Namespace: t.Namespace, Name: t.Name, Path: t.Path,
		Schema:   flight.SerializeSchema(t.Schema, memory.DefaultAllocator),
		SchemaID: t.SchemaID, PrimaryKey: t.PrimaryKey, PartitionBy: t.PartitionBy,
		HashBucketNum: t.HashBucketNum, Properties: t.Properties,
	}
}

func decodeTable(t tableTicket) (*catalog.Table, error) {
	err := ipccheck.Stream(t.Schema)
	var sch *arrow.Schema
	if err == nil {
		sch, err = flight.DeserializeSchema(t.Schema, memory.DefaultAllocator)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the ticket's table schema is unreadable: %v", ErrTicket, err)
	}
	return &catalog.Table{
		ID: t.ID, Namespace: t.Namespace, Name: t.Name, Path: t.Path, Schema: sch,
		SchemaID: t.SchemaID, PrimaryKey: t.PrimaryKey, PartitionBy: t.PartitionBy,
		HashBucketNum: t.HashBucketNum, Properties: t.Properties,
	}, nil
}

// encodeTasks lists tasks with their files, or only the tasks when they
// hold more than maxFiles files.
func encodeTasks(tbl *catalog.Table, tasks []mor.Task, maxFiles int) []taskTicket {
	n := 0
	for _, t := range tasks {
		n += len(t.Files)
	}
	out := make([]taskTicket, len(tasks))
	for i, t := range tasks {
		out[i] = taskTicket{Partition: t.Partition, Bucket: t.Bucket}
		if n > maxFiles {
			continue
		}
		dir := partitionDir(tbl, t.Partition)
		out[i].Files = make([]fileTicket, len(t.Files))
		for j, f := range t.Files {
			ft := fileTicket{Seq: f.Seq, Rows: f.Rows, Size: f.Size, Columns: f.Columns, SchemaID: f.SchemaID, Deletes: f.Deletes}
			if name, ok := strings.CutPrefix(f.Path, dir); ok && name != "" && !strings.Contains(name, "/") {
				ft.Name = name
			} else {
				ft.Path = f.Path
			}
			out[i].Files[j] = ft
		}
	}
	return out
}

// decodeTasks returns the tasks of a ticket; ok is false when the ticket
// does not list their files.
func decodeTasks(tbl *catalog.Table, tasks []taskTicket) ([]mor.Task, bool) {
	out := make([]mor.Task, len(tasks))
	for i, t := range tasks {
		if t.Files == nil {
			return nil, false
		}
		dir := partitionDir(tbl, t.Partition)
		out[i] = mor.Task{Partition: t.Partition, Bucket: t.Bucket, Files: make([]catalog.DataFile, len(t.Files))}
		for j, f := range t.Files {
			p := f.Path
			if f.Name != "" {
				p = dir + f.Name
			}
			out[i].Files[j] = catalog.DataFile{Path: p, Partition: t.Partition, Bucket: t.Bucket, Seq: f.Seq,
				Rows: f.Rows, Size: f.Size, Columns: f.Columns, SchemaID: f.SchemaID, Deletes: f.Deletes}
		}
	}
	return out, true
}

// partitionDir is the directory, with a trailing slash, that a table's
// writers put the files of a partition in.
func partitionDir(tbl *catalog.Table, partition string) string {
	if partition == "" {
		return path.Join(tbl.Path) + "/"
	}
	return path.Join(tbl.Path, partition) + "/"
}

// seal serialises v, compresses it (file paths repeat long prefixes) and
// signs it with the server secret.
func (s *Server) seal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(raw) <= deflateAbove {
		return s.sign(sealPlain, raw), nil
	}
	var buf bytes.Buffer
	zw := getDeflater()
	defer putDeflater(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return s.sign(sealDeflated, buf.Bytes()), nil
}

// sign prefixes payload with its format byte and appends the HMAC of both.
func (s *Server) sign(format byte, payload []byte) []byte {
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write([]byte{format})
	mac.Write(payload)
	out := make([]byte, 0, 1+len(payload)+sha256.Size)
	out = append(out, format)
	out = append(out, payload...)
	return mac.Sum(out)
}

// unseal checks the signature of b and decodes its payload into v. what
// names the kind of token in error messages.
func (s *Server) unseal(b []byte, what string, v any) error {
	if len(b) < 1+sha256.Size+2 || (b[0] != sealPlain && b[0] != sealDeflated) {
		return fmt.Errorf("%w: the %s is malformed", ErrTicket, what)
	}
	payload := b[1 : len(b)-sha256.Size]
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write(b[:1])
	mac.Write(payload)
	if !hmac.Equal(mac.Sum(nil), b[len(b)-sha256.Size:]) {
		return fmt.Errorf("%w: the %s signature does not match (forged, altered, or signed by a server with another secret)", ErrTicket, what)
	}
	var r io.Reader = bytes.NewReader(payload)
	if b[0] == sealDeflated {
		zr := flate.NewReader(r)
		defer zr.Close()
		r = io.LimitReader(zr, maxSealedPayload)
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the %s payload is unreadable: %v", ErrTicket, what, err)
	}
	return nil
}

// expiry returns the unix time in milliseconds ttl from now.
func expiry(ttl time.Duration) int64 { return time.Now().Add(ttl).UnixMilli() }

// expired reports whether an expiry time (unix milliseconds) has passed.
func expired(unixMilli int64) bool { return time.Now().UnixMilli() > unixMilli }
