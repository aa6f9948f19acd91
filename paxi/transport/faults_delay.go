package transport

import (
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// delayLine holds back the messages to one peer until their release time.
// One goroutine per delayed peer releases them in order; a timer per
// message would not, since timers that fire together run in any order.
type delayLine struct {
	queue []delayed     // in release order; guarded by Faulty.mu
	wake  chan struct{} // capacity 1; signals that queue became non-empty
}

// busy reports whether messages wait in l; a nil line has none. The caller
// holds Faulty.mu.
func (l *delayLine) busy() bool { return l != nil && len(l.queue) > 0 }

// delayed is one message and when to release it.
type delayed struct {
	at time.Time
	e  paxi.Envelope
}

// delayLocked queues e to be sent after d. A message never overtakes an
// earlier one, even when the delay shrinks, because TCP would not let it.
func (f *Faulty) delayLocked(e paxi.Envelope, d time.Duration) {
	l := f.lines[e.To]
	if l == nil {
		l = &delayLine{wake: make(chan struct{}, 1)}
		f.lines[e.To] = l
		f.wg.Add(1)
		go f.release(l)
	}
	at := time.Now().Add(d)
	if n := len(l.queue); n > 0 && at.Before(l.queue[n-1].at) {
		at = l.queue[n-1].at
	}
	l.queue = append(l.queue, delayed{at, e})
	if len(l.queue) == 1 {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// release sends the messages of l as they come due, unless by then the link
// is cut (a crash or partition after the message left), until Close.
func (f *Faulty) release(l *delayLine) {
	defer f.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		f.mu.Lock()
		var next delayed
		ok := len(l.queue) > 0
		if ok {
			next = l.queue[0]
		}
		f.mu.Unlock()
		if !ok {
			select {
			case <-l.wake:
				continue
			case <-f.closing:
				return
			}
		}
		if wait := time.Until(next.at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-f.closing:
				return
			}
		}
		f.mu.Lock()
		l.queue[0] = delayed{}
		l.queue = l.queue[1:]
		cut := f.state.cut(f.self, next.e.To)
		f.mu.Unlock()
		if !cut {
			f.inner.Send(next.e)
		}
	}
}
