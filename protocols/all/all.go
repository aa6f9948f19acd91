// Package all links every protocol into a binary, so that binaries can look
// protocols up by name with paxi.Lookup.
package all

import (
	_ "github.com/agora-consensus/agora/protocols/epaxos"
	_ "github.com/agora-consensus/agora/protocols/mencius"
	_ "github.com/agora-consensus/agora/protocols/multipaxos"
	_ "github.com/agora-consensus/agora/protocols/unreplicated"
)
