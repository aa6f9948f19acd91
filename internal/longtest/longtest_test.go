package longtest

import "testing"

func TestEnabledFollowsTheEnvironment(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "yes": true} {
		t.Setenv(Env, v)
		if got := Enabled(); got != want {
			t.Errorf("%s=%q: Enabled() = %v, want %v", Env, v, got, want)
		}
	}
}

func TestPickFollowsTheMode(t *testing.T) {
	t.Setenv(Env, "1")
	want := 30
	if testing.Short() {
		want = 3
	}
	if got := Pick(3, 4, 30); got != want {
		t.Fatalf("Pick = %d, want %d", got, want)
	}
	t.Setenv(Env, "")
	if want == 30 {
		want = 4
	}
	if got := Pick(3, 4, 30); got != want {
		t.Fatalf("Pick = %d, want %d", got, want)
	}
}
