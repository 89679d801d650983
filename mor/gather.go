package mor

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ref locates one output value: row r of source b. Sources are numbered per
// output column; b < 0 stands for null.
type ref struct {
	b, r int32
}

var nullRef = ref{b: -1}

// gather builds an array of type dt whose i-th value is the value refs[i]
// points at. srcs[b] is the source array of slot b; a nil source (a run
// without the column) yields nulls. Every non-nil source has type dt.
//
// Fixed-width, boolean and variable-length binary types have typed kernels
// that copy values and validity bits directly between buffers; other types
// are assembled from zero-copy slices with array.Concatenate.
func gather(mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) (arrow.Array, error) {
	switch dt.ID() {
	case arrow.BOOL:
		return gatherBool(mem, dt, srcs, refs), nil
	case arrow.STRING, arrow.BINARY:
		return gatherBinary[int32](mem, dt, srcs, refs)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return gatherBinary[int64](mem, dt, srcs, refs)
	}
	switch fixedWidth(dt) {
	case 1:
		return gatherFixed[uint8](mem, dt, srcs, refs), nil
	case 2:
		return gatherFixed[uint16](mem, dt, srcs, refs), nil
	case 4:
		return gatherFixed[uint32](mem, dt, srcs, refs), nil
	case 8:
		return gatherFixed[uint64](mem, dt, srcs, refs), nil
	case 16:
		return gatherFixed[[2]uint64](mem, dt, srcs, refs), nil
	case 32:
		return gatherFixed[[4]uint64](mem, dt, srcs, refs), nil
	}
	return gatherGeneric(mem, dt, srcs, refs)
}

// fixedWidth returns the byte width of the primitive fixed-width types that
// gatherFixed handles, 0 for any other type.
func fixedWidth(dt arrow.DataType) int {
	switch dt.ID() {
	case arrow.INT8, arrow.UINT8:
		return 1
	case arrow.INT16, arrow.UINT16, arrow.FLOAT16:
		return 2
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32, arrow.TIME32,
		arrow.INTERVAL_MONTHS, arrow.DECIMAL32:
		return 4
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.DATE64, arrow.TIME64,
		arrow.TIMESTAMP, arrow.DURATION, arrow.INTERVAL_DAY_TIME, arrow.DECIMAL64:
		return 8
	case arrow.DECIMAL128, arrow.INTERVAL_MONTH_DAY_NANO:
		return 16
	case arrow.DECIMAL256:
		return 32
	}
	return 0
}

// srcValidity is the validity bitmap of a source array, nil when the array
// has no nulls.
type srcValidity struct {
	ok    bool   // the source exists
	valid []byte // validity bitmap, nil if every value is valid
	off   int    // bit offset of row 0 in valid
}

func (v *srcValidity) isValid(r int32) bool {
	return v.ok && (v.valid == nil || bitutil.BitIsSet(v.valid, v.off+int(r)))
}

func validityOf(a arrow.Array) srcValidity {
	d := a.Data()
	v := srcValidity{ok: true, off: d.Offset()}
	if a.NullN() > 0 {
		if b := d.Buffers()[0]; b != nil {
			v.valid = b.Bytes()
		} else if d.DataType().ID() == arrow.NULL {
			v.ok = false
		}
	}
	return v
}

// castBuffer views the bytes of b as a slice of T.
func castBuffer[T any](b *memory.Buffer) []T {
	if b == nil || b.Len() == 0 {
		return nil
	}
	buf := b.Bytes()
	var zero T
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)/int(unsafe.Sizeof(zero)))
}

// nullBitmap lazily creates the output validity bitmap of n values the first
// time a null shows up at position i: rows before i are all valid.
type nullBitmap struct {
	buf   *memory.Buffer
	bits  []byte
	nulls int
}

func (m *nullBitmap) setNull(mem memory.Allocator, n, i int) {
	if m.buf == nil {
		m.buf = memory.NewResizableBuffer(mem)
		m.buf.Resize(int(bitutil.BytesForBits(int64(n))))
		m.bits = m.buf.Bytes()
		clear(m.bits)
		bitutil.SetBitsTo(m.bits, 0, int64(i), true)
	}
	m.nulls++
}

func (m *nullBitmap) setValid(i int) {
	if m.bits != nil {
		bitutil.SetBit(m.bits, i)
	}
}

// finish returns the validity buffer to store in the array (nil when there is
// no null) and the null count. The caller owns the returned buffer.
func (m *nullBitmap) finish() (*memory.Buffer, int) {
	return m.buf, m.nulls
}

func newArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
	data := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	arr := array.MakeFromData(data)
	data.Release()
	return arr
}

type fixedSrc[T any] struct {
	srcValidity
	vals []T
}

