package mor

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// scanTasks reads n tasks, opening task i with open, with at most workers
// of them in flight. Records are returned as the tasks produce them: each
// task's records keep their order, records of different tasks interleave.
// limit > 0 caps the rows returned across tasks. The first error ends the
// read; releasing the reader early cancels the remaining work.
func scanTasks(ctx context.Context, schema *arrow.Schema, n, workers int, limit int64, open func(ctx context.Context, i int) (array.RecordReader, error)) array.RecordReader {
	ctx, cancel := context.WithCancel(ctx)
	type item struct {
		rec arrow.RecordBatch
		err error
	}
	workers = min(workers, n)
	out := make(chan item, 2*max(workers, 1))
	tasks := make(chan int)
	var wg sync.WaitGroup
	go func() {
		defer close(tasks)
		for i := range n {
			select {
			case tasks <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	send := func(it item) bool {
		select {
		case out <- it:
			return true
		case <-ctx.Done():
			if it.rec != nil {
				it.rec.Release()
			}
			return false
		}
	}
	readTask := func(i int) bool {
		rr, err := open(ctx, i)
		if err != nil {
			send(item{err: err})
			return false
		}
		defer rr.Release()
		for rr.Next() {
			rec := rr.RecordBatch()
			rec.Retain()
			if !send(item{rec: rec}) {
				return false
			}
		}
		if err := rr.Err(); err != nil {
			send(item{err: err})
			return false
		}
		return true
	}
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for i := range tasks {
				if !readTask(i) {
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	remaining := limit
	done := false
	stop := func() {
		cancel()
		for it := range out {
			if it.rec != nil {
				it.rec.Release()
			}
		}
	}
	next := func() (arrow.RecordBatch, error) {
		if done || (limit > 0 && remaining <= 0) {
			return nil, nil
		}
		it, ok := <-out
		if !ok {
			done = true
			return nil, nil
		}
		if it.err != nil {
			done = true
			return nil, it.err
		}
		rec := it.rec
		if limit > 0 && rec.NumRows() > remaining {
			s := rec.NewSlice(0, remaining)
			rec.Release()
			rec = s
		}
		remaining -= rec.NumRows()
		return rec, nil
	}
	return newIterReader(schema, next, stop)
}
