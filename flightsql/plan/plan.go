package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// ErrInvalid is a query that cannot be planned: an unknown column, a
// parameter count that does not match, a view that refers to itself.
var ErrInvalid = errors.New("invalid query")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// SourceKind says what a table reference reads.
type SourceKind int

// Source kinds.
const (
	// SourceTable is a stored table at a pinned snapshot.
	SourceTable SourceKind = iota
	// SourceHistory is a table's commit history (t$history) up to a version.
	SourceHistory
	// SourceInfo is a table of information_schema.
	SourceInfo
	// SourceView is a stored view, expanded at planning time.
	SourceView
	// SourceFiles lists the live data files of a table at a pinned
	// snapshot (t$files).
	SourceFiles
	// SourcePartitions lists the partitions of a table at a pinned
	// snapshot, with their file counts and sizes (t$partitions).
	SourcePartitions
	// SourceChanges is the net changes of a table between two versions
	// (table_changes).
	SourceChanges
)

var sourceKindNames = [...]string{"table", "history", "information_schema", "view", "files", "partitions", "changes"}

func (k SourceKind) String() string {
	if k >= 0 && int(k) < len(sourceKindNames) {
		return sourceKindNames[k]
	}
	return fmt.Sprintf("SourceKind(%d)", int(k))
}

// Metadata table suffixes: t$history, t$files, t$partitions.
const (
	HistorySuffix    = "$history"
	FilesSuffix      = "$files"
	PartitionsSuffix = "$partitions"
)

// Source is what one table reference resolves to.
type Source struct {
	Kind SourceKind
	// Snapshot is the pinned snapshot of a SourceTable, SourceFiles or
	// SourcePartitions.
	Snapshot *catalog.Snapshot
	// Table is the table of every kind but SourceInfo and SourceView.
	Table *catalog.Table
	// Version is the newest version a SourceHistory lists.
	Version int64
	// Info is the lower-case table name of a SourceInfo.
	Info string
	// Schema is the row schema of the kinds other than SourceTable and
	// SourceView.
	Schema *arrow.Schema
	// View is the definition of a SourceView.
	View *View
	// Changes is the range of a SourceChanges.
	Changes *Changes
}

// Changes is the version range a SourceChanges reads: the changes of the
// versions after From up to and including To.
type Changes struct {
	From, To *catalog.Snapshot
	// Commits are the table's commits in (From, To].
	Commits []catalog.Commit
	// Follow keeps reading the commits after To as they land.
	Follow bool
}

// View is a stored view definition.
type View struct {
	Namespace, Name string
	// SQL is the view's query as written; its unqualified names resolve
	// in Namespace.
	SQL string
	// Columns renames the query's columns, when given.
	Columns []string
}

// Name names the source in plans and messages.
func (s *Source) Name() string {
	switch s.Kind {
	case SourceTable:
		return s.Snapshot.Table.Namespace + "." + s.Snapshot.Table.Name
	case SourceHistory:
		return s.Table.Namespace + "." + s.Table.Name + HistorySuffix
	case SourceFiles:
		return s.Table.Namespace + "." + s.Table.Name + FilesSuffix
	case SourcePartitions:
		return s.Table.Namespace + "." + s.Table.Name + PartitionsSuffix
	case SourceInfo:
		return "information_schema." + s.Info
	case SourceChanges:
		t := s.Changes.To.Table
		return fmt.Sprintf("table_changes('%s.%s', %d, %d)", t.Namespace, t.Name, s.Changes.From.Version, s.Changes.To.Version)
	}
	return s.View.Namespace + "." + s.View.Name
}

// Resolver resolves the table references of queries.
type Resolver interface {
	// Resolve loads what ref names, with unqualified names resolving in
	// schema, and pins a snapshot for stored tables (the AS OF clause, or
	// the latest).
	Resolve(ctx context.Context, ref sqlparse.TableRef, schema string) (*Source, error)
}

// Params are bound parameter rows. Row r's value of parameter i is
// Rows[r][i], a Go value of internal/arrowconv's forms; Types are the
// Arrow types the client bound (nil when a type is unknown).
type Params struct {
	Types []arrow.DataType
	Rows  [][]any
}

// Options shape a plan.
type Options struct {
	// Schema is the session schema unqualified names resolve in.
	Schema string
	// Params are the bound parameters, nil when none are bound.
	Params *Params
	// MaxEndpoints caps the endpoints of a native scan (<= 0: one per
	// task).
	MaxEndpoints int
	// Functions maps the lower-case names of functions whose answer comes
	// from the server (version, current_schema, ...) to the SQL literal
	// that replaces each call.
	Functions map[string]string
}

// Plan is a planned query: exactly one of Native, Changes and Duck is set.
type Plan struct {
	Native  *Native
	Changes *ChangesScan
	Duck    *Duck
	// NotNative says why a plain scan was not planned natively ("" when
	// the query is not a plain scan or is planned natively).
	NotNative string
}

// Native is a scan of one table run without DuckDB.
type Native struct {
	// Scan is the pruned merge-on-read plan; Scan.Schema is the result
	// schema and Scan.Snapshot the pinned snapshot.
	Scan *mor.Plan
	// Columns are the selected columns, nil for every column.
	Columns []string
	// Filter is the lowered WHERE, nil without one.
	Filter mor.Expr
	// Limit is the row limit, -1 without one.
	Limit int64
	// Groups are the tasks of each endpoint, in plan order; one empty
	// group when nothing survives pruning.
	Groups [][]mor.Task
}

// Rows is an upper bound of the rows the scan reads.
func (n *Native) Rows() int64 {
	var r int64
	for _, t := range n.Scan.Tasks {
		r += t.Rows()
	}
	return r
}

