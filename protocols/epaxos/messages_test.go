package epaxos

import (
	"reflect"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

func TestEveryMessageAndRecordRoundTripsThroughTheCodec(t *testing.T) {
	b := paxi.NewBallot(7, "1.2")
	deps := []int64{-1, 3, 1 << 40}
	cmds := []paxi.Command{put(1, 2, "k"), get(3, 4, "k"), {Op: paxi.Delete, Key: "d", ClientID: 5, CommandID: 6}}
	msgs := []paxi.Message{
		&PreAccept{Ballot: b, Row: 1, Inst: 9, Seq: 4, Deps: deps, Cmds: cmds},
		&PreAccept{Ballot: b, Row: 1, Inst: 9, Deps: deps, Noop: true},
		&PreAcceptReply{Ballot: b, Row: 2, Inst: 1 << 33, OK: true, Seq: 5, Deps: deps, Unchanged: true, CommittedDeps: 1<<63 | 5},
		&Accept{Ballot: b, Row: 0, Inst: 1, Seq: 2, Deps: deps, HasCmds: true, Cmds: cmds},
		&AcceptReply{Ballot: b, Row: 0, Inst: 1, OK: true},
		&Commit{Row: 2, Inst: 3, Seq: 4, Deps: deps, HasCmds: true, Cmds: cmds, Noop: false},
		&Progress{UpTo: deps},
		&VoteRecord{Row: 1, Inst: 2, Bal: b, VBal: b - 1, Accepted: true, Seq: 3, Deps: deps, Unchanged: true, HasCmds: true, Cmds: cmds},
		&CommitRecord{Row: 1, Inst: 2, Seq: 3, Deps: deps, HasCmds: true, Noop: true},
	}
	for _, m := range msgs {
		if _, ok := paxi.MessageOf(m); !ok {
			t.Fatalf("%T is not registered", m)
		}
		buf, err := transport.Marshal(nil, m)
		if err != nil {
			t.Fatalf("marshal %T: %v", m, err)
		}
		got, err := transport.Unmarshal(buf)
		if err != nil {
			t.Fatalf("unmarshal %T: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%T round trip:\n got %+v\nwant %+v", m, got, m)
		}
	}
}
