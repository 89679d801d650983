package mor

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TakeRows returns a record holding the given rows of rec, in that order,
// built with the same typed gather kernels the merge uses. Writers use it
// to lay out rows sorted by key.
func TakeRows(mem memory.Allocator, rec arrow.RecordBatch, rows []int32) (arrow.RecordBatch, error) {
	refs := make([]ref, len(rows))
	for i, r := range rows {
		refs[i] = ref{b: 0, r: r}
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, col := range rec.Columns() {
		c, err := gather(mem, col.DataType(), []arrow.Array{col}, refs)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(len(rows))), nil
}
