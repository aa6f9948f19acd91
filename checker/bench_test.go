package checker

import (
	"sync"
	"testing"
)

// The benchmarks run only with -bench, for example
//
//	go test ./checker/ -run '^$' -bench . -benchtime 3x
//
// and TestCompareWithPorcupine puts the same histories side by side with
// Porcupine.

var (
	scenarioCache = map[string][]Operation{}
	scenarioMu    sync.Mutex
)

// scenarioOps generates each scenario once per process.
func scenarioOps(s scenario) []Operation {
	scenarioMu.Lock()
	defer scenarioMu.Unlock()
	if ops, ok := scenarioCache[s.name]; ok {
		return ops
	}
	ops := s.generate()
	scenarioCache[s.name] = ops
	return ops
}

func BenchmarkCheckLinearizable(b *testing.B) {
	for _, s := range scenarios {
		b.Run(s.name, func(b *testing.B) {
			ops := scenarioOps(s)
			want := Ok
			if s.staleRead {
				want = Illegal
			}
			b.ResetTimer()
			for b.Loop() {
				if v := CheckLinearizable(ops, Options{}).Verdict; v != want {
					b.Fatalf("verdict %v, want %v", v, want)
				}
			}
		})
	}
}
