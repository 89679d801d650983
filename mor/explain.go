package mor

import (
	"context"
	"fmt"
	"slices"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// BelowMerge returns the conjuncts of the filter that are used below the
// merge: they read only primary-key columns (any column, for tables without
// a primary key), prune row groups by their statistics and, for tables with
// a primary key, are applied to each run before the runs are merged. Nil
// when there are none.
func (p *Plan) BelowMerge() []Expr {
	return slices.Clone(p.keyConj)
}

// AboveMerge returns the conjuncts of the filter that only merged rows can
// decide, combined with AND, or nil when every conjunct is in BelowMerge.
// The reader still evaluates the whole filter on merged rows; AboveMerge
// reports what the conjuncts below the merge leave to that step.
func (p *Plan) AboveMerge() Expr {
	var rest []Expr
	for _, c := range Conjuncts(p.opts.Filter) {
		if !pushable(c, p.Snapshot.Table) {
			rest = append(rest, c)
		}
	}
	switch len(rest) {
	case 0:
		return nil
	case 1:
		return rest[0]
	}
	return And(rest...)
}

// RowGroups opens the footer of every file of the plan's tasks and counts
// their row groups, total, and those whose statistics the BelowMerge
// conjuncts do not rule out, kept. Reading a key lookup may skip more: it
// probes the key columns of the kept row groups before reading the rest.
func (p *Plan) RowGroups(ctx context.Context, st lsio.Storage) (total, kept int, err error) {
	// Only the footer is needed: never fetch a whole object.
	ropts := lsio.ReadOptions{Allocator: p.opts.Allocator, WholeObjectBelow: -1, Cache: p.opts.Cache}
	for _, t := range p.Tasks {
		for _, f := range t.Files {
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
			pf, err := lsio.OpenParquet(ctx, st, f.Path, ropts)
			if err != nil {
				return 0, 0, fmt.Errorf("open %s: %w", f.Path, err)
			}
			total += pf.NumRowGroups()
			kept += len(p.rowGroups(pf))
			if err := pf.Close(); err != nil {
				return 0, 0, fmt.Errorf("close %s: %w", f.Path, err)
			}
		}
	}
	return total, kept, nil
}
