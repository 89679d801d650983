package plan

import (
	"errors"
	"slices"
	"strings"

	"github.com/lakesoul-io/lakesoul-flight/catalog"
	"github.com/lakesoul-io/lakesoul-flight/flightsql/sqlparse"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// ChangesFuncName is the SQL name of the change reads.
const ChangesFuncName = sqlparse.ChangesFunc

// ChangesScan reads a table's changes without DuckDB: a plain SELECT of
// columns of table_changes(...) with an optional WHERE. Each group of
// (partition, bucket) tasks is one endpoint; a follow read is one endpoint
// that streams the changes of every later commit too.
type ChangesScan struct {
	Source *Source
	// Plan is the change plan over the source's range, with the columns
	// and filter; Plan.Schema() is the result schema.
	Plan *mor.ChangePlan
	// Columns are the selected columns, nil for every column.
	Columns []string
	// Filter is the lowered WHERE, nil without one.
	Filter mor.Expr
	// Groups are the tasks of each endpoint; one empty group when nothing
	// changed. A follow read has one group, which is ignored.
	Groups [][]mor.ChangeTask
}

// changesPlan plans a plain scan of a SourceChanges.
func changesPlan(sel *sqlparse.Select, src *Source, args []any, maxEndpoints int) (*ChangesScan, error) {
	for _, c := range sel.Columns {
		if _, ok := FieldOf(src.Schema, c); !ok {
			return nil, invalidf("%s has no column %q (it has %s)", src.Name(), c, columnNames(src))
		}
	}
	filter, ok := Filter(sel.Where, src.Schema, args)
	if !ok {
		return nil, &notNativeError{"the WHERE clause is beyond what the table store evaluates"}
	}
	if sel.Limit >= 0 {
		return nil, &notNativeError{"a LIMIT on changes is applied by the query engine"}
	}
	ch := src.Changes
	cp, err := mor.NewChangePlan(ch.From, ch.To, ch.Commits, mor.ChangeOptions{Columns: ChangeTableColumns(ch.To.Table, sel.Columns), Filter: filter})
	if errors.Is(err, mor.ErrInvalidFilter) {
		return nil, &notNativeError{"a literal does not fit its column's type (" + strings.TrimPrefix(err.Error(), mor.ErrInvalidFilter.Error()+": ") + ")"}
	}
	if err != nil {
		return nil, err
	}
	cs := &ChangesScan{Source: src, Plan: cp, Columns: sel.Columns, Filter: filter}
	if ch.Follow {
		cs.Groups = [][]mor.ChangeTask{nil}
	} else {
		cs.Groups = groupChangeTasks(cp.Tasks(), maxEndpoints)
	}
	return cs, nil
}

// ChangeTableColumns returns the table columns a change read selecting
// cols reads (the change columns always come): nil for every column, the
// primary key when cols names change columns only.
func ChangeTableColumns(tbl *catalog.Table, cols []string) []string {
	if cols == nil {
		return nil
	}
	var out []string
	for _, c := range cols {
		if !IsChangeColumn(c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = slices.Clone(tbl.PrimaryKey)
		if len(out) == 0 {
			out = []string{tbl.Schema.Field(0).Name}
		}
	}
	return out
}

// IsChangeColumn reports whether name is one of the columns a change read
// adds to the table's.
func IsChangeColumn(name string) bool {
	return name == mor.ChangeTypeColumn || name == mor.CommitVersionColumn || name == mor.CommitTimestampColumn
}

// groupChangeTasks splits tasks into at most n groups (n <= 0: one per
// task), in order, of nearly equal task counts; no tasks make one empty
// group.
func groupChangeTasks(tasks []mor.ChangeTask, n int) [][]mor.ChangeTask {
	if len(tasks) == 0 {
		return [][]mor.ChangeTask{nil}
	}
	if n <= 0 || n > len(tasks) {
		n = len(tasks)
	}
	out := make([][]mor.ChangeTask, 0, n)
	for i := range n {
		lo, hi := i*len(tasks)/n, (i+1)*len(tasks)/n
		out = append(out, tasks[lo:hi])
	}
	return out
}

// columnNames lists a source's columns for messages.
func columnNames(src *Source) string {
	names := make([]string, src.Schema.NumFields())
	for i, f := range src.Schema.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
