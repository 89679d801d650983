package upsert

import (
	"fmt"
	"runtime"
	"strings"
)

// selectiveColumns are the columns of the selective-reads table: a system
// of the results and its heading.
var selectiveColumns = []struct{ system, heading string }{
	{SysFlight, "lakesoul-flight Flight SQL (local)"},
	{SysFlightMinIO, "lakesoul-flight Flight SQL (MinIO)"},
	{SysLocal, "lakesoul-flight in-process (local)"},
	{SysDuckNative, SysDuckNative},
	{SysLanceDB, SysLanceDB},
}

// selectiveRows are the rows of the selective-reads table: a measure and
// its heading; latency rows show p50 / p99, scans the median.
var selectiveRows = []struct {
	measure, heading string
	latency          bool
}{
	{MFlightLookup, "point lookup over Flight SQL", true},
	{MLookup, "point lookup (in-process)", true},
	{MInList, "IN-list of 100 keys", true},
	{MFilter, "filtered scan city = 'Berlin'", false},
	{MRange, fmt.Sprintf("filtered scan requests BETWEEN %d AND %d", rangeLo, rangeHi), false},
}

// selectiveMarkdown renders the report of the selective mode.
func selectiveMarkdown(res *Results) string {
	var b strings.Builder
	cfg := res.Config
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Selective reads: lakesoul-flight and peers\n\n")
	p("Machine `%s` (%d CPUs, GOMAXPROCS %d, %s/%s, %s), %s. Scale %g: a table of %s rows (a base of %s, then 10 upserts of %s, "+
		"half updates, half new keys), key uuid, 4 hash buckets, seed %d. Run took %s.\n\n",
		res.Machine, runtime.NumCPU(), cores(), runtime.GOOS, runtime.GOARCH, runtime.Version(), res.Started.Format("2006-01-02 15:04 MST"),
		cfg.Scale, thousands(res.Keys10), thousands(res.rowsOf(MBaseWrite)), thousands(res.rowsOf(MUpsertWrite)), cfg.Seed, res.Duration.Round(1e9))
	p("Point lookups take up to %d existing keys and IN-lists up to %d lists of %d distinct existing keys, drawn at random with a fixed seed "+
		"from the keys of the final table, the same for every system, in the same order; each loop stops after %s once it has %d samples, and after twice that in any case. "+
		"Every lookup must return 1 row and every IN-list %d. Filtered scans are timed %d times and their row counts must agree across systems.\n\n",
		cfg.Lookups, cfg.Lookups, inListKeys, cfg.LookupBudget, minLookups, inListKeys, cfg.Reps)
	p("Command: `go run ./benchmarks/cmd/upsertbench -selective -scale %g -reps %d -lookups %d` (`make bench-selective` at full scale).\n\n",
		cfg.Scale, cfg.Reps, cfg.Lookups)
	p("Over Flight SQL every query is timed from the client: GetFlightInfo (`Execute`) of `SELECT * FROM bench10 WHERE ...`, then a DoGet of every endpoint, " +
		"in parallel, read to the end, with arrow-go's client on a loopback gRPC connection to the server in the same process. " +
		"DuckDB (native table, PRIMARY KEY (uuid)) and LanceDB run in-process: DuckDB's point lookup is a prepared `WHERE uuid = ?`, its other queries " +
		"return Arrow; LanceDB's queries are `query().where(...)` streamed to the end inside one node process, after BTREE indexes on uuid and requests " +
		"and a BITMAP index on city.\n\n")
	if len(res.Problems) > 0 {
		p("## Problems\n\n")
		for _, pr := range res.Problems {
			p("- %s\n", pr)
		}
		p("\n")
	}
	p("## Targets\n\n| target | measured | |\n|---|---|---|\n")
	for _, t := range evaluateSelectiveTargets(res) {
		p("| %s | %s | %s |\n", t.name, t.measured, t.verdict)
	}
	p("\n")
	writeSelectiveTable(&b, res)
	writeLatencies(&b, res, MFlightLookup, SysFlight)
	writeLatencies(&b, res, MLookup, SysLocal)
	writeLatencies(&b, res, MInList, SysFlight)
	writeTable(&b, res, MFilter)
	writeTable(&b, res, MRange)
	p("The last two tables time building the table, which is not part of the selective reads: every base written once, " +
		"through the same write paths as the full suite; LanceDB's indexes afterwards.\n\n")
	writeTable(&b, res, MTotalWrite)
	writeTable(&b, res, MIndex)
	return b.String()
}

// writeSelectiveTable writes the summary table: measures by system.
func writeSelectiveTable(b *strings.Builder, res *Results) {
	b.WriteString("## Selective reads\n\n")
	b.WriteString("Point lookups and IN-lists: p50 / p99 latency. Filtered scans: median (min - max) and rows returned.\n\n| measure |")
	for _, c := range selectiveColumns {
		fmt.Fprintf(b, " %s |", c.heading)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(selectiveColumns)) + "\n")
	for _, row := range selectiveRows {
		fmt.Fprintf(b, "| %s |", row.heading)
		for _, c := range selectiveColumns {
			r, ok := res.Get(row.measure, c.system)
			switch {
			case !ok:
				b.WriteString(" - |")
			case row.latency:
				fmt.Fprintf(b, " %s / %s |", ms(quantile(r.Seconds, 0.5)), ms(quantile(r.Seconds, 0.99)))
			default:
				fmt.Fprintf(b, " %s (%s - %s), %s rows |", secs(r.Median()), secs(r.Min()), secs(r.Max()), thousands(r.Rows))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// writeLatencies writes the latency table of measure, with p50 ratios to
// the system base.
func writeLatencies(b *strings.Builder, res *Results, measure, base string) {
	ref, hasRef := res.Get(measure, base)
	header := false
	for _, s := range systemOrder {
		r, ok := res.Get(measure, s)
		if !ok {
			continue
		}
		if !header {
			fmt.Fprintf(b, "## %s\n\n| system | p50 | p99 | min - max | n | p50 vs %s | note |\n|---|---|---|---|---|---|---|\n", upperFirst(measure), base)
			header = true
		}
		ratio := "-"
		if hasRef {
			ratio = fmt.Sprintf("%.2fx", quantile(r.Seconds, 0.5)/quantile(ref.Seconds, 0.5))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s - %s | %d | %s | %s |\n", r.System, ms(quantile(r.Seconds, 0.5)), ms(quantile(r.Seconds, 0.99)),
			ms(r.Min()), ms(r.Max()), len(r.Seconds), ratio, r.Note)
	}
	if header {
		b.WriteString("\n")
	}
}
