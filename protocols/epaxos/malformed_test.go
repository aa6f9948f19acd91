package epaxos

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// Input a peer can send that the replica must refuse (bounds.go): each
// message below is malformed, and replica 1.2 of three must neither answer
// it nor record anything for it, nor crash. Malformed batches are counted
// in RefusedMalformed; before they were refused, a Validate or a PreAccept
// of an empty batch was voted on and answered.
func TestMalformedMessagesAreRefused(t *testing.T) {
	b, rb := paxi.NewBallot(0, "1.1"), paxi.NewBallot(1, "1.1")
	cmds := []paxi.Command{put(1, 1, "x")}
	short := []int64{-1, -1}
	cases := []struct {
		name      string
		from      paxi.ID
		msg       paxi.Message
		malformed bool // counted in RefusedMalformed
	}{
		{"Validate/no commands", "1.1", &Validate{Ballot: rb, Row: 0, Inst: 0, Deps: noDeps()}, true},
		{"PreAccept/empty batch", "1.1", &PreAccept{Ballot: b, Row: 0, Inst: 0, Deps: noDeps()}, true},
		{"PreAccept/no-op with commands", "1.1", &PreAccept{Ballot: b, Row: 0, Inst: 0, Deps: noDeps(), Cmds: cmds, Noop: true}, true},
		{"Accept/empty batch", "1.1", &Accept{Ballot: b, Row: 0, Inst: 0, Deps: noDeps(), HasCmds: true}, true},
		{"Commit/empty batch", "1.1", &Commit{Row: 0, Inst: 0, Deps: noDeps(), HasCmds: true}, true},
		{"Commits/empty batch", "1.1", &Commits{Row: 0, Entries: []Commit{{Row: 0, Inst: 0, Deps: noDeps(), HasCmds: true}}}, true},
		{"PrepareReply/empty batch", "1.1", &PrepareReply{Ballot: rb, Row: 0, Inst: 0, OK: true, Status: PreAccepted, VBal: b, Deps: noDeps(), HasCmds: true}, true},
		{"non-peer", "9.9", &PreAccept{Ballot: b, Row: 0, Inst: 0, Deps: noDeps(), Cmds: cmds}, false},
		{"self", "1.2", &PreAccept{Ballot: b, Row: 0, Inst: 0, Deps: noDeps(), Cmds: cmds}, false},
		{"row/negative", "1.1", &PreAccept{Ballot: b, Row: -1, Inst: 0, Deps: noDeps(), Cmds: cmds}, false},
		{"row/past the cluster", "1.1", &Commit{Row: 3, Inst: 0, Deps: noDeps(), HasCmds: true, Cmds: cmds}, false},
		{"inst/negative", "1.1", &Accept{Ballot: b, Row: 0, Inst: -1, Deps: noDeps(), HasCmds: true, Cmds: cmds}, false},
		{"inst/own row not started", "1.1", &PreAccept{Ballot: b, Row: 1, Inst: 0, Deps: noDeps(), Cmds: cmds}, false},
		{"deps/short", "1.1", &PreAccept{Ballot: b, Row: 0, Inst: 0, Deps: short, Cmds: cmds}, false},
		{"deps/below -1", "1.1", &Validate{Ballot: rb, Row: 0, Inst: 0, Deps: []int64{-2, -1, -1}, Cmds: cmds}, false},
		{"Progress/short", "1.1", &Progress{UpTo: short, Ask: true}, false},
		{"PrepareReply/short deps", "1.1", &PrepareReply{Ballot: rb, Row: 0, Inst: 0, OK: true, Status: Accepted, VBal: b, Deps: short, HasCmds: true, Cmds: cmds}, false},
		{"ValidateReply/lists of different lengths", "1.1", &ValidateReply{Ballot: rb, Row: 0, Inst: 0, OK: true, Rows: []int32{0}, Insts: nil, Flags: []uint8{0}}, false},
		{"ValidateReply/bad row", "1.1", &ValidateReply{Ballot: rb, Row: 0, Inst: 0, OK: true, Rows: []int32{7}, Insts: []int64{0}, Flags: []uint8{0}}, false},
		{"Commits/entry of another row", "1.1", &Commits{Row: 0, Entries: []Commit{{Row: 2, Inst: 0, Deps: noDeps(), HasCmds: true, Cmds: cmds}}}, false},
		{"CommitRequest/negative", "1.1", &CommitRequest{Row: 0, From: -5, To: 3}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := acceptor(t)
			r.Step(tc.from, tc.msg)
			rd := r.Ready()
			if len(rd.Messages) != 0 || len(rd.Persist) != 0 {
				t.Fatalf("answered with %d messages and %d records, want it ignored", len(rd.Messages), len(rd.Persist))
			}
			if in := r.rows.get(0, 0); in != nil && in.status != None {
				t.Fatalf("recorded %v", in)
			}
			if got := r.Counters().RefusedMalformed; (got == 1) != tc.malformed {
				t.Fatalf("RefusedMalformed = %d, want it counted: %v", got, tc.malformed)
			}
		})
	}
}
