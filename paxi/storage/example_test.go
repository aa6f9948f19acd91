package storage_test

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi/storage"
)

// A host persists each Ready's records with one Append and one Sync, and a
// crash keeps only what was synced.
func ExampleMemory_Crash() {
	s := storage.NewMemory()
	s.Append([]byte("vote 1"), []byte("vote 2"))
	s.Sync()
	s.Append([]byte("vote 3"))

	restarted := s.Crash()
	for _, r := range restarted.Records() {
		fmt.Println(string(r))
	}
	// Output:
	// vote 1
	// vote 2
}
