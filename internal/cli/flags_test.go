package cli

import (
	"reflect"
	"testing"
)

func TestDoubleDash(t *testing.T) {
	got := DoubleDash([]string{"-id", "1.1", "--config=c.json", "-n", "-5", "-", "-h", "--", "-x"})
	want := []string{"--id", "1.1", "--config=c.json", "--n", "-5", "-", "-h", "--", "-x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DoubleDash = %q, want %q", got, want)
	}
}
