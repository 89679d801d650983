package mor

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Primary keys are compared through one of three views, chosen once per merge
// from the key column types:
//
//   - keyUint: a single integer-like column (signed and unsigned integers,
//     dates, times, timestamps, durations, booleans) mapped to a uint64 whose
//     unsigned order equals the column's order;
//   - keyBytes: a single string or binary column, compared on the bytes that
//     the Arrow array already holds, without copying;
//   - keyEncoded: anything else (several columns, decimal128): every row's key
//     is encoded once per batch into a byte string whose bytewise order equals
//     the key order.
//
// The comparison of two rows is therefore a uint64 comparison or a
// bytes.Compare, whatever the key types.

type keyMode uint8

const (
	keyUint keyMode = iota
	keyBytes
	keyEncoded
)

// signBit flips the sign of two's complement integers so that their unsigned
// order equals their signed order.
const signBit = uint64(1) << 63

// keySpec describes the primary key of a merge.
type keySpec struct {
	mode  keyMode
	types []arrow.DataType
	kinds []colKind // per key column, for keyEncoded
}

// colKind is how one column of a composite key is encoded.
type colKind uint8

const (
	colUint colKind = iota
	colBytes
	colDecimal128
)

// newKeySpec checks that the key column types are supported and picks the
// comparison view.
func newKeySpec(names []string, types []arrow.DataType) (keySpec, error) {
	if len(types) == 0 {
		return keySpec{}, fmt.Errorf("%w: no primary key columns", ErrMergeOptions)
	}
	for i, dt := range types {
		if !isUintKeyType(dt) && !isBytesKeyType(dt) && dt.ID() != arrow.DECIMAL128 {
			return keySpec{}, fmt.Errorf("%w: primary key column %q has unsupported type %v",
				ErrMergeOptions, names[i], dt)
		}
	}
	s := keySpec{mode: keyEncoded, types: types, kinds: make([]colKind, len(types))}
	for i, dt := range types {
		switch {
		case isUintKeyType(dt):
			s.kinds[i] = colUint
		case isBytesKeyType(dt):
			s.kinds[i] = colBytes
		default:
			s.kinds[i] = colDecimal128
		}
	}
	if len(types) == 1 {
		switch {
		case isUintKeyType(types[0]):
			s.mode = keyUint
		case isBytesKeyType(types[0]):
			s.mode = keyBytes
		}
	}
	return s, nil
}

func isUintKeyType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64,
		arrow.DURATION, arrow.BOOL:
		return true
	}
	return false
}

func isBytesKeyType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return true
	}
	return false
}

// keyBatch is the comparable view of the keys of one record batch. Exactly
// one of u (keyUint) or data with offs32/offs64 (keyBytes, keyEncoded) is in
// use. Byte slices point into the batch's own buffers (keyBytes) or into a
// buffer allocated for this batch only (keyEncoded), so a key taken from a
// batch stays valid as long as the batch does, even after the next batch has
// been loaded.
type keyBatch struct {
	n      int
	u      []uint64
	offs32 []int32
	offs64 []int64
	data   []byte

	scratch [][]uint64 // per key column, for keyEncoded
}

// load builds the view of the key columns cols (one per key column, in key
// order). It fails on a null key.
func (s *keySpec) load(kb *keyBatch, cols []arrow.Array) error {
	n := cols[0].Len()
	kb.n = n
	kb.offs32, kb.offs64, kb.data = nil, nil, nil
	for _, c := range cols {
		if c.NullN() > 0 {
			return ErrNullKey
		}
	}
	switch s.mode {
	case keyUint:
		if cap(kb.u) < n {
			kb.u = make([]uint64, n)
		}
		kb.u = kb.u[:n]
		uintKeys(cols[0], kb.u)
	case keyBytes:
		kb.offs32, kb.offs64, kb.data = bytesView(cols[0])
	default:
		s.encode(kb, cols)
	}
	return nil
}

// bytesView returns the offsets (relative to the array's own slice) and the
// data buffer of a string or binary array.
func bytesView(arr arrow.Array) ([]int32, []int64, []byte) {
	d := arr.Data()
	var data []byte
	if b := d.Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	ob := d.Buffers()[1]
	if d.Len() == 0 || ob == nil {
		return []int32{0}, nil, nil
	}
	switch d.DataType().ID() {
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offs := arrow.Int64Traits.CastFromBytes(ob.Bytes())
		return nil, offs[d.Offset() : d.Offset()+d.Len()+1], data
	default:
		offs := arrow.Int32Traits.CastFromBytes(ob.Bytes())
		return offs[d.Offset() : d.Offset()+d.Len()+1], nil, data
	}
}

