package paxi

import (
	"fmt"
	"hash/fnv"
	"reflect"
	"sort"
	"sync"
)

// Message is any value a protocol sends to a peer or persists. Every concrete
// message type must be registered with RegisterMessage so the codec can
// carry it over the wire and into the log.
type Message any

// Envelope is one message in flight. Every message carries its sender, so a
// receiver can count replies once per sender.
type Envelope struct {
	From ID
	To   ID
	Msg  Message
}

// MessageType describes one registered message type.
type MessageType struct {
	Name string       // stable name, e.g. "epaxos.PreAccept"
	Tag  uint16       // wire tag, a hash of Name, fixed across processes
	Type reflect.Type // the pointer-to-struct type that is sent
}

var messages = struct {
	sync.RWMutex
	byTag  map[uint16]MessageType
	byType map[reflect.Type]MessageType
}{byTag: map[uint16]MessageType{}, byType: map[reflect.Type]MessageType{}}

// RegisterMessage registers a message type under a stable name. prototype is
// a pointer to a zero value, e.g. RegisterMessage("epaxos.PreAccept",
// &PreAccept{}). The wire tag is derived from the name, so processes agree on
// tags regardless of init order; a collision panics at start-up.
func RegisterMessage(name string, prototype Message) {
	t := reflect.TypeOf(prototype)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("paxi: RegisterMessage(%q): prototype must be a pointer to a struct, got %T", name, prototype))
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	sum := h.Sum32()
	tag := uint16(sum>>16) ^ uint16(sum)
	messages.Lock()
	defer messages.Unlock()
	if old, ok := messages.byType[t]; ok {
		if old.Name == name {
			return
		}
		panic(fmt.Sprintf("paxi: %v registered twice, as %q and %q", t, old.Name, name))
	}
	if old, ok := messages.byTag[tag]; ok {
		panic(fmt.Sprintf("paxi: message names %q and %q collide on tag %d; rename one", old.Name, name, tag))
	}
	mt := MessageType{Name: name, Tag: tag, Type: t}
	messages.byTag[tag] = mt
	messages.byType[t] = mt
}

// MessageByTag looks up a registered type by wire tag.
func MessageByTag(tag uint16) (MessageType, bool) {
	messages.RLock()
	defer messages.RUnlock()
	mt, ok := messages.byTag[tag]
	return mt, ok
}

// MessageOf looks up the registered type of a message value.
func MessageOf(m Message) (MessageType, bool) {
	messages.RLock()
	defer messages.RUnlock()
	mt, ok := messages.byType[reflect.TypeOf(m)]
	return mt, ok
}

// MessageTypes lists every registered message type, sorted by name.
func MessageTypes() []MessageType {
	messages.RLock()
	defer messages.RUnlock()
	out := make([]MessageType, 0, len(messages.byTag))
	for _, mt := range messages.byTag {
		out = append(out, mt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// MessageName returns the registered name of m, or its Go type if unregistered.
func MessageName(m Message) string {
	if mt, ok := MessageOf(m); ok {
		return mt.Name
	}
	return fmt.Sprintf("%T", m)
}
