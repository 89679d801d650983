package upsert

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
)

// reference is one figure of LakeSoul's published benchmark (Spark 3.3.1
// local[4], 4 CPUs, 16 GB, MinIO), not run here.
type reference struct {
	system, mode string
	write, read  float64 // seconds
}

var references = []reference{
	{"Hudi", "copy-on-write", 664, 8.5},
	{"Iceberg", "copy-on-write", 398, 8.9},
	{"LakeSoul", "copy-on-write", 186, 6.1},
	{"Hudi", "merge-on-read", 542, 25},
	{"Iceberg", "merge-on-read", 198, 18.63},
	{"LakeSoul", "merge-on-read", 57, 9.39},
}

const (
	refCores     = 4
	refWriteRows = fullBaseRows + upserts*fullUpsertRows // 30,000,000
	refReadRows  = fullBaseRows + upserts*fullUpsertRows/2
)

// systemOrder is the row order of every table.
var systemOrder = []string{SysLocal, SysMinIO, SysFlight, SysFlightMinIO, SysDuckNative, SysDuckParquet, SysLanceDB, SysIceberg, SysPqarrow}

// MachineName describes this machine for report file names, such as
// "2cpu-amd-epyc".
func MachineName() string {
	model := "unknown-cpu"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	slug := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(model), "-"), "-")
	return fmt.Sprintf("%dcpu-%s", runtime.NumCPU(), slug)
}

// WriteReport writes dir/name.md and its charts (dir/name-*.png; none in
// the selective mode) and returns the report's path.
func WriteReport(res *Results, dir, name string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	charts, err := writeCharts(res, dir, name)
	if err != nil {
		return "", fmt.Errorf("upsert: charts: %w", err)
	}
	path := filepath.Join(dir, name+".md")
	return path, os.WriteFile(path, []byte(Markdown(res, charts)), 0o644)
}

