package upsert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrLanceDBMissing means benchmarks/lancedb has no node_modules.
var ErrLanceDBMissing = errors.New("upsert: LanceDB's node packages are not installed: run `make deps` (npm ci --prefix benchmarks/lancedb)")

// lancePlan is the input of benchmarks/lancedb/bench.mjs.
type lancePlan struct {
	URI            string            `json:"uri"`
	StorageOptions map[string]string `json:"storageOptions,omitempty"`
	Series         []lanceSeries     `json:"series"`
}

type lanceSeries struct {
	Name      string   `json:"name"`
	Base      string   `json:"base"`
	BaseReps  int      `json:"baseReps"`
	Upserts   []string `json:"upserts"`
	ReadAfter []int    `json:"readAfter"`
	ReadReps  int      `json:"readReps"`
	// ReadRepsAt overrides ReadReps for the reads after some upserts.
	ReadRepsAt map[int]int `json:"readRepsAt,omitempty"`
	// Selective, when set, runs the selective reads after the upserts.
	Selective *lanceSelective `json:"selective,omitempty"`
}

// lanceSelective is the selective-reads part of a series: scalar indexes
// built after the last upsert, then point lookups and IN-lists (each loop
// stopping after budgetSeconds, once minCount are done) and filtered scans.
type lanceSelective struct {
	Indexes       []lanceIndex  `json:"indexes"`
	Lookups       []string      `json:"lookups"`
	InLists       [][]string    `json:"inLists"`
	Filters       []lanceFilter `json:"filters"`
	Reps          int           `json:"reps"`
	BudgetSeconds float64       `json:"budgetSeconds"`
	MinCount      int           `json:"minCount"`
}

type lanceIndex struct {
	Column string `json:"column"`
	Type   string `json:"type"` // "btree" or "bitmap"
}

type lanceFilter struct {
	Name  string `json:"name"`
	Where string `json:"where"`
}

// lanceTimings is a timed loop or repeated query: the seconds and the rows
// of each sample.
type lanceTimings struct {
	Seconds []float64 `json:"seconds"`
	Rows    []int64   `json:"rows"`
}

type lanceSelectiveOut struct {
	Indexes []struct {
		Column  string  `json:"column"`
		Type    string  `json:"type"`
		Seconds float64 `json:"seconds"`
	} `json:"indexes"`
	// IndexUsed says, by query kind ("lookup", "inList", a filter's name),
	// whether LanceDB's plan (explainPlan) reads through a scalar index.
	IndexUsed map[string]bool `json:"indexUsed"`
	Lookups   lanceTimings    `json:"lookups"`
	InLists   lanceTimings    `json:"inLists"`
	Filters   []struct {
		Name string `json:"name"`
		lanceTimings
	} `json:"filters"`
}

// lanceOutput is what bench.mjs prints.
type lanceOutput struct {
	Series []struct {
		Name    string    `json:"name"`
		Base    []float64 `json:"base"`
		Upserts []float64 `json:"upserts"`
		Reads   []struct {
			Upserts int       `json:"upserts"`
			Seconds []float64 `json:"seconds"`
			Rows    int64     `json:"rows"`
		} `json:"reads"`
		Selective *lanceSelectiveOut `json:"selective"`
	} `json:"series"`
}

// checkLanceDB reports whether dir holds bench.mjs with its packages.
func checkLanceDB(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "bench.mjs")); err != nil {
		return fmt.Errorf("upsert: LanceDB script: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@lancedb", "lancedb")); err != nil {
		return fmt.Errorf("%w (looked in %s)", ErrLanceDBMissing, dir)
	}
	return nil
}

// runLanceDB runs the plan with node and returns its timings.
func runLanceDB(ctx context.Context, node, dir, work string, plan lancePlan) (*lanceOutput, error) {
	if err := checkLanceDB(dir); err != nil {
		return nil, err
	}
	planPath := filepath.Join(work, "lancedb-plan.json")
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(planPath, b, 0o644); err != nil {
		return nil, err
	}
	script, err := filepath.Abs(filepath.Join(dir, "bench.mjs"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, script, planPath)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("upsert: %s %s: %w\n%s", node, script, err, tail(stderr.String(), 4000))
	}
	var out lanceOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("upsert: LanceDB output: %w\n%s", err, tail(stdout.String(), 2000))
	}
	return &out, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
