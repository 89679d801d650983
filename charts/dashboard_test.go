package charts

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const (
	dashboardRepo  = "../deploy/grafana/lakesoul-flight.json"
	dashboardChart = chartDir + "/dashboards/lakesoul-flight.json"
)

// TestDashboardCopies: the chart ships the same dashboard as deploy/grafana.
func TestDashboardCopies(t *testing.T) {
	a, err := os.ReadFile(dashboardRepo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dashboardChart)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("%s and %s differ: copy one onto the other", dashboardRepo, dashboardChart)
	}
}

// TestDashboardMetrics: every metric a panel or variable queries is one the
// code exports, and the dashboard covers the areas an operator watches.
func TestDashboardMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboardRepo)
	if err != nil {
		t.Fatal(err)
	}
	var d any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	var exprs []string
	collectQueries(d, &exprs)
	if len(exprs) < 10 {
		t.Fatalf("only %d queries in the dashboard", len(exprs))
	}
	used := map[string]bool{}
	for _, e := range exprs {
		for _, m := range metricNames(e) {
			used[m] = true
		}
	}
	exported := exportedMetrics(t, "..")
	if len(exported) < 10 {
		t.Fatalf("found only %d metric names in the Go sources: %v", len(exported), exported)
	}
	var unknown []string
	for m := range used {
		if !exported[m] && !exported[histogramBase(m)] {
			unknown = append(unknown, m)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("the dashboard queries metrics the code does not export: %v", unknown)
	}
	for _, want := range []string{
		"lakesoul_flight_requests_total", "lakesoul_flight_request_duration_seconds_bucket",
		"lakesoul_flight_rows_sent_total", "lakesoul_flight_rows_written_total",
		"lakesoul_etcd_request_duration_seconds_bucket", "lakesoul_maintain_compactions_total",
		"lakesoul_maintain_compaction_backlog", "lakesoul_maintain_runs_per_bucket_bucket",
		"lakesoul_maintain_writer_stalls_total", "lakesoul_maintain_compaction_written_bytes_total",
	} {
		if !used[want] {
			t.Errorf("no panel queries %s", want)
		}
	}
}

// collectQueries gathers the PromQL of panel targets ("expr") and of
// template variables ("definition", "query" strings).
func collectQueries(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && (k == "expr" || k == "definition" || (k == "query" && strings.Contains(s, "("))) {
				*out = append(*out, s)
				continue
			}
			collectQueries(val, out)
		}
	case []any:
		for _, e := range x {
			collectQueries(e, out)
		}
	}
}

var (
	// A metric name in PromQL: lakesoul_*, or the process and Go runtime
	// collectors' names.
	promMetric = regexp.MustCompile(`\b((?:lakesoul|process|go)_[a-zA-Z0-9_:]+)\b`)
	// Quoted label values and label matchers are not metric names.
	promQuoted = regexp.MustCompile(`"[^"]*"`)
)

func metricNames(expr string) []string {
	expr = promQuoted.ReplaceAllString(expr, `""`)
	var out []string
	for _, m := range promMetric.FindAllStringSubmatch(expr, -1) {
		out = append(out, m[1])
	}
	return out
}

// histogramBase strips the series suffixes a histogram or summary adds.
func histogramBase(m string) string {
	for _, s := range []string{"_bucket", "_count", "_sum"} {
		if b, ok := strings.CutSuffix(m, s); ok {
			return b
		}
	}
	return m
}

var (
	// Name: "lakesoul_x" in prometheus.*Opts.
	goFullName = regexp.MustCompile(`Name:\s*"(lakesoul_[a-z0-9_]+)"`)
	// Namespace: "lakesoul_flight", Name: "requests_total".
	goNamespaced = regexp.MustCompile(`Namespace:\s*"([a-z0-9_]+)",\s*(?:Subsystem:\s*"([a-z0-9_]+)",\s*)?Name:\s*"([a-z0-9_]+)"`)
)

// collectorMetrics are the series of client_golang's standard collectors
// that the dashboard may use, keyed by the constructor that registers them.
var collectorMetrics = map[string][]string{
	"collectors.NewProcessCollector": {"process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"},
	"collectors.NewGoCollector":      {"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds"},
}

// exportedMetrics reads the metric names out of the non-test Go sources
// under root (benchmarks excluded: they serve nothing).
func exportedMetrics(t *testing.T, root string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "benchmarks", "charts":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(b)
		for _, m := range goFullName.FindAllStringSubmatch(src, -1) {
			names[m[1]] = true
		}
		for _, m := range goNamespaced.FindAllStringSubmatch(src, -1) {
			parts := []string{m[1]}
			if m[2] != "" {
				parts = append(parts, m[2])
			}
			names[strings.Join(append(parts, m[3]), "_")] = true
		}
		for ctor, ms := range collectorMetrics {
			if strings.Contains(src, ctor+"(") {
				for _, m := range ms {
					names[m] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
