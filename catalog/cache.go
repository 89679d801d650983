package catalog

import (
	"container/list"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// snapshotCache keeps recently resolved snapshots, least recently used
// evicted first. Snapshots are immutable and shared with callers.
type snapshotCache struct {
	mu      sync.Mutex
	size    int
	lru     *list.List // of *Snapshot, front is most recent
	byTable map[string]map[int64]*list.Element
}

func newSnapshotCache(size int) *snapshotCache {
	return &snapshotCache{size: size, lru: list.New(), byTable: map[string]map[int64]*list.Element{}}
}

// get returns the cached snapshot of table id at version v.
func (sc *snapshotCache) get(id string, v int64) *Snapshot {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if e := sc.byTable[id][v]; e != nil {
		sc.lru.MoveToFront(e)
		return e.Value.(*Snapshot)
	}
	return nil
}

// floor returns the cached snapshot of table id with the highest version at
// or below v, or nil.
func (sc *snapshotCache) floor(id string, v int64) *Snapshot {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var best *list.Element
	var bestV int64 = -1
	for ver, e := range sc.byTable[id] {
		if ver <= v && ver > bestV {
			best, bestV = e, ver
		}
	}
	if best == nil {
		return nil
	}
	sc.lru.MoveToFront(best)
	return best.Value.(*Snapshot)
}

func (sc *snapshotCache) put(s *Snapshot) {
	if sc.size <= 0 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	id := s.Table.ID
	m := sc.byTable[id]
	if m == nil {
		m = map[int64]*list.Element{}
		sc.byTable[id] = m
	}
	if e := m[s.Version]; e != nil {
		e.Value = s // the same files; s may carry newer properties
		sc.lru.MoveToFront(e)
		return
	}
	m[s.Version] = sc.lru.PushFront(s)
	for sc.lru.Len() > sc.size {
		sc.remove(sc.lru.Back())
	}
}

func (sc *snapshotCache) remove(e *list.Element) {
	s := sc.lru.Remove(e).(*Snapshot)
	m := sc.byTable[s.Table.ID]
	delete(m, s.Version)
	if len(m) == 0 {
		delete(sc.byTable, s.Table.ID)
	}
}

func (sc *snapshotCache) dropTable(id string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, e := range sc.byTable[id] {
		sc.remove(e)
	}
}

// dropBelow removes the cached snapshots of table id older than version v.
func (sc *snapshotCache) dropBelow(id string, v int64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for ver, e := range sc.byTable[id] {
		if ver < v {
			sc.remove(e)
		}
	}
}

func (sc *snapshotCache) clear() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.lru.Init()
	sc.byTable = map[string]map[int64]*list.Element{}
}

// schemaCache keeps decoded schemas by table id and schema id. Stored
// schemas never change, so entries never go stale; the cache is bounded by
// evicting an arbitrary entry when full.
type schemaCache struct {
	mu   sync.Mutex
	size int
	m    map[schemaRef]*arrow.Schema
}

type schemaRef struct {
	table string
	id    int64
}

func newSchemaCache(size int) *schemaCache {
	return &schemaCache{size: size, m: map[schemaRef]*arrow.Schema{}}
}

func (sc *schemaCache) get(table string, id int64) *arrow.Schema {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.m[schemaRef{table, id}]
}

func (sc *schemaCache) put(table string, id int64, s *arrow.Schema) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if len(sc.m) >= sc.size {
		for k := range sc.m {
			delete(sc.m, k)
			break
		}
	}
	sc.m[schemaRef{table, id}] = s
}

func (sc *schemaCache) dropTable(table string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for k := range sc.m {
		if k.table == table {
			delete(sc.m, k)
		}
	}
}

func (sc *schemaCache) clear() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.m = map[schemaRef]*arrow.Schema{}
}
