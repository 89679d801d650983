package mor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// DeleteMarkerColumn is the hidden boolean column of delete files: true
// removes the key. A null marker is not a delete. The column never appears in
// merged output.
const DeleteMarkerColumn = "_lakesoul_delete"

// CDCDeleteValue is the value of the CDC change column that removes a key.
const CDCDeleteValue = "delete"

// Errors of the merge engine. They are wrapped with details; match them with
// errors.Is.
var (
	// ErrUnknownMergeOp reports a merge operator name that ParseMergeOp does
	// not know.
	ErrUnknownMergeOp = errors.New("mor: unknown merge operator")
	// ErrMergeOptions reports invalid MergeOptions or a merge operator that
	// does not fit the type of its column.
	ErrMergeOptions = errors.New("mor: invalid merge options")
	// ErrRunSchema reports a run whose schema lacks a primary-key column or
	// disagrees with the output schema or with the other runs.
	ErrRunSchema = errors.New("mor: run schema mismatch")
	// ErrDuplicateSeq reports two runs with the same sequence number.
	ErrDuplicateSeq = errors.New("mor: duplicate run sequence number")
	// ErrRunOrder reports a run whose keys are not unique and ascending.
	ErrRunOrder = errors.New("mor: run keys not strictly ascending")
	// ErrNullKey reports a null value in a primary-key column.
	ErrNullKey = errors.New("mor: null primary key")
)

// MergeOp decides how the values that several runs hold for one key and one
// column combine into the merged value. Only rows of runs whose schema has the
// column take part; rows older than the newest delete of the key never do.
type MergeOp int

const (
	// MergeLast keeps the value of the newest row (null stays null).
	MergeLast MergeOp = iota
	// MergeLastNonNull keeps the newest non-null value.
	MergeLastNonNull
	// MergeSum adds the non-null values (integer and floating point columns);
	// integer sums wrap around on overflow.
	MergeSum
	// MergeConcat joins the non-null values with "," from oldest to newest
	// (string columns).
	MergeConcat
)

var mergeOpNames = [...]string{
	MergeLast:        "last",
	MergeLastNonNull: "last_non_null",
	MergeSum:         "sum",
	MergeConcat:      "concat",
}

// ParseMergeOp parses the name of a merge operator: "last", "last_non_null",
// "sum" or "concat" (case-insensitive, surrounding blanks ignored).
func ParseMergeOp(s string) (MergeOp, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for op, n := range mergeOpNames {
		if n == name {
			return MergeOp(op), nil
		}
	}
	return MergeLast, fmt.Errorf("%w: %q", ErrUnknownMergeOp, s)
}

// String returns the name ParseMergeOp accepts.
func (m MergeOp) String() string {
	if m >= 0 && int(m) < len(mergeOpNames) {
		return mergeOpNames[m]
	}
	return fmt.Sprintf("MergeOp(%d)", int(m))
}

// checkMergeOp reports whether op can merge values of type dt.
func checkMergeOp(op MergeOp, dt arrow.DataType) error {
	switch op {
	case MergeLast, MergeLastNonNull:
		return nil
	case MergeSum:
		switch dt.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
			arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
			arrow.FLOAT32, arrow.FLOAT64:
			return nil
		}
	case MergeConcat:
		switch dt.ID() {
		case arrow.STRING, arrow.LARGE_STRING:
			return nil
		}
	default:
		return fmt.Errorf("%w: %v", ErrUnknownMergeOp, op)
	}
	return fmt.Errorf("%w: merge operator %v does not apply to type %v", ErrMergeOptions, op, dt)
}

// combine merges output column j of the live rows of one key (newest first)
// with MergeSum or MergeConcat. A single contributing value is referenced in
// place; several are combined into the column's computed values (slot 0).
func (m *mergeReader) combine(j int, live []entry) ref {
	var one ref
	n := 0
	for _, e := range live {
		if ci := e.c.outCols[j]; ci >= 0 && e.rec.Column(ci).IsValid(int(e.row)) {
			if n == 0 {
				one = ref{e.slot, e.row}
			}
			n++
		}
	}
	switch n {
	case 0:
		return nullRef
	case 1:
		return one
	}
	b := m.computed[j]
	if b == nil {
		b = array.NewBuilder(m.mem, m.schema.Field(j).Type)
		m.computed[j] = b
	}
	idx := int32(b.Len())
	if m.ops[j] == MergeSum {
		appendSum(b, j, live)
	} else {
		appendConcat(b, j, live)
	}
	return ref{0, idx}
}

