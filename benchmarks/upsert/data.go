package upsert

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/workload"
)

// step is one write of the workload, stored as an Arrow IPC file.
type step struct {
	Path  string
	Rows  int64
	Bytes int64 // Arrow buffer size of the rows (workload.Bytes)
}

// dataset is the generated workload of one run.
type dataset struct {
	Base  step
	Up10  []step // upserts of the 10-upsert series
	Up100 []step // upserts of the 100-upsert series
	// Keys10 is the number of distinct keys after the 10 upserts: the rows
	// a full read must return.
	Keys10 int64
	// Keys100At[k] is the number of distinct keys after k small upserts.
	Keys100At map[int]int64
	// LookupKeys are existing keys to look up, drawn at random.
	LookupKeys []string
	// InLists are lists of inListKeys distinct existing keys, drawn at
	// random; only in the selective mode.
	InLists [][]string
}

// generate writes the workload under dir.
func generate(ctx context.Context, cfg Config, dir string) (*dataset, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	mem := memory.DefaultAllocator
	ds := &dataset{Keys100At: map[int]int64{}}
	g := workload.New(cfg.Seed)
	base := g.Base(mem, cfg.baseRows(), cfg.Batch)
	st, err := writeIPC(filepath.Join(dir, "base.arrow"), base)
	workload.Release(base)
	if err != nil {
		return nil, err
	}
	ds.Base = st
	for i := 1; i <= upserts; i++ {
		st, err := upsertFile(ctx, g, cfg.upsertRows(), cfg.Batch, i, filepath.Join(dir, fmt.Sprintf("u10-%03d.arrow", i)))
		if err != nil {
			return nil, err
		}
		ds.Up10 = append(ds.Up10, st)
	}
	ds.Keys10 = g.Keys()
	r := rand.New(rand.NewPCG(cfg.Seed, 99))
	for range cfg.Lookups {
		ds.LookupKeys = append(ds.LookupKeys, g.UUID(r.Int64N(ds.Keys10)))
	}
	if cfg.Selective {
		ds.InLists = drawInLists(g, rand.New(rand.NewPCG(cfg.Seed, 100)), cfg.Lookups, ds.Keys10)
		return ds, nil
	}

	// The small-upsert series starts from the same base: a second generator
	// with the same seed, advanced past the base.
	g100 := workload.New(cfg.Seed)
	workload.Release(g100.Base(mem, cfg.baseRows(), cfg.Batch))
	for i := 1; i <= smallUpserts; i++ {
		st, err := upsertFile(ctx, g100, cfg.smallRows(), cfg.Batch, i, filepath.Join(dir, fmt.Sprintf("u100-%03d.arrow", i)))
		if err != nil {
			return nil, err
		}
		ds.Up100 = append(ds.Up100, st)
		ds.Keys100At[i] = g100.Keys()
	}
	return ds, nil
}

// drawInLists draws n lists of inListKeys distinct keys out of the first
// keys keys of g.
func drawInLists(g *workload.Generator, r *rand.Rand, n int, keys int64) [][]string {
	out := make([][]string, n)
	for i := range out {
		seen := make(map[int64]bool, inListKeys)
		list := make([]string, 0, inListKeys)
		for len(list) < inListKeys {
			k := r.Int64N(keys)
			if !seen[k] {
				seen[k] = true
				list = append(list, g.UUID(k))
			}
		}
		out[i] = list
	}
	return out
}

// upsertFile generates one upsert round without duplicate keys and stores it.
func upsertFile(ctx context.Context, g *workload.Generator, rows, batch, round int, path string) (step, error) {
	recs := g.Upsert(memory.DefaultAllocator, rows, updateFraction, batch, round)
	defer workload.Release(recs)
	uniq, err := lastPerKey(ctx, recs)
	if err != nil {
		return step{}, err
	}
	defer workload.Release(uniq)
	return writeIPC(path, uniq)
}

// lastPerKey drops every row whose uuid appears again later in recs: the
// upsert semantics of one write, applied up front so peers that reject a
// batch naming a key twice receive the same rows as everyone else.
func lastPerKey(ctx context.Context, recs []arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	last := map[string]int{}
	n := 0
	for _, r := range recs {
		col := r.Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			last[col.Value(i)] = n
			n++
		}
	}
	out := make([]arrow.RecordBatch, 0, len(recs))
	n = 0
	for _, r := range recs {
		col := r.Column(0).(*array.String)
		b := array.NewBooleanBuilder(memory.DefaultAllocator)
		drop := 0
		for i := 0; i < col.Len(); i++ {
			keep := last[col.Value(i)] == n
			if !keep {
				drop++
			}
			b.Append(keep)
			n++
		}
		mask := b.NewBooleanArray()
		b.Release()
		if drop == 0 {
			mask.Release()
			r.Retain()
			out = append(out, r)
			continue
		}
		f, err := compute.FilterRecordBatch(ctx, r, mask, compute.DefaultFilterOptions())
		mask.Release()
		if err != nil {
			workload.Release(out)
			return nil, fmt.Errorf("dropping duplicate keys: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}

func writeIPC(path string, recs []arrow.RecordBatch) (step, error) {
	f, err := os.Create(path)
	if err != nil {
		return step{}, err
	}
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(workload.Schema))
	if err != nil {
		_ = f.Close()
		return step{}, err
	}
	st := step{Path: path, Bytes: workload.Bytes(recs)}
	for _, r := range recs {
		st.Rows += r.NumRows()
		if err := w.Write(r); err != nil {
			_ = f.Close()
			return step{}, fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		_ = f.Close()
		return step{}, err
	}
	return st, f.Close()
}

// load reads a step's records into memory; the caller releases them.
func load(s step) ([]arrow.RecordBatch, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Path, err)
	}
	defer r.Close()
	recs := make([]arrow.RecordBatch, 0, r.NumRecords())
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatchAt(i)
		if err != nil {
			workload.Release(recs)
			return nil, fmt.Errorf("read %s: %w", s.Path, err)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// timeSeries times a write series: the base written baseReps times, each
// after create has made a fresh table named name (name_r0, name_r1, ...
// for all but the last, which is kept), then every upsert in order. The
// callbacks do the system's work; only writeBase and upsert are timed.
func timeSeries(name string, base step, ups []step, baseReps int,
	create func(name string) error,
	writeBase func(recs []arrow.RecordBatch) error,
	upsert func(i int, recs []arrow.RecordBatch) error) (baseSecs, upSecs []float64, err error) {
	recs, err := load(base)
	if err != nil {
		return nil, nil, err
	}
	for r := range baseReps {
		tname := name
		if r < baseReps-1 {
			tname = fmt.Sprintf("%s_r%d", name, r)
		}
		if err := create(tname); err != nil {
			workload.Release(recs)
			return nil, nil, err
		}
		secs, err := timeIt(func() error { return writeBase(recs) })
		if err != nil {
			workload.Release(recs)
			return nil, nil, fmt.Errorf("base write: %w", err)
		}
		baseSecs = append(baseSecs, secs)
	}
	workload.Release(recs)
	for i, u := range ups {
		recs, err := load(u)
		if err != nil {
			return nil, nil, err
		}
		secs, err := timeIt(func() error { return upsert(i, recs) })
		workload.Release(recs)
		if err != nil {
			return nil, nil, fmt.Errorf("upsert %d: %w", i+1, err)
		}
		upSecs = append(upSecs, secs)
	}
	return baseSecs, upSecs, nil
}
