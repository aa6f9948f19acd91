package sim

import (
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// CPU is the service time a replica spends on each thing it does. A replica
// is a single server: inputs that arrive while it is busy wait in its queue
// and are fed to the protocol together when it becomes free, so throughput
// saturates and queueing delay grows as on a real machine. The zero CPU is
// infinitely fast.
type CPU struct {
	// Message is the cost of receiving one message or client command.
	Message time.Duration `json:"message,omitempty"`
	// Send is the cost of sending one message.
	Send time.Duration `json:"send,omitempty"`
	// Execute is the cost of applying one command to the state machine.
	Execute time.Duration `json:"execute,omitempty"`
	// Persist is the cost of making one batch of records durable (one sync).
	Persist time.Duration `json:"persist,omitempty"`
}

// cpuFor returns the CPU model of replica id.
func (c *Config) cpuFor(id paxi.ID) CPU {
	if v, ok := c.CPUAt[id]; ok {
		return v
	}
	return c.CPU
}

// Utilization is the fraction of the run's virtual time a replica's CPU was
// busy; it approaches 1 when the replica is the bottleneck.
func (r *replica) utilization(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(r.busy) / float64(elapsed)
}