// appendSum appends to b the sum of column j over the live rows, oldest
// first. Integers add in 64 bits and wrap to the column width; floating point
// values add in float64.
func appendSum(b array.Builder, j int, live []entry) {
	var si int64
	var su uint64
	var sf float64
	for i := len(live) - 1; i >= 0; i-- {
		e := live[i]
		ci := e.c.outCols[j]
		if ci < 0 {
			continue
		}
		r := int(e.row)
		switch a := e.rec.Column(ci).(type) {
		case *array.Int8:
			si += int64(a.Value(r)) * validInt(a, r)
		case *array.Int16:
			si += int64(a.Value(r)) * validInt(a, r)
		case *array.Int32:
			si += int64(a.Value(r)) * validInt(a, r)
		case *array.Int64:
			si += a.Value(r) * validInt(a, r)
		case *array.Uint8:
			su += uint64(a.Value(r)) * uint64(validInt(a, r))
		case *array.Uint16:
			su += uint64(a.Value(r)) * uint64(validInt(a, r))
		case *array.Uint32:
			su += uint64(a.Value(r)) * uint64(validInt(a, r))
		case *array.Uint64:
			su += a.Value(r) * uint64(validInt(a, r))
		case *array.Float32:
			if a.IsValid(r) {
				sf += float64(a.Value(r))
			}
		case *array.Float64:
			if a.IsValid(r) {
				sf += a.Value(r)
			}
		}
	}
	switch b := b.(type) {
	case *array.Int8Builder:
		b.Append(int8(si))
	case *array.Int16Builder:
		b.Append(int16(si))
	case *array.Int32Builder:
		b.Append(int32(si))
	case *array.Int64Builder:
		b.Append(si)
	case *array.Uint8Builder:
		b.Append(uint8(su))
	case *array.Uint16Builder:
		b.Append(uint16(su))
	case *array.Uint32Builder:
		b.Append(uint32(su))
	case *array.Uint64Builder:
		b.Append(su)
	case *array.Float32Builder:
		b.Append(float32(sf))
	case *array.Float64Builder:
		b.Append(sf)
	}
}

// validInt is 1 for a valid value and 0 for a null one.
func validInt(a arrow.Array, r int) int64 {
	if a.IsValid(r) {
		return 1
	}
	return 0
}

// appendConcat appends to b the non-null values of column j over the live
// rows joined with ",", oldest first.
func appendConcat(b array.Builder, j int, live []entry) {
	var sb strings.Builder
	first := true
	for i := len(live) - 1; i >= 0; i-- {
		e := live[i]
		ci := e.c.outCols[j]
		if ci < 0 {
			continue
		}
		r := int(e.row)
		a := e.rec.Column(ci)
		if a.IsNull(r) {
			continue
		}
		if !first {
			sb.WriteByte(',')
		}
		first = false
		switch a := a.(type) {
		case *array.String:
			sb.WriteString(a.Value(r))
		case *array.LargeString:
			sb.WriteString(a.Value(r))
		}
	}
	switch b := b.(type) {
	case *array.StringBuilder:
		b.Append(sb.String())
	case *array.LargeStringBuilder:
		b.Append(sb.String())
	}
}

// mergeGroup merges the rows of one key, newest first.
func (m *mergeReader) mergeGroup(g []entry) {
	if g[0].del {
		return
	}
	live := g
	for i := 1; i < len(g); i++ {
		if g[i].del {
			live = g[:i]
			break
		}
	}
	row := ref{g[0].slot, g[0].row}
	if m.allLast && g[0].c.hasAll {
		m.appendRow(row)
		return
	}
	refs := m.tmpRefs
	for j := range refs {
		refs[j] = row
		if m.isKey[j] {
			continue
		}
		switch m.ops[j] {
		case MergeLast:
			for _, e := range live {
				if e.c.outCols[j] >= 0 {
					refs[j] = ref{e.slot, e.row}
					break
				}
			}
		case MergeLastNonNull:
			refs[j] = nullRef
			for _, e := range live {
				if ci := e.c.outCols[j]; ci >= 0 && e.rec.Column(ci).IsValid(int(e.row)) {
					refs[j] = ref{e.slot, e.row}
					break
				}
			}
		default:
			refs[j] = m.combine(j, live)
		}
	}
	m.appendRowRefs(row, refs)
}

// deleteFlags marks the rows of rec that delete their key, or returns nil when
// none does.
func deleteFlags(c *cursor, rec arrow.RecordBatch) []bool {
	n := int(rec.NumRows())
	var flags []bool
	mark := func(i int) {
		if flags == nil {
			if cap(c.delBuf) < n {
				c.delBuf = make([]bool, n)
			}
			flags = c.delBuf[:n]
			clear(flags)
		}
		flags[i] = true
	}
	if c.delCol >= 0 {
		a := rec.Column(c.delCol).(*array.Boolean)
		d := a.Data()
		if vb := d.Buffers()[1]; vb != nil && bitutil.CountSetBits(vb.Bytes(), d.Offset(), n) > 0 {
			for i := 0; i < n; i++ {
				if a.Value(i) && a.IsValid(i) {
					mark(i)
				}
			}
		}
	}
	if c.cdcCol >= 0 {
		switch a := rec.Column(c.cdcCol).(type) {
		case *array.String:
			for i := 0; i < n; i++ {
				if a.ValueLen(i) == len(CDCDeleteValue) && a.Value(i) == CDCDeleteValue && a.IsValid(i) {
					mark(i)
				}
			}
		case *array.LargeString:
			for i := 0; i < n; i++ {
				if a.Value(i) == CDCDeleteValue && a.IsValid(i) {
					mark(i)
				}
			}
		}
	}
	return flags
}