func writeCharts(res *Results, dir, name string) ([]string, error) {
	if res.Config.Selective {
		return nil, nil // the selective report is tables only
	}
	var files []string
	median := func(measure string) map[string]float64 {
		m := map[string]float64{}
		for _, r := range res.Results {
			if r.Measure == measure {
				m[r.System] = r.Median()
			}
		}
		return m
	}
	writers := present(res, MBaseWrite)
	if len(writers) > 0 {
		f := name + "-write.png"
		err := barChart(filepath.Join(dir, f), "Write: base and one upsert (median seconds, lower is better)", "seconds",
			writers, []barGroup{{"base write", median(MBaseWrite)}, {"one upsert (median of 10)", median(MUpsertWrite)}})
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	readers := present(res, MRead10, MCompacted, MFlight)
	if len(readers) > 0 {
		r10 := median(MRead10)
		for s, v := range median(MFlight) {
			r10[s] = v
		}
		comp := median(MCompacted)
		if v, ok := comp[SysPqarrow]; ok {
			r10[SysPqarrow] = v
			delete(comp, SysPqarrow)
		}
		f := name + "-read.png"
		err := barChart(filepath.Join(dir, f), "Full read of the latest snapshot (median seconds, lower is better)", "seconds",
			readers, []barGroup{{"after 10 upserts", r10}, {"after 100 small upserts", median(MRead100)}, {"after compaction", comp}})
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if len(res.Line) > 0 {
		f := name + "-upserts.png"
		if err := lineChart(filepath.Join(dir, f), res.Line); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// present lists the systems with a result for any of the measures, in
// report order.
func present(res *Results, measures ...string) []string {
	var out []string
	for _, s := range systemOrder {
		for _, m := range measures {
			if _, ok := res.Get(m, s); ok {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// Markdown renders the report.
func Markdown(res *Results, charts []string) string {
	if res.Config.Selective {
		return selectiveMarkdown(res)
	}
	var b strings.Builder
	cfg := res.Config
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# LakeSoul upsert workload: lakesoul-flight and peers\n\n")
	p("Machine `%s` (%d CPUs, GOMAXPROCS %d, %s/%s, %s), %s. Scale %g: %s base rows, 10 upserts of %s rows and 100 of %s "+
		"(half updates, half new keys, duplicate keys of an upsert dropped), 4 hash buckets, seed %d. "+
		"Every base write and read timed %d times (in the small-upsert series, the reads before the last checkpoint once), every upsert once; tables show the median. Run took %s.\n\n",
		res.Machine, runtime.NumCPU(), cores(), runtime.GOOS, runtime.GOARCH, runtime.Version(), res.Started.Format("2006-01-02 15:04 MST"),
		cfg.Scale, thousands(res.rowsOf(MBaseWrite)), thousands(res.rowsOf(MUpsertWrite)), thousands(res.rowsOf(MSmallUpsertWrite)), cfg.Seed,
		cfg.Reps, res.Duration.Round(1e9))
	p("Command: `go run ./benchmarks/cmd/upsertbench -scale %g -reps %d` (`make bench` at full scale).\n\n", cfg.Scale, cfg.Reps)
	p("Columns: *median* and *min - max* in seconds; *rows/s* and *MB/s per core* from the median (MB are Arrow buffer bytes of the rows written or read: the input for writes, the merged table for reads, the same figure for every system, so Parquet's compression plays no part; per core divides by GOMAXPROCS = %d); "+
		"*vs lakesoul-flight* is the median time divided by lakesoul-flight's on the local warehouse (above 1: slower than lakesoul-flight).\n\n", cores())
	if len(res.Problems) > 0 {
		p("## Problems\n\n")
		for _, pr := range res.Problems {
			p("- %s\n", pr)
		}
		p("\n")
	}
	p("## Targets\n\n")
	p("| target | measured | |\n|---|---|---|\n")
	for _, t := range evaluateTargets(res) {
		p("| %s | %s | %s |\n", t.name, t.measured, t.verdict)
	}
	p("\n")
	if len(charts) > 0 {
		p("## Charts\n\n")
		for _, c := range charts {
			p("![%s](%s)\n\n", strings.TrimSuffix(c, ".png"), c)
		}
	}
	for _, m := range []string{MBaseWrite, MUpsertWrite, MTotalWrite, MSmallUpsertWrite, MRead10, MRead100, MCompact, MCompacted, MFilter, MFlight} {
		writeTable(&b, res, m)
	}
	writeLatencies(&b, res, MLookup, SysLocal)
	writeLine(&b, res)
	writeReferences(&b, res)
	if len(res.Profiles) > 0 {
		b.WriteString("## CPU profiles of lakesoul-flight (top entries)\n\n")
		names := slices.Sorted(maps.Keys(res.Profiles))
		for _, n := range names {
			fmt.Fprintf(&b, "### %s\n\n```\n%s\n```\n\n", n, strings.TrimSpace(res.Profiles[n]))
		}
	}
	return b.String()
}

func (res *Results) rowsOf(measure string) int64 {
	for _, r := range res.Results {
		if r.Measure == measure {
			return r.Rows
		}
	}
	return 0
}

func writeTable(b *strings.Builder, res *Results, measure string) {
	base, hasBase := res.Get(measure, SysLocal)
	var rows []Result
	for _, s := range systemOrder {
		if r, ok := res.Get(measure, s); ok {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## %s\n\n", upperFirst(measure))
	fmt.Fprintf(b, "| system | median | min - max | n | rows/s | MB/s per core | vs lakesoul-flight | note |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		med := r.Median()
		ratio := "-"
		if hasBase && base.Median() > 0 {
			ratio = fmt.Sprintf("%.2fx", med/base.Median())
		}
		mbpc := "-"
		if r.Bytes > 0 && med > 0 {
			mbpc = fmt.Sprintf("%.1f", float64(r.Bytes)/med/1e6/float64(cores()))
		}
		rps := "-"
		if med > 0 {
			rps = thousands(int64(float64(r.Rows) / med))
		}
		fmt.Fprintf(b, "| %s | %s | %s - %s | %d | %s | %s | %s | %s |\n", r.System, secs(med), secs(r.Min()), secs(r.Max()),
			len(r.Seconds), rps, mbpc, ratio, r.Note)
	}
	b.WriteString("\n")
}

func writeLine(b *strings.Builder, res *Results) {
	if len(res.Line) == 0 {
		return
	}
	systems := []string{}
	for _, pt := range res.Line {
		if !slices.Contains(systems, pt.System) {
			systems = append(systems, pt.System)
		}
	}
	b.WriteString("## Full read after N small upserts (median seconds)\n\n| upserts | rows |")
	for _, s := range systems {
		fmt.Fprintf(b, " %s |", s)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(systems)) + "\n")
	for _, k := range checkpoints {
		var rows int64
		cells := make([]string, len(systems))
		for i, s := range systems {
			cells[i] = "-"
			for _, pt := range res.Line {
				if pt.System == s && pt.Upserts == k {
					cells[i], rows = secs(pt.Seconds), pt.Rows
				}
			}
		}
		fmt.Fprintf(b, "| %d | %s | %s |\n", k, thousands(rows), strings.Join(cells, " | "))
	}
	b.WriteString("\n")
}

func writeReferences(b *strings.Builder, res *Results) {
	b.WriteString("## Reference: LakeSoul's published figures (not run here)\n\n")
	b.WriteString("Spark 3.3.1 `local[4]`, 4 CPUs, 16 GB, MinIO, 10,000,000 base rows and 10 upserts of 2,000,000: " +
		"write is the base plus the 10 upserts (30,000,000 rows), read the full table afterwards (about 20,000,000 rows). " +
		"Per core divides by their 4 CPUs; MB uses this run's Arrow bytes per row. " +
		"*lakesoul-flight per core* is this run's lakesoul-flight (local) rate per core divided by theirs (above 1: more rows per core and second here).\n\n")
	wpr := bytesPerRow(res, MTotalWrite)
	ourW, okW := res.Get(MTotalWrite, SysLocal)
	ourR, okR := res.Get(MRead10, SysLocal)
	b.WriteString("| system | mode | write s | write rows/s per core | write MB/s per core | read s | read rows/s per core | lakesoul-flight per core (write / read) |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range references {
		wrps := refWriteRows / r.write / refCores
		rrps := refReadRows / r.read / refCores
		vs := "-"
		if okW && okR {
			ow := float64(ourW.Rows) / ourW.Median() / float64(cores())
			or := float64(ourR.Rows) / ourR.Median() / float64(cores())
			vs = fmt.Sprintf("%.2fx / %.2fx", ow/wrps, or/rrps)
		}
		fmt.Fprintf(b, "| %s (not run here) | %s | %g | %s | %.1f | %g | %s | %s |\n", r.system, r.mode, r.write, thousands(int64(wrps)),
			wrps*wpr/1e6, r.read, thousands(int64(rrps)), vs)
	}
	b.WriteString("\n")
}

func bytesPerRow(res *Results, measure string) float64 {
	if r, ok := res.Get(measure, SysLocal); ok && r.Rows > 0 {
		return float64(r.Bytes) / float64(r.Rows)
	}
	return 0
}

func secs(s float64) string {
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f s", s)
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	default:
		return fmt.Sprintf("%.3f s", s)
	}
}

func ms(s float64) string { return fmt.Sprintf("%.2f ms", s*1e3) }

func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