func gatherFixed[T any](mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) arrow.Array {
	ss := make([]fixedSrc[T], len(srcs))
	for i, a := range srcs {
		if a == nil {
			continue
		}
		ss[i].srcValidity = validityOf(a)
		d := a.Data()
		vals := castBuffer[T](d.Buffers()[1])
		if len(vals) < d.Offset()+d.Len() {
			ss[i].ok = false // no value buffer: every value is null
			continue
		}
		ss[i].vals = vals[d.Offset() : d.Offset()+d.Len()]
	}
	n := len(refs)
	var zero T
	values := memory.NewResizableBuffer(mem)
	values.Resize(n * int(unsafe.Sizeof(zero)))
	dst := castBuffer[T](values)[:n]
	var bm nullBitmap
	for i, r := range refs {
		if r.b >= 0 {
			s := &ss[r.b]
			if s.isValid(r.r) {
				dst[i] = s.vals[r.r]
				bm.setValid(i)
				continue
			}
		}
		dst[i] = zero
		bm.setNull(mem, n, i)
	}
	validity, nulls := bm.finish()
	return newArray(dt, n, []*memory.Buffer{validity, values}, nulls)
}

func gatherBool(mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) arrow.Array {
	type boolSrc struct {
		srcValidity
		bits []byte
		off  int
	}
	ss := make([]boolSrc, len(srcs))
	for i, a := range srcs {
		if a == nil {
			continue
		}
		ss[i].srcValidity = validityOf(a)
		d := a.Data()
		if b := d.Buffers()[1]; b != nil {
			ss[i].bits, ss[i].off = b.Bytes(), d.Offset()
		} else {
			ss[i].ok = false
		}
	}
	n := len(refs)
	values := memory.NewResizableBuffer(mem)
	values.Resize(int(bitutil.BytesForBits(int64(n))))
	dst := values.Bytes()
	clear(dst)
	var bm nullBitmap
	for i, r := range refs {
		if r.b >= 0 {
			s := &ss[r.b]
			if s.isValid(r.r) {
				if bitutil.BitIsSet(s.bits, s.off+int(r.r)) {
					bitutil.SetBit(dst, i)
				}
				bm.setValid(i)
				continue
			}
		}
		bm.setNull(mem, n, i)
	}
	validity, nulls := bm.finish()
	return newArray(dt, n, []*memory.Buffer{validity, values}, nulls)
}

type offsetInt interface {
	~int32 | ~int64
}

type binarySrc[O offsetInt] struct {
	srcValidity
	offs []O // offsets of the array's own rows, len = rows+1
	data []byte
}

func gatherBinary[O offsetInt](mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) (arrow.Array, error) {
	ss := make([]binarySrc[O], len(srcs))
	for i, a := range srcs {
		if a == nil {
			continue
		}
		ss[i].srcValidity = validityOf(a)
		d := a.Data()
		offs := castBuffer[O](d.Buffers()[1])
		if len(offs) < d.Offset()+d.Len()+1 {
			ss[i].ok = false
			continue
		}
		ss[i].offs = offs[d.Offset() : d.Offset()+d.Len()+1]
		if b := d.Buffers()[2]; b != nil {
			ss[i].data = b.Bytes()
		}
	}
	n := len(refs)
	total, nulls := 0, 0
	for _, r := range refs {
		if r.b >= 0 {
			s := &ss[r.b]
			if s.isValid(r.r) {
				total += int(s.offs[r.r+1] - s.offs[r.r])
				continue
			}
		}
		nulls++
	}
	var zero O
	if unsafe.Sizeof(zero) == 4 && total > math.MaxInt32 {
		return nil, fmt.Errorf("mor: %d bytes of %v values exceed one output batch; lower BatchSize", total, dt)
	}
	offsets := memory.NewResizableBuffer(mem)
	offsets.Resize((n + 1) * int(unsafe.Sizeof(zero)))
	dstOffs := castBuffer[O](offsets)[:n+1]
	data := memory.NewResizableBuffer(mem)
	data.Resize(total)
	dst := data.Bytes()
	dstOffs[0] = 0
	pos := 0
	if nulls == 0 {
		// Every reference is a valid value: no validity to check or write.
		for i, r := range refs {
			s := &ss[r.b]
			pos += copy(dst[pos:], s.data[s.offs[r.r]:s.offs[r.r+1]])
			dstOffs[i+1] = O(pos)
		}
		return newArray(dt, n, []*memory.Buffer{nil, offsets, data}, 0), nil
	}
	var bm nullBitmap
	for i, r := range refs {
		if r.b >= 0 {
			s := &ss[r.b]
			if s.isValid(r.r) {
				pos += copy(dst[pos:], s.data[s.offs[r.r]:s.offs[r.r+1]])
				dstOffs[i+1] = O(pos)
				bm.setValid(i)
				continue
			}
		}
		dstOffs[i+1] = O(pos)
		bm.setNull(mem, n, i)
	}
	validity, nulls := bm.finish()
	return newArray(dt, n, []*memory.Buffer{validity, offsets, data}, nulls), nil
}

