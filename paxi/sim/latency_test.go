package sim_test

import (
	"math/rand"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
)

func TestBuiltinWANMatchesDataFiles(t *testing.T) {
	rtts, err := sim.LoadRTTs("../../data/latency/aws-2020-06-05")
	if err != nil {
		t.Fatal(err)
	}
	if len(rtts.Regions()) != 19 {
		t.Fatalf("want 19 regions, got %v", rtts.Regions())
	}
	var regions []string
	for _, s := range sim.PaperSites {
		regions = append(regions, sim.PaperRegions[s])
	}
	fromFiles, err := rtts.Matrix(regions...)
	if err != nil {
		t.Fatal(err)
	}
	builtin := sim.WAN(5)
	for i := 1; i <= 5; i++ {
		for j := 1; j <= 5; j++ {
			if a, b := fromFiles.Between(i, j), builtin.Between(i, j); a != b {
				t.Errorf("%s->%s: files %v, built in %v", builtin.Name(i), builtin.Name(j), a, b)
			}
		}
	}
	// The README's average CA-VA RTT is 59.9 ms; one way is half.
	if d := builtin.Between(1, 2).Avg; d < 29900*time.Microsecond || d > 30000*time.Microsecond {
		t.Fatalf("CA->VA one way %v, want about 29.95ms", d)
	}
	if _, err := rtts.Matrix("us-west-1", "mars-1"); err == nil {
		t.Fatal("unknown region accepted")
	}
}

func TestParseRTTLine(t *testing.T) {
	d, to, err := sim.ParseRTTLine("20.986/21.129/21.796/0.240:us-west-2")
	if err != nil || to != "us-west-2" || d.Avg != 21129*time.Microsecond || d.Mdev != 240*time.Microsecond {
		t.Fatalf("got %v %q %v", d, to, err)
	}
	for _, bad := range []string{"", "1/2/3:x", "1/2/3/4", "a/b/c/d:x", "3/2/1/0:x", "1/2/3/4:"} {
		if _, _, err := sim.ParseRTTLine(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSampleIsClampedAndConstIsExact(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	d := sim.Dist{Min: 10 * time.Millisecond, Avg: 11 * time.Millisecond, Max: 12 * time.Millisecond, Mdev: 5 * time.Millisecond}
	sawMin, sawMax := false, false
	for range 1000 {
		v := d.Sample(rng)
		if v < d.Min || v > d.Max {
			t.Fatalf("sample %v outside %v", v, d)
		}
		sawMin = sawMin || v == d.Min
		sawMax = sawMax || v == d.Max
	}
	if !sawMin || !sawMax {
		t.Fatal("a wide deviation never reached the clamps")
	}
	if v := sim.Const(time.Second).Sample(rng); v != time.Second {
		t.Fatalf("constant sampled %v", v)
	}
}
