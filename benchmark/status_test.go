package benchmark

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

func TestAlgorithmLabel(t *testing.T) {
	cases := []struct {
		running map[paxi.ID]string
		want    string
	}{
		{map[paxi.ID]string{"1.1": "mencius", "1.2": "mencius"}, "mencius"},
		{map[paxi.ID]string{"1.2": "mencius", "1.1": "epaxos"}, "mixed(1.1=epaxos,1.2=mencius)"},
		{nil, "epaxos(unconfirmed)"},
	}
	for _, c := range cases {
		if got := AlgorithmLabel(c.running, "epaxos"); got != c.want {
			t.Errorf("AlgorithmLabel(%v) = %q, want %q", c.running, got, c.want)
		}
	}
}
