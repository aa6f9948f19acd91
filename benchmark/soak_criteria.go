package benchmark

import (
	"fmt"
	"time"
)

// SoakCriteria are issue 14's limits for a soak run.
type SoakCriteria struct {
	MaxDirBytes      int64         // each replica's data directory, at every sample
	MaxRestart       time.Duration // restart to the first successful request
	MaxRestartMemory int64         // peak resident memory (VmHWM) of the restarted replica
	// RSSBand: from the end of Warmup until the victim rejoins, all up
	// and then with the victim down, each other replica's largest RSS
	// sample is at most 1+RSSBand times its smallest: memory while a
	// replica is down is what it was with all up.
	RSSBand float64
	Warmup  time.Duration
	// DownSettle skips the first part of the downtime too (0: none), for
	// a protocol that holds more while a peer is down, to see whether it
	// then stays flat.
	DownSettle time.Duration
}

// DefaultSoakCriteria: data dir < 256 MiB, restart < 2 s and < 512 MiB,
// RSS within 20% after one minute of warm-up.
func DefaultSoakCriteria() SoakCriteria {
	return SoakCriteria{MaxDirBytes: 256 << 20, MaxRestart: 2 * time.Second, MaxRestartMemory: 512 << 20,
		RSSBand: 0.2, Warmup: time.Minute}
}

// Verdict is one criterion's outcome.
type Verdict struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

func (v Verdict) String() string {
	s := "FAIL"
	if v.Pass {
		s = "PASS"
	}
	return fmt.Sprintf("%s  %s: %s", s, v.Name, v.Detail)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// Evaluate checks a soak run's samples and restart against c.
func (c SoakCriteria) Evaluate(r SoakResult) []Verdict {
	var out []Verdict
	// Data directory: the largest sample of any replica.
	var maxDir int64
	var maxAt SoakSample
	for _, s := range r.Samples {
		if s.DirBytes > maxDir {
			maxDir, maxAt = s.DirBytes, s
		}
	}
	out = append(out, Verdict{Name: fmt.Sprintf("data dir < %.0f MiB", mib(c.MaxDirBytes)), Pass: len(r.Samples) > 0 && maxDir < c.MaxDirBytes,
		Detail: fmt.Sprintf("largest %.1f MiB (replica %s at %.0f s), %d samples", mib(maxDir), maxAt.Replica, maxAt.T, len(r.Samples))})

	rs := r.Restart
	out = append(out, Verdict{Name: fmt.Sprintf("restart to serving < %v", c.MaxRestart), Pass: rs.Err == "" && rs.Seconds > 0 && rs.Seconds < c.MaxRestart.Seconds(),
		Detail: restartDetail(rs, fmt.Sprintf("%.2f s", rs.Seconds))})
	out = append(out, Verdict{Name: fmt.Sprintf("restart peak memory < %.0f MiB", mib(c.MaxRestartMemory)), Pass: rs.Err == "" && rs.PeakBytes > 0 && rs.PeakBytes < c.MaxRestartMemory,
		Detail: restartDetail(rs, fmt.Sprintf("VmHWM %.1f MiB", mib(rs.PeakBytes)))})

	// RSS flat, per other replica: the samples from the end of the
	// warm-up to before the rejoin, but for DownSettle after the kill.
	from, to := c.Warmup.Seconds(), r.RejoinedAt
	settle := func(t float64) bool { return t >= r.KilledAt && t < r.KilledAt+c.DownSettle.Seconds() }
	lo, hi := map[string]int64{}, map[string]int64{}
	for _, s := range r.Samples {
		if s.Replica == r.Victim || !s.Up || s.RSSBytes <= 0 || s.T < from || s.T >= to || settle(s.T) {
			continue
		}
		if l, ok := lo[s.Replica]; !ok || s.RSSBytes < l {
			lo[s.Replica] = s.RSSBytes
		}
		hi[s.Replica] = max(hi[s.Replica], s.RSSBytes)
	}
	name := fmt.Sprintf("RSS within %.0f%% all up and while %s is down", c.RSSBand*100, r.Victim)
	switch {
	case r.Victim == "":
		out = append(out, Verdict{Name: name, Detail: "no replica was killed (-down 0)"})
	case len(lo) == 0:
		out = append(out, Verdict{Name: name, Detail: fmt.Sprintf("no sample between %.0f s and %.0f s (warm-up %v longer than the run?)", from, to, c.Warmup)})
	default:
		pass, detail := true, fmt.Sprintf("%.0f-%.0f s:", from, to)
		for _, id := range sortedKeys(lo) {
			ratio := float64(hi[id]) / float64(lo[id])
			pass = pass && ratio <= 1+c.RSSBand
			detail += fmt.Sprintf(" %s %.1f-%.1f MiB (x%.2f)", id, mib(lo[id]), mib(hi[id]), ratio)
		}
		out = append(out, Verdict{Name: name, Pass: pass, Detail: detail})
	}
	return out
}

func restartDetail(rs RestartResult, what string) string {
	if rs.Err != "" {
		return fmt.Sprintf("replica %s: %s", rs.Replica, rs.Err)
	}
	return fmt.Sprintf("replica %s: %s (data dir %.1f MiB before)", rs.Replica, what, mib(rs.DirBytes))
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}
