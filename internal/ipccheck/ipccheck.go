package ipccheck

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed is returned for messages that fail the check.
var ErrMalformed = errors.New("ipccheck: malformed Arrow IPC message")

// minRowsBound is the row count any batch may declare, whatever its body
// size; beyond it a batch needs at least one bit of body per row.
const minRowsBound = 1 << 16

// maxDepth bounds the nesting of fields (lists of structs of ...).
const maxDepth = 64

// Message header kinds (Arrow's MessageHeader union).
const (
	headerSchema          = 1
	headerDictionaryBatch = 2
	headerRecordBatch     = 3
)

// Type kinds (Arrow's Type union) whose tables hold offsets.
const (
	typeTimestamp = 10
	typeUnion     = 14
)

// Message checks one IPC message: its FlatBuffers metadata and the length
// of the body that comes with it.
func Message(meta []byte, bodyLen int64) error {
	c := checker{b: meta}
	if err := c.message(bodyLen); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// Stream checks every message of an IPC stream held in memory, up to its
// end-of-stream marker or its last byte.
func Stream(b []byte) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(b))
		}
		n := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if n == 0xFFFFFFFF { // continuation marker, then the length
			if len(b) < 4 {
				return fmt.Errorf("%w: truncated length", ErrMalformed)
			}
			n = binary.LittleEndian.Uint32(b)
			b = b[4:]
		}
		if n == 0 {
			return nil
		}
		if uint64(n) > uint64(len(b)) {
			return fmt.Errorf("%w: metadata of %d bytes, %d left", ErrMalformed, n, len(b))
		}
		meta := b[:n]
		b = b[n:]
		c := checker{b: meta}
		bodyLen, err := c.bodyLength()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if bodyLen < 0 || bodyLen > int64(len(b)) {
			return fmt.Errorf("%w: body of %d bytes, %d left", ErrMalformed, bodyLen, len(b))
		}
		if err := c.message(bodyLen); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		b = b[bodyLen:]
	}
	return nil
}

// BodyLength returns the body length a message's metadata declares.
func BodyLength(meta []byte) (int64, error) {
	c := checker{b: meta}
	n, err := c.bodyLength()
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return n, nil
}

// checker reads FlatBuffers tables in b with bounds checks.
type checker struct{ b []byte }

// table is the position of a FlatBuffers table and of its vtable.
type table struct{ pos, vt, vtLen int }

func (c *checker) u16(p int) (int, error) {
	if p < 0 || p+2 > len(c.b) {
		return 0, fmt.Errorf("offset %d out of %d bytes", p, len(c.b))
	}
	return int(binary.LittleEndian.Uint16(c.b[p:])), nil
}

func (c *checker) u32(p int) (uint32, error) {
	if p < 0 || p+4 > len(c.b) {
		return 0, fmt.Errorf("offset %d out of %d bytes", p, len(c.b))
	}
	return binary.LittleEndian.Uint32(c.b[p:]), nil
}

// tableAt reads the table at p.
func (c *checker) tableAt(p int) (table, error) {
	so, err := c.u32(p)
	if err != nil {
		return table{}, err
	}
	vt := int64(p) - int64(int32(so))
	if vt < 0 || vt+4 > int64(len(c.b)) {
		return table{}, fmt.Errorf("vtable at %d out of %d bytes", vt, len(c.b))
	}
	vtLen, _ := c.u16(int(vt))
	if vtLen < 4 || int(vt)+vtLen > len(c.b) {
		return table{}, fmt.Errorf("vtable of %d bytes at %d out of %d bytes", vtLen, vt, len(c.b))
	}
	return table{pos: p, vt: int(vt), vtLen: vtLen}, nil
}

// field returns the position of field i of t, or -1 when absent; size
// bytes must fit there.
func (c *checker) field(t table, i, size int) (int, error) {
	slot := 4 + 2*i
	if slot+2 > t.vtLen {
		return -1, nil
	}
	off, err := c.u16(t.vt + slot)
	if err != nil || off == 0 {
		return -1, err
	}
	p := t.pos + off
	if p+size > len(c.b) {
		return 0, fmt.Errorf("field %d at %d out of %d bytes", i, p, len(c.b))
	}
	return p, nil
}

// deref follows the offset stored in field i of t; -1 when absent.
func (c *checker) deref(t table, i int) (int, error) {
	p, err := c.field(t, i, 4)
	if err != nil || p < 0 {
		return -1, err
	}
	off, _ := c.u32(p)
	q := int64(p) + int64(off)
	if q >= int64(len(c.b)) {
		return 0, fmt.Errorf("field %d points to %d, out of %d bytes", i, q, len(c.b))
	}
	return int(q), nil
}

// subtable returns the table that field i of t points to; ok is false when
// the field is absent.
func (c *checker) subtable(t table, i int) (table, bool, error) {
	p, err := c.deref(t, i)
	if err != nil || p < 0 {
		return table{}, false, err
	}
	st, err := c.tableAt(p)
	return st, err == nil, err
}

// vector returns the element count and the first element's position of the
// vector in field i of t, whose elements are elem bytes each; n is 0 when
// absent.
func (c *checker) vector(t table, i, elem int) (n, start int, err error) {
	p, err := c.deref(t, i)
	if err != nil || p < 0 {
		return 0, 0, err
	}
	l, err := c.u32(p)
	if err != nil {
		return 0, 0, err
	}
	if uint64(p)+4+uint64(l)*uint64(elem) > uint64(len(c.b)) {
		return 0, 0, fmt.Errorf("vector of %d elements at %d does not fit in %d bytes", l, p, len(c.b))
	}
	return int(l), p + 4, nil
}

