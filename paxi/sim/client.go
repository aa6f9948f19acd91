package sim

import (
	"strconv"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
)

// client is one closed-loop client attached to a replica.
type client struct {
	id    int    // unique, 1-based; also the command's ClientID
	home  int32  // the replica it lives next to
	at    int32  // the replica its current command was last sent to
	alive bool   // false once its home replica crashed
	quit  bool   // finishes its current command, then stops
	busy  bool   // a command is outstanding
	seq   uint64 // id of the current (last) command
	cur   paxi.Command
	op    int32               // index of the current command in the history, or -1
	call  time.Duration       // when the current command was issued
	keys  [privateKeys]string // keys private to this client (inline: one cache miss less per command)
}

// privateKeys is how many keys each client owns; a few, so that its reads
// see its own writes.
const privateKeys = 4

// startClients attaches the configured number of fresh clients to r.
func (s *Sim) startClients(r *replica) {
	n := s.cfg.Workload.Clients
	if v, ok := s.cfg.Workload.ClientsAt[r.id]; ok {
		n = v
	}
	if s.open != nil && n > 0 {
		s.open.start(s, r)
	}
	for range n {
		k := s.addClient(r)
		if s.open != nil {
			s.open.idle[r.idx] = append(s.open.idle[r.idx], k)
			continue
		}
		s.issue(k)
	}
}

// addClient attaches one fresh, idle client to r and returns its index.
func (s *Sim) addClient(r *replica) int32 {
	c := &client{id: len(s.clients) + 1, home: r.idx, at: r.idx, alive: true, op: -1}
	for k := range privateKeys {
		c.keys[k] = "c" + strconv.Itoa(c.id) + "-" + strconv.Itoa(k)
	}
	s.clients = append(s.clients, c)
	s.waits = append(s.waits, clientWait{at: c.at, home: c.home})
	r.clients = append(r.clients, int32(len(s.clients)-1))
	return int32(len(s.clients) - 1)
}

// stopClients lets r's clients finish their current command and stop.
func (s *Sim) stopClients(r *replica) {
	for _, k := range r.clients {
		s.clients[k].quit = true
	}
	r.clients = r.clients[:0]
}

// killClients stops every client of r at once, as when r crashes,
// including those already told to quit: whatever they were waiting for
// stays pending forever in the history.
func (s *Sim) killClients(r *replica) {
	for _, c := range s.clients {
		if c.home == r.idx {
			c.alive = false
		}
	}
	r.clients = r.clients[:0]
}

// issue makes client k send its next command.
func (s *Sim) issue(k int32) {
	c := s.clients[k]
	if !c.alive || c.quit || !s.loadOn {
		return
	}
	w := &s.cfg.Workload
	c.seq++
	var key string
	if w.Conflict > 0 && (w.Conflict >= 1 || s.rng.Float64() < w.Conflict) {
		key = s.sharedKeys[s.sharedKey()]
	} else {
		key = c.keys[s.rng.Intn(len(c.keys))]
	}
	cmd := paxi.Command{Op: paxi.Get, Key: key, ClientID: uint64(c.id), CommandID: c.seq}
	if w.Writes >= 1 || (w.Writes > 0 && s.rng.Float64() < w.Writes) {
		cmd.Op = paxi.Put
		// One allocation for the value rather than one per piece.
		var buf [48]byte
		b := append(buf[:0], "v-"...)
		b = strconv.AppendInt(b, int64(c.id), 10)
		b = append(b, '-')
		cmd.Value = string(strconv.AppendUint(b, c.seq, 10))
	}
	c.cur = cmd
	c.busy = true
	c.call = s.now
	c.at = c.home
	c.op = -1
	s.syncWait(k)
	if s.record {
		c.op = int32(len(s.hist))
		s.hist = appendDoubling(s.hist, checker.Operation{
			Client: c.id, Op: cmd.Op.String(), Key: cmd.Key, Value: cmd.Value,
			Call: int64(s.now), Return: -1,
		})
		s.histKeys = appendDoubling(s.histKeys, cmd.Ident())
		s.histHome = appendDoubling(s.histHome, c.home)
	}
	s.issued++
	s.sendRequest(k)
}

