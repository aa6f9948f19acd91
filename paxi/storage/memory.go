package storage

import (
	"fmt"
	"slices"
	"sync"
)

// Memory is a Storage held in memory, for tests and the simulator. It keeps
// apart what was synced from what was only appended, so Crash can throw
// away exactly what a power failure would.
type Memory struct {
	// mu serialises every method, so a test may crash the storage from
	// another goroutine than the replica using it.
	mu sync.Mutex
	// durable holds every synced record: first the restored ones, then
	// those synced since this Memory was created. Records are copies owned
	// by the Memory and never modified, so a Memory made by Crash shares them.
	durable [][]byte
	// restored is how many records of durable were there at creation.
	restored int
	// pending holds records appended since the last Sync.
	pending [][]byte
	// closed is set by Close and Crash.
	closed bool
	// err, when set by SetError, is returned by Append and Sync.
	err error
}

var _ Storage = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{} }

// Append implements Storage.
func (m *Memory) Append(recs ...[]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(); err != nil {
		return err
	}
	for _, rec := range recs {
		if len(rec) > MaxRecordSize {
			return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(rec))
		}
	}
	for _, rec := range recs {
		m.pending = append(m.pending, slices.Clone(rec))
	}
	return nil
}

// Sync implements Storage.
func (m *Memory) Sync() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(); err != nil {
		return err
	}
	m.syncLocked()
	return nil
}

func (m *Memory) syncLocked() {
	m.durable = append(m.durable, m.pending...)
	m.pending = nil
}

// Records implements Storage.
func (m *Memory) Records() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.durable[:m.restored:m.restored]
}

// Close implements Storage: like File.Close, it makes appended records
// durable first, so a clean shutdown loses nothing.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.err == nil {
		m.syncLocked()
	}
	m.closed = true
	return nil
}

// Crash simulates the replica crashing and restarting: it closes m without
// syncing, dropping every record appended since the last Sync, and returns
// a new Memory whose Records are all the records synced so far, as OpenFile
// would find them. Crashing a closed Memory models a restart after a clean
// shutdown.
func (m *Memory) Crash() *Memory {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.pending = nil
	durable := slices.Clip(m.durable)
	return &Memory{durable: durable, restored: len(durable)}
}

// SetError makes every later Append and Sync fail with err (nil restores
// normal operation), so tests can check what a replica does when its disk
// fails. Close does not sync while an error is set.
func (m *Memory) SetError(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

func (m *Memory) usable() error {
	if m.closed {
		return ErrClosed
	}
	return m.err
}
