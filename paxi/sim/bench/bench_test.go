// Package bench measures how fast the simulator runs real protocols:
// simulated commands per second of CPU time. It lives apart from paxi/sim
// so that a protocol under construction cannot break the simulator's own
// tests.
package bench

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
	"github.com/agora-consensus/agora/paxi/sim/simtest"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
)

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchWAN runs protocol on the paper's five sites at 0% conflicts, every
// check off, and reports simulated commands per CPU-second and per
// wall-second, with the garbage collector set as in bin/sim (sim.TuneGC;
// GOGC=100 in the environment measures Go's default).
func benchWAN(b *testing.B, protocol string, clients int, model sim.CPU) {
	sim.TuneGC() // as bin/sim does
	var completed, events uint64
	cpu0, wall0 := cpuTime(), time.Now()
	for i := 0; i < b.N; i++ {
		res, err := sim.Run(sim.Config{
			Protocol: protocol, N: 5, Seed: int64(i + 1), Latency: sim.WAN(5),
			Duration: 10 * time.Second, CPU: model,
			Workload: sim.Workload{Clients: clients, Conflict: 0},
			Check:    sim.Checks{NoLinearizability: true, NoExecution: true, NoLiveness: true},
		})
		if err != nil {
			b.Fatal(err)
		}
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		completed += res.Completed
		events += res.Events
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	b.ReportMetric(float64(completed)/cpu.Seconds(), "cmds/cpu-s")
	b.ReportMetric(float64(completed)/wall.Seconds(), "cmds/s")
	b.ReportMetric(float64(events)/float64(completed), "events/cmd")
	b.ReportMetric(float64(completed)/float64(b.N), "cmds/run")
}

func BenchmarkEPaxosWAN5(b *testing.B) {
	for _, clients := range []int{100, 1000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchWAN(b, "epaxos", clients, sim.CPU{}) })
	}
	// With a CPU model, commands that arrive while a replica is busy are
	// batched into one instance, as on a real server under load.
	b.Run("clients=1000/cpu", func(b *testing.B) {
		benchWAN(b, "epaxos", 1000, sim.CPU{Message: 5 * time.Microsecond, Send: 2 * time.Microsecond, Execute: time.Microsecond})
	})
}

func BenchmarkPrimaryBackupWAN5(b *testing.B) {
	benchWAN(b, simtest.Name, 100, sim.CPU{})
}
