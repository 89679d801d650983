package lsio

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// ColumnStats returns the statistics of a top-level column in one row group,
// decoded as ColumnStats documents. Two refinements of that contract:
//   - decimal128 columns decode to decimal128.Num;
//   - a uint64 column whose maximum does not fit in int64 reports
//     HasMinMax=false, since its values cannot be ordered as int64.
//
// Types without a decoding here (nested types, for instance) report only
// the null count. ok is false when the column or row group does not exist or
// the row group has no statistics for it.
func (pf *ParquetFile) ColumnStats(rowGroup int, column string) (stats ColumnStats, ok bool) {
	fi, found := pf.fields[column]
	if !found || rowGroup < 0 || rowGroup >= pf.NumRowGroups() || len(pf.leaves[fi]) != 1 {
		return ColumnStats{}, false
	}
	cc, err := pf.meta.RowGroup(rowGroup).ColumnChunk(pf.leaves[fi][0])
	if err != nil {
		return ColumnStats{}, false
	}
	ts, err := cc.Statistics()
	if err != nil || ts == nil {
		return ColumnStats{}, false
	}
	if ts.HasNullCount() {
		stats.NullCount = ts.NullCount()
	}
	if ts.HasMinMax() {
		stats.Min, stats.Max, stats.HasMinMax = decodeMinMax(pf.schema.Field(fi).Type, ts)
	}
	return stats, true
}

// decodeMinMax converts physical Parquet statistics to the Go values of the
// column's Arrow type.
func decodeMinMax(t arrow.DataType, ts metadata.TypedStatistics) (lo, hi any, ok bool) {
	switch s := ts.(type) {
	case *metadata.BooleanStatistics:
		return s.Min(), s.Max(), true
	case *metadata.Int32Statistics:
		switch t.ID() {
		case arrow.UINT8, arrow.UINT16, arrow.UINT32:
			return int64(uint32(s.Min())), int64(uint32(s.Max())), true
		case arrow.DECIMAL128:
			return decimal128.FromI64(int64(s.Min())), decimal128.FromI64(int64(s.Max())), true
		}
		return int64(s.Min()), int64(s.Max()), true
	case *metadata.Int64Statistics:
		switch t.ID() {
		case arrow.UINT64:
			if uint64(s.Max()) > math.MaxInt64 {
				return nil, nil, false
			}
		case arrow.DECIMAL128:
			return decimal128.FromI64(s.Min()), decimal128.FromI64(s.Max()), true
		}
		return s.Min(), s.Max(), true
	case *metadata.Float32Statistics:
		return float64(s.Min()), float64(s.Max()), true
	case *metadata.Float64Statistics:
		return s.Min(), s.Max(), true
	case *metadata.ByteArrayStatistics:
		switch t.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
			return string(s.Min()), string(s.Max()), true
		}
		return bytes.Clone(s.Min()), bytes.Clone(s.Max()), true
	case *metadata.FixedLenByteArrayStatistics:
		if t.ID() == arrow.DECIMAL128 {
			lo, okLo := decimalFromBigEndian(s.Min())
			hi, okHi := decimalFromBigEndian(s.Max())
			if okLo && okHi {
				return lo, hi, true
			}
			return nil, nil, false
		}
		return bytes.Clone(s.Min()), bytes.Clone(s.Max()), true
	}
	return nil, nil, false
}

// decimalFromBigEndian decodes Parquet's big-endian two's complement
// decimal bytes (1 to 16 of them).
func decimalFromBigEndian(b []byte) (decimal128.Num, bool) {
	if len(b) == 0 || len(b) > 16 {
		return decimal128.Num{}, false
	}
	var buf [16]byte
	if b[0]&0x80 != 0 {
		for i := range buf {
			buf[i] = 0xff
		}
	}
	copy(buf[16-len(b):], b)
	hi := int64(binary.BigEndian.Uint64(buf[:8]))
	lo := binary.BigEndian.Uint64(buf[8:])
	return decimal128.New(hi, lo), true
}
