package flightsql

import (
	"bytes"
	"fmt"
	"math/big"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// paramRows is a set of bound parameter rows: row r's value of parameter i
// is rows[r][i], as a Go value (nil, bool, int64, uint64, float64, string,
// []byte, time.Time, or a decimal as its text).
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
				v, err := goValue(rec.Column(c), i)
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

// goValue returns value i of arr as a plain Go value.
func goValue(arr arrow.Array, i int) (any, error) {
	if arr.IsNull(i) {
		return nil, nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Uint8:
		return int64(a.Value(i)), nil
	case *array.Uint16:
		return int64(a.Value(i)), nil
	case *array.Uint32:
		return int64(a.Value(i)), nil
	case *array.Uint64:
		return a.Value(i), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.String:
		return a.Value(i), nil
	case *array.LargeString:
		return a.Value(i), nil
	case *array.StringView:
		return a.Value(i), nil
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...), nil
	case *array.LargeBinary:
		return append([]byte(nil), a.Value(i)...), nil
	case *array.FixedSizeBinary:
		return append([]byte(nil), a.Value(i)...), nil
	case *array.Date32:
		return a.Value(i).ToTime().UTC(), nil
	case *array.Date64:
		return a.Value(i).ToTime().UTC(), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC(), nil
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		return time.Unix(0, 0).UTC().Add(a.Value(i).ToTime(unit).Sub(time.Unix(0, 0).UTC())), nil
	case *array.Time64:
		unit := a.DataType().(*arrow.Time64Type).Unit
		return a.Value(i).ToTime(unit).UTC(), nil
	case *array.Decimal128:
		t := a.DataType().(*arrow.Decimal128Type)
		return decimalText(a.Value(i).BigInt(), t.Scale), nil
	case *array.Null:
		return nil, nil
	case *array.DenseUnion:
		child := a.Field(a.ChildID(i))
		return goValue(child, int(a.ValueOffset(i)))
	case *array.SparseUnion:
		return goValue(a.Field(a.ChildID(i)), i)
	case *array.Dictionary:
		return goValue(a.Dictionary(), a.GetValueIndex(i))
	}
	return nil, fmt.Errorf("values of type %s are not supported as parameters", arr.DataType())
}

// decimalText renders an unscaled decimal as text.
func decimalText(unscaled *big.Int, scale int32) string {
	neg := unscaled.Sign() < 0
	digits := new(big.Int).Abs(unscaled).String()
	if scale > 0 {
		for int32(len(digits)) <= scale {
			digits = "0" + digits
		}
		digits = digits[:int32(len(digits))-scale] + "." + digits[int32(len(digits))-scale:]
	}
	if neg {
		digits = "-" + digits
	}
	return digits
}