// Duck is a query run in DuckDB: once, or once per parameter row, the
// results concatenated.
type Duck struct {
	// Runs has one entry per parameter row (one without parameters): the
	// statement text differs where a NULL parameter is typed by a cast,
	// and the pushed-down predicates take each row's values.
	Runs []Run
	// Args are the parameter rows, nil without parameters.
	Args [][]any
	// Params is the number of parameters of the statement.
	Params int
}

// Run is one execution of a DuckDB plan.
type Run struct {
	// SQL is the statement DuckDB runs.
	SQL string
	// Reads are the tables the statement reads, by Read.Name.
	Reads []Read
}

// Read is one table DuckDB loads.
type Read struct {
	// Name is the DuckDB table name the statement uses.
	Name   string
	Source *Source
	// Columns to read, nil for every column; Filter is the predicate the
	// table store applies first (nil: none).
	Columns []string
	Filter  mor.Expr
	// Schema is the schema of the rows read (public: no field ids).
	Schema *arrow.Schema
}

// Build plans query q.
func Build(ctx context.Context, r Resolver, q *sqlparse.Query, opts Options) (*Plan, error) {
	var rows [][]any
	if opts.Params != nil {
		rows = opts.Params.Rows
	}
	if q.Params > 0 && len(rows) > 0 && len(rows[0]) < q.Params {
		return nil, invalidf("the statement has %d parameters but %d were bound", q.Params, len(rows[0]))
	}
	b := &builder{ctx: ctx, r: r, opts: opts}
	srcs, err := b.resolveAll(q, opts.Schema)
	if err != nil {
		return nil, err
	}
	p := &Plan{}
	if q.Simple != nil && len(srcs) == 1 && srcs[0].Kind == SourceChanges && len(rows) <= 1 {
		var args []any
		if len(rows) == 1 {
			args = rows[0]
		}
		cs, err := changesPlan(q.Simple, srcs[0], args, opts.MaxEndpoints)
		var nn *notNativeError
		switch {
		case errors.As(err, &nn) && !srcs[0].Changes.Follow:
			p.NotNative = nn.reason
		case errors.As(err, &nn):
			return nil, invalidf("%s with follow => true: %s", ChangesFuncName, nn.reason)
		case err != nil:
			return nil, err
		default:
			p.Changes = cs
			return p, nil
		}
	}
	if q.Simple != nil && len(srcs) == 1 && srcs[0].Kind == SourceTable && len(rows) <= 1 {
		var args []any
		if len(rows) == 1 {
			args = rows[0]
		}
		n, err := nativePlan(q.Simple, srcs[0].Snapshot, args, opts.MaxEndpoints)
		var nn *notNativeError
		switch {
		case errors.As(err, &nn):
			p.NotNative = nn.reason
		case err != nil:
			return nil, err
		default:
			p.Native = n
			return p, nil
		}
	}
	d, err := b.duckPlan(q, srcs, rows)
	if err != nil {
		return nil, err
	}
	p.Duck = d
	return p, nil
}

// notNativeError is a plain scan the native path cannot run exactly.
type notNativeError struct{ reason string }

func (e *notNativeError) Error() string { return "not native: " + e.reason }

// nativePlan plans a plain scan of snap.
func nativePlan(sel *sqlparse.Select, snap *catalog.Snapshot, args []any, maxEndpoints int) (*Native, error) {
	tbl := snap.Table
	for _, c := range sel.Columns {
		if _, ok := FieldOf(tbl.Schema, c); !ok {
			return nil, invalidf("table %s.%s has no column %q", tbl.Namespace, tbl.Name, c)
		}
	}
	filter, ok := Filter(sel.Where, tbl.Schema, args)
	if !ok {
		return nil, &notNativeError{"the WHERE clause is beyond what the table store evaluates"}
	}
	limit := sel.Limit
	opts := mor.ScanOptions{Columns: sel.Columns, Filter: filter, Limit: limit}
	if limit == 0 {
		opts.Limit = -1
	}
	mp, err := mor.NewPlan(snap, opts)
	if errors.Is(err, mor.ErrInvalidFilter) {
		return nil, &notNativeError{"a literal does not fit its column's type (" + strings.TrimPrefix(err.Error(), mor.ErrInvalidFilter.Error()+": ") + ")"}
	}
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		mp.Tasks = nil
	}
	n := &Native{Scan: mp, Columns: sel.Columns, Filter: filter, Limit: limit}
	if limit > 0 && len(mp.Tasks) > 1 {
		n.Groups = [][]mor.Task{mp.Tasks} // a limit applies across the whole scan
	} else {
		n.Groups = GroupTasks(mp.Tasks, maxEndpoints)
	}
	return n, nil
}

// GroupTasks splits tasks into at most n groups of similar row counts,
// keeping each group's tasks in plan order; n <= 0 means one group per
// task. No tasks make one empty group.
func GroupTasks(tasks []mor.Task, n int) [][]mor.Task {
	if len(tasks) == 0 {
		return [][]mor.Task{nil}
	}
	if n <= 0 || n >= len(tasks) {
		out := make([][]mor.Task, len(tasks))
		for i, t := range tasks {
			out[i] = []mor.Task{t}
		}
		return out
	}
	var total int64
	for _, t := range tasks {
		total += t.Rows()
	}
	out := make([][]mor.Task, 0, n)
	var cur []mor.Task
	var acc int64
	for i, t := range tasks {
		cur = append(cur, t)
		acc += t.Rows()
		left := len(tasks) - i - 1
		groupsLeft := n - len(out) - 1
		if groupsLeft > 0 && (acc*int64(n) >= total*int64(len(out)+1) || left == groupsLeft) {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
