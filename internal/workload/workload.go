// Package workload generates LakeSoul's published upsert benchmark data:
// rows of (uuid, ip, hostname, requests, name, city, job, phonenum) keyed
// by uuid, a base write and upserts of which half update existing keys and
// half insert new ones. Everything derives from a seed, so every run writes
// the same bytes and nothing is downloaded.
package workload

import (
	"fmt"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Schema is the workload's table schema; uuid is the primary key.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "uuid", Type: arrow.BinaryTypes.String},
	{Name: "ip", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "hostname", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "requests", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "job", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "phonenum", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

var (
	names = []string{"Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Ava", "Elijah", "Sophia", "Mateo",
		"Isabella", "Lucas", "Mia", "Levi", "Evelyn", "Asher", "Harper", "James", "Luna", "Leo"}
	cities = []string{"Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Berlin", "Paris", "Lisbon", "Austin",
		"Toronto", "Nairobi", "Lagos", "Lima", "Osaka", "Seoul", "Sydney", "Oslo"}
	jobs = []string{"engineer", "teacher", "nurse", "designer", "accountant", "chef", "pilot", "lawyer",
		"farmer", "writer", "analyst", "electrician"}
)

// Generator produces the rows of one workload run.
type Generator struct {
	seed uint64
	// keys is the number of distinct keys written so far.
	keys int64
}

// New returns a generator for the given seed.
func New(seed uint64) *Generator { return &Generator{seed: seed} }

// Keys is the number of distinct keys written so far.
func (g *Generator) Keys() int64 { return g.keys }

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// UUID returns the key of key number k, formatted like a random UUID.
func (g *Generator) UUID(k int64) string {
	a, b := splitmix(g.seed^uint64(k)), splitmix(^g.seed^uint64(k)*31)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, (b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

// Base returns the base write: rows new keys, in batches of batch rows.
func (g *Generator) Base(mem memory.Allocator, rows, batch int) []arrow.RecordBatch {
	return g.Upsert(mem, rows, 0, batch, 0)
}

// Upsert returns one upsert of rows rows, the given fraction of which
// update existing keys (chosen at random) and the rest insert new keys.
// round varies the values written and the keys chosen.
func (g *Generator) Upsert(mem memory.Allocator, rows int, updateFrac float64, batch int, round int) []arrow.RecordBatch {
	r := rand.New(rand.NewPCG(g.seed, uint64(round)+1))
	updates := int(float64(rows) * updateFrac)
	if g.keys == 0 {
		updates = 0
	}
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	uuid := b.Field(0).(*array.StringBuilder)
	ip := b.Field(1).(*array.StringBuilder)
	host := b.Field(2).(*array.StringBuilder)
	req := b.Field(3).(*array.Int64Builder)
	name := b.Field(4).(*array.StringBuilder)
	city := b.Field(5).(*array.StringBuilder)
	job := b.Field(6).(*array.StringBuilder)
	phone := b.Field(7).(*array.StringBuilder)
	existing := g.keys
	for i := 0; i < rows; i++ {
		var k int64
		if i < updates {
			k = r.Int64N(existing)
		} else {
			k = g.keys
			g.keys++
		}
		uuid.Append(g.UUID(k))
		ip.Append(fmt.Sprintf("%d.%d.%d.%d", 10+r.IntN(200), r.IntN(256), r.IntN(256), 1+r.IntN(254)))
		host.Append(fmt.Sprintf("host-%05d.example.com", r.IntN(100000)))
		req.Append(r.Int64N(1_000_000))
		name.Append(names[r.IntN(len(names))])
		city.Append(cities[r.IntN(len(cities))])
		job.Append(jobs[r.IntN(len(jobs))])
		phone.Append(fmt.Sprintf("+1-%03d-%03d-%04d", 200+r.IntN(800), r.IntN(1000), r.IntN(10000)))
		if (i+1)%batch == 0 || i == rows-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	// Shuffle the order of updates and inserts inside each batch is not
	// needed: rows are bucketed and sorted by the writer anyway.
	return out
}

// Bytes is the Arrow buffer size of recs: the input size rates are based on.
func Bytes(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		for _, c := range r.Columns() {
			for _, buf := range c.Data().Buffers() {
				if buf != nil {
					n += int64(buf.Len())
				}
			}
		}
	}
	return n
}

// Release releases every record.
func Release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}