// gatherGeneric handles every other type: maximal runs of consecutive rows of
// one source become zero-copy slices, runs of nulls become null arrays, and
// array.Concatenate joins them.
func gatherGeneric(mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) (arrow.Array, error) {
	srcOf := func(r ref) arrow.Array {
		if r.b < 0 {
			return nil
		}
		return srcs[r.b]
	}
	n := len(refs)
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for i := 0; i < n; {
		r := refs[i]
		src := srcOf(r)
		j := i + 1
		if src == nil {
			for j < n && srcOf(refs[j]) == nil {
				j++
			}
			parts = append(parts, array.MakeArrayOfNull(mem, dt, j-i))
		} else {
			for j < n && refs[j].b == r.b && refs[j].r == r.r+int32(j-i) {
				j++
			}
			parts = append(parts, array.NewSlice(src, int64(r.r), int64(r.r)+int64(j-i)))
		}
		i = j
	}
	switch len(parts) {
	case 0:
		return array.MakeArrayOfNull(mem, dt, 0), nil
	case 1:
		parts[0].Retain()
		return parts[0], nil
	}
	out, err := array.Concatenate(parts, mem)
	if err != nil {
		return nil, fmt.Errorf("mor: gather %v: %w", dt, err)
	}
	return out, nil
}

// sliceRecord returns rows [from, to) of the cursor's batch projected onto
// the output schema without copying; absent columns are nulls.
func (m *mergeReader) sliceRecord(c *cursor, from, to int) arrow.RecordBatch {
	cols := make([]arrow.Array, len(c.outCols))
	for j, ci := range c.outCols {
		if ci >= 0 {
			cols[j] = array.NewSlice(c.rec.Column(ci), int64(from), int64(to))
		} else {
			cols[j] = array.MakeArrayOfNull(m.mem, m.schema.Field(j).Type, to-from)
		}
	}
	rec := array.NewRecordBatch(m.schema, cols, int64(to-from))
	for _, a := range cols {
		a.Release()
	}
	return rec
}

// appendRow adds an output row whose every column comes from one input row.
func (m *mergeReader) appendRow(row ref) {
	m.rowRefs = append(m.rowRefs, row)
	for _, j := range m.divCols {
		m.colRefs[j] = append(m.colRefs[j], row)
	}
	m.nOut++
}

// appendRowRefs adds an output row whose columns come from refs. A column
// that for the first time in this batch takes its value from elsewhere than
// the row's newest input row gets its own reference list.
func (m *mergeReader) appendRowRefs(row ref, refs []ref) {
	for j, r := range refs {
		if r != row && !m.diverged[j] {
			m.diverged[j] = true
			m.divCols = append(m.divCols, j)
			m.colRefs[j] = append(m.colRefs[j][:0], m.rowRefs...)
		}
	}
	m.rowRefs = append(m.rowRefs, row)
	for _, j := range m.divCols {
		m.colRefs[j] = append(m.colRefs[j], refs[j])
	}
	m.nOut++
}

// flush builds the pending output batch and resets the pending state.
func (m *mergeReader) flush() (arrow.RecordBatch, error) {
	nf := m.schema.NumFields()
	cols := make([]arrow.Array, 0, nf)
	defer func() {
		for _, a := range cols {
			a.Release()
		}
		m.resetPending()
	}()
	for j := 0; j < nf; j++ {
		srcs := append(m.srcBuf[:0], nil)
		if b := m.computed[j]; b != nil && b.Len() > 0 {
			srcs[0] = b.NewArray()
			defer srcs[0].Release()
		}
		for s := 1; s < len(m.slots); s++ {
			var a arrow.Array
			if ci := m.cursors[m.slotCur[s]].outCols[j]; ci >= 0 {
				a = m.slots[s].Column(ci)
			}
			srcs = append(srcs, a)
		}
		m.srcBuf = srcs
		refs := m.rowRefs
		if m.diverged[j] {
			refs = m.colRefs[j]
		}
		arr, err := gather(m.mem, m.schema.Field(j).Type, srcs, refs)
		if err != nil {
			return nil, err
		}
		cols = append(cols, arr)
	}
	return array.NewRecordBatch(m.schema, cols, int64(m.nOut)), nil
}

// resetPending drops the pending output and the batches it refers to.
func (m *mergeReader) resetPending() {
	for s := 1; s < len(m.slots); s++ {
		m.slots[s].Release()
		m.slots[s] = nil
	}
	if len(m.slots) > 0 {
		m.slots = m.slots[:1]
		m.slotCur = m.slotCur[:1]
	}
	for i := range m.cursors {
		m.cursors[i].slot = -1
	}
	for _, j := range m.divCols {
		m.diverged[j] = false
		m.colRefs[j] = m.colRefs[j][:0]
	}
	m.divCols = m.divCols[:0]
	m.rowRefs = m.rowRefs[:0]
	clear(m.srcBuf)
	m.nOut = 0
}
