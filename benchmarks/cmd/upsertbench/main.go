// Command upsertbench runs the LakeSoul upsert benchmark against
// lakesoul-flight and its peers and writes a Markdown report with charts.
//
//	go run ./benchmarks/cmd/upsertbench                # full scale, MinIO, LanceDB, Iceberg
//	go run ./benchmarks/cmd/upsertbench -scale 0.01    # a quick look
//	go run ./benchmarks/cmd/upsertbench -selective     # selective reads only (about 25 min)
//
// Run it from the repository root after `make deps` (MinIO server binary,
// LanceDB's node packages). The report goes to
// benchmarks/results/<machine>-<date>.md, with its charts beside it; the
// selective mode writes benchmarks/results/<machine>-<date>-selective.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/lakesoul-io/lakesoul-flight/benchmarks/upsert"
)

func main() {
	cfg := upsert.DefaultConfig()
	flag.Float64Var(&cfg.Scale, "scale", cfg.Scale, "fraction of the published row counts (10M base rows, upserts of 2M)")
	flag.IntVar(&cfg.Reps, "reps", cfg.Reps, "times each base write and read is timed (the report shows the median); with -selective, times each filtered scan is timed")
	flag.IntVar(&cfg.Lookups, "lookups", cfg.Lookups, "point lookups per system (with -selective also IN-lists of 100 keys); each loop stops after a minute once it has 20")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "workload generator seed")
	work := flag.String("work", "", "work directory for data, warehouses and databases (default: a new temporary directory, removed at the end)")
	out := flag.String("out", "benchmarks/results", "directory of the report")
	machine := flag.String("machine", upsert.MachineName(), "machine name in the report's file name")
	minio := flag.Bool("minio", true, "also run lakesoul-flight on a MinIO server started here (binary from `make deps`)")
	lance := flag.String("lancedb", "benchmarks/lancedb", "directory of the LanceDB script with node_modules; empty skips LanceDB")
	icebergOn := flag.Bool("iceberg", true, "run Apache Iceberg through iceberg-go (the longest part of a full-scale run)")
	flag.BoolVar(&cfg.Selective, "selective", false, "run only the selective reads: the 10-upsert table on lakesoul-flight (local, MinIO), "+
		"the DuckDB native table and LanceDB (indexed), then point lookups by key (in-process and over Flight SQL), IN-lists of 100 keys "+
		"and filtered scans (city = 'Berlin', a range of requests); no DuckDB over Parquet, Iceberg, 100-upsert series or compaction")
	flag.StringVar(&cfg.Node, "node", cfg.Node, "node binary")
	flag.StringVar(&cfg.ProfileDir, "cpuprofile-dir", "", "write CPU profiles of lakesoul-flight's write and read steps here")
	flag.Parse()
	cfg.LanceDBDir = *lance
	cfg.SkipIceberg = !*icebergOn
	cfg.Progress = os.Stderr

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := run(ctx, cfg, *work, *out, *machine, *minio); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg upsert.Config, work, out, machine string, minio bool) error {
	if work == "" {
		d, err := os.MkdirTemp("", "upsertbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	cfg.WorkDir = work
	if minio {
		srv, stop, err := startMinIO(work)
		if err != nil {
			return fmt.Errorf("starting MinIO: %w", err)
		}
		defer stop()
		cfg.S3 = &upsert.S3Target{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: "bench"}
	}
	// Save a partial report after every system, so a run stopped early
	// still leaves what it measured.
	started := time.Now()
	name := fmt.Sprintf("%s-%s", machine, started.Format(time.DateOnly))
	if cfg.Selective {
		name += "-selective"
	}
	cfg.AfterSystem = func(res *upsert.Results) {
		res.Machine = machine
		if _, err := upsert.WriteReport(res, out, name+"-partial"); err != nil {
			fmt.Fprintf(os.Stderr, "partial report: %v\n", err)
		}
	}
	res, err := upsert.Run(ctx, cfg)
	if err != nil {
		return err
	}
	res.Machine = machine
	if cfg.ProfileDir != "" {
		res.Profiles = profileTops(cfg.ProfileDir)
	}
	path, err := upsert.WriteReport(res, out, name)
	if err != nil {
		return err
	}
	removePartial(out, name+"-partial")
	fmt.Fprintf(os.Stderr, "report: %s\n", filepath.Clean(path))
	for _, p := range res.Problems {
		fmt.Fprintf(os.Stderr, "problem: %s\n", p)
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("%d problems (listed in the report)", len(res.Problems))
	}
	return nil
}

// profileTops runs `go tool pprof -top` on every profile in dir and returns
// the outputs by profile name; a profile it cannot read is left out.
func profileTops(dir string) map[string]string {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pprof"))
	out := map[string]string{}
	for _, f := range files {
		b, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=15", exe, f).Output()
		if err != nil {
			continue
		}
		// Drop the header lines naming the binary and the build.
		lines := strings.Split(string(b), "\n")
		for len(lines) > 0 && !strings.HasPrefix(lines[0], "Duration") {
			lines = lines[1:]
		}
		out[strings.TrimSuffix(filepath.Base(f), ".pprof")] = strings.Join(lines, "\n")
	}
	return out
}

// removePartial deletes the partial report once the full one is written.
func removePartial(dir, name string) {
	files, _ := filepath.Glob(filepath.Join(dir, name+"*"))
	for _, f := range files {
		_ = os.Remove(f)
	}
}
