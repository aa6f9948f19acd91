package paxi

// Timer is a ticking timer: it counts Tick calls instead of reading a clock,
// so protocol timeouts are deterministic and replay in the simulator.
// Protocols keep timers in structs or slices, never in maps, so that they
// fire in a fixed order.
type Timer struct {
	left    int // ticks until it fires; 0 when stopped
	timeout int // the last duration it was reset to
}

// Reset (re)arms the timer to fire after ticks ticks.
func (t *Timer) Reset(ticks int) {
	if ticks < 1 {
		ticks = 1
	}
	t.left, t.timeout = ticks, ticks
}

// Restart re-arms the timer with its last duration.
func (t *Timer) Restart() { t.Reset(t.timeout) }

// Stop disarms the timer.
func (t *Timer) Stop() { t.left = 0 }

// Left is how many ticks until it fires (0: stopped).
func (t *Timer) Left() int { return t.left }

// Running reports whether the timer is armed.
func (t *Timer) Running() bool { return t.left > 0 }

// Tick advances the timer and reports whether it fired on this tick. A timer
// fires once and is then stopped until Reset.
func (t *Timer) Tick() bool {
	if t.left == 0 {
		return false
	}
	t.left--
	return t.left == 0
}
