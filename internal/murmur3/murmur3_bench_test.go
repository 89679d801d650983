package murmur3

import "testing"

func BenchmarkHashBytes36(b *testing.B) {
	data := []byte("123e4567-e89b-12d3-a456-426614174000")
	b.SetBytes(int64(len(data)))
	var sink uint32
	for b.Loop() {
		sink += HashBytes(data, Seed)
	}
	_ = sink
}

func BenchmarkHashLong(b *testing.B) {
	var sink uint32
	v := int64(0)
	for b.Loop() {
		v++
		sink += HashLong(v, Seed)
	}
	_ = sink
}
