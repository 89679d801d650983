package bucket

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchRows = 1 << 20

func reportPerRow(b *testing.B, rows int) {
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(rows), "ns/row")
	b.ReportMetric(float64(rows)*1e9/perOp, "rows/s")
}

// BenchmarkRowsString buckets 1M 36-character UUID strings into 4 buckets.
func BenchmarkRowsString(b *testing.B) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewPCG(1, 2))
	sb := array.NewStringBuilder(mem)
	for range benchRows {
		sb.Append(fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
			r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff))
	}
	arr := sb.NewArray()
	sb.Release()
	defer arr.Release()
	out := make([]int32, benchRows)
	cols := []arrow.Array{arr}
	b.SetBytes(int64(len(arr.(*array.String).ValueBytes())))
	for b.Loop() {
		if err := Rows(cols, 4, out); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRow(b, benchRows)
}

// BenchmarkRowsInt64 buckets 1M random int64 keys into 4 buckets.
func BenchmarkRowsInt64(b *testing.B) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewPCG(1, 2))
	ib := array.NewInt64Builder(mem)
	for range benchRows {
		ib.Append(int64(r.Uint64()))
	}
	arr := ib.NewArray()
	ib.Release()
	defer arr.Release()
	out := make([]int32, benchRows)
	cols := []arrow.Array{arr}
	b.SetBytes(8 * benchRows)
	for b.Loop() {
		if err := Rows(cols, 4, out); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRow(b, benchRows)
}
