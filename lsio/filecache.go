package lsio

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// FileCache keeps what opening and probing a Parquet file costs: its parsed
// footer, the bloom filters of its key columns and the page statistics of
// its row groups. A data file is written once under a path that is never
// reused, so an entry never goes stale; entries leave only when the cache
// is over its byte budget, least recently used first. Safe for concurrent
// use. A nil *FileCache caches nothing.
type FileCache struct {
	max int64

	mu      sync.Mutex
	size    int64
	lru     list.List // of *cacheEntry, most recently used at the front
	entries map[cacheKey]*list.Element

	hits, misses [numCacheKinds]atomic.Int64
	evictions    atomic.Int64
}

// Kinds of cache entries, the label of FileCacheStats' counters.
const (
	CacheFooter = iota
	CacheBloom
	CachePages
	numCacheKinds
)

// CacheKindNames names the kinds of entries, indexed by kind.
var CacheKindNames = [numCacheKinds]string{"footer", "bloom_filter", "page_index"}

type cacheKey struct {
	file string // storage URI + path
	kind uint8
	rg   int32
	col  int32
}

type cacheEntry struct {
	key   cacheKey
	val   any
	bytes int64
}

// DefaultFileCacheBytes is the byte budget servers give the cache unless
// configured otherwise.
const DefaultFileCacheBytes = 256 << 20

// NewFileCache returns a cache holding at most maxBytes (estimated sizes of
// the parsed structures).
func NewFileCache(maxBytes int64) *FileCache {
	return &FileCache{max: maxBytes, entries: map[cacheKey]*list.Element{}}
}

// FileCacheStats are the cache's counters since it was made.
type FileCacheStats struct {
	Hits, Misses [numCacheKinds]int64 // by kind, see CacheKindNames
	Evictions    int64
	Bytes        int64
	Entries      int
}

// Stats returns the current counters.
func (c *FileCache) Stats() FileCacheStats {
	var s FileCacheStats
	if c == nil {
		return s
	}
	for k := range numCacheKinds {
		s.Hits[k] = c.hits[k].Load()
		s.Misses[k] = c.misses[k].Load()
	}
	s.Evictions = c.evictions.Load()
	c.mu.Lock()
	s.Bytes, s.Entries = c.size, len(c.entries)
	c.mu.Unlock()
	return s
}

// get returns the value cached under k.
func (c *FileCache) get(k cacheKey) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	var v any
	el, ok := c.entries[k]
	if ok {
		c.lru.MoveToFront(el)
		v = el.Value.(*cacheEntry).val
	}
	c.mu.Unlock()
	if !ok {
		c.misses[k.kind].Add(1)
		return nil, false
	}
	c.hits[k.kind].Add(1)
	return v, true
}

// put caches v under k, charged bytes, evicting older entries as needed.
// A value larger than the whole budget is not kept.
func (c *FileCache) put(k cacheKey, v any, bytes int64) {
	if c == nil || bytes > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		e := el.Value.(*cacheEntry)
		c.size += bytes - e.bytes
		e.val, e.bytes = v, bytes
		c.lru.MoveToFront(el)
	} else {
		c.entries[k] = c.lru.PushFront(&cacheEntry{key: k, val: v, bytes: bytes})
		c.size += bytes
	}
	for c.size > c.max {
		el := c.lru.Back()
		e := el.Value.(*cacheEntry)
		c.lru.Remove(el)
		delete(c.entries, e.key)
		c.size -= e.bytes
		c.evictions.Add(1)
	}
}

// drop forgets every entry of a file, for example one found changed or
// damaged.
func (c *FileCache) drop(file string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*cacheEntry); e.key.file == file {
			c.lru.Remove(el)
			delete(c.entries, e.key)
			c.size -= e.bytes
		}
		el = next
	}
}