// tables checks every element of the vector of tables in field i of t.
func (c *checker) tables(t table, i int, each func(table) error) error {
	n, start, err := c.vector(t, i, 4)
	if err != nil {
		return err
	}
	for k := range n {
		p := start + 4*k
		off, _ := c.u32(p)
		q := int64(p) + int64(off)
		if q >= int64(len(c.b)) {
			return fmt.Errorf("element %d points out of the message", k)
		}
		et, err := c.tableAt(int(q))
		if err != nil {
			return err
		}
		if err := each(et); err != nil {
			return err
		}
	}
	return nil
}

// bytesField checks the string or byte vector in field i of t.
func (c *checker) bytesField(t table, i int) error {
	_, _, err := c.vector(t, i, 1)
	return err
}

func (c *checker) root() (table, error) {
	off, err := c.u32(0)
	if err != nil {
		return table{}, err
	}
	return c.tableAt(int(off))
}

// bodyLength reads the body length the message declares.
func (c *checker) bodyLength() (int64, error) {
	m, err := c.root()
	if err != nil {
		return 0, err
	}
	p, err := c.field(m, 3, 8)
	if err != nil || p < 0 {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(c.b[p:])), nil
}

func (c *checker) message(bodyLen int64) error {
	m, err := c.root()
	if err != nil {
		return err
	}
	if err := c.tables(m, 4, c.keyValue); err != nil {
		return err
	}
	kind := 0
	if p, err := c.field(m, 1, 1); err != nil {
		return err
	} else if p >= 0 {
		kind = int(c.b[p])
	}
	h, ok, err := c.subtable(m, 2)
	if err != nil || !ok {
		return err
	}
	switch kind {
	case headerSchema:
		return c.schema(h)
	case headerRecordBatch:
		return c.recordBatch(h, bodyLen)
	case headerDictionaryBatch:
		rb, ok, err := c.subtable(h, 1)
		if err != nil || !ok {
			return err
		}
		return c.recordBatch(rb, bodyLen)
	}
	return nil
}

func (c *checker) keyValue(t table) error {
	if err := c.bytesField(t, 0); err != nil {
		return err
	}
	return c.bytesField(t, 1)
}

func (c *checker) schema(s table) error {
	if err := c.tables(s, 1, func(f table) error { return c.arrowField(f, 1) }); err != nil {
		return err
	}
	if err := c.tables(s, 2, c.keyValue); err != nil {
		return err
	}
	_, _, err := c.vector(s, 3, 8)
	return err
}

// arrowField checks a Field table and its children.
func (c *checker) arrowField(f table, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("fields nested deeper than %d", maxDepth)
	}
	if err := c.bytesField(f, 0); err != nil {
		return err
	}
	typeKind := 0
	if p, err := c.field(f, 2, 1); err != nil {
		return err
	} else if p >= 0 {
		typeKind = int(c.b[p])
	}
	if typ, ok, err := c.subtable(f, 3); err != nil {
		return err
	} else if ok {
		// The type tables that hold more than scalars: a timestamp's time
		// zone and a union's type ids.
		switch typeKind {
		case typeTimestamp:
			if err := c.bytesField(typ, 1); err != nil {
				return err
			}
		case typeUnion:
			if _, _, err := c.vector(typ, 1, 4); err != nil {
				return err
			}
		}
	}
	if dict, ok, err := c.subtable(f, 4); err != nil {
		return err
	} else if ok {
		if _, _, err := c.subtable(dict, 1); err != nil {
			return err
		}
	}
	if err := c.tables(f, 5, func(ch table) error { return c.arrowField(ch, depth+1) }); err != nil {
		return err
	}
	return c.tables(f, 6, c.keyValue)
}

// recordBatch checks the nodes and buffers of a batch: every buffer inside
// the body, no negative lengths.
func (c *checker) recordBatch(rb table, bodyLen int64) error {
	// A batch's rows are bounded by its body: arrow-go allocates by the
	// declared length when it converts or copies columns, and columns
	// without buffers (null type, a column whose validity buffer is
	// omitted) would let a few bytes claim billions of rows.
	// A compressed body can be far smaller than its rows: only an
	// uncompressed batch is bounded by its body.
	maxRows := max(minRowsBound, 8*bodyLen+64)
	if _, compressed, err := c.subtable(rb, 3); err != nil {
		return err
	} else if compressed {
		maxRows = 1<<63 - 1
	}
	if p, err := c.field(rb, 0, 8); err != nil {
		return err
	} else if p >= 0 {
		if n := int64(binary.LittleEndian.Uint64(c.b[p:])); n < 0 || n > maxRows {
			return fmt.Errorf("batch of %d rows in a body of %d bytes", n, bodyLen)
		}
	}
	n, start, err := c.vector(rb, 1, 16)
	if err != nil {
		return err
	}
	for k := range n {
		length := int64(binary.LittleEndian.Uint64(c.b[start+16*k:]))
		nulls := int64(binary.LittleEndian.Uint64(c.b[start+16*k+8:]))
		if length < 0 || nulls < 0 || nulls > length || length > maxRows {
			return fmt.Errorf("field node %d: length %d, null count %d", k, length, nulls)
		}
	}
	n, start, err = c.vector(rb, 2, 16)
	if err != nil {
		return err
	}
	for k := range n {
		off := int64(binary.LittleEndian.Uint64(c.b[start+16*k:]))
		length := int64(binary.LittleEndian.Uint64(c.b[start+16*k+8:]))
		if off < 0 || length < 0 || off > bodyLen || length > bodyLen-off {
			return fmt.Errorf("buffer %d (offset %d, length %d) outside a body of %d bytes", k, off, length, bodyLen)
		}
	}
	_, _, err = c.vector(rb, 4, 8)
	return err
}
