package transport

import (
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/agora-consensus/agora/paxi"
)

// registryCache mirrors the paxi message registry in copy-on-write maps.
// paxi guards its registry with a RWMutex, and every writer and reader
// goroutine of every connection looks a type up for every message; a plain
// atomic load keeps those lookups free of shared-lock traffic. Entries never
// go stale because paxi forbids registering a type or a tag twice.
type registryCache struct {
	mu     sync.Mutex                                        // serialises copy-on-write updates
	byType atomic.Pointer[map[reflect.Type]paxi.MessageType] // cached paxi.MessageOf results
	byTag  atomic.Pointer[map[uint16]paxi.MessageType]       // cached paxi.MessageByTag results
}

var registry registryCache

// typeOf returns the registered type of m.
func (c *registryCache) typeOf(m paxi.Message) (paxi.MessageType, bool) {
	t := reflect.TypeOf(m)
	if p := c.byType.Load(); p != nil {
		if mt, ok := (*p)[t]; ok {
			return mt, true
		}
	}
	mt, ok := paxi.MessageOf(m)
	if ok {
		c.remember(mt)
	}
	return mt, ok
}

// typeByTag returns the registered type with wire tag tag.
func (c *registryCache) typeByTag(tag uint16) (paxi.MessageType, bool) {
	if p := c.byTag.Load(); p != nil {
		if mt, ok := (*p)[tag]; ok {
			return mt, true
		}
	}
	mt, ok := paxi.MessageByTag(tag)
	if ok {
		c.remember(mt)
	}
	return mt, ok
}

// remember adds mt to both maps. Misses happen once per type per process,
// so copying the maps is cheap in total.
func (c *registryCache) remember(mt paxi.MessageType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	byType := map[reflect.Type]paxi.MessageType{}
	if p := c.byType.Load(); p != nil {
		for k, v := range *p {
			byType[k] = v
		}
	}
	byType[mt.Type] = mt
	byTag := map[uint16]paxi.MessageType{}
	if p := c.byTag.Load(); p != nil {
		for k, v := range *p {
			byTag[k] = v
		}
	}
	byTag[mt.Tag] = mt
	c.byType.Store(&byType)
	c.byTag.Store(&byTag)
}

// kindOf names m's message kind for observers and logs, like
// paxi.MessageName but through the cache.
func kindOf(m paxi.Message) string {
	if mt, ok := registry.typeOf(m); ok {
		return mt.Name
	}
	return paxi.MessageName(m)
}
