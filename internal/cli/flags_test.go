package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestDoubleDash(t *testing.T) {
	got := DoubleDash([]string{"-id", "1.1", "--config=c.json", "-n", "-5", "-", "-h", "--", "-x"})
	want := []string{"--id", "1.1", "--config=c.json", "--n", "-5", "-", "-h", "--", "-x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DoubleDash = %q, want %q", got, want)
	}
}

func TestParsePrintsTheErrorAndAHint(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-algoritm", "epaxos"}, []string{"tool: unknown flag -algoritm (did you mean -algorithm?)", "tool -h lists the flags"}},
		{[]string{"-bogus"}, []string{"unknown flag -bogus;", "tool -h"}},
		{[]string{"-duration", "5"}, []string{`invalid argument "5" for "-duration"`, "tool -h"}},
		{[]string{"-algorithm"}, []string{"argument: -algorithm;", "tool -h"}},
	} {
		fs := pflag.NewFlagSet("tool", pflag.ContinueOnError)
		var out bytes.Buffer
		fs.SetOutput(&out)
		fs.String("algorithm", "", "")
		fs.Duration("duration", 0, "")
		if err := Parse(fs, tc.args); err == nil {
			t.Errorf("Parse(%q) = nil, want an error", tc.args)
		}
		got := out.String()
		if strings.Count(got, "\n") != 1 {
			t.Errorf("Parse(%q) printed %q, want one line", tc.args, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("Parse(%q) printed %q, want it to contain %q", tc.args, got, w)
			}
		}
	}
}

func TestParseHelpIsNotAnError(t *testing.T) {
	fs := pflag.NewFlagSet("tool", pflag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	fs.String("algorithm", "", "which protocol")
	if err := Parse(fs, []string{"-h"}); err != pflag.ErrHelp {
		t.Fatalf("Parse(-h) = %v, want ErrHelp", err)
	}
	if !strings.Contains(out.String(), "which protocol") || strings.Contains(out.String(), "unknown") {
		t.Fatalf("-h printed %q, want the usage only", out.String())
	}
}