// sendRequest sends client k's current command to the replica it targets.
func (s *Sim) sendRequest(k int32) {
	c := s.clients[k]
	r := s.replicas[c.at]
	if s.trace != nil {
		s.tracef("client %d -> %s %v", c.id, r.id, c.cur)
	}
	lat := s.clientDelay(c.home, c.at)
	s.q.push(s.now+lat, event{kind: evRequest, to: c.at, from: k, n: c.cur.CommandID, epoch: r.epoch})
	if t := s.cfg.Workload.Timeout; t > 0 {
		s.q.push(s.now+t, event{kind: evIssue, to: k, n: c.cur.CommandID, isErr: true})
	}
}

// clientDelay is the one-way delay between a client next to replica home
// and replica at.
func (s *Sim) clientDelay(home, at int32) time.Duration {
	return s.net.delay[int(home)*s.net.n+int(at)].Sample(s.rng)
}

// request delivers a client command to a replica, which queues it for its
// protocol. A crashed replica loses it.
func (s *Sim) request(e *event) {
	r := s.replicas[e.to]
	if !r.up || r.epoch != e.epoch {
		return
	}
	r.arrive(input{kind: inPropose, client: e.from, n: e.n})
}

// replyToClient sends an answer from replica r to client k; it leaves when
// r's CPU has produced it.
func (s *Sim) replyToClient(r *replica, k int32, n uint64, val string, isErr bool, leader int32) {
	at := r.cursor + s.clientDelay(s.waits[k].home, r.idx)
	s.q.push(at, event{kind: evReply, to: k, from: r.idx, n: n, str: val, isErr: isErr, leader: leader})
}

// reply is an answer reaching its client.
func (s *Sim) reply(e *event) {
	c := s.clients[e.to]
	if !c.alive || !c.busy || c.cur.CommandID != e.n {
		return
	}
	if e.isErr {
		if s.trace != nil {
			s.tracef("client %d <- %s error %q", c.id, s.ids[e.from], e.str)
		}
		if e.leader >= 0 {
			c.at = e.leader
			s.syncWait(e.to)
			s.sendRequest(e.to)
		} else {
			s.q.push(s.now+s.cfg.Workload.RetryAfter, event{kind: evIssue, to: e.to, n: e.n, isErr: true})
		}
		return
	}
	if s.trace != nil {
		s.tracef("client %d <- %s %v = %q", c.id, s.ids[e.from], c.cur.Ident(), e.str)
	}
	c.busy = false
	s.syncWait(e.to)
	s.completed++
	if c.op >= 0 {
		o := &s.hist[c.op]
		o.Return = int64(s.now)
		if o.Op == "get" {
			o.Value = e.str
		}
	}
	s.stats.record(c, s.now)
	if c.quit || !s.loadOn {
		return
	}
	if s.open != nil {
		s.open.idle[c.home] = append(s.open.idle[c.home], e.to)
		return
	}
	if t := s.cfg.Workload.Think; t > 0 {
		s.q.push(s.now+t, event{kind: evIssue, to: e.to})
		return
	}
	s.issue(e.to)
}

// issueEvent is a client's timer: the end of its think time, or a resend
// of a command that got no useful answer (isErr set, n naming the command).
func (s *Sim) issueEvent(e *event) {
	c := s.clients[e.to]
	if !e.isErr {
		s.issue(e.to)
		return
	}
	if !c.alive || !c.busy || c.cur.CommandID != e.n {
		return
	}
	c.at = c.home
	s.syncWait(e.to)
	s.sendRequest(e.to)
}

// clientWait mirrors the fields of a client that every execution at every
// replica reads (see waitsAt), and the one a replica answering it reads,
// packed in one slice so that they stay in cache instead of touching each
// client's own struct.
type clientWait struct {
	cmd  uint64 // cur.CommandID
	at   int32
	home int32
	busy bool
}

// syncWait copies client k's fields into its mirror; every change to busy,
// at or cur is followed by it (home never changes).
func (s *Sim) syncWait(k int32) {
	c := s.clients[k]
	s.waits[k] = clientWait{cmd: c.cur.CommandID, at: c.at, home: c.home, busy: c.busy}
}
