package sim

import (
	"encoding/json"
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// tracef writes one trace line stamped with the virtual time.
func (s *Sim) tracef(format string, args ...any) {
	fmt.Fprintf(s.trace, "%12v  %s\n", s.now, fmt.Sprintf(format, args...))
}

// traceMessage writes a delivered message. Messages are printed as JSON
// rather than with %v, which would print nested pointers as addresses and
// make two traces of the same seed differ.
func (s *Sim) traceMessage(e *event) {
	body, err := json.Marshal(e.msg)
	if err != nil {
		body = []byte(fmt.Sprintf("<%v>", err))
	}
	s.tracef("%s -> %s %s %s (sent %v)", s.ids[e.from], s.ids[e.to], paxi.MessageName(e.msg), body, e.depart)
}
