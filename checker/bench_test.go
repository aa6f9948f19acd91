package checker

import (
	"runtime"
	"testing"
)

// The benchmarks run only with -bench, for example
//
//	go test ./checker/ -run '^$' -bench . -benchtime 3x
//
// and TestCompareWithPorcupine puts the same histories side by side with
// Porcupine.

func BenchmarkCheckLinearizable(b *testing.B) {
	for _, s := range scenarios {
		b.Run(s.name, func(b *testing.B) {
			// Each history is generated afresh rather than kept for the
			// next one, so the collector never marks more than one.
			ops := s.generate()
			runtime.GC()
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