// bytesAt returns the key of row i in the byte views.
func (kb *keyBatch) bytesAt(i int) []byte {
	if kb.offs32 != nil {
		return kb.data[kb.offs32[i]:kb.offs32[i+1]]
	}
	return kb.data[kb.offs64[i]:kb.offs64[i+1]]
}

// firstUnsorted returns the first row i > 0 whose key is not strictly greater
// than the key of row i-1, or -1 when the batch is strictly ascending.
func (kb *keyBatch) firstUnsorted(mode keyMode) int {
	if mode == keyUint {
		u := kb.u
		for i := 1; i < len(u); i++ {
			if u[i] <= u[i-1] {
				return i
			}
		}
		return -1
	}
	if kb.n < 2 {
		return -1
	}
	prev := kb.bytesAt(0)
	for i := 1; i < kb.n; i++ {
		cur := kb.bytesAt(i)
		if bytes.Compare(cur, prev) <= 0 {
			return i
		}
		prev = cur
	}
	return -1
}

// uintKeys writes the order-preserving uint64 image of an integer-like array
// into dst (len(dst) == arr.Len()).
func uintKeys(arr arrow.Array, dst []uint64) {
	switch a := arr.(type) {
	case *array.Int8:
		signedKeys(a.Int8Values(), dst)
	case *array.Int16:
		signedKeys(a.Int16Values(), dst)
	case *array.Int32:
		signedKeys(a.Int32Values(), dst)
	case *array.Int64:
		signedKeys(a.Int64Values(), dst)
	case *array.Date32:
		signedKeys(a.Date32Values(), dst)
	case *array.Date64:
		signedKeys(a.Date64Values(), dst)
	case *array.Timestamp:
		signedKeys(a.TimestampValues(), dst)
	case *array.Time32:
		signedKeys(a.Time32Values(), dst)
	case *array.Time64:
		signedKeys(a.Time64Values(), dst)
	case *array.Duration:
		signedKeys(a.DurationValues(), dst)
	case *array.Uint8:
		unsignedKeys(a.Uint8Values(), dst)
	case *array.Uint16:
		unsignedKeys(a.Uint16Values(), dst)
	case *array.Uint32:
		unsignedKeys(a.Uint32Values(), dst)
	case *array.Uint64:
		unsignedKeys(a.Uint64Values(), dst)
	case *array.Boolean:
		for i := range dst {
			if a.Value(i) {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	default:
		// newKeySpec admits only the types above.
		panic(fmt.Sprintf("mor: no uint key view for %T", arr))
	}
}

type signedInt interface {
	~int8 | ~int16 | ~int32 | ~int64
}

type unsignedInt interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

func signedKeys[T signedInt](vals []T, dst []uint64) {
	dst = dst[:len(vals)]
	for i, v := range vals {
		dst[i] = uint64(int64(v)) ^ signBit
	}
}

func unsignedKeys[T unsignedInt](vals []T, dst []uint64) {
	dst = dst[:len(vals)]
	for i, v := range vals {
		dst[i] = uint64(v)
	}
}

// encode writes the order-preserving encoding of every row's key into a fresh
// buffer: integer-like columns as 8 big-endian bytes of their uint64 image,
// decimal128 as 16 big-endian bytes with the sign flipped, strings and binary
// with every 0x00 byte escaped as 0x00 0xFF and a 0x00 0x00 terminator, so
// that a string sorts before its extensions.
func (s *keySpec) encode(kb *keyBatch, cols []arrow.Array) {
	n := kb.n
	if len(kb.scratch) < len(cols) {
		kb.scratch = make([][]uint64, len(cols))
	}
	size := 0
	type bytesCol struct {
		offs32 []int32
		offs64 []int64
		data   []byte
	}
	bcols := make([]bytesCol, len(cols))
	for c, col := range cols {
		switch s.kinds[c] {
		case colUint:
			if cap(kb.scratch[c]) < n {
				kb.scratch[c] = make([]uint64, n)
			}
			kb.scratch[c] = kb.scratch[c][:n]
			uintKeys(col, kb.scratch[c])
			size += 8 * n
		case colBytes:
			o32, o64, data := bytesView(col)
			bcols[c] = bytesCol{o32, o64, data}
			if o32 != nil {
				size += int(o32[n]-o32[0]) + 2*n
			} else {
				size += int(o64[n]-o64[0]) + 2*n
			}
		default: // decimal128
			size += 16 * n
		}
	}
	data := make([]byte, 0, size+size/8)
	offs := make([]int64, n+1)
	for row := 0; row < n; row++ {
		for c, col := range cols {
			switch s.kinds[c] {
			case colUint:
				data = binary.BigEndian.AppendUint64(data, kb.scratch[c][row])
			case colBytes:
				bc := &bcols[c]
				var v []byte
				if bc.offs32 != nil {
					v = bc.data[bc.offs32[row]:bc.offs32[row+1]]
				} else {
					v = bc.data[bc.offs64[row]:bc.offs64[row+1]]
				}
				data = appendEscaped(data, v)
			default:
				d := col.(*array.Decimal128).Value(row)
				data = binary.BigEndian.AppendUint64(data, uint64(d.HighBits())^signBit)
				data = binary.BigEndian.AppendUint64(data, d.LowBits())
			}
		}
		offs[row+1] = int64(len(data))
	}
	kb.offs64, kb.data = offs, data
}

func appendEscaped(dst, v []byte) []byte {
	for {
		i := bytes.IndexByte(v, 0)
		if i < 0 {
			dst = append(dst, v...)
			break
		}
		dst = append(dst, v[:i+1]...)
		dst = append(dst, 0xFF)
		v = v[i+1:]
	}
	return append(dst, 0x00, 0x00)
}

// less orders cursors for the loser tree: by current key, then newest run
// first; exhausted cursors sort last. The 8-byte key prefix decides most
// comparisons without looking at the key bytes.
func (m *mergeReader) less(a, b int) bool {
	ca, cb := &m.cursors[a], &m.cursors[b]
	if ca.done || cb.done {
		if ca.done && cb.done {
			return a < b
		}
		return cb.done
	}
	if ca.pfx != cb.pfx {
		return ca.pfx < cb.pfx
	}
	if c := bytes.Compare(ca.bkey, cb.bkey); c != 0 {
		return c < 0
	}
	return ca.seq > cb.seq
}

// keyEqual reports whether the cursor's current key is the one with prefix
// pfx and bytes b.
func keyEqual(c *cursor, pfx uint64, b []byte) bool {
	return c.pfx == pfx && bytes.Equal(c.bkey, b)
}

// keyPrefix returns the first 8 bytes of a byte key as a big-endian number,
// zero-padded: prefixes that differ order like the keys do.
func keyPrefix(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	var buf [8]byte
	copy(buf[:], b)
	return binary.BigEndian.Uint64(buf[:])
}

// replay restores the loser tree after the key of leaf i changed.
func (m *mergeReader) replay(i int) {
	t := m.tree
	w := i
	for p := (i + len(m.cursors)) >> 1; p > 0; p >>= 1 {
		if m.less(t[p], w) {
			t[p], w = w, t[p]
		}
	}
	t[0] = w
}

// runnerUp returns the cursor that would win if the winner were removed, or
// -1 when there is no other cursor. It is the best of the losers on the
// winner's path to the root.
func (m *mergeReader) runnerUp() int {
	best := -1
	for p := (m.tree[0] + len(m.cursors)) >> 1; p > 0; p >>= 1 {
		if l := m.tree[p]; best < 0 || m.less(l, best) {
			best = l
		}
	}
	return best
}

// rowBefore reports whether row r of c's batch has a smaller key than o's
// current key.
func (m *mergeReader) rowBefore(c *cursor, r int, o *cursor) bool {
	if m.spec.mode == keyUint {
		return c.keys.u[r] < o.pfx
	}
	return bytes.Compare(c.keys.bytesAt(r), o.bkey) < 0
}

// gallop returns the first row at or after c.row of c's batch whose key is
// not smaller than o's current key (c.n if there is none), probing at
// doubling distances and then bisecting.
func (m *mergeReader) gallop(c *cursor, o *cursor) int {
	lo := c.row
	if !m.rowBefore(c, lo, o) {
		return lo
	}
	step := 1
	hi := lo + 1
	for hi < c.n && m.rowBefore(c, hi, o) {
		lo = hi
		step *= 2
		hi = lo + step
	}
	hi = min(hi, c.n)
	for lo+1 < hi {
		mid := int(uint(lo+hi) >> 1)
		if m.rowBefore(c, mid, o) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
