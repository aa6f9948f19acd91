package chaos

import (
	"math/rand"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Fault is one planned crash: replica ID is SIGKILLed at Kill (from the
// start of the load) and started again at Restart.
type Fault struct {
	ID      paxi.ID       `json:"id"`
	Kill    time.Duration `json:"kill_ns"`
	Restart time.Duration `json:"restart_ns"`
}

// Plan draws the crash schedule of one run from seed: a kill every
// U(killMin, killMax) of a replica drawn from ids, restarted U(downMin,
// downMax) after its kill. At most one replica is down at a time (the next
// kill waits for the previous restart), so a majority of three is always
// up, and a restart that would fall after the end happens at the end. The
// same seed gives the same schedule for every protocol, so their
// availability curves can share one set of kill marks.
func Plan(seed int64, ids []paxi.ID, duration, killMin, killMax, downMin, downMax time.Duration) []Fault {
	rng := rand.New(rand.NewSource(seed))
	uniform := func(lo, hi time.Duration) time.Duration {
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(rng.Int63n(int64(hi-lo)+1))
	}
	var plan []Fault
	t := uniform(killMin, killMax)
	for t < duration {
		f := Fault{ID: ids[rng.Intn(len(ids))], Kill: t}
		f.Restart = min(t+uniform(downMin, downMax), duration)
		plan = append(plan, f)
		t = max(t+uniform(killMin, killMax), f.Restart+100*time.Millisecond)
	}
	return plan
}
