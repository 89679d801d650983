package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
	"github.com/lakesoul-io/lakesoul-flight/mor"
)

// Explain renders a plan as lines of text: which path runs it, the pinned
// versions, the columns, the predicates applied below and above the merge,
// and what pruning kept of partitions, buckets, files and (with st, which
// is read for Parquet footers) row groups.
func Explain(ctx context.Context, p *Plan, st lsio.Storage) ([]string, error) {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if n := p.Native; n != nil {
		snap := n.Scan.Snapshot
		add("native scan of %s.%s at version %d", snap.Table.Namespace, snap.Table.Name, snap.Version)
		add("  columns: %s", columnList(n.Columns))
		lines, err := scanLines(ctx, n.Scan, st, "  ")
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
		if n.Limit >= 0 {
			add("  limit: %d", n.Limit)
		}
		add("  endpoints: %d", len(n.Groups))
		for i, g := range n.Groups {
			if len(g) == 0 {
				add("    endpoint %d: no tasks", i+1)
				continue
			}
			var parts []string
			for _, t := range g {
				parts = append(parts, taskName(t))
			}
			add("    endpoint %d: %s", i+1, strings.Join(parts, ", "))
		}
		return out, nil
	}
	if cs := p.Changes; cs != nil {
		return append(out, changesLines(cs)...), nil
	}
	d := p.Duck
	if p.NotNative != "" {
		add("duckdb query (not native: %s)", p.NotNative)
	} else {
		add("duckdb query")
	}
	if len(d.Args) > 1 {
		add("  runs: %d (one per parameter row; the first is shown)", len(d.Args))
	}
	run := d.Runs[0]
	for i, line := range strings.Split(run.SQL, "\n") {
		if i == 0 {
			add("  sql: %s", line)
		} else {
			add("       %s", line)
		}
	}
	for _, rd := range run.Reads {
		src := rd.Source
		switch src.Kind {
		case SourceTable:
			add("  read %s: %s at version %d", rd.Name, src.Name(), src.Snapshot.Version)
			add("    columns: %s", columnList(rd.Columns))
			mp, err := mor.NewPlan(src.Snapshot, mor.ScanOptions{Columns: rd.Columns, Filter: rd.Filter})
			if err != nil {
				return nil, err
			}
			lines, err := scanLines(ctx, mp, st, "    ")
			if err != nil {
				return nil, err
			}
			out = append(out, lines...)
		case SourceHistory:
			add("  read %s: %s up to version %d", rd.Name, src.Name(), src.Version)
		case SourceFiles, SourcePartitions:
			add("  read %s: %s at version %d", rd.Name, src.Name(), src.Snapshot.Version)
			add("    files: %d", len(src.Snapshot.Files))
		case SourceChanges:
			add("  read %s: changes of %s.%s %s", rd.Name, src.Changes.To.Table.Namespace,
				src.Changes.To.Table.Name, versionRange(src.Changes))
			add("    columns: %s", columnList(rd.Columns))
			add("    filter: %s", exprString(rd.Filter))
		default:
			add("  read %s: %s", rd.Name, src.Name())
		}
	}
	return out, nil
}

// changesLines describes a native change read.
func changesLines(cs *ChangesScan) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	ch := cs.Source.Changes
	t := ch.To.Table
	add("native change read of %s.%s %s", t.Namespace, t.Name, versionRange(ch))
	add("  columns: %s", columnList(cs.Columns))
	add("  filter: %s", exprString(cs.Filter))
	add("  commits: %d", len(ch.Commits))
	if ch.Follow {
		add("  follow: one endpoint; after version %d, each commit's changes as it lands", ch.To.Version)
		return out
	}
	add("  endpoints: %d", len(cs.Groups))
	for i, g := range cs.Groups {
		if len(g) == 0 {
			add("    endpoint %d: no tasks", i+1)
			continue
		}
		var parts []string
		for _, t := range g {
			name := fmt.Sprintf("bucket %d", t.Bucket)
			if t.Partition != "" {
				name = t.Partition + "/" + name
			}
			parts = append(parts, fmt.Sprintf("%s (%d touched files)", name, len(t.Touched)))
		}
		add("    endpoint %d: %s", i+1, strings.Join(parts, ", "))
	}
	return out
}

// versionRange describes the versions of a change range.
func versionRange(ch *Changes) string {
	if ch.To.Version == ch.From.Version {
		return fmt.Sprintf("after version %d (none yet)", ch.From.Version)
	}
	return fmt.Sprintf("in versions %d to %d", ch.From.Version+1, ch.To.Version)
}

func exprString(e mor.Expr) string {
	if e == nil {
		return "none"
	}
	return e.String()
}

// scanLines describes a merge-on-read plan: filters and pruning.
func scanLines(ctx context.Context, mp *mor.Plan, st lsio.Storage, indent string) ([]string, error) {
	var out []string
	add := func(format string, args ...any) { out = append(out, indent+fmt.Sprintf(format, args...)) }
	below := "none"
	if b := mp.BelowMerge(); len(b) > 0 {
		below = mor.And(b...).String()
		if len(b) == 1 {
			below = b[0].String()
		}
	}
	above := "none"
	if a := mp.AboveMerge(); a != nil {
		above = a.String()
	}
	add("filter below the merge: %s", below)
	add("filter above the merge: %s", above)
	s := mp.Stats()
	add("partitions: %d of %d", s.Partitions-s.PartitionsPruned, s.Partitions)
	add("buckets: %d of %d", len(mp.Tasks), s.Buckets)
	add("files: %d of %d", s.Files-s.FilesPruned, s.Files)
	if st != nil {
		total, kept, err := mp.RowGroups(ctx, st)
		if err != nil {
			return nil, err
		}
		add("row groups: %d of %d", kept, total)
	}
	return out, nil
}

func taskName(t mor.Task) string {
	name := fmt.Sprintf("bucket %d", t.Bucket)
	if t.Partition != "" {
		name = t.Partition + "/" + name
	}
	return fmt.Sprintf("%s (%d files, %d rows)", name, len(t.Files), t.Rows())
}

func columnList(cols []string) string {
	if cols == nil {
		return "*"
	}
	return strings.Join(cols, ", ")
}
