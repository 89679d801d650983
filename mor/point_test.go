package mor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakesoul-io/lakesoul-flight/lsio"
)

// Key lookups and IN-lists through the point path (bloom filters, page
// index, reads of single rows) return exactly what filtering the merged
// full read returns, over many runs with full and partial rows, keys
// present in one run, in several, or in none, and tiny pages and row
// groups so that every sieve has something to skip.
func TestKeyLookupsRandomized(t *testing.T) {
	for _, keyType := range []string{"int", "string"} {
		t.Run(keyType, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, uint64(len(keyType))))
			keyOf := func(k int) any { return int64(k) }
			keyField := arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64}
			if keyType == "string" {
				keyOf = func(k int) any { return fmt.Sprintf("k%05d", k) }
				keyField.Type = arrow.BinaryTypes.String
			}
			schema := arrow.NewSchema([]arrow.Field{keyField,
				{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
				{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
			partial := arrow.NewSchema([]arrow.Field{keyField,
				{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
			m := newMemTable(t, schema, []string{"id"}, nil, 2)
			m.opts.PageBytes = 256
			const keys = 3000
			for seq := int64(1); seq <= 9; seq++ {
				n := 50 + r.IntN(1500)
				if seq == 1 {
					n = 2000
				}
				seen := map[int]bool{}
				var rows []row
				for range n {
					k := r.IntN(keys)
					if seen[k] {
						continue
					}
					seen[k] = true
					rw := row{"id": keyOf(k), "score": float64(seq*10000 + int64(k))}
					if seq%3 != 0 {
						rw["name"] = fmt.Sprintf("n%d-%d", seq, k)
					}
					rows = append(rows, rw)
				}
				sch := schema
				if seq%3 == 0 {
					sch = partial
				}
				m.write(seq, sch, int64(100+r.IntN(400)), rows)
			}
			all := rowStrings(t, m.plan(ScanOptions{}).Scan(m.ctx, m.st))
			byKey := map[string]string{}
			for _, s := range all {
				byKey[strings.SplitN(s, ",", 2)[0]] = s
			}
			cache := lsio.NewFileCache(1 << 20)
			for i := range 300 {
				var want []string
				var filter Expr
				var vals []any
				for range 1 + r.IntN(40)*(i%2) {
					k := r.IntN(keys + 200) // some never written
					vals = append(vals, keyOf(k))
					if s, ok := byKey[fmt.Sprintf("id=%v", keyOf(k))]; ok && !slices.Contains(want, s) {
						want = append(want, s)
					}
				}
				if len(vals) == 1 {
					filter = Eq("id", vals[0])
				} else {
					filter = In("id", vals...)
				}
				slices.Sort(want)
				opts := ScanOptions{Filter: filter}
				if i%3 != 0 {
					opts.Cache = cache
				}
				got := rowStrings(t, m.plan(opts).Scan(m.ctx, m.st))
				if !slices.Equal(got, want) {
					t.Fatalf("lookup %d, %v:\n got %v\nwant %v", i, filter, got, want)
				}
			}
			if s := cache.Stats(); s.Hits[lsio.CacheBloom] == 0 || s.Hits[lsio.CachePages] == 0 {
				t.Fatalf("the cache served nothing: %+v", s)
			}
			// With the footers and bloom filters cached, a lookup of one key
			// opens only the files that may hold it: far fewer than all.
			m.st.takeOpened()
			opened := 0
			for i := range 50 {
				k := keyOf(r.IntN(keys))
				rowStrings(t, m.plan(ScanOptions{Filter: Eq("id", k), Cache: cache}).Scan(m.ctx, m.st))
				if i >= 10 { // the first lookups fill the cache
					opened += len(m.st.takeOpened())
				} else {
					m.st.takeOpened()
				}
			}
			if perLookup := float64(opened) / 40; perLookup > 4 {
				t.Fatalf("a key lookup opened %.1f of %d files on average", perLookup, len(m.files))
			}
		})
	}
}
