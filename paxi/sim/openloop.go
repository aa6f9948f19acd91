package sim

import (
	"math"
	"sort"
	"time"
)

// openLoop drives an open-loop workload (Workload.Rate): a Poisson stream
// of arrivals at each replica with clients, each sent by an idle client of
// that replica or by a new one.
type openLoop struct {
	rate float64   // arrivals per second per replica
	idle [][]int32 // by replica: clients with nothing outstanding
	gen  []uint32  // by replica: bumped by start, so one stream runs at a time
}

// initWorkload prepares the key distribution and the open loop.
func (s *Sim) initWorkload() {
	w := s.cfg.Workload
	if w.Zipf > 0 {
		s.zipfCDF = zipfCDF(len(s.sharedKeys), w.Zipf)
	}
	if w.Rate > 0 {
		s.open = &openLoop{rate: w.Rate, idle: make([][]int32, len(s.cfg.Replicas)), gen: make([]uint32, len(s.cfg.Replicas))}
	}
}

// zipfCDF returns the cumulative weights of n keys, key k weighing
// 1/(k+1)^exp, normalized to end at 1.
func zipfCDF(n int, exp float64) []float64 {
	cdf := make([]float64, n)
	sum := 0.0
	for k := range n {
		sum += 1 / math.Pow(float64(k+1), exp)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	return cdf
}

// sharedKey draws the index of a shared key: uniformly, or from the Zipf
// distribution.
func (s *Sim) sharedKey() int {
	if s.zipfCDF == nil {
		return s.rng.Intn(len(s.sharedKeys))
	}
	u := s.rng.Float64()
	return min(sort.SearchFloat64s(s.zipfCDF, u), len(s.zipfCDF)-1)
}

// start begins r's arrivals for its current incarnation; they stop when it
// crashes, its clients are stopped or the load ends.
func (o *openLoop) start(s *Sim, r *replica) {
	o.idle[r.idx] = o.idle[r.idx][:0]
	o.gen[r.idx]++
	o.next(s, r, r.epoch, o.gen[r.idx])
}

// next schedules r's next arrival after an exponential gap.
func (o *openLoop) next(s *Sim, r *replica, epoch, gen uint32) {
	gap := time.Duration(s.rng.ExpFloat64() / o.rate * float64(time.Second))
	s.q.push(s.now+gap, event{kind: evCall, fn: func() { o.arrive(s, r, epoch, gen) }})
}

// arrive sends one command from an idle client of r (a new client if none
// is idle) and schedules the next arrival.
func (o *openLoop) arrive(s *Sim, r *replica, epoch, gen uint32) {
	if !r.up || r.epoch != epoch || o.gen[r.idx] != gen || !r.clientsOn || !s.loadOn {
		return
	}
	var k int32 = -1
	for len(o.idle[r.idx]) > 0 {
		last := len(o.idle[r.idx]) - 1
		c := o.idle[r.idx][last]
		o.idle[r.idx] = o.idle[r.idx][:last]
		if cl := s.clients[c]; cl.alive && !cl.quit && !cl.busy {
			k = c
			break
		}
	}
	if k < 0 {
		k = s.addClient(r)
	}
	s.issue(k)
	o.next(s, r, epoch, gen)
}
