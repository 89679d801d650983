package flightsql

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakesoul-io/lakesoul-flight/internal/arrowconv"
)

// paramRows is a set of bound parameter rows: row r's value of parameter i
// is rows[r][i], as the Go value arrowconv.GoValue reads (nil, bool, int64,
// uint64, float64, string, []byte, time.Time, or a decimal as its text).
type paramRows [][]any

// encodeParams serialises parameter batches as one Arrow IPC stream.
func encodeParams(mem memory.Allocator, recs []arrow.RecordBatch) ([]byte, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(recs[0].Schema()), ipc.WithAllocator(mem))
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return nil, invalidf("parameters: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeParams reads parameter rows from an IPC stream.
func decodeParams(mem memory.Allocator, b []byte) (paramRows, error) {
	if len(b) == 0 {
		return nil, nil
	}
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		return nil, invalidf("parameters: %v", err)
	}
	defer r.Release()
	var rows paramRows
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
			rows = append(rows, row)
		}
	}
	return rows, r.Err()
}
