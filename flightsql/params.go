package flightsql

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/flightsql/plan"
	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
	"github.com/lakesoul-io/lakesoul-flight/internal/ipccheck"
)

// paramRows is a set of bound parameter rows: row r's value of parameter i
// is rows[r][i], as the Go value arrowconv.GoValue reads (nil, bool, int64,
// uint64, float64, string, []byte, time.Time, or a decimal as its text).
type paramRows [][]any

// encodeParams serialises parameter batches as one Arrow IPC stream.
func encodeParams(mem memory.Allocator, recs []arrow.RecordBatch) ([]byte, error) {
	b, err := encodeIPC(mem, recs)
	if err != nil {
		return nil, invalidf("parameters: %v", err)
	}
	return b, nil
}

// decodeParams reads parameter rows from an IPC stream, with the Arrow
// types they were bound with; nil for no parameters.
func decodeParams(mem memory.Allocator, b []byte) (*plan.Params, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if err := ipccheck.Stream(b); err != nil {
		return nil, invalidf("parameters: %v", err)
	}
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		return nil, invalidf("parameters: %v", err)
	}
	defer r.Release()
	out := &plan.Params{}
	for _, f := range r.Schema().Fields() {
		out.Types = append(out.Types, f.Type)
	}
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for c := range row {
				v, err := arrowconv.GoValue(rec.Column(c), i)
				if err != nil {
					return nil, invalidf("parameter %d: %v", c+1, err)
				}
				row[c] = v
			}
			out.Rows = append(out.Rows, row)
		}
	}
	if err := r.Err(); err != nil {
		return nil, invalidf("parameters: %v", err)
	}
	return out, nil
}

// rowsOf returns the rows of bound parameters (nil for none).
func rowsOf(p *plan.Params) paramRows {
	if p == nil {
		return nil
	}
	return p.Rows
}
